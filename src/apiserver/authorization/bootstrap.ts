/**
 * Makes the bootstrap policy (api/rbac/bootstrap-policy.ts) true at every start, as
 * kube-apiserver's rbac/bootstrap-roles post-start hook reconciles it: a missing default
 * ClusterRole or ClusterRoleBinding is created; an existing one (unless an administrator set
 * rbac.authorization.kubernetes.io/autoupdate to "false") gets the labels, annotations, rules,
 * aggregation selectors and subjects it lacks, and nothing is ever taken away. A binding whose
 * roleRef differs is made again (roleRef is immutable).
 *
 * One liberty: an aggregated role (admin, edit, view) is created with the rules the aggregation
 * controller would give it, so it works from the first request, controller manager or not.
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { clone, isPlainObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import { roleRefOf, subjectsOf } from '../../api/kinds/rolebindings.js';
import { aggregateAll, aggregationSelectors } from '../../api/rbac/aggregation.js';
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles } from '../../api/rbac/bootstrap-policy.js';
import { covers, fromPolicyRule, toPolicyRule } from '../../api/rbac/policy-rule.js';
import { deepEqual } from '../../api/kinds/common.js';
import type { Logger } from '../../util/logger.js';
import type { ObjectRegistry } from '../registry.js';

export interface BootstrapTypes {
  clusterroles: ResourceType;
  clusterrolebindings: ResourceType;
}

/** Creates or tops up every default ClusterRole, then every default ClusterRoleBinding. */
export async function ensureBootstrapPolicy(registry: ObjectRegistry, types: BootstrapTypes, log: Logger): Promise<void> {
  // What a fresh aggregated role is created with; the expected role itself has no rules.
  const settled = aggregateAll(bootstrapClusterRoles());
  for (const expected of bootstrapClusterRoles()) {
    const fresh = () => settled.find((r) => r.metadata.name === expected.metadata.name)!;
    await ensure(registry, types.clusterroles, expected, log, (existing) => reconcileRole(existing, expected), fresh);
  }
  for (const expected of bootstrapClusterRoleBindings()) {
    await ensure(registry, types.clusterrolebindings, expected, log, (existing) => reconcileBinding(existing, expected), () => expected);
  }
}

/**
 * Creates `fresh()` when no object of expected's name exists; otherwise writes what
 * `reconcile` returns (nothing for undefined; 'recreate': delete, then create).
 */
async function ensure(
  registry: ObjectRegistry,
  rt: ResourceType,
  expected: KubeObject,
  log: Logger,
  reconcile: (existing: KubeObject) => KubeObject | 'recreate' | undefined,
  fresh: () => KubeObject,
): Promise<void> {
  const name = expected.metadata.name!;
  let existing: KubeObject | undefined;
  try {
    existing = await registry.get(rt, undefined, name);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
  }
  if (existing && existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return;
  const outcome = existing ? reconcile(existing) : undefined;
  if (existing && outcome === undefined) return;
  try {
    if (outcome === 'recreate') {
      await registry.delete(rt, undefined, name);
      log.info(`recreated ${rt.kind} of the bootstrap policy`, { name });
    } else if (outcome) {
      const rv = existing!.metadata.resourceVersion;
      await registry.update(rt, undefined, name, () => ({ ...outcome, metadata: { ...outcome.metadata, resourceVersion: rv } }), { replaces: true });
      log.info(`updated ${rt.kind} of the bootstrap policy`, { name });
      return;
    }
    await registry.create(rt, undefined, clone(fresh()));
  } catch (err) {
    // Another API server on the same store got there first; its object is as good as ours.
    if (err instanceof ApiError && (err.code === 409 || err.code === 404)) return;
    throw err;
  }
}

/** Labels and annotations the object lacks, the expected ones' values for keys it does not have. */
function mergedMetadata(existing: KubeObject, expected: KubeObject): KubeObject['metadata'] {
  const meta = { ...existing.metadata };
  const labels = { ...expected.metadata.labels, ...existing.metadata.labels };
  const annotations = { ...expected.metadata.annotations, ...existing.metadata.annotations };
  if (Object.keys(labels).length) meta.labels = labels;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  return meta;
}

/** The existing ClusterRole with what it lacks added, or undefined when it lacks nothing. */
export function reconcileRole(existing: KubeObject, expected: KubeObject): KubeObject | undefined {
  const out: KubeObject = { ...clone(existing), metadata: mergedMetadata(existing, expected) };
  const have = Array.isArray(existing.rules) ? existing.rules.map(toPolicyRule) : [];
  const want = Array.isArray(expected.rules) ? expected.rules.map(toPolicyRule) : [];
  const { missing } = covers(have, want);
  // As kube's reconciliation: the missing pieces (one verb, group and resource each) are appended.
  if (missing.length) out.rules = [...(Array.isArray(existing.rules) ? existing.rules : []), ...missing.map(fromPolicyRule)];
  const wantSelectors = aggregationSelectors(expected);
  const haveSelectors = aggregationSelectors(existing);
  if (!wantSelectors && haveSelectors) {
    delete out.aggregationRule;
  } else if (wantSelectors) {
    const lacking = wantSelectors.filter((w) => !(haveSelectors ?? []).some((h) => deepEqual(h, w)));
    if (lacking.length) out.aggregationRule = { clusterRoleSelectors: [...(haveSelectors ?? []), ...lacking] };
  }
  return deepEqual(out, existing) ? undefined : out;
}

/** The existing ClusterRoleBinding with the subjects it lacks added; 'recreate' when its roleRef differs. */
export function reconcileBinding(existing: KubeObject, expected: KubeObject): KubeObject | 'recreate' | undefined {
  const a = roleRefOf(existing);
  const b = roleRefOf(expected);
  if (a.apiGroup !== b.apiGroup || a.kind !== b.kind || a.name !== b.name) return 'recreate';
  const out: KubeObject = { ...clone(existing), metadata: mergedMetadata(existing, expected) };
  const have = subjectsOf(existing);
  const lacking = (Array.isArray(expected.subjects) ? expected.subjects : []).filter(
    (s: unknown) => isPlainObject(s) && !have.some((h) => h.kind === s.kind && h.name === s.name && h.namespace === (s.namespace ?? '')),
  );
  if (lacking.length) out.subjects = [...(Array.isArray(existing.subjects) ? existing.subjects : []), ...lacking];
  return deepEqual(out, existing) ? undefined : out;
}
