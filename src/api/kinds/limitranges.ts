/**
 * core/v1 limitranges: per-namespace defaults and bounds for the resources of each container,
 * each pod and each PersistentVolumeClaim, which the LimitRanger admission plugin applies
 * (src/apiserver/admission/limit-ranger.ts). Defaults, validation and table as Kubernetes has
 * them (SetDefaults_LimitRangeItem, ValidateLimitRange, the "Created At" printer column).
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject, omitEmptyFields } from '../object.js';
import type { ResourceType } from '../resource.js';
import { isQualifiedName } from '../labels.js';
import { QUANTITY_FORMAT_ERROR, compareQuantities, milliValue, parseQuantity, value, type Quantity } from '../quantity.js';
import { goFloat, goQuantityDump, goString, goQuantity, quantityText } from '../quantity-go.js';
import { duplicate, forbidden, invalidValue, required } from '../validation.js';
import { column, list, str, sub, type Obj } from './common.js';

export const limitTypePod = 'Pod';
export const limitTypeContainer = 'Container';
export const limitTypePersistentVolumeClaim = 'PersistentVolumeClaim';
const standardLimitTypes = new Set([limitTypePod, limitTypeContainer, limitTypePersistentVolumeClaim]);

/** The resource lists of a LimitRangeItem. */
const limitRangeLists = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;
type LimitRangeList = (typeof limitRangeLists)[number];

// --- defaults ---------------------------------------------------------------------------------

/**
 * SetDefaults_LimitRangeItem: a Container item's default limit falls back to its max, its
 * default request to the default limit, then to its min. Empty lists are not kept (omitempty).
 */
function defaultLimitRange(lr: KubeObject): void {
  for (const item of list(sub(lr, 'spec'), 'limits')) {
    omitEmptyFields(item, limitRangeLists);
    if (item.type !== limitTypeContainer) continue;
    const def: Obj = isPlainObject(item.default) ? item.default : {};
    const defReq: Obj = isPlainObject(item.defaultRequest) ? item.defaultRequest : {};
    for (const [k, v] of Object.entries(sub(item, 'max'))) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(sub(item, 'min'))) if (!(k in defReq)) defReq[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(defReq).length) item.defaultRequest = defReq;
  }
}

// --- resource names ---------------------------------------------------------------------------

/** helper.IsStandardResourceName: what a resource list may name without a domain. */
const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services',
  'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage',
  'services.nodeports', 'services.loadbalancers',
]);
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** helper.IsNativeResource: no domain, or a kubernetes.io one. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** helper.IsOvercommitAllowed: requests below limits are allowed (not for hugepages or extended resources). */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

/** validateResourceName. */
function resourceNameErrors(field: string, name: string): FieldError[] {
  const errs = isQualifiedName(name).map((msg) => invalidValue(field, name, msg));
  if (errs.length) return errs;
  const standard = standardResources.has(name) || isHugePages(name) || name.startsWith('requests.hugepages-');
  if (!name.includes('/') && !standard) errs.push(invalidValue(field, name, 'must be a standard resource type or fully qualified'));
  return errs;
}

