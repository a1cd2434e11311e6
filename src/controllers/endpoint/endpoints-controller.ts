/**
 * The Endpoints controller (kube-controller-manager's endpoint-controller,
 * pkg/controller/endpoint): for every Service with a selector, keeps an Endpoints object of
 * the same name listing the pods the selector picks, ready ones under `addresses` and the
 * rest under `notReadyAddresses`, on the ports the Service's targetPorts resolve to.
 *
 * Event handlers only turn Service, pod and Endpoints events into Service keys; a worker
 * re-reads the Service, its pods and the current Endpoints from the informer caches and
 * writes the Endpoints only when what it would write differs. A key queued many times while
 * waiting is synced once, so a burst of pod changes costs one write per Service.
 */
import { ApiError } from '../../api/errors.js';
import { matchesLabels } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { clone } from '../../api/object.js';
import { deepEqual } from '../../api/kinds/common.js';
import { endpoints as endpointsResource } from '../../api/kinds/endpoints.js';
import { pods as podsResource } from '../../api/kinds/pods.js';
import { services as servicesResource } from '../../api/kinds/services.js';
import { runController, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { objectKey, splitKey, type Informer, type InformerFactory, type KubeClient } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { headlessServiceLabel, isServiceIPSet, ServiceSelectors } from './pod-endpoints.js';
import { desiredSubsets, maxEndpointsCapacity, normalizeSubsets, subsetsEqual, truncateSubsets } from './subsets.js';
import { formatTriggerTime, TriggerTimeTracker } from './trigger-time.js';

/** Set on Endpoints holding fewer addresses than the Service has (kube 1.22+). */
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
/** When the change this Endpoints reflects happened (see trigger-time.ts). */
export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Endpoints carrying it hold an old-style leader election record, not a Service's addresses. */
const leaderElectionAnnotation = 'control-plane.alpha.kubernetes.io/leader';

/** How long a just-created Endpoints may be missing from the cache before it is no longer awaited. */
const createdMarkTtlMs = 30_000;

export interface EndpointsControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  /** Where FailedToCreateEndpoint / FailedToUpdateEndpoint warnings go (source endpoint-controller). */
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  logger: Logger;
  /** Services synced concurrently (kube-controller-manager's --concurrent-endpoint-syncs, default 5). */
  workers?: number;
  /**
   * How long a pod change waits before its Services are synced, so more changes join the same
   * write (--endpoint-updates-batch-period; default 0, as Kubernetes: the queue alone collapses
   * changes that arrive while a Service waits or syncs).
   */
  endpointUpdatesBatchPeriodMs?: number;
}

/**
 * The resourceVersion of an Endpoints each key last replaced (or "" for one it created), so
 * a sync that still finds it in the cache waits for the cache instead of writing over a
 * stale copy (kube's staleEndpointsTracker).
 */
interface StaleMark {
  resourceVersion: string;
  at: number;
}

export class EndpointsController {
  private readonly client: KubeClient;
  private readonly recorder: Pick<EventRecorder, 'event'>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly batchMs: number;
  private readonly serviceInformer: Informer;
  private readonly podInformer: Informer;
  private readonly endpointsInformer: Informer;
  private readonly queue: RateLimitedQueue;
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly stale = new Map<string, StaleMark>();
  private readonly serviceSelectors: ServiceSelectors;
  private handle?: ControllerHandle;
  private stopped = false;

