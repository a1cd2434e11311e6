/**
 * The arithmetic of rollouts, as pure functions over Deployment and ReplicaSet objects:
 * maxSurge/maxUnavailable resolution, how far the new ReplicaSet may grow, how far old ones
 * may shrink, and proportional scaling when spec.replicas changes mid-rollout. Nothing here
 * does I/O; the controller turns the returned sizes into ReplicaSet updates.
 */
import {
  desiredReplicasAnnotation,
  isRollingUpdate,
  maxReplicasAnnotation,
  replicasOf,
  revisionAnnotation,
  type Deployment,
  type IntOrPercent,
  type ReplicaSet,
} from './types.js';

/**
 * An int-or-percent scaled against total: numbers are taken as they are, "N%" is N% of total
 * rounded up or down. Malformed values throw (validation rejects them before they get here).
 */
export function scaledValue(v: IntOrPercent | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)%$/.exec(v);
  if (!m) {
    // Kubernetes accepts a bare number in the string form too.
    if (/^[0-9]+$/.test(v)) return Number(v);
    throw new Error(`invalid int-or-percent value ${JSON.stringify(v)}`);
  }
  const pct = Number(m[1]) * total;
  return roundUp ? Math.ceil(pct / 100) : Math.floor(pct / 100);
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) for `desired` replicas. When both
 * come out 0 (e.g. 10% of 5 and 0), maxUnavailable becomes 1 so the rollout can move at all.
 */
export function resolveFenceposts(
  maxSurge: IntOrPercent | undefined,
  maxUnavailable: IntOrPercent | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Pods the deployment may run above spec.replicas (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d)).surge;
}

/** Pods that may be unavailable during a rollout, never more than spec.replicas (0 for Recreate). */
export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return Math.min(resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas).unavailable, replicas);
}

/** Sum of spec.replicas. */
export function specReplicaCount(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
}

/** Sum of status.replicas (pods that exist). */
export function actualReplicaCount(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

export function readyReplicaCount(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

export function availableReplicaCount(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/** ReplicaSets that want pods. */
export function activeReplicaSets(rss: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && replicasOf(rs) > 0);
}

function created(rs: ReplicaSet): number {
  return rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : 0;
}

/** Oldest first; same second: by name. */
export function compareByCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Largest first; same size: newest first (where proportional scaling puts added pods). */
export function compareBySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || compareByCreation(b, a);
}

/** Largest first; same size: oldest first (where proportional scaling takes pods from). */
export function compareBySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || compareByCreation(a, b);
}

/** The revision annotation as a number; 0 when missing or malformed. */
export function revisionOf(rs: ReplicaSet | Deployment): number {
  const v = rs.metadata.annotations?.[revisionAnnotation];
  if (v === undefined || !/^[0-9]+$/.test(v)) return 0;
  return Number(v);
}

/** Lowest revision first; same revision: oldest first (the order cleanup deletes in). */
export function compareByRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || compareByCreation(a, b);
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^-?[0-9]+$/.test(v) ? Number(v) : undefined;
}

/**
 * The replica count the new ReplicaSet should have now. RollingUpdate: grow as far as the
 * surge allows (total spec.replicas <= replicas + maxSurge), never past spec.replicas.
 * Recreate: all of them (the controller only scales up once the old pods are gone).
 */
export function newReplicaSetReplicas(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return replicas;
  const current = specReplicaCount(allRSs);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicas - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/**
 * New spec.replicas for the old ReplicaSets in one RollingUpdate step (only entries that
 * change). First, pods that are not available are dropped from old sets (oldest set first),
 * as long as pods beyond the minimum available remain; then available old pods are removed
 * while more than replicas - maxUnavailable pods are available.
 */
export function planOldReplicaSetsScaleDown(
  d: Deployment,
  allRSs: ReplicaSet[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
): Map<string, number> {
  const sizes = new Map<string, number>();
  if (specReplicaCount(oldRSs) === 0) return sizes;
  const size = (rs: ReplicaSet) => sizes.get(rs.metadata.name!) ?? replicasOf(rs);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = specReplicaCount(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return sizes;

  const ordered = [...oldRSs].sort(compareByCreation);
  // Unhealthy pods first: removing them costs no availability.
  let cleaned = 0;
  for (const rs of ordered) {
    if (cleaned >= maxScaledDown) break;
    const unavailable = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (replicasOf(rs) === 0 || unavailable <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unavailable);
    sizes.set(rs.metadata.name!, replicasOf(rs) - n);
    cleaned += n;
  }

  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return sizes;
  const budget = available - minAvailable;
  let scaled = 0;
  for (const rs of ordered) {
    if (scaled >= budget) break;
    if (size(rs) === 0) continue;
    const n = Math.min(size(rs), budget - scaled);
    sizes.set(rs.metadata.name!, size(rs) - n);
    scaled += n;
  }
  return sizes;
}

/**
 * Whether the ReplicaSet runs the whole deployment: sized to spec.replicas, annotated with
 * that as desired, and all of them available.
 */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, desiredReplicasAnnotation);
  if (desired === undefined) return false;
  return replicasOf(rs) === replicasOf(d) && desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/**
 * The single ReplicaSet that has pods, or the newest one when none has: a plain scale can
 * then resize just that one. undefined when several are active (proportional scaling).
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => compareByCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/**
 * How many replicas rs should gain (negative: lose) when the deployment's size moves, in
 * proportion to its share of the size recorded in its max-replicas annotation.
 */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  // A missing, malformed or zero annotation (edited by hand) falls back to the current size.
  const annotation = intAnnotation(rs, maxReplicasAnnotation);
  const annotated = annotation ? annotation : d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  // Go's math.Round: halves away from zero (sizes are non-negative here).
  return Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Sizes for every active ReplicaSet after spec.replicas changed while several of them have
 * pods (RollingUpdate only): the difference to replicas + maxSurge is shared out in
 * proportion to each set's size, and any rounding leftover goes to the largest set.
 */
export function proportionalScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Map<string, number> {
  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowedSize = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowedSize - specReplicaCount(all);
  if (toAdd > 0) all.sort(compareBySizeNewer);
  else if (toAdd < 0) all.sort(compareBySizeOlder);
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of all) {
    const p = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
    sizes.set(rs.metadata.name!, replicasOf(rs) + p);
    added += p;
  }
  if (added !== toAdd && all.length > 0) {
    const first = all[0].metadata.name!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  return sizes;
}
