import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { clusterrolebindings, rolebindings } from './rolebindings.js';

const G = 'rbac.authorization.k8s.io';

const binding = (roleRef: unknown, subjects?: unknown): KubeObject => ({
  metadata: { name: 'b', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
  roleRef,
  ...(subjects === undefined ? {} : { subjects }),
});

test('defaults: roleRef and User/Group subjects get the RBAC group, ServiceAccounts none; no empty subjects', () => {
  const b = binding({ kind: 'ClusterRole', name: 'view' }, [
    { kind: 'User', name: 'jane' },
    { kind: 'Group', name: 'devs' },
    { kind: 'ServiceAccount', name: 'bot', namespace: 'ns' },
  ]);
  rolebindings.defaults(b);
  assert.deepEqual(b.roleRef, { kind: 'ClusterRole', name: 'view', apiGroup: G });
  assert.deepEqual(b.subjects.map((s: { apiGroup?: string }) => s.apiGroup), [G, G, undefined]);
  const empty = binding({ apiGroup: G, kind: 'Role', name: 'r' }, []);
  rolebindings.defaults(empty);
  assert.equal('subjects' in empty, false);
});

test('validation: roleRef kinds per binding, subject kinds and groups, service accounts need a namespace cluster-wide', () => {
  const sa = { kind: 'ServiceAccount', name: 'bot' };
  const cases: [string, KubeObject, string[], string[]][] = [
    // name, binding, RoleBinding errors, ClusterRoleBinding errors
    ['a ClusterRole for a service account with a namespace', binding({ apiGroup: G, kind: 'ClusterRole', name: 'view' }, [{ ...sa, namespace: 'ns' }]), [], []],
    ['a Role', binding({ apiGroup: G, kind: 'Role', name: 'r' }), [], ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']],
    ['a service account without namespace', binding({ apiGroup: G, kind: 'ClusterRole', name: 'view' }, [sa]), [], ['subjects[0].namespace: Required value']],
    [
      'no roleRef',
      binding({ apiGroup: G }),
      ['roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole"', 'roleRef.name: Required value'],
      ['roleRef.kind: Unsupported value: "": supported values: "ClusterRole"', 'roleRef.name: Required value'],
    ],
    ['another group', binding({ apiGroup: 'example.com', kind: 'ClusterRole', name: 'x' }), ['roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"'], ['roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"']],
    ['a bad role name', binding({ apiGroup: G, kind: 'ClusterRole', name: 'a/b' }), ["roleRef.name: Invalid value: \"a/b\": may not contain '/'"], ["roleRef.name: Invalid value: \"a/b\": may not contain '/'"]],
    [
      'bad subjects',
      binding({ apiGroup: G, kind: 'ClusterRole', name: 'x' }, [
        { kind: 'User', name: 'u', apiGroup: '' },
        { kind: 'Robot', name: 'r' },
        { kind: 'ServiceAccount', name: 'Bad_Name', namespace: 'ns', apiGroup: G },
        { kind: 'Group' , apiGroup: G },
      ]),
      [
        'subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
        'subjects[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
        'subjects[2].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""',
        'subjects[3].name: Required value',
      ],
      [
        'subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
        'subjects[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
        'subjects[2].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""',
        'subjects[3].name: Required value',
      ],
    ],
  ];
  for (const [name, b, forRB, forCRB] of cases) {
    assert.deepEqual(rolebindings.validate(b).map(fieldErrorText), forRB, `rolebinding: ${name}`);
    assert.deepEqual(clusterrolebindings.validate(b).map(fieldErrorText), forCRB, `clusterrolebinding: ${name}`);
  }
});

test('roleRef may not change', () => {
  const old = binding({ apiGroup: G, kind: 'ClusterRole', name: 'view' });
  assert.deepEqual(rolebindings.validate(binding({ apiGroup: G, kind: 'ClusterRole', name: 'view' }, [{ kind: 'User', name: 'u', apiGroup: G }]), old), []);
  assert.deepEqual(rolebindings.validate(binding({ apiGroup: G, kind: 'ClusterRole', name: 'edit' }), old).map(fieldErrorText), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  ]);
});

test("kubectl's columns: NAME ROLE AGE, and USERS GROUPS SERVICEACCOUNTS with -o wide", () => {
  const b = binding({ apiGroup: G, kind: 'ClusterRole', name: 'view' }, [
    { kind: 'User', name: 'jane' },
    { kind: 'ServiceAccount', name: 'bot', namespace: 'ns' },
    { kind: 'User', name: 'joe' },
    { kind: 'Group', name: 'devs' },
    { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
  ]);
  assert.deepEqual(rolebindings.columns.map((c) => `${c.name}:${c.priority}`), ['Role:0', 'Age:0', 'Users:1', 'Groups:1', 'ServiceAccounts:1']);
  assert.deepEqual(rolebindings.cells(b, Date.parse('2026-01-01T00:01:00Z')), ['ClusterRole/view', '60s', 'jane, joe', 'devs', 'ns/bot, tools/ci']);
  assert.equal(clusterrolebindings.columns[2]!.description, 'Users in the clusterRoleBinding');
});
