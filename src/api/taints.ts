/**
 * Node taints and pod tolerations (core/v1 Taint, Toleration) and the one rule that relates
 * them, shared by the scheduler's TaintToleration plugin and taint-based eviction.
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
 * Whether one toleration tolerates one taint (corev1 Toleration.ToleratesTaint): an empty
 * effect matches every effect, an empty key matches every key, and Equal (the default
 * operator) also compares values.
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

/** Whether any of the tolerations tolerates the taint. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => !!t && toleratesTaint(t, taint));
}
