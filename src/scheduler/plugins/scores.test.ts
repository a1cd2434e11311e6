import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeInfo, newPodInfo } from '../nodeinfo.js';
import { makeNode, makePod } from '../testutil.js';
import { balancedAllocationScore } from './balancedallocation.js';
import { leastAllocatedScore, leastRequestedScore } from './leastallocated.js';
import { countGroupPods, normalizeSpread, spreadGroup } from './selectorspread.js';

describe('NodeResourcesLeastAllocated', () => {
  const cases: Array<[number, number, number]> = [
    [0, 1000, 100],
    [250, 1000, 75],
    [1000, 1000, 0],
    [1500, 1000, 0],
    [10, 0, 0],
  ];
  for (const [req, cap, want] of cases) it(`${req}/${cap} → ${want}`, () => assert.equal(leastRequestedScore(req, cap), want));

  it('averages cpu and memory, counting the pod', () => {
    // cpu: (4000-2000)/4000 = 50; memory: (1000-250)/1000 = 75 → 62.
    assert.equal(leastAllocatedScore({ milliCPU: 1000, memory: 50 }, { milliCPU: 1000, memory: 200 }, { milliCPU: 4000, memory: 1000 }), 62);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  const cases: Array<[string, [number, number], [number, number], number]> = [
    ['equal fractions', [2000, 500], [4000, 1000], 100],
    ['half vs nothing', [2000, 0], [4000, 1000], 75],
    ['all cpu, no memory', [4000, 0], [4000, 1000], 50],
    ['over-full caps at 1', [8000, 1000], [4000, 1000], 100],
  ];
  for (const [name, r, a, want] of cases) {
    it(name, () => assert.equal(balancedAllocationScore({ milliCPU: r[0], memory: r[1] }, { milliCPU: a[0], memory: a[1] }), want));
  }
});

describe('SelectorSpread', () => {
  const owner = { kind: 'ReplicaSet', name: 'web', uid: 'rs-web' };
  const service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };

  it('counts the pods of the same controller on a node', () => {
    const ni = new NodeInfo('n', makeNode('n'));
    ni.addPod(newPodInfo(makePod('a', { owner })));
    ni.addPod(newPodInfo(makePod('b', { owner })));
    ni.addPod(newPodInfo(makePod('c', { owner: { ...owner, uid: 'other' } })));
    assert.equal(countGroupPods(spreadGroup(makePod('new', { owner }), []), ni), 2);
  });

  it("counts the pods a Service selecting the pod selects, in the pod's namespace only", () => {
    const ni = new NodeInfo('n', makeNode('n'));
    ni.addPod(newPodInfo(makePod('a', { labels: { app: 'web' } })));
    ni.addPod(newPodInfo(makePod('b', { labels: { app: 'web' }, namespace: 'other' })));
    ni.addPod(newPodInfo(makePod('c', { labels: { app: 'db' } })));
    const group = spreadGroup(makePod('new', { labels: { app: 'web' } }), [service, { metadata: { name: 'empty' }, spec: {} }]);
    assert.equal(group.serviceSelectors.length, 1);
    assert.equal(countGroupPods(group, ni), 1);
  });

  it('a pod of no group counts nothing', () => {
    const ni = new NodeInfo('n', makeNode('n'));
    ni.addPod(newPodInfo(makePod('a', { owner })));
    assert.equal(countGroupPods(spreadGroup(makePod('solo'), [service]), ni), 0);
  });

  const norm: Array<[number[], number[]]> = [
    [[0, 1, 2], [100, 50, 0]],
    [[0, 0, 0], [100, 100, 100]],
    [[3, 3], [0, 0]],
  ];
  for (const [inp, want] of norm) {
    it(`normalizes ${JSON.stringify(inp)}`, () => {
      const s = [...inp];
      normalizeSpread(s);
      assert.deepEqual(s, want);
    });
  }
});
