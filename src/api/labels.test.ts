import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import {
  formatLabelSelector,
  formatLabels,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  labelSelectorAsSelector,
  matchesLabels,
  parseLabelSelector,
  selectorFromMap,
  selectorToString,
  validateLabelSelector,
  validateLabels,
} from './labels.js';

test('name syntax', () => {
  const cases: [(s: string) => string[], string, boolean][] = [
    [isDNS1123Label, 'my-name', true],
    [isDNS1123Label, '123-abc', true],
    [isDNS1123Label, 'a'.repeat(63), true],
    [isDNS1123Label, 'a'.repeat(64), false],
    [isDNS1123Label, 'My-name', false],
    [isDNS1123Label, '-a', false],
    [isDNS1123Label, 'a.b', false],
    [isDNS1123Subdomain, 'example.com', true],
    [isDNS1123Subdomain, 'a..b', false],
    [isDNS1123Subdomain, 'Foo', false],
    [isDNS1035Label, 'abc-123', true],
    [isDNS1035Label, '1abc', false],
    [isQualifiedName, 'app', true],
    [isQualifiedName, 'example.com/MyName', true],
    [isQualifiedName, 'app.kubernetes.io/name', true],
    [isQualifiedName, 'a_b.c-D', true],
    [isQualifiedName, '/name', false],
    [isQualifiedName, 'a/b/c', false],
    [isQualifiedName, 'Example.com/x', false],
    [isQualifiedName, 'a'.repeat(64), false],
    [isQualifiedName, '', false],
    [isQualifiedName, '-x', false],
    [isValidLabelValue, '', true],
    [isValidLabelValue, 'my_value', true],
    [isValidLabelValue, 'a b', false],
    [isValidLabelValue, 'x'.repeat(64), false],
  ];
  for (const [fn, value, ok] of cases) {
    assert.equal(fn(value).length === 0, ok, `${fn.name}(${JSON.stringify(value)}) → ${fn(value).join('; ')}`);
  }
});

