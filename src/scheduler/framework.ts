/**
 * The scheduling framework's extension points, kube-scheduler style: one small interface per
 * point, and outcomes as `Status` values rather than thrown errors. A scheduling cycle runs
 * every PreFilter once, every Filter per node until one rejects it, then PreScore once and
 * Score per feasible node; NormalizeScore maps a plugin's raw scores onto 0..100 before the
 * plugin's weight multiplies them.
 */
import type { KubeObject } from '../api/object.js';
import type { NodeInfo } from './nodeinfo.js';

/** Highest score a plugin gives a node (kube-scheduler's MaxNodeScore). */
export const MAX_NODE_SCORE = 100;

/**
 * - Success: the node passes.
 * - Unschedulable: the node does not fit now, but could if pods on it went away (preemption
 *   might help).
 * - UnschedulableAndUnresolvable: no change to the pods on the node would help (taints, labels,
 *   cordon, a node too small for the pod).
 * - Error: something went wrong; the pod is retried after back-off.
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  readonly code: StatusCode;
  /** Human-readable reasons, counted per node in the FailedScheduling message. */
  readonly reasons: readonly string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
}

export const success: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) }) as Status;

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorStatus(message: string): Status {
  return { code: 'Error', reasons: [message] };
}

export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}

/** Whether the status rejects the node (as opposed to passing it or failing the whole cycle). */
export function isRejected(s: Status): boolean {
  return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
}

/** A typed slot of the CycleState; create one per plugin datum at module load. */
export class StateKey<T> {
  private static next = 0;
  readonly index = StateKey.next++;
  /** Only for debugging; the index is what reads and writes use. */
  constructor(readonly name: string) {}
  /** Never read: carries T for the type checker. */
  declare readonly __type?: T;
}

/**
 * Per-cycle scratch space: PreFilter/PreScore compute what every node will need once, and
 * Filter/Score read it through their StateKey. Lives for one pod's scheduling cycle. Slots are
 * array indexes rather than map keys because Filter and Score read them once per node.
 */
export class CycleState {
  private readonly slots: unknown[] = [];

  write<T>(key: StateKey<T>, value: T): void {
    this.slots[key.index] = value;
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.slots[key.index] as T | undefined;
  }
}

export interface Plugin {
  /** The plugin's name as kube-scheduler spells it (e.g. "NodeResourcesFit"). */
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  /** Once per cycle before any Filter; a rejection here rejects every node with this status. */
  preFilter(state: CycleState, pod: KubeObject): Status;
}

export interface FilterPlugin extends Plugin {
  /** Whether the pod may run on the node; must not modify state, pod or node info. */
  filter(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status;
}

export interface PreScorePlugin extends Plugin {
  /** Once per cycle with the feasible nodes, before any Score. */
  preScore(state: CycleState, pod: KubeObject, nodes: readonly NodeInfo[]): Status;
}

export interface ScorePlugin extends Plugin {
  /** Multiplies the (normalized) score; kube-scheduler's default profile weights. */
  readonly weight: number;
  /**
   * The node's score: 0..MAX_NODE_SCORE, or a raw value when `normalizeScore` is defined.
   * Must be cheap: it runs for every sampled feasible node of every pod.
   */
  score(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): number;
  /** Maps this plugin's raw scores (in place, same order as the nodes) onto 0..MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: KubeObject, scores: number[]): void;
}

export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as Partial<PreFilterPlugin>).preFilter === 'function';
}

export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === 'function';
}

export function isPreScorePlugin(p: Plugin): p is PreScorePlugin {
  return typeof (p as Partial<PreScorePlugin>).preScore === 'function';
}

export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === 'function';
}

/**
 * kube-scheduler's DefaultNormalizeScore: scales scores so the highest becomes MAX_NODE_SCORE
 * (or, reversed, so the highest becomes 0 and zero becomes MAX_NODE_SCORE).
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}

// --- The failure summary -----------------------------------------------------------------------

/** kube-scheduler's message when the cluster has no nodes at all. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/**
 * "<count> <reason>" for every distinct reason over the nodes' statuses, sorted as strings the
 * way kube-scheduler sorts its histogram (so "10 x" sorts before "2 y").
 */
export function reasonHistogram(statuses: Iterable<Status>): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const out = [...counts].map(([reason, n]) => `${n} ${reason}`);
  // Go's sort.Strings orders by bytes; JS's default sort by UTF-16 code units agrees for the
  // ASCII reasons the plugins produce.
  return out.sort();
}

/**
 * The FitError text: `0/N nodes are available: <histogram>.` followed by the PostFilter
 * (preemption) message, if any, as kube-scheduler formats it.
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>, postFilterMessage = ''): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  const hist = reasonHistogram(statuses);
  if (hist.length) msg += ` ${hist.join(', ')}.`;
  if (postFilterMessage) msg += ` ${postFilterMessage}`;
  return msg;
}

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

/**
 * What kube-scheduler's DefaultPreemption PostFilter reports when it finds no victims. peapod
 * does not preempt, so this is always the "nothing to evict" outcome: nodes rejected as
 * Unschedulable get "No preemption victims found", the rest "Preemption is not helpful".
 */
export function preemptionMessage(pod: KubeObject, numAllNodes: number, statuses: Iterable<Status>): string {
  if (pod.spec?.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never.';
  let victimless = 0;
  for (const s of statuses) if (s.code === 'Unschedulable') victimless++;
  const hist: string[] = [];
  if (victimless > 0) hist.push(`${victimless} ${NO_PREEMPTION_VICTIMS}`);
  if (numAllNodes > victimless) hist.push(`${numAllNodes - victimless} ${PREEMPTION_NOT_HELPFUL}`);
  hist.sort();
  return `preemption: 0/${numAllNodes} nodes are available: ${hist.join(', ')}.`;
}
