import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  QUANTITY_FORMAT_ERROR,
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  milliValue,
  parseQuantity,
  value,
} from './quantity.js';

test('canonical form', () => {
  const cases: [string, string][] = [
    ['0', '0'],
    ['0m', '0'],
    ['0Gi', '0'],
    ['1', '1'],
    ['0.5', '500m'],
    ['.5', '500m'],
    ['1.', '1'],
    ['+1', '1'],
    ['-1.5', '-1500m'],
    ['100m', '100m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['1k', '1k'],
    ['1000k', '1M'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1000e0', '1e3'],
    ['1e0', '1'],
    ['12e-3', '12e-3'],
    ['123Mi', '123Mi'],
    ['1024Mi', '1Gi'],
    ['1024', '1024'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1025Ki', '1025Ki'],
    ['1.1Gi', '1181116006400m'],
    ['1Ei', '1Ei'],
    ['1024Ei', '1024Ei'],
    ['0.1n', '1n'],
    ['1n', '1n'],
    ['1u', '1u'],
    ['1000u', '1m'],
    ['1E', '1E'],
    ['1000E', '1000E'],
    // An exponent is not capped at e18, as Kubernetes' canonical form keeps it (a multiple of 3).
    ['1e21', '1e21'],
    ['1e400', '10e399'],
    ['0.000001', '1u'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, `canonical(${input})`);
});

test('rejects malformed quantities', () => {
  for (const bad of ['', ' ', 'abc', '1.2.3', '1Gb', '1 Gi', 'Gi', '1KiB', '1e', '1ee3', '--1', '1mi', '.', '1i', '1Kii']) {
    assert.throws(() => parseQuantity(bad), (e: Error) => {
      return e.message === QUANTITY_FORMAT_ERROR || e.message === "unable to parse quantity's suffix";
    }, `parseQuantity(${JSON.stringify(bad)})`);
  }
  assert.throws(() => parseQuantity('abc'), { message: QUANTITY_FORMAT_ERROR });
});

test('milli value and value round up', () => {
  const cases: [string, bigint, bigint][] = [
    ['250m', 250n, 1n],
    ['1', 1000n, 1n],
    ['1500m', 1500n, 2n],
    ['1Ki', 1024000n, 1024n],
    ['1n', 1n, 1n],
    ['-1500m', -1500n, -2n],
    ['0', 0n, 0n],
  ];
  for (const [s, milli, v] of cases) {
    const q = parseQuantity(s);
    assert.equal(milliValue(q), milli, `milliValue(${s})`);
    assert.equal(value(q), v, `value(${s})`);
  }
});

test('compare and add', () => {
  const cases: [string, string, number][] = [
    ['500m', '0.5', 0],
    ['1Gi', '1024Mi', 0],
    ['1G', '1Gi', -1],
    ['2', '1999m', 1],
    ['-1', '0', -1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(compareQuantities(parseQuantity(a), parseQuantity(b)), want, `${a} vs ${b}`);
  }
  const sum = addQuantities(parseQuantity('512Mi'), parseQuantity('512Mi'));
  assert.equal(sum.format, 'BinarySI');
  assert.equal(compareQuantities(sum, parseQuantity('1Gi')), 0);
});
