/**
 * The admission plugins' cache: writes through the registry reach it at once, writes by others
 * through the watch, and a late or repeated event never brings back an older version or a
 * deleted object; a failed watch makes it say so (out of step) until it has listed again.
 */
import { it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/object.js';
import { allResourceTypes } from '../../api/registry.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { silentLogger } from '../../util/logger.js';
import { HeldWatchStore } from '../../../test/util/delegating-store.js';
import { waitFor } from '../../../test/util/wait.js';
import { APIServer } from '../server.js';
import { NamespacedObjectCache } from './namespaced-cache.js';

async function setup(t: TestContext, hold: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-ns-cache-'));
  const raw = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const held = hold ? new HeldWatchStore(raw) : undefined;
  const server = new APIServer({ store: held ?? raw, types: allResourceTypes, logger: silentLogger });
  const quotaType = server.resourceType('', 'v1', 'resourcequotas')!;
  const cache = new NamespacedObjectCache(server.registry, quotaType, (q: KubeObject) => q, silentLogger);
  await server.registry.create(server.resourceType('', 'v1', 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  t.after(async () => {
    cache.close();
    await server.close();
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const create = (name: string) => server.registry.create(quotaType, 'ns', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard: { pods: '1' } } });
  const names = () => cache.cached('ns')?.map((q) => q.metadata.name);
  return { cache, registry: server.registry, quotaType, create, names, held, raw };
}

it('knows what was there before it started, sorted by name; none elsewhere', async (t) => {
  const s = await setup(t, false);
  await s.create('b');
  await s.create('a');
  assert.equal(s.cache.cached('ns'), undefined, 'not in step before start');
  assert.deepEqual((await s.cache.read('ns')).map((q) => q.metadata.name), ['a', 'b'], 'read() asks the store');
  await s.cache.start();
  assert.deepEqual(s.names(), ['a', 'b']);
  assert.deepEqual(s.cache.cached('elsewhere'), []);
});

it('writes through the registry are seen before the watch reports them; late events change nothing', async (t) => {
  const s = await setup(t, true);
  await s.cache.start();
  await s.create('a');
  await s.create('b');
  await s.registry.update(s.quotaType, 'ns', 'a', (q) => ({ ...q, status: { hard: { pods: '1' }, used: { pods: '0' } } }), { subresource: 'status', replaces: true });
  await s.registry.delete(s.quotaType, 'ns', 'b');
  assert.deepEqual(s.names(), ['a']);
  assert.deepEqual(s.cache.cached('ns')![0]!.status.used, { pods: '0' });
  s.held!.release();
  assert.deepEqual(s.names(), ['a'], 'the replayed ADDED of b does not bring it back');
  assert.deepEqual(s.cache.cached('ns')![0]!.status.used, { pods: '0' }, 'nor an older a');
  // Once the watch has passed the delete, the name is free again.
  await s.create('b');
  assert.deepEqual(s.names(), ['a', 'b']);
});

it('writes the registry did not make arrive through the watch', async (t) => {
  const s = await setup(t, false);
  await s.cache.start();
  await s.create('mine');
  // Another API server on the same store: straight into storage.
  const value = JSON.stringify({ metadata: { name: 'theirs', namespace: 'ns', uid: 'u' }, apiVersion: 'v1', kind: 'ResourceQuota', spec: { hard: { pods: '2' } } });
  await s.raw.create('/registry/resourcequotas/ns/theirs', value);
  await waitFor(() => s.names()?.includes('theirs'), { message: "the watch to deliver the other writer's object" });
  await s.raw.delete('/registry/resourcequotas/ns/theirs');
  await waitFor(() => s.names()?.join() === 'mine', { message: 'the watch to deliver the delete' });
});

it('serves its last known state by name and by namespace even while out of step, as a lister does', async (t) => {
  const s = await setup(t, false);
  await s.create('a');
  assert.deepEqual(s.cache.current('ns').map((q) => q.metadata.name), ['a'], "the registry's own writes, even before start");
  await s.cache.start();
  assert.equal(s.cache.get('ns', 'a')?.metadata.name, 'a');
  assert.equal(s.cache.get('ns', 'nope'), undefined);
  await s.registry.delete(s.quotaType, 'ns', 'a');
  assert.equal(s.cache.get('ns', 'a'), undefined, 'a tombstone is no object');
  await s.create('b');
  s.cache.close();
  assert.equal(s.cache.cached('ns'), undefined, 'closed: out of step');
  assert.deepEqual(s.cache.current('ns').map((q) => q.metadata.name), ['b'], 'but what it knew is still there');
});
