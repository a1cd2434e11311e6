import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import {
  checkFieldSelector,
  escapeFieldValue,
  fieldSelectorToString,
  fieldValues,
  matchesFields,
  parseFieldSelector,
} from './fields.js';
import type { ResourceType } from './resource.js';
import type { KubeObject } from './object.js';

test('parse and match field selectors', () => {
  const fields = { 'metadata.name': 'a,b', 'spec.nodeName': 'n1', 'status.phase': 'Running', eq: 'x=y' };
  const cases: { sel: string; str: string; match: boolean }[] = [
    { sel: '', str: '', match: true },
    { sel: 'spec.nodeName=n1', str: 'spec.nodeName=n1', match: true },
    { sel: 'spec.nodeName==n1', str: 'spec.nodeName==n1', match: true },
    { sel: 'spec.nodeName!=n1', str: 'spec.nodeName!=n1', match: false },
    { sel: 'spec.nodeName=', str: 'spec.nodeName=', match: false },
    { sel: 'spec.nodeName=n1,status.phase!=Failed', str: 'spec.nodeName=n1,status.phase!=Failed', match: true },
    { sel: 'status.phase=Running,spec.nodeName=n2', str: 'spec.nodeName=n2,status.phase=Running', match: false },
    { sel: 'metadata.name=a\\,b', str: 'metadata.name=a\\,b', match: true },
    { sel: 'eq=x\\=y', str: 'eq=x\\=y', match: true },
    { sel: 'missing=', str: 'missing=', match: true },
    { sel: 'missing!=', str: 'missing!=', match: false },
    { sel: 'spec.nodeName=n1,', str: 'spec.nodeName=n1', match: true },
  ];
  for (const c of cases) {
    const sel = parseFieldSelector(c.sel);
    assert.equal(fieldSelectorToString(sel), c.str, c.sel);
    assert.equal(matchesFields(sel, fields), c.match, c.sel);
  }
});

test('field selector errors are 400', () => {
  const cases: [string, string][] = [
    ['spec.nodeName', "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'"],
    ['a=b,c in (d)', "invalid selector: 'a=b,c in (d)'; can't understand 'c in (d)'"],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b=c', 'invalid field selector: unescaped character in value: ='],
  ];
  for (const [sel, msg] of cases) {
    assert.throws(() => parseFieldSelector(sel), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === msg, sel);
  }
  assert.equal(escapeFieldValue('a\\b,c=d'), 'a\\\\b\\,c\\=d');
});

const fakePods = {
  selectableFields: (o: KubeObject) => ({ 'spec.nodeName': o.spec?.nodeName ?? '' }),
} as unknown as ResourceType;

test('fieldValues and unsupported fields', () => {
  const pod: KubeObject = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n' } };
  assert.deepEqual(fieldValues(fakePods, pod), { 'metadata.name': 'p', 'metadata.namespace': 'ns', 'spec.nodeName': 'n' });
  assert.equal(checkFieldSelector(fakePods, parseFieldSelector('metadata.name=p,spec.nodeName=n')), undefined);
  const err = checkFieldSelector(fakePods, parseFieldSelector('metadata.name=p,foo=bar'));
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, 400);
  assert.equal(err.message, 'field label not supported: foo');
});
