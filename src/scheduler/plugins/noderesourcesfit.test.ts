import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fitStatus, insufficientResources } from './noderesourcesfit.js';

const Gi = 1024 ** 3;
const node = { milliCPU: 4000, memory: 8 * Gi, pods: 3 };

describe('NodeResourcesFit filter', () => {
  const cases: Array<{ name: string; req: [number, number]; used: [number, number]; pods?: number; code: string; reasons: string[] }> = [
    { name: 'fits', req: [1000, Gi], used: [0, 0], code: 'Success', reasons: [] },
    { name: 'fits exactly', req: [1000, Gi], used: [3000, 7 * Gi], code: 'Success', reasons: [] },
    { name: 'not enough cpu left', req: [1500, Gi], used: [3000, 0], code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'not enough memory left', req: [100, 2 * Gi], used: [0, 7 * Gi], code: 'Unschedulable', reasons: ['Insufficient memory'] },
    { name: 'neither', req: [2000, 2 * Gi], used: [3000, 7 * Gi], code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'more memory than the node has at all', req: [100, 16 * Gi], used: [0, 0], code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient memory'] },
    { name: 'more cpu than the node has at all', req: [5000, 0], used: [0, 0], code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] },
    { name: 'pod slots full', req: [0, 0], used: [0, 0], pods: 3, code: 'Unschedulable', reasons: ['Too many pods'] },
    { name: 'pod slots full and cpu short', req: [2000, 0], used: [3000, 0], pods: 3, code: 'Unschedulable', reasons: ['Too many pods', 'Insufficient cpu'] },
    { name: 'a pod asking nothing fits a full node', req: [0, 0], used: [4000, 8 * Gi], code: 'Success', reasons: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fitStatus(
        insufficientResources({ milliCPU: c.req[0], memory: c.req[1] }, node, { milliCPU: c.used[0], memory: c.used[1] }, c.pods ?? 0),
      );
      assert.deepEqual([s.code, [...s.reasons]], [c.code, c.reasons]);
    });
  }
});
