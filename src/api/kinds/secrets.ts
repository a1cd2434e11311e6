/** core/v1 secrets. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject, omitEmptyFields } from '../object.js';
import type { ResourceType } from '../resource.js';
import { immutable, invalidValue, required } from '../validation.js';
import { ageCell, ageColumn, column, str, sub } from './common.js';
import { base64Error, sizeError, validateImmutableData, validateKeys } from './configdata.js';

/** Type Opaque by default; write-only stringData is folded into data (base64), as the API server does; no empty data. */
function defaultSecret(secret: KubeObject): void {
  secret.type ??= 'Opaque';
  if (isPlainObject(secret.stringData)) {
    const data: Record<string, unknown> = isPlainObject(secret.data) ? secret.data : {};
    for (const [k, v] of Object.entries(secret.stringData)) {
      if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    }
    secret.data = data;
    delete secret.stringData;
  }
  // Both are Go maps tagged omitempty.
  omitEmptyFields(secret, ['data', 'stringData']);
}

/** Keys each built-in secret type must carry. */
const requiredKeys: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function validateSecret(secret: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = sub(secret, 'data');
  const size = validateKeys(data, 'data', errs);
  for (const [k, v] of Object.entries(data)) {
    const bad = typeof v === 'string' ? base64Error(v) : 'must be a base64 string';
    if (bad) errs.push(invalidValue(`data[${k}]`, '<secret contents redacted>', bad));
  }
  validateKeys(sub(secret, 'stringData'), 'stringData', errs);
  sizeError(size, errs, 'data');

  const type = str(secret.type);
  for (const key of requiredKeys[type] ?? []) if (!(key in data)) errs.push(required(`data[${key}]`));
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(required('data[username]'), required('data[password]'));
  }
  if (type === 'kubernetes.io/service-account-token' && !secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (old && str(old.type) !== type) errs.push(immutable('type', type));
  errs.push(...validateImmutableData(secret, old, ['data']));
  return errs;
}

export const secrets: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  listKind: 'SecretList',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: defaultSecret,
  validate: validateSecret,
  columns: [
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    ageColumn,
  ],
  cells: (s, now) => [str(s.type), Object.keys(sub(s, 'data')).length, ageCell(s, now)],
  selectableFields: (s) => ({ type: str(s.type) }),
};
