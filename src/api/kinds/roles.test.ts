import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { validateObjectMeta } from '../validation.js';
import { clusterroles, roles } from './roles.js';

const role = (rules: unknown, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'r', namespace: 'ns', creationTimestamp: '2026-01-02T03:04:05Z' },
  rules,
  ...extra,
});

test('role rules: verbs, and either groups and resources or (cluster roles only) URLs', () => {
  const cases: [string, unknown, string[], string[]][] = [
    // name, rules, role errors, clusterrole errors
    ['none', undefined, [], []],
    ['a resource rule', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], [], []],
    ['no verbs', [{ apiGroups: [''], resources: ['pods'] }], ['rules[0].verbs: Required value: verbs must contain at least one value'], ['rules[0].verbs: Required value: verbs must contain at least one value']],
    [
      'no group or resource',
      [{ verbs: ['get'] }],
      ['rules[0].apiGroups: Required value: resource rules must supply at least one api group', 'rules[0].resources: Required value: resource rules must supply at least one resource'],
      ['rules[0].apiGroups: Required value: resource rules must supply at least one api group', 'rules[0].resources: Required value: resource rules must supply at least one resource'],
    ],
    ['a URL rule', [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs'], []],
    [
      'URLs and resources',
      [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }],
      [
        'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs',
        'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
      ],
      ['rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs'],
    ],
    ['the second rule', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: [] }], ['rules[1].verbs: Required value: verbs must contain at least one value', 'rules[1].apiGroups: Required value: resource rules must supply at least one api group', 'rules[1].resources: Required value: resource rules must supply at least one resource'], ['rules[1].verbs: Required value: verbs must contain at least one value', 'rules[1].apiGroups: Required value: resource rules must supply at least one api group', 'rules[1].resources: Required value: resource rules must supply at least one resource']],
  ];
  for (const [name, rules, forRole, forClusterRole] of cases) {
    assert.deepEqual(roles.validate(role(rules)).map(fieldErrorText), forRole, `role: ${name}`);
    assert.deepEqual(clusterroles.validate(role(rules)).map(fieldErrorText), forClusterRole, `clusterrole: ${name}`);
  }
});

test('an aggregationRule needs a selector, and valid ones', () => {
  const agg = (s: unknown) => clusterroles.validate(role(undefined, { aggregationRule: { clusterRoleSelectors: s } })).map(fieldErrorText);
  assert.deepEqual(agg([{ matchLabels: { 'rbac.example.com/aggregate-to-x': 'true' } }]), []);
  assert.deepEqual(agg([]), ['aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil']);
  assert.deepEqual(agg([{ matchExpressions: [{ key: 'a', operator: 'In' }] }]), ["aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]);
});

test('names are path segments (colons welcome), and kubectl shows CREATED AT', () => {
  const named = (name: string) => validateObjectMeta({ metadata: { name } }, clusterroles).map(fieldErrorText);
  assert.deepEqual(named('system:aggregate-to-view'), []);
  assert.deepEqual(named('Upper_Case ok'), []);
  assert.deepEqual(named('a/b'), ['metadata.name: Invalid value: "a/b": may not contain \'/\'']);
  assert.deepEqual(named('..'), ['metadata.name: Invalid value: "..": may not be \'..\'']);
  assert.deepEqual(roles.columns.map((c) => [c.name, c.type]), [['Created At', 'date']]);
  assert.deepEqual(roles.cells(role([]), 0), ['2026-01-02T03:04:05Z']);
  assert.deepEqual(clusterroles.cells({ metadata: { creationTimestamp: '2026-01-02T03:04:05.678Z' } }, 0), ['2026-01-02T03:04:05Z']);
  assert.equal(clusterroles.namespaced, false);
});
