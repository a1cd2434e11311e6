/**
 * Chooses and opens a Store backend from configuration, so callers (the API server, tools,
 * tests) never import a backend directly.
 */
import type { Store } from './interface.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { EtcdStore } from './etcd/etcd-store.js';
import type { Logger } from '../util/logger.js';

export type StoreConfig =
  | { kind: 'sqlite'; path: string; synchronous?: 'FULL' | 'NORMAL' }
  | { kind: 'etcd'; endpoints: string[]; prefix?: string };

/** Opens the configured backend and checks it is usable before returning it. */
export async function openStore(opts: StoreConfig, logger?: Logger): Promise<Store> {
  switch (opts.kind) {
    case 'sqlite':
      return SqliteStore.open({ path: opts.path, synchronous: opts.synchronous, logger });
    case 'etcd': {
      const store = new EtcdStore({ endpoints: opts.endpoints, prefix: opts.prefix, logger });
      try {
        await store.check();
      } catch (err) {
        await store.close();
        throw err;
      }
      return store;
    }
  }
}
