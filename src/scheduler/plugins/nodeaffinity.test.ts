import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../testutil.js';
import {
  ERR_REASON_POD,
  matchesRequiredNodeAffinity,
  nodeAffinityFilter,
  preferredNodeAffinity,
  preferredNodeAffinityScore,
  requiredNodeAffinity,
  type NodeSelectorTerm,
} from './nodeaffinity.js';

const node = makeNode('node-1', { labels: { zone: 'a', disk: 'ssd', cores: '16' } });
const required = (terms: NodeSelectorTerm[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });

describe('NodeAffinity filter', () => {
  const cases: Array<{ name: string; selector?: Record<string, string>; affinity?: unknown; ok: boolean }> = [
    { name: 'no constraints', ok: true },
    { name: 'nodeSelector matches', selector: { zone: 'a' }, ok: true },
    { name: 'nodeSelector value differs', selector: { zone: 'b' }, ok: false },
    { name: 'nodeSelector label missing', selector: { gpu: 'true' }, ok: false },
    { name: 'In', affinity: required([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }]), ok: true },
    { name: 'NotIn', affinity: required([{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }]), ok: false },
    { name: 'NotIn on a missing label matches', affinity: required([{ matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['x'] }] }]), ok: true },
    { name: 'Exists', affinity: required([{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }]), ok: true },
    { name: 'DoesNotExist', affinity: required([{ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }]), ok: false },
    { name: 'Gt', affinity: required([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }]), ok: true },
    { name: 'Lt', affinity: required([{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }]), ok: false },
    { name: 'Gt on a non-number label', affinity: required([{ matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }] }]), ok: false },
    {
      name: 'expressions of a term are ANDed',
      affinity: required([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] }]),
      ok: false,
    },
    {
      name: 'terms are ORed',
      affinity: required([
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
        { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
      ]),
      ok: true,
    },
    { name: 'an empty term matches nothing', affinity: required([{}]), ok: false },
    { name: 'matchFields on metadata.name', affinity: required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }]), ok: true },
    { name: 'matchFields NotIn', affinity: required([{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }] }]), ok: false },
    {
      name: 'nodeSelector and affinity must both match',
      selector: { zone: 'b' },
      affinity: required([{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }]),
      ok: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p', { nodeSelector: c.selector, affinity: c.affinity });
      assert.equal(matchesRequiredNodeAffinity(requiredNodeAffinity(pod), node), c.ok);
      const s = nodeAffinityFilter(pod, node);
      if (c.ok) assert.equal(s.code, 'Success');
      else assert.deepEqual([s.code, s.reasons], ['UnschedulableAndUnresolvable', [ERR_REASON_POD]]);
    });
  }
});

describe('NodeAffinity score', () => {
  it('sums the weights of the matching preferred terms', () => {
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
            { weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } },
          ],
        },
      },
    });
    assert.equal(preferredNodeAffinityScore(preferredNodeAffinity(pod), node), 15);
    assert.equal(preferredNodeAffinityScore(preferredNodeAffinity(makePod('q')), node), 0);
  });
});
