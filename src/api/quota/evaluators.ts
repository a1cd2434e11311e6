/**
 * Quota evaluators, as Kubernetes' pkg/quota/v1/evaluator/core and quota/v1/generic have them:
 * for one resource, which quota resource names it feeds, what one object uses, whether the
 * object falls in a quota's scopes, and what a quota demands of it. Quota admission charges
 * with them and the resource quota controller sums them over a namespace.
 *
 * - pods: pods, cpu/memory/ephemeral-storage requests (the bare names alias the requests) and
 *   limits, huge pages and extended resources, plus count/pods; terminal pods (and pods stuck
 *   past their deletion grace period) use nothing but their count/pods.
 * - services: services, services.nodeports, services.loadbalancers, count/services.
 * - everything else served and namespaced: count/<resource>[.<group>], and the legacy
 *   configmaps, secrets, replicationcontrollers and resourcequotas names for those kinds.
 * Events are not counted, as Kubernetes ignores them.
 */
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import { podQOSClass } from '../kinds/pods.js';
import { list, sub, str } from '../kinds/common.js';
import type { Quantity } from '../quantity.js';
import {
  addLists,
  addQuantity,
  count,
  isExtendedResourceName,
  isNativeResource,
  objectCountName,
  parseResourceList,
  zeroQuantity,
  type ResourceList,
  type ScopeRequirement,
} from './resources.js';

export interface QuotaEvaluator {
  readonly group: string;
  /** The resource measured, e.g. "pods". */
  readonly plural: string;
  /** The names of `names` (a quota's hard list) this resource's objects use. */
  matchingResources(names: Iterable<string>): string[];
  /** Whether obj falls in one scope selector term; resources without scopes match none. */
  matchesScope(req: ScopeRequirement, obj: KubeObject): boolean;
  /** What one object uses; `now` (ms) decides whether a deleted pod's grace period is over. */
  usage(obj: KubeObject, now: number): ResourceList;
  /** Why obj may not be charged against a quota restricting `required` ("must specify ..."), if it may not. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
  /** Whether updates can change usage (services can change type; pods are charged on create only). */
  readonly chargesUpdates: boolean;
  /** Whether an update from old to cur frees quota, so the controller should recount at once. */
  releasesOnUpdate(old: KubeObject, cur: KubeObject, now: number): boolean;
}

/** A quota's scopes and scope selector as one list of terms (spec.scopes become Exists terms). */
export function scopeRequirementsOf(quota: KubeObject): ScopeRequirement[] {
  const spec = sub(quota, 'spec');
  const out: ScopeRequirement[] = [];
  if (Array.isArray(spec.scopes)) for (const s of spec.scopes) out.push({ scopeName: str(s), operator: 'Exists' });
  for (const e of list(sub(spec, 'scopeSelector'), 'matchExpressions')) {
    out.push({ scopeName: str(e.scopeName), operator: str(e.operator), values: Array.isArray(e.values) ? e.values.map(str) : [] });
  }
  return out;
}

/**
 * generic.Matches: whether a quota with these hard names covers obj: it limits something obj's
 * resource uses, and obj is in every one of its scope terms.
 */
export function quotaMatches(ev: QuotaEvaluator, hardNames: Iterable<string>, scopes: readonly ScopeRequirement[], obj: KubeObject): boolean {
  if (ev.matchingResources(hardNames).length === 0) return false;
  return scopes.every((s) => ev.matchesScope(s, obj));
}

/**
 * generic.CalculateUsageStats: the summed usage of the objects in the quota's scopes, with every
 * name of `resources` present (zero when nothing uses it).
 */
export function usageOf(ev: QuotaEvaluator, objects: Iterable<KubeObject>, scopes: readonly ScopeRequirement[], resources: readonly string[], now: number): ResourceList {
  let used: ResourceList = new Map(resources.map((r) => [r, zeroQuantity]));
  for (const obj of objects) {
    if (!scopes.every((s) => ev.matchesScope(s, obj))) continue;
    used = addLists(used, ev.usage(obj, now));
  }
  return used;
}

const intersect = (names: Iterable<string>, known: ReadonlySet<string>) => [...names].filter((n) => known.has(n));

// --- pods --------------------------------------------------------------------------------------

const podResources: ReadonlySet<string> = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);

/**
 * The compute names every container must set when a quota limits them. Kubernetes calls this
 * a mistake it keeps for compatibility: only cpu and memory, never newer resources.
 */
const mustSpecify: ReadonlySet<string> = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

function maxInto(into: ResourceList, other: ResourceList): void {
  for (const [k, q] of other) {
    const have = into.get(k);
    if (!have || q.nanos > have.nanos) into.set(k, q);
  }
}

