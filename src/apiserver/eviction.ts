/**
 * pods/eviction (policy/v1 Eviction), what `kubectl drain` posts: a pod is deleted only if its
 * PodDisruptionBudget can spare it, as kube-apiserver's EvictionREST
 * (pkg/registry/core/pod/storage/eviction.go) decides.
 *
 * - A pod that is Pending, Succeeded, Failed or already being deleted disrupts nothing more: it
 *   is deleted at once (a pod not yet terminal with its resourceVersion as a precondition, so it
 *   cannot become Ready in between; a conflict is retried against the pod as it is then).
 * - Otherwise the budgets of its namespace whose selector matches it decide. None: it is deleted.
 *   More than one: 500, the eviction subresource cannot weigh several. One: a pod that is not
 *   Ready goes without spending the budget when the budget says AlwaysAllow, or (IfHealthyBudget,
 *   the default) while the budget is met; it is then deleted only if it is still the version
 *   read, else 429. Anything else spends one of status.disruptionsAllowed: refused with 429
 *   while the controller has not caught up with the budget's generation or none is left; else
 *   the decrement and the pod's name in status.disruptedPods are written (optimistic
 *   concurrency on the budget, retried with fresh state on conflict) before the pod is deleted.
 * - dryRun (on the request or in the Eviction's deleteOptions) checks all of this and changes nothing.
 * Deleting marks the pod with the DisruptionTarget condition first (reason EvictionByEvictionAPI).
 */
import { ApiError, badRequest, forbiddenObject, internalError, type Status, type StatusDetails } from '../api/errors.js';
import { matchesLabels } from '../api/labels.js';
import type { KubeObject } from '../api/object.js';
import { clone, isPlainObject } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import { budgetSelector, updateDisruptionAllowedCondition } from '../api/kinds/poddisruptionbudgets.js';
import { int } from '../api/kinds/common.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/clock.js';
import type { DeleteOptions, ObjectRegistry } from './registry.js';
import { checkTypeMeta } from './request.js';

/**
 * What an eviction reads and writes. The API server's is `registryEvictionBackend`; tests use
 * recording fakes. Every failure is an ApiError (404 for a missing pod, 409 for a precondition
 * or resourceVersion that no longer holds).
 */
export interface EvictionBackend {
  /** The pod as stored. */
  getPod(namespace: string, name: string): Promise<KubeObject>;
  /**
   * Deletes the pod with these options, unless dryRun first marking it with the DisruptionTarget
   * condition (a pod the preconditions do not match is left unmarked, and the delete refuses it).
   */
  deletePod(namespace: string, name: string, opts: DeleteOptions): Promise<void>;
  /** Every PodDisruptionBudget in the namespace (none when budgets are not served). */
  listBudgets(namespace: string): Promise<KubeObject[]>;
  /** One budget as stored. */
  getBudget(namespace: string, name: string): Promise<KubeObject>;
  /** Writes pdb.status through the status subresource; 409 when pdb's resourceVersion is not the stored one. */
  updateBudgetStatus(pdb: KubeObject): Promise<void>;
}

export interface EvictionRequest {
  namespace: string;
  /** The pod's name from the URL. */
  name: string;
  /** The decoded request body. */
  body: KubeObject;
  /** The request's ?dryRun values (already checked as CreateOptions). */
  dryRun: readonly string[];
  /** Reads and checks the Eviction's deleteOptions (undefined: none), as a delete's body is read. */
  parseDeleteOptions(v: unknown): DeleteOptions;
}

/** Attempts at a read-check-write before a conflict is given back (kube's EvictionsRetry steps). */
const maxAttempts = 20;

/** A budget whose disruptedPods is this long has too many evictions its controller has not seen (kube's MaxDisruptedPodSize). */
export const maxDisruptedPods = 2000;

const tooManyRequestsMessage = "Cannot evict pod as it would violate the pod's disruption budget.";

/**
 * An ApiError whose Status has no reason, as a Status a REST handler returns rather than throws
 * is written by kube-apiserver (the multiple-budgets answer).
 */
class ReasonlessError extends ApiError {
  override toStatus(): Status {
    const s = super.toStatus();
    delete s.reason;
    return s;
  }
}

/** 429 while a budget's status is behind its spec: retry in 10 s. */
export function budgetBeingProcessed(pdbName: string): ApiError {
  return new ApiError(429, 'TooManyRequests', tooManyRequestsMessage, {
    retryAfterSeconds: 10,
    causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} is still being processed by the server.` }],
  });
}

/** 429 when the budget allows no disruption now (no Retry-After: the client picks its pace). */
function budgetExhausted(pdb: KubeObject): ApiError {
  const status = pdb.status ?? {};
  const details: StatusDetails = {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdb.metadata.name} needs ${int(status.desiredHealthy)} healthy pods and has ${int(status.currentHealthy)} currently`,
      },
    ],
  };
  return new ApiError(429, 'TooManyRequests', tooManyRequestsMessage, details);
}

