/**
 * Escalation prevention on writes of roles and bindings, through the registry as the API
 * server writes them (with the requesting user in the write options).
 */
import { it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { admin, binding, bot, G, jane, rbacServer, role } from './fixtures.js';

async function setup(t: TestContext) {
  const s = await rbacServer(t);
  // bot may read what `view` reads in team, and write roles and role bindings there.
  await s.create('rolebindings', binding('bot-view', 'team', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  await s.create('roles', role('rbac-writer', 'team', [{ verbs: ['create', 'update', 'patch'], apiGroups: [G], resources: ['roles', 'rolebindings'] }]));
  await s.create('rolebindings', binding('bot-rbac', 'team', { kind: 'Role', name: 'rbac-writer' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  return s;
}

const refused = (code: number, message: string | RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApiError, String(err));
  assert.equal(err.code, code);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
  return true;
};

it('a Role may grant what its writer holds, no more; system:masters and the server itself are not checked', async (t) => {
  const s = await setup(t);
  await s.create('roles', role('reader', 'team', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'] }]), bot);
  await assert.rejects(
    s.create('roles', role('deleter', 'team', [{ verbs: ['get', 'delete', 'create'], apiGroups: [''], resources: ['pods', 'secrets'] }]), bot),
    refused(
      403,
      'roles.rbac.authorization.k8s.io "deleter" is forbidden: user "system:serviceaccount:team:bot" (groups=["system:serviceaccounts" "system:serviceaccounts:team" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "create"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete" "create"]}',
    ),
  );
  await s.create('roles', role('deleter', 'team', [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]), admin);
  await s.create('roles', role('anything', 'team', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]));
  // Updating the rules is checked too; a change of finalizers alone is not.
  await assert.rejects(
    s.registry.update(s.type('roles'), 'team', 'reader', (r) => ({ ...r, rules: [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }] }), { user: bot }),
    refused(403, /^roles\.rbac\.authorization\.k8s\.io "reader" is forbidden: user .* not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}$/),
  );
  await s.registry.update(s.type('roles'), 'team', 'anything', (r) => ({ ...r, metadata: { ...r.metadata, finalizers: ['example.com/keep'] } }), { user: bot });
});

it('escalate on roles lets a user grant more than they hold', async (t) => {
  const s = await setup(t);
  await s.create('roles', role('escalator', 'team', [{ verbs: ['escalate'], apiGroups: [G], resources: ['roles'] }]));
  await s.create('rolebindings', binding('bot-escalate', 'team', { kind: 'Role', name: 'escalator' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  await s.create('roles', role('deleter', 'team', [{ verbs: ['delete'], apiGroups: [''], resources: ['secrets'] }]), bot);
});

it('a binding may name a role whose permissions its writer holds, or one they may bind', async (t) => {
  const s = await setup(t);
  const subjects = [{ kind: 'User', apiGroup: G, name: 'jane' }];
  await s.create('rolebindings', binding('jane-view', 'team', { kind: 'ClusterRole', name: 'view' }, subjects), bot);
  await assert.rejects(
    s.create('rolebindings', binding('jane-edit', 'team', { kind: 'ClusterRole', name: 'edit' }, subjects), bot),
    refused(403, /^rolebindings\.rbac\.authorization\.k8s\.io "jane-edit" is forbidden: user "system:serviceaccount:team:bot" \(groups=.*\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["configmaps"\], Verbs:\["create" "delete" "deletecollection" "patch" "update"\]\}\n/),
  );
  await assert.rejects(
    s.create('rolebindings', binding('jane-nothing', 'team', { kind: 'Role', name: 'nothing' }, subjects), bot),
    refused(404, 'roles.rbac.authorization.k8s.io "nothing" not found'),
  );
  await s.create('roles', role('binder', 'team', [{ verbs: ['bind'], apiGroups: [G], resources: ['clusterroles'], resourceNames: ['edit'] }]));
  await s.create('rolebindings', binding('bot-bind', 'team', { kind: 'Role', name: 'binder' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  await s.create('rolebindings', binding('jane-edit', 'team', { kind: 'ClusterRole', name: 'edit' }, subjects), bot);
  await assert.rejects(
    s.create('rolebindings', binding('jane-admin', 'team', { kind: 'ClusterRole', name: 'admin' }, subjects), bot),
    refused(403, /"jane-admin" is forbidden/),
    'bind is for the named role only',
  );
});

it('a ClusterRole with an aggregationRule takes every permission there is', async (t) => {
  const s = await setup(t);
  await s.create('clusterroles', role('cr-writer', undefined, [{ verbs: ['create', 'update'], apiGroups: [G], resources: ['clusterroles'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
  await s.create('clusterrolebindings', binding('jane-cr', undefined, { kind: 'ClusterRole', name: 'cr-writer' }, [{ kind: 'User', apiGroup: G, name: 'jane' }]));
  await s.create('clusterroles', role('pod-getter', undefined, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), jane);
  await assert.rejects(
    s.create('clusterroles', { ...role('agg', undefined, []), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] } }, jane),
    refused(403, 'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule'),
  );
  // Namespaced rules do not count toward cluster-wide ones.
  await assert.rejects(
    s.create('clusterroles', role('list-pods', undefined, [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]), bot),
    (err: unknown) => err instanceof ApiError && err.code === 403,
  );
});
