/**
 * Schema-aware walks over objects for server-side apply, after structured-merge-diff's `typed`
 * package: the set of fields a value sets, the difference between two values, the merge of an
 * applied configuration into a live object, and removal of a set of fields.
 */
import { ApiError } from '../../api/errors.js';
import { clone, isPlainObject } from '../../api/object.js';
import { FieldSet, compareElements, fieldElement, fieldName, indexElement, keyElement, valueElement, type FieldPath, type PathElement } from './fieldpath.js';
import { jsonEqual } from './json-patch.js';
import { fieldSchema, isDeclaredField, itemSchema, type ListSchema, type Schema } from './schema.js';

type Obj = Record<string, unknown>;

function invalid(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function isMergedMap(schema: Schema): boolean {
  return schema.type === 'map' && !schema.atomic;
}

function isMergedList(schema: Schema): schema is ListSchema {
  return schema.type === 'list' && schema.listType !== 'atomic';
}

/**
 * The path element naming one list item. Items of an associative list without a key (and no
 * default for it) are an error in applied configurations; in live objects (`lenient`) they
 * fall back to their position so that old data never blocks a write.
 */
export function itemElement(list: ListSchema, item: unknown, index: number, path: string, lenient: boolean): PathElement {
  if (list.listType === 'set') return valueElement(item);
  if (list.listType === 'map' && list.keys) {
    if (!isPlainObject(item)) {
      if (lenient) return indexElement(index);
      throw invalid(`${path}: element ${index}: associative list with keys has an element that is not an object`);
    }
    const keys: Obj = {};
    for (const k of list.keys) {
      const v = item[k] ?? list.keyDefaults?.[k];
      if (v === undefined || v === null) {
        // A key the item lacks is simply not part of its identity when the schema has more keys
        // than one and this one is optional (like port protocol without a default); the first
        // key is always required.
        if (k === list.keys[0]) {
          if (lenient) return indexElement(index);
          throw invalid(`${path}: element ${index}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
        }
        continue;
      }
      keys[k] = v;
    }
    return keyElement(keys);
  }
  return indexElement(index);
}

function describePath(path: FieldPath): string {
  return path.length === 0 ? '.' : path.map((pe) => (pe.startsWith('f:') ? '.' + pe.slice(2) : `[${pe.slice(2)}]`)).join('');
}

/**
 * The fields a value sets, as structured-merge-diff computes them for an applied configuration:
 * every scalar, every list item (and its fields), atomic lists and maps as wholes, entries of
 * maps that are not declared struct fields, and fields set to null or to an empty object.
 */
export function toFieldSet(value: unknown, schema: Schema): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, s: Schema, path: PathElement[]) => {
    if (isPlainObject(v) && isMergedMap(s)) {
      for (const [k, child] of Object.entries(v)) {
        const p = [...path, fieldElement(k)];
        walk(child, fieldSchema(s, k, child), p);
        if (child === null || (isPlainObject(child) && Object.keys(child).length === 0) || !isDeclaredField(s, k)) {
          set.insert(p);
        }
      }
      return;
    }
    if (Array.isArray(v) && isMergedList(s)) {
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const pe = itemElement(s, item, i, describePath(path), false);
        if (seen.has(pe)) throw invalid(`${describePath(path)}: duplicate entries for key ${pe.slice(2)}`);
        seen.add(pe);
        const p = [...path, pe];
        walk(item, itemSchema(s, item), p);
        set.insert(p);
      });
      return;
    }
    set.insert(path);
  };
  walk(value, schema, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`. A map or list that appears or disappears is itself added or
 * removed (along with its contents); empty and absent values compare as leaves so that `{}`
 * versus missing still counts as a change.
 */
export function compare(lhs: unknown, rhs: unknown, schema: Schema): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: unknown, r: unknown, path: PathElement[]) => {
    if (path.length === 0) return;
    if (l === undefined && r !== undefined) out.added.insert(path);
    else if (l !== undefined && r === undefined) out.removed.insert(path);
    else if (!jsonEqual(l, r)) out.modified.insert(path);
  };
  const mapLike = (v: unknown) => v === undefined || isPlainObject(v);
  const listLike = (v: unknown) => v === undefined || Array.isArray(v);
  const walk = (l: unknown, r: unknown, s: Schema, path: PathElement[]) => {
    if (l === undefined && r === undefined) return;
    const structured = (isMergedMap(s) && mapLike(l) && mapLike(r)) || (isMergedList(s) && listLike(l) && listLike(r));
    if (!structured || (isEmptyValue(l) && isEmptyValue(r))) {
      leaf(l, r, path);
      return;
    }
    if (path.length > 0 && !(s as { implicit?: boolean }).implicit) {
      if (l === undefined) out.added.insert(path);
      if (r === undefined) out.removed.insert(path);
    }
    if (isMergedMap(s)) {
      const lo = (l ?? {}) as Obj;
      const ro = (r ?? {}) as Obj;
      // An equal subtree holds no change; one jsonEqual is far cheaper than walking it (most
      // updates change a few fields of a large object).
      for (const k of Object.keys(lo)) {
        const lv = lo[k];
        const rv = ro[k];
        if (rv !== undefined && jsonEqual(lv, rv)) continue;
        walk(lv, rv, fieldSchema(s, k, rv ?? lv), [...path, fieldElement(k)]);
      }
      for (const k of Object.keys(ro)) {
        if (lo[k] !== undefined) continue;
        walk(undefined, ro[k], fieldSchema(s, k, ro[k]), [...path, fieldElement(k)]);
      }
      return;
    }
    const list = s as ListSchema;
    const byElement = (items: unknown[]) => {
      const m = new Map<PathElement, unknown>();
      items.forEach((item, i) => {
        const pe = itemElement(list, item, i, '', true); // lenient: never reports the path
        if (!m.has(pe)) m.set(pe, item);
      });
      return m;
    };
    const lm = byElement((l ?? []) as unknown[]);
    const rm = byElement((r ?? []) as unknown[]);
    for (const pe of new Set([...lm.keys(), ...rm.keys()])) {
      const li = lm.get(pe);
      const ri = rm.get(pe);
      walk(li, ri, itemSchema(list, ri ?? li), [...path, pe]);
    }
  };
  walk(lhs, rhs, schema, []);
  return out;
}

/**
 * FieldsV1 of everything `value` sets, exactly as `compare(undefined, value, schema).added`
 * would encode it, built in one pass without the intermediate FieldSet: every create records
 * this, so the narrower walk pays. `unowned(parent, pe)` drops the membership (not the
 * children) of a struct field, the way a set difference with that path would; `parent` is
 * the object holding the field, so callers can tell `metadata.name` from `spec.name`.
 */
export function addedFieldsV1(value: unknown, schema: Schema, unowned?: (parent: Obj, pe: PathElement) => boolean): Obj {
  return addedNode(value, schema, false, unowned) ?? {};
}

/** Whether a value is walked into (a merged map or list) rather than taken as one leaf. */
function isStructured(s: Schema, v: unknown): boolean {
  return (isMergedMap(s) && isPlainObject(v)) || (isMergedList(s) && Array.isArray(v));
}

/** An implicit struct (a non-pointer Go struct) is never a member by itself, unless it is a leaf. */
function isMemberPath(s: Schema, v: unknown): boolean {
  return !(s as { implicit?: boolean }).implicit || !isStructured(s, v) || isEmptyValue(v);
}

/** An object's keys in string order; insertion sort, as objects have a handful of keys. */
function sortedKeys(o: Obj): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/**
 * The encoded node for `v` at a path that is itself a member when `member`; undefined when
 * neither the path nor anything below it is. Children come out in FieldsV1 order.
 */
function addedNode(v: unknown, s: Schema, member: boolean, unowned: ((parent: Obj, pe: PathElement) => boolean) | undefined): Obj | undefined {
  if (!isStructured(s, v)) return member ? {} : undefined;
  const out: Obj = member ? { '.': {} } : {};
  let any = false;
  if (isPlainObject(v)) {
    // Field elements all share the "f:" prefix, so the names' own order is FieldsV1 order.
    for (const k of sortedKeys(v)) {
      const child = v[k];
      if (child === undefined) continue;
      const cs = fieldSchema(s, k, child);
      const pe = fieldElement(k);
      const enc = addedNode(child, cs, isMemberPath(cs, child) && !(unowned?.(v, pe) ?? false), unowned);
      if (enc !== undefined) {
        out[pe] = enc;
        any = true;
      }
    }
  } else {
    const list = s as ListSchema;
    const items = v as unknown[];
    const elements: PathElement[] = [];
    const byElement = new Map<PathElement, unknown>();
    for (let i = 0; i < items.length; i++) {
      const pe = itemElement(list, items[i], i, '', true);
      if (byElement.has(pe)) continue;
      byElement.set(pe, items[i]);
      elements.push(pe);
    }
    // Keys or values of one kind sort as strings; indexes (and a mix, from items missing their
    // key) need the element order proper.
    const kind = elements[0]?.[0];
    if (kind !== 'i' && elements.every((pe) => pe[0] === kind)) elements.sort();
    else elements.sort(compareElements);
    for (const pe of elements) {
      const item = byElement.get(pe);
      const is = itemSchema(list, item);
      const enc = addedNode(item, is, isMemberPath(is, item), undefined);
      if (enc !== undefined) {
        out[pe] = enc;
        any = true;
      }
    }
  }
  if (!any) return member ? {} : undefined;
  return out;
}

function isEmptyValue(v: unknown): boolean {
  return v === undefined || (isPlainObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

/**
 * The live object with the applied configuration merged in: configured scalars and atomic
 * values win, maps merge by field, associative lists and sets merge by item identity. Shared
 * items take the configuration's order; live-only items stay after the item they followed.
 * A null in the configuration removes the field.
 */
export function merge(live: unknown, config: unknown, schema: Schema): unknown {
  const walk = (l: unknown, c: unknown, s: Schema, path: PathElement[]): unknown => {
    if (c === undefined) return l;
    if (c === null) return undefined;
    if (isPlainObject(c) && isMergedMap(s)) {
      const out: Obj = isPlainObject(l) ? { ...l } : {};
      for (const [k, v] of Object.entries(c)) {
        const r = walk(out[k], v, fieldSchema(s, k, v), [...path, fieldElement(k)]);
        if (r === undefined) delete out[k];
        else out[k] = r;
      }
      return out;
    }
    if (Array.isArray(c) && isMergedList(s)) {
      return mergeList(Array.isArray(l) ? l : [], c, s, path);
    }
    return clone(c);
  };
  const mergeList = (l: unknown[], c: unknown[], s: ListSchema, path: PathElement[]): unknown[] => {
    const where = describePath(path);
    const cIds = c.map((item, i) => itemElement(s, item, i, where, false));
    const cIndex = new Map<PathElement, number>();
    cIds.forEach((pe, i) => {
      if (cIndex.has(pe)) throw invalid(`${where}: duplicate entries for key ${pe.slice(2)}`);
      cIndex.set(pe, i);
    });
    const lIds = l.map((item, i) => itemElement(s, item, i, where, true));
    const lItems = new Map<PathElement, unknown>();
    lIds.forEach((pe, i) => lItems.has(pe) || lItems.set(pe, l[i]));

    const out: unknown[] = [];
    const emitted = new Set<PathElement>();
    let next = 0;
    const emitConfigThrough = (last: number) => {
      for (; next <= last; next++) {
        const pe = cIds[next];
        if (emitted.has(pe)) continue;
        emitted.add(pe);
        const merged = walk(lItems.get(pe), c[next], itemSchema(s, c[next]), [...path, pe]);
        if (merged !== undefined) out.push(merged);
      }
    };
    lIds.forEach((pe, i) => {
      const ci = cIndex.get(pe);
      if (ci !== undefined) emitConfigThrough(ci);
      else if (!emitted.has(pe)) {
        emitted.add(pe);
        out.push(l[i]);
      }
    });
    emitConfigThrough(c.length - 1);
    return out;
  };
  return walk(live, config, schema, []);
}

/**
 * `value` without the members of `set` (a member takes its whole subtree with it). Maps and
 * lists that the removal leaves empty go too, so dropping the last label does not leave
 * `labels: {}` behind. Returns undefined when nothing is left.
 */
export function removeFields(value: unknown, set: FieldSet, schema: Schema): unknown {
  const walk = (v: unknown, node: FieldSet, s: Schema): unknown => {
    if (node.isMember()) return undefined;
    if (isPlainObject(v)) {
      const out: Obj = { ...v };
      let touched = false;
      for (const [pe, child] of node.entries()) {
        const name = fieldName(pe);
        if (name === undefined || !(name in out)) continue;
        const r = walk(out[name], child, fieldSchema(s, name, out[name]));
        if (r === undefined) {
          delete out[name];
          touched = true;
        } else out[name] = r;
      }
      return touched && Object.keys(out).length === 0 ? undefined : out;
    }
    if (Array.isArray(v) && isMergedList(s)) {
      const out: unknown[] = [];
      let touched = false;
      v.forEach((item, i) => {
        const child = node.child(itemElement(s, item, i, '', true));
        const r = child ? walk(item, child, itemSchema(s, item)) : item;
        if (r === undefined) touched = true;
        else out.push(r);
      });
      return touched && out.length === 0 ? undefined : out;
    }
    return v;
  };
  return walk(value, set, schema);
}

