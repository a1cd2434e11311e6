/**
 * Namespace deletion, finished inside the API server: when a namespace is marked for
 * deletion, every object in it is deleted; once none is left the "kubernetes" finalizer is
 * removed and the namespace disappears. (In Kubernetes this is the namespace controller's
 * job; it lives here until the controller manager exists, and works only through the registry.)
 */
import type { ResourceType } from '../api/resource.js';
import type { KubeObject } from '../api/object.js';
import { ApiError } from '../api/errors.js';
import type { Watcher } from '../storage/interface.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ObjectRegistry } from './registry.js';

export class NamespaceLifecycle {
  private watcher?: Watcher;
  private readonly pending = new Set<string>();
  private readonly phases = new Map<string, 'Active' | 'Terminating'>();
  private running = false;
  private closed = false;
  private cancelRetry?: () => void;

  constructor(
    private readonly registry: ObjectRegistry,
    private readonly types: readonly ResourceType[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {}

  private get nsType(): ResourceType {
    return this.types.find((t) => t.group === '' && t.plural === 'namespaces')!;
  }

  async start(): Promise<void> {
    this.phases.clear();
    this.watcher = await this.registry.watch(
      this.nsType,
      undefined,
      {
        onError: (err) => {
          this.log.error('namespace watch failed; restarting', { err: err.message });
          if (!this.closed) void this.start();
        },
      },
      (type, ns) => {
        const name = ns.metadata.name!;
        if (type === 'DELETED') {
          this.phases.delete(name);
          return;
        }
        this.phases.set(name, ns.metadata.deletionTimestamp ? 'Terminating' : 'Active');
        if (ns.metadata.deletionTimestamp) this.enqueue(name);
      },
    );
    this.registry.namespaceCache = (name) => this.phases.get(name);
  }

  private enqueue(name: string): void {
    this.pending.add(name);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.size && !this.closed) {
        const [name] = this.pending;
        this.pending.delete(name);
        let done = false;
        try {
          done = await this.finalize(name);
        } catch (err) {
          this.log.warn('namespace cleanup failed; will retry', { namespace: name, err: (err as Error).message });
        }
        if (!done && !this.closed) {
          this.cancelRetry?.();
          this.cancelRetry = this.clock.setTimeout(() => this.enqueue(name), this.retryMs);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One pass over a terminating namespace; true when it is gone. */
  private async finalize(name: string): Promise<boolean> {
    let ns: KubeObject;
    try {
      ns = await this.registry.get(this.nsType, undefined, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return true;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp) return true;
    let remaining = 0;
    for (const rt of this.types) {
      if (!rt.namespaced) continue;
      const { items } = await this.registry.list(rt, name);
      for (const obj of items) {
        remaining++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await this.registry.delete(rt, name, obj.metadata.name!, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
    }
    if (remaining > 0) {
      // Check again: immediate deletions leave nothing behind, so a second look may find it empty.
      for (const rt of this.types) {
        if (rt.namespaced && (await this.registry.list(rt, name, { limit: 1 })).items.length) return false;
      }
    }
    await this.registry.update(this.nsType, undefined, name, (cur) => {
      cur.spec = { ...(cur.spec ?? {}), finalizers: (cur.spec?.finalizers ?? []).filter((f: string) => f !== 'kubernetes') };
      return cur;
    });
    this.log.info('namespace deleted', { namespace: name });
    return true;
  }

  close(): void {
    this.closed = true;
    this.registry.namespaceCache = undefined;
    this.cancelRetry?.();
    this.watcher?.close();
  }
}
