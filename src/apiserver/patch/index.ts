/** The patch and apply machinery the API server's PATCH handler uses. */
export { applyPatch, parsePatchBody, patchTypeOf, APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, type PatchType } from './body.js';
export { applyJsonPatch } from './json-patch.js';
export { jsonMergePatch } from './merge-patch.js';
export { strategicMergePatch } from './strategic.js';
export { serverSideApply, updateManagedFields, LAST_APPLIED_ANNOTATION, type ServerSideApplyOptions, type UpdateManagedFieldsOptions } from './apply.js';
export { schemaFor, type GroupKind } from './schema.js';
