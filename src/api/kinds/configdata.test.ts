import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Error, isConfigMapKey } from './configdata.js';

test('config keys', () => {
  const cases: [string, number][] = [['a', 0], ['a.b_c-D', 0], ['.', 1], ['..', 1], ['..a', 1], ['.a', 0], ['a b', 1], ['', 1], ['x'.repeat(254), 1]];
  for (const [key, n] of cases) assert.equal(isConfigMapKey(key).length, n, key);
});

test('base64', () => {
  const cases: [string, string | undefined][] = [
    ['', undefined],
    ['aGVsbG8=', undefined],
    ['aGVs\nbG8=', undefined],
    ['aGVsbA==', undefined],
    ['aGVsbG8', 'illegal base64 data at input byte 4'],
    ['a=Vs', 'illegal base64 data at input byte 1'],
    ['aGV$', 'illegal base64 data at input byte 3'],
  ];
  for (const [s, want] of cases) assert.equal(base64Error(s), want, JSON.stringify(s));
});