/** validateContainerResourceName: validateResourceName, then what a container may ask for. */
function containerResourceNameErrors(field: string, name: string): FieldError[] {
  const errs = resourceNameErrors(field, name);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) errs.push(invalidValue(field, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name)) {
    const extended = !name.startsWith('requests.') && isQualifiedName(`requests.${name}`).length === 0;
    if (!extended) errs.push(invalidValue(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Pod and Container limits name container resources; other types (PersistentVolumeClaim) any resource. */
function limitResourceNameErrors(type: string, field: string, name: string): FieldError[] {
  return type === limitTypePod || type === limitTypeContainer ? containerResourceNameErrors(field, name) : resourceNameErrors(field, name);
}

function limitTypeErrors(field: string, type: string): FieldError[] {
  const errs = isQualifiedName(type).map((msg) => invalidValue(field, type, msg));
  if (errs.length === 0 && !type.includes('/') && !standardLimitTypes.has(type)) {
    errs.push(invalidValue(field, type, 'must be a standard limit type or fully qualified'));
  }
  return errs;
}

// --- validation -------------------------------------------------------------------------------

/** One quantity of a LimitRangeItem, parsed, with the text it was written as. */
interface Entry {
  raw: unknown;
  q: Quantity;
}

const MAX_MILLI_VALUE = ((1n << 63n) - 1n) / 1000n;

/** field.Invalid with a Quantity value, worded as apimachinery prints it. */
function invalidQuantity(field: string, raw: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, detail: `${goQuantityDump(raw)}: ${detail}` };
}

/** The checks ValidateLimitRange makes across one resource's min, max, defaults and ratio. */
function boundsErrors(path: string, k: string, e: Partial<Record<LimitRangeList, Entry>>): FieldError[] {
  const errs: FieldError[] = [];
  const { min, max, default: def, defaultRequest: defReq, maxLimitRequestRatio: ratio } = e;
  const s = (x: Entry) => goString(goQuantity(x.raw));
  const at = (l: LimitRangeList) => `${path}.${l}[${k}]`;
  if (min && max && compareQuantities(min.q, max.q) > 0) {
    errs.push(invalidQuantity(at('min'), min.raw, `min value ${s(min)} is greater than max value ${s(max)}`));
  }
  if (defReq && min && compareQuantities(min.q, defReq.q) > 0) {
    errs.push(invalidQuantity(at('defaultRequest'), defReq.raw, `min value ${s(min)} is greater than default request value ${s(defReq)}`));
  }
  if (defReq && max && compareQuantities(defReq.q, max.q) > 0) {
    errs.push(invalidQuantity(at('defaultRequest'), defReq.raw, `default request value ${s(defReq)} is greater than max value ${s(max)}`));
  }
  if (defReq && def && compareQuantities(defReq.q, def.q) > 0) {
    errs.push(invalidQuantity(at('defaultRequest'), defReq.raw, `default request value ${s(defReq)} is greater than default limit value ${s(def)}`));
  }
  if (def && min && compareQuantities(min.q, def.q) > 0) {
    errs.push(invalidQuantity(at('default'), min.raw, `min value ${s(min)} is greater than default value ${s(def)}`));
  }
  if (def && max && compareQuantities(def.q, max.q) > 0) {
    errs.push(invalidQuantity(at('default'), max.raw, `default value ${s(def)} is greater than max value ${s(max)}`));
  }
  if (ratio && ratio.q.nanos < 1_000_000_000n) {
    errs.push(invalidQuantity(at('maxLimitRequestRatio'), ratio.raw, `ratio ${s(ratio)} is less than 1`));
  }
  if (ratio && min && max) {
    // As Kubernetes: in thousandths when everything fits, else in whole units, as floats.
    let ratioValue = Number(value(ratio.q));
    let minValue = value(min.q);
    let maxValue = value(max.q);
    if (value(ratio.q) < MAX_MILLI_VALUE && minValue < MAX_MILLI_VALUE && maxValue < MAX_MILLI_VALUE) {
      ratioValue = Number(milliValue(ratio.q)) / 1000;
      minValue = milliValue(min.q);
      maxValue = milliValue(max.q);
    }
    const limit = Number(maxValue) / Number(minValue);
    if (ratioValue > limit) {
      errs.push(invalidQuantity(at('maxLimitRequestRatio'), ratio.raw, `ratio ${s(ratio)} is greater than max/min = ${goFloat(limit)}`));
    }
  }
  // Resources that cannot be overcommitted (hugepages, extended resources) request what they limit.
  if (!isOvercommitAllowed(k) && def && defReq && compareQuantities(def.q, defReq.q) !== 0) {
    errs.push(invalidQuantity(at('defaultRequest'), defReq.raw, `default value ${s(def)} must equal to defaultRequest value ${s(defReq)} in ${k}`));
  }
  return errs;
}

/** ValidateLimitRange (metadata is checked by the caller). */
function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  list(sub(lr, 'spec'), 'limits').forEach((item, i) => {
    const path = `spec.limits[${i}]`;
    const type = str(item.type);
    errs.push(...limitTypeErrors(`${path}.type`, type));
    if (types.has(type)) errs.push(duplicate(`${path}.type`, type));
    types.add(type);

    const entries = new Map<string, Partial<Record<LimitRangeList, Entry>>>();
    const read = (l: LimitRangeList) => {
      for (const [k, raw] of Object.entries(sub(item, l))) {
        const field = `${path}.${l}[${k}]`;
        errs.push(...limitResourceNameErrors(type, field, k));
        let q: Quantity;
        try {
          q = parseQuantity(quantityText(raw));
        } catch {
          // The decoder refuses such a body first (400); this is for callers that skip it.
          errs.push(invalidValue(field, raw, QUANTITY_FORMAT_ERROR));
          continue;
        }
        const e = entries.get(k) ?? {};
        e[l] = { raw, q };
        entries.set(k, e);
      }
    };
    read('max');
    read('min');
    if (type === limitTypePod) {
      for (const l of ['default', 'defaultRequest'] as const) {
        if (Object.keys(sub(item, l)).length > 0) errs.push(forbidden(`${path}.${l}`, "may not be specified when `type` is 'Pod'"));
      }
    } else {
      read('default');
      read('defaultRequest');
    }
    if (type === limitTypePersistentVolumeClaim && !('storage' in sub(item, 'min')) && !('storage' in sub(item, 'max'))) {
      // Kubernetes names the item's "limits" here, a field it does not have.
      errs.push(required(`${path}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    read('maxLimitRequestRatio');
    // Kubernetes walks a set here (no fixed order); peapod reports resources by name.
    for (const k of [...entries.keys()].sort()) errs.push(...boundsErrors(path, k, entries.get(k)!));
  });
  return errs;
}

// --- table ------------------------------------------------------------------------------------

export const limitranges: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  listKind: 'LimitRangeList',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  categories: [],
  hasStatus: false,
  defaults: defaultLimitRange,
  validate: validateLimitRange,
  // kube-apiserver prints the creation time itself here, not an age.
  columns: [column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
  cells: (lr) => [lr.metadata?.creationTimestamp ?? null],
  selectableFields: () => ({}),
};
