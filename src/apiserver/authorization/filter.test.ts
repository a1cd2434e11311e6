/**
 * Every request is authorized after authentication, on the TCP listener and the unix socket
 * alike; impersonation headers act as another user once each part of it is allowed; the
 * access and rules reviews answer from the same authorizer.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenAuthenticator } from '../auth.js';
import { binding, G, rbacServer, role } from './fixtures.js';

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function request(target: { port?: number; socketPath?: string }, token: string, method: string, path: string, body?: unknown, headers: Record<string, string | string[]> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...(target.socketPath ? { socketPath: target.socketPath } : { host: '127.0.0.1', port: target.port }), method, path, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers } },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (res.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(data) : data }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function setup(t: Parameters<typeof rbacServer>[0]) {
  const auth = new TokenAuthenticator();
  auth.add('admin-token', { name: 'admin', groups: ['system:masters'] });
  auth.add('jane-token', { name: 'jane', groups: ['devs'] });
  auth.add('joe-token', { name: 'joe', groups: [] });
  return rbacServer(t, { authenticator: auth });
}

it('refuses what RBAC does not allow on both listeners, with the 403 kube-apiserver sends; health stays open', async (t) => {
  const auth = new TokenAuthenticator();
  auth.add('admin-token', { name: 'admin', groups: ['system:masters'] });
  auth.add('jane-token', { name: 'jane', groups: ['devs'] });
  const dir = mkdtempSync(join(tmpdir(), 'peapod-sock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'api.sock');
  const s = await rbacServer(t, { authenticator: auth, socketPath });
  const { port } = await s.server.listen();
  for (const target of [{ port }, { socketPath }]) {
    const where = target.socketPath ? 'socket' : 'tcp';
    const denied = await request(target, 'jane-token', 'GET', '/api/v1/namespaces/team/pods');
    assert.equal(denied.status, 403, where);
    assert.deepEqual(denied.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "team"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    assert.equal((await request(target, 'admin-token', 'GET', '/api/v1/namespaces/team/pods')).status, 200, where);
    assert.equal((await request(target, 'jane-token', 'GET', '/apis')).status, 200, `${where}: discovery is for everyone`);
    const path = await request(target, 'jane-token', 'GET', '/metrics');
    assert.equal(path.body.message, 'forbidden: User "jane" cannot get path "/metrics"');
    assert.equal((await request(target, 'nobody', 'GET', '/api/v1/namespaces/team/pods')).status, 401, `${where}: authentication first`);
    assert.equal((await request(target, 'jane-token', 'GET', '/readyz')).status, 200, `${where}: health needs nothing`);
  }
  await s.create('rolebindings', binding('devs-view', 'team', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'Group', apiGroup: G, name: 'devs' }]));
  assert.equal((await request({ port }, 'jane-token', 'GET', '/api/v1/namespaces/team/pods')).status, 200);
  const create = await request({ port }, 'jane-token', 'POST', '/api/v1/namespaces/team/configmaps', { metadata: { name: 'c' } });
  assert.equal(create.body.message, 'configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "team"');
});

it('impersonation: allowed users act as whom they name; others are told which part they may not impersonate', async (t) => {
  const s = await setup(t);
  const { port } = await s.server.listen();
  await s.create('rolebindings', binding('bot-view', 'team', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
  const asBot = { 'Impersonate-User': 'system:serviceaccount:team:bot' };
  assert.equal((await request({ port }, 'admin-token', 'GET', '/api/v1/namespaces/team/pods', undefined, asBot)).status, 200);
  const denied = await request({ port }, 'admin-token', 'POST', '/api/v1/namespaces/team/pods', { metadata: { name: 'p' } }, asBot);
  assert.equal(denied.body.message, 'pods is forbidden: User "system:serviceaccount:team:bot" cannot create resource "pods" in API group "" in the namespace "team"');
  const who = await request({ port }, 'admin-token', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, {
    'Impersonate-User': 'someone',
    'Impersonate-Group': ['g1', 'g2'],
    'Impersonate-Uid': 'u-1',
    'Impersonate-Extra-Scopes': ['a', 'b'],
  });
  assert.deepEqual(who.body.status.userInfo, { username: 'someone', uid: 'u-1', groups: ['g1', 'g2', 'system:authenticated'], extra: { scopes: ['a', 'b'] } });
  const botWho = await request({ port }, 'admin-token', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview' }, asBot);
  assert.deepEqual(botWho.body.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated']);

  // jane may impersonate bot (and only bot) in team, but no group.
  await s.create('roles', role('sudo-bot', 'team', [{ verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'], resourceNames: ['bot'] }]));
  await s.create('rolebindings', binding('jane-sudo', 'team', { kind: 'Role', name: 'sudo-bot' }, [{ kind: 'User', apiGroup: G, name: 'jane' }]));
  assert.equal((await request({ port }, 'jane-token', 'GET', '/api/v1/namespaces/team/pods', undefined, asBot)).status, 200);
  const group = await request({ port }, 'jane-token', 'GET', '/api/v1/namespaces/team/pods', undefined, { ...asBot, 'Impersonate-Group': 'system:masters' });
  assert.equal(group.status, 403);
  assert.equal(group.body.message, 'groups "system:masters" is forbidden: User "jane" cannot impersonate resource "groups" in API group "" at the cluster scope');
  const other = await request({ port }, 'joe-token', 'GET', '/api/v1/namespaces/team/pods', undefined, { 'Impersonate-User': 'system:serviceaccount:team:ci' });
  assert.equal(other.body.message, 'serviceaccounts "ci" is forbidden: User "joe" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team"');
  const user = await request({ port }, 'jane-token', 'GET', '/api', undefined, { 'Impersonate-User': 'admin' });
  assert.equal(user.body.message, 'users "admin" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope');
  const notAnSA = await request({ port }, 'jane-token', 'GET', '/api', undefined, { 'Impersonate-User': 'system:serviceaccount:team:Bad_Name' });
  assert.match(notAnSA.body.message, /^users "system:serviceaccount:team:Bad_Name" is forbidden: .* cannot impersonate resource "users"/, 'an invalid service account name is a user name');
  const groupOnly = await request({ port }, 'admin-token', 'GET', '/api', undefined, { 'Impersonate-Group': 'g' });
  assert.equal(groupOnly.status, 500, 'groups without a user, as kube-apiserver answers it');
});

it('access and rules reviews answer from RBAC, for the user after impersonation', async (t) => {
  const s = await setup(t);
  const { port } = await s.server.listen();
  await s.create('rolebindings', binding('devs-view', 'team', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'Group', apiGroup: G, name: 'devs' }]));
  const canI = (token: string, attrs: Record<string, string>, headers: Record<string, string> = {}) =>
    request({ port }, token, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } }, headers);
  assert.deepEqual((await canI('jane-token', { verb: 'list', resource: 'pods', namespace: 'team' })).body.status, {
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "devs-view/team" of ClusterRole "view" to Group "devs"',
  });
  assert.deepEqual((await canI('jane-token', { verb: 'create', resource: 'pods', namespace: 'team' })).body.status, { allowed: false });
  assert.deepEqual((await canI('admin-token', { verb: 'delete', resource: 'nodes' })).body.status, { allowed: true });
  assert.deepEqual((await canI('admin-token', { verb: 'delete', resource: 'nodes' }, { 'Impersonate-User': 'jane' })).body.status, { allowed: false });
  const url = await request({ port }, 'joe-token', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { verb: 'get', path: '/version' } } });
  assert.equal(url.body.status.allowed, true);
  const rules = await request({ port }, 'jane-token', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { kind: 'SelfSubjectRulesReview', spec: { namespace: 'team' } });
  assert.equal(rules.status, 201);
  assert.equal(rules.body.status.incomplete, false);
  assert.ok(rules.body.status.resourceRules.some((r: { resources: string[] }) => r.resources.includes('pods')));
  assert.deepEqual(rules.body.status.nonResourceRules.find((r: { nonResourceURLs: string[] }) => r.nonResourceURLs.includes('/version')).verbs, ['get']);
  const elsewhere = await request({ port }, 'jane-token', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } });
  assert.ok(!elsewhere.body.status.resourceRules.some((r: { resources: string[] }) => r.resources.includes('pods')));
  const none = await request({ port }, 'jane-token', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { kind: 'SelfSubjectRulesReview', spec: {} });
  assert.equal(none.status, 400);
  assert.equal(none.body.message, 'no namespace on request');
});
