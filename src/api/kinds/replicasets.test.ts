import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { replicasets } from './replicasets.js';

function rs(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }] } },
      ...spec,
    },
  };
}

test('replicaset defaults, validation and table', () => {
  const r = rs();
  replicasets.defaults(r);
  assert.equal(r.spec.replicas, 1);
  assert.deepEqual(replicasets.validate(r), []);

  const bad = rs({ selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } });
  replicasets.defaults(bad);
  assert.deepEqual(replicasets.validate(bad).map(fieldErrorText), [
    'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
  ]);

  assert.deepEqual(replicasets.columns.map((c) => c.name), ['Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
  r.status = { replicas: 1, readyReplicas: 0 };
  assert.deepEqual(replicasets.cells(r, Date.parse('2024-01-01T00:00:30Z')), [1, 1, 0, '30s', 'a,b', 'x:1,y:2', 'app in (web)']);
  assert.deepEqual(replicasets.selectableFields(r), { 'status.replicas': '1' });
  assert.deepEqual(replicasets.shortNames, ['rs']);
});
