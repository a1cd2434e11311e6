/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), as kube-apiserver applies it
 * to the built-in kinds: `kubectl apply` (client-side), `kubectl patch` and `kubectl edit` send it.
 *
 * It is a JSON merge patch in which lists listed in the schema table merge item by item (by a
 * merge key, or as sets of primitives) instead of being replaced, plus directives:
 *   `$patch: replace | merge | delete`    in a map, or as an item of a keyed list
 *   `$retainKeys: [..]`                   drop the original's fields not listed (union types)
 *   `$setElementOrder/<list>: [..]`       the order the merged list should have
 *   `$deleteFromPrimitiveList/<list>: [..]` values to remove from a primitive list
 * A null value deletes the field. Inputs are never modified.
 */
import { ApiError, badRequest } from '../../api/errors.js';
import { clone, isPlainObject } from '../../api/object.js';
import { fieldSchema, itemSchema, schemaFor, smpStrategy, type GroupKind, type Schema } from './schema.js';

type Obj = Record<string, unknown>;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';

/** Applies `patch` to `original` using the merge metadata of `kind`; returns a new object. */
export function strategicMergePatch(original: unknown, patch: unknown, kind: GroupKind): unknown {
  if (!isPlainObject(patch)) {
    throw badRequest(`strategic merge patch must be a JSON object, got ${Array.isArray(patch) ? 'an array' : JSON.stringify(patch)}`);
  }
  const base = isPlainObject(original) ? clone(original) : {};
  return mergeMap(base, clone(patch), schemaFor(kind), '') ?? {};
}

/** 422 for patches that are well formed but contradict themselves, as kube reports them. */
function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function at(path: string): string {
  return path === '' ? 'the top level' : path;
}

/**
 * Merges `patch` into `original` (both private copies, mutated freely). Returns undefined when
 * the patch says `$patch: delete`, so the caller drops the field.
 */
function mergeMap(original: Obj, patch: Obj, schema: Schema | undefined, path: string): Obj | undefined {
  if (PATCH in patch) {
    const directive = patch[PATCH];
    delete patch[PATCH];
    switch (directive) {
      case 'delete':
        return undefined;
      case 'replace':
        // Drop the original; the rest of the patch is the new value (its own directives still apply).
        return mergeMap({}, patch, schema, path);
      case 'merge':
        break;
      default:
        throw badRequest(`unknown $patch directive ${JSON.stringify(directive)} at ${at(path)}: want replace, merge or delete`);
    }
  }

  if (RETAIN_KEYS in patch) {
    const retain = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw badRequest(`invalid patch format of retainKeys at ${at(path)}: $retainKeys must be a list of field names`);
    }
    const keep = new Set<string>(retain);
    for (const k of Object.keys(patch)) {
      if (!k.startsWith('$') && !keep.has(k)) {
        throw unprocessable(`patch content doesn't match retainKeys list at ${at(path)}: field "${k}" is not in $retainKeys`);
      }
    }
    for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
  }

  const orders = takeDirectiveLists(patch, SET_ORDER, path, 'invalid patch format of setElementOrder list');
  const deletions = takeDirectiveLists(patch, DELETE_PRIMITIVES, path, 'invalid patch format of primitive list');

  for (const [field, values] of deletions) {
    const list = original[field];
    if (!Array.isArray(list)) continue;
    if (values.some((v) => typeof v === 'object' && v !== null)) {
      throw badRequest(`invalid patch format of primitive list at ${join(path, field)}: $deleteFromPrimitiveList takes only primitive values`);
    }
    const drop = new Set(values.map(identity));
    original[field] = list.filter((v) => !drop.has(identity(v)));
  }

  // The order directive ranks server-only items by where they stood before this patch.
  const before = new Map([...orders.keys()].map((field) => [field, original[field]]));

  for (const [key, value] of Object.entries(patch)) {
    const sub = join(path, key);
    if (value === null) {
      delete original[key];
      continue;
    }
    const schemaOfKey = fieldSchema(schema, key, value);
    const current = original[key];
    let merged: unknown;
    if (isPlainObject(value) && schemaOfKey.type === 'map' && schemaOfKey.replace) {
      // patchStrategy "replace": the patch's value is the new value, as Go's mergeMapHandler has it.
      merged = value;
    } else if (isPlainObject(value)) {
      merged = mergeMap(isPlainObject(current) ? current : {}, value, schemaOfKey, sub);
    } else if (Array.isArray(value)) {
      merged = mergeList(Array.isArray(current) ? current : [], value, schemaOfKey, sub);
    } else {
      merged = value;
    }
    if (merged === undefined) delete original[key];
    else original[key] = merged;
  }

  for (const [field, order] of orders) {
    const list = original[field];
    const listSchema = fieldSchema(schema, field, list);
    if (!Array.isArray(list) || listSchema.type !== 'list') continue;
    const { merge, mergeKey } = smpStrategy(listSchema);
    if (!merge) continue;
    const id = itemIdentity(mergeKey, join(path, field));
    for (const item of order) {
      if (mergeKey !== undefined && (!isPlainObject(item) || item[mergeKey] === undefined)) {
        throw badRequest(`invalid patch format of setElementOrder list at ${join(path, field)}: each item must carry the merge key "${mergeKey}"`);
      }
    }
    const serverOrder = before.get(field);
    original[field] = normalizeOrder(list, order, Array.isArray(serverOrder) ? serverOrder : list, id);
  }
  return original;
}

/** Removes `<prefix><field>` directive keys from the patch, returning field → list. */
function takeDirectiveLists(patch: Obj, prefix: string, path: string, what: string): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(prefix)) continue;
    const value = patch[key];
    delete patch[key];
    if (!Array.isArray(value)) throw badRequest(`${what} at ${join(path, key)}: the value must be a list`);
    out.set(key.slice(prefix.length), value);
  }
  return out;
}