function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

/** podutil.IsPodReady: the Ready condition is True. */
function isPodReady(pod: KubeObject): boolean {
  const conds: unknown = pod.status?.conditions;
  return Array.isArray(conds) && conds.some((c) => isPlainObject(c) && c.type === 'Ready' && c.status === 'True');
}

function isTerminal(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** canIgnorePDB: a pod that has disrupted all it will (terminal, not started, or going anyway). */
function canIgnoreBudget(pod: KubeObject): boolean {
  return isTerminal(pod) || pod.status?.phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** The budgets whose selector picks the pod; an empty or broken selector picks none here. */
function budgetsFor(pod: KubeObject, budgets: readonly KubeObject[]): KubeObject[] {
  return budgets.filter((pdb) => {
    if (pdb.metadata.namespace !== pod.metadata.namespace) return false;
    const sel = budgetSelector(pdb);
    if (!sel || (sel.requirements.length === 0 && !sel.matchesNothing)) return false;
    return matchesLabels(sel, pod.metadata.labels);
  });
}

function withResourceVersion(opts: DeleteOptions, resourceVersion: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...opts.preconditions, resourceVersion } };
}

/**
 * The Eviction's deleteOptions with the request's dryRun carried in (propagateDryRun): the two
 * must agree when both say something.
 */
function deleteOptionsOf(req: EvictionRequest): DeleteOptions {
  const raw = req.body.deleteOptions;
  const bodyDryRun: unknown[] = isPlainObject(raw) && Array.isArray(raw.dryRun) ? raw.dryRun : [];
  if (req.dryRun.length && bodyDryRun.length && JSON.stringify([...req.dryRun]) !== JSON.stringify(bodyDryRun)) {
    throw internalError(`Non-matching dry-run options in request and content: [${req.dryRun.join(' ')}] and [${bodyDryRun.join(' ')}]`);
  }
  const opts = req.parseDeleteOptions(raw ?? undefined);
  if (req.dryRun.length) opts.dryRun = true;
  return opts;
}

