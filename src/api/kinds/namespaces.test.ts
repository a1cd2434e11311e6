import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { namespaces } from './namespaces.js';

test('namespace defaults, validation and table', () => {
  const ns: KubeObject = { metadata: { name: 'team-a', labels: { owner: 'me' }, creationTimestamp: '2024-01-01T00:00:00Z' } };
  namespaces.defaults(ns);
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.equal(ns.status.phase, 'Active');
  assert.deepEqual(ns.metadata.labels, { owner: 'me', 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(namespaces.validate(ns), []);
  assert.deepEqual(namespaces.cells(ns, Date.parse('2024-01-01T00:00:05Z')), ['Active', '5s']);
  assert.deepEqual(namespaces.selectableFields(ns), { 'status.phase': 'Active' });
  ns.spec.finalizers = ['not valid!'];
  assert.deepEqual(namespaces.validate(ns).map((e) => e.field), ['spec.finalizers']);
});
