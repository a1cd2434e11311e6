/**
 * The EndpointSlice mirroring controller (kube-controller-manager's
 * endpointslice-mirroring-controller, pkg/controller/endpointslicemirroring): for every
 * Service without a selector whose Endpoints object is kept by hand, keeps EndpointSlices
 * labelled `kubernetes.io/service-name=<service>` and managed by
 * `endpointslicemirroring-controller.k8s.io` that say what the Endpoints says, so that slice
 * readers (kube-proxy, `kubectl describe service`) see those endpoints too.
 *
 * Event handlers turn Endpoints, Service and slice events into Endpoints keys (which are the
 * Service keys); a worker re-reads the Endpoints, its Service and the mirrored slices from the
 * informer caches, plans the writes with planMirroredSlices and carries them out. When the
 * Endpoints or its Service goes, the Service gains a selector, or the Endpoints opts out, the
 * mirrored slices are deleted. As in Kubernetes, the Service's type does not matter: an
 * ExternalName Service without a selector has its hand-made Endpoints mirrored too.
 */
import type { KubeObject } from '../../api/object.js';
import { endpoints as endpointsResource } from '../../api/kinds/endpoints.js';
import { endpointslices as slicesResource, managedByLabel, serviceNameLabel } from '../../api/kinds/endpointslices.js';
import { services as servicesResource } from '../../api/kinds/services.js';
import { runController, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { objectKey, splitKey, type Informer, type InformerFactory, type KubeClient } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { ServiceSelectors } from '../endpoint/pod-endpoints.js';
import { EndpointSliceTracker, ownSliceHandlers } from '../endpointslice/slice-tracker.js';
import { writeSliceChanges } from '../endpointslice/slice-writer.js';
import { controllerName, defaultMaxEndpointsPerSubset, planMirroredSlices, shouldMirror } from './reconciler.js';

export { controllerName } from './reconciler.js';

export interface EndpointSliceMirroringControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  /** Where the mirroring warnings go (source endpoint-slice-mirroring-controller). */
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  logger: Logger;
  /** Endpoints synced concurrently (--mirroring-concurrent-service-endpoint-syncs, default 5). */
  workers?: number;
  /** Addresses mirrored per Endpoints subset (--mirroring-max-endpoints-per-subset, default 1000). */
  maxEndpointsPerSubset?: number;
  /** How long a slice change waits before its Endpoints syncs (--mirroring-endpointslice-updates-batch-period, default 0). */
  endpointUpdatesBatchPeriodMs?: number;
}

export class EndpointSliceMirroringController {
  private readonly client: KubeClient;
  private readonly recorder: Pick<EventRecorder, 'event'>;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly maxPerSubset: number;
  private readonly batchMs: number;
  private readonly endpointsInformer: Informer;
  private readonly serviceInformer: Informer;
  private readonly sliceInformer: Informer;
  private readonly serviceSelectors: ServiceSelectors;
  private readonly queue: RateLimitedQueue;
  private readonly tracker = new EndpointSliceTracker((s) => s.metadata.labels?.[serviceNameLabel] ?? '');
  private handle?: ControllerHandle;
  private stopped = false;

  constructor(opts: EndpointSliceMirroringControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.log = opts.logger.child({ controller: 'endpointslicemirroring' });
    this.workers = opts.workers ?? 5;
    this.maxPerSubset = opts.maxEndpointsPerSubset ?? defaultMaxEndpointsPerSubset;
    this.batchMs = opts.endpointUpdatesBatchPeriodMs ?? 0;
    this.queue = new RateLimitedQueue({ clock: opts.clock ?? realClock });

    this.endpointsInformer = opts.informers.informerFor(endpointsResource);
    this.serviceInformer = opts.informers.informerFor(servicesResource);
    this.serviceSelectors = new ServiceSelectors(this.serviceInformer);
    this.sliceInformer = opts.informers.informerFor(slicesResource);

    this.endpointsInformer.addHandlers({
      onAdd: (ep) => {
        if (shouldMirror(ep)) this.queue.add(objectKey(ep));
      },
      // One that stops being mirrored still syncs, to delete its slices.
      onUpdate: (old, cur) => {
        if (shouldMirror(old) || shouldMirror(cur)) this.queue.add(objectKey(cur));
      },
      onDelete: (ep) => {
        if (shouldMirror(ep)) this.queue.add(objectKey(ep));
      },
    });
    this.serviceInformer.addHandlers({
      onAdd: (svc) => {
        if (this.mirrorsFor(svc)) this.queue.add(objectKey(svc));
      },
      onUpdate: (old, cur) => {
        if (this.mirrorsFor(old) !== this.mirrorsFor(cur)) this.queue.add(objectKey(cur));
      },
      onDelete: (svc) => {
        if (this.mirrorsFor(svc)) this.queue.add(objectKey(svc));
      },
    });
    this.sliceInformer.addHandlers(ownSliceHandlers((slice) => this.managedHere(slice), this.tracker, (slice) => this.enqueueForSlice(slice)));
  }

