/**
 * What ResourceQuota counts: the resource names a quota may limit (Kubernetes' standard quota
 * resources, `count/<resource>[.<group>]`, huge pages, extended resources), the scopes it may
 * narrow to, and ResourceList arithmetic over exact quantities (quota/v1's Add, Mask,
 * LessThanOrEqual ...), with the error texts' "k=v,k=v" rendering.
 */
import { formatQuantity, parseQuantity, type Quantity } from '../quantity.js';
import { isQualifiedName } from '../labels.js';
import { isPlainObject } from '../object.js';

// --- resource names ----------------------------------------------------------------------------

/** Names a quota may limit without a "/" (besides huge pages). */
export const standardQuotaResources: ReadonlySet<string> = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);

/** Object counts and node ports: only whole numbers make sense for them. */
const integerResources: ReadonlySet<string> = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

/** hugepages-<size> and requests.hugepages-<size>. */
export function isQuotaHugePageResourceName(name: string): boolean {
  return name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
}

/** Kubernetes' IsStandardQuotaResourceName. */
export function isStandardQuotaResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || isQuotaHugePageResourceName(name);
}

/** Names in the kubernetes.io/ namespace, which unprefixed names implicitly are. */
export function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** A resource a device plugin or operator advertises ("example.com/gpu"); quota counts it as requests.<name>. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** Kubernetes' IsIntegerResourceName: object counts, node ports and extended resources (count/* included). */
export function isIntegerResourceName(name: string): boolean {
  return integerResources.has(name) || isExtendedResourceName(name);
}

/** The object-count name of a resource: "count/pods", "count/deployments.apps". */
export function objectCountName(group: string, plural: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`;
}

// --- scopes ------------------------------------------------------------------------------------

export const quotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'] as const;
export type QuotaScope = (typeof quotaScopes)[number];

/** Scopes that cannot both hold for one pod. */
export const conflictingScopes: readonly [QuotaScope, QuotaScope][] = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

export function isStandardQuotaScope(s: unknown): s is QuotaScope {
  return typeof s === 'string' && (quotaScopes as readonly string[]).includes(s);
}

const podObjectCountResources = new Set(['pods']);
const podComputeResources = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** Whether a standard quota resource may be limited under a scope (BestEffort pods have no compute to count). */
export function isScopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return podObjectCountResources.has(resource) || podComputeResources.has(resource);
    case 'BestEffort':
      return podObjectCountResources.has(resource);
    default:
      return true;
  }
}

/** One term of a quota's scope selector (spec.scopes entries become Exists terms). */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

// --- resource lists ----------------------------------------------------------------------------

/** A ResourceList: resource name → exact amount. */
export type ResourceList = Map<string, Quantity>;

/** The zero Kubernetes prints as "0" (a Quantity with no value, DecimalSI). */
export const zeroQuantity: Quantity = Object.freeze({ nanos: 0n, format: 'DecimalSI' });

/** A whole number as a DecimalSI quantity. */
export function count(n: number | bigint): Quantity {
  return { nanos: BigInt(n) * 1_000_000_000n, format: 'DecimalSI' };
}

/** A JSON resource map (`{cpu: "500m", pods: 2}`) as a ResourceList; entries that don't parse are left out. */
export function parseResourceList(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (!isPlainObject(v)) return out;
  for (const [k, raw] of Object.entries(v)) {
    if (typeof raw !== 'string' && typeof raw !== 'number') continue;
    try {
      out.set(k, parseQuantity(String(raw)));
    } catch {
      // validation reports it; usage arithmetic skips it
    }
  }
  return out;
}

/** The JSON form, keys sorted, quantities in Kubernetes' canonical text. */
export function resourceListJSON(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = formatQuantity(list.get(k)!);
  return out;
}

/**
 * a + b per resource. As Kubernetes' Quantity.Add, the sum keeps the left operand's format
 * unless that operand is zero (so 0 + 512Mi prints as "512Mi", not "536870912").
 */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** quota/v1 Add: every resource of either list, summed. */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, q] of b) {
    const have = out.get(k);
    out.set(k, have ? addQuantity(have, q) : q);
  }
  return out;
}

/** quota/v1 SubtractWithNonNegativeResult: a - b per resource of a, floored at zero. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of a) {
    const other = b.get(k);
    const nanos = other ? q.nanos - other.nanos : q.nanos;
    out.set(k, nanos > 0n ? { nanos, format: q.format } : zeroQuantity);
  }
  return out;
}

/** Only the entries named in `names`. */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const q = list.get(n);
    if (q) out.set(n, q);
  }
  return out;
}

/** Without the zero entries. */
export function removeZeros(list: ResourceList): ResourceList {
  return new Map([...list].filter(([, q]) => q.nanos !== 0n));
}

/** Names of negative entries. */
export function negativeResources(list: ResourceList): string[] {
  return [...list].filter(([, q]) => q.nanos < 0n).map(([k]) => k);
}

/**
 * quota/v1 LessThanOrEqual: whether every resource of `b` that `a` also has is no larger in
 * `a`; `exceeded` names the ones that are.
 */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, limit] of b) {
    const have = a.get(k);
    if (have && have.nanos > limit.nanos) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

/** quota/v1 Equals: same resources with equal amounts (formats aside). */
export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, q] of a) {
    const other = b.get(k);
    if (!other || other.nanos !== q.nanos) return false;
  }
  return true;
}

/** "pods=1,requests.cpu=500m": sorted by name, as quota admission words its errors. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()]
    .sort()
    .map((k) => `${k}=${formatQuantity(list.get(k)!)}`)
    .join(',');
}

/** Resource names sorted and comma-joined. */
export function prettyPrintNames(names: Iterable<string>): string {
  return [...names].sort().join(',');
}
