/**
 * Turns a stage's `next` into the pod status a kubelet would report: phase, conditions,
 * container statuses (ids, image ids, states), IPs and start time. Pure: identifiers and time
 * come in through `StatusContext`, so tests can pin them.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/object.js';
import { rfc3339 } from '../util/clock.js';
import { exitCodeAnnotation, type StageNext } from './stages.js';

export interface StatusContext {
  now: number;
  /** The node's InternalIP. */
  hostIP: string;
  /** Hands out the pod's IP when it needs one. */
  podIP: () => string;
  /** A fresh container id ("sim://<hex>"). */
  containerID: () => string;
}

interface Condition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

const imageIDs = new Map<string, string>();

/** A stable made-up digest per image, as a runtime reports the image it pulled. */
export function simImageID(image: string): string {
  let id = imageIDs.get(image);
  if (id === undefined) {
    id = `sim://sha256:${createHash('sha256').update(image).digest('hex')}`;
    // A pool plays few distinct images; the bound only guards against a pathological workload.
    if (imageIDs.size >= 1024) imageIDs.clear();
    imageIDs.set(image, id);
  }
  return id;
}

function containerStatus(
  c: { name: string; image?: string },
  prev: Record<string, any> | undefined,
  change: NonNullable<StageNext['containers']>,
  exitCode: number,
  ctx: StatusContext,
  startedAt: string,
): Record<string, unknown> {
  const image = c.image ?? '';
  const base = { name: c.name, image, restartCount: prev?.restartCount ?? 0 };
  const now = rfc3339(ctx.now);
  switch (change.state) {
    case 'waiting':
      return { ...base, imageID: '', ready: false, started: false, state: { waiting: { reason: change.reason } } };
    case 'running': {
      const containerID = prev?.containerID || ctx.containerID();
      const since = prev?.state?.running?.startedAt ?? startedAt;
      return { ...base, imageID: simImageID(image), containerID, ready: true, started: true, state: { running: { startedAt: since } } };
    }
    case 'terminated': {
      const containerID = prev?.containerID || ctx.containerID();
      const ran = prev?.state?.running?.startedAt ?? startedAt;
      const reason = exitCode === 0 ? change.reason : 'Error';
      return {
        ...base,
        imageID: simImageID(image),
        containerID,
        ready: false,
        started: false,
        state: { terminated: { exitCode, reason, startedAt: ran, finishedAt: now, containerID } },
      };
    }
  }
}

/**
 * The pod's status after `next` happens. Conditions not named by `next` are kept; a named
 * condition keeps its lastTransitionTime when its status does not change.
 */
export function podStatusAfter(pod: KubeObject, next: StageNext, ctx: StatusContext): Record<string, any> {
  const old: Record<string, any> = pod.status ?? {};
  const status: Record<string, any> = { ...old };
  const now = rfc3339(ctx.now);

  if (next.assignIP || next.phase === 'Running') {
    if (!status.hostIP) {
      status.hostIP = ctx.hostIP;
      status.hostIPs = [{ ip: ctx.hostIP }];
    }
    if (!status.podIP) {
      const ip = pod.spec?.hostNetwork === true ? ctx.hostIP : ctx.podIP();
      status.podIP = ip;
      status.podIPs = [{ ip }];
    }
    status.startTime ??= now;
  }

  let exitCode = 0;
  let change = next.containers;
  if (change?.state === 'terminated') {
    const annotated = Number(pod.metadata.annotations?.[exitCodeAnnotation] ?? change.exitCode);
    exitCode = Number.isInteger(annotated) ? annotated : 1;
    change = { ...change, exitCode };
  }
  let phase = next.phase;
  if (phase === 'Succeeded' && exitCode !== 0) phase = 'Failed';
  if (phase) status.phase = phase;

  if (change) {
    const startedAt: string = status.startTime ?? now;
    const byName = new Map<string, any>((old.containerStatuses ?? []).map((s: any) => [s.name, s]));
    status.containerStatuses = (pod.spec?.containers ?? []).map((c: { name: string; image?: string }) =>
      containerStatus(c, byName.get(c.name), change!, exitCode, ctx, startedAt),
    );
    const inits: { name: string; image?: string; restartPolicy?: string }[] = pod.spec?.initContainers ?? [];
    if (inits.length) {
      const oldInit = new Map<string, any>((old.initContainerStatuses ?? []).map((s: any) => [s.name, s]));
      status.initContainerStatuses = inits.map((c) => {
        // Init containers have finished by the time the app containers run; sidecars keep running.
        const initChange: NonNullable<StageNext['containers']> =
          change!.state === 'waiting'
            ? { state: 'waiting', reason: 'PodInitializing' }
            : c.restartPolicy === 'Always' && change!.state === 'running'
              ? { state: 'running' }
              : { state: 'terminated', exitCode: 0, reason: 'Completed' };
        return containerStatus(c, oldInit.get(c.name), initChange, 0, ctx, startedAt);
      });
    }
  }

  if (next.conditions) {
    const conditions: Condition[] = (old.conditions ?? []).map((c: Condition) => ({ ...c }));
    for (const [type, want] of Object.entries(next.conditions)) {
      const cur = conditions.find((c) => c.type === type);
      if (!cur) conditions.push({ type, status: want, lastProbeTime: null, lastTransitionTime: now });
      else if (cur.status !== want) {
        cur.status = want;
        cur.lastTransitionTime = now;
        // A reason explains the old status (e.g. the node controller's NodeNotReady); it no longer applies.
        delete cur.reason;
        delete cur.message;
      }
    }
    status.conditions = conditions;
  }
  return status;
}
