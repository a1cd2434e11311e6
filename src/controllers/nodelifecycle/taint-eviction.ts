/**
 * The arithmetic of taint-based eviction (Kubernetes' tainteviction controller): which
 * NoExecute taints a pod tolerates, and from that, when it has to leave the node. Pure.
 */

import { toleratesTaint, type Taint, type Toleration } from '../../api/taints.js';

export { toleratesTaint, type Taint, type Toleration };

/** The node's NoExecute taints. */
export function noExecuteTaints(node: { spec?: { taints?: Taint[] } }): Taint[] {
  return (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/**
 * When a pod with these tolerations must be evicted from a node with these NoExecute taints:
 * - `-Infinity`: now, some taint is not tolerated at all;
 * - `Infinity`: never, every taint is tolerated without a time limit (or there are no taints);
 * - otherwise the earliest, over the taints, of "taint added + tolerationSeconds" of the
 *   first toleration that tolerates it (Kubernetes uses the first match, too). A negative
 *   tolerationSeconds counts as 0.
 * `since(taint)` says when each taint was added, in clock ms.
 */
export function evictionDeadline(tolerations: readonly Toleration[], taints: readonly Taint[], since: (t: Taint) => number): number {
  let deadline = Number.POSITIVE_INFINITY;
  for (const taint of taints) {
    const tol = tolerations.find((t) => toleratesTaint(t, taint));
    if (!tol) return Number.NEGATIVE_INFINITY;
    if (typeof tol.tolerationSeconds !== 'number') continue;
    const at = since(taint) + Math.max(0, tol.tolerationSeconds) * 1000;
    if (at < deadline) deadline = at;
  }
  return deadline;
}
