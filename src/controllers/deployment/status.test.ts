import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployment, replicaSet } from './fixtures.js';
import { applyPausedCondition, calculateStatus, getCondition, newCondition, progressCheckDelay, rolloutStatus, setCondition } from './status.js';
import type { DeploymentStatus } from './types.js';

const t0 = Date.parse('2024-01-01T00:00:00Z');

test('calculateStatus sums the ReplicaSets and sets Available', () => {
  const d = deployment({ replicas: 4, generation: 7 });
  const newRS = replicaSet('web-new', 2, { available: 1, ready: 2 });
  const old = replicaSet('web-old', 3, { available: 3 });
  const s = calculateStatus([old, newRS], newRS, d, t0);
  assert.deepEqual(
    { ...s, conditions: undefined },
    { observedGeneration: 7, replicas: 5, updatedReplicas: 2, readyReplicas: 5, availableReplicas: 4, unavailableReplicas: 1, conditions: undefined },
  );
  assert.deepEqual(getCondition(s, 'Available'), newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', t0));
  const low = calculateStatus([replicaSet('web-old', 4, { available: 2 })], undefined, d, t0);
  assert.equal(getCondition(low, 'Available')?.reason, 'MinimumReplicasUnavailable');
  assert.equal(getCondition(low, 'Available')?.message, 'Deployment does not have minimum availability.');
});

test('setCondition keeps lastTransitionTime while the status stays', () => {
  const s: DeploymentStatus = {};
  setCondition(s, newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'a', t0));
  setCondition(s, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'b', t0 + 5000));
  assert.equal(s.conditions!.length, 1);
  assert.equal(s.conditions![0].lastTransitionTime, '2024-01-01T00:00:00Z');
  assert.equal(s.conditions![0].lastUpdateTime, '2024-01-01T00:00:05Z');
  setCondition(s, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'c', t0 + 9000));
  assert.equal(s.conditions![0].message, 'b', 'same status and reason: ignored');
});

test('rolloutStatus: the Progressing condition through a rollout', () => {
  const created = newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'Created new replica set "web-abc"', t0);
  const cases: { name: string; d: ReturnType<typeof deployment>; rss: ReturnType<typeof replicaSet>[]; now: number; reason: string; status: string; message: string }[] = [
    {
      name: 'complete',
      d: deployment({ replicas: 3, status: { conditions: [created] } }),
      rss: [replicaSet('web-abc', 3)],
      now: t0 + 1000,
      reason: 'NewReplicaSetAvailable',
      status: 'True',
      message: 'ReplicaSet "web-abc" has successfully progressed.',
    },
    {
      name: 'progress',
      d: deployment({ replicas: 3, status: { replicas: 0, updatedReplicas: 0, conditions: [created] } }),
      rss: [replicaSet('web-abc', 3, { available: 1 })],
      now: t0 + 1000,
      reason: 'ReplicaSetUpdated',
      status: 'True',
      message: 'ReplicaSet "web-abc" is progressing.',
    },
    {
      name: 'no progress, deadline not passed',
      d: deployment({ replicas: 3, deadline: 10, status: { replicas: 3, updatedReplicas: 3, conditions: [created] } }),
      rss: [replicaSet('web-abc', 3, { available: 0, ready: 0 })],
      now: t0 + 10_000,
      reason: 'NewReplicaSetCreated',
      status: 'True',
      message: 'Created new replica set "web-abc"',
    },
    {
      name: 'no progress past the deadline',
      d: deployment({ replicas: 3, deadline: 10, status: { replicas: 3, updatedReplicas: 3, conditions: [created] } }),
      rss: [replicaSet('web-abc', 3, { available: 0, ready: 0 })],
      now: t0 + 10_001,
      reason: 'ProgressDeadlineExceeded',
      status: 'False',
      message: 'ReplicaSet "web-abc" has timed out progressing.',
    },
  ];
  for (const c of cases) {
    const s = rolloutStatus(c.rss, c.rss[0], c.d, c.now);
    const p = getCondition(s, 'Progressing');
    assert.deepEqual([p?.status, p?.reason, p?.message], [c.status, c.reason, c.message], c.name);
  }
});

test('progressCheckDelay says when the deadline passes', () => {
  const created = newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'x', t0);
  const d = deployment({ replicas: 3, deadline: 10 });
  assert.equal(progressCheckDelay(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 0, conditions: [created] }, t0 + 4000), 6000);
  assert.equal(progressCheckDelay(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 0, conditions: [created] }, t0 + 40_000), 0);
  assert.equal(progressCheckDelay(d, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: [created] }, t0), undefined, 'complete');
  const timedOut = newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'x', t0);
  assert.equal(progressCheckDelay(d, { conditions: [timedOut] }, t0), undefined, 'already timed out');
});

test('applyPausedCondition flips between DeploymentPaused and DeploymentResumed', () => {
  const d = deployment();
  d.spec.paused = true;
  const s: DeploymentStatus = {};
  assert.equal(applyPausedCondition(d, s, t0), true);
  assert.deepEqual([getCondition(s, 'Progressing')?.status, getCondition(s, 'Progressing')?.reason, getCondition(s, 'Progressing')?.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  assert.equal(applyPausedCondition(d, s, t0), false, 'already paused');
  d.spec.paused = false;
  assert.equal(applyPausedCondition(d, s, t0), true);
  assert.equal(getCondition(s, 'Progressing')?.reason, 'DeploymentResumed');
  const timedOut: DeploymentStatus = { conditions: [newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'x', t0)] };
  d.spec.paused = true;
  assert.equal(applyPausedCondition(d, timedOut, t0), false, 'a timeout is not overwritten');
});
