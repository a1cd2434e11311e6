import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../testutil.js';
import { nodeReadyFilter, readinessTaint } from './nodeready.js';
import type { Toleration } from './tainttoleration.js';

describe('NodeReady filter', () => {
  const cases: Array<{ name: string; ready: 'True' | 'False' | 'Unknown' | null; tolerations?: Toleration[]; taintKey?: string; code: string; reason?: string }> = [
    { name: 'Ready', ready: 'True', code: 'Success' },
    { name: 'NotReady', ready: 'False', code: 'UnschedulableAndUnresolvable', reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    { name: 'Unknown (unreachable)', ready: 'Unknown', code: 'UnschedulableAndUnresolvable', reason: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }' },
    { name: 'no Ready condition yet', ready: null, code: 'UnschedulableAndUnresolvable', reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    {
      name: 'NotReady, pod tolerates not-ready NoSchedule',
      ready: 'False',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }],
      code: 'Success',
    },
    {
      name: 'NotReady, the default NoExecute toleration does not cover NoSchedule',
      ready: 'False',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      code: 'UnschedulableAndUnresolvable',
      reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
    },
    {
      name: 'Unknown, pod tolerates unreachable',
      ready: 'Unknown',
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }],
      code: 'Success',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = nodeReadyFilter(makePod('p', { tolerations: c.tolerations }), makeNode('n', { ready: c.ready }));
      assert.equal(s.code, c.code);
      if (c.code !== 'Success') assert.deepEqual(s.reasons, [c.reason]);
    });
  }

  it('leaves a node already carrying the real taint to TaintToleration', () => {
    const node = makeNode('n', { ready: 'False', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] });
    assert.equal(nodeReadyFilter(makePod('p'), node).code, 'Success');
  });

  it('maps conditions to the node controller taints', () => {
    assert.equal(readinessTaint(makeNode('n')), undefined);
    assert.equal(readinessTaint(makeNode('n', { ready: 'False' }))?.key, 'node.kubernetes.io/not-ready');
    assert.equal(readinessTaint(makeNode('n', { ready: 'Unknown' }))?.key, 'node.kubernetes.io/unreachable');
  });
});