  /** Starts the workers once the Endpoints, Service and slice caches hold their initial lists. */
  async start(): Promise<void> {
    if (this.handle || this.stopped) return;
    await Promise.all([this.endpointsInformer.start(), this.serviceInformer.start(), this.sliceInformer.start()]);
    if (this.stopped) return;
    this.handle = runController({
      name: 'endpointslicemirroring',
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.syncEndpoints(key),
      logger: this.log,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.shutDown();
    await this.handle?.stop();
  }

  // --- event handlers: events to keys ----------------------------------------------------------

  /** Whether a Service's Endpoints are mirrored: it has no selector. */
  private mirrorsFor(svc: KubeObject): boolean {
    return this.serviceSelectors.of(svc) === null;
  }

  private managedHere(slice: KubeObject): boolean {
    return slice.metadata.labels?.[managedByLabel] === controllerName;
  }

  private enqueueForSlice(slice: KubeObject): void {
    const svc = slice.metadata.labels?.[serviceNameLabel];
    if (!svc) return;
    this.queue.addAfter(`${slice.metadata.namespace}/${svc}`, this.batchMs);
  }

  // --- the sync ----------------------------------------------------------------------------------

  /**
   * Brings the mirrored slices of one Endpoints object (by "namespace/name" key) in line with
   * it, or deletes them when it is not to be mirrored. Rejects to be retried with back-off;
   * asks for a requeue while the slice cache lags behind this controller's writes.
   */
  async syncEndpoints(key: string): Promise<ReconcileResult | void> {
    const { namespace = '', name } = splitKey(key);
    const endpoints = this.endpointsInformer.lister.get(key);
    const svc = this.serviceInformer.lister.get(key);
    const slices = this.sliceInformer.lister.list(namespace).filter((s) => s.metadata.labels?.[serviceNameLabel] === name && this.managedHere(s));
    if (!endpoints || !shouldMirror(endpoints) || !svc || !this.mirrorsFor(svc)) {
      this.tracker.deleteService(key);
      if (slices.length) this.log.debug('endpoints not mirrored; deleting mirrored slices', { key, slices: slices.length });
      await writeSliceChanges({ create: [], update: [], delete: slices }, this.writeOptions(namespace, `Endpoints ${key}`, false));
      return;
    }
    if (this.tracker.staleSlices(key, slices)) {
      this.log.debug('endpointslice cache behind our last write; waiting', { key });
      return { requeue: true };
    }

    const plan = planMirroredSlices({ endpoints, existing: slices, maxEndpointsPerSubset: this.maxPerSubset });
    if (plan.invalidAddresses > 0) {
      this.recorder.event(endpoints, 'Warning', 'InvalidIPAddress', `Skipped ${plan.invalidAddresses} invalid IP addresses when mirroring to EndpointSlices`);
    }
    if (plan.skippedAddresses > plan.invalidAddresses) {
      this.recorder.event(
        endpoints,
        'Warning',
        'TooManyAddressesToMirror',
        `A max of ${this.maxPerSubset} addresses can be mirrored to EndpointSlices per Endpoints subset. ${plan.skippedAddresses} addresses were skipped`,
      );
    }
    try {
      // No new slices for an Endpoints being deleted: the garbage collector would race them.
      await writeSliceChanges(plan, this.writeOptions(namespace, `Endpoints ${key}`, !endpoints.metadata.deletionTimestamp));
    } catch (err) {
      this.recorder.event(endpoints, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Endpoints ${key}: ${(err as Error).message}`);
      throw err;
    }
  }

  private writeOptions(namespace: string, owner: string, allowCreate: boolean) {
    return { client: this.client, tracker: this.tracker, namespace, owner, allowCreate };
  }
}
