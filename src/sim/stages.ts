/**
 * Pod lifecycles of simulated nodes as data, the way kwok describes them: a stage says which
 * pods it applies to (selector), how long to wait (delay) and what happens next (a status
 * change, or the final deletion). One generic player (`SimNodePool`) runs every stage; new
 * behaviour is a new entry in the list, not new code.
 */
import type { KubeObject } from '../api/object.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** Which pods a stage applies to; every given field must hold. */
export interface StageSelector {
  /** status.phase is one of these (a pod with no phase counts as Pending). */
  phases?: PodPhase[];
  /** true: metadata.deletionTimestamp is set; false: it is not. */
  deleting?: boolean;
  /** Every one of these annotations is present. */
  annotations?: string[];
  /** spec.restartPolicy is one of these. */
  restartPolicies?: ('Always' | 'OnFailure' | 'Never')[];
  /** The pod's condition of this type is not "True" (or missing). */
  conditionNotTrue?: string;
  /** The first container's state: "none" when the kubelet has reported nothing yet. */
  containerState?: ('none' | 'waiting' | 'running' | 'terminated')[];
}

/** What every container of the pod looks like after the stage. */
export type ContainerStateChange =
  | { state: 'waiting'; reason: string }
  | { state: 'running' }
  | { state: 'terminated'; exitCode: number; reason: string };

export interface StageNext {
  /** New status.phase. */
  phase?: PodPhase;
  /** New state of every container (and its ready/started flags, which follow from it). */
  containers?: ContainerStateChange;
  /** Pod conditions to set, by type; lastTransitionTime moves only when the status changes. */
  conditions?: Record<string, 'True' | 'False'>;
  /** Gives the pod its hostIP, podIP and startTime if it has none yet. */
  assignIP?: boolean;
  /** Deletes the pod for good (grace period 0, uid precondition), as a kubelet does once its containers are gone. */
  delete?: boolean;
  /** An event to record on the pod, if the pool has a recorder. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

export interface Stage {
  name: string;
  selector: StageSelector;
  /** How long a pod waits in the matching state before `next` happens. */
  delayMs: number;
  /** Adds up to this many ms at random, so a crowd of pods does not move in lock step. */
  jitterMs?: number;
  /** Takes the delay from this pod annotation instead ("500ms", "2s", "1m" or plain ms), when present. */
  delayFromAnnotation?: string;
  next: StageNext;
}

/** Pod annotation: how long its containers run before exiting (pods with restartPolicy Never/OnFailure). */
export const exitAfterAnnotation = 'sim.peapod.io/exit-after';
/** Pod annotation: the exit code of those containers (default 0: Succeeded; otherwise Failed). */
export const exitCodeAnnotation = 'sim.peapod.io/exit-code';

/** A deleted pod's containers are "stopped" and the pod removed: kubelet's last step. */
export const podDeleteStage: Stage = {
  name: 'pod-delete',
  selector: { deleting: true },
  delayMs: 50,
  next: { delete: true },
};

/** Optional first step: the pod shows ContainerCreating before it runs (kubectl shows it). */
export const podContainerCreatingStage: Stage = {
  name: 'pod-container-creating',
  selector: { deleting: false, phases: ['Pending'], containerState: ['none'] },
  delayMs: 0,
  next: {
    containers: { state: 'waiting', reason: 'ContainerCreating' },
    conditions: { PodScheduled: 'True', Initialized: 'True', Ready: 'False', ContainersReady: 'False' },
    assignIP: true,
  },
};

/**
 * Pending -> Running and Ready. Also matches a Running pod whose Ready condition someone else
 * turned off (the node lifecycle controller does while the node is unreachable), so a node
 * that comes back reports its pods ready again, as a kubelet would.
 */
export const podReadyStage: Stage = {
  name: 'pod-ready',
  selector: { deleting: false, phases: ['Pending', 'Running'], conditionNotTrue: 'Ready', containerState: ['none', 'waiting', 'running'] },
  delayMs: 0,
  next: {
    phase: 'Running',
    containers: { state: 'running' },
    conditions: { PodScheduled: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True' },
    assignIP: true,
  },
};

/** Running pods that will not be restarted and carry `sim.peapod.io/exit-after` complete after that long. */
export const podCompleteStage: Stage = {
  name: 'pod-complete',
  selector: { deleting: false, phases: ['Running'], annotations: [exitAfterAnnotation], restartPolicies: ['Never', 'OnFailure'] },
  delayMs: 0,
  delayFromAnnotation: exitAfterAnnotation,
  next: {
    phase: 'Succeeded',
    containers: { state: 'terminated', exitCode: 0, reason: 'Completed' },
    conditions: { Ready: 'False', ContainersReady: 'False' },
  },
};

/** What a SimNodePool plays unless told otherwise: straight to Running, completion on request, deletion. */
export const defaultPodStages: readonly Stage[] = [podDeleteStage, podCompleteStage, podReadyStage];

/** As defaultPodStages, with the ContainerCreating step shown first. */
export const podStagesWithContainerCreating: readonly Stage[] = [podDeleteStage, podCompleteStage, podContainerCreatingStage, podReadyStage];

function firstContainerState(pod: KubeObject): 'none' | 'waiting' | 'running' | 'terminated' {
  const state = pod.status?.containerStatuses?.[0]?.state;
  if (!state || typeof state !== 'object') return 'none';
  if (state.terminated) return 'terminated';
  if (state.running) return 'running';
  if (state.waiting) return 'waiting';
  return 'none';
}

/** Whether a stage's selector holds for a pod. */
export function stageMatches(sel: StageSelector, pod: KubeObject): boolean {
  if (sel.phases && !sel.phases.includes((pod.status?.phase ?? 'Pending') as PodPhase)) return false;
  if (sel.deleting !== undefined && Boolean(pod.metadata.deletionTimestamp) !== sel.deleting) return false;
  if (sel.annotations && !sel.annotations.every((a) => pod.metadata.annotations?.[a] !== undefined)) return false;
  if (sel.restartPolicies && !sel.restartPolicies.includes(pod.spec?.restartPolicy ?? 'Always')) return false;
  if (sel.conditionNotTrue) {
    const c = (pod.status?.conditions ?? []).find((x: { type?: string }) => x.type === sel.conditionNotTrue);
    if (c?.status === 'True') return false;
  }
  if (sel.containerState && !sel.containerState.includes(firstContainerState(pod))) return false;
  return true;
}

/** The first stage, in list order, that applies to the pod. */
export function matchStage(stages: readonly Stage[], pod: KubeObject): Stage | undefined {
  return stages.find((s) => stageMatches(s.selector, pod));
}

/** Parses "250ms", "2s", "1.5m", "1h" or a bare number of milliseconds; undefined when unreadable. */
export function parseDelay(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** How long the pod waits in this stage. */
export function stageDelay(stage: Stage, pod: KubeObject, random: () => number = Math.random): number {
  let delay = stage.delayMs;
  if (stage.delayFromAnnotation) {
    const text = pod.metadata.annotations?.[stage.delayFromAnnotation];
    const parsed = text === undefined ? undefined : parseDelay(text);
    if (parsed !== undefined) delay = parsed;
  }
  if (stage.jitterMs) delay += Math.floor(random() * stage.jitterMs);
  return Math.max(0, delay);
}
