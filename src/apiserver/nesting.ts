/**
 * A bound on how deeply request bodies nest. JSON.parse copes with any depth, but everything
 * after it (field checks, patches, managed fields, JSON.stringify on the way to storage) walks
 * objects recursively and would overflow the stack as a 500. Kubernetes' decoder refuses
 * bodies nested more than 10,000 deep; no object of a served kind comes near the far lower
 * bound used here, which the recursive walks handle with room to spare.
 */
import { badRequest, type ApiError } from '../api/errors.js';

export const maxNestingDepth = 1000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON (or YAML flow) text in `body` opens more than `limit` objects or arrays
 * inside one another. Brackets inside double-quoted strings don't count. For YAML block
 * style it can only under-count, so decoded YAML is checked again with valueExceedsDepth.
 */
export function textExceedsDepth(body: Uint8Array, limit = maxNestingDepth): boolean {
  // Nesting deeper than `limit` takes more than 2 * limit bytes: most bodies need no scan.
  if (body.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Whether a decoded value nests objects or arrays more than `limit` deep (recursion bounded by `limit`). */
export function valueExceedsDepth(value: unknown, limit = maxNestingDepth): boolean {
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (walk(child, depth + 1)) return true;
    return false;
  };
  return walk(value, 1);
}

export function tooDeep(what: string): ApiError {
  return badRequest(`${what} nests objects or arrays more than ${maxNestingDepth} levels deep`);
}
