import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import { answerReview, answerTokenReview, reviewResourceFor } from './reviews.js';

const whoami = reviewResourceFor('authentication.k8s.io', 'v1', 'selfsubjectreviews')!;
const canI = reviewResourceFor('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')!;
const rules = reviewResourceFor('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews')!;

test('SelfSubjectReview names the user with its groups and system:authenticated once', () => {
  const admin = answerReview(whoami, { metadata: {} }, { name: 'admin', groups: ['system:masters'] });
  assert.deepEqual(admin.status, { userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] } });
  const sa = answerReview(whoami, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} }, {
    name: 'system:serviceaccount:a:b',
    groups: ['system:serviceaccounts', 'system:authenticated'],
  });
  assert.deepEqual((sa.status as any).userInfo.groups, ['system:serviceaccounts', 'system:authenticated']);
  assert.throws(() => answerReview(whoami, { kind: 'Pod', metadata: {} }, undefined), (e: ApiError) => e.code === 400);
});

test('without an authorizer, access and rules reviews allow everything (AlwaysAllow); a review without attributes is invalid', () => {
  const spec = { resourceAttributes: { verb: 'create', resource: 'pods', namespace: 'default' } };
  assert.deepEqual(answerReview(canI, { metadata: {}, spec }, { name: 'u', groups: [] }).status, { allowed: true });
  assert.deepEqual(answerReview(canI, { metadata: {}, spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } }, undefined).status, { allowed: true });
  assert.throws(
    () => answerReview(canI, { metadata: {}, spec: {} }, undefined),
    (e: ApiError) => e.code === 422 && /exactly one of nonResourceAttributes or resourceAttributes must be specified/.test(e.message),
  );
  const listed = answerReview(rules, { metadata: {}, spec: { namespace: 'default' } }, undefined).status as any;
  assert.deepEqual(listed.resourceRules, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
  assert.equal(listed.incomplete, false);
});

test('with an authorizer: can-i answers its decision and reason, --list the rules that apply in the namespace', () => {
  const asked: unknown[] = [];
  const authorizer = {
    authorize: (_u: unknown, a: unknown) => (asked.push(a), { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "x" not found' }),
    rulesFor: () => ({
      rules: [
        { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [], nonResourceURLs: [] },
        { verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['/version'] },
      ],
      errors: ['clusterrole.rbac.authorization.k8s.io "y" not found'],
    }),
  };
  const user = { name: 'u', groups: ['system:authenticated'] };
  const spec = { resourceAttributes: { verb: 'get', resource: 'deployments', group: 'apps', subresource: 'scale', namespace: 'team', name: 'web' } };
  assert.deepEqual(answerReview(canI, { metadata: {}, spec }, user, authorizer).status, { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "x" not found' });
  assert.deepEqual(asked[0], { verb: 'get', resourceRequest: true, path: '', apiGroup: 'apps', apiVersion: '*', resource: 'deployments', subresource: 'scale', namespace: 'team', name: 'web' });
  answerReview(canI, { metadata: {}, spec: { nonResourceAttributes: { verb: 'get', path: '/healthz' } } }, user, authorizer);
  assert.equal((asked[1] as { path: string }).path, '/healthz');
  const listed = answerReview(rules, { metadata: {}, spec: { namespace: 'team' } }, user, authorizer).status;
  assert.deepEqual(listed, {
    resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }],
    incomplete: false,
    evaluationError: 'clusterrole.rbac.authorization.k8s.io "y" not found',
  });
  assert.throws(() => answerReview(rules, { metadata: {}, spec: {} }, user, authorizer), (e: ApiError) => e.code === 400 && e.message === 'no namespace on request');
  const who = answerReview(whoami, { metadata: {} }, { name: 'x', groups: ['g', 'system:authenticated'], uid: '7', extra: { k: ['v'] } });
  assert.deepEqual(who.status, { userInfo: { username: 'x', uid: '7', groups: ['g', 'system:authenticated'], extra: { k: ['v'] } } });
});

test('SubjectAccessReview asks about exactly the user and groups it names; the local one stays in its namespace', () => {
  const sar = reviewResourceFor('authorization.k8s.io', 'v1', 'subjectaccessreviews')!;
  const local = reviewResourceFor('authorization.k8s.io', 'v1', 'localsubjectaccessreviews')!;
  assert.equal(local.namespaced, true);
  const asked: { user: unknown; attrs: unknown }[] = [];
  const authorizer = {
    authorize: (user: unknown, attrs: unknown) => (asked.push({ user, attrs }), { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "b"' }),
    rulesFor: () => ({ rules: [], errors: [] }),
  };
  const admin = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
  const spec = { user: 'jane', groups: ['dev'], resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'team' } };
  const answered = answerReview(sar, { metadata: {}, spec }, admin, authorizer);
  assert.deepEqual(answered.status, { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "b"' });
  assert.deepEqual(asked[0]!.user, { name: 'jane', groups: ['dev'] }, 'the subject as named, not the caller');
  const invalid = (review: typeof sar, s: Record<string, unknown>, ns?: string) => {
    try {
      answerReview(review, { metadata: {}, spec: s }, admin, authorizer, ns);
    } catch (e) {
      return (e as ApiError).message;
    }
    return 'no error';
  };
  assert.equal(
    invalid(sar, { resourceAttributes: { verb: 'get' } }),
    'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
  );
  assert.match(invalid(sar, { user: 'u', resourceAttributes: {}, nonResourceAttributes: {} }), /spec\.nonResourceAttributes: Invalid value: \{\}: cannot be specified in combination with resourceAttributes/);
  const inTeam = answerReview(local, { metadata: {}, spec }, admin, authorizer, 'team');
  assert.equal((inTeam.metadata as { namespace?: string }).namespace, 'team');
  assert.match(invalid(local, { ...spec, resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'other' } }, 'team'), /spec\.resourceAttributes\.namespace: Invalid value: "other": must match metadata\.namespace/);
  assert.match(invalid(local, { user: 'u', nonResourceAttributes: { verb: 'get', path: '/x' } }, 'team'), /disallowed on this kind of request/);
});

test('TokenReview says whose a token is, for the audiences asked about, and nothing about a bad one', async () => {
  const reviewed: unknown[] = [];
  const reviewer = async (token: string, audiences: readonly string[]) => {
    reviewed.push(audiences);
    return token === 'good' ? { user: { name: 'system:serviceaccount:a:b', groups: ['system:serviceaccounts', 'system:authenticated'] }, audiences: ['api'] } : undefined;
  };
  const good = await answerTokenReview({ metadata: {}, spec: { token: 'good', audiences: ['api'] } }, reviewer);
  assert.deepEqual(good.status, {
    authenticated: true,
    user: { username: 'system:serviceaccount:a:b', groups: ['system:serviceaccounts', 'system:authenticated'] },
    audiences: ['api'],
  });
  assert.deepEqual(reviewed[0], ['api']);
  assert.deepEqual((await answerTokenReview({ metadata: {}, spec: { token: 'bad' } }, reviewer)).status, { authenticated: false, user: {} });
  await assert.rejects(answerTokenReview({ metadata: {}, spec: {} }, reviewer), (e: ApiError) => e.code === 400 && /token is required/.test(e.message));
});
