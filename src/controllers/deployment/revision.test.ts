import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployment, replicaSet } from './fixtures.js';
import { maxRevision, setNewReplicaSetAnnotations } from './revision.js';

test('maxRevision', () => {
  assert.equal(maxRevision([]), 0);
  assert.equal(maxRevision([replicaSet('a', 0, { revision: 2 }), replicaSet('b', 0, { revision: 7 }), replicaSet('c', 0)]), 7);
});

test('setNewReplicaSetAnnotations', () => {
  const d = deployment({
    replicas: 4,
    surge: 1,
    annotations: {
      'kubernetes.io/change-cause': 'kubectl set image',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'deployment.kubernetes.io/revision': '9',
    },
  });
  const cases: { name: string; before: Record<string, string>; rev: number; exists: boolean; limit?: number; after: Record<string, string>; changed: boolean }[] = [
    {
      name: 'new RS: revision, copied annotations, replica annotations',
      before: {},
      rev: 1,
      exists: false,
      after: {
        'kubernetes.io/change-cause': 'kubectl set image',
        'deployment.kubernetes.io/revision': '1',
        'deployment.kubernetes.io/desired-replicas': '4',
        'deployment.kubernetes.io/max-replicas': '5',
      },
      changed: true,
    },
    {
      name: 'reused RS: old revision goes to history',
      before: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '1' },
      rev: 3,
      exists: true,
      after: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' },
      changed: true,
    },
    {
      name: 'reused twice: history appends',
      before: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' },
      rev: 5,
      exists: true,
      after: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '5', 'deployment.kubernetes.io/revision-history': '1,3' },
      changed: true,
    },
    {
      name: 'history drops its oldest entries past the limit',
      before: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '12', 'deployment.kubernetes.io/revision-history': '10,11' },
      rev: 13,
      exists: true,
      limit: 6,
      after: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '13', 'deployment.kubernetes.io/revision-history': '11,12' },
      changed: true,
    },
    {
      name: 'revision already higher: untouched',
      before: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '4' },
      rev: 3,
      exists: true,
      after: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '4' },
      changed: false,
    },
    {
      name: 'up to date',
      before: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '2' },
      rev: 2,
      exists: true,
      after: { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '2' },
      changed: false,
    },
  ];
  for (const c of cases) {
    const a = { ...c.before };
    assert.equal(setNewReplicaSetAnnotations(d, a, c.rev, c.exists, c.limit), c.changed, c.name);
    assert.deepEqual(a, c.after, c.name);
  }
});
