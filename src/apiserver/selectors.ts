/** Label and field selectors from query parameters, compiled once into one object filter. */
import type { KubeObject } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import { formatLabelSelector, matchesLabels, parseLabelSelector, selectorFromMap, selectorToString, type LabelSelector } from '../api/labels.js';
import { checkFieldSelector, fieldValues, matchesFields, parseFieldSelector } from '../api/fields.js';
import { isPlainObject } from '../api/object.js';

export type ObjectFilter = (obj: KubeObject) => boolean;

/** undefined when neither selector restricts anything. Throws 400 for a malformed or unsupported selector. */
export function buildFilter(rt: ResourceType, labelSelector?: string, fieldSelector?: string): ObjectFilter | undefined {
  const ls = labelSelector && labelSelector.trim() ? parseLabelSelector(labelSelector) : undefined;
  const fs = fieldSelector && fieldSelector.trim() ? parseFieldSelector(fieldSelector) : undefined;
  if (fs) {
    const err = checkFieldSelector(rt, fs);
    if (err) throw err;
  }
  if (!ls && !fs) return undefined;
  return (obj) => (!ls || matchesLabels(ls, obj.metadata.labels)) && (!fs || matchesFields(fs, fieldValues(rt, obj)));
}

/**
 * The Scale subresource's status.selector string: a LabelSelector object (apps kinds) or a
 * plain map (ReplicationController) in its canonical string form.
 */
export function scaleSelectorString(sel: unknown): string {
  if (!isPlainObject(sel)) return '';
  if ('matchLabels' in sel || 'matchExpressions' in sel) return formatLabelSelector(sel as LabelSelector);
  return selectorToString(selectorFromMap(sel as Record<string, string>));
}
