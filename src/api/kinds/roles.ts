/**
 * rbac.authorization.k8s.io/v1 roles and clusterroles: named sets of PolicyRules, granted to
 * users, groups and service accounts by bindings (rolebindings.ts). Validation as kube's
 * ValidateRole / ValidateClusterRole; kubectl shows NAME and CREATED AT.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import { validateLabelSelector } from '../labels.js';
import type { ResourceType, TableColumn } from '../resource.js';
import { invalidValue, required } from '../validation.js';
import { RBAC_GROUP } from '../rbac/policy-rule.js';
import { column } from './common.js';

/** Go's %#v of a []string, as field errors print list values: `[]string{"/healthz"}`. */
function goStringSlice(v: unknown): string {
  const items = Array.isArray(v) ? v.map((s) => JSON.stringify(String(s))) : [];
  return `[]string{${items.join(', ')}}`;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** Errors of one PolicyRule (kube's ValidatePolicyRule); `namespaced` for a Role's rules. */
export function validatePolicyRule(raw: unknown, namespaced: boolean, path: string): FieldError[] {
  if (!isPlainObject(raw)) return [invalidValue(path, raw, 'must be an object')];
  const errs: FieldError[] = [];
  for (const f of ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs']) {
    const v = raw[f];
    if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) {
      errs.push(invalidValue(`${path}.${f}`, v, 'must be a list of strings'));
    }
  }
  if (errs.length) return errs;
  if (stringList(raw.verbs).length === 0) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = stringList(raw.nonResourceURLs);
  if (urls.length > 0) {
    const bad = (detail: string): FieldError => ({ type: 'FieldValueInvalid', field: `${path}.nonResourceURLs`, detail: `${goStringSlice(urls)}: ${detail}` });
    if (namespaced) errs.push(bad('namespaced rules cannot apply to non-resource URLs'));
    if (stringList(raw.apiGroups).length || stringList(raw.resources).length || stringList(raw.resourceNames).length) {
      errs.push(bad('rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (stringList(raw.apiGroups).length === 0) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (stringList(raw.resources).length === 0) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(obj: KubeObject, namespaced: boolean): FieldError[] {
  const rules = obj.rules;
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) return [invalidValue('rules', rules, 'must be a list of policy rules')];
  return rules.flatMap((r, i) => validatePolicyRule(r, namespaced, `rules[${i}]`));
}

function validateAggregationRule(obj: KubeObject): FieldError[] {
  const agg = obj.aggregationRule;
  if (agg === undefined || agg === null) return [];
  if (!isPlainObject(agg)) return [invalidValue('aggregationRule', agg, 'must be an object')];
  const path = 'aggregationRule.clusterRoleSelectors';
  const selectors = agg.clusterRoleSelectors;
  if (selectors !== undefined && selectors !== null && !Array.isArray(selectors)) return [invalidValue(path, selectors, 'must be a list of label selectors')];
  const list = (selectors ?? []) as unknown[];
  if (list.length === 0) return [required(path, 'at least one clusterRoleSelector required if aggregationRule is non-nil')];
  return list.flatMap((s, i) => validateLabelSelector(s, `${path}[${i}]`));
}

/** kube's printRole: the creation time as RFC 3339 in UTC, whole seconds. */
function createdAt(obj: KubeObject): string {
  const t = Date.parse(String(obj.metadata?.creationTimestamp ?? ''));
  if (Number.isNaN(t)) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const createdAtColumn: TableColumn = column(
  'Created At',
  'date',
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
);

export const roles: ResourceType = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'Role',
  listKind: 'RoleList',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: () => {},
  validate: (role) => validateRules(role, true),
  columns: [createdAtColumn],
  cells: (role) => [createdAt(role)],
  selectableFields: () => ({}),
};

export const clusterroles: ResourceType = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRole',
  listKind: 'ClusterRoleList',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: () => {},
  validate: (role) => [...validateRules(role, false), ...validateAggregationRule(role)],
  columns: [createdAtColumn],
  cells: (role) => [createdAt(role)],
  selectableFields: () => ({}),
};
