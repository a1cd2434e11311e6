/**
 * ResourceQuota admission (kube-apiserver's ResourceQuota plugin): a write that would use more
 * than a namespace's quotas allow is refused with 403 Forbidden, and an admitted one is charged
 * to the quotas' status.used in the store before the object itself is written, so the next
 * request is measured against it.
 *
 * Quotas are enforced by what their status says (status.hard, status.used), which the resource
 * quota controller fills in; a quota whose status it has not written yet limits nothing, as in
 * Kubernetes. Checks and charges in one namespace run one at a time in this server; the charge
 * is an optimistic-concurrency write of the quota's status, re-evaluated against the newer
 * quota when another writer (the controller, another server) got there first. dryRun writes
 * are checked but charge nothing.
 */
import { ApiError, forbiddenObject } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import { evaluatorFor, quotaMatches, scopeRequirementsOf, type QuotaEvaluator } from '../../api/quota/evaluators.js';
import {
  addLists,
  lessThanOrEqual,
  listsEqual,
  mask,
  negativeResources,
  parseResourceList,
  prettyPrint,
  prettyPrintNames,
  removeZeros,
  resourceListJSON,
  subtractNonNegative,
  type ResourceList,
} from '../../api/quota/resources.js';
import type { Clock } from '../../util/clock.js';
import type { AdmissionHook, ObjectRegistry } from '../registry.js';
import type { NamespacedObjectCache } from './namespaced-cache.js';

/** The write being admitted, as checkRequest needs it. */
export interface QuotaRequest {
  op: 'create' | 'update';
  resource: { group: string; plural: string };
  /** The object's name (generated names are filled in before admission). */
  name: string;
  obj: KubeObject;
  old?: KubeObject;
  /** Server time (ms), for pods past their deletion grace period. */
  now: number;
}

function refuse(req: QuotaRequest, why: string): ApiError {
  return forbiddenObject(req.resource.plural, req.name, why, req.resource.group || undefined);
}

/** status.hard, the limits in force (what the controller last copied from spec.hard). */
const hardOf = (q: KubeObject): ResourceList => parseResourceList(q.status?.hard);
const usedOf = (q: KubeObject): ResourceList => parseResourceList(q.status?.used);

/**
 * Quota admission's decision for one request (Kubernetes' CheckRequest): throws a 403 when the
 * object misses what a matching quota demands of it, when a quota's usage is not known yet,
 * or when the request would take a quota over its hard limit. Otherwise returns the quotas
 * with the request charged: the same objects where nothing changed, new ones (status.used
 * updated) where it did.
 */
