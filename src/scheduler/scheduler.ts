/**
 * The scheduler: binds pending pods (no spec.nodeName, spec.schedulerName ours) to nodes, the
 * way kube-scheduler does.
 *
 * Informer handlers keep the cache (node infos) and the scheduling queue current; they never
 * schedule. One loop pops a pod key, re-reads the pod from the informer cache, runs the
 * framework — PreFilter, Filter over a round-robin sample of nodes until enough fit, PreScore,
 * Score, pick the best — then assumes the pod on the chosen node in the cache and binds it
 * through pods/binding in the background, so the next pod's cycle already sees the load.
 * A pod no node fits gets a FailedScheduling event and PodScheduled=False with Kubernetes'
 * summary message, and waits in the queue until a cluster event might let it fit.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { deepEqual } from '../api/kinds/common.js';
import type { EventRecorder } from '../client/events.js';
import { objectKey, splitKey, type Informer, type InformerFactory, type KubeClient, type ResourceRef } from '../client/interfaces.js';
import { realClock, rfc3339, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { isTerminal, SchedulerCache } from './cache.js';
import {
  CycleState,
  fitErrorMessage,
  isFilterPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isRejected,
  isScorePlugin,
  NO_NODES_AVAILABLE,
  preemptionMessage,
  success,
  type FilterPlugin,
  type Plugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
  type Status,
} from './framework.js';
import { podInfoFor, type NodeInfo } from './nodeinfo.js';
import { SchedulingQueue, type QueuedPod } from './queue.js';
import { NodeAffinity } from './plugins/nodeaffinity.js';
import { NodePorts } from './plugins/nodeports.js';
import { NodeReady } from './plugins/nodeready.js';
import { NodeResourcesBalancedAllocation } from './plugins/balancedallocation.js';
import { NodeResourcesFit } from './plugins/noderesourcesfit.js';
import { NodeResourcesLeastAllocated } from './plugins/leastallocated.js';
import { NodeUnschedulable } from './plugins/nodeunschedulable.js';
import { SelectorSpread } from './plugins/selectorspread.js';
import { TaintToleration } from './plugins/tainttoleration.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

const podsResource: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const nodesResource: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
const servicesResource: ResourceRef = { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true };

export interface SchedulerOptions {
  client: KubeClient;
  informers: InformerFactory;
  /** Only event() is used; an EventRecorder. */
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  logger: Logger;
  /** Pods whose spec.schedulerName is this are ours (default "default-scheduler"). */
  schedulerName?: string;
  /**
   * Stop filtering once this percentage of the nodes fit (kube-scheduler's
   * percentageOfNodesToScore); unset or 0: adaptive, 50% minus 1% per 125 nodes, at least 5%.
   * Clusters under 100 nodes are always searched whole, and at least 100 nodes are.
   */
  percentageOfNodesToScore?: number;
  /** Back-off of a pod after a failed attempt: initial (default 1 s) and maximum (default 10 s). */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** Unschedulable pods are retried at least this often without any cluster event (default 5 min). */
  podMaxInUnschedulablePodsDurationMs?: number;
  /** How long an assumed pod waits to be seen bound after its binding returned (default 30 s). */
  assumedPodTTLMs?: number;
  /** Bindings in flight at once; the loop waits when this many are outstanding (default 100). */
  maxConcurrentBinds?: number;
  /** Replaces the default plugins (filters and scores in the order given). */
  plugins?: Plugin[];
}

/** Outcome of one scheduling cycle. */
export type ScheduleResult =
  | { kind: 'scheduled'; node: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; message: string }
  | { kind: 'error'; message: string };

