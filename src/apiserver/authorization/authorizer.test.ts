import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonResourceAttributes, resourceAttributes } from '../../api/rbac/policy-rule.js';
import { aggregateMessage, forbiddenRequest, withPrivilegedGroup } from './authorizer.js';

const u = { name: 'system:serviceaccount:team:bot', groups: ['system:authenticated'] };

test("a refused request is kube-apiserver's 403, worded by scope, name and subresource", () => {
  const cases: [Parameters<typeof resourceAttributes>[0] | ReturnType<typeof nonResourceAttributes>, string, string, Record<string, string>][] = [
    [
      { verb: 'list', resource: 'pods', namespace: 'team' },
      '',
      'pods is forbidden: User "system:serviceaccount:team:bot" cannot list resource "pods" in API group "" in the namespace "team"',
      { kind: 'pods' },
    ],
    [
      { verb: 'get', resource: 'nodes', name: 'n1' },
      '',
      'nodes "n1" is forbidden: User "system:serviceaccount:team:bot" cannot get resource "nodes" in API group "" at the cluster scope',
      { name: 'n1', kind: 'nodes' },
    ],
    [
      { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'team', name: 'web' },
      '',
      'deployments.apps "web" is forbidden: User "system:serviceaccount:team:bot" cannot update resource "deployments/scale" in API group "apps" in the namespace "team"',
      { name: 'web', group: 'apps', kind: 'deployments' },
    ],
    [
      { verb: 'get', resource: 'pods', namespace: 'team', name: 'p' },
      'RBAC: role.rbac.authorization.k8s.io "x" not found',
      'pods "p" is forbidden: User "system:serviceaccount:team:bot" cannot get resource "pods" in API group "" in the namespace "team": RBAC: role.rbac.authorization.k8s.io "x" not found',
      { name: 'p', kind: 'pods' },
    ],
    [nonResourceAttributes('get', '/apis'), '', 'forbidden: User "system:serviceaccount:team:bot" cannot get path "/apis"', {}],
  ];
  for (const [attrs, reason, message, details] of cases) {
    const a = attrs.resourceRequest === false ? (attrs as ReturnType<typeof nonResourceAttributes>) : resourceAttributes(attrs);
    const err = forbiddenRequest(u, a, reason);
    assert.equal(err.code, 403);
    assert.deepEqual(err.toStatus(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 });
  }
});

test('system:masters is allowed before the inner authorizer is asked; errors aggregate as kube prints them', () => {
  let asked = 0;
  const inner = { authorize: () => (asked++, { allowed: false, reason: '' }), rulesFor: () => ({ rules: [], errors: [] }) };
  const a = withPrivilegedGroup(inner);
  assert.deepEqual(a.authorize({ name: 'admin', groups: ['system:masters'] }, resourceAttributes({ verb: 'delete', resource: 'nodes' })), { allowed: true, reason: '' });
  assert.equal(asked, 0);
  assert.equal(a.authorize(u, resourceAttributes({ verb: 'get', resource: 'pods' })).allowed, false);
  assert.equal(asked, 1);
  assert.equal(aggregateMessage(['a']), 'a');
  assert.equal(aggregateMessage(['a', 'a']), 'a');
  assert.equal(aggregateMessage(['a', 'b', 'a']), '[a, b]');
});
