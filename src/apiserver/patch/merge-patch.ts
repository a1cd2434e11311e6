/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`), what `kubectl scale` and
 * `kubectl patch --type=merge` send: objects merge recursively, null deletes, anything else
 * (arrays included) replaces.
 */
import { clone, isPlainObject } from '../../api/object.js';

/** Returns the patched document; neither argument is modified. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(clone(target), patch);
}

/** The RFC's MergePatch(Target, Patch), free to reuse `target`, which is already a private copy. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeInto(out[key], value);
  }
  return out;
}
