import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployment, replicaSet } from './fixtures.js';
import {
  findActiveOrLatest,
  isSaturated,
  maxSurge,
  maxUnavailable,
  newReplicaSetReplicas,
  planOldReplicaSetsScaleDown,
  proportionalScale,
  replicaSetFraction,
  resolveFenceposts,
  scaledValue,
} from './replicas.js';

test('scaledValue rounds percentages up or down', () => {
  const cases: [number | string, number, boolean, number][] = [
    [2, 10, true, 2],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['100%', 7, false, 7],
    ['0%', 7, true, 0],
    ['33%', 3, true, 1],
    ['33%', 3, false, 0],
    ['5', 10, true, 5],
  ];
  for (const [v, total, up, want] of cases) assert.equal(scaledValue(v, total, up), want, `${v} of ${total} up=${up}`);
  assert.throws(() => scaledValue('abc', 10, true));
});

test('resolveFenceposts: surge up, unavailable down, never both zero', () => {
  const cases: [number | string, number | string, number, { surge: number; unavailable: number }][] = [
    ['25%', '25%', 4, { surge: 1, unavailable: 1 }],
    ['25%', '25%', 3, { surge: 1, unavailable: 0 }],
    [1, 0, 3, { surge: 1, unavailable: 0 }],
    [0, 0, 3, { surge: 0, unavailable: 1 }],
    [0, '10%', 5, { surge: 0, unavailable: 1 }],
    ['50%', '50%', 5, { surge: 3, unavailable: 2 }],
  ];
  for (const [s, u, n, want] of cases) assert.deepEqual(resolveFenceposts(s, u, n), want, `${s}/${u} of ${n}`);
});

test('maxSurge and maxUnavailable of a deployment', () => {
  assert.equal(maxSurge(deployment({ replicas: 10 })), 3);
  assert.equal(maxUnavailable(deployment({ replicas: 10 })), 2);
  assert.equal(maxUnavailable(deployment({ replicas: 2, unavailable: 5 })), 2, 'capped at replicas');
  assert.equal(maxUnavailable(deployment({ replicas: 0 })), 0);
  assert.equal(maxSurge(deployment({ recreate: true })), 0);
  assert.equal(maxUnavailable(deployment({ recreate: true })), 0);
});

test('newReplicaSetReplicas grows the new RS within the surge', () => {
  const cases: { name: string; replicas: number; surge: number | string; newRS: number; old: number[]; want: number }[] = [
    { name: 'first step of 3 with surge 1', replicas: 3, surge: 1, newRS: 0, old: [3], want: 1 },
    { name: 'surge used up', replicas: 3, surge: 1, newRS: 1, old: [3], want: 1 },
    { name: 'room after old shrank', replicas: 3, surge: 1, newRS: 1, old: [2], want: 2 },
    { name: 'fresh deployment', replicas: 3, surge: 1, newRS: 0, old: [], want: 3 },
    { name: 'never past replicas', replicas: 3, surge: 5, newRS: 2, old: [1], want: 3 },
    { name: 'surge 25% of 10', replicas: 10, surge: '25%', newRS: 0, old: [10], want: 3 },
  ];
  for (const c of cases) {
    const d = deployment({ replicas: c.replicas, surge: c.surge, unavailable: 0 });
    const newRS = replicaSet('new', c.newRS);
    const old = c.old.map((n, i) => replicaSet(`old${i}`, n));
    assert.equal(newReplicaSetReplicas(d, [...old, newRS], newRS), c.want, c.name);
  }
  const recreate = deployment({ replicas: 4, recreate: true });
  assert.equal(newReplicaSetReplicas(recreate, [replicaSet('old', 4)], replicaSet('new', 0)), 4);
});

test('planOldReplicaSetsScaleDown keeps replicas - maxUnavailable available', () => {
  const cases: {
    name: string;
    d: ReturnType<typeof deployment>;
    newRS: ReturnType<typeof replicaSet>;
    old: ReturnType<typeof replicaSet>[];
    want: Record<string, number>;
  }[] = [
    {
      name: 'new pod not yet available: nothing',
      d: deployment({ replicas: 3, surge: 1, unavailable: 0 }),
      newRS: replicaSet('new', 1, { available: 0 }),
      old: [replicaSet('old', 3)],
      want: {},
    },
    {
      name: 'new pod available: one old pod goes',
      d: deployment({ replicas: 3, surge: 1, unavailable: 0 }),
      newRS: replicaSet('new', 1, { available: 1 }),
      old: [replicaSet('old', 3)],
      want: { old: 2 },
    },
    {
      name: 'unavailable old pods go first, costing no availability',
      d: deployment({ replicas: 3, surge: 1, unavailable: 0 }),
      newRS: replicaSet('new', 1, { available: 1 }),
      old: [replicaSet('old', 3, { available: 1 })],
      want: { old: 2 },
    },
    {
      name: 'maxUnavailable 1 lets one go before any new pod',
      d: deployment({ replicas: 3, surge: 0, unavailable: 1 }),
      newRS: replicaSet('new', 0, { available: 0 }),
      old: [replicaSet('old', 3)],
      want: { old: 2 },
    },
    {
      name: 'oldest RS shrinks first',
      d: deployment({ replicas: 4, surge: 0, unavailable: 2 }),
      newRS: replicaSet('new', 0),
      old: [replicaSet('b', 2, { created: '2024-01-02T00:00:00Z' }), replicaSet('a', 2, { created: '2024-01-01T00:00:00Z' })],
      want: { a: 0 },
    },
  ];
  for (const c of cases) {
    const plan = planOldReplicaSetsScaleDown(c.d, [...c.old, c.newRS], c.old, c.newRS);
    assert.deepEqual(Object.fromEntries(plan), c.want, c.name);
  }
});

