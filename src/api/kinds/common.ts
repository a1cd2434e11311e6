/**
 * Small helpers the kind files share: table column definitions, safe field access on untyped
 * objects, and the AGE cell.
 */
import type { TableColumn } from '../resource.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import { age } from '../duration.js';

export type Obj = Record<string, any>;

/** A column definition; `wide` columns only show with -o wide. */
export function column(name: string, type: TableColumn['type'], description: string, wide = false): TableColumn {
  return { name, type, format: '', description, priority: wide ? 1 : 0 };
}

export const ageColumn = column(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** The AGE cell for obj at server time now. */
export function ageCell(obj: KubeObject, now: number): string {
  return age(obj.metadata?.creationTimestamp, now);
}

/** obj[key] when it is a plain object, else an empty one: for reading optional nested fields. */
export function sub(obj: unknown, key: string): Obj {
  if (!isPlainObject(obj)) return {};
  const v = obj[key];
  return isPlainObject(v) ? v : {};
}

/** obj[key] when it is an array of objects (non-objects read as {}), else []. */
export function list(obj: unknown, key: string): Obj[] {
  if (!isPlainObject(obj)) return [];
  const v = obj[key];
  return Array.isArray(v) ? v.map((x) => (isPlainObject(x) ? x : {})) : [];
}

/** A string field, or "" when absent or not a string. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** An integer field, or 0 when absent. */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Ensures obj.spec is an object and returns it. */
export function specOf(obj: KubeObject): Obj {
  if (!isPlainObject(obj.spec)) obj.spec = {};
  return obj.spec;
}

/** JSON with object keys sorted, for order-insensitive deep comparison. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    isPlainObject(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val,
  );
}

/** Whether a and b have the same canonicalJSON, i.e. are equal JSON whatever their key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  // The structural walk answers for plain JSON data without building sorted copies; anything
  // JSON.stringify would transform (undefined, NaN, Dates, toJSON …) takes the exact path.
  return plainJSONEqual(a, b) ?? canonicalJSON(a) === canonicalJSON(b);
}

type JSONShape = 'scalar' | 'array' | 'object' | 'other';

/** How JSON.stringify treats v: as itself (scalar), an array, a plain object, or otherwise. */
function shapeOf(v: unknown): JSONShape {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return 'scalar';
    case 'number':
      return Number.isFinite(v) ? 'scalar' : 'other';
    case 'object': {
      if (v === null) return 'scalar';
      if (Array.isArray(v)) return 'array';
      const proto = Object.getPrototypeOf(v);
      return proto === Object.prototype || proto === null ? 'object' : 'other';
    }
    default:
      return 'other';
  }
}

/** A property JSON.stringify would drop or change (undefined, functions, NaN …). */
function hasOtherValue(o: Record<string, unknown>): boolean {
  for (const k of Object.keys(o)) if (shapeOf(o[k]) === 'other') return true;
  return false;
}

/** Order-insensitive equality of plain JSON values; undefined when either is not plain JSON. */
function plainJSONEqual(a: unknown, b: unknown): boolean | undefined {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (sa === 'other' || sb === 'other') return undefined;
  if (sa !== sb) return false;
  if (sa === 'scalar') return a === b;
  if (sa === 'array') {
    const aa = a as unknown[];
    const ba = b as unknown[];
    if (aa.length !== ba.length) return false;
    for (let i = 0; i < aa.length; i++) {
      const r = plainJSONEqual(aa[i], ba[i]);
      if (r !== true) return r;
    }
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // Keys holding undefined vanish in JSON, so a count or key mismatch is decided by the exact path then.
  const differ = () => (hasOtherValue(ao) || hasOtherValue(bo) ? undefined : false);
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return differ();
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(bo, k)) return differ();
    const r = plainJSONEqual(ao[k], bo[k]);
    if (r !== true) return r;
  }
  return true;
}
