/**
 * The RBAC authorizer on a real registry: bindings of every kind and subject, the reasons it
 * gives, what it says of roles that are missing, and a cache that follows writes at once.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { nonResourceAttributes, resourceAttributes } from '../../api/rbac/policy-rule.js';
import { admin, binding, bot, jane, rbacServer, role } from './fixtures.js';

const pods = (verb: string, namespace = 'team', name = '') => resourceAttributes({ verb, resource: 'pods', namespace, name });

it('allows system:masters everything and a fresh identity only discovery and the self reviews', async (t) => {
  const { authorizer } = await rbacServer(t);
  assert.deepEqual(authorizer.authorize(admin, pods('delete')), { allowed: true, reason: '' });
  assert.deepEqual(authorizer.authorize(bot, pods('list')), { allowed: false, reason: '' });
  for (const path of ['/api', '/apis/apps/v1', '/version', '/openapi/v3', '/healthz']) {
    assert.equal(authorizer.authorize(bot, nonResourceAttributes('get', path)).allowed, true, path);
  }
  assert.equal(authorizer.authorize(bot, nonResourceAttributes('get', '/metrics')).allowed, false);
  assert.equal(authorizer.authorize(bot, nonResourceAttributes('post', '/api')).allowed, false);
  const sar = authorizer.authorize(bot, resourceAttributes({ verb: 'create', apiGroup: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }));
  assert.deepEqual(sar, { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"' });
});

it('a RoleBinding grants in its namespace only; subjects by service account (namespace defaulted), user and group', async (t) => {
  const { authorizer, create } = await rbacServer(t);
  await create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  await create('rolebindings', binding('bot-view', 'team', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  assert.deepEqual(authorizer.authorize(bot, pods('list')), { allowed: true, reason: 'RBAC: allowed by RoleBinding "bot-view/team" of ClusterRole "view" to ServiceAccount "bot/team"' });
  assert.equal(authorizer.authorize(bot, pods('create')).allowed, false, 'view does not create');
  assert.equal(authorizer.authorize(bot, pods('list', 'other')).allowed, false, 'not in another namespace');
  assert.equal(authorizer.authorize(bot, pods('list', '')).allowed, false, 'not across namespaces');
  assert.equal(authorizer.authorize(bot, resourceAttributes({ verb: 'get', resource: 'namespaces', namespace: 'team', name: 'team' })).allowed, true, 'its own namespace');

  await create('roles', role('cm-writer', 'other', [{ verbs: ['create', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] }]));
  await create('rolebindings', binding('devs', 'other', { kind: 'Role', name: 'cm-writer' }, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }]));
  const cm = (verb: string, name: string) => resourceAttributes({ verb, resource: 'configmaps', namespace: 'other', name });
  assert.deepEqual(authorizer.authorize(jane, cm('update', 'settings')), { allowed: true, reason: 'RBAC: allowed by RoleBinding "devs/other" of Role "cm-writer" to Group "devs"' });
  assert.equal(authorizer.authorize(jane, cm('update', 'other')).allowed, false, 'another name');
  assert.equal(authorizer.authorize(bot, cm('update', 'settings')).allowed, false, 'not a dev');

  await create('clusterrolebindings', binding('jane-nodes', undefined, { kind: 'ClusterRole', name: 'node-reader' }, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }]));
  const nodes = resourceAttributes({ verb: 'get', resource: 'nodes', name: 'n1' });
  assert.deepEqual(authorizer.authorize(jane, nodes), { allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "node-reader" not found' }, 'a missing role is the reason');
  await create('clusterroles', role('node-reader', undefined, [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }]));
  assert.deepEqual(authorizer.authorize(jane, nodes), { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "jane-nodes" of ClusterRole "node-reader" to User "jane"' }, 'seen at once');
  assert.equal(authorizer.authorize(jane, resourceAttributes({ verb: 'get', resource: 'nodes', namespace: 'other', name: 'n1' })).allowed, true, 'cluster bindings apply in every namespace');
});

it('several missing roles are one bracketed reason; rulesFor gathers every rule that applies', async (t) => {
  const { authorizer, create, registry, type } = await rbacServer(t);
  await create('rolebindings', binding('a', 'team', { kind: 'Role', name: 'gone' }, [{ kind: 'ServiceAccount', name: 'bot', namespace: 'team' }]));
  await create('rolebindings', binding('b', 'team', { kind: 'ClusterRole', name: 'gone-too' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  assert.equal(
    authorizer.authorize(bot, pods('get')).reason,
    'RBAC: [role.rbac.authorization.k8s.io "gone" not found, clusterrole.rbac.authorization.k8s.io "gone-too" not found]',
  );
  await create('roles', role('gone', 'team', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
  const { rules, errors } = authorizer.rulesFor(bot, 'team');
  assert.deepEqual(errors, ['clusterrole.rbac.authorization.k8s.io "gone-too" not found']);
  assert.ok(rules.some((r) => r.resources.includes('selfsubjectaccessreviews')), 'the bootstrap rules for everyone');
  assert.ok(rules.some((r) => r.resources.includes('pods') && r.verbs.includes('get')));
  assert.equal(authorizer.rulesFor(bot, '').rules.some((r) => r.resources.includes('pods')), false, 'no namespace, no RoleBindings');
  await registry.delete(type('rolebindings'), 'team', 'a');
  assert.equal(authorizer.authorize(bot, pods('get')).allowed, false, 'a deleted binding grants nothing, at once');
});
