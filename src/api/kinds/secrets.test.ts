import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { secrets } from './secrets.js';

const secret = (extra: Record<string, unknown>): KubeObject => ({ metadata: { name: 's', namespace: 'default' }, ...extra });

test('secret defaults fold stringData into data', () => {
  const s = secret({ data: { a: 'eA==' }, stringData: { b: 'hello' } });
  secrets.defaults(s);
  assert.equal(s.type, 'Opaque');
  assert.deepEqual(s.data, { a: 'eA==', b: 'aGVsbG8=' });
  assert.equal(s.stringData, undefined);
});

test('secret defaults leave no empty data or stringData', () => {
  for (const extra of [{ data: {} }, { data: {}, stringData: {} }, { stringData: null }]) {
    const s = secret(extra);
    secrets.defaults(s);
    assert.deepEqual({ ...s, metadata: undefined }, { metadata: undefined, type: 'Opaque' }, JSON.stringify(extra));
  }
});

test('secret validation', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['valid', { type: 'Opaque', data: { a: 'aGVsbG8=' } }, []],
    ['not base64', { type: 'Opaque', data: { a: 'hello!' } }, ['data[a]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 5']],
    ['bad length', { type: 'Opaque', data: { a: 'aGVsbG8' } }, ['data[a]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 4']],
    ['tls needs both keys', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'AA==' } }, ['data[tls.key]: Required value']],
    ['basic auth', { type: 'kubernetes.io/basic-auth', data: {} }, ['data[username]: Required value', 'data[password]: Required value']],
  ];
  for (const [name, extra, want] of cases) assert.deepEqual(secrets.validate(secret(extra)).map(fieldErrorText), want, name);
  assert.deepEqual(secrets.validate(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'AA==', 'tls.key': 'AA==' } }), secret({ type: 'Opaque' })).map(fieldErrorText), [
    'type: Invalid value: "kubernetes.io/tls": field is immutable',
  ]);
});

test('secret table and fields', () => {
  const s = secret({ type: 'Opaque', data: { a: 'AA==', b: 'AA==' } });
  assert.deepEqual(secrets.cells(s, 0), ['Opaque', 2, '<unknown>']);
  assert.deepEqual(secrets.selectableFields(s), { type: 'Opaque' });
  assert.deepEqual(secrets.columns.map((c) => c.name), ['Type', 'Data', 'Age']);
  assert.deepEqual(secrets.shortNames, []);
});
