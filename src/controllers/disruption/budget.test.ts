import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import {
  buildDisruptedPodMap,
  countHealthyPods,
  deletionTimeoutMs,
  desiredStatus,
  expectedPodCount,
  failSafeStatus,
  podsForBudget,
  staleDisruptionWait,
  type ScaleFinder,
} from './budget.js';

const t0 = Date.parse('2026-03-01T10:00:00Z');
const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function pod(name: string, over: { ready?: boolean; deleting?: boolean; owner?: string | null; labels?: Record<string, string> } = {}): KubeObject {
  const owner = over.owner === undefined ? 'rs-1' : over.owner;
  return {
    metadata: {
      name,
      namespace: 'ns',
      labels: over.labels ?? { app: 'web' },
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] } : {}),
      ...(over.deleting ? { deletionTimestamp: at(t0) } : {}),
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
  };
}

function pdb(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'web', namespace: 'ns', generation: 1 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status };
}

/** Each ReplicaSet "rs-N" wants `scales[N]` pods; anything else is unknown. */
const finder = (scales: Record<string, number>): ScaleFinder => (ref) =>
  ref.name in scales ? { uid: ref.uid, replicas: scales[ref.name]! } : undefined;

describe('expectedPodCount for each way a budget is given', () => {
  const threePods = [pod('a'), pod('b'), pod('c')];
  const cases: [string, Record<string, unknown>, KubeObject[], Record<string, number>, { expectedCount: number; desiredHealthy: number }][] = [
    ['integer minAvailable: the pods that exist', { minAvailable: 2 }, threePods, {}, { expectedCount: 3, desiredHealthy: 2 }],
    ['integer minAvailable above the pods there are', { minAvailable: 5 }, threePods, {}, { expectedCount: 3, desiredHealthy: 5 }],
    ['percentage minAvailable: of the controller\'s scale, rounded up', { minAvailable: '50%' }, threePods, { 'rs-1': 5 }, { expectedCount: 5, desiredHealthy: 3 }],
    ['integer maxUnavailable: scale minus it', { maxUnavailable: 1 }, threePods, { 'rs-1': 4 }, { expectedCount: 4, desiredHealthy: 3 }],
    ['percentage maxUnavailable, rounded up', { maxUnavailable: '34%' }, threePods, { 'rs-1': 3 }, { expectedCount: 3, desiredHealthy: 1 }],
    ['maxUnavailable beyond the scale: none must be healthy', { maxUnavailable: 10 }, threePods, { 'rs-1': 3 }, { expectedCount: 3, desiredHealthy: 0 }],
    ['each controller counted once, over several', { maxUnavailable: 0 }, [pod('a'), pod('b', { owner: 'rs-2' }), pod('c', { owner: 'rs-2' })], { 'rs-1': 2, 'rs-2': 3 }, { expectedCount: 5, desiredHealthy: 5 }],
    ['neither: nothing expected', {}, threePods, {}, { expectedCount: 0, desiredHealthy: 0 }],
  ];
  for (const [name, spec, pods, scales, want] of cases) {
    it(name, () => {
      const got = expectedPodCount(pdb(spec), pods, [finder(scales)]);
      assert.deepEqual({ expectedCount: got.expectedCount, desiredHealthy: got.desiredHealthy }, want);
    });
  }

  it('pods without a controller count toward nothing in a scale-based budget, and are named', () => {
    const got = expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('a'), pod('bare', { owner: null })], [finder({ 'rs-1': 2 })]);
    assert.deepEqual(got, { expectedCount: 2, desiredHealthy: 1, unmanagedPods: ['bare'] });
  });

  it('a pod whose controller no finder knows cannot be worked out', () => {
    assert.throws(() => expectedPodCount(pdb({ minAvailable: '10%' }), [pod('a', { owner: 'gone' })], [finder({})]), /found no controllers for pod "a"/);
  });
});

