import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultNormalizeScore,
  fitErrorMessage,
  preemptionMessage,
  reasonHistogram,
  unresolvable,
  unschedulable,
  type Status,
} from './framework.js';
import { makePod } from './testutil.js';

const times = (n: number, s: Status): Status[] => Array.from({ length: n }, () => s);

describe('FailedScheduling message', () => {
  const pod = makePod('p');
  const cases: Array<{ name: string; nodes: number; statuses: Status[]; policy?: string; want: string }> = [
    {
      name: 'a pod bigger than every node: unresolvable, preemption cannot help',
      nodes: 3,
      statuses: times(3, unresolvable('Insufficient memory')),
      want: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    },
    {
      name: 'nodes full of other pods: no victims',
      nodes: 3,
      statuses: times(3, unschedulable('Insufficient memory')),
      want: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    },
    {
      name: 'mixed reasons are counted per reason and sorted as strings',
      nodes: 3,
      statuses: [unresolvable("node(s) didn't match Pod's node affinity/selector"), unschedulable('Insufficient cpu'), unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
      want:
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}. " +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    },
    {
      name: 'a node lacking two resources counts in both',
      nodes: 2,
      statuses: [unschedulable('Insufficient cpu', 'Insufficient memory'), unschedulable('Insufficient memory')],
      want: '0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    },
    {
      name: 'preemptionPolicy Never',
      nodes: 1,
      statuses: [unschedulable('Too many pods')],
      policy: 'Never',
      want: '0/1 nodes are available: 1 Too many pods. preemption: not eligible due to preemptionPolicy=Never.',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = c.policy ? { ...pod, spec: { ...pod.spec, preemptionPolicy: c.policy } } : pod;
      assert.equal(fitErrorMessage(c.nodes, c.statuses, preemptionMessage(p, c.nodes, c.statuses)), c.want);
    });
  }

  it('sorts the histogram as Go sort.Strings does (by text, so 10 before 9)', () => {
    const statuses = [...times(10, unresolvable('node(s) were unschedulable')), ...times(9, unschedulable('Insufficient cpu'))];
    assert.deepEqual(reasonHistogram(statuses), ['10 node(s) were unschedulable', '9 Insufficient cpu']);
  });
});

describe('defaultNormalizeScore', () => {
  const cases: Array<{ in: number[]; reverse: boolean; want: number[] }> = [
    { in: [0, 5, 10], reverse: false, want: [0, 50, 100] },
    { in: [0, 5, 10], reverse: true, want: [100, 50, 0] },
    { in: [0, 0], reverse: true, want: [100, 100] },
    { in: [0, 0], reverse: false, want: [0, 0] },
    { in: [1, 3], reverse: false, want: [33, 100] },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.in)} reverse=${c.reverse}`, () => {
      const s = [...c.in];
      defaultNormalizeScore(s, c.reverse);
      assert.deepEqual(s, c.want);
    });
  }
});
