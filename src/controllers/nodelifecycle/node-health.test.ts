import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { conditionsForSilentNode, reconcileTaints, wantedTaints } from './node-health.js';
import { evictionDeadline, toleratesTaint, type Taint, type Toleration } from './taint-eviction.js';

const now = Date.parse('2024-01-01T00:10:00Z');

function node(conditions: Record<string, string>, taints?: Taint[], unschedulable?: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { taints, unschedulable },
    status: {
      conditions: Object.entries(conditions).map(([type, status]) => ({
        type,
        status,
        reason: 'Kubelet',
        lastHeartbeatTime: '2024-01-01T00:09:00Z',
        lastTransitionTime: '2024-01-01T00:01:00Z',
      })),
    },
  };
}

test('conditionsForSilentNode: kubelet conditions turn Unknown, heartbeat kept', () => {
  const got = conditionsForSilentNode(node({ Ready: 'True', MemoryPressure: 'False', NetworkUnavailable: 'False' }), now)!;
  const byType = Object.fromEntries(got.map((c) => [c.type, c]));
  assert.deepEqual(byType.Ready, {
    type: 'Ready',
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: 'Kubelet stopped posting node status.',
    lastHeartbeatTime: '2024-01-01T00:09:00Z',
    lastTransitionTime: '2024-01-01T00:10:00Z',
  });
  assert.equal(byType.MemoryPressure.status, 'Unknown');
  assert.equal(byType.NetworkUnavailable.status, 'False', 'not the kubelet\'s condition');
  assert.equal(byType.DiskPressure.reason, 'NodeStatusNeverUpdated');
  assert.equal(byType.DiskPressure.message, 'Kubelet never posted node status.');
  assert.equal(byType.DiskPressure.lastHeartbeatTime, '2024-01-01T00:00:00Z');
  assert.equal(conditionsForSilentNode(node({ Ready: 'Unknown', MemoryPressure: 'Unknown', DiskPressure: 'Unknown', PIDPressure: 'Unknown' }), now), undefined);
});

test('wantedTaints follow conditions and cordoning', () => {
  const keys = (n: KubeObject) => wantedTaints(n).map((t) => `${t.key.replace('node.kubernetes.io/', '')}:${t.effect}`);
  assert.deepEqual(keys(node({ Ready: 'True', MemoryPressure: 'False' })), []);
  assert.deepEqual(keys(node({ Ready: 'Unknown' })), ['unreachable:NoExecute', 'unreachable:NoSchedule']);
  assert.deepEqual(keys(node({ Ready: 'False' })), ['not-ready:NoExecute', 'not-ready:NoSchedule']);
  assert.deepEqual(keys(node({ Ready: 'True', MemoryPressure: 'True', DiskPressure: 'True', PIDPressure: 'True' })), [
    'memory-pressure:NoSchedule',
    'disk-pressure:NoSchedule',
    'pid-pressure:NoSchedule',
  ]);
  assert.deepEqual(keys(node({ Ready: 'True' }, undefined, true)), ['unschedulable:NoSchedule']);
});

test('reconcileTaints: adds with timeAdded, swaps, removes only its own, keeps others', () => {
  const other: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const added = reconcileTaints(node({ Ready: 'Unknown' }, [other]), now)!;
  assert.deepEqual(added, [
    other,
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:10:00Z' },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: '2024-01-01T00:10:00Z' },
  ]);
  // Already right: nothing to write, and timeAdded is not refreshed.
  assert.equal(reconcileTaints(node({ Ready: 'Unknown' }, added), now + 5000), undefined);
  const swapped = reconcileTaints(node({ Ready: 'False' }, added), now + 5000)!;
  assert.deepEqual(swapped.map((t) => `${t.key}:${t.effect}`), [
    'dedicated:NoSchedule',
    'node.kubernetes.io/not-ready:NoExecute',
    'node.kubernetes.io/not-ready:NoSchedule',
  ]);
  assert.deepEqual(reconcileTaints(node({ Ready: 'True' }, added), now), [other]);
});

test('toleratesTaint', () => {
  const taint: Taint = { key: 'k', value: 'v', effect: 'NoExecute' };
  const cases: [Toleration, boolean][] = [
    [{ key: 'k', operator: 'Exists' }, true],
    [{ key: 'k', operator: 'Equal', value: 'v' }, true],
    [{ key: 'k', value: 'v' }, true],
    [{ key: 'k', value: 'w' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
    [{ operator: 'Exists' }, true],
    [{ operator: 'Exists', effect: 'NoSchedule' }, false],
    [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }, true],
  ];
  for (const [tol, want] of cases) assert.equal(toleratesTaint(tol, taint), want, JSON.stringify(tol));
});

test('evictionDeadline', () => {
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' };
  const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:10Z' };
  const since = (t: Taint) => Date.parse(t.timeAdded!);
  const tol = (key: string, s?: number): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });
  assert.equal(evictionDeadline([], [], since), Infinity, 'no taints');
  assert.equal(evictionDeadline([], [unreachable], since), -Infinity, 'not tolerated: now');
  assert.equal(evictionDeadline([tol(unreachable.key, 300)], [unreachable], since), t0 + 300_000);
  assert.equal(evictionDeadline([tol(unreachable.key)], [unreachable], since), Infinity, 'tolerated forever');
  assert.equal(evictionDeadline([tol(unreachable.key, -5)], [unreachable], since), t0, 'negative counts as 0');
  assert.equal(evictionDeadline([tol(unreachable.key, 300), tol(notReady.key, 5)], [unreachable, notReady], since), t0 + 15_000, 'earliest over taints');
  assert.equal(evictionDeadline([tol(unreachable.key, 300)], [unreachable, notReady], since), -Infinity, 'one untolerated taint');
  assert.equal(evictionDeadline([tol(unreachable.key), tol(unreachable.key, 1)], [unreachable], since), Infinity, 'first matching toleration decides');
});
