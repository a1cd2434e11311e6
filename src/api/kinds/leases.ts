/** coordination.k8s.io/v1 leases: leader election and node heartbeats. */
import type { FieldError } from '../errors.js';
import type { ResourceType } from '../resource.js';
import { invalidValue, validateNonnegative } from '../validation.js';
import { ageCell, ageColumn, column, str, sub } from './common.js';

function validateLease(lease: Parameters<ResourceType['validate']>[0]): FieldError[] {
  const spec = sub(lease, 'spec');
  const errs: FieldError[] = [];
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && d !== null && !(Number.isInteger(d) && d > 0)) {
    errs.push(invalidValue('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  }
  errs.push(...validateNonnegative('spec.leaseTransitions', spec.leaseTransitions));
  for (const t of ['acquireTime', 'renewTime'] as const) {
    const v = spec[t];
    if (v !== undefined && v !== null && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) {
      errs.push(invalidValue(`spec.${t}`, v, 'must be an RFC 3339 timestamp with microseconds'));
    }
  }
  return errs;
}

export const leases: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: () => {},
  validate: validateLease,
  columns: [column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn],
  cells: (lease, now) => [str(sub(lease, 'spec').holderIdentity), ageCell(lease, now)],
  selectableFields: () => ({}),
};
