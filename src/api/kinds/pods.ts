/** core/v1 pods. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { clone, isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { humanDuration } from '../duration.js';
import { addQuantities, compareQuantities, parseQuantity, type Quantity } from '../quantity.js';
import { forbidden, invalidValue } from '../validation.js';
import { ageCell, ageColumn, column, deepEqual, int, list, specOf, str, sub, type Obj } from './common.js';
import { defaultPodSpec, validatePodSpec } from './podspec.js';

// --- Defaulting -------------------------------------------------------------------------------------

function copyLimitsToRequests(c: Obj): void {
  const res = c.resources;
  if (!isPlainObject(res) || !isPlainObject(res.limits)) return;
  if (!isPlainObject(res.requests)) res.requests = {};
  for (const [k, v] of Object.entries(res.limits)) (res.requests as Obj)[k] ??= v;
}

/**
 * Pod defaults: the pod-spec defaults, plus what only pods (not templates) get: requests
 * default to limits, service links are on, and host-network pods publish container ports.
 */
export function defaultPod(pod: KubeObject): void {
  const spec = specOf(pod);
  defaultPodSpec(spec);
  for (const c of [...list(spec, 'containers'), ...list(spec, 'initContainers')]) copyLimitsToRequests(c);
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork === true) {
    for (const c of [...list(spec, 'containers'), ...list(spec, 'initContainers')]) {
      for (const p of list(c, 'ports')) p.hostPort ??= p.containerPort;
    }
  }
}

// --- QoS --------------------------------------------------------------------------------------------

function quantityOr(v: unknown): Quantity | undefined {
  try {
    const q = parseQuantity(typeof v === 'number' ? String(v) : (v as string));
    return q.nanos === 0n ? undefined : q;
  } catch {
    return undefined;
  }
}

/**
 * The pod's QoS class from its containers' cpu/memory requests and limits: BestEffort with
 * none at all, Guaranteed when every container limits both and requests equal limits,
 * Burstable otherwise. Call after defaulting (requests default to limits).
 */
