/**
 * rbac.authorization.k8s.io/v1 rolebindings and clusterrolebindings: who (users, groups,
 * service accounts) holds the rules of which role. Defaults, validation (kube's
 * ValidateRoleBinding / ValidateClusterRoleBinding; roleRef may not change) and kubectl's
 * columns NAME ROLE AGE, with USERS GROUPS SERVICEACCOUNTS under -o wide.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject, omitEmptyFields } from '../object.js';
import { isDNS1123Subdomain } from '../labels.js';
import type { ResourceType } from '../resource.js';
import { invalidValue, isValidPathSegmentName, nameErrors, notSupported, required } from '../validation.js';
import { RBAC_GROUP } from '../rbac/policy-rule.js';
import { ageCell, ageColumn, column, list, str, sub } from './common.js';

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

export interface Subject {
  kind: string;
  apiGroup: string;
  name: string;
  namespace: string;
}

/** The binding's roleRef, fields of the wrong type read as ''. */
export function roleRefOf(binding: KubeObject): RoleRef {
  const r = sub(binding, 'roleRef');
  return { apiGroup: str(r.apiGroup), kind: str(r.kind), name: str(r.name) };
}

/** The binding's subjects, fields of the wrong type read as ''. */
export function subjectsOf(binding: KubeObject): Subject[] {
  return list(binding, 'subjects').map((s) => ({ kind: str(s.kind), apiGroup: str(s.apiGroup), name: str(s.name), namespace: str(s.namespace) }));
}

/** kube's SetDefaults_RoleBinding / _Subject: roleRef and User/Group subjects default to the RBAC group. */
function defaultBinding(b: KubeObject): void {
  if (b.roleRef === undefined || b.roleRef === null) b.roleRef = {};
  if (isPlainObject(b.roleRef) && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  if (Array.isArray(b.subjects)) {
    for (const s of b.subjects) {
      if (isPlainObject(s) && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
    }
  }
  omitEmptyFields(b, ['subjects']);
}

function validateSubject(raw: unknown, namespaced: boolean, path: string): FieldError[] {
  if (!isPlainObject(raw)) return [invalidValue(path, raw, 'must be an object')];
  const s = { kind: str(raw.kind), apiGroup: str(raw.apiGroup), name: str(raw.name), namespace: str(raw.namespace) };
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(`${path}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) errs.push(...nameErrors(`${path}.name`, s.name, isDNS1123Subdomain));
      if (s.apiGroup) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${path}.kind`, s.kind, ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(b: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = roleRefOf(b);
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', ref.apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind, kinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  else errs.push(...nameErrors('roleRef.name', ref.name, isValidPathSegmentName));
  const subjects = b.subjects;
  if (subjects !== undefined && subjects !== null && !Array.isArray(subjects)) errs.push(invalidValue('subjects', subjects, 'must be a list of subjects'));
  else (subjects ?? []).forEach((s: unknown, i: number) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  if (old) {
    const was = roleRefOf(old);
    if (was.apiGroup !== ref.apiGroup || was.kind !== ref.kind || was.name !== ref.name) {
      // Go's %#v of the new RoleRef, as the field error prints it.
      const shown = `rbac.RoleRef{APIGroup:${JSON.stringify(ref.apiGroup)}, Kind:${JSON.stringify(ref.kind)}, Name:${JSON.stringify(ref.name)}}`;
      errs.push({ type: 'FieldValueInvalid', field: 'roleRef', detail: `${shown}: cannot change roleRef` });
    }
  }
  return errs;
}

/** kube's SubjectsStrings: users, groups, and service accounts as "namespace/name". */
function subjectColumns(b: KubeObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjectsOf(b)) {
    if (s.kind === 'ServiceAccount') sas.push(`${s.namespace}/${s.name}`);
    else if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingColumns(what: 'roleBinding' | 'clusterRoleBinding', roleRefDoc: string) {
  return [
    column('Role', 'string', roleRefDoc),
    ageColumn,
    column('Users', 'string', `Users in the ${what}`, true),
    column('Groups', 'string', `Groups in the ${what}`, true),
    column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, true),
  ];
}

function bindingCells(b: KubeObject, now: number): unknown[] {
  const ref = roleRefOf(b);
  return [`${ref.kind}/${ref.name}`, ageCell(b, now), ...subjectColumns(b)];
}

export const rolebindings: ResourceType = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'RoleBinding',
  listKind: 'RoleBindingList',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: defaultBinding,
  validate: (b, old) => validateBinding(b, old, true),
  columns: bindingColumns(
    'roleBinding',
    'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
  ),
  cells: bindingCells,
  selectableFields: () => ({}),
};

export const clusterrolebindings: ResourceType = {
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRoleBinding',
  listKind: 'ClusterRoleBindingList',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: defaultBinding,
  validate: (b, old) => validateBinding(b, old, false),
  columns: bindingColumns(
    'clusterRoleBinding',
    'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
  ),
  cells: bindingCells,
  selectableFields: () => ({}),
};
