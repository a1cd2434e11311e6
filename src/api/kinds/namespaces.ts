/** core/v1 namespaces. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { validateFinalizers } from '../validation.js';
import { ageCell, ageColumn, column, specOf, str, sub } from './common.js';

/** The label every namespace carries with its own name, so selectors can pick namespaces by name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function defaultNamespace(ns: KubeObject): void {
  const spec = specOf(ns);
  spec.finalizers ??= ['kubernetes'];
  if (!isPlainObject(ns.status)) ns.status = {};
  ns.status.phase ??= 'Active';
  const name = ns.metadata.name;
  if (name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

function validateNamespace(ns: KubeObject): FieldError[] {
  return validateFinalizers(sub(ns, 'spec').finalizers, 'spec.finalizers');
}

export const namespaces: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
  hasStatus: true,
  extraSubresources: ['finalize'],
  defaults: defaultNamespace,
  validate: validateNamespace,
  columns: [column('Status', 'string', 'The status of the namespace'), ageColumn],
  cells: (ns, now) => [str(sub(ns, 'status').phase), ageCell(ns, now)],
  selectableFields: (ns) => ({ 'status.phase': str(sub(ns, 'status').phase) }),
};