  constructor(opts: EndpointsControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ controller: 'endpoint' });
    this.workers = opts.workers ?? 5;
    this.batchMs = opts.endpointUpdatesBatchPeriodMs ?? 0;
    this.queue = new RateLimitedQueue({ clock: this.clock });

    this.serviceInformer = opts.informers.informerFor(servicesResource);
    this.serviceSelectors = new ServiceSelectors(this.serviceInformer);
    this.podInformer = opts.informers.informerFor(podsResource);
    this.endpointsInformer = opts.informers.informerFor(endpointsResource);

    this.serviceInformer.addHandlers({
      onAdd: (svc) => this.queue.add(objectKey(svc)),
      onUpdate: (_old, cur) => this.queue.add(objectKey(cur)),
      onDelete: (svc) => this.queue.add(objectKey(svc)),
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.enqueueServices(this.serviceSelectors.selecting(pod.metadata.namespace, pod.metadata.labels)),
      onUpdate: (old, cur) => this.updatePod(old, cur),
      onDelete: (pod) => this.enqueueServices(this.serviceSelectors.selecting(pod.metadata.namespace, pod.metadata.labels)),
    });
    this.endpointsInformer.addHandlers({
      // A creation of ours is in the cache now: syncs may trust it again.
      onAdd: (ep) => {
        const key = objectKey(ep);
        if (this.stale.get(key)?.resourceVersion === '') this.stale.delete(key);
      },
      // Deleted by someone else: the Service's sync puts it back (or it stays gone with its Service).
      onDelete: (ep) => this.queue.add(objectKey(ep)),
    });
  }

  /** Starts the workers once the Service, pod and Endpoints caches hold their initial lists. */
  async start(): Promise<void> {
    if (this.handle || this.stopped) return;
    await Promise.all([this.serviceInformer.start(), this.podInformer.start(), this.endpointsInformer.start()]);
    if (this.stopped) return;
    this.handle = runController({
      name: 'endpoint',
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.syncService(key),
      logger: this.log,
    });
    this.checkLeftoverEndpoints();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.shutDown();
    await this.handle?.stop();
  }

  /**
   * Once at start: queues every Endpoints' key, so those whose Service was deleted while no
   * controller ran are deleted too (kube's checkLeftoverEndpoints).
   */
  private checkLeftoverEndpoints(): void {
    for (const ep of this.endpointsInformer.lister.list()) {
      if (ep.metadata.annotations?.[leaderElectionAnnotation] !== undefined) continue;
      this.queue.add(objectKey(ep));
    }
  }

  // --- event handlers: events to keys ----------------------------------------------------------

  private enqueueServices(keys: Iterable<string>): void {
    for (const key of keys) this.queue.addAfter(key, this.batchMs);
  }

  /** A pod update concerns the Services it can change the endpoints of (see servicesForPodUpdate). */
  private updatePod(old: KubeObject, cur: KubeObject): void {
    this.enqueueServices(this.serviceSelectors.forPodUpdate(old, cur));
  }

  // --- the sync ----------------------------------------------------------------------------------

  /**
   * Brings the Endpoints of one Service (by "namespace/name" key) in line with its pods, from
   * the informer caches. Rejects to be retried with back-off; asks for a plain requeue while
   * the Endpoints cache has not yet caught up with this controller's last write.
   */
  async syncService(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const svc = this.serviceInformer.lister.get(key);
    if (!svc) {
      // The Service is gone: so are its Endpoints, whoever made them (as in Kubernetes).
      try {
        await this.client.delete(endpointsResource, namespace, name);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
      this.triggerTimes.delete(key);
      this.stale.delete(key);
      return;
    }
    // ExternalName Services point elsewhere; selector-less ones have hand-made Endpoints.
    if (svc.spec?.type === 'ExternalName') return;
    const selector = this.serviceSelectors.of(svc);
    if (!selector) return;

    const pods = this.podInformer.lister.list(namespace ?? '').filter((p) => matchesLabels(selector, p.metadata.labels));
    // Computed even when nothing is written, so the tracker's view stays current.
    const triggerTime = this.triggerTimes.compute(key, svc, pods);
    const desired = desiredSubsets(svc, pods);
    const { subsets, truncated } = truncateSubsets(desired.subsets, maxEndpointsCapacity);

    const current = this.endpointsInformer.lister.get(key);
    if (this.isStale(key, current)) {
      this.log.debug('endpoints cache behind our last write; waiting', { key });
      return { requeue: true };
    }

    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (current) {
      const currentLabels = { ...(current.metadata.labels ?? {}) };
      delete currentLabels[headlessServiceLabel];
      const annotated = current.metadata.annotations?.[overCapacityAnnotation] !== undefined;
      if (subsetsEqual(current.subsets, subsets) && deepEqual(currentLabels, labels) && annotated === truncated) return;
    }

    const next: KubeObject = current ? clone(current) : { metadata: { name, namespace } };
    next.apiVersion = 'v1';
    next.kind = 'Endpoints';
    if (!isServiceIPSet(svc)) labels[headlessServiceLabel] = '';
    if (Object.keys(labels).length) next.metadata.labels = labels;
    else delete next.metadata.labels;
    const annotations: Record<string, string> = { ...(next.metadata.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[lastChangeTriggerTimeAnnotation] = formatTriggerTime(triggerTime);
    else delete annotations[lastChangeTriggerTimeAnnotation];
    if (truncated) annotations[overCapacityAnnotation] = 'truncated';
    else delete annotations[overCapacityAnnotation];
    if (Object.keys(annotations).length) next.metadata.annotations = annotations;
    else delete next.metadata.annotations;
    if (subsets.length) next.subsets = normalizeSubsets(subsets);
    else delete next.subsets;

    this.log.debug('writing endpoints', { key, ready: desired.ready, notReady: desired.notReady, create: !current });
    if (!current) {
      try {
        await this.client.create(endpointsResource, namespace, next);
      } catch (err) {
        // Nothing can be created in a namespace being deleted: nothing to retry either.
        const causes = err instanceof ApiError ? err.details?.causes ?? [] : [];
        if (causes.some((c) => c.reason === 'NamespaceTerminating')) return;
        this.recorder.event(next, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${namespace}/${name}: ${(err as Error).message}`);
        throw err;
      }
      if (!this.endpointsInformer.lister.get(key)) this.stale.set(key, { resourceVersion: '', at: this.clock.now() });
      return;
    }
    let written: KubeObject;
    try {
      written = await this.client.update(endpointsResource, next);
    } catch (err) {
      this.recorder.event(next, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${(err as Error).message}`);
      throw err;
    }
    if (written.metadata.resourceVersion !== current.metadata.resourceVersion) {
      this.stale.set(key, { resourceVersion: current.metadata.resourceVersion ?? '', at: this.clock.now() });
    }
  }

  /** Whether the cached Endpoints predates this controller's last write of it. */
  private isStale(key: string, current: KubeObject | undefined): boolean {
    const mark = this.stale.get(key);
    if (!mark) return false;
    if (mark.resourceVersion === '') {
      // Created by us but not seen yet; a creation the cache never shows (deleted at once,
      // and the watch relisted past both) stops being awaited after a while.
      if (current) return false;
      if (this.clock.now() - mark.at > createdMarkTtlMs) {
        this.stale.delete(key);
        return false;
      }
      return true;
    }
    return current !== undefined && current.metadata.resourceVersion === mark.resourceVersion;
  }
}
