/**
 * The arithmetic of taint-based eviction (Kubernetes' tainteviction controller): which
 * NoExecute taints a pod tolerates, and from that, when it has to leave the node. Pure.
 */

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  /** RFC 3339; set on NoExecute taints, counted from for tolerationSeconds. */
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/**
 * Whether one toleration tolerates one taint: the effect matches (or the toleration names
 * none), the key matches (an empty key tolerates every key), and for operator Equal (the
 * default) the value matches too.
 */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
    case '':
      return (tol.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

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
