/**
 * LimitRanger admission, as Kubernetes' plugin (plugin/pkg/admission/limitranger) does it for
 * pods: on create, each container and init container gets the limits and requests it lacks
 * from the namespace's LimitRanges of type Container (`default`, `defaultRequest`), noted in
 * the `kubernetes.io/limit-ranger` annotation (the mutating half, which runs before the pod is
 * validated); then every container must keep within each Container item's min, max and
 * maxLimitRequestRatio, and the pod's summed requests and limits within each Pod item's, or the
 * create is refused with 403 Forbidden (the validating half). Pod updates are left alone, as
 * in Kubernetes: containers and their resources cannot change through an update.
 *
 * The LimitRanges are kept per namespace in memory (namespaced-cache.ts): a pod create in a
 * namespace without any costs one map lookup, and one created here applies to the very next pod.
 */
import type { KubeObject } from '../../api/object.js';
import { isPlainObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import { forbiddenObject } from '../../api/errors.js';
import { compareQuantities, milliValue, value, type Quantity } from '../../api/quantity.js';
import { goAdd, goFloat, goQuantity, goString, type GoQuantity } from '../../api/quantity-go.js';
import { limitTypeContainer, limitTypePod } from '../../api/kinds/limitranges.js';
import { list, str, sub, type Obj } from '../../api/kinds/common.js';
import type { Logger } from '../../util/logger.js';
import type { AdmissionHook, MutatingAdmissionHook, ObjectRegistry } from '../registry.js';
import { NamespacedObjectCache } from './namespaced-cache.js';

export const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

type ResourceList = ReadonlyMap<string, GoQuantity>;

/** One item of a LimitRange, its quantities parsed once. */
export interface LimitRangeItemView {
  type: string;
  max: ResourceList;
  min: ResourceList;
  default: ResourceList;
  defaultRequest: ResourceList;
  maxLimitRequestRatio: ResourceList;
}

/** A LimitRange as the plugin uses it. */
export interface LimitRangeView {
  name: string;
  items: readonly LimitRangeItemView[];
}

/** A resource list of an object, parsed; entries that do not parse are skipped (validation refuses them). */
function resourceList(v: unknown): ResourceList {
  const out = new Map<string, GoQuantity>();
  if (!isPlainObject(v)) return out;
  for (const [k, raw] of Object.entries(v)) {
    try {
      out.set(k, goQuantity(raw));
    } catch {
      // not a quantity: the object was refused before it was stored
    }
  }
  return out;
}

/** The plugin's view of a stored LimitRange. */
export function limitRangeView(lr: KubeObject): LimitRangeView {
  return {
    name: lr.metadata?.name ?? '',
    items: list(sub(lr, 'spec'), 'limits').map((item) => ({
      type: str(item.type),
      max: resourceList(item.max),
      min: resourceList(item.min),
      default: resourceList(item.default),
      defaultRequest: resourceList(item.defaultRequest),
      maxLimitRequestRatio: resourceList(item.maxLimitRequestRatio),
    })),
  };
}

// --- defaulting ---------------------------------------------------------------------------------

function containersOf(pod: KubeObject): { containers: Obj[]; initContainers: Obj[] } {
  const spec = sub(pod, 'spec');
  return { containers: list(spec, 'containers'), initContainers: list(spec, 'initContainers') };
}

/** Fills the resources `c` lacks from the defaults; returns the annotation's phrases for it. */
function mergeContainerResources(c: Obj, limits: ResourceList, requests: ResourceList, what: string): string[] {
  // Something that is not a resources object is validation's to refuse, not this hook's to replace.
  const absent = (v: unknown) => v === undefined || v === null;
  if (!absent(c.resources) && !isPlainObject(c.resources)) return [];
  if (isPlainObject(c.resources) && [c.resources.limits, c.resources.requests].some((l) => !absent(l) && !isPlainObject(l))) return [];
  const fill = (key: 'limits' | 'requests', defaults: ResourceList): string[] => {
    const set: string[] = [];
    for (const [k, q] of defaults) {
      const res = isPlainObject(c.resources) ? c.resources : (c.resources = {});
      const have = isPlainObject(res[key]) ? res[key] : (res[key] = {});
      if (k in have) continue;
      have[k] = goString(q);
      set.push(k);
    }
    return set.sort();
  };
  const setLimits = fill('limits', limits);
  const setRequests = fill('requests', requests);
  const name = str(c.name);
  const notes: string[] = [];
  if (setRequests.length) notes.push(`${setRequests.join(', ')} request for ${what} ${name}`);
  if (setLimits.length) notes.push(`${setLimits.join(', ')} limit for ${what} ${name}`);
  return notes;
}

/**
 * The mutating half: each LimitRange's Container defaults fill what containers and init
 * containers lack (a LimitRange only adds what earlier ones left unset), and the last one that
 * set anything says so in the pod's `kubernetes.io/limit-ranger` annotation.
 */
export function applyLimitRangeDefaults(pod: KubeObject, ranges: readonly LimitRangeView[]): void {
  const { containers, initContainers } = containersOf(pod);
  for (const range of ranges) {
    const limits = new Map<string, GoQuantity>();
    const requests = new Map<string, GoQuantity>();
    for (const item of range.items) {
      if (item.type !== limitTypeContainer) continue;
      for (const [k, q] of item.defaultRequest) requests.set(k, q);
      for (const [k, q] of item.default) limits.set(k, q);
    }
    if (limits.size === 0 && requests.size === 0) continue;
    const notes = [
      ...containers.flatMap((c) => mergeContainerResources(c, limits, requests, 'container')),
      ...initContainers.flatMap((c) => mergeContainerResources(c, limits, requests, 'init container')),
    ];
    if (notes.length === 0) continue;
    const m = pod.metadata;
    if (m.annotations === undefined || m.annotations === null) m.annotations = {};
    else if (!isPlainObject(m.annotations)) continue; // validation refuses it
    m.annotations[limitRangerAnnotation] = `LimitRanger plugin set: ${notes.join('; ')}`;
  }
}

// --- constraints --------------------------------------------------------------------------------

const MAX_MILLI_VALUE = ((1n << 63n) - 1n) / 1000n;
const zero: Quantity = { nanos: 0n, format: 'DecimalSI' };

/** Request, limit and bound at one precision: thousandths when all fit, else whole units (rounded up). */
function comparable(req: Quantity, lim: Quantity, enforced: Quantity): [bigint, bigint, bigint] {
  const whole = [value(req), value(lim), value(enforced)] as [bigint, bigint, bigint];
  if (whole.every((v) => v <= MAX_MILLI_VALUE)) return [milliValue(req), milliValue(lim), milliValue(enforced)];
  return whole;
}

type Constraint = (type: string, name: string, enforced: GoQuantity, requests: ResourceList, limits: ResourceList) => string | undefined;

const minConstraint: Constraint = (type, name, enforced, requests, limits) => {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = comparable(req?.q ?? zero, lim?.q ?? zero, enforced.q);
  const head = `minimum ${name} usage per ${type} is ${goString(enforced)}`;
  if (!req) return `${head}.  No request is specified`;
  if (r < e) return `${head}, but request is ${goString(req)}`;
  if (lim && l < e) return `${head}, but limit is ${goString(lim)}`;
  return undefined;
};

const maxConstraint: Constraint = (type, name, enforced, requests, limits) => {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = comparable(req?.q ?? zero, lim?.q ?? zero, enforced.q);
  const head = `maximum ${name} usage per ${type} is ${goString(enforced)}`;
  if (!lim) return `${head}.  No limit is specified`;
  if (l > e) return `${head}, but limit is ${goString(lim)}`;
  if (req && r > e) return `${head}, but request is ${goString(req)}`;
  return undefined;
};

const ratioConstraint: Constraint = (type, name, enforced, requests, limits) => {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l] = comparable(req?.q ?? zero, lim?.q ?? zero, enforced.q);
  const head = `${name} max limit to request ratio per ${type} is ${goString(enforced)}`;
  if (!req || r === 0n) return `${head}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${head}, but no limit is specified or limit is 0`;
  const observed = Number(l) / Number(r);
  let scaled = observed;
  let max = Number(value(enforced.q));
  if (value(enforced.q) <= MAX_MILLI_VALUE) {
    scaled = observed * 1000;
    max = Number(milliValue(enforced.q));
  }
  return scaled > max ? `${head}, but provided ratio is ${goFloat(observed)}` : undefined;
};

