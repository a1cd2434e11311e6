/**
 * RFC 6902 JSON Patch (`application/json-patch+json`), as `kubectl patch --type=json` sends it.
 *
 * kube-apiserver answers a patch it cannot decode (not a list of objects) with 400 BadRequest,
 * and a patch that decodes but does not apply with 422: an operation without an op, path or
 * value, a bad pointer, a failed `test`, a path that is not there (its JSON patch library finds
 * all of these only while applying). We do the same, but say which operation failed and why.
 */
import { ApiError, badRequest } from '../../api/errors.js';
import { clone, isPlainObject } from '../../api/object.js';

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

const valueOps = new Set(['add', 'replace', 'test']);
const fromOps = new Set(['move', 'copy']);

/** Checks the shape of a decoded patch document; anything malformed is a 400 naming the operation. */
/** kube-apiserver's bound on the operations of one JSON patch (each can copy the whole object). */
export const maxJsonPatchOperations = 10_000;

export function decodeJsonPatch(patch: unknown): JsonPatchOp[] {
  if (!Array.isArray(patch)) {
    throw badRequest(`json patch must be an array of operations, got ${describe(patch)}`);
  }
  if (patch.length > maxJsonPatchOperations) {
    throw new ApiError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`);
  }
  return patch.map((raw, i) => {
    if (!isPlainObject(raw)) throw badRequest(`json patch operation ${i} must be an object, got ${describe(raw)}`);
    const op = raw.op;
    if (typeof op !== 'string') throw unprocessable(`json patch operation ${i} has no "op"`);
    if (!valueOps.has(op) && op !== 'remove' && !fromOps.has(op)) {
      throw unprocessable(`json patch operation ${i} has unknown op "${op}": want add, remove, replace, move, copy or test`);
    }
    if (typeof raw.path !== 'string') throw unprocessable(`json patch operation ${i} (${op}) has no string "path"`);
    parsePointer(raw.path, `json patch operation ${i} (${op})`, unprocessable);
    if (valueOps.has(op) && !('value' in raw)) {
      throw unprocessable(`json patch operation ${i} (${op} ${JSON.stringify(raw.path)}) has no "value"`);
    }
    if (fromOps.has(op)) {
      if (typeof raw.from !== 'string') throw unprocessable(`json patch operation ${i} (${op}) has no string "from"`);
      parsePointer(raw.from, `json patch operation ${i} (${op})`, unprocessable);
    }
    return raw as JsonPatchOp;
  });
}

/**
 * Applies the operations in order to a copy of `doc`; `doc` is never modified. All or nothing:
 * the first failing operation throws 422 Invalid and no partial result escapes.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodeJsonPatch(patch);
  let root = clone(doc);
  ops.forEach((op, i) => {
    const where = `json patch operation ${i} (${op.op} ${JSON.stringify(op.path)})`;
    const fail = (why: string) => unprocessable(`${where}: ${why}`);
    const path = parsePointer(op.path, where, fail);
    switch (op.op) {
      case 'add':
        root = add(root, path, clone(op.value), fail);
        break;
      case 'remove':
        root = remove(root, path, fail);
        break;
      case 'replace':
        // Replace is remove + add on the same path, so the target must already exist.
        get(root, path, fail);
        root = remove(root, path, fail);
        root = add(root, path, clone(op.value), fail);
        break;
      case 'test': {
        const found = get(root, path, fail);
        if (!jsonEqual(found, op.value)) {
          throw fail(`test failed: value is ${JSON.stringify(found)}, expected ${JSON.stringify(op.value)}`);
        }
        break;
      }
      case 'move': {
        const from = parsePointer(op.from, where, fail);
        if (from.length < path.length && from.every((t, j) => t === path[j])) {
          throw fail(`cannot move ${JSON.stringify(op.from)} into its own child`);
        }
        const value = get(root, from, (why) => fail(`from: ${why}`));
        root = remove(root, from, fail);
        root = add(root, path, value, fail);
        break;
      }
      case 'copy': {
        const from = parsePointer(op.from, where, fail);
        const value = get(root, from, (why) => fail(`from: ${why}`));
        root = add(root, path, clone(value), fail);
        break;
      }
    }
  });
  return root;
}

type Fail = (why: string) => ApiError;

function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

/** Splits an RFC 6901 pointer into unescaped reference tokens ("" is the whole document). */
export function parsePointer(pointer: string, where: string, fail: (why: string) => ApiError): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw fail(`${where}: path ${JSON.stringify(pointer)} must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw fail(`${where}: path ${JSON.stringify(pointer)} has a bad escape: "~" must be followed by 0 or 1`);
      }
      // Order matters (RFC 6901 §4): "~01" is "~1" literally, not "/".
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** Renders tokens back into a pointer, for messages. */
function pointerOf(tokens: string[]): string {
  return tokens.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** An array index token: digits without leading zeros, below `limit` (inclusive when adding). */
function arrayIndex(token: string, length: number, adding: boolean, at: string, fail: Fail): number {
  if (adding && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw fail(`${JSON.stringify(at)}: "${token}" is not an array index`);
  const i = Number(token);
  if (adding ? i > length : i >= length) {
    throw fail(`${JSON.stringify(at)}: index ${i} is out of bounds (array length ${length})`);
  }
  return i;
}

function get(root: unknown, path: string[], fail: Fail): unknown {
  let cur = root;
  for (let n = 0; n < path.length; n++) {
    const token = path[n];
    const at = pointerOf(path.slice(0, n + 1));
    if (Array.isArray(cur)) {
      cur = cur[arrayIndex(token, cur.length, false, at, fail)];
    } else if (isPlainObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, token)) throw fail(`path ${JSON.stringify(at)} does not exist`);
      cur = cur[token];
    } else {
      throw fail(`path ${JSON.stringify(at)} does not exist: ${JSON.stringify(pointerOf(path.slice(0, n)))} is ${describe(cur)}`);
    }
  }
  return cur;
}

/** The container that holds the last token, which must exist. */
function parentOf(root: unknown, path: string[], fail: Fail): unknown {
  const parent = get(root, path.slice(0, -1), fail);
  if (!Array.isArray(parent) && !isPlainObject(parent)) {
    throw fail(`path ${JSON.stringify(pointerOf(path.slice(0, -1)))} is ${describe(parent)}, not an object or array`);
  }
  return parent;
}

function add(root: unknown, path: string[], value: unknown, fail: Fail): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(root, path, fail);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, true, pointerOf(path), fail), 0, value);
  } else {
    (parent as Record<string, unknown>)[last] = value;
  }
  return root;
}

function remove(root: unknown, path: string[], fail: Fail): unknown {
  if (path.length === 0) return null;
  const parent = parentOf(root, path, fail);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, false, pointerOf(path), fail), 1);
  } else {
    const obj = parent as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(obj, last)) throw fail(`path ${JSON.stringify(pointerOf(path))} does not exist`);
    delete obj[last];
  }
  return root;
}

/** JSON equality: object member order does not matter, array order does (RFC 6902 §4.6). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}