/**
 * How many feasible nodes to look for before scoring (kube-scheduler's numFeasibleNodesToFind).
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore?: number): number {
  const minFeasibleNodesToFind = 100;
  const minFeasibleNodesPercentageToFind = 5;
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage >= 100) return numAllNodes;
  if (percentage <= 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < minFeasibleNodesPercentageToFind) percentage = minFeasibleNodesPercentageToFind;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < minFeasibleNodesToFind ? minFeasibleNodesToFind : n;
}

/** The plugins of peapod's default profile, in kube-scheduler's filter order. */
export function defaultPlugins(servicesIn: (namespace: string) => KubeObject[]): Plugin[] {
  return [
    new NodeUnschedulable(),
    new TaintToleration(),
    new NodeReady(),
    new NodeAffinity(),
    new NodePorts(),
    new NodeResourcesFit(),
    new NodeResourcesLeastAllocated(),
    new NodeResourcesBalancedAllocation(),
    new SelectorSpread(servicesIn),
  ];
}

function podPriority(pod: KubeObject): number {
  const p = Number(pod.spec?.priority ?? 0);
  return Number.isFinite(p) ? p : 0;
}

/** A node change that can make a pod fit, as opposed to a heartbeat. */
function nodeSchedulingPropertiesChanged(oldNode: KubeObject, newNode: KubeObject): boolean {
  const ready = (n: KubeObject) =>
    (Array.isArray(n.status?.conditions) ? n.status.conditions : []).find((c: { type?: string }) => c?.type === 'Ready')?.status;
  return (
    oldNode.spec?.unschedulable !== newNode.spec?.unschedulable ||
    ready(oldNode) !== ready(newNode) ||
    !deepEqual(oldNode.spec?.taints ?? [], newNode.spec?.taints ?? []) ||
    !deepEqual(oldNode.metadata.labels ?? {}, newNode.metadata.labels ?? {}) ||
    !deepEqual(oldNode.status?.allocatable ?? {}, newNode.status?.allocatable ?? {})
  );
}

/** A pod change other than status: the pod may fit somewhere now. */
function podSchedulingPropertiesChanged(oldPod: KubeObject, newPod: KubeObject): boolean {
  return (
    !deepEqual(oldPod.spec, newPod.spec) ||
    !deepEqual(oldPod.metadata.labels ?? {}, newPod.metadata.labels ?? {}) ||
    !deepEqual(oldPod.metadata.annotations ?? {}, newPod.metadata.annotations ?? {})
  );
}

export class Scheduler {
  readonly schedulerName: string;
  private readonly client: KubeClient;
  private readonly recorder: Pick<EventRecorder, 'event'>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly percentageOfNodesToScore?: number;
  private readonly maxConcurrentBinds: number;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly services: Informer;
  private readonly cache: SchedulerCache;
  private readonly queue: SchedulingQueue;
  private readonly preFilters: PreFilterPlugin[];
  private readonly filters: FilterPlugin[];
  private readonly preScores: PreScorePlugin[];
  private readonly scores: ScorePlugin[];
  private nextStartNodeIndex = 0;
  private running?: Promise<void>;
  private stopped = false;
  private cancelCleanup?: () => void;
  private readonly binds = new Set<Promise<void>>();
  private bindSlotWaiter?: () => void;
  /** Pods bound by this scheduler since start, for benchmarks. */
  private boundCount = 0;