test('Kubernetes message texts', () => {
  assert.deepEqual(isDNS1123Subdomain('Foo'), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.deepEqual(isDNS1123Label('Foo'), [
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isQualifiedName('a b'), [
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
});

test('parse and match label selectors', () => {
  const cases: { sel: string; str: string; match: Record<string, string>[]; miss: Record<string, string>[] }[] = [
    { sel: '', str: '', match: [{}, { a: 'b' }], miss: [] },
    { sel: 'app=web', str: 'app=web', match: [{ app: 'web', x: 'y' }], miss: [{}, { app: 'db' }] },
    { sel: 'app==web', str: 'app==web', match: [{ app: 'web' }], miss: [{ app: 'x' }] },
    { sel: 'app!=web', str: 'app!=web', match: [{}, { app: 'db' }], miss: [{ app: 'web' }] },
    { sel: ' tier in ( a , b ) ', str: 'tier in (a,b)', match: [{ tier: 'a' }, { tier: 'b' }], miss: [{}, { tier: 'c' }] },
    { sel: 'tier notin (a,b)', str: 'tier notin (a,b)', match: [{}, { tier: 'c' }], miss: [{ tier: 'a' }] },
    { sel: 'tier', str: 'tier', match: [{ tier: '' }], miss: [{}] },
    { sel: '!tier', str: '!tier', match: [{}], miss: [{ tier: 'x' }] },
    { sel: 'b=2,a=1', str: 'a=1,b=2', match: [{ a: '1', b: '2' }], miss: [{ a: '1' }] },
    { sel: 'a=', str: 'a=', match: [{ a: '' }], miss: [{ a: 'x' }, {}] },
    { sel: 'x in (in,notin)', str: 'x in (in,notin)', match: [{ x: 'in' }], miss: [] },
    { sel: 'a in ()', str: 'a in ()', match: [{ a: '' }], miss: [{ a: 'x' }] },
    { sel: 'n>5', str: 'n>5', match: [{ n: '6' }], miss: [{ n: '5' }, { n: 'x' }, {}] },
    { sel: 'n<5', str: 'n<5', match: [{ n: '4' }], miss: [{ n: '5' }] },
    { sel: 'example.com/app=web,!x', str: 'example.com/app=web,!x', match: [{ 'example.com/app': 'web' }], miss: [] },
  ];
  for (const c of cases) {
    const sel = parseLabelSelector(c.sel);
    assert.equal(selectorToString(sel), c.str, `string of ${c.sel}`);
    for (const l of c.match) assert.ok(matchesLabels(sel, l), `${c.sel} should match ${JSON.stringify(l)}`);
    for (const l of c.miss) assert.ok(!matchesLabels(sel, l), `${c.sel} should not match ${JSON.stringify(l)}`);
    assert.equal(selectorToString(parseLabelSelector(c.str)), c.str, `round trip of ${c.str}`);
  }
});

test('label selector syntax errors are 400 BadRequest', () => {
  const cases: [string, string][] = [
    ['a=b,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a = (b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['a=b c d', "found 'c', expected: ',' or 'end of string'"],
    ['a=x y', "found 'y', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
  ];
  for (const [sel, msg] of cases) {
    assert.throws(
      () => parseLabelSelector(sel),
      (e: unknown) => e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' && e.message === msg,
      `${sel} → ${msg}`,
    );
  }
  for (const sel of ['Foo Bar=baz!', 'a=b!', '-a=b', 'a=b/c', 'x!y=1', 'a in (b', 'a=(']) {
    assert.throws(() => parseLabelSelector(sel), (e: unknown) => e instanceof ApiError && e.code === 400, sel);
  }
  assert.throws(() => parseLabelSelector('-a=b'), { message: /^unable to parse requirement: key: Invalid value: "-a": name part must consist/ });
});

test('metav1.LabelSelector', () => {
  const ls = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'env', operator: 'Exists' },
      { key: 'zone', operator: 'NotIn', values: ['x'] },
    ],
  };
  const sel = labelSelectorAsSelector(ls);
  assert.equal(selectorToString(sel), 'app=web,env,!legacy,tier in (a,b),zone notin (x)');
  assert.ok(matchesLabels(sel, { app: 'web', tier: 'a', env: '' }));
  assert.ok(!matchesLabels(sel, { app: 'web', tier: 'a', env: '', legacy: 'y' }));
  assert.ok(!matchesLabels(sel, { app: 'web', tier: 'a', env: '', zone: 'x' }));
  assert.ok(!matchesLabels(labelSelectorAsSelector(undefined), {}), 'nil selector matches nothing');
  assert.ok(matchesLabels(labelSelectorAsSelector({}), { any: 'thing' }), 'empty selector matches everything');
  assert.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), {
    message: '"Foo" is not a valid label selector operator',
  });
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
  assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  assert.equal(formatLabels({}), '<none>');
  assert.ok(matchesLabels(selectorFromMap({ app: 'x' }), { app: 'x', other: 'y' }));
});

test('validateLabelSelector and validateLabels', () => {
  const cases: { ls: unknown; want: string[] }[] = [
    { ls: { matchLabels: { app: 'web' } }, want: [] },
    { ls: { matchLabels: { 'bad key': 'v' } }, want: ['FieldValueInvalid spec.selector.matchLabels'] },
    { ls: { matchExpressions: [{ key: 'a', operator: 'In' }] }, want: ['FieldValueRequired spec.selector.matchExpressions[0].values'] },
    {
      ls: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      want: ['FieldValueForbidden spec.selector.matchExpressions[0].values'],
    },
    { ls: { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, want: ['FieldValueInvalid spec.selector.matchExpressions[0].operator'] },
    {
      ls: { matchExpressions: [{ key: '', operator: 'Exists' }] },
      want: ['FieldValueInvalid spec.selector.matchExpressions[0].key', 'FieldValueInvalid spec.selector.matchExpressions[0].key'],
    },
  ];
  for (const c of cases) {
    const got = validateLabelSelector(c.ls, 'spec.selector').map((e) => `${e.type} ${e.field}`);
    assert.deepEqual(got, c.want, JSON.stringify(c.ls));
  }
  assert.deepEqual(validateLabels({ ok: 'fine', 'example.com/x': '' }, 'metadata.labels'), []);
  const errs = validateLabels({ a: 'b c' }, 'metadata.labels');
  assert.equal(errs.length, 1);
  assert.equal(errs[0].value, 'b c');
});