/**
 * The pod's effective requests or limits (resource helper's PodRequests/PodLimits): the sum over
 * its containers and sidecars (init containers that keep running), at least what any one
 * init container needs beside the sidecars started before it, plus the pod overhead (for
 * limits only where some container sets one).
 */
export function podResourceTotals(pod: KubeObject, which: 'requests' | 'limits'): ResourceList {
  const spec = sub(pod, 'spec');
  let total: ResourceList = new Map();
  for (const c of list(spec, 'containers')) total = addLists(total, parseResourceList(sub(c, 'resources')[which]));
  let sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const c of list(spec, 'initContainers')) {
    const own = parseResourceList(sub(c, 'resources')[which]);
    let need: ResourceList;
    if (c.restartPolicy === 'Always') {
      total = addLists(total, own);
      sidecars = addLists(sidecars, own);
      need = sidecars;
    } else {
      need = addLists(own, sidecars);
    }
    maxInto(initPeak, need);
  }
  maxInto(total, initPeak);
  const overhead = parseResourceList(spec.overhead);
  for (const [k, q] of overhead) {
    const have = total.get(k);
    if (which === 'requests') total.set(k, have ? addQuantity(have, q) : q);
    else if (have) total.set(k, addQuantity(have, q));
  }
  return total;
}

/** podComputeUsageHelper: the quota names one set of requests and limits uses (and one pod). */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', count(1)]]);
  const pair = (resource: string, aliases: string[], limitName: string) => {
    const r = requests.get(resource);
    if (r) for (const a of aliases) out.set(a, r);
    const l = limits.get(resource);
    if (l) out.set(limitName, l);
  };
  pair('cpu', ['cpu', 'requests.cpu'], 'limits.cpu');
  pair('memory', ['memory', 'requests.memory'], 'limits.memory');
  pair('ephemeral-storage', ['ephemeral-storage', 'requests.ephemeral-storage'], 'limits.ephemeral-storage');
  for (const [k, q] of requests) {
    if (k.startsWith('hugepages-')) {
      out.set(k, q);
      out.set(`requests.${k}`, q);
    }
    if (isExtendedResourceName(k)) out.set(`requests.${k}`, q);
  }
  return out;
}

/** QuotaV1Pod: a pod counts until it is terminal, or deleted and past its grace period. */
export function podCountsAgainstQuota(pod: KubeObject, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = pod.metadata;
  if (m.deletionTimestamp && typeof m.deletionGracePeriodSeconds === 'number') {
    const at = Date.parse(m.deletionTimestamp);
    if (Number.isFinite(at) && now > at + m.deletionGracePeriodSeconds * 1000) return false;
  }
  return true;
}

function isTerminating(pod: KubeObject): boolean {
  const ads = pod.spec?.activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

function crossNamespaceTerms(terms: unknown, weighted: boolean): boolean {
  if (!Array.isArray(terms)) return false;
  return terms.some((t) => {
    const term = weighted ? sub(t, 'podAffinityTerm') : isPlainObject(t) ? t : {};
    return (Array.isArray(term.namespaces) && term.namespaces.length > 0) || (term.namespaceSelector !== undefined && term.namespaceSelector !== null);
  });
}

function usesCrossNamespacePodAffinity(pod: KubeObject): boolean {
  const affinity = sub(pod.spec, 'affinity');
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = sub(affinity, kind);
    if (crossNamespaceTerms(a.requiredDuringSchedulingIgnoredDuringExecution, false)) return true;
    if (crossNamespaceTerms(a.preferredDuringSchedulingIgnoredDuringExecution, true)) return true;
  }
  return false;
}

/** A PriorityClass term as a label selector over {PriorityClass: <the pod's class>}. */
function priorityClassMatches(req: ScopeRequirement, className: string): boolean {
  const has = className !== '';
  const values = req.values ?? [];
  switch (req.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'In':
      return has && values.includes(className);
    case 'NotIn':
      return !has || !values.includes(className);
    default:
      return false;
  }
}

function podMatchesScope(req: ScopeRequirement, pod: KubeObject): boolean {
  switch (req.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return podQOSClass(pod) === 'BestEffort';
    case 'NotBestEffort':
      return podQOSClass(pod) !== 'BestEffort';
    case 'PriorityClass':
      return priorityClassMatches(req, str(pod.spec?.priorityClassName));
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespacePodAffinity(pod);
    default:
      return false;
  }
}

