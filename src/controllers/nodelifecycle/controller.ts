/**
 * NodeLifecycleController: notices nodes whose kubelet went silent and moves their pods away,
 * like kube-controller-manager's node lifecycle, taint eviction and pod GC controllers.
 *
 * - Node health (queue of node names, swept every nodeMonitorPeriod and on node/Lease events):
 *   a node is heard from when its Lease in kube-node-lease is renewed or its Ready condition's
 *   heartbeat moves. Both are timed with this controller's own clock when it sees them (as
 *   Kubernetes does), so clock skew between nodes and controller does not matter. Silent for
 *   longer than the grace period -> its kubelet conditions turn Unknown. Its taints follow its
 *   conditions: Ready=Unknown -> `unreachable`, Ready=False -> `not-ready` (NoExecute and
 *   NoSchedule), pressure conditions and cordoning -> NoSchedule taints; all removed when the
 *   node is healthy again. Pods on a node that is not Ready are marked not Ready.
 * - Taint eviction (queue of pod keys): a pod on a node with NoExecute taints it does not
 *   tolerate is deleted at once; with tolerationSeconds, that long after the taint's timeAdded.
 * - Pod GC: a pod bound to a node that no longer exists is force-deleted, and so is a deleting
 *   pod on a node that is not Ready and has the out-of-service taint. An evicted pod on a node
 *   that is merely unreachable stays Terminating until its kubelet is back, as in Kubernetes.
 *   A pod that has not finished is first marked Failed (an orphan also gets the DisruptionTarget
 *   condition, reason DeletionByPodGC), since no kubelet is left to say how it ended. Every
 *   gcCheckPeriod, once more pods have finished (Succeeded or Failed) than the terminated-pod
 *   threshold, the oldest of them are deleted, evicted ones first.
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { resourceTypeFor } from '../../api/registry.js';
import { realClock, rfc3339, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Informer, InformerFactory, KubeClient } from '../../client/interfaces.js';
import { objectKey } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { runController, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { conditionsForSilentNode, deletingPodsMayBeForced, nodeCondition, reconcileTaints } from './node-health.js';
import { evictionDeadline, noExecuteTaints, type Taint, type Toleration } from './taint-eviction.js';

const nodesRes = resourceTypeFor('', 'v1', 'nodes')!;
const podsRes = resourceTypeFor('', 'v1', 'pods')!;
const leasesRes = resourceTypeFor('coordination.k8s.io', 'v1', 'leases')!;

export const nodeLeaseNamespace = 'kube-node-lease';
/** The pod index by spec.nodeName; other components may declare the same one on a shared informer. */
export const podsByNodeIndex = 'spec.nodeName';

export interface NodeLifecycleControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  recorder: EventRecorder;
  /**
   * Records TaintManagerEviction events; Kubernetes' taint eviction controller signs them as
   * "taint-eviction-controller", apart from the node controller's (default: `recorder`).
   */
  evictionRecorder?: EventRecorder;
  clock?: Clock;
  logger: Logger;
  /** How long a node may go unheard before it is marked Unknown (default 40 s, --node-monitor-grace-period). */
  nodeMonitorGracePeriodMs?: number;
  /** How often every node's health is checked (default 5 s, --node-monitor-period). */
  nodeMonitorPeriodMs?: number;
  /** Grace for a node that has never posted a Ready condition (default 60 s, --node-startup-grace-period). */
  nodeStartupGracePeriodMs?: number;
  /** How long a pod's node must stay missing before the pod is force-deleted (default 40 s, as Kubernetes' pod GC). */
  orphanPodQuarantineMs?: number;
  /** Nodes checked concurrently (default 4). */
  nodeWorkers?: number;
  /** Pods checked for eviction concurrently (default 8). */
  evictionWorkers?: number;
  /**
   * Finished pods (Succeeded or Failed) kept before the oldest are deleted (default 12,500, as
   * --terminated-pod-gc-threshold; 0 keeps them all).
   */
  terminatedPodGCThreshold?: number;
  /** How often finished pods are counted against the threshold (default 20 s, as Kubernetes' pod GC). */
  gcCheckPeriodMs?: number;
}

