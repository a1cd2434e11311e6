/**
 * The status a ReplicaSet (or ReplicationController) reports, computed from the pods it owns,
 * as Kubernetes' `calculateStatus`: pure, so it is tested table-driven.
 */
import type { KubeObject } from '../../api/object.js';
import { matchesLabels, selectorFromMap } from '../../api/labels.js';
import { rfc3339 } from '../../util/clock.js';
import { isPodAvailable, isPodReady } from './pod-utils.js';

export const replicaFailureCondition = 'ReplicaFailure';

export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** spec.replicas, defaulting to 1 as the API does. */
export function desiredReplicas(rs: KubeObject): number {
  const n = rs.spec?.replicas;
  return typeof n === 'number' && n >= 0 ? n : 1;
}

export function minReadySecondsOf(rs: KubeObject): number {
  const n = rs.spec?.minReadySeconds;
  return typeof n === 'number' && n > 0 ? n : 0;
}

/**
 * The new status for rs given its active owned pods and the error (if any) of the last attempt
 * to create or delete pods. ReplicaFailure is set on the first failure (reason FailedCreate or
 * FailedDelete, the error as message) and removed after the first success; observedGeneration
 * is left as it was (the writer sets it).
 */
export function calculateStatus(rs: KubeObject, pods: KubeObject[], manageError: Error | undefined, now: number): ReplicaSetStatus {
  const old = (rs.status ?? {}) as Partial<ReplicaSetStatus>;
  const templateLabels = selectorFromMap(rs.spec?.template?.metadata?.labels);
  const minReady = minReadySecondsOf(rs);
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (matchesLabels(templateLabels, pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }

  let conditions = Array.isArray(old.conditions) ? old.conditions.slice() : [];
  const failure = conditions.find((c) => c.type === replicaFailureCondition);
  if (manageError && !failure) {
    const diff = pods.length - desiredReplicas(rs);
    conditions.push({
      type: replicaFailureCondition,
      status: 'True',
      lastTransitionTime: rfc3339(now),
      reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : undefined,
      message: manageError.message,
    });
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== replicaFailureCondition);
  }

  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  if (old.observedGeneration !== undefined) status.observedGeneration = old.observedGeneration;
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

function sameConditions(a: ReplicaSetCondition[] | undefined, b: ReplicaSetCondition[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** Whether writing `next` would change anything: counts, conditions, or an unobserved generation. */
export function statusNeedsUpdate(rs: KubeObject, next: ReplicaSetStatus): boolean {
  const cur = (rs.status ?? {}) as Partial<ReplicaSetStatus>;
  return (
    (cur.replicas ?? 0) !== next.replicas ||
    (cur.fullyLabeledReplicas ?? 0) !== next.fullyLabeledReplicas ||
    (cur.readyReplicas ?? 0) !== next.readyReplicas ||
    (cur.availableReplicas ?? 0) !== next.availableReplicas ||
    (rs.metadata.generation ?? 0) !== (cur.observedGeneration ?? 0) ||
    !sameConditions(cur.conditions, next.conditions)
  );
}