export function podQOSClass(pod: KubeObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const spec = sub(pod, 'spec');
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (m: Map<string, Quantity>, k: string, q: Quantity) => {
    const cur = m.get(k);
    m.set(k, cur ? addQuantities(cur, q) : q);
  };
  for (const c of [...list(spec, 'containers'), ...list(spec, 'initContainers')]) {
    const res = sub(c, 'resources');
    for (const [k, v] of Object.entries(sub(res, 'requests'))) {
      const q = quantityOr(v);
      if ((k === 'cpu' || k === 'memory') && q) add(requests, k, q);
    }
    const limited = new Set<string>();
    for (const [k, v] of Object.entries(sub(res, 'limits'))) {
      const q = quantityOr(v);
      if ((k === 'cpu' || k === 'memory') && q) {
        add(limits, k, q);
        limited.add(k);
      }
    }
    if (!limited.has('cpu') || !limited.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, req] of requests) {
      const lim = limits.get(k);
      if (!lim || compareQuantities(lim, req) !== 0) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

// --- Validation -------------------------------------------------------------------------------------

const podUpdateForbidden =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Errors for changes to a running pod's spec beyond the few Kubernetes allows. */
function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const spec = sub(pod, 'spec');
  const oldSpec = sub(old, 'spec');
  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (typeof oldAds === 'number' && oldAds < ads) {
      return [invalidValue('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value')];
    }
  } else if (typeof oldAds === 'number') {
    return [invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value')];
  }

  // Undo the allowed changes on a copy; whatever difference remains is forbidden.
  const mutable = clone(spec);
  const copyImages = (key: string) => {
    const now = list(mutable, key);
    const before = list(oldSpec, key);
    now.forEach((c, i) => {
      if (i < before.length) c.image = before[i].image;
    });
  };
  copyImages('containers');
  copyImages('initContainers');
  mutable.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  if (mutable.activeDeadlineSeconds === undefined) delete mutable.activeDeadlineSeconds;
  const oldTolerations = list(oldSpec, 'tolerations');
  const newTolerations = list(mutable, 'tolerations');
  if (oldTolerations.every((t) => newTolerations.some((n) => deepEqual(n, t)))) {
    if (oldSpec.tolerations === undefined) delete mutable.tolerations;
    else mutable.tolerations = oldSpec.tolerations;
  }
  if (int(oldSpec.terminationGracePeriodSeconds) < 0 && mutable.terminationGracePeriodSeconds === 1) {
    mutable.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  return deepEqual(mutable, oldSpec) ? [] : [forbidden('spec', podUpdateForbidden)];
}

function validatePod(pod: KubeObject, old?: KubeObject): FieldError[] {
  const errs = validatePodSpec(pod.spec, 'spec');
  if (old && errs.length === 0) errs.push(...validatePodUpdate(pod, old));
  return errs;
}

// --- Table --------------------------------------------------------------------------------------------

function isRestartableInit(c: Obj | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(status: Obj, type: string): boolean {
  return list(status, 'conditions').some((c) => c.type === type && c.status === 'True');
}

function finishedAt(cs: Obj): number {
  const t = Date.parse(str(sub(sub(cs, 'lastState'), 'terminated').finishedAt));
  return Number.isNaN(t) ? 0 : t;
}

/**
 * READY, STATUS and RESTARTS as kubectl shows them: the status is the most telling reason
 * among phase, init progress ("Init:1/2", "Init:CrashLoopBackOff"), container waiting or
 * terminated reasons ("ContainerCreating", "Completed", "ExitCode:1"), and "Terminating".
 */
export function podStatusCells(pod: KubeObject, now: number): [string, string, string] {
  const spec = sub(pod, 'spec');
  const status = sub(pod, 'status');
  const initSpecs = new Map(list(spec, 'initContainers').map((c) => [str(c.name), c]));
  let total = list(spec, 'containers').length;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;

  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (list(status, 'conditions').some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = list(status, 'initContainerStatuses');
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += int(cs.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const sidecar = isRestartableInit(initSpecs.get(str(cs.name)));
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(cs));
    }
    const terminated = isPlainObject(sub(cs, 'state').terminated) ? sub(sub(cs, 'state'), 'terminated') : undefined;
    const waiting = isPlainObject(sub(cs, 'state').waiting) ? sub(sub(cs, 'state'), 'waiting') : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      if (str(terminated.reason)) reason = `Init:${terminated.reason}`;
      else if (int(terminated.signal) !== 0) reason = `Init:Signal:${terminated.signal}`;
      else reason = `Init:ExitCode:${int(terminated.exitCode)}`;
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = list(status, 'containerStatuses');
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const state = sub(cs, 'state');
      const waiting = sub(state, 'waiting');
      const terminated = isPlainObject(state.terminated) ? sub(state, 'terminated') : undefined;
      if (str(waiting.reason)) reason = waiting.reason;
      else if (terminated && str(terminated.reason)) reason = terminated.reason;
      else if (terminated) {
        reason = int(terminated.signal) !== 0 ? `Signal:${terminated.signal}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && isPlainObject(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsCell = restarts !== 0 && lastRestart !== 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  return [`${ready}/${total}`, reason, restartsCell];
}

function readinessGatesCell(pod: KubeObject): string {
  const gates = list(sub(pod, 'spec'), 'readinessGates');
  if (gates.length === 0) return '<none>';
  const conditions = list(sub(pod, 'status'), 'conditions');
  const trueCount = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${trueCount}/${gates.length}`;
}

export const pods: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  listKind: 'PodList',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  hasStatus: true,
  extraSubresources: ['binding', 'eviction', 'log', 'exec', 'attach', 'portforward'],
  defaults: defaultPod,
  validate: validatePod,
  columns: [
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn,
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', true),
    column('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', true),
    column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', true),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', true),
  ],
  cells(pod, now) {
    const status = sub(pod, 'status');
    const ips = list(status, 'podIPs');
    const ip = str(ips[0]?.ip) || str(status.podIP) || '<none>';
    return [
      ...podStatusCells(pod, now),
      ageCell(pod, now),
      ip,
      str(sub(pod, 'spec').nodeName) || '<none>',
      str(status.nominatedNodeName) || '<none>',
      readinessGatesCell(pod),
    ];
  },
  selectableFields(pod) {
    const spec = sub(pod, 'spec');
    const status = sub(pod, 'status');
    return {
      'spec.nodeName': str(spec.nodeName),
      'spec.restartPolicy': str(spec.restartPolicy),
      'spec.schedulerName': str(spec.schedulerName),
      'spec.serviceAccountName': str(spec.serviceAccountName),
      'spec.hostNetwork': String(spec.hostNetwork === true),
      'status.phase': str(status.phase),
      'status.podIP': str(status.podIP),
      'status.nominatedNodeName': str(status.nominatedNodeName),
    };
  },
};