/** What this controller has heard from one node, in its own clock. */
interface NodeHealth {
  /** When the node was last heard from. */
  probeAt: number;
  readyHeartbeat?: string;
  leaseRenewMs?: number;
  /** Ready status at the previous check, to notice the True -> not-True edge. */
  readyStatus?: string;
  /** The node as last seen, for the event when it disappears. */
  node: KubeObject;
}

const terminalPhases = new Set(['Succeeded', 'Failed']);

function isCode(err: unknown, ...codes: number[]): boolean {
  return err instanceof ApiError && codes.includes(err.code);
}

/** Declares the nodeName index on the pods informer, unless another component already did. */
function ensureNodeNameIndex(informer: Informer): void {
  try {
    informer.addIndex(podsByNodeIndex, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
  } catch (err) {
    try {
      informer.lister.byIndex(podsByNodeIndex, '');
    } catch {
      throw err;
    }
  }
}

export class NodeLifecycleController {
  private readonly client: KubeClient;
  private readonly recorder: EventRecorder;
  private readonly evictionRecorder: EventRecorder;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly graceMs: number;
  private readonly periodMs: number;
  private readonly startupGraceMs: number;
  private readonly quarantineMs: number;
  private readonly terminatedThreshold: number;
  private readonly gcCheckPeriodMs: number;
  private cancelGC?: () => void;
  private readonly nodeWorkers: number;
  private readonly evictionWorkers: number;
  private readonly informers: InformerFactory;
  private readonly nodeInformer: Informer;
  private readonly leaseInformer: Informer;
  private readonly podInformer: Informer;
  private readonly nodeQueue: RateLimitedQueue;
  private readonly podQueue: RateLimitedQueue;
  private runners: ControllerHandle[] = [];
  private cancelSweep?: () => void;
  private stopped = false;
  private readonly health = new Map<string, NodeHealth>();
  /** Pods waiting out a toleration, so a cancelled eviction can be reported. */
  private readonly scheduledEvictions = new Set<string>();
  /**
   * When this controller added a NoExecute taint, or first saw one that has no timeAdded
   * ("node|key"), to the millisecond: timeAdded has whole seconds only.
   */
  private readonly taintSeenAt = new Map<string, number>();
  /** When a pod's node was first found missing (by node name). */
  private readonly nodeMissingSince = new Map<string, number>();

  constructor(opts: NodeLifecycleControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.evictionRecorder = opts.evictionRecorder ?? opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ controller: 'node-lifecycle' });
    this.graceMs = opts.nodeMonitorGracePeriodMs ?? 40_000;
    this.periodMs = opts.nodeMonitorPeriodMs ?? 5_000;
    this.startupGraceMs = opts.nodeStartupGracePeriodMs ?? 60_000;
    this.quarantineMs = opts.orphanPodQuarantineMs ?? 40_000;
    this.terminatedThreshold = opts.terminatedPodGCThreshold ?? 12_500;
    this.gcCheckPeriodMs = opts.gcCheckPeriodMs ?? 20_000;
    this.nodeWorkers = opts.nodeWorkers ?? 4;
    this.evictionWorkers = opts.evictionWorkers ?? 8;
    this.informers = opts.informers;
    this.nodeQueue = new RateLimitedQueue({ clock: this.clock });
    this.podQueue = new RateLimitedQueue({ clock: this.clock });

    this.nodeInformer = opts.informers.informerFor(nodesRes);
    // All namespaces, filtered here: the garbage collector watches every Lease anyway, so the
    // controller manager shares that one watch instead of opening a second for the busiest kind.
    this.leaseInformer = opts.informers.informerFor(leasesRes);
    this.podInformer = opts.informers.informerFor(podsRes);
    ensureNodeNameIndex(this.podInformer);

    this.nodeInformer.addHandlers({
      onAdd: (node) => this.onNode(undefined, node),
      onUpdate: (old, node) => this.onNode(old, node),
      onDelete: (node) => this.onNode(node, undefined),
    });
    const onLease = (lease: KubeObject) => {
      if (lease.metadata.namespace === nodeLeaseNamespace) this.nodeQueue.add(lease.metadata.name!);
    };
    this.leaseInformer.addHandlers({ onAdd: onLease, onUpdate: (_old, lease) => onLease(lease) });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.onPod(pod),
      onUpdate: (_old, pod) => this.onPod(pod),
      onDelete: (pod) => this.podQueue.add(objectKey(pod)),
    });
  }

  async start(): Promise<void> {
    await this.informers.start();
    if (this.stopped) return;
    this.runners = [
      runController({ name: 'node-lifecycle', queue: this.nodeQueue, workers: this.nodeWorkers, reconcile: (k) => this.syncNode(k), logger: this.log }),
      runController({ name: 'taint-eviction', queue: this.podQueue, workers: this.evictionWorkers, reconcile: (k) => this.syncPod(k), logger: this.log }),
    ];
    this.sweep();
    this.scheduleTerminatedGC();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelSweep?.();
    this.cancelGC?.();
    this.nodeQueue.shutDown();
    this.podQueue.shutDown();
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  // --- Event handlers: only turn events into keys ---------------------------------------------

  private onNode(old: KubeObject | undefined, node: KubeObject | undefined): void {
    const name = (node ?? old)!.metadata.name!;
    this.nodeQueue.add(name);
    // A change of NoExecute taints, of whether deleting pods may be forced (or the node itself)
    // changes what its pods must do.
    const taints = (n?: KubeObject) => JSON.stringify(n ? [noExecuteTaints(n), deletingPodsMayBeForced(n)] : null);
    if (!old || !node || taints(old) !== taints(node)) {
      for (const pod of this.podInformer.lister.byIndex(podsByNodeIndex, name)) this.podQueue.add(objectKey(pod));
    }
  }

  private onPod(pod: KubeObject): void {
    const nodeName: string | undefined = pod.spec?.nodeName;
    if (!nodeName) return;
    // Most pods sit on healthy nodes; only those this controller may have to act on are queued.
    const node = this.nodeInformer.lister.get(nodeName);
    if (!node || pod.metadata.deletionTimestamp || noExecuteTaints(node).length > 0) this.podQueue.add(objectKey(pod));
  }

  /** Queues every node every nodeMonitorPeriod: silence is noticed by looking, not by an event. */
  private sweep(): void {
    if (this.stopped) return;
    for (const node of this.nodeInformer.lister.list()) this.nodeQueue.add(node.metadata.name!);
    this.cancelSweep = this.clock.setTimeout(() => this.sweep(), this.periodMs);
  }

  // --- Node health ----------------------------------------------------------------------------

  private async syncNode(name: string): Promise<ReconcileResult | void> {
    const now = this.clock.now();
    let node = this.nodeInformer.lister.get(name);
    if (!node) {
      this.forgetTaintsExcept(name, []);
      const gone = this.health.get(name);
      if (gone) {
        this.health.delete(name);
        this.nodeEvent(gone.node, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      }
      return;
    }
    const ready = nodeCondition(node, 'Ready');
    const lease = this.leaseInformer.lister.get(`${nodeLeaseNamespace}/${name}`);
    const renewMs = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : undefined;
    let h = this.health.get(name);
    if (!h) {
      h = { probeAt: now, readyHeartbeat: ready?.lastHeartbeatTime, leaseRenewMs: renewMs, readyStatus: ready?.status, node };
      this.health.set(name, h);
      this.nodeEvent(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
    } else {
      if (ready?.lastHeartbeatTime !== h.readyHeartbeat) {
        h.readyHeartbeat = ready?.lastHeartbeatTime;
        h.probeAt = now;
      }
      if (renewMs !== undefined && !Number.isNaN(renewMs) && (h.leaseRenewMs === undefined || renewMs > h.leaseRenewMs)) {
        h.leaseRenewMs = renewMs;
        h.probeAt = now;
      }
    }
    h.node = node;

    const grace = ready ? this.graceMs : this.startupGraceMs;
    if (now - h.probeAt > grace) {
      const conditions = conditionsForSilentNode(node, now);
      if (conditions) {
        this.log.info('node stopped posting status; marking its conditions Unknown', { node: name, silentForMs: now - h.probeAt });
        node = await this.client.update(nodesRes, { ...node, status: { ...node.status, conditions } }, { subresource: 'status' });
        h.readyHeartbeat = nodeCondition(node, 'Ready')?.lastHeartbeatTime;
        h.node = node;
      }
    }

    const readyStatus = nodeCondition(node, 'Ready')?.status;
    if (h.readyStatus === 'True' && readyStatus !== 'True') {
      this.nodeEvent(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    h.readyStatus = readyStatus;

    const taints = reconcileTaints(node, now);
    if (taints) {
      this.log.info('updating node taints', { node: name, taints: taints.map((t) => `${t.key}:${t.effect}`) });
      node = await this.client.update(nodesRes, { ...node, spec: { ...node.spec, taints } });
      h.node = node;
      for (const t of noExecuteTaints(node)) {
        if (t.timeAdded === rfc3339(now)) this.taintSeenAt.set(`${name}|${t.key}`, now);
      }
    }
    this.forgetTaintsExcept(name, noExecuteTaints(node));

    if (readyStatus !== 'True') await this.markPodsNotReady(node);
  }

  /** Turns off the Ready condition of the node's pods, so Services stop sending them traffic. */
  private async markPodsNotReady(node: KubeObject): Promise<void> {
    const name = node.metadata.name!;
    for (const pod of this.podInformer.lister.byIndex(podsByNodeIndex, name)) {
      if (terminalPhases.has(pod.status?.phase)) continue;
      const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
      if (ready?.status !== 'True') continue;
      try {
        await this.client.patch(
          podsRes,
          pod.metadata.namespace,
          pod.metadata.name!,
          'strategic',
          { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(this.clock.now()) }] } },
          { subresource: 'status' },
        );
        this.podEvent(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isCode(err, 404)) throw err;
      }
    }
  }

  // --- Taint eviction and pod GC --------------------------------------------------------------

  private async syncPod(key: string): Promise<ReconcileResult | void> {
    const pod = this.podInformer.lister.get(key);
    const nodeName: string | undefined = pod?.spec?.nodeName;
    if (!pod || !nodeName) {
      this.scheduledEvictions.delete(key);
      return;
    }
    const node = this.nodeInformer.lister.get(nodeName);
    if (!node) return this.collectOrphan(pod, nodeName);
    this.nodeMissingSince.delete(nodeName);

    const taints = noExecuteTaints(node);
    if (pod.metadata.deletionTimestamp) {
      this.scheduledEvictions.delete(key);
      // The pod's kubelet finishes this deletion; only a node declared out of service is not waited for.
      if (deletingPodsMayBeForced(node)) await this.markFailedAndForceDelete(pod, 'its node is out of service');
      return;
    }
    const now = this.clock.now();
    const deadline = evictionDeadline((pod.spec?.tolerations ?? []) as Toleration[], taints, (t) => this.taintSince(nodeName, t, now));
    if (deadline === Number.POSITIVE_INFINITY) {
      if (this.scheduledEvictions.delete(key)) {
        this.evictionEvent(pod, `Cancelling deletion of Pod ${key}`);
      }
      return;
    }
    if (now < deadline) {
      this.scheduledEvictions.add(key);
      return { requeueAfterMs: deadline - now };
    }
    this.scheduledEvictions.delete(key);
    await this.evict(pod, key);
  }

  private forgetTaintsExcept(nodeName: string, taints: readonly Taint[]): void {
    for (const k of this.taintSeenAt.keys()) {
      const bar = k.lastIndexOf('|');
      if (k.slice(0, bar) === nodeName && !taints.some((t) => t.key === k.slice(bar + 1))) this.taintSeenAt.delete(k);
    }
  }

  /** When the taint was added: its timeAdded, refined to the millisecond when this controller added it. */
  private taintSince(nodeName: string, t: Taint, now: number): number {
    const k = `${nodeName}|${t.key}`;
    const seen = this.taintSeenAt.get(k);
    const added = t.timeAdded ? Date.parse(t.timeAdded) : Number.NaN;
    if (!Number.isNaN(added)) return seen !== undefined && rfc3339(seen) === rfc3339(added) ? seen : added;
    if (seen !== undefined) return seen;
    this.taintSeenAt.set(k, now);
    return now;
  }

  private async evict(pod: KubeObject, key: string): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    this.log.info('evicting pod from tainted node', { pod: key, node: pod.spec.nodeName });
    this.evictionEvent(pod, `Marking for deletion Pod ${key}`);
    try {
      // Says why the pod goes, for whoever watches it (Kubernetes' DisruptionTarget condition).
      await this.client.patch(
        podsRes,
        namespace,
        name!,
        'strategic',
        {
          status: {
            conditions: [
              {
                type: 'DisruptionTarget',
                status: 'True',
                reason: 'DeletionByTaintManager',
                message: 'Taint manager: deleting due to NoExecute taint',
                lastTransitionTime: rfc3339(this.clock.now()),
              },
            ],
          },
        },
        { subresource: 'status' },
      );
      await this.client.delete(podsRes, namespace, name!, { preconditions: { uid } });
    } catch (err) {
      // Gone, or replaced by another pod of that name: nothing left to evict.
      if (!isCode(err, 404, 409)) throw err;
    }
  }

  /**
   * Deletes a pod with no grace period. One that has not finished is first marked Failed, with
   * `condition` if given: its kubelet is gone or out of service and will never say how it ended.
   */
  private async markFailedAndForceDelete(pod: KubeObject, why: string, condition?: Record<string, string>): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    this.log.info('force-deleting pod', { pod: objectKey(pod), node: pod.spec?.nodeName, why });
    try {
      if (!terminalPhases.has(pod.status?.phase)) {
        const status: Record<string, unknown> = { phase: 'Failed' };
        if (condition) status.conditions = [{ ...condition, status: 'True', lastTransitionTime: rfc3339(this.clock.now()) }];
        // The uid makes the patch a precondition: a new pod of the same name is left alone.
        await this.client.patch(podsRes, namespace, name!, 'strategic', { metadata: { uid }, status }, { subresource: 'status' });
      }
      await this.client.delete(podsRes, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      if (!isCode(err, 404, 409)) throw err;
    }
  }

  /** Counts finished pods against the threshold every gcCheckPeriod. */
  private scheduleTerminatedGC(): void {
    if (this.stopped || this.terminatedThreshold <= 0) return;
    this.cancelGC = this.clock.setTimeout(() => {
      this.gcTerminated()
        .catch((err: Error) => this.log.error('terminated pod GC failed', { error: err.message }))
        .finally(() => this.scheduleTerminatedGC());
    }, this.gcCheckPeriodMs);
  }

  /** Deletes the oldest finished pods beyond the threshold, evicted ones first. */
  private async gcTerminated(): Promise<void> {
    const finished = this.podInformer.lister.list().filter((p) => terminalPhases.has(p.status?.phase) && !p.metadata.deletionTimestamp);
    const excess = finished.length - this.terminatedThreshold;
    if (excess <= 0) return;
    const evicted = (p: KubeObject) => (p.status?.phase === 'Failed' && p.status?.reason === 'Evicted' ? 0 : 1);
    finished.sort(
      (a, b) =>
        evicted(a) - evicted(b) ||
        Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') ||
        (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0),
    );
    this.log.info('garbage collecting finished pods', { pods: excess, threshold: this.terminatedThreshold });
    const victims = finished.slice(0, excess);
    // A few at a time: thousands of deletes at once would crowd out every other client.
    for (let i = 0; i < victims.length; i += 16) {
      if (this.stopped) return;
      await Promise.all(victims.slice(i, i + 16).map((p) => this.markFailedAndForceDelete(p, 'more finished pods than the threshold')));
    }
  }

  /** A pod bound to a node that is not there: force-deleted once the node stays missing past the quarantine. */
  private async collectOrphan(pod: KubeObject, nodeName: string): Promise<ReconcileResult | void> {
    const now = this.clock.now();
    let since = this.nodeMissingSince.get(nodeName);
    if (since === undefined) this.nodeMissingSince.set(nodeName, (since = now));
    if (now - since < this.quarantineMs) return { requeueAfterMs: since + this.quarantineMs - now };
    // The cache may lag; only the API server can say the node is really gone.
    try {
      await this.client.get(nodesRes, undefined, nodeName);
      this.nodeMissingSince.delete(nodeName);
      return;
    } catch (err) {
      if (!isCode(err, 404)) throw err;
    }
    await this.markFailedAndForceDelete(pod, `its node ${nodeName} does not exist`, {
      type: 'DisruptionTarget',
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
  }

  // --- Events ---------------------------------------------------------------------------------

  private nodeEvent(node: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata.name, uid: node.metadata.uid } }, type, reason, message);
  }

  private podEvent(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, type, reason, message);
  }

  private evictionEvent(pod: KubeObject, message: string): void {
    this.evictionRecorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, 'Normal', 'TaintManagerEviction', message);
  }
}
