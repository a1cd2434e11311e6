/**
 * Pure pod predicates and the deletion ranking the ReplicaSet controller uses (Kubernetes'
 * `controller.FilterActivePods`, `podutil.IsPodReady/IsPodAvailable` and `ActivePodsWithRanks`).
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';

/** The annotation a user sets to make a pod cheaper (lower) or dearer to delete on scale-down. */
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

/** The ownerReference with controller=true, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** A pod counts toward replicas while it has not finished and is not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

interface PodCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

function readyCondition(pod: KubeObject): PodCondition | undefined {
  const conds = pod.status?.conditions;
  return Array.isArray(conds) ? (conds as PodCondition[]).find((c) => c?.type === 'Ready') : undefined;
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became Ready (ms), or undefined when it is not ready or the time is unknown. */
export function podReadySince(pod: KubeObject): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Ready for longer than minReadySeconds (strictly, as Kubernetes compares with Before). A ready
 * pod with no transition time only counts when minReadySeconds is 0.
 */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

/**
 * For a pod that is ready but not yet available: how long until it is (ms, at least 1).
 * Undefined when the pod is not ready, already available, or its ready time is unknown.
 */
export function msUntilAvailable(pod: KubeObject, minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0 || isPodAvailable(pod, minReadySeconds, now)) return undefined;
  const since = podReadySince(pod);
  if (since === undefined) return undefined;
  // Available once now is strictly past since + minReadySeconds.
  return Math.max(1, since + minReadySeconds * 1000 - now + 1);
}

function maxContainerRestarts(pod: KubeObject): number {
  let max = 0;
  for (const s of (pod.status?.containerStatuses ?? []) as { restartCount?: number }[]) {
    max = Math.max(max, Number(s?.restartCount) || 0);
  }
  return max;
}

/** The deletion cost annotation as an int32; anything unparsable counts as 0, as Kubernetes does. */
function deletionCost(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[podDeletionCostAnnotation];
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Orders two times for deletion the way Kubernetes' LogarithmicScaleDown does: a missing time
 * first, then the younger one, where ages in the same power-of-two bucket (of nanoseconds)
 * count as equal so scale-down does not always pick the very newest pods; within a bucket,
 * an arbitrary but stable order by UID. Negative: a goes first.
 */
function deletionOrderByTime(a: number | undefined, b: number | undefined, now: number, uidA: string, uidB: string): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const bucket = (t: number) => {
    const ageNs = (now - t) * 1e6;
    return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
  };
  const diff = bucket(a) - bucket(b);
  if (diff !== 0) return diff;
  return uidA < uidB ? -1 : uidA > uidB ? 1 : 0;
}

export interface RankedPod {
  pod: KubeObject;
  /** How many active related pods share this pod's node: doubled-up pods go first. */
  rank: number;
}

/**
 * Orders pods so those best to delete come first: unscheduled before scheduled, Pending before
 * Unknown before Running, not ready before ready, lower deletion cost first, more pods on the
 * same node first, ready for less time first, more restarts first, newer first.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, now: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const nodeA = String(pa.spec?.nodeName ?? '');
  const nodeB = String(pb.spec?.nodeName ?? '');
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  const phaseA = phaseOrdinal[pa.status?.phase as string] ?? 0;
  const phaseB = phaseOrdinal[pb.status?.phase as string] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(pa);
  const readyB = isPodReady(pb);
  if (readyA !== readyB) return readyA ? 1 : -1;
  const costA = deletionCost(pa);
  const costB = deletionCost(pb);
  if (costA !== costB) return costA - costB;
  if (a.rank !== b.rank) return b.rank - a.rank;
  const uidA = pa.metadata.uid ?? '';
  const uidB = pb.metadata.uid ?? '';
  if (readyA && readyB) {
    const c = deletionOrderByTime(podReadySince(pa), podReadySince(pb), now, uidA, uidB);
    if (c !== 0) return c;
  }
  const restartsA = maxContainerRestarts(pa);
  const restartsB = maxContainerRestarts(pb);
  if (restartsA !== restartsB) return restartsB - restartsA;
  return deletionOrderByTime(parseTime(pa.metadata.creationTimestamp), parseTime(pb.metadata.creationTimestamp), now, uidA, uidB);
}

/**
 * The `count` pods to delete out of `pods`, best candidates first. `related` are the active pods
 * of every ReplicaSet under the same owner (a superset of pods); they decide which nodes are
 * doubled up.
 */
export function podsToDelete(pods: KubeObject[], related: KubeObject[], count: number, now: number): KubeObject[] {
  if (count >= pods.length) return pods.slice();
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = String(p.spec?.nodeName ?? '');
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(String(pod.spec?.nodeName ?? '')) ?? 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