test('proportionalScale shares a size change between active ReplicaSets', () => {
  const cases: { name: string; replicas: number; newRS: ReturnType<typeof replicaSet>; old: ReturnType<typeof replicaSet>[]; want: Record<string, number> }[] = [
    {
      name: '10 -> 20 split evenly',
      replicas: 20,
      newRS: replicaSet('new', 5, { max: 10, created: '2024-01-02T00:00:00Z' }),
      old: [replicaSet('old', 5, { max: 10 })],
      want: { new: 10, old: 10 },
    },
    {
      name: '3 -> 4: the rounding goes to the larger',
      replicas: 4,
      newRS: replicaSet('new', 2, { max: 3, created: '2024-01-02T00:00:00Z' }),
      old: [replicaSet('old', 1, { max: 3 })],
      want: { new: 3, old: 1 },
    },
    {
      name: '10 -> 5 halves both',
      replicas: 5,
      newRS: replicaSet('new', 6, { max: 10, created: '2024-01-02T00:00:00Z' }),
      old: [replicaSet('old', 4, { max: 10 })],
      want: { new: 3, old: 2 },
    },
    {
      name: 'to zero',
      replicas: 0,
      newRS: replicaSet('new', 2, { max: 3 }),
      old: [replicaSet('old', 1, { max: 3 })],
      want: { new: 0, old: 0 },
    },
  ];
  for (const c of cases) {
    const d = deployment({ replicas: c.replicas, surge: 0, unavailable: 1 });
    assert.deepEqual(Object.fromEntries(proportionalScale(d, c.newRS, c.old)), c.want, c.name);
  }
});

test('replicaSetFraction falls back to status.replicas when max-replicas is missing, malformed or 0', () => {
  // 10 running, scaled to 20 (+ surge 0): each RS doubles, whatever the annotation lost.
  const d = deployment({ replicas: 20, surge: 0, unavailable: 1, status: { replicas: 10 } });
  for (const max of [undefined, 0]) {
    assert.equal(replicaSetFraction(replicaSet('rs', 4, { max }), d), 4, `max-replicas ${max}`);
  }
  const malformed = replicaSet('rs', 4);
  malformed.metadata.annotations!['deployment.kubernetes.io/max-replicas'] = 'ten';
  assert.equal(replicaSetFraction(malformed, d), 4, 'malformed max-replicas');
  assert.equal(replicaSetFraction(replicaSet('rs', 4, { max: 10 }), deployment({ replicas: 20, surge: 0, unavailable: 1 })), 4, 'annotation');
  assert.equal(replicaSetFraction(replicaSet('rs', 4, { max: 0 }), deployment({ replicas: 20, surge: 0, unavailable: 1 })), 0, 'nothing to go by');
});

test('isSaturated and findActiveOrLatest', () => {
  const d = deployment({ replicas: 3 });
  assert.equal(isSaturated(d, replicaSet('n', 3, { desired: 3 })), true);
  assert.equal(isSaturated(d, replicaSet('n', 3, { desired: 2 })), false);
  assert.equal(isSaturated(d, replicaSet('n', 3, { desired: 3, available: 2 })), false);
  assert.equal(isSaturated(d, replicaSet('n', 3)), false, 'no desired annotation');

  const newRS = replicaSet('new', 0, { created: '2024-01-03T00:00:00Z' });
  const a = replicaSet('a', 0, { created: '2024-01-01T00:00:00Z' });
  const b = replicaSet('b', 2, { created: '2024-01-02T00:00:00Z' });
  assert.equal(findActiveOrLatest(newRS, [a, b]), b, 'the only active one');
  assert.equal(findActiveOrLatest(newRS, [a]), newRS, 'none active: the new one');
  assert.equal(findActiveOrLatest(undefined, [a, { ...b, spec: { ...b.spec, replicas: 0 } }])?.metadata.name, 'b', 'none active, no new: newest old');
  assert.equal(findActiveOrLatest(replicaSet('new', 1), [b]), undefined, 'several active');
});
