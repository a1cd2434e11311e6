import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import { answerReview, reviewResourceFor } from './reviews.js';

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

test('access and rules reviews allow everything, as with no authorization; a review without attributes is invalid', () => {
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
