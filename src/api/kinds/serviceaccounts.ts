/**
 * core/v1 serviceaccounts: the identities pods run as. Tokens for them come from the
 * serviceaccounts/token subresource (TokenRequest); the legacy token Secrets are not made.
 */
import { omitEmptyFields } from '../object.js';
import type { ResourceType } from '../resource.js';
import { ageCell, ageColumn, column, list } from './common.js';

/** The service account a pod runs as when it names none; every namespace has one. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

export const serviceaccounts: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  listKind: 'ServiceAccountList',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  categories: [],
  hasStatus: false,
  extraSubresources: ['token'],
  // Both lists are Go slices tagged omitempty.
  defaults: (sa) => omitEmptyFields(sa, ['secrets', 'imagePullSecrets']),
  // Kubernetes validates a ServiceAccount's metadata only.
  validate: () => [],
  columns: [column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn],
  cells: (sa, now) => [list(sa, 'secrets').length, ageCell(sa, now)],
  selectableFields: () => ({}),
};
