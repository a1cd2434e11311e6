/**
 * The generic shape of every Kubernetes object as the API server handles it: JSON with
 * apiVersion, kind and metadata. Kind-specific fields stay untyped here; the kind's
 * ResourceType knows how to default, validate and print them.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [k: string]: any;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep copy of JSON data, with JSON's rules: undefined members are left out, undefined array
 * items become null, non-finite numbers null, and anything with toJSON (a Date) its JSON form.
 * A direct walk: two to three times faster than a JSON round trip, and objects are copied on
 * every write.
 */
export function clone<T>(v: T): T {
  return v === undefined ? v : (copyJSON(v) as T);
}

function copyJSON(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  }
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      out[i] = item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : copyJSON(item);
    }
    return out;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.parse(JSON.stringify(v));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const item = (v as Record<string, unknown>)[k];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    out[k] = copyJSON(item);
  }
  return out;
}

/**
 * Deletes obj's listed fields that are null, an empty map or an empty list, in place: what
 * decoding into a Go struct whose maps and slices are tagged omitempty, and encoding it again,
 * leaves of them. Only for fields that are maps or slices in Go: an empty struct (`emptyDir: {}`)
 * means something and stays.
 */
export function omitEmptyFields(obj: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    const v = obj[field];
    if (v === null || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0)) delete obj[field];
  }
}

/**
 * ObjectMeta's maps and lists. managedFields is omitempty too, but an empty list sent there
 * asks for the tracking to be reset, so the field manager reads it first.
 */
const omitEmptyMetadataFields = ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const;

/**
 * Drops the empty metadata maps and lists, as every write through Go's ObjectMeta does:
 * `annotations: {}` (which kubectl diff and apply send for an object without annotations) or the
 * last label removed leave no `labels: {}` behind.
 */
export function omitEmptyMetadata(meta: ObjectMeta): void {
  omitEmptyFields(meta, omitEmptyMetadataFields);
}
