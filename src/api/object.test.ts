import { test } from 'node:test';
import assert from 'node:assert/strict';
import { omitEmptyMetadata, type ObjectMeta } from './object.js';

test('omitEmptyMetadata drops null and empty metadata maps and lists, and keeps the rest', () => {
  const cases: [string, ObjectMeta, ObjectMeta][] = [
    ['empty maps', { name: 'a', labels: {}, annotations: {} }, { name: 'a' }],
    ['empty lists', { name: 'a', finalizers: [], ownerReferences: [] }, { name: 'a' }],
    ['null', { name: 'a', labels: null as never, annotations: null as never }, { name: 'a' }],
    ['set ones stay', { name: 'a', labels: { x: 'y' }, finalizers: ['f'] }, { name: 'a', labels: { x: 'y' }, finalizers: ['f'] }],
    // An empty managedFields list asks for tracking to be reset: the field manager needs to see it.
    ['managedFields stays', { name: 'a', managedFields: [] }, { name: 'a', managedFields: [] }],
  ];
  for (const [name, meta, want] of cases) {
    omitEmptyMetadata(meta);
    assert.deepEqual(meta, want, name);
  }
});
