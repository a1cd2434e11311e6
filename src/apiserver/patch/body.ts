/**
 * Decoding PATCH request bodies by content type, and dispatching the three non-apply patch
 * types. Server-side apply needs the manager and managed fields, so it goes through
 * `serverSideApply` instead.
 */
import { parseAllDocuments } from 'yaml';
import { ApiError, badRequest } from '../../api/errors.js';
import { isPlainObject } from '../../api/object.js';
import { applyJsonPatch } from './json-patch.js';
import { jsonMergePatch } from './merge-patch.js';
import type { GroupKind } from './schema.js';
import { strategicMergePatch } from './strategic.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export type PatchType = typeof JSON_PATCH | typeof MERGE_PATCH | typeof STRATEGIC_MERGE_PATCH | typeof APPLY_PATCH;

const patchTypes: readonly string[] = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH];

function unsupported(contentType: string, accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}; got ${contentType || 'no Content-Type'}`,
  );
}

/** The patch type of a Content-Type header (parameters such as charset ignored); 415 if it is none. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!patchTypes.includes(mediaType)) throw unsupported(contentType ?? '', patchTypes);
  return mediaType as PatchType;
}

/**
 * Decodes a patch body: JSON for the JSON-based types, YAML (of which JSON is a subset) for
 * apply. Malformed input is a 400 that says what is wrong and on which line and column.
 */
export function parsePatchBody(contentType: string | undefined, body: Uint8Array | string): unknown {
  const type = patchTypeOf(contentType);
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
  if (text.trim() === '') throw badRequest('the patch body is empty');
  return type === APPLY_PATCH ? parseYaml(text) : parseJson(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(reason);
    let where = '';
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    throw new ApiError(400, 'BadRequest', `error decoding patch: invalid JSON${where}: ${reason}`, undefined, { cause: err });
  }
}

function parseYaml(text: string): unknown {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(docs)) throw badRequest('error decoding apply patch: the body is not a YAML document');
  const problems = docs.flatMap((d) => d.errors);
  if (problems.length > 0) {
    const e = problems[0];
    const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ApiError(400, 'BadRequest', `error decoding apply patch: invalid YAML${where}: ${e.message.split('\n')[0]}`, undefined, {
      cause: e,
    });
  }
  const content = docs.filter((d) => d.contents !== null);
  if (content.length !== 1) {
    throw badRequest(`error decoding apply patch: expected exactly one YAML document, found ${content.length}`);
  }
  let value: unknown;
  try {
    value = content[0].toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml library refuses alias bombs ("Excessive alias count") and similar while resolving.
    throw new ApiError(400, 'BadRequest', `error decoding apply patch: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!isPlainObject(value)) {
    throw badRequest(`error decoding apply patch: the document must be an object, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Applies a JSON, merge or strategic merge patch body to `original` and returns the result.
 * `kind` chooses the strategic merge metadata. Apply patches and other types are 415.
 */
export function applyPatch(contentType: string | undefined, original: unknown, patchBody: Uint8Array | string, kind: GroupKind): unknown {
  const type = patchTypeOf(contentType);
  if (type === APPLY_PATCH) throw unsupported(contentType ?? '', [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH]);
  const patch = parsePatchBody(type, patchBody);
  switch (type) {
    case JSON_PATCH:
      return applyJsonPatch(original, patch);
    case MERGE_PATCH:
      if (!isPlainObject(patch)) throw badRequest('merge patch must be a JSON object');
      return jsonMergePatch(original, patch);
    case STRATEGIC_MERGE_PATCH:
      return strategicMergePatch(original, patch, kind);
  }
}
