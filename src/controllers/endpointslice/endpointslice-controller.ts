/**
 * The EndpointSlice controller (kube-controller-manager's endpointslice-controller,
 * pkg/controller/endpointslice): for every Service with a selector, keeps EndpointSlices
 * labelled `kubernetes.io/service-name=<service>` and managed by
 * `endpointslice-controller.k8s.io`, listing the pods the selector picks with their
 * readiness, serving and terminating conditions, node, zone and resolved ports.
 *
 * Event handlers turn Service, pod and slice events into Service keys; a worker re-reads the
 * Service, its pods and its slices from the informer caches, plans the writes with
 * reconcileSlices and carries them out. Slices of a deleted Service are left to the garbage
 * collector (they are owned by it). The slice tracker keeps a stale cache from causing double
 * writes and tells this controller's own echoes from changes made by others.
 */
import { matchesLabels } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { endpointslices as slicesResource, managedByLabel, serviceNameLabel } from '../../api/kinds/endpointslices.js';
import { nodes as nodesResource } from '../../api/kinds/nodes.js';
import { pods as podsResource } from '../../api/kinds/pods.js';
import { services as servicesResource } from '../../api/kinds/services.js';
import { runController, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { objectKey, splitKey, type Informer, type InformerFactory, type KubeClient } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { ServiceSelectors } from '../endpoint/pod-endpoints.js';
import { formatTriggerTime, TriggerTimeTracker } from '../endpoint/trigger-time.js';
import { reconcileSlices } from './reconciler.js';
import { EndpointSliceTracker, ownSliceHandlers } from './slice-tracker.js';
import { writeSliceChanges } from './slice-writer.js';

/** The managed-by value of the slices this controller owns. */
export const controllerName = 'endpointslice-controller.k8s.io';
/** When the change a slice reflects happened (see trigger-time.ts). */
export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Slice events wait at least this long before their Service syncs (kube's endpointSliceChangeMinSyncDelay). */
const sliceChangeMinSyncDelayMs = 1000;

export interface EndpointSliceControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  /** Where FailedToUpdateEndpointSlices warnings go (source endpoint-slice-controller). */
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  logger: Logger;
  /** Services synced concurrently (--concurrent-service-endpoint-syncs, default 5). */
  workers?: number;
  /** Endpoints per slice (--max-endpoints-per-slice, default 100; the API allows up to 1000). */
  maxEndpointsPerSlice?: number;
  /** How long a pod change waits before its Services sync (--endpointslice-updates-batch-period, default 0). */
  endpointUpdatesBatchPeriodMs?: number;
}

export class EndpointSliceController {
  private readonly client: KubeClient;
  private readonly recorder: Pick<EventRecorder, 'event'>;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly maxPerSlice: number;
  private readonly batchMs: number;
  private readonly serviceInformer: Informer;
  private readonly podInformer: Informer;
  private readonly nodeInformer: Informer;
  private readonly sliceInformer: Informer;
  private readonly queue: RateLimitedQueue;
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly tracker = new EndpointSliceTracker((s) => s.metadata.labels?.[serviceNameLabel] ?? '');
  private readonly serviceSelectors: ServiceSelectors;
  private handle?: ControllerHandle;
  private stopped = false;

  constructor(opts: EndpointSliceControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.log = opts.logger.child({ controller: 'endpointslice' });
    this.workers = opts.workers ?? 5;
    this.maxPerSlice = opts.maxEndpointsPerSlice ?? 100;
    this.batchMs = opts.endpointUpdatesBatchPeriodMs ?? 0;
    this.queue = new RateLimitedQueue({ clock: opts.clock ?? realClock });

    this.serviceInformer = opts.informers.informerFor(servicesResource);
    this.serviceSelectors = new ServiceSelectors(this.serviceInformer);
    this.podInformer = opts.informers.informerFor(podsResource);
    this.nodeInformer = opts.informers.informerFor(nodesResource);
    this.sliceInformer = opts.informers.informerFor(slicesResource);

    this.serviceInformer.addHandlers({
      onAdd: (svc) => this.queue.add(objectKey(svc)),
      onUpdate: (_old, cur) => this.queue.add(objectKey(cur)),
      onDelete: (svc) => this.queue.add(objectKey(svc)),
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.enqueueServices(this.serviceSelectors.selecting(pod.metadata.namespace, pod.metadata.labels)),
      onUpdate: (old, cur) => this.enqueueServices(this.serviceSelectors.forPodUpdate(old, cur)),
      onDelete: (pod) => this.enqueueServices(this.serviceSelectors.selecting(pod.metadata.namespace, pod.metadata.labels)),
    });
    this.sliceInformer.addHandlers(ownSliceHandlers((slice) => this.managedHere(slice), this.tracker, (slice) => this.enqueueForSlice(slice)));
  }

  /** Starts the workers once the Service, pod, node and slice caches hold their initial lists. */
  async start(): Promise<void> {
    if (this.handle || this.stopped) return;
    await Promise.all([this.serviceInformer.start(), this.podInformer.start(), this.nodeInformer.start(), this.sliceInformer.start()]);
    if (this.stopped) return;
    this.handle = runController({
      name: 'endpointslice',
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.syncService(key),
      logger: this.log,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.shutDown();
    await this.handle?.stop();
  }

  // --- event handlers: events to keys ----------------------------------------------------------

  private managedHere(slice: KubeObject): boolean {
    return slice.metadata.labels?.[managedByLabel] === controllerName;
  }

  private enqueueForSlice(slice: KubeObject): void {
    const svc = slice.metadata.labels?.[serviceNameLabel];
    if (!svc) return;
    this.queue.addAfter(`${slice.metadata.namespace}/${svc}`, Math.max(sliceChangeMinSyncDelayMs, this.batchMs));
  }

  private enqueueServices(keys: Iterable<string>): void {
    for (const key of keys) this.queue.addAfter(key, this.batchMs);
  }

  // --- the sync ----------------------------------------------------------------------------------

  /**
   * Brings the slices of one Service (by "namespace/name" key) in line with its pods. Rejects
   * to be retried with back-off; asks for a requeue while the slice cache lags behind this
   * controller's writes or a pod's node is not known yet.
   */
  async syncService(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const svc = this.serviceInformer.lister.get(key);
    if (!svc) {
      // Its slices are owned by it: the garbage collector deletes them.
      this.triggerTimes.delete(key);
      this.tracker.deleteService(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = this.serviceSelectors.of(svc);
    if (!selector) return;

    const pods = this.podInformer.lister.list(namespace ?? '').filter((p) => matchesLabels(selector, p.metadata.labels));
    const slices = this.sliceInformer.lister
      .list(namespace ?? '')
      .filter((s) => s.metadata.labels?.[serviceNameLabel] === name && this.managedHere(s) && !s.metadata.deletionTimestamp);
    if (this.tracker.staleSlices(key, slices)) {
      this.log.debug('endpointslice cache behind our last write; waiting', { key });
      return { requeue: true };
    }
    // Computed even when nothing is written, so the tracker's view stays current.
    const triggerTime = this.triggerTimes.compute(key, svc, pods);

    const plan = reconcileSlices({
      service: svc,
      pods,
      existing: slices,
      node: (n) => this.nodeInformer.lister.get(n),
      maxEndpointsPerSlice: this.maxPerSlice,
      controllerName,
    });
    try {
      await this.apply(svc, plan.create, plan.update, plan.delete, triggerTime);
    } catch (err) {
      this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${namespace}/${name}: ${(err as Error).message}`);
      throw err;
    }
    if (plan.podsOnMissingNodes.length) {
      this.log.info('skipped pods whose node is unknown; will retry', { key, pods: plan.podsOnMissingNodes });
      return { requeue: true };
    }
  }

  private async apply(svc: KubeObject, create: KubeObject[], update: KubeObject[], del: KubeObject[], triggerTime: number | undefined): Promise<void> {
    await writeSliceChanges(
      { create, update, delete: del },
      {
        client: this.client,
        tracker: this.tracker,
        namespace: svc.metadata.namespace ?? '',
        owner: `Service ${svc.metadata.namespace}/${svc.metadata.name}`,
        // No new slices for a Service being deleted: the garbage collector would race them.
        allowCreate: !svc.metadata.deletionTimestamp,
        beforeWrite: (slice) => {
          const annotations: Record<string, string> = { ...(slice.metadata.annotations ?? {}) };
          if (triggerTime !== undefined) annotations[lastChangeTriggerTimeAnnotation] = formatTriggerTime(triggerTime);
          else delete annotations[lastChangeTriggerTimeAnnotation];
          if (Object.keys(annotations).length) slice.metadata.annotations = annotations;
          else delete slice.metadata.annotations;
        },
      },
    );
  }
}