export function checkRequest(quotas: readonly KubeObject[], req: QuotaRequest, ev: QuotaEvaluator): KubeObject[] {
  const interesting: number[] = [];
  quotas.forEach((q, i) => {
    const hardNames = [...hardOf(q).keys()];
    if (!quotaMatches(ev, hardNames, scopeRequirementsOf(q), req.obj)) return;
    const restricted = ev.matchingResources(hardNames);
    const missing = ev.constraints(restricted, req.obj);
    if (missing) throw refuse(req, `failed quota: ${q.metadata.name}: ${missing}`);
    const used = usedOf(q);
    if (restricted.some((r) => !used.has(r))) {
      throw refuse(req, `status unknown for quota: ${q.metadata.name}, resources: ${prettyPrintNames(restricted)}`);
    }
    interesting.push(i);
  });
  if (interesting.length === 0) return [...quotas];

  const usage = ev.usage(req.obj, req.now);
  const negative = negativeResources(usage);
  if (negative.length) throw refuse(req, `quota usage is negative for resource(s): ${prettyPrintNames(negative)}`);

  // An update is charged what it adds, for the quotas that already counted the old object.
  const deltas = new Map<number, ResourceList>(interesting.map((i) => [i, usage]));
  if (req.op === 'update' && req.old?.metadata.resourceVersion) {
    const grown = subtractNonNegative(usage, ev.usage(req.old, req.now));
    for (const i of interesting) {
      const q = quotas[i]!;
      if (quotaMatches(ev, hardOf(q).keys(), scopeRequirementsOf(q), req.old)) deltas.set(i, grown);
    }
  }

  const out = [...quotas];
  for (const i of interesting) {
    const delta = removeZeros(deltas.get(i)!);
    if (delta.size === 0) continue;
    const q = quotas[i]!;
    const hard = hardOf(q);
    const used = usedOf(q);
    const requested = mask(delta, hard.keys());
    const next = addLists(used, requested);
    const { ok, exceeded } = lessThanOrEqual(mask(next, requested.keys()), hard);
    if (!ok) {
      throw refuse(
        req,
        `exceeded quota: ${q.metadata.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
      );
    }
    if (listsEqual(next, used)) continue;
    out[i] = { ...q, status: { ...q.status, used: resourceListJSON(next) } };
  }
  return out;
}

/** One promise chain per namespace: what runs through it in one namespace runs one at a time. */
class NamespaceSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(namespace: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(namespace) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(namespace, tail);
    // The chain is dropped once nothing waits behind it, so idle namespaces cost nothing.
    void tail.then(() => {
      if (this.tails.get(namespace) === tail) this.tails.delete(namespace);
    });
    return result;
  }
}

export interface ResourceQuotaAdmissionOptions {
  registry: ObjectRegistry;
  quotaType: ResourceType;
  /** The ResourceQuotas by namespace (a NamespacedObjectCache of the objects themselves). */
  quotas: NamespacedObjectCache<KubeObject>;
  clock: Clock;
  /** Charge attempts after the first when a quota changed under us (Kubernetes tries 3 more times). */
  retries?: number;
}

export function resourceQuotaAdmission(opts: ResourceQuotaAdmissionOptions): AdmissionHook {
  const { registry, quotaType, quotas: cache, clock } = opts;
  const retries = opts.retries ?? 3;
  const evaluators = new Map<ResourceType, QuotaEvaluator | null>();
  const serializer = new NamespaceSerializer();

  /** Writes a charged quota's status, only over the version it was checked against (409 otherwise). */
  const charge = (q: KubeObject) =>
    registry.update(
      quotaType,
      q.metadata.namespace,
      q.metadata.name!,
      (cur) => ({ ...cur, metadata: { ...cur.metadata, resourceVersion: q.metadata.resourceVersion }, status: q.status }),
      { subresource: 'status', replaces: true },
    );

  const admit = async (ns: string, ev: QuotaEvaluator, req: QuotaRequest, dryRun: boolean): Promise<void> => {
    let quotas: readonly KubeObject[] = cache.cached(ns) ?? (await cache.read(ns));
    for (let attempt = 0; ; attempt++) {
      const charged = checkRequest(quotas, req, ev);
      if (dryRun) return;
      const conflicted: string[] = [];
      let lastErr: unknown;
      for (let i = 0; i < charged.length; i++) {
        if (charged[i] === quotas[i]) continue;
        try {
          await charge(charged[i]!);
        } catch (err) {
          // Changed (409) or deleted (404) since it was read: look again.
          if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) throw err;
          conflicted.push(charged[i]!.metadata.name!);
          lastErr = err;
        }
      }
      if (conflicted.length === 0) return;
      if (attempt >= retries) throw lastErr;
      // Only the quotas that moved are checked again: the others hold this request's charge.
      quotas = (await cache.read(ns)).filter((q) => conflicted.includes(q.metadata.name!));
    }
  };

  return (op, rt, obj, old, writeOpts) => {
    if (!rt.namespaced) return;
    const ns = obj.metadata.namespace;
    if (!ns) return;
    const known = cache.cached(ns);
    if (known !== undefined && known.length === 0) return;
    let ev = evaluators.get(rt);
    if (ev === undefined) {
      ev = evaluatorFor(rt) ?? null;
      evaluators.set(rt, ev);
    }
    if (!ev || (op === 'update' && !ev.chargesUpdates)) return;
    const req: QuotaRequest = { op, resource: rt, name: obj.metadata.name ?? '', obj, old, now: clock.now() };
    const evaluator = ev;
    return serializer.run(ns, () => admit(ns, evaluator, req, writeOpts?.dryRun === true));
  };
}
