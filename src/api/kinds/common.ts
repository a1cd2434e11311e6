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

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJSON(a) === canonicalJSON(b);
}
