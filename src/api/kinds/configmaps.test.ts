import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { configmaps } from './configmaps.js';

const cm = (extra: Record<string, unknown>): KubeObject => ({ metadata: { name: 'c', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, ...extra });

test('configmap validation', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['valid', { data: { 'app.properties': 'a=b', KEY_1: 'x' }, binaryData: { bin: 'AAEC' } }, []],
    [
      'bad key',
      { data: { 'a/b': 'x' } },
      [`data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`],
    ],
    ['dot keys', { data: { '..x': 'y' } }, [`data[..x]: Invalid value: "..x": must not start with '..'`]],
    ['duplicate across maps', { data: { k: 'x' }, binaryData: { k: 'AAEC' } }, ['binaryData[k]: Invalid value: "k": duplicate of key present in data']],
    ['too big', { data: { k: 'x'.repeat(1024 * 1024 + 1) } }, ['data: Too long: must have at most 1048576 bytes']],
  ];
  for (const [name, extra, want] of cases) assert.deepEqual(configmaps.validate(cm(extra)).map(fieldErrorText), want, name);
  const old = cm({ immutable: true, data: { a: '1' } });
  assert.deepEqual(configmaps.validate(cm({ immutable: true, data: { a: '2' } }), old).map(fieldErrorText), [
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
});

test('configmap defaults drop empty data and binaryData, as Go omitempty maps', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['empty maps', { data: {}, binaryData: {} }, {}],
    ['null', { data: null }, {}],
    ['kept when set', { data: { a: '1' }, binaryData: {} }, { data: { a: '1' } }],
  ];
  for (const [name, extra, want] of cases) {
    const obj = cm(extra);
    configmaps.defaults(obj);
    const { metadata: _m, ...rest } = obj;
    assert.deepEqual(rest, want, name);
  }
});

test('configmap table', () => {
  assert.deepEqual(configmaps.cells(cm({ data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), Date.parse('2024-01-01T00:00:01Z')), [3, '1s']);
  assert.deepEqual(configmaps.shortNames, ['cm']);
});
