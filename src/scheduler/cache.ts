/**
 * The scheduler's view of the cluster: a NodeInfo per node, kept up to date pod by pod from
 * the node and pod informers, plus "assumed" pods — pods this scheduler has decided to bind
 * but whose binding the pod informer has not shown yet. Assuming lets the next cycle see the
 * node's new load at once instead of after the binding's round trip (kube-scheduler's cache).
 *
 * An assumed pod is confirmed when the informer shows it bound, dropped (forgotten) when its
 * binding fails, and expires if the informer never shows it within a TTL after the binding
 * call finished — a lost watch event must not hold resources forever.
 */
import type { KubeObject } from '../api/object.js';
import type { Clock } from '../util/clock.js';
import { objectKey } from '../client/interfaces.js';
import { NodeInfo, podInfoFor, type PodInfo } from './nodeinfo.js';

interface PodState {
  info: PodInfo;
  nodeName: string;
  /** Placed by this scheduler, not yet seen bound. */
  assumed: boolean;
  /** For assumed pods whose binding call returned: when to give up on seeing it. */
  deadline?: number;
}

export interface SchedulerCacheOptions {
  clock: Clock;
  /** How long an assumed pod may stay unconfirmed after its binding returned (default 30 s). */
  assumedPodTTLMs?: number;
}

/** A bound pod occupies its node until it finishes; terminal pods hold nothing. */
export function isTerminal(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly nodes = new Map<string, NodeInfo>();
  /** NodeInfos that have a Node object, in a stable order for round-robin sampling. */
  private readonly nodeList: NodeInfo[] = [];
  private readonly nodeIndex = new Map<string, number>();
  private readonly pods = new Map<string, PodState>();

  constructor(opts: SchedulerCacheOptions) {
    this.clock = opts.clock;
    this.ttlMs = opts.assumedPodTTLMs ?? 30_000;
  }

  // --- nodes ---------------------------------------------------------------------------------

  /** Adds or updates a node. */
  setNode(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    const ni = this.nodeInfo(name);
    ni.setNode(node);
    if (!this.nodeIndex.has(name)) {
      this.nodeIndex.set(name, this.nodeList.length);
      this.nodeList.push(ni);
    }
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    const i = this.nodeIndex.get(name);
    if (i !== undefined) {
      // Swap-remove keeps removal O(1); sampling order does not need to be insertion order.
      const last = this.nodeList.pop()!;
      if (last !== ni) {
        this.nodeList[i] = last;
        this.nodeIndex.set(last.name, i);
      }
      this.nodeIndex.delete(name);
    }
    // Pods still bound to a deleted node keep their accounting until they go too.
    if (ni.pods.size > 0) ni.clearNode();
    else this.nodes.delete(name);
  }

  /** Nodes that exist (have a Node object), for filtering. Do not modify. */
  schedulableNodes(): readonly NodeInfo[] {
    return this.nodeList;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  nodeCount(): number {
    return this.nodeList.length;
  }

  // --- pods ----------------------------------------------------------------------------------

  /**
   * Records a pod the informer shows bound (spec.nodeName set) and not finished: confirms it
   * if assumed, moves it if it landed elsewhere, updates it otherwise.
   */
  setBoundPod(pod: KubeObject): void {
    const key = objectKey(pod);
    const nodeName = pod.spec?.nodeName as string;
    if (isTerminal(pod)) {
      this.removePod(key);
      return;
    }
    const info = podInfoFor(pod);
    const cur = this.pods.get(key);
    if (cur) this.nodes.get(cur.nodeName)?.removePod(key);
    this.nodeInfo(nodeName).addPod(info);
    this.pods.set(key, { info, nodeName, assumed: false });
    if (cur && cur.nodeName !== nodeName) this.dropIfEmpty(cur.nodeName);
  }

  /** Forgets a pod entirely (deleted, finished, or no longer bound). */
  removePod(key: string): void {
    const cur = this.pods.get(key);
    if (!cur) return;
    this.pods.delete(key);
    this.nodes.get(cur.nodeName)?.removePod(key);
    this.dropIfEmpty(cur.nodeName);
  }

  /** Counts the pod on the node before the binding is seen, so the next cycle sees the load. */
  assumePod(info: PodInfo, nodeName: string): void {
    if (this.pods.has(info.key)) throw new Error(`pod ${info.key} is already in the scheduler cache`);
    this.nodeInfo(nodeName).addPod(info);
    this.pods.set(info.key, { info, nodeName, assumed: true });
  }

  /** The binding call returned: start the assumed pod's expiry clock. */
  finishBinding(key: string): void {
    const cur = this.pods.get(key);
    if (cur?.assumed) cur.deadline = this.clock.now() + this.ttlMs;
  }

  /** The binding failed: undo the assumption. */
  forgetPod(key: string): void {
    const cur = this.pods.get(key);
    if (cur?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true;
  }

  /** Where the cache has the pod (bound or assumed), if anywhere. */
  podNode(key: string): string | undefined {
    return this.pods.get(key)?.nodeName;
  }

  /** Drops assumed pods whose binding returned more than the TTL ago; returns their keys. */
  cleanupExpiredAssumedPods(): string[] {
    const now = this.clock.now();
    const expired: string[] = [];
    for (const [key, st] of this.pods) {
      if (st.assumed && st.deadline !== undefined && st.deadline <= now) expired.push(key);
    }
    for (const key of expired) this.removePod(key);
    return expired;
  }

  podCount(): number {
    return this.pods.size;
  }

  private nodeInfo(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.nodes.set(name, ni);
    }
    return ni;
  }

  private dropIfEmpty(name: string): void {
    const ni = this.nodes.get(name);
    if (ni && !ni.node && ni.pods.size === 0) this.nodes.delete(name);
  }
}