function checkItem(errs: string[], item: LimitRangeItemView, requests: ResourceList, limits: ResourceList): void {
  const run = (bounds: ResourceList, check: Constraint) => {
    for (const [name, enforced] of bounds) {
      const err = check(item.type, name, enforced, requests, limits);
      if (err) errs.push(err);
    }
  };
  run(item.min, minConstraint);
  run(item.max, maxConstraint);
  run(item.maxLimitRequestRatio, ratioConstraint);
}

function addInto(into: Map<string, GoQuantity>, from: ResourceList): void {
  for (const [k, q] of from) {
    const cur = into.get(k);
    into.set(k, cur ? goAdd(cur, q) : q);
  }
}

function maxInto(into: Map<string, GoQuantity>, from: ResourceList): void {
  for (const [k, q] of from) {
    const cur = into.get(k);
    if (!cur || compareQuantities(q.q, cur.q) > 0) into.set(k, q);
  }
}

/**
 * What the pod as a whole asks for (`requests` or `limits`), as Kubernetes sums it: its
 * containers plus its sidecars (init containers that restart Always), or the largest one-off
 * init container (with the sidecars started before it) if that is more.
 */
export function podResources(pod: KubeObject, key: 'requests' | 'limits'): Map<string, GoQuantity> {
  const { containers, initContainers } = containersOf(pod);
  const of = (c: Obj) => resourceList(sub(c, 'resources')[key]);
  const total = new Map<string, GoQuantity>();
  for (const c of containers) addInto(total, of(c));
  const sidecars = new Map<string, GoQuantity>();
  const init = new Map<string, GoQuantity>();
  for (const c of initContainers) {
    let own: ResourceList = of(c);
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      own = sidecars;
    } else {
      const tmp = new Map(own);
      addInto(tmp, sidecars);
      own = tmp;
    }
    maxInto(init, own);
  }
  maxInto(total, init);
  return total;
}

