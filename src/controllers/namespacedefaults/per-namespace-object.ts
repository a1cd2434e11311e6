/**
 * One object every active namespace must have, kept there by a controller: the `default`
 * ServiceAccount (kube-controller-manager's serviceaccount-controller) and the
 * `kube-root-ca.crt` ConfigMap (its root-ca-cert-publisher) are both this shape. A namespace
 * is synced when it appears or changes, and when its object is changed or deleted; a missing
 * object is created, a drifted one (if the controller says what it should be) written back.
 * Namespaces being deleted are left alone, as their contents are on the way out.
 */
import type { KubeObject } from '../../api/object.js';
import { ApiError } from '../../api/errors.js';
import type { Informer, InformerFactory, KubeClient, ResourceRef } from '../../client/interfaces.js';
import { runController, type ControllerHandle } from '../../client/controller.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

export interface PerNamespaceObjectOptions {
  client: KubeClient;
  informers: InformerFactory;
  clock?: Clock;
  logger: Logger;
}

export interface PerNamespaceObjectSpec {
  /** The controller's name in logs. */
  controller: string;
  resource: ResourceRef;
  /** The object's name in every namespace. */
  objectName: string;
  /** The object to create in `namespace`. */
  desired(namespace: string): KubeObject;
  /** The object to write instead of `current` when it has drifted; undefined when it is fine. */
  corrected?(current: KubeObject): KubeObject | undefined;
}

const namespacesRef: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };

export class PerNamespaceObjectController {
  private readonly queue: RateLimitedQueue;
  private readonly namespaces: Informer;
  private readonly objects: Informer;
  private handle?: ControllerHandle;

  constructor(
    private readonly spec: PerNamespaceObjectSpec,
    private readonly opts: PerNamespaceObjectOptions,
  ) {
    this.queue = new RateLimitedQueue({ clock: opts.clock ?? realClock, baseDelayMs: 100, maxDelayMs: 30_000 });
    this.namespaces = opts.informers.informerFor(namespacesRef);
    // Only the one object per namespace: a cache of every ConfigMap would be wasted here.
    this.objects = opts.informers.informerFor(spec.resource, { fieldSelector: `metadata.name=${spec.objectName}` });
    const byName = (ns: KubeObject) => this.queue.add(ns.metadata.name!);
    const byNamespace = (obj: KubeObject) => this.queue.add(obj.metadata.namespace!);
    this.namespaces.addHandlers({ onAdd: byName, onUpdate: (_o, n) => byName(n) });
    this.objects.addHandlers({ onUpdate: (_o, n) => byNamespace(n), onDelete: byNamespace });
  }

  async start(): Promise<void> {
    this.handle = runController({ name: this.spec.controller, queue: this.queue, workers: 2, reconcile: (ns) => this.sync(ns), logger: this.opts.logger });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  private async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const current = this.objects.lister.get(`${namespace}/${this.spec.objectName}`);
    try {
      if (!current) {
        await this.opts.client.create(this.spec.resource, namespace, this.spec.desired(namespace));
        return;
      }
      const fixed = this.spec.corrected?.(current);
      if (fixed) await this.opts.client.update(this.spec.resource, fixed);
    } catch (err) {
      if (err instanceof ApiError && settled(err)) return;
      throw err;
    }
  }
}

/**
 * Failures that need no retry: the object was made meanwhile (the cache is behind; its watch
 * event syncs again), or the namespace went or started terminating after the cache looked.
 */
function settled(err: ApiError): boolean {
  if (err.reason === 'AlreadyExists') return true;
  if (err.code === 404 && err.details?.kind === 'namespaces') return true;
  return err.code === 403 && (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}
