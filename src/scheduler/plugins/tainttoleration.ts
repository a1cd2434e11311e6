/**
 * TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does not
 * tolerate them; PreferNoSchedule taints only lower the node's score, by how many the pod
 * does not tolerate.
 */
import type { KubeObject } from '../../api/object.js';
import {
  defaultNormalizeScore,
  success,
  unresolvable,
  type CycleState,
  type FilterPlugin,
  type ScorePlugin,
  type Status,
} from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';

import { toleratesTaint, tolerationsTolerateTaint, type Taint, type Toleration } from '../../api/taints.js';

export { toleratesTaint, tolerationsTolerateTaint, type Taint, type Toleration };

/**
 * The filter reason, naming the first taint the pod does not tolerate as kube-scheduler does
 * ("node(s) had untolerated taint {key: value}"; an empty value leaves "{key: }"). Nodes
 * rejected for different taints are counted apart in the FailedScheduling message.
 */
export function errReasonUntolerated(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

export function podTolerations(pod: KubeObject): Toleration[] {
  return Array.isArray(pod.spec?.tolerations) ? pod.spec.tolerations : [];
}

export function nodeTaints(node: KubeObject | undefined): Taint[] {
  return Array.isArray(node?.spec?.taints) ? node!.spec.taints : [];
}

/** The first NoSchedule/NoExecute taint none of the tolerations covers, if any. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** Pure filter: does the pod tolerate every hard taint of the node? */
export function taintTolerationFilter(pod: KubeObject, node: KubeObject | undefined): Status {
  const taint = findUntoleratedTaint(nodeTaints(node), podTolerations(pod));
  return taint ? unresolvable(errReasonUntolerated(taint)) : success;
}

/** Pure score: the number of PreferNoSchedule taints the pod does not tolerate (lower is better). */
export function intolerablePreferNoScheduleTaints(pod: KubeObject, node: KubeObject | undefined): number {
  // Only tolerations that can match PreferNoSchedule count (empty effect means every effect).
  const tolerations = podTolerations(pod).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  let n = 0;
  for (const taint of nodeTaints(node)) {
    if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) n++;
  }
  return n;
}

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = 'TaintToleration';
  readonly weight: number;

  constructor(opts: { weight?: number } = {}) {
    this.weight = opts.weight ?? 3;
  }

  filter(_state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status {
    return nodeInfo.hasTaints ? taintTolerationFilter(pod, nodeInfo.node) : success;
  }

  score(_state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): number {
    return nodeInfo.hasTaints ? intolerablePreferNoScheduleTaints(pod, nodeInfo.node) : 0;
  }

  normalizeScore(_state: CycleState, _pod: KubeObject, scores: number[]): void {
    defaultNormalizeScore(scores, true);
  }
}
