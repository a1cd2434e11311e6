/**
 * core/v1 resourcequotas: how much a namespace may use. spec.hard limits resources (compute,
 * object counts); spec.scopes / spec.scopeSelector narrow which pods count. status.hard and
 * status.used are kept by the resource quota controller and bumped by quota admission.
 * Validation as Kubernetes' ValidateResourceQuota, table cells as its printer.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { isQualifiedName } from '../labels.js';
import { QUANTITY_FORMAT_ERROR, formatQuantity, milliValue, parseQuantity, type Quantity } from '../quantity.js';
import { immutable, invalidValue, required } from '../validation.js';
import {
  conflictingScopes,
  isIntegerResourceName,
  isQuotaHugePageResourceName,
  isScopeValidForResource,
  isStandardQuotaResourceName,
  isStandardQuotaScope,
  parseResourceList,
} from '../quota/resources.js';
import { ageCell, ageColumn, column, list, str, sub } from './common.js';

// --- defaults: quantities as Kubernetes serializes them ------------------------------------------

/** Rewrites a resource map's quantities in canonical form ("1.5" → "1500m", 2 → "2"); bad ones stay for validation. */
function canonicalize(m: unknown): void {
  if (!isPlainObject(m)) return;
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    try {
      m[k] = formatQuantity(parseQuantity(String(v)));
    } catch {
      // left as sent: validation names it
    }
  }
}

function defaultResourceQuota(q: KubeObject): void {
  canonicalize(q.spec?.hard);
  canonicalize(q.status?.hard);
  canonicalize(q.status?.used);
}

// --- validation ----------------------------------------------------------------------------------

/** Names validateResourceName accepts without a "/" (standard resources, quota-only ones aside). */
const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services',
  'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage',
  'services.nodeports', 'services.loadbalancers',
]);

/** ValidateResourceQuotaResourceName: a qualified name; without a "/", one quota knows. */
function resourceNameErrors(field: string, name: string): FieldError[] {
  const qualified = isQualifiedName(name);
  if (qualified.length) return qualified.map((msg) => invalidValue(field, name, msg));
  if (name.includes('/')) return [];
  const errs: FieldError[] = [];
  if (!standardResources.has(name) && !isQuotaHugePageResourceName(name)) {
    errs.push(invalidValue(field, name, 'must be a standard resource type or fully qualified'));
  }
  if (!isStandardQuotaResourceName(name)) errs.push(invalidValue(field, name, 'must be a standard resource for quota'));
  return errs;
}

/** ValidateResourceQuantityValue: not negative, and whole for object counts. */
function quantityErrors(field: string, name: string, raw: unknown): FieldError[] {
  let q: Quantity;
  try {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error('not a quantity');
    q = parseQuantity(String(raw));
  } catch {
    return [invalidValue(field, raw, QUANTITY_FORMAT_ERROR)];
  }
  const errs: FieldError[] = [];
  if (q.nanos < 0n) errs.push(invalidValue(field, formatQuantity(q), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(name) && milliValue(q) % 1000n !== 0n) errs.push(invalidValue(field, formatQuantity(q), 'must be an integer'));
  return errs;
}

function resourceMapErrors(m: unknown, path: string): FieldError[] {
  if (!isPlainObject(m)) return [];
  const errs: FieldError[] = [];
  for (const k of Object.keys(m).sort()) {
    const field = `${path}[${k}]`;
    errs.push(...resourceNameErrors(field, k), ...quantityErrors(field, k, m[k]));
  }
  return errs;
}

function scopesErrors(spec: Record<string, any>, hardNames: string[]): FieldError[] {
  const scopes: unknown[] = Array.isArray(spec.scopes) ? spec.scopes : [];
  if (scopes.length === 0) return [];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (!isStandardQuotaScope(scope)) errs.push(invalidValue('spec.scopes', scopes, 'unsupported scope'));
    for (const k of hardNames) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(str(scope), k)) {
        errs.push(invalidValue('spec.scopes', scopes, 'unsupported scope applied to resource'));
      }
    }
    seen.add(str(scope));
  }
  for (const [a, b] of conflictingScopes) if (seen.has(a) && seen.has(b)) errs.push(invalidValue('spec.scopes', scopes, 'conflicting scopes'));
  return errs;
}

