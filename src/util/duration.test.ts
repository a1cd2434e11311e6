import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.js';

it('parses Go-style durations and bare seconds', () => {
  const cases: [string, number][] = [
    ['40s', 40_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['300', 300_000],
    ['1.5s', 1500],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  for (const bad of ['', 'abc', '5x', '10s5', '-1s']) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
});
