import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { calculateStatus, statusNeedsUpdate, type ReplicaSetStatus } from './status.js';

const now = Date.parse('2024-01-01T12:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString().replace('.000Z', 'Z');

function rs(replicas: number, minReadySeconds: number, status: Partial<ReplicaSetStatus> = {}): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'default', generation: 2 },
    spec: { replicas, minReadySeconds, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } },
    status,
  };
}

function pod(labels: Record<string, string>, readyFor?: number): KubeObject {
  const conditions = readyFor === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: ago(readyFor) }];
  return { metadata: { labels }, status: { phase: 'Running', conditions } };
}

const full = { app: 'web', tier: 'fe' };

describe('calculateStatus', () => {
  const cases: {
    name: string;
    rs: KubeObject;
    pods: KubeObject[];
    err?: Error;
    want: Partial<ReplicaSetStatus>;
    reason?: string | null;
  }[] = [
    {
      name: 'counts replicas, fully labeled, ready and available',
      rs: rs(3, 10),
      pods: [pod(full, 30), pod(full, 5), pod({ app: 'web' })],
      want: { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 },
      reason: null,
    },
    {
      name: 'a failed create sets ReplicaFailure with FailedCreate',
      rs: rs(3, 0),
      pods: [pod(full, 1)],
      err: new Error('pods "web-" is forbidden: exceeded quota'),
      want: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      reason: 'FailedCreate',
    },
    {
      name: 'a failed delete sets ReplicaFailure with FailedDelete',
      rs: rs(0, 0),
      pods: [pod(full)],
      err: new Error('boom'),
      want: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 0, availableReplicas: 0 },
      reason: 'FailedDelete',
    },
    {
      name: 'success removes the condition',
      rs: rs(1, 0, { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'x' }] }),
      pods: [pod(full)],
      want: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 0, availableReplicas: 0 },
      reason: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = calculateStatus(c.rs, c.pods, c.err, now);
      for (const [k, v] of Object.entries(c.want)) assert.equal(got[k as keyof ReplicaSetStatus], v, k);
      const cond = got.conditions?.find((x) => x.type === 'ReplicaFailure');
      if (c.reason === null) assert.equal(cond, undefined);
      else {
        assert.equal(cond?.reason, c.reason);
        assert.equal(cond?.status, 'True');
        assert.equal(cond?.message, c.err?.message);
      }
    });
  }

  it('keeps an existing failure condition as it is', () => {
    const old = { type: 'ReplicaFailure', status: 'True' as const, reason: 'FailedCreate', message: 'first', lastTransitionTime: ago(60) };
    const got = calculateStatus(rs(3, 0, { conditions: [old] }), [], new Error('second'), now);
    assert.deepEqual(got.conditions, [old]);
  });
});

describe('statusNeedsUpdate', () => {
  const base = { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 };
  it('is false when nothing changed and the generation was observed', () => {
    assert.equal(statusNeedsUpdate(rs(2, 0, base), { ...base }), false);
  });
  it('is true for a changed count', () => {
    assert.equal(statusNeedsUpdate(rs(2, 0, base), { ...base, readyReplicas: 2 }), true);
  });
  it('is true for an unobserved generation', () => {
    assert.equal(statusNeedsUpdate(rs(2, 0, { ...base, observedGeneration: 1 }), { ...base, observedGeneration: 1 }), true);
  });
});