export const podEvaluator: QuotaEvaluator = {
  group: '',
  plural: 'pods',
  chargesUpdates: false,
  matchingResources(names) {
    const out = intersect(names, podResources);
    for (const n of names) {
      if (n.startsWith('hugepages-') || n.startsWith('requests.hugepages-')) out.push(n);
      else if (!isNativeResource(n) && n.startsWith('requests.')) out.push(n);
    }
    return out;
  },
  matchesScope: podMatchesScope,
  usage(pod, now) {
    const out: ResourceList = new Map([['count/pods', count(1)]]);
    if (!podCountsAgainstQuota(pod, now)) return out;
    return addLists(out, computeUsage(podResourceTotals(pod, 'requests'), podResourceTotals(pod, 'limits')));
  },
  constraints(required, pod) {
    const need = required.filter((r) => mustSpecify.has(r));
    if (need.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    const spec = sub(pod, 'spec');
    for (const c of [...list(spec, 'containers'), ...list(spec, 'initContainers')]) {
      const res = sub(c, 'resources');
      const has = computeUsage(parseResourceList(res.requests), parseResourceList(res.limits));
      for (const r of need) {
        if (has.has(r)) continue;
        let names = missing.get(r);
        if (!names) missing.set(r, (names = new Set()));
        names.add(str(c.name));
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
  releasesOnUpdate: (old, cur, now) => podCountsAgainstQuota(old, now) && !podCountsAgainstQuota(cur, now),
};

// --- services ----------------------------------------------------------------------------------

const serviceResources: ReadonlySet<string> = new Set(['count/services', 'services', 'services.nodeports', 'services.loadbalancers']);

/** The service type quota cares about: NodePort, LoadBalancer, or "" for the rest. */
function quotaServiceType(svc: KubeObject): string {
  const t = svc.spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer' ? t : '';
}

export const serviceEvaluator: QuotaEvaluator = {
  group: '',
  plural: 'services',
  chargesUpdates: true,
  matchingResources: (names) => intersect(names, serviceResources),
  matchesScope: () => false,
  usage(svc) {
    const ports = list(svc.spec, 'ports');
    const out: ResourceList = new Map([
      ['count/services', count(1)],
      ['services', count(1)],
      ['services.loadbalancers', zeroQuantity],
      ['services.nodeports', zeroQuantity],
    ]);
    const type = quotaServiceType(svc);
    if (type === 'NodePort') out.set('services.nodeports', count(ports.length));
    if (type === 'LoadBalancer') {
      // Without node ports allocated for it, only the ones it asks for by number count.
      const explicitOnly = svc.spec?.allocateLoadBalancerNodePorts === false;
      out.set('services.nodeports', count(explicitOnly ? ports.filter((p) => p.nodePort).length : ports.length));
      out.set('services.loadbalancers', count(1));
    }
    return out;
  },
  constraints: () => undefined,
  releasesOnUpdate: (old, cur) => quotaServiceType(old) !== quotaServiceType(cur),
};

// --- object counts -----------------------------------------------------------------------------

/** The pre-count/ names some core kinds are also counted under. */
const legacyCountNames: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

/** generic.NewObjectCountEvaluator: one of each object, under count/<resource> (and a legacy name). */
export function objectCountEvaluator(group: string, plural: string): QuotaEvaluator {
  const legacy = group === '' ? legacyCountNames[plural] : undefined;
  const names: ReadonlySet<string> = new Set([objectCountName(group, plural), ...(legacy ? [legacy] : [])]);
  const one = new Map([...names].map((n): [string, Quantity] => [n, count(1)]));
  return {
    group,
    plural,
    chargesUpdates: false,
    matchingResources: (input) => intersect(input, names),
    matchesScope: () => false,
    usage: () => new Map(one),
    constraints: () => undefined,
    releasesOnUpdate: () => false,
  };
}

/**
 * PersistentVolumeClaims are not served, so none exist: a quota on them (or on storage
 * requests) is always at zero, which this evaluator says without watching anything.
 */
export const persistentVolumeClaimEvaluator: QuotaEvaluator = {
  ...objectCountEvaluator('', 'persistentvolumeclaims'),
  matchingResources: (names) =>
    [...names].filter((n) => n === 'persistentvolumeclaims' || n === 'count/persistentvolumeclaims' || n === 'requests.storage' || n.includes('.storageclass.storage.k8s.io/')),
};

/** Resources quota never counts. */
const ignored = new Set(['/events', 'events.k8s.io/events']);

/** The evaluator for a namespaced resource, or undefined for one quota ignores. */
export function evaluatorFor(rt: { group: string; plural: string; namespaced: boolean }): QuotaEvaluator | undefined {
  if (!rt.namespaced || ignored.has(`${rt.group}/${rt.plural}`)) return undefined;
  if (rt.group === '' && rt.plural === 'pods') return podEvaluator;
  if (rt.group === '' && rt.plural === 'services') return serviceEvaluator;
  return objectCountEvaluator(rt.group, rt.plural);
}
