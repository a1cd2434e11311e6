/**
 * NamespaceController: finishes namespace deletion. A namespace marked for deletion has every
 * object in it deleted; once none is left, its "kubernetes" finalizer is removed (through the
 * namespace's finalize subresource in Kubernetes; here an update of spec.finalizers) and the
 * API server deletes it.
 */
import type { KubeObject } from '../../api/object.js';
import { ApiError } from '../../api/errors.js';
import { allResourceTypes, resourceTypeFor } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import type { InformerFactory, Informer, KubeClient } from '../../client/interfaces.js';
import { runController, type ControllerHandle } from '../../client/controller.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import type { EventRecorder } from '../../client/events.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

export interface NamespaceControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  recorder?: EventRecorder;
  clock?: Clock;
  logger: Logger;
  /** How soon to look again while content is still going away. */
  recheckMs?: number;
}

const namespaces = resourceTypeFor('', 'v1', 'namespaces')!;

export class NamespaceController {
  private readonly queue: RateLimitedQueue;
  private readonly informer: Informer;
  private handle?: ControllerHandle;
  private readonly namespaced: ResourceType[] = allResourceTypes.filter((t) => t.namespaced);

  constructor(private readonly opts: NamespaceControllerOptions) {
    this.queue = new RateLimitedQueue({ clock: opts.clock ?? realClock, baseDelayMs: 100, maxDelayMs: 10_000 });
    this.informer = opts.informers.informerFor(namespaces);
    const enqueue = (ns: KubeObject) => {
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async start(): Promise<void> {
    this.handle = runController({
      name: 'namespace',
      queue: this.queue,
      workers: 2,
      reconcile: (name) => this.sync(name),
      logger: this.opts.logger,
    });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  private async sync(name: string): Promise<{ requeueAfterMs: number } | void> {
    const cached = this.informer.lister.get(name);
    if (!cached || !cached.metadata.deletionTimestamp) return;
    const { client } = this.opts;
    let remaining = 0;
    for (const rt of this.namespaced) {
      const { items } = await client.list(rt, name);
      for (const obj of items) {
        remaining++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await client.delete(rt, name, obj.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: obj.metadata.uid } });
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
        }
      }
    }
    if (remaining > 0) {
      // Immediate deletions leave nothing behind, so a second look may already find it empty.
      for (const rt of this.namespaced) {
        if ((await client.list(rt, name, { limit: 1 })).items.length) return { requeueAfterMs: this.opts.recheckMs ?? 1000 };
      }
    }
    const live = await client.get(namespaces, undefined, name).catch((err) => {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    });
    if (!live) return;
    const finalizers = (live.spec?.finalizers ?? []).filter((f: string) => f !== 'kubernetes');
    await client.update(namespaces, { ...live, spec: { ...(live.spec ?? {}), finalizers } });
    this.opts.logger.info('namespace content deleted; releasing the namespace', { namespace: name });
  }
}