/** Evicts one pod, or throws the ApiError Kubernetes would answer with. Resolves to the 201 Success Status. */
export async function evictPod(backend: EvictionBackend, req: EvictionRequest, now: () => number): Promise<Status> {
  const eviction = req.body;
  checkTypeMeta(eviction, ['policy/v1', 'policy/v1beta1'], 'Eviction');
  if (eviction.metadata?.name !== req.name) throw badRequest('name in URL does not match name in Eviction object');
  if (eviction.metadata.namespace !== undefined && eviction.metadata.namespace !== req.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const opts = deleteOptionsOf(req);
  const pinned = opts.preconditions?.resourceVersion !== undefined && opts.preconditions.resourceVersion !== '';
  const success: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

  // A pod past disrupting is deleted without asking any budget.
  let pod: KubeObject | undefined;
  for (let attempt = 1; ; attempt++) {
    pod = await backend.getPod(req.namespace, req.name);
    if (!canIgnoreBudget(pod)) break;
    // Not yet terminal: it must not turn Ready between this read and the delete.
    const enforce = !isTerminal(pod) && !pod.metadata.deletionTimestamp && !pinned;
    // Retrying cannot make another pod's uid match the precondition.
    const otherPod = !!opts.preconditions?.uid && opts.preconditions.uid !== pod.metadata.uid;
    try {
      await backend.deletePod(req.namespace, req.name, enforce ? withResourceVersion(opts, pod.metadata.resourceVersion) : opts);
      return success;
    } catch (err) {
      if (!isConflict(err) || pinned || otherPod || attempt >= maxAttempts) throw err;
    }
  }

  const budgets = budgetsFor(pod, await backend.listBudgets(req.namespace));
  if (budgets.length > 1) {
    throw new ReasonlessError(500, '', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  }
  const budget = budgets[0];
  if (budget) {
    const status = budget.status ?? {};
    const policy = budget.spec?.unhealthyPodEvictionPolicy;
    const healthyBudget = int(status.currentHealthy) >= int(status.desiredHealthy) && int(status.desiredHealthy) > 0;
    if (!isPodReady(pod) && (policy === 'AlwaysAllow' || healthyBudget)) {
      // An unready pod counts toward nothing: it goes without spending the budget, as long as
      // it is still the version read (it might have become Ready since).
      try {
        await backend.deletePod(req.namespace, req.name, withResourceVersion(opts, pod.metadata.resourceVersion));
      } catch (err) {
        if (isConflict(err) && !pinned) throw budgetBeingProcessed(budget.metadata.name!);
        throw err;
      }
      return success;
    }
    await spendDisruption(backend, budget, req.name, !!opts.dryRun, now);
  }
  await backend.deletePod(req.namespace, req.name, opts);
  return success;
}

/**
 * checkAndDecrement, retried with the budget as stored while the write conflicts: refuses
 * (429, 403) when the budget cannot spare the pod, else takes one from disruptionsAllowed and
 * records the pod in disruptedPods (not under dryRun).
 */
async function spendDisruption(backend: EvictionBackend, listed: KubeObject, podName: string, dryRun: boolean, now: () => number): Promise<void> {
  let pdb = listed;
  for (let attempt = 1; ; attempt++) {
    const next = decremented(pdb, podName, now());
    if (dryRun) return;
    try {
      await backend.updateBudgetStatus(next);
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= maxAttempts) throw err;
    }
    pdb = await backend.getBudget(listed.metadata.namespace!, listed.metadata.name!);
  }
}

/** The budget with one disruption spent on podName, or the refusal Kubernetes answers with. */
export function decremented(pdb: KubeObject, podName: string, now: number): KubeObject {
  const name = pdb.metadata.name!;
  const status = pdb.status ?? {};
  if (int(status.observedGeneration) < int(pdb.metadata.generation)) throw budgetBeingProcessed(name);
  const allowed = int(status.disruptionsAllowed);
  if (allowed < 0) throw forbiddenObject('poddisruptionbudget', name, 'pdb disruptions allowed is negative', 'policy');
  if (Object.keys(status.disruptedPods ?? {}).length > maxDisruptedPods) {
    throw forbiddenObject('poddisruptionbudget', name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller', 'policy');
  }
  if (allowed === 0) throw budgetExhausted(pdb);
  const next = clone(pdb);
  const s = (next.status ??= {});
  s.disruptionsAllowed = allowed - 1;
  if (s.disruptionsAllowed === 0) updateDisruptionAllowedCondition(s, rfc3339(now));
  s.disruptedPods = { ...(s.disruptedPods ?? {}), [podName]: rfc3339(now) };
  return next;
}

/**
 * The API server's backend: the registry itself. Deleting first says why the pod goes, with the
 * DisruptionTarget condition; a resourceVersion precondition moves on to the version that write
 * makes, since it is this eviction's own.
 */
export function registryEvictionBackend(opts: {
  registry: ObjectRegistry;
  pods: ResourceType;
  /** undefined when PodDisruptionBudgets are not served. */
  budgets: ResourceType | undefined;
  clock: Clock;
  /** Who writes the pod's condition (the client's manager, as for any write it causes). */
  fieldManager: string;
}): EvictionBackend {
  const { registry, pods, budgets, clock } = opts;
  return {
    getPod: (ns, name) => registry.get(pods, ns, name),
    async deletePod(ns, name, deleteOpts) {
      const o: DeleteOptions = { ...deleteOpts, preconditions: deleteOpts.preconditions && { ...deleteOpts.preconditions } };
      if (!o.dryRun) await markEvicted(registry, pods, ns, name, o, clock, opts.fieldManager);
      await registry.delete(pods, ns, name, o);
    },
    listBudgets: async (ns) => (budgets ? (await registry.list(budgets, ns)).items : []),
    getBudget: (ns, name) => registry.get(budgets!, ns, name),
    async updateBudgetStatus(pdb) {
      // The resourceVersion the budget was read at is a precondition: a conflict is the caller's to retry.
      await registry.update(budgets!, pdb.metadata.namespace, pdb.metadata.name!, () => clone(pdb), {
        subresource: 'status',
        replaces: true,
        fieldManager: 'kube-apiserver',
      });
    },
  };
}

/**
 * Adds the DisruptionTarget condition (reason EvictionByEvictionAPI) to a pod the preconditions
 * match; leaves any other alone. A matched resourceVersion precondition is moved on to the
 * version this write makes (changes `opts`).
 */
async function markEvicted(
  registry: ObjectRegistry,
  pods: ResourceType,
  ns: string,
  name: string,
  opts: DeleteOptions,
  clock: Clock,
  fieldManager: string,
): Promise<void> {
  const pre = opts.preconditions;
  let matched = true;
  const marked = await registry.update(
    pods,
    ns,
    name,
    (pod) => {
      matched = (!pre?.uid || pre.uid === pod.metadata.uid) && (!pre?.resourceVersion || pre.resourceVersion === pod.metadata.resourceVersion);
      const conditions: { type: string; status: string; reason?: string }[] = pod.status?.conditions ?? [];
      const current = conditions.find((c) => c.type === 'DisruptionTarget');
      if (!matched || (current?.status === 'True' && current.reason === 'EvictionByEvictionAPI')) return pod;
      const condition = { type: 'DisruptionTarget', status: 'True', lastTransitionTime: rfc3339(clock.now()), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
      pod.status = { ...pod.status, conditions: [...conditions.filter((c) => c !== current), condition] };
      return pod;
    },
    { subresource: 'status', fieldManager },
  );
  if (matched && pre?.resourceVersion) pre.resourceVersion = marked.metadata.resourceVersion;
}
