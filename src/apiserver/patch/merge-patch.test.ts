import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMergePatch } from './merge-patch.js';

// RFC 7386 Appendix A, then what kubectl sends.
const cases: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  // kubectl scale
  [{ spec: { replicas: 1, template: { x: 1 } } }, { spec: { replicas: 5 } }, { spec: { replicas: 5, template: { x: 1 } } }],
  // lists are replaced whole, even lists Kubernetes would merge strategically
  [{ spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, { spec: { containers: [{ name: 'c' }] } }, { spec: { containers: [{ name: 'c' }] } }],
  // removing a label
  [{ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: null } } }, { metadata: { labels: { b: '2' } } }],
];

for (const [i, [target, patch, want]] of cases.entries()) {
  test(`merge patch case ${i}: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
    const before = structuredClone(target);
    const patchBefore = structuredClone(patch);
    assert.deepEqual(jsonMergePatch(target, patch), want);
    assert.deepEqual(target, before);
    assert.deepEqual(patch, patchBefore);
  });
}

test('merge patch result shares nothing with its inputs', () => {
  const target = { a: { b: 1 }, c: [1] };
  const out = jsonMergePatch(target, { d: { e: 1 } }) as Record<string, any>;
  out.a.b = 2;
  out.c.push(2);
  out.d.e = 2;
  assert.deepEqual(target, { a: { b: 1 }, c: [1] });
});
