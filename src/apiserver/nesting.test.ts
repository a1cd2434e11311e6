import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textExceedsDepth, valueExceedsDepth } from './nesting.js';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

test('textExceedsDepth: counts brackets and braces outside strings', () => {
  const cases: [string, string, number, boolean][] = [
    ['four levels against a limit of three', '{"a":{"b":[1,2,{"c":3}]}}', 3, true],
    ['at the limit', nested(3), 3, false],
    ['one past the limit', nested(4), 3, true],
    ['brackets inside strings do not count', `{"a":"${'['.repeat(50)}"}`, 3, false],
    ['escaped quotes keep the string open', `{"a":"\\"${'{'.repeat(50)}"}`, 3, false],
    ['objects count like arrays', `${'{"a":'.repeat(5)}1${'}'.repeat(5)}`, 4, true],
  ];
  for (const [name, text, limit, want] of cases) {
    // Pad so the short-body shortcut does not decide.
    const padded = text + ' '.repeat(2 * limit + 1);
    assert.equal(textExceedsDepth(Buffer.from(padded), limit), want, name);
  }
});

test('textExceedsDepth: a body too short to nest past the limit is not scanned', () => {
  assert.equal(textExceedsDepth(Buffer.from(nested(10)), 1000), false);
  assert.equal(textExceedsDepth(Buffer.from(nested(1001)), 1000), true);
});

test('valueExceedsDepth: bounded walk of decoded values', () => {
  assert.equal(valueExceedsDepth(JSON.parse(nested(1000)), 1000), false);
  assert.equal(valueExceedsDepth(JSON.parse(nested(1001)), 1000), true);
  assert.equal(valueExceedsDepth(JSON.parse(nested(100_000)), 1000), true);
  assert.equal(valueExceedsDepth({ a: [{ b: 'x' }], c: 1 }, 3), false);
  assert.equal(valueExceedsDepth('scalar', 0), false);
});
