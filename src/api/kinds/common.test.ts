import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageCell, canonicalJSON, column, deepEqual, int, list, str, sub } from './common.js';

test('safe accessors', () => {
  assert.deepEqual(sub({ a: { b: 1 } }, 'a'), { b: 1 });
  assert.deepEqual(sub({ a: [1] }, 'a'), {});
  assert.deepEqual(sub(undefined, 'a'), {});
  assert.deepEqual(list({ a: [{ x: 1 }, 2] }, 'a'), [{ x: 1 }, {}]);
  assert.deepEqual(list({ a: {} }, 'a'), []);
  assert.equal(str(5), '');
  assert.equal(int('5'), 0);
  assert.equal(int(7), 7);
});

test('deep equality ignores key order', () => {
  assert.equal(canonicalJSON({ b: 1, a: { d: 1, c: 2 } }), '{"a":{"c":2,"d":1},"b":1}');
  assert.ok(deepEqual({ a: 1, b: [1, { y: 1, x: 2 }] }, { b: [1, { x: 2, y: 1 }], a: 1 }));
  assert.ok(!deepEqual([1, 2], [2, 1]));
});

test('columns and age', () => {
  assert.deepEqual(column('IP', 'string', 'd', true), { name: 'IP', type: 'string', format: '', description: 'd', priority: 1 });
  assert.equal(ageCell({ metadata: { creationTimestamp: '2024-01-01T00:00:00Z' } }, Date.parse('2024-01-01T00:03:20Z')), '3m20s');
  assert.equal(ageCell({ metadata: {} }, 0), '<unknown>');
});
