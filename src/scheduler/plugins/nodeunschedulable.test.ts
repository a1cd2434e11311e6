import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../testutil.js';
import { ERR_REASON_UNSCHEDULABLE, nodeUnschedulableFilter } from './nodeunschedulable.js';
import type { Toleration } from './tainttoleration.js';

describe('NodeUnschedulable filter', () => {
  const cases: Array<[string, boolean, Toleration[] | undefined, string]> = [
    ['schedulable node', false, undefined, 'Success'],
    ['cordoned node', true, undefined, 'UnschedulableAndUnresolvable'],
    ['cordoned, pod tolerates the unschedulable taint', true, [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }], 'Success'],
    ['cordoned, pod tolerates everything', true, [{ operator: 'Exists' }], 'Success'],
    ['cordoned, toleration for another effect', true, [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }], 'UnschedulableAndUnresolvable'],
  ];
  for (const [name, cordoned, tol, code] of cases) {
    it(name, () => {
      const s = nodeUnschedulableFilter(makePod('p', { tolerations: tol }), makeNode('n', { unschedulable: cordoned }));
      assert.equal(s.code, code);
      if (code !== 'Success') assert.deepEqual(s.reasons, [ERR_REASON_UNSCHEDULABLE]);
    });
  }
});
