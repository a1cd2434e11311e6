/**
 * Deployment status as Kubernetes computes it: counts summed over the ReplicaSets, the
 * Available condition, and the Progressing condition that `kubectl rollout status` watches
 * (including ProgressDeadlineExceeded after progressDeadlineSeconds without progress).
 * Pure: time comes in as `now` (ms).
 */
import { rfc3339 } from '../../util/clock.js';
import { actualReplicaCount, availableReplicaCount, maxUnavailable, readyReplicaCount, specReplicaCount } from './replicas.js';
import { reasons, replicasOf, type Deployment, type DeploymentCondition, type DeploymentStatus, type ReplicaSet } from './types.js';

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/**
 * Puts the condition into status. One with the same status and reason as the current one is
 * ignored (so lastUpdateTime keeps marking the last real change); a new reason with the same
 * status keeps the old lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = { ...cond };
  if (cur && cur.status === cond.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** Whether the deployment reports progress at all (progressDeadlineSeconds set and not MaxInt32). */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

/** Status counts from the ReplicaSets, with the Available condition; other conditions carried over. */
export function calculateStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: number): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicaCount(allRSs) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions = (d.status?.conditions ?? []).map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** All replicas updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const n = replicasOf(d);
  return s.updatedReplicas === n && s.replicas === n && s.availableReplicas === n && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Whether newStatus shows progress over the deployment's recorded status. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Whether progressDeadlineSeconds passed since the Progressing condition last changed. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, 'Progressing');
  if (!cond) return false;
  if (cond.reason === reasons.newRSAvailable) return false;
  if (cond.reason === reasons.timedOut) return true;
  const from = cond.lastUpdateTime ? Date.parse(cond.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return false;
  return from + d.spec.progressDeadlineSeconds! * 1000 < now;
}

function subject(d: Deployment, newRS: ReplicaSet | undefined): string {
  return newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
}

/**
 * The status to write after a rollout step: calculateStatus plus the Progressing condition
 * (NewReplicaSetAvailable when complete, ReplicaSetUpdated on progress, ProgressDeadlineExceeded
 * when stuck past the deadline).
 */
export function rolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: number): DeploymentStatus {
  const s = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(s, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && cur?.reason === reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', reasons.newRSAvailable, `${subject(d, newRS)} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, s)) {
      const cond = newCondition('Progressing', 'True', reasons.replicaSetUpdated, `${subject(d, newRS)} is progressing.`, now);
      // Progress refreshes lastUpdateTime (the deadline's start) even when the reason is unchanged.
      if (cur?.status === 'True') cond.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(s, 'Progressing');
      setCondition(s, cond);
    } else if (deploymentTimedOut(d, s, now)) {
      setCondition(s, newCondition('Progressing', 'False', reasons.timedOut, `${subject(d, newRS)} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(s, failure);
  else removeCondition(s, 'ReplicaFailure');
  return s;
}

/** A ReplicaFailure condition of the new (else any) ReplicaSet, promoted to the deployment. */
function replicaFailure(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  const order = newRS ? [newRS, ...allRSs.filter((rs) => rs !== newRS)] : allRSs;
  for (const rs of order) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) {
      return { type: 'ReplicaFailure', status: c.status as DeploymentCondition['status'], lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
    }
  }
  return undefined;
}

/**
 * When a deployment whose status did not change should be looked at again to notice a
 * passed deadline: ms from now (at least 0), or undefined when no check is due.
 */
export function progressCheckDelay(d: Deployment, s: DeploymentStatus, now: number): number | undefined {
  const cond = getCondition(s, 'Progressing');
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, s) || cond.reason === reasons.timedOut) return undefined;
  const from = cond.lastUpdateTime ? Date.parse(cond.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return undefined;
  return Math.max(0, from + d.spec.progressDeadlineSeconds! * 1000 - now);
}

/**
 * Progressing=Unknown DeploymentPaused / DeploymentResumed as spec.paused flips, so time spent
 * paused never counts against the deadline. Returns true if status changed.
 */
export function applyPausedCondition(d: Deployment, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, 'Progressing');
  if (cond?.reason === reasons.timedOut) return false;
  const pausedCond = cond?.reason === reasons.paused;
  if (d.spec.paused && !pausedCond) {
    setCondition(status, newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', now));
    return true;
  }
  if (!d.spec.paused && pausedCond) {
    setCondition(status, newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', now));
    return true;
  }
  return false;
}

/** Status equality for deciding whether to write (JSON of the same field order). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  const norm = (s: DeploymentStatus | undefined) => {
    const x = s ?? {};
    return JSON.stringify([
      x.observedGeneration ?? 0, x.replicas ?? 0, x.updatedReplicas ?? 0, x.readyReplicas ?? 0, x.availableReplicas ?? 0,
      x.unavailableReplicas ?? 0, x.collisionCount, (x.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message, c.lastUpdateTime, c.lastTransitionTime]),
    ]);
  };
  return norm(a) === norm(b);
}
