/**
 * Revision bookkeeping on ReplicaSet annotations: which revision each ReplicaSet is, the
 * revisions a reused ReplicaSet served before (a rollback), the Deployment annotations it
 * carries (kubectl rollout history reads CHANGE-CAUSE from them) and its replica annotations.
 * Pure: functions change the annotation maps they are given and say whether they did.
 */
import { maxSurge, revisionOf } from './replicas.js';
import {
  deprecatedRollbackToAnnotation,
  desiredReplicasAnnotation,
  lastAppliedAnnotation,
  maxReplicasAnnotation,
  replicasOf,
  revisionAnnotation,
  revisionHistoryAnnotation,
  type Deployment,
  type ReplicaSet,
} from './types.js';

/** Kubernetes' default --deployment-controller revision-history length cap, in characters. */
export const maxRevisionHistoryChars = 2000;

/** The controller's own annotations and kubectl's apply record never travel from Deployment to RS. */
const notCopied = new Set([
  lastAppliedAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  deprecatedRollbackToAnnotation,
]);

export function isCopiedAnnotation(key: string): boolean {
  return !notCopied.has(key);
}

/** The highest revision among the ReplicaSets (0 for none). */
export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** Copies the Deployment's annotations (but the skipped ones) onto rsAnnotations; true if any changed. */
export function copyDeploymentAnnotations(d: Deployment, rsAnnotations: Record<string, string>): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (!isCopiedAnnotation(k) || rsAnnotations[k] === v) continue;
    rsAnnotations[k] = v;
    changed = true;
  }
  return changed;
}

/** Sets desired-replicas and max-replicas; true if either changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[desiredReplicasAnnotation] !== String(desired)) {
    annotations[desiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (annotations[maxReplicasAnnotation] !== String(max)) {
    annotations[maxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

/** Whether the RS's replica annotations disagree with the deployment's current size. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, d: Deployment): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(replicasOf(d)) || a[maxReplicasAnnotation] !== String(replicasOf(d) + maxSurge(d));
}

/**
 * Brings the new ReplicaSet's annotations up to date: the Deployment's annotations, and the
 * revision `newRevision` when that is higher than the one it has. A ReplicaSet that had a
 * revision and gets a higher one is being reused (a rollback), so its old number is appended
 * to revision-history (oldest entries dropped past `historyLimitChars`). A ReplicaSet about
 * to be created (`exists` false) also gets its replica annotations. True if anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  annotations: Record<string, string>,
  newRevision: number,
  exists: boolean,
  historyLimitChars = maxRevisionHistoryChars,
): boolean {
  let changed = copyDeploymentAnnotations(d, annotations);
  const had = annotations[revisionAnnotation];
  let oldRevision = 0;
  if (had !== undefined && had !== '') {
    // A revision we cannot read is left alone, as Kubernetes does.
    if (!/^[0-9]+$/.test(had)) return changed;
    oldRevision = Number(had);
  }
  if (oldRevision < newRevision) {
    annotations[revisionAnnotation] = String(newRevision);
    changed = true;
    if (had !== undefined) {
      const history = annotations[revisionHistoryAnnotation];
      if (!history) {
        annotations[revisionHistoryAnnotation] = had;
      } else {
        const entries = history.split(',');
        let total = history.length + had.length + 1;
        let start = 0;
        while (total > historyLimitChars && start < entries.length) {
          total -= entries[start].length + 1;
          start++;
        }
        if (total <= historyLimitChars) annotations[revisionHistoryAnnotation] = [...entries.slice(start), had].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(annotations, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}