/** Merges a patch list into the original list under the list's patch strategy. */
function mergeList(original: unknown[], patch: unknown[], schema: Schema, path: string): unknown[] {
  if (schema.type !== 'list') return patch;
  const { merge, mergeKey } = smpStrategy(schema);
  if (!merge) return patch.map((item) => (isPlainObject(item) ? stripped(item, itemSchema(schema, item), path) : item));

  const items = patch.filter((v) => v !== null);
  const hasMaps = items.some(isPlainObject) || original.some(isPlainObject);
  if (!hasMaps) {
    // A set of primitives: union, duplicates dropped, first occurrence wins.
    const seen = new Set<string>();
    const merged = [...original, ...items].filter((v) => {
      const id = identity(v);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    return normalizeOrder(merged, items, original, identity);
  }
  if (mergeKey === undefined) throw badRequest(`cannot merge lists without merge key for ${path}`);
  const id = itemIdentity(mergeKey, path);

  // Directive items first: `$patch: delete` removes the matching original item, `$patch:
  // replace` makes the rest of the patch list the whole new list.
  let replaceAll = false;
  const deleted = new Set<string>();
  const plain: Obj[] = [];
  for (const item of items) {
    if (!isPlainObject(item)) {
      throw badRequest(`${path}: cannot mix ${JSON.stringify(item)} into a list of objects merged by "${mergeKey}"`);
    }
    if (!(PATCH in item)) {
      plain.push(item);
      continue;
    }
    switch (item[PATCH]) {
      case 'delete':
        deleted.add(id(item));
        break;
      case 'replace':
        replaceAll = true;
        break;
      case 'merge':
        throw badRequest(`${path}: merging lists cannot yet be specified in the patch ($patch: merge in a list item)`);
      default:
        throw badRequest(`unknown $patch directive ${JSON.stringify(item[PATCH])} in a list item at ${path}: want replace or delete`);
    }
  }
  const element = (item: unknown) => itemSchema(schema, item);
  if (replaceAll) return plain.map((item) => stripped(item, element(item), path));

  const merged = original.filter((item) => !isPlainObject(item) || item[mergeKey] === undefined || !deleted.has(id(item)));
  const position = new Map<string, number>();
  merged.forEach((item, i) => isPlainObject(item) && item[mergeKey] !== undefined && position.set(id(item), i));
  for (const item of plain) {
    const key = id(item);
    const i = position.get(key);
    if (i === undefined) {
      const fresh = stripped(item, element(item), path);
      position.set(key, merged.length);
      merged.push(fresh);
    } else {
      const current = merged[i];
      merged[i] = mergeMap(isPlainObject(current) ? current : {}, item, element(item), path) ?? {};
    }
  }
  return normalizeOrder(merged, plain, original, id);
}

/** A new value from a patch, with its directives interpreted against nothing. */
function stripped(item: Obj, schema: Schema, path: string): Obj {
  return mergeMap({}, item, schema, path) ?? {};
}

/** Identity of a primitive list value: 1 and "1" differ, as they do in Go. */
function identity(v: unknown): string {
  return JSON.stringify(v) ?? 'undefined';
}

/** Identity of a keyed list item by its merge key; an item without the key is a malformed patch. */
function itemIdentity(mergeKey: string | undefined, path: string): (item: unknown) => string {
  if (mergeKey === undefined) return identity;
  return (item) => {
    if (!isPlainObject(item) || item[mergeKey] === undefined) {
      throw badRequest(`${path}: map ${JSON.stringify(item)} does not contain declared merge key "${mergeKey}"`);
    }
    return identity(item[mergeKey]);
  };
}

/**
 * Kubernetes' ordering rule for merged lists: items named by `patchOrder` come in that order,
 * the others (server-only) keep their order in `serverOrder`, and the two runs are interleaved
 * by their positions in `serverOrder`; a patch item the server never had goes ahead of the
 * server-only item it is compared with (which is why a bare patch prepends new items).
 */
function normalizeOrder(merged: unknown[], patchOrder: unknown[], serverOrder: unknown[], id: (v: unknown) => string): unknown[] {
  const safeId = (v: unknown) => {
    try {
      return id(v);
    } catch {
      return undefined;
    }
  };
  const indexIn = (list: unknown[]) => {
    const m = new Map<string, number>();
    list.forEach((v, i) => {
      const k = safeId(v);
      if (k !== undefined && !m.has(k)) m.set(k, i);
    });
    return m;
  };
  const patchIndex = indexIn(patchOrder);
  const serverIndex = indexIn(serverOrder);
  const sortBy = (list: unknown[], index: Map<string, number>) =>
    list
      .map((v, i) => ({ v, i, rank: index.get(safeId(v) ?? '') ?? Number.MAX_SAFE_INTEGER }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((e) => e.v);

  const fromPatch = sortBy(merged.filter((v) => patchIndex.has(safeId(v) ?? '')), patchIndex);
  const serverOnly = sortBy(merged.filter((v) => !patchIndex.has(safeId(v) ?? '')), serverIndex);

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(fromPatch[j++]);
    else {
      const si = serverIndex.get(safeId(serverOnly[i]) ?? '');
      const pi = serverIndex.get(safeId(fromPatch[j]) ?? '');
      if (si !== undefined && pi !== undefined && si < pi) out.push(serverOnly[i++]);
      else out.push(fromPatch[j++]);
    }
  }
  return out;
}

function join(path: string, key: string): string {
  return `${path}.${key}`;
}
