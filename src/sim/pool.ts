/**
 * SimNodePool: many simulated nodes in one process, like kwok. The nodes register, heartbeat
 * (a Lease in kube-node-lease, and their status) and carry the pods bound to them through the
 * stages in `stages.ts`, with no containers anywhere. Built to scale to thousands of nodes:
 * one pod informer and one node informer for the whole pool, one work queue of pod keys, and
 * one heartbeat timer that renews every node's Lease in a bounded-concurrency batch.
 *
 * stop() ends the heartbeats and the pod handling but leaves the Nodes registered, which is
 * what the cluster sees when a kubelet dies; start() again brings them back.
 */
import { randomBytes } from 'node:crypto';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { resourceTypeFor } from '../api/registry.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Informer, InformerFactory, KubeClient } from '../client/interfaces.js';
import { objectKey } from '../client/interfaces.js';
import { SharedInformerFactory, stripManagedFields } from '../client/informer.js';
import { RateLimitedQueue } from '../client/workqueue.js';
import { runController, type ControllerHandle, type ReconcileResult } from '../client/controller.js';
import type { EventRecorder } from '../client/events.js';
import { SimNode } from './node.js';
import { podStatusAfter } from './pod-status.js';
import { defaultPodStages, matchStage, stageDelay, type Stage } from './stages.js';

const nodesRes = resourceTypeFor('', 'v1', 'nodes')!;
const podsRes = resourceTypeFor('', 'v1', 'pods')!;
const leasesRes = resourceTypeFor('coordination.k8s.io', 'v1', 'leases')!;

export const nodeLeaseNamespace = 'kube-node-lease';

export interface SimNodePoolOptions {
  client: KubeClient;
  /** A shared factory to take the node and pod informers from; the pool makes (and stops) its own otherwise. */
  informers?: InformerFactory;
  /** Records the events stages ask for; none are recorded without it. */
  recorder?: EventRecorder;
  clock?: Clock;
  logger: Logger;
  /** How many nodes. */
  nodes: number;
  /** Nodes are named <prefix>-0 .. <prefix>-<n-1> (default "sim-node"). */
  prefix?: string;
  /** Capacity (and allocatable) of every node (default cpu 32, memory 256Gi, pods 110). */
  capacity?: Record<string, string>;
  /** Extra node labels. */
  labels?: Record<string, string>;
  /** The pod lifecycle to play (default `defaultPodStages`). */
  stages?: readonly Stage[];
  /** Where the pool's nodes sit in the made-up address plan (default: derived from the prefix). */
  addressSlotBase?: number;
  /** How often each node renews its Lease and checks its status (default 10 s, the kubelet's). */
  leaseRenewIntervalMs?: number;
  /** spec.leaseDurationSeconds of the Leases (default 40). */
  leaseDurationSeconds?: number;
  /**
   * Status is posted at least this often even when unchanged (default 5 minutes, the kubelet's
   * nodeStatusReportFrequency since node Leases carry the heartbeat).
   */
  nodeStatusReportIntervalMs?: number;
  /** Pods whose stages are played concurrently (default 32). */
  workers?: number;
  /** API calls in flight at once during registration and heartbeats (default 32). */
  heartbeatConcurrency?: number;
}