const existsOnlyScopes = new Set(['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity']);

function scopeSelectorErrors(spec: Record<string, any>, hardNames: string[]): FieldError[] {
  if (spec.scopeSelector === undefined || spec.scopeSelector === null) return [];
  const path = 'spec.scopeSelector.matchExpressions';
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const req of list(spec.scopeSelector, 'matchExpressions')) {
    const scope = str(req.scopeName);
    const values: unknown[] = Array.isArray(req.values) ? req.values : [];
    if (!isStandardQuotaScope(scope)) errs.push(invalidValue(`${path}.scopeName`, req.scopeName ?? '', 'unsupported scope'));
    for (const k of hardNames) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(scope, k)) {
        errs.push(invalidValue(path, spec.scopeSelector, 'unsupported scope applied to resource'));
      }
    }
    if (existsOnlyScopes.has(scope) && req.operator !== 'Exists') {
      errs.push(
        invalidValue(
          `${path}.operator`,
          req.operator ?? '',
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(`${path}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) errs.push(invalidValue(`${path}.values`, values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
        break;
      default:
        errs.push(invalidValue(`${path}.operator`, req.operator ?? '', 'not a valid selector operator'));
    }
    seen.add(scope);
  }
  for (const [a, b] of conflictingScopes) if (seen.has(a) && seen.has(b)) errs.push(invalidValue(path, spec.scopes ?? null, 'conflicting scopes'));
  return errs;
}

function validateResourceQuota(q: KubeObject, old?: KubeObject): FieldError[] {
  const spec = sub(q, 'spec');
  const hardNames = Object.keys(sub(spec, 'hard')).sort();
  const errs = [
    ...resourceMapErrors(spec.hard, 'spec.hard'),
    ...scopesErrors(spec, hardNames),
    ...scopeSelectorErrors(spec, hardNames),
    ...resourceMapErrors(sub(q, 'status').hard, 'status.hard'),
    ...resourceMapErrors(sub(q, 'status').used, 'status.used'),
  ];
  if (old) {
    const scopeSet = (o: KubeObject) => [...new Set((Array.isArray(o.spec?.scopes) ? o.spec.scopes : []).map(str))].sort().join('\u0000');
    if (scopeSet(q) !== scopeSet(old)) errs.push(immutable('spec.scopes', spec.scopes ?? null));
  }
  return errs;
}

// --- table -----------------------------------------------------------------------------------------

/**
 * REQUEST and LIMIT as kube's printer fills them: "resource: used/hard" for every resource of
 * status.hard, sorted; limits.* ones under LIMIT, the rest under REQUEST.
 */
export function quotaColumns(q: KubeObject): [string, string] {
  const status = sub(q, 'status');
  const hard = parseResourceList(status.hard);
  const used = parseResourceList(status.used);
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of [...hard.keys()].sort()) {
    const text = `${name}: ${formatQuantity(used.get(name) ?? { nanos: 0n, format: 'DecimalSI' })}/${formatQuantity(hard.get(name)!)}`;
    const dot = name.indexOf('.');
    (dot > 0 && name.slice(0, dot) === 'limits' ? limit : request).push(text);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourcequotas: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  listKind: 'ResourceQuotaList',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  categories: [],
  hasStatus: true,
  defaults: defaultResourceQuota,
  validate: validateResourceQuota,
  columns: [
    ageColumn,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container can use independent of contention on the node.'),
  ],
  cells: (q, now) => [ageCell(q, now), ...quotaColumns(q)],
  selectableFields: () => ({}),
};
