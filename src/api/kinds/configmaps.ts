/** core/v1 configmaps. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { omitEmptyFields } from '../object.js';
import type { ResourceType } from '../resource.js';
import { invalidValue } from '../validation.js';
import { ageCell, ageColumn, column, sub } from './common.js';
import { base64Error, sizeError, validateImmutableData, validateKeys } from './configdata.js';

function validateConfigMap(cm: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = sub(cm, 'data');
  const binary = sub(cm, 'binaryData');
  let size = validateKeys(data, 'data', errs);
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') errs.push(invalidValue(`data[${k}]`, v, 'must be a string'));
  }
  size += validateKeys(binary, 'binaryData', errs);
  for (const [k, v] of Object.entries(binary)) {
    if (k in data) errs.push(invalidValue(`binaryData[${k}]`, k, 'duplicate of key present in data'));
    const bad = typeof v === 'string' ? base64Error(v) : 'must be a base64 string';
    if (bad) errs.push(invalidValue(`binaryData[${k}]`, '<binary>', bad));
  }
  sizeError(size, errs, 'data');
  errs.push(...validateImmutableData(cm, old, ['data', 'binaryData']));
  return errs;
}

export const configmaps: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  categories: [],
  hasStatus: false,
  // Both are Go maps tagged omitempty: `data: {}` is not kept.
  defaults: (cm) => omitEmptyFields(cm, ['data', 'binaryData']),
  validate: validateConfigMap,
  columns: [column('Data', 'string', 'Data contains the configuration data.'), ageColumn],
  cells: (cm, now) => [Object.keys(sub(cm, 'data')).length + Object.keys(sub(cm, 'binaryData')).length, ageCell(cm, now)],
  selectableFields: () => ({}),
};