/** Everything in `pod` one LimitRange forbids, in Kubernetes' words (containers, then init containers, then the pod). */
export function limitRangeViolations(pod: KubeObject, range: LimitRangeView): string[] {
  const errs: string[] = [];
  const { containers, initContainers } = containersOf(pod);
  for (const item of range.items) {
    if (item.type === limitTypeContainer) {
      for (const c of [...containers, ...initContainers]) {
        const res = sub(c, 'resources');
        checkItem(errs, item, resourceList(res.requests), resourceList(res.limits));
      }
    } else if (item.type === limitTypePod) {
      checkItem(errs, item, podResources(pod, 'requests'), podResources(pod, 'limits'));
    }
  }
  return errs;
}

/** utilerrors.NewAggregate(...).Error(): one message as it is, several (without repeats) in brackets. */
export function aggregateMessages(msgs: readonly string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

// --- the plugin ---------------------------------------------------------------------------------

function isPods(rt: ResourceType): boolean {
  return rt.group === '' && rt.plural === 'pods';
}

export class LimitRanger {
  private readonly cache: NamespacedObjectCache<LimitRangeView>;

  constructor(registry: ObjectRegistry, limitRanges: ResourceType, log: Logger) {
    this.cache = new NamespacedObjectCache(registry, limitRanges, limitRangeView, log);
  }

  /** The LimitRanges of a namespace in name order (none: an empty list; undefined while out of step). */
  forNamespace(namespace: string): readonly LimitRangeView[] | undefined {
    return this.cache.cached(namespace);
  }

  /** The namespace's LimitRanges, from memory when it is in step with the store (it almost always is). */
  private withRanges(pod: KubeObject, then: (ranges: readonly LimitRangeView[]) => void): void | Promise<void> {
    const ns = pod.metadata.namespace ?? '';
    const cached = this.cache.cached(ns);
    if (cached) return cached.length ? then(cached) : undefined;
    return this.cache.read(ns).then((ranges) => (ranges.length ? then(ranges) : undefined));
  }

  /** The mutating hook: defaults for new pods. */
  readonly mutate: MutatingAdmissionHook = (op, rt, obj) => {
    if (op !== 'create' || !isPods(rt)) return;
    return this.withRanges(obj, (ranges) => applyLimitRangeDefaults(obj, ranges));
  };

  /** The validating hook: new pods must keep within every LimitRange (the first one broken is reported). */
  readonly validate: AdmissionHook = (op, rt, obj) => {
    if (op !== 'create' || !isPods(rt)) return;
    return this.withRanges(obj, (ranges) => {
      for (const range of ranges) {
        const errs = limitRangeViolations(obj, range);
        if (errs.length) throw forbiddenObject('pods', obj.metadata.name ?? obj.metadata.generateName ?? '', aggregateMessages(errs));
      }
    });
  };

  /** Lists the LimitRanges and watches them from there; resolves once the list is in. */
  start(): Promise<void> {
    return this.cache.start();
  }

  close(): void {
    this.cache.close();
  }
}