/** Runs fn over items with at most `limit` calls pending at once. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

function isCode(err: unknown, code: number): boolean {
  return err instanceof ApiError && err.code === code;
}

/** A Lease's MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function prefixSlot(prefix: string): number {
  // FNV-1a of the prefix picks a block of 1,024 slots, so pools with different prefixes rarely overlap.
  let h = 0x811c9dc5;
  for (let i = 0; i < prefix.length; i++) h = Math.imul(h ^ prefix.charCodeAt(i), 0x01000193) >>> 0;
  return (h % 32) * 1024;
}

interface PendingStage {
  stage: string;
  uid: string;
  dueAt: number;
}

export class SimNodePool {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recorder?: EventRecorder;
  private readonly stages: readonly Stage[];
  private readonly leaseRenewIntervalMs: number;
  private readonly leaseDurationSeconds: number;
  private readonly statusReportIntervalMs: number;
  private readonly workers: number;
  private readonly concurrency: number;
  private readonly byName = new Map<string, SimNode>();
  /** The pool's nodes, in name order. */
  readonly nodes: readonly SimNode[];

  private readonly sharedInformers?: InformerFactory;
  private ownInformers?: SharedInformerFactory;
  private nodeInformer?: Informer;
  private podInformer?: Informer;
  private queue?: RateLimitedQueue;
  private runner?: ControllerHandle;
  private running = false;
  private cancelTick?: () => void;
  private tick?: Promise<void>;
  /** The stage each pod is waiting in, and until when. */
  private readonly pending = new Map<string, PendingStage>();
  /** Which node handed a pod (by key) its IP, to give it back when the pod is gone. */
  private readonly ipOwner = new Map<string, SimNode>();

  constructor(opts: SimNodePoolOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ component: 'sim-node-pool', prefix: opts.prefix ?? 'sim-node' });
    this.recorder = opts.recorder;
    this.stages = opts.stages ?? defaultPodStages;
    this.leaseRenewIntervalMs = opts.leaseRenewIntervalMs ?? 10_000;
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 40;
    this.statusReportIntervalMs = opts.nodeStatusReportIntervalMs ?? 5 * 60_000;
    this.workers = opts.workers ?? 32;
    this.concurrency = opts.heartbeatConcurrency ?? 32;
    const prefix = opts.prefix ?? 'sim-node';
    const capacity = opts.capacity ?? { cpu: '32', memory: '256Gi', pods: '110' };
    const base = opts.addressSlotBase ?? prefixSlot(prefix);
    const nodes: SimNode[] = [];
    for (let i = 0; i < opts.nodes; i++) {
      const node = new SimNode({ name: `${prefix}-${i}`, slot: base + i, capacity, labels: opts.labels });
      nodes.push(node);
      this.byName.set(node.name, node);
    }
    this.nodes = nodes;
    if (opts.informers) {
      // Informers of a shared factory exist before anyone starts it; ask for them now.
      this.sharedInformers = opts.informers;
      this.attach(opts.informers);
    }
  }

  /** Node names, in order. */
  get nodeNames(): string[] {
    return this.nodes.map((n) => n.name);
  }

  /** Registers the nodes, starts heartbeats and plays the stages of their pods. Resolves once every node is registered. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.queue = new RateLimitedQueue({ clock: this.clock });
    this.runner = runController({
      name: 'sim-pods',
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.syncPod(key),
      logger: this.log,
    });
    if (this.sharedInformers) {
      await this.sharedInformers.start();
    } else {
      // Like a kubelet, the pool never reads managedFields; its cache (and its status writes) go without them.
      this.ownInformers = new SharedInformerFactory(this.client, { clock: this.clock, logger: this.log, transform: stripManagedFields });
      this.attach(this.ownInformers);
      await this.ownInformers.start();
    }
    const now = this.clock.now();
    await forEachLimit(this.nodes, this.concurrency, (n) => this.register(n, now));
    await forEachLimit(this.nodes, this.concurrency, (n) => this.renewLease(n));
    // Pods bound while the pool was down (or before it started) get their turn now.
    for (const pod of this.podInformer!.lister.list()) this.enqueueIfOurs(pod);
    this.scheduleHeartbeat();
    this.log.info('simulated nodes running', { nodes: this.nodes.length });
  }

  /** Stops heartbeats and pod handling; the Nodes stay registered, as when a kubelet dies. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelTick?.();
    this.cancelTick = undefined;
    await this.tick;
    await this.runner?.stop();
    this.runner = undefined;
    this.pending.clear();
    this.ownInformers?.stop();
    this.ownInformers = undefined;
    this.log.info('simulated nodes stopped', { nodes: this.nodes.length });
  }

  private attach(factory: InformerFactory): void {
    this.nodeInformer = factory.informerFor(nodesRes);
    // Bound pods only, as a kubelet (and kwok) watch: a pod waiting for the scheduler is none of
    // the nodes' business, and skipping it spares the server a send and the pool a decode.
    this.podInformer = factory.informerFor(podsRes, { fieldSelector: 'spec.nodeName!=' });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.enqueueIfOurs(pod),
      onUpdate: (_old, pod) => this.enqueueIfOurs(pod),
      onDelete: (pod) => this.enqueueIfOurs(pod),
    });
  }

  private enqueueIfOurs(pod: KubeObject): void {
    if (!this.running) return;
    const nodeName = pod.spec?.nodeName;
    if (nodeName && this.byName.has(nodeName)) this.queue?.add(objectKey(pod));
  }

  // --- Registration and heartbeats ------------------------------------------------------------

  /** Creates the Node, or, when it exists (a restart), reports this node's status on it. */
  private async register(node: SimNode, now: number): Promise<void> {
    try {
      const created = await this.client.create(nodesRes, undefined, node.nodeObject(now));
      node.uid = created.metadata.uid;
      node.lastStatusAt = now;
      return;
    } catch (err) {
      if (!isCode(err, 409)) {
        this.log.error('node registration failed', { node: node.name, err });
        return;
      }
    }
    try {
      const existing = await this.client.get(nodesRes, undefined, node.name);
      node.uid = existing.metadata.uid;
      const labels = existing.metadata.labels ?? {};
      if (Object.entries(node.labels).some(([k, v]) => labels[k] !== v)) {
        await this.client.patch(nodesRes, undefined, node.name, 'strategic', { metadata: { labels: node.labels } });
      }
      await this.postStatus(node, existing);
    } catch (err) {
      this.log.error('node re-registration failed', { node: node.name, err });
    }
  }

  private async postStatus(node: SimNode, current: KubeObject | undefined): Promise<void> {
    const now = this.clock.now();
    try {
      await this.client.patch(nodesRes, undefined, node.name, 'strategic', { status: node.status(now, current) }, { subresource: 'status' });
      node.lastStatusAt = now;
    } catch (err) {
      if (isCode(err, 404)) {
        // Someone deleted the Node: register again, as a restarted kubelet would.
        await this.register(node, now);
        return;
      }
      this.log.warn('node status update failed', { node: node.name, err });
    }
  }

  private scheduleHeartbeat(): void {
    if (!this.running) return;
    this.cancelTick = this.clock.setTimeout(() => {
      this.cancelTick = undefined;
      this.tick = this.heartbeat().finally(() => {
        this.tick = undefined;
        this.scheduleHeartbeat();
      });
    }, this.leaseRenewIntervalMs);
  }

  /** One round for every node: renew the Lease; post status if it changed or is due. */
  private async heartbeat(): Promise<void> {
    await forEachLimit(this.nodes, this.concurrency, async (node) => {
      if (!this.running) return;
      await this.renewLease(node);
      const current = this.nodeInformer?.lister.get(node.name);
      const due = this.clock.now() - node.lastStatusAt >= this.statusReportIntervalMs;
      if (due || !current || node.statusDiffers(current)) await this.postStatus(node, current);
    });
  }

  private leaseSpec(node: SimNode): Record<string, unknown> {
    return { holderIdentity: node.name, leaseDurationSeconds: this.leaseDurationSeconds, renewTime: microTime(this.clock.now()) };
  }

  /** PUTs the Lease as last written; on a conflict or a missing Lease, reads or creates it and tries once more. */
  private async renewLease(node: SimNode): Promise<void> {
    try {
      if (node.lease) {
        try {
          node.lease = await this.client.update(leasesRes, { ...node.lease, spec: { ...node.lease.spec, ...this.leaseSpec(node) } });
          return;
        } catch (err) {
          if (!isCode(err, 409) && !isCode(err, 404)) throw err;
          node.lease = undefined;
        }
      }
      let current: KubeObject | undefined;
      try {
        current = await this.client.get(leasesRes, nodeLeaseNamespace, node.name);
      } catch (err) {
        if (!isCode(err, 404)) throw err;
      }
      if (current) {
        node.lease = await this.client.update(leasesRes, { ...current, spec: { ...current.spec, ...this.leaseSpec(node) } });
        return;
      }
      const lease: KubeObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: node.name, namespace: nodeLeaseNamespace },
        spec: this.leaseSpec(node),
      };
      // Owned by its Node, so deleting the Node takes the Lease with it.
      if (node.uid) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }];
      node.lease = await this.client.create(leasesRes, nodeLeaseNamespace, lease);
    } catch (err) {
      node.lease = undefined;
      this.log.warn('lease renewal failed', { node: node.name, err });
    }
  }

  // --- Pod stages -----------------------------------------------------------------------------

  /** Plays the next stage of one pod: waits out its delay (requeueing), then applies it. */
  private async syncPod(key: string): Promise<ReconcileResult | void> {
    const pod = this.podInformer?.lister.get(key);
    const node = pod?.spec?.nodeName ? this.byName.get(pod.spec.nodeName) : undefined;
    if (!pod || !node) {
      this.pending.delete(key);
      this.releaseIP(key);
      return;
    }
    const stage = matchStage(this.stages, pod);
    if (!stage) {
      this.pending.delete(key);
      return;
    }
    const uid = pod.metadata.uid ?? '';
    const now = this.clock.now();
    let wait = this.pending.get(key);
    if (!wait || wait.stage !== stage.name || wait.uid !== uid) {
      wait = { stage: stage.name, uid, dueAt: now + stageDelay(stage, pod) };
      this.pending.set(key, wait);
    }
    if (now < wait.dueAt) return { requeueAfterMs: wait.dueAt - now };
    this.pending.delete(key);
    return this.apply(stage, pod, node, key);
  }

  private releaseIP(key: string): void {
    this.ipOwner.get(key)?.releasePodIP(key);
    this.ipOwner.delete(key);
  }

  private async apply(stage: Stage, pod: KubeObject, node: SimNode, key: string): Promise<ReconcileResult | void> {
    const { namespace, name, uid } = pod.metadata;
    if (stage.next.delete) {
      try {
        await this.client.delete(podsRes, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (err) {
        // Gone already, or replaced by a new pod of the same name: nothing of ours to delete.
        if (!isCode(err, 404) && !isCode(err, 409)) throw err;
      }
      this.releaseIP(key);
    } else {
      const status = podStatusAfter(pod, stage.next, {
        now: this.clock.now(),
        hostIP: node.internalIP,
        podIP: () => {
          this.ipOwner.set(key, node);
          return node.podIP(key);
        },
        containerID: () => `sim://${randomBytes(32).toString('hex')}`,
      });
      try {
        // PUT with the cached resourceVersion: a stale cache gets a 409 and the stage is retried on fresh data.
        await this.client.update(podsRes, { ...pod, status }, { subresource: 'status' });
      } catch (err) {
        if (isCode(err, 404)) return;
        // A stale cache: the watch brings the newer pod and the stage is tried again on it.
        if (isCode(err, 409)) return { requeue: true };
        throw err;
      }
    }
    if (stage.next.event && this.recorder) {
      this.recorder.event(pod, stage.next.event.type, stage.next.event.reason, stage.next.event.message);
    }
  }
}
