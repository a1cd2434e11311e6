import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { leases } from './leases.js';

const lease = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'n1', namespace: 'kube-node-lease', creationTimestamp: '2024-01-01T00:00:00Z' }, spec });

test('lease validation and table', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['valid', { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2024-01-01T00:00:00.000000Z' }, []],
    ['zero duration', { leaseDurationSeconds: 0 }, ['spec.leaseDurationSeconds']],
    ['negative transitions', { leaseTransitions: -1 }, ['spec.leaseTransitions']],
    ['bad time', { renewTime: 'yesterday' }, ['spec.renewTime']],
  ];
  for (const [name, spec, want] of cases) assert.deepEqual(leases.validate(lease(spec)).map((e) => e.field), want, name);
  assert.deepEqual(leases.cells(lease({ holderIdentity: 'n1' }), Date.parse('2024-01-01T00:00:40Z')), ['n1', '40s']);
  assert.deepEqual(leases.cells(lease({}), Date.parse('2024-01-01T00:00:40Z')), ['', '40s']);
  assert.equal(leases.group, 'coordination.k8s.io');
});
