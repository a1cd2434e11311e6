/**
 * The `endpoints.kubernetes.io/last-change-trigger-time` annotation, as Kubernetes' endpoints
 * controller computes it (k8s.io/endpointslice/util TriggerTimeTracker): when the change that
 * this write of the Endpoints reflects happened. For a Service seen for the first time that
 * is its creation; afterwards, the earliest of the changes since the previous sync: a pod's
 * Ready condition flipping (its lastTransitionTime) or the Service being recreated.
 *
 * Like Kubernetes', it can be wrong when one object changes twice between two syncs; it is
 * an approximation for latency measurements, not a record.
 */
import type { KubeObject } from '../../api/object.js';

interface ServiceState {
  serviceTime: number;
  /** Per pod name, the Ready transition time last seen. */
  podTimes: Map<string, number>;
}

function parseTime(v: unknown): number {
  if (typeof v !== 'string' || !v) return 0;
  const t = Date.parse(v);
  return Number.isNaN(t) ? 0 : t;
}

function podTriggerTime(pod: KubeObject): number {
  const conds = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  const ready = conds.find((c: { type?: string }) => c?.type === 'Ready');
  return parseTime(ready?.lastTransitionTime);
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * Records what the pods and the Service look like now, and returns the trigger time to
   * write (ms since the epoch), or undefined when nothing the annotation tracks changed.
   * Not to be called concurrently for one key (the work queue guarantees it).
   */
  compute(key: string, svc: KubeObject, pods: readonly KubeObject[]): number | undefined {
    const prev = this.states.get(key);
    let earliest: number | undefined;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (!t) continue;
      const name = pod.metadata.name ?? '';
      podTimes.set(name, t);
      if (t > (prev?.podTimes.get(name) ?? 0) && (earliest === undefined || t < earliest)) earliest = t;
    }
    const serviceTime = parseTime(svc.metadata.creationTimestamp);
    if (serviceTime > (prev?.serviceTime ?? 0) && (earliest === undefined || serviceTime < earliest)) earliest = serviceTime;
    this.states.set(key, { serviceTime, podTimes });
    if (!prev) return serviceTime || undefined;
    return earliest;
  }

  /** Forgets a deleted Service. */
  delete(key: string): void {
    this.states.delete(key);
  }
}

/** Go's time.RFC3339Nano in UTC: fractional seconds only when non-zero, trailing zeros trimmed. */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}
