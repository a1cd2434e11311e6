/**
 * DefaultTolerationSeconds admission: every new pod tolerates the node controller's
 * `not-ready` and `unreachable` NoExecute taints for a bounded time (300 s by default), so a
 * short network blip does not evict it but a dead node eventually does. A pod that already
 * tolerates a taint — by key, or with an empty key that matches every key — keeps its own
 * choice, including tolerating forever.
 */
import type { KubeObject } from '../../api/object.js';
import type { AdmissionHook } from '../registry.js';

export const taintNodeNotReady = 'node.kubernetes.io/not-ready';
export const taintNodeUnreachable = 'node.kubernetes.io/unreachable';

export interface DefaultTolerationSecondsOptions {
  /** tolerationSeconds of the added `node.kubernetes.io/not-ready:NoExecute` toleration. */
  notReadySeconds?: number;
  /** tolerationSeconds of the added `node.kubernetes.io/unreachable:NoExecute` toleration. */
  unreachableSeconds?: number;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** Whether a toleration covers the NoExecute taint `key`, judged as the Kubernetes plugin does (key and effect only). */
function covers(t: Toleration, key: string): boolean {
  return (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect);
}

/** Adds the default tolerations to a pod's spec in place; exported for the admission hook and tests. */
export function addDefaultTolerations(pod: KubeObject, opts: DefaultTolerationSecondsOptions = {}): void {
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object') return;
  const tolerations: Toleration[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const missing: Toleration[] = [];
  for (const [key, seconds] of [
    [taintNodeNotReady, opts.notReadySeconds ?? 300],
    [taintNodeUnreachable, opts.unreachableSeconds ?? 300],
  ] as const) {
    if (!tolerations.some((t) => t && covers(t, key))) {
      missing.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
    }
  }
  if (missing.length) spec.tolerations = [...tolerations, ...missing];
}

/**
 * The admission hook. Kubernetes' plugin also runs on pod updates, but hooks here cannot tell
 * a status or binding write from a spec update, and a pod created through this hook already
 * has both tolerations; so it acts on creation only.
 */
export function defaultTolerationSeconds(opts: DefaultTolerationSecondsOptions = {}): AdmissionHook {
  return (op, rt, obj) => {
    if (op !== 'create' || rt.group !== '' || rt.plural !== 'pods') return;
    addDefaultTolerations(obj, opts);
  };
}
