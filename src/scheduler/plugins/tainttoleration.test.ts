import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../testutil.js';
import { intolerablePreferNoScheduleTaints, taintTolerationFilter, toleratesTaint, type Taint, type Toleration } from './tainttoleration.js';

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const cases: Array<[string, Toleration, boolean]> = [
    ['Equal with the same value', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    ['operator defaults to Equal', { key: 'dedicated', value: 'gpu' }, true],
    ['Equal with another value', { key: 'dedicated', value: 'cpu' }, false],
    ['Exists ignores the value', { key: 'dedicated', operator: 'Exists' }, true],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    ['another key', { key: 'other', operator: 'Exists' }, false],
  ];
  for (const [name, t, want] of cases) it(name, () => assert.equal(toleratesTaint(t, taint), want));
});

describe('TaintToleration filter', () => {
  const cases: Array<{ name: string; taints: Taint[]; tolerations?: Toleration[]; ok: boolean; reason?: string }> = [
    { name: 'no taints', taints: [], ok: true },
    { name: 'NoSchedule untolerated', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], ok: false, reason: 'node(s) had untolerated taint {k: v}' },
    { name: 'NoExecute untolerated, a taint without value', taints: [{ key: 'k', effect: 'NoExecute' }], ok: false, reason: 'node(s) had untolerated taint {k: }' },
    { name: 'PreferNoSchedule never filters', taints: [{ key: 'k', effect: 'PreferNoSchedule' }], ok: true },
    {
      name: 'tolerated',
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
      tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }],
      ok: true,
    },
    {
      name: 'one of two tolerated',
      taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoSchedule' }],
      tolerations: [{ key: 'a', operator: 'Exists' }],
      ok: false,
      reason: 'node(s) had untolerated taint {b: }',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = taintTolerationFilter(makePod('p', { tolerations: c.tolerations }), makeNode('n', { taints: c.taints }));
      if (c.ok) assert.equal(s.code, 'Success');
      else assert.deepEqual([s.code, s.reasons], ['UnschedulableAndUnresolvable', [c.reason]]);
    });
  }
});

describe('TaintToleration score', () => {
  const taints: Taint[] = [
    { key: 'a', effect: 'PreferNoSchedule' },
    { key: 'b', effect: 'PreferNoSchedule' },
    { key: 'c', effect: 'NoSchedule' },
  ];
  const cases: Array<[string, Toleration[] | undefined, number]> = [
    ['counts untolerated PreferNoSchedule taints', undefined, 2],
    ['a matching toleration removes one', [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }], 1],
    ['an effect-less toleration counts too', [{ key: 'b', operator: 'Exists' }], 1],
    ['a NoSchedule toleration does not', [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }], 2],
  ];
  for (const [name, tol, want] of cases) {
    it(name, () => assert.equal(intolerablePreferNoScheduleTaints(makePod('p', { tolerations: tol }), makeNode('n', { taints })), want));
  }
});