describe('disrupted pods and the healthy count', () => {
  const recent = at(t0 - 30_000);
  const old = at(t0 - deletionTimeoutMs - 1_000);

  it('keeps recent evictions of pods not yet being deleted; drops expired ones, deleting and gone pods', () => {
    const pods = [pod('recent'), pod('expired'), pod('deleting', { deleting: true }), pod('other')];
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { recent, expired: old, deleting: recent, gone: recent } });
    const got = buildDisruptedPodMap(budget, pods, t0);
    assert.deepEqual(got.disruptedPods, { recent });
    assert.equal(got.recheckAt, Date.parse(recent) + deletionTimeoutMs);
    assert.deepEqual(got.notDeleted.map((p) => p.metadata.name), ['expired']);
  });

  it('counts Ready pods that are neither being deleted nor recently evicted', () => {
    const pods = [pod('a'), pod('b', { ready: false }), pod('c', { deleting: true }), pod('d'), pod('e')];
    assert.equal(countHealthyPods(pods, { d: recent }, t0), 2);
    assert.equal(countHealthyPods(pods, { d: old }, t0), 3, 'an expired eviction no longer holds the pod back');
  });

  it('podsForBudget: its namespace and selector; {} selects all, none or a broken one nothing', () => {
    const pods = [pod('a'), pod('b', { labels: { app: 'db' } }), { ...pod('c'), metadata: { ...pod('c').metadata, namespace: 'elsewhere' } }];
    assert.deepEqual(podsForBudget(pdb({}), pods).map((p) => p.metadata.name), ['a']);
    assert.deepEqual(podsForBudget(pdb({ selector: {} }), pods).map((p) => p.metadata.name), ['a', 'b']);
    assert.deepEqual(podsForBudget(pdb({ selector: null }), pods), []);
    assert.deepEqual(podsForBudget(pdb({ selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } }), pods), []);
  });
});

describe('the status a budget should have', () => {
  const now = at(t0);

  it('disruptionsAllowed is healthy minus desired, never below 0, and 0 while nothing is expected', () => {
    const s = desiredStatus(pdb({ minAvailable: 2 }), { currentHealthy: 3, desiredHealthy: 2, expectedCount: 3, disruptedPods: {} }, now)!;
    assert.deepEqual(s, {
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 1,
      observedGeneration: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1, lastTransitionTime: now }],
    });
    assert.equal(desiredStatus(pdb({}), { currentHealthy: 1, desiredHealthy: 3, expectedCount: 3, disruptedPods: {} }, now)!.disruptionsAllowed, 0);
    const none = desiredStatus(pdb({}), { currentHealthy: 2, desiredHealthy: 0, expectedCount: 0, disruptedPods: {} }, now)!;
    assert.equal(none.disruptionsAllowed, 0);
    assert.equal(none.conditions[0].reason, 'InsufficientPods');
  });

  it('undefined when the budget says all of it already; a new generation or a stale condition is a change', () => {
    const counts = { currentHealthy: 3, desiredHealthy: 2, expectedCount: 3, disruptedPods: { a: now } };
    const written = desiredStatus(pdb({}), counts, now)!;
    assert.deepEqual(written.disruptedPods, { a: now });
    assert.equal(desiredStatus(pdb({}, written), counts, now), undefined);
    const newer = pdb({}, written);
    newer.metadata.generation = 2;
    assert.equal(desiredStatus(newer, counts, now)?.observedGeneration, 2);
    assert.notEqual(desiredStatus(pdb({}, { ...written, conditions: [] }), counts, now), undefined);
  });

  it('fails safe: none allowed, condition SyncFailed with the error, the rest kept', () => {
    const before = { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 };
    const s = failSafeStatus(pdb({}, before), 'found no controllers for pod "a"', now)!;
    assert.deepEqual(s, {
      ...before,
      disruptionsAllowed: 0,
      conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "a"', observedGeneration: 1, lastTransitionTime: now }],
    });
    assert.equal(failSafeStatus(pdb({}, s), 'found no controllers for pod "a"', now), undefined, 'no second write');
  });
});

describe('stale DisruptionTarget conditions', () => {
  const withCondition = (cond: Record<string, unknown>, over: { deleting?: boolean; phase?: string } = {}): KubeObject => {
    const p = pod('p', { deleting: over.deleting });
    p.status.phase = over.phase ?? 'Running';
    p.status.conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: at(t0), ...cond });
    return p;
  };

  it('goes stale two minutes after it was set on a pod that is still not being deleted', () => {
    assert.equal(staleDisruptionWait(withCondition({}), t0 + 30_000, 120_000), 90_000);
    assert.equal(staleDisruptionWait(withCondition({}), t0 + 200_000, 120_000), 0);
  });

  it('never for deleting or finished pods, False conditions, or the kubelet\'s own', () => {
    assert.equal(staleDisruptionWait(withCondition({}, { deleting: true }), t0, 120_000), undefined);
    assert.equal(staleDisruptionWait(withCondition({}, { phase: 'Failed' }), t0, 120_000), undefined);
    assert.equal(staleDisruptionWait(withCondition({ status: 'False' }), t0, 120_000), undefined);
    assert.equal(staleDisruptionWait(withCondition({ reason: 'TerminationByKubelet' }), t0, 120_000), undefined);
    assert.equal(staleDisruptionWait(pod('plain'), t0, 120_000), undefined);
  });
});
