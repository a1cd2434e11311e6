/**
 * The arithmetic of PodDisruptionBudgets, as kube-controller-manager's disruption controller
 * does it (pkg/controller/disruption): how many pods a budget expects, how many must be healthy,
 * how many are, which evictions it still waits to see, and the status that follows. Pure
 * functions over objects; the controller reads them from its caches and writes the result.
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { deepEqual, int } from '../../api/kinds/common.js';
import { matchesLabels } from '../../api/labels.js';
import { setStatusCondition, type Condition } from '../../api/conditions.js';
import {
  budgetSelector,
  conditionsAreUpToDate,
  disruptionAllowedCondition,
  scaledValue,
  syncFailedReason,
  updateDisruptionAllowedCondition,
} from '../../api/kinds/poddisruptionbudgets.js';
import { controllerRefOf, isPodReady } from '../replicaset/pod-utils.js';

/**
 * How long an eviction's entry in status.disruptedPods keeps its pod out of the healthy count
 * while the pod is not yet seen being deleted (kube's DeletionTimeout). Past it, the eviction is
 * taken to have failed and the entry is dropped.
 */
export const deletionTimeoutMs = 2 * 60_000;

/** A workload controlling pods, and how many it wants. */
export interface ControllerScale {
  uid: string;
  replicas: number;
}

/**
 * Resolves a pod's controller reference to its workload's scale: undefined when this finder
 * does not know the workload (or it is gone); throws when the reference cannot be resolved at all.
 */
export type ScaleFinder = (ref: OwnerReference, namespace: string) => ControllerScale | undefined;

/** The pods of the namespace the budget selects (a broken selector selects none). */
export function podsForBudget(pdb: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const sel = budgetSelector(pdb);
  if (!sel) return [];
  return pods.filter((p) => p.metadata.namespace === pdb.metadata.namespace && matchesLabels(sel, p.metadata.labels));
}

export interface ExpectedCount {
  /** status.expectedPods. */
  expectedCount: number;
  /** status.desiredHealthy. */
  desiredHealthy: number;
  /** Selected pods without a controller (they count toward nothing in a scale-based budget). */
  unmanagedPods: string[];
}

/**
 * getExpectedPodCount: maxUnavailable (int or percent) and a percentage minAvailable are measured
 * against the scale of the pods' controllers (each counted once); an integer minAvailable against
 * the pods that exist. Throws when a managed pod's controller cannot be found.
 */
