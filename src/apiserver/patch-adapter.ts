/** The seam between the REST handlers and the patch/apply machinery in ./patch. */
import type { KubeObject } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import { apiVersionOf } from '../api/resource.js';
import { badRequest } from '../api/errors.js';
import { isPlainObject } from '../api/object.js';
import { APPLY_PATCH, applyPatch, parsePatchBody, serverSideApply, updateManagedFields } from './patch/index.js';

/** JSON, merge or strategic merge patch of `live` by the raw request body. */
export function applyPatchBody(contentType: string, live: unknown, body: Uint8Array, rt: Pick<ResourceType, 'group' | 'kind'>): unknown {
  return applyPatch(contentType, live, body, { group: rt.group, kind: rt.kind });
}

/**
 * Server-side apply of the request body onto `live` (undefined: create). `check` sees the
 * applied configuration before it is merged, and may refuse it or drop fields from it (field
 * validation). Returns that configuration (`intent`) and the merged object with managedFields.
 */
export function applyServerSide(args: {
  rt: ResourceType;
  live: KubeObject | undefined;
  body: Uint8Array;
  manager: string;
  force: boolean;
  now: string;
  subresource?: string;
  check?: (intent: KubeObject) => void;
}): { intent: KubeObject; result: KubeObject } {
  const intent = parsePatchBody(APPLY_PATCH, args.body);
  if (!isPlainObject(intent)) throw badRequest('the apply configuration must be an object');
  args.check?.(intent as KubeObject);
  const result = serverSideApply({
    live: args.live,
    applied: intent as KubeObject,
    manager: args.manager,
    force: args.force,
    apiVersion: apiVersionOf(args.rt),
    now: args.now,
    kind: { group: args.rt.group, kind: args.rt.kind },
    subresource: args.subresource,
  });
  return { intent: intent as KubeObject, result };
}

/** Records an ordinary (non-apply) write in managedFields. */
export function recordManagedFields(args: {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  subresource?: string;
  now: string;
  resetFields?: readonly string[];
}): KubeObject {
  return updateManagedFields({ ...args, operation: 'Update' });
}
