/**
 * SelectorSpread: prefers nodes holding fewer pods of the same group as the pod being
 * scheduled, so a ReplicaSet's (or a Service's) pods do not pile onto one node. A pod's group
 * is its controller (same controller ownerReference uid) and every Service in its namespace
 * whose selector matches it. Nodes score 100 * (max - count) / max over the candidates.
 *
 * kube-scheduler now does this with PodTopologySpread's system defaults (weight 2), which this
 * plugin's default weight follows; it does not weigh zones.
 */
import type { KubeObject } from '../../api/object.js';
import { matchesLabels, selectorFromMap, type Selector } from '../../api/labels.js';
import { MAX_NODE_SCORE, StateKey, success, type CycleState, type PreScorePlugin, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';

/** The pod's group: its controller's uid and the selectors of the Services that select it. */
export interface SpreadGroup {
  namespace: string;
  controllerUID?: string;
  serviceSelectors: Selector[];
}

/** Pure: the group of a pod, given the Services of its namespace. */
export function spreadGroup(pod: KubeObject, services: readonly KubeObject[]): SpreadGroup {
  const serviceSelectors: Selector[] = [];
  for (const svc of services) {
    const sel = svc.spec?.selector;
    // A Service without a selector selects nothing (its endpoints are managed by hand).
    if (!sel || typeof sel !== 'object' || Object.keys(sel).length === 0) continue;
    const s = selectorFromMap(sel);
    if (matchesLabels(s, pod.metadata.labels)) serviceSelectors.push(s);
  }
  return {
    namespace: pod.metadata.namespace ?? '',
    controllerUID: pod.metadata.ownerReferences?.find((o) => o.controller === true)?.uid,
    serviceSelectors,
  };
}

/** Pure: how many of the node's pods (not being deleted) belong to the group. */
export function countGroupPods(group: SpreadGroup, nodeInfo: NodeInfo): number {
  if (group.serviceSelectors.length === 0) {
    // The common case, a ReplicaSet's pods: an O(1) count kept by the node info.
    return group.controllerUID ? nodeInfo.podsOfController(group.controllerUID) : 0;
  }
  let n = 0;
  for (const pi of nodeInfo.pods.values()) {
    const p = pi.pod;
    if (p.metadata.namespace !== group.namespace || p.metadata.deletionTimestamp) continue;
    if (
      (group.controllerUID !== undefined && pi.controllerUID === group.controllerUID) ||
      group.serviceSelectors.some((s) => matchesLabels(s, p.metadata.labels))
    ) {
      n++;
    }
  }
  return n;
}

/** Pure: fewer of the group's pods → higher score; all equal when none has any. */
export function normalizeSpread(counts: number[]): void {
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  for (let i = 0; i < counts.length; i++) {
    counts[i] = max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max - counts[i]!)) / max);
  }
}

const stateKey = new StateKey<SpreadGroup>('SelectorSpread/group');

export class SelectorSpread implements PreScorePlugin, ScorePlugin {
  readonly name = 'SelectorSpread';
  readonly weight: number;

  /** `servicesIn(namespace)` lists the Services of a namespace (an informer's lister). */
  constructor(private readonly servicesIn: (namespace: string) => KubeObject[], opts: { weight?: number } = {}) {
    this.weight = opts.weight ?? 2;
  }

  preScore(state: CycleState, pod: KubeObject): Status {
    state.write(stateKey, spreadGroup(pod, this.servicesIn(pod.metadata.namespace ?? '')));
    return success;
  }

  score(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): number {
    const group = state.read(stateKey) ?? spreadGroup(pod, this.servicesIn(pod.metadata.namespace ?? ''));
    return countGroupPods(group, nodeInfo);
  }

  normalizeScore(_state: CycleState, _pod: KubeObject, scores: number[]): void {
    normalizeSpread(scores);
  }
}
