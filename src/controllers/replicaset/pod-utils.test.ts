import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { compareForDeletion, isPodActive, isPodAvailable, msUntilAvailable, podDeletionCostAnnotation, podsToDelete } from './pod-utils.js';

const now = Date.parse('2024-01-01T12:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString().replace('.000Z', 'Z');

interface PodSpec {
  name: string;
  node?: string;
  phase?: string;
  ready?: boolean;
  readyFor?: number;
  restarts?: number;
  age?: number;
  cost?: string;
  deleting?: boolean;
}

function pod(p: PodSpec): KubeObject {
  const conditions = p.ready === undefined ? [] : [{ type: 'Ready', status: p.ready ? 'True' : 'False', lastTransitionTime: ago(p.readyFor ?? 0) }];
  return {
    metadata: {
      name: p.name,
      uid: `uid-${p.name}`,
      creationTimestamp: p.age === undefined ? undefined : ago(p.age),
      annotations: p.cost === undefined ? undefined : { [podDeletionCostAnnotation]: p.cost },
      deletionTimestamp: p.deleting ? ago(0) : undefined,
    },
    spec: { nodeName: p.node },
    status: { phase: p.phase ?? 'Pending', conditions, containerStatuses: [{ restartCount: p.restarts ?? 0 }] },
  };
}

describe('isPodActive', () => {
  const cases: [string, PodSpec, boolean][] = [
    ['pending', { name: 'a' }, true],
    ['running', { name: 'a', phase: 'Running' }, true],
    ['succeeded', { name: 'a', phase: 'Succeeded' }, false],
    ['failed', { name: 'a', phase: 'Failed' }, false],
    ['being deleted', { name: 'a', phase: 'Running', deleting: true }, false],
  ];
  for (const [what, spec, want] of cases) it(what, () => assert.equal(isPodActive(pod(spec)), want));
});

describe('isPodAvailable and msUntilAvailable', () => {
  const cases: [string, PodSpec, number, boolean, number | undefined][] = [
    ['not ready', { name: 'a', ready: false, readyFor: 100 }, 0, false, undefined],
    ['ready, no minReadySeconds', { name: 'a', ready: true, readyFor: 0 }, 0, true, undefined],
    ['ready long enough', { name: 'a', ready: true, readyFor: 11 }, 10, true, undefined],
    // Kubernetes compares strictly: exactly minReadySeconds is not yet available.
    ['ready exactly minReadySeconds', { name: 'a', ready: true, readyFor: 10 }, 10, false, 1],
    ['ready too briefly', { name: 'a', ready: true, readyFor: 4 }, 10, false, 6001],
  ];
  for (const [what, spec, minReady, available, wait] of cases) {
    it(what, () => {
      assert.equal(isPodAvailable(pod(spec), minReady, now), available);
      assert.equal(msUntilAvailable(pod(spec), minReady, now), wait);
    });
  }
});

describe('compareForDeletion', () => {
  // Each case: the pod that should be deleted first, then the other.
  const cases: [string, PodSpec, PodSpec, number?, number?][] = [
    ['unscheduled before scheduled', { name: 'a', phase: 'Running', ready: true }, { name: 'b', node: 'n1', phase: 'Pending' }],
    ['pending before unknown', { name: 'a', node: 'n', phase: 'Pending' }, { name: 'b', node: 'n', phase: 'Unknown' }],
    ['unknown before running', { name: 'a', node: 'n', phase: 'Unknown' }, { name: 'b', node: 'n', phase: 'Running' }],
    ['not ready before ready', { name: 'a', node: 'n', phase: 'Running', ready: false }, { name: 'b', node: 'n', phase: 'Running', ready: true }],
    ['lower deletion cost first', { name: 'a', node: 'n', cost: '-5', restarts: 0 }, { name: 'b', node: 'n', cost: '10', restarts: 9 }],
    ['doubled-up node first', { name: 'a', node: 'n1' }, { name: 'b', node: 'n2' }, 3, 1],
    ['ready more recently first', { name: 'a', node: 'n', phase: 'Running', ready: true, readyFor: 10 }, { name: 'b', node: 'n', phase: 'Running', ready: true, readyFor: 1000 }],
    ['more restarts first', { name: 'a', node: 'n', restarts: 5, age: 1000 }, { name: 'b', node: 'n', restarts: 1, age: 10 }],
    ['newer first', { name: 'a', node: 'n', age: 10 }, { name: 'b', node: 'n', age: 5000 }],
    ['no creation time first', { name: 'a', node: 'n' }, { name: 'b', node: 'n', age: 5 }],
  ];
  for (const [what, first, second, rankFirst, rankSecond] of cases) {
    it(what, () => {
      const a = { pod: pod(first), rank: rankFirst ?? 0 };
      const b = { pod: pod(second), rank: rankSecond ?? 0 };
      assert.ok(compareForDeletion(a, b, now) < 0, 'first sorts before second');
      assert.ok(compareForDeletion(b, a, now) > 0, 'and not the other way round');
    });
  }

  it('treats ages in the same power-of-two bucket as equal (logarithmic scale-down)', () => {
    // 100 s and 110 s old share the 2^36..2^37 ns bucket: the order falls to the UID.
    const a = { pod: pod({ name: 'a', node: 'n', age: 110 }), rank: 0 };
    const b = { pod: pod({ name: 'b', node: 'n', age: 100 }), rank: 0 };
    assert.ok(compareForDeletion(a, b, now) < 0);
  });
});

describe('podsToDelete', () => {
  it('picks the best candidates, counting pods on the same node among related pods', () => {
    const own = [
      pod({ name: 'running-ready', node: 'n1', phase: 'Running', ready: true, age: 50 }),
      pod({ name: 'pending', node: 'n1', phase: 'Pending', age: 50 }),
      pod({ name: 'unscheduled', phase: 'Pending', age: 50 }),
      pod({ name: 'running-n2', node: 'n2', phase: 'Running', ready: true, age: 50 }),
    ];
    // A sibling ReplicaSet's pods crowd n2: of the two running pods, the one on n2 goes first.
    const related = [...own, pod({ name: 'sibling-1', node: 'n2', phase: 'Running' }), pod({ name: 'sibling-2', node: 'n2', phase: 'Running' })];
    const names = (ps: KubeObject[]) => ps.map((p) => p.metadata.name);
    assert.deepEqual(names(podsToDelete(own, related, 2, now)), ['unscheduled', 'pending']);
    assert.deepEqual(names(podsToDelete(own, related, 3, now)), ['unscheduled', 'pending', 'running-n2']);
    assert.equal(podsToDelete(own, related, 9, now).length, 4);
  });
});