export function expectedPodCount(pdb: KubeObject, pods: readonly KubeObject[], finders: readonly ScaleFinder[]): ExpectedCount {
  const spec = pdb.spec ?? {};
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(spec.maxUnavailable)) {
    const { expected, unmanaged } = expectedScale(pods, finders);
    const maxUnavailable = scaledValue(spec.maxUnavailable, expected, true);
    return { expectedCount: expected, desiredHealthy: Math.max(0, expected - maxUnavailable), unmanagedPods: unmanaged };
  }
  if (has(spec.minAvailable)) {
    if (typeof spec.minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    const { expected, unmanaged } = expectedScale(pods, finders);
    return { expectedCount: expected, desiredHealthy: scaledValue(spec.minAvailable, expected, true), unmanagedPods: unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/** getExpectedScale: the sum of the scales of the controllers of these pods, each once. */
function expectedScale(pods: readonly KubeObject[], finders: readonly ScaleFinder[]): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata.name!);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    let found: ControllerScale | undefined;
    for (const find of finders) {
      found = find(ref, pod.metadata.namespace!);
      if (found) break;
    }
    if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata.name)}`);
    scales.set(found.uid, found.replicas);
  }
  let expected = 0;
  for (const n of scales.values()) expected += n;
  return { expected, unmanaged };
}

export interface DisruptedPods {
  /** status.disruptedPods as it should be: name → time the eviction was allowed. */
  disruptedPods: Record<string, string>;
  /** When the earliest kept entry expires (ms): the budget must be looked at again then. */
  recheckAt?: number;
  /** Pods whose eviction was allowed long enough ago that they should be gone, and are not. */
  notDeleted: KubeObject[];
}

/**
 * buildDisruptedPodMap: keeps the entries of status.disruptedPods whose pod still exists, is not
 * yet being deleted and was evicted less than deletionTimeoutMs ago.
 */
export function buildDisruptedPodMap(pdb: KubeObject, pods: readonly KubeObject[], now: number): DisruptedPods {
  const recorded: Record<string, string> = pdb.status?.disruptedPods ?? {};
  const out: DisruptedPods = { disruptedPods: {}, notDeleted: [] };
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = recorded[pod.metadata.name!];
    if (at === undefined) continue;
    const expectedDeletion = Date.parse(at) + deletionTimeoutMs;
    if (expectedDeletion < now) {
      out.notDeleted.push(pod);
      continue;
    }
    if (out.recheckAt === undefined || expectedDeletion < out.recheckAt) out.recheckAt = expectedDeletion;
    out.disruptedPods[pod.metadata.name!] = at;
  }
  return out;
}

/** countHealthyPods: Ready pods that are neither being deleted nor about to be (in disruptedPods, not yet expired). */
export function countHealthyPods(pods: readonly KubeObject[], disruptedPods: Record<string, string>, now: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = disruptedPods[pod.metadata.name!];
    if (at !== undefined && Date.parse(at) + deletionTimeoutMs > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

export interface BudgetCounts {
  currentHealthy: number;
  desiredHealthy: number;
  expectedCount: number;
  disruptedPods: Record<string, string>;
}

/**
 * updatePdbStatus: the status the budget should have, or undefined when it has it already. No
 * disruption is allowed while the budget expects no pods, so that a budget whose first pods
 * appear before this controller has counted them is safe.
 */
export function desiredStatus(pdb: KubeObject, counts: BudgetCounts, now: string): Record<string, any> | undefined {
  const status = pdb.status ?? {};
  let disruptionsAllowed = counts.currentHealthy - counts.desiredHealthy;
  if (counts.expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const generation = int(pdb.metadata.generation);
  if (
    int(status.currentHealthy) === counts.currentHealthy &&
    int(status.desiredHealthy) === counts.desiredHealthy &&
    int(status.expectedPods) === counts.expectedCount &&
    int(status.disruptionsAllowed) === disruptionsAllowed &&
    deepEqual(status.disruptedPods ?? {}, counts.disruptedPods) &&
    int(status.observedGeneration) === generation &&
    conditionsAreUpToDate(pdb)
  ) {
    return undefined;
  }
  const next: Record<string, any> = {
    currentHealthy: counts.currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedCount,
    disruptionsAllowed,
    observedGeneration: generation,
    conditions: structuredClone(status.conditions ?? []),
  };
  if (Object.keys(counts.disruptedPods).length) next.disruptedPods = counts.disruptedPods;
  updateDisruptionAllowedCondition(next, now);
  return next;
}

/**
 * failSafe: when the budget cannot be worked out, at least let no eviction through: no
 * disruptions allowed, and the DisruptionAllowed condition False with reason SyncFailed and the
 * error. Undefined when the status says so already.
 */
export function failSafeStatus(pdb: KubeObject, message: string, now: string): Record<string, any> | undefined {
  const status = structuredClone(pdb.status ?? {});
  const before = JSON.stringify(status);
  status.disruptionsAllowed = 0;
  if (!Array.isArray(status.conditions)) status.conditions = [];
  setStatusCondition(
    status.conditions as Condition[],
    { type: disruptionAllowedCondition, status: 'False', reason: syncFailedReason, message, observedGeneration: int(status.observedGeneration) },
    now,
  );
  return JSON.stringify(status) === before ? undefined : status;
}

/**
 * How long until a pod's DisruptionTarget condition counts as stale (0: now), or undefined when
 * it has none that can go stale: only a True condition on a pod that is neither being deleted
 * nor finished, and not one the kubelet set (those may take any time to be acted on).
 */
export function staleDisruptionWait(pod: KubeObject, now: number, timeoutMs: number): number | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const conds: unknown = pod.status?.conditions;
  const cond = Array.isArray(conds) ? (conds as Record<string, any>[]).find((c) => c?.type === 'DisruptionTarget') : undefined;
  if (!cond || cond.status !== 'True' || cond.reason === 'TerminationByKubelet') return undefined;
  const since = Date.parse(cond.lastTransitionTime ?? '');
  // No transition time reads as the zero time: stale long ago.
  const waited = Number.isNaN(since) ? Infinity : now - since;
  return Math.max(0, timeoutMs - waited);
}
