import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { slowStartBatch } from './slow-start.js';

describe('slowStartBatch', () => {
  const cases: { name: string; count: number; failAt?: number; wantBatches: number[]; wantSuccesses: number }[] = [
    { name: 'all succeed in batches 1, 2, 4, rest', count: 10, wantBatches: [1, 2, 4, 3], wantSuccesses: 10 },
    { name: 'zero does nothing', count: 0, wantBatches: [], wantSuccesses: 0 },
    { name: 'the first call fails: nothing more is tried', count: 10, failAt: 0, wantBatches: [1], wantSuccesses: 0 },
    // Call 4 is in the third batch (calls 3..6): that batch finishes, nothing after it starts.
    { name: 'a failure stops after its batch', count: 10, failAt: 4, wantBatches: [1, 2, 4], wantSuccesses: 6 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const batches: number[] = [];
      let calls = 0;
      let inFlight = 0;
      const res = await slowStartBatch(c.count, 1, async () => {
        const n = calls++;
        if (inFlight === 0) batches.push(0);
        inFlight++;
        batches[batches.length - 1]++;
        await Promise.resolve();
        inFlight--;
        if (n === c.failAt) throw new Error(`call ${n} failed`);
      });
      assert.deepEqual(batches, c.wantBatches);
      assert.equal(res.successes, c.wantSuccesses);
      assert.equal(res.error?.message, c.failAt === undefined ? undefined : `call ${c.failAt} failed`);
    });
  }
});