  constructor(opts: SchedulerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ component: 'scheduler' });
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.percentageOfNodesToScore = opts.percentageOfNodesToScore;
    this.maxConcurrentBinds = Math.max(1, opts.maxConcurrentBinds ?? 100);
    this.pods = opts.informers.informerFor(podsResource);
    this.nodes = opts.informers.informerFor(nodesResource);
    this.services = opts.informers.informerFor(servicesResource);
    this.cache = new SchedulerCache({ clock: this.clock, assumedPodTTLMs: opts.assumedPodTTLMs });
    this.queue = new SchedulingQueue({
      clock: this.clock,
      podInitialBackoffMs: opts.podInitialBackoffMs,
      podMaxBackoffMs: opts.podMaxBackoffMs,
      podMaxInUnschedulablePodsDurationMs: opts.podMaxInUnschedulablePodsDurationMs,
    });
    const plugins = opts.plugins ?? defaultPlugins((ns) => this.services.lister.list(ns));
    this.preFilters = plugins.filter(isPreFilterPlugin);
    this.filters = plugins.filter(isFilterPlugin);
    this.preScores = plugins.filter(isPreScorePlugin);
    this.scores = plugins.filter(isScorePlugin);

    this.nodes.addHandlers({
      onAdd: (node) => {
        this.cache.setNode(node);
        this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (oldNode, newNode) => {
        this.cache.setNode(newNode);
        if (nodeSchedulingPropertiesChanged(oldNode, newNode)) this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (node) => this.cache.removeNode(node.metadata.name ?? ''),
    });
    this.pods.addHandlers({
      onAdd: (pod) => this.onPodAdd(pod),
      onUpdate: (oldPod, newPod) => this.onPodUpdate(oldPod, newPod),
      onDelete: (pod) => this.onPodDelete(pod),
    });
  }

  /** Starts scheduling once the pod, node and service informers have synced; returns at once. */
  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    this.queue.run();
    const cleanup = () => {
      for (const key of this.cache.cleanupExpiredAssumedPods()) this.log.warn('assumed pod expired without being seen bound', { pod: key });
      this.cancelCleanup = this.clock.setTimeout(cleanup, 1000);
    };
    this.cancelCleanup = this.clock.setTimeout(cleanup, 1000);
    this.running = this.run().catch((err) => this.log.error('scheduling loop failed', { err }));
  }

  /** Stops the loop and waits for bindings in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.close();
    this.cancelCleanup?.();
    this.bindSlotWaiter?.();
    await this.running;
    await Promise.allSettled([...this.binds]);
  }

  /** Pods bound by this scheduler since it started. */
  scheduledCount(): number {
    return this.boundCount;
  }

  /** Where the queue holds a pod, for tests. */
  queueLocation(key: string): ReturnType<SchedulingQueue['location']> {
    return this.queue.location(key);
  }

  queueStats(): ReturnType<SchedulingQueue['stats']> {
    return this.queue.stats();
  }

  // --- informer events: only cache and queue bookkeeping ---------------------------------------

  private responsibleFor(pod: KubeObject): boolean {
    return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  private isPendingForUs(pod: KubeObject): boolean {
    return !pod.spec?.nodeName && this.responsibleFor(pod) && !pod.metadata.deletionTimestamp && !isTerminal(pod);
  }

  private onPodAdd(pod: KubeObject): void {
    if (pod.spec?.nodeName) {
      this.cache.setBoundPod(pod);
    } else if (this.isPendingForUs(pod)) {
      this.queue.add(objectKey(pod), podPriority(pod));
    }
  }

  private onPodUpdate(oldPod: KubeObject, newPod: KubeObject): void {
    const key = objectKey(newPod);
    if (newPod.spec?.nodeName) {
      if (!oldPod.spec?.nodeName) this.queue.delete(key);
      const wasHolding = !isTerminal(oldPod);
      this.cache.setBoundPod(newPod);
      // A pod that finished frees its node's resources, like a deleted one.
      if (wasHolding && isTerminal(newPod)) this.queue.moveAllToActiveOrBackoff();
      return;
    }
    if (!this.isPendingForUs(newPod)) {
      this.queue.delete(key);
      return;
    }
    // Our own PodScheduled status write comes back here; only real changes may move the pod.
    if (this.cache.isAssumed(key)) return;
    this.queue.update(key, podPriority(newPod), podSchedulingPropertiesChanged(oldPod, newPod));
  }

  private onPodDelete(pod: KubeObject): void {
    const key = objectKey(pod);
    this.queue.delete(key);
    if (this.cache.podNode(key) !== undefined) {
      this.cache.removePod(key);
      this.queue.moveAllToActiveOrBackoff();
    }
  }

  // --- the scheduling loop ----------------------------------------------------------------------

  private async run(): Promise<void> {
    await this.waitForCacheSync();
    let lastYield = performance.now();
    while (!this.stopped) {
      const item = await this.queue.pop();
      if (!item) return;
      try {
        this.scheduleOne(item);
      } catch (err) {
        this.log.error('scheduling cycle failed', { pod: item.key, err });
        this.queue.addBackoff(item);
      }
      while (this.binds.size >= this.maxConcurrentBinds && !this.stopped) {
        await new Promise<void>((r) => (this.bindSlotWaiter = r));
      }
      // pop() resolves at once while pods are queued; let I/O (watch events, binding replies) in.
      if (performance.now() - lastYield > 5) {
        await new Promise<void>((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
  }

  /** Informers are started by whoever owns the factory; scheduling before they sync would misjudge. */
  private async waitForCacheSync(): Promise<void> {
    while (!this.stopped && !(this.pods.hasSynced() && this.nodes.hasSynced() && this.services.hasSynced())) {
      // Waiting for I/O, not for time to pass: a real timer, whatever clock the cycles use.
      await new Promise<void>((r) => setTimeout(r, 10));
    }
  }

  private scheduleOne(item: QueuedPod): void {
    const pod = this.pods.lister.get(item.key);
    // Level-based: whatever happened since it was queued, act on the pod as it is now.
    if (!pod || !this.isPendingForUs(pod) || this.cache.podNode(item.key) !== undefined) {
      this.queue.done(item.key);
      return;
    }
    const result = this.schedulePod(pod);
    switch (result.kind) {
      case 'scheduled': {
        const info = podInfoFor(pod);
        this.cache.assumePod(info, result.node);
        this.queue.done(item.key);
        this.startBinding(pod, result.node, item);
        return;
      }
      case 'unschedulable':
        this.log.debug('unable to schedule pod', { pod: item.key, reason: result.message });
        this.recordFailure(pod, 'Unschedulable', result.message);
        this.queue.addUnschedulable(item);
        return;
      case 'error':
        this.log.warn('error scheduling pod; retrying', { pod: item.key, err: result.message });
        this.recordFailure(pod, 'SchedulerError', result.message);
        this.queue.addBackoff(item);
        return;
    }
  }

  /** One scheduling cycle for the pod against the cache; pure apart from the round-robin index. */
  schedulePod(pod: KubeObject): ScheduleResult {
    const nodes = this.cache.schedulableNodes();
    const n = nodes.length;
    if (n === 0) return { kind: 'unschedulable', message: NO_NODES_AVAILABLE };
    const state = new CycleState();

    for (const pl of this.preFilters) {
      const s = pl.preFilter(state, pod);
      if (s.code === 'Error') return { kind: 'error', message: `running PreFilter plugin "${pl.name}": ${s.reasons.join(', ')}` };
      if (isRejected(s)) {
        // Every node is rejected for the same reason; the message names it once.
        const msg = `0/${n} nodes are available: ${s.reasons.join(', ')}.`;
        return { kind: 'unschedulable', message: `${msg} ${preemptionMessage(pod, n, Array.from({ length: n }, () => s))}` };
      }
    }

    const toFind = numFeasibleNodesToFind(n, this.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const rejected: Status[] = [];
    const start = this.nextStartNodeIndex % n;
    let processed = 0;
    for (let i = 0; i < n && feasible.length < toFind; i++) {
      const ni = nodes[(start + i) % n]!;
      processed++;
      const s = this.runFilters(state, pod, ni);
      if (s.code === 'Success') feasible.push(ni);
      else if (s.code === 'Error') return { kind: 'error', message: `running Filter plugin "${s.plugin}": ${s.reasons.join(', ')}` };
      else rejected.push(s);
    }
    this.nextStartNodeIndex = (start + processed) % n;

    if (feasible.length === 0) {
      return { kind: 'unschedulable', message: fitErrorMessage(n, rejected, preemptionMessage(pod, n, rejected)) };
    }
    if (feasible.length === 1) return { kind: 'scheduled', node: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: 1 };

    const totals = this.scoreNodes(state, pod, feasible);
    // The best score wins; ties are broken at random (reservoir sampling), as kube-scheduler does.
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (Math.random() * ties < 1) best = i;
      }
    }
    return { kind: 'scheduled', node: feasible[best]!.name, evaluatedNodes: processed, feasibleNodes: feasible.length };
  }

  private runFilters(state: CycleState, pod: KubeObject, ni: NodeInfo): Status {
    for (const pl of this.filters) {
      const s = pl.filter(state, pod, ni);
      if (s.code !== 'Success') return { ...s, plugin: pl.name };
    }
    return success;
  }

  private scoreNodes(state: CycleState, pod: KubeObject, nodes: NodeInfo[]): number[] {
    for (const pl of this.preScores) pl.preScore(state, pod, nodes);
    const totals = new Array<number>(nodes.length).fill(0);
    const scores = new Array<number>(nodes.length);
    for (const pl of this.scores) {
      for (let i = 0; i < nodes.length; i++) scores[i] = pl.score(state, pod, nodes[i]!);
      pl.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < nodes.length; i++) totals[i]! += scores[i]! * pl.weight;
    }
    return totals;
  }

  // --- binding and reporting -----------------------------------------------------------------

  private startBinding(pod: KubeObject, node: string, item: QueuedPod): void {
    const p = this.bind(pod, node, item).finally(() => {
      this.binds.delete(p);
      const w = this.bindSlotWaiter;
      this.bindSlotWaiter = undefined;
      w?.();
    });
    this.binds.add(p);
  }

  private async bind(pod: KubeObject, node: string, item: QueuedPod): Promise<void> {
    const key = objectKey(pod);
    const { namespace, name } = splitKey(key);
    try {
      await this.client.bind(namespace ?? '', name, node);
      this.cache.finishBinding(key);
      this.boundCount++;
      this.recorder.event(asPod(pod), 'Normal', 'Scheduled', `Successfully assigned ${key} to ${node}`);
    } catch (err) {
      this.cache.forgetPod(key);
      // The room the pod was assumed to take is free again.
      this.queue.moveAllToActiveOrBackoff();
      if (err instanceof ApiError && (err.code === 409 || err.code === 404)) {
        // Already bound (by us, through a retry, or by someone else) or gone: nothing to do.
        this.log.debug('binding dropped', { pod: key, node, err });
        return;
      }
      const message = `Binding rejected: ${err instanceof Error ? err.message : String(err)}`;
      this.log.warn('binding failed; retrying', { pod: key, node, err });
      this.recorder.event(asPod(pod), 'Warning', 'FailedScheduling', message);
      this.queue.addBackoff(item);
    }
  }

  /**
   * FailedScheduling event, and PodScheduled=False with the same message on the pod's status
   * (written only when it changes, so retries do not rewrite the pod).
   */
  private recordFailure(pod: KubeObject, reason: 'Unschedulable' | 'SchedulerError', message: string): void {
    this.recorder.event(asPod(pod), 'Warning', 'FailedScheduling', message);
    const conditions: Array<Record<string, unknown>> = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
    const cur = conditions.find((c) => c?.type === 'PodScheduled');
    if (cur && cur.status === 'False' && cur.reason === reason && cur.message === message) return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastProbeTime: null,
      lastTransitionTime: cur && cur.status === 'False' && cur.lastTransitionTime ? cur.lastTransitionTime : rfc3339(this.clock.now()),
    };
    const { namespace, name } = splitKey(objectKey(pod));
    this.client
      .patch(podsResource, namespace, name, 'strategic', { status: { conditions: [condition] } }, { subresource: 'status' })
      .catch((err) => {
        if (!(err instanceof ApiError && err.code === 404)) this.log.warn('updating PodScheduled condition failed', { pod: `${namespace}/${name}`, err });
      });
  }
}

/** Informer list items may lack kind/apiVersion; events need them in involvedObject. */
function asPod(pod: KubeObject): KubeObject {
  return pod.kind ? pod : { ...pod, apiVersion: 'v1', kind: 'Pod' };
}
