import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { nodes } from './nodes.js';

function node(labels: Record<string, string>, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { metadata: { name: 'n1', labels, creationTimestamp: '2024-01-01T00:00:00Z' }, spec, status };
}

test('node table', () => {
  const now = Date.parse('2024-01-03T00:00:00Z');
  const ready = [{ type: 'Ready', status: 'True' }];
  const info = { kubeletVersion: 'v1.31.0', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'containerd://1.7' };
  const cases: { name: string; node: KubeObject; want: unknown[] }[] = [
    {
      name: 'ready control plane',
      node: node({ 'node-role.kubernetes.io/control-plane': '' }, {}, {
        conditions: ready,
        nodeInfo: info,
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
      }),
      want: ['Ready', 'control-plane', '2d', 'v1.31.0', '192.168.1.10', '<none>', 'Debian', '6.1', 'containerd://1.7'],
    },
    {
      name: 'cordoned and not ready',
      node: node({ 'kubernetes.io/role': 'worker' }, { unschedulable: true }, { conditions: [{ type: 'Ready', status: 'False' }] }),
      want: ['NotReady,SchedulingDisabled', 'worker', '2d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    },
    { name: 'no conditions', node: node({}, {}, {}), want: ['Unknown', '<none>', '2d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'] },
  ];
  for (const c of cases) assert.deepEqual(nodes.cells(c.node, now), c.want, c.name);
  assert.deepEqual(nodes.columns.filter((c) => c.priority === 0).map((c) => c.name), ['Status', 'Roles', 'Age', 'Version']);
});

test('node defaults, validation, fields', () => {
  const n = node({}, { unschedulable: true, taints: [{ key: 'k', effect: 'Sometimes' }] }, { capacity: { cpu: '4', memory: '8Gi', pods: '110' } });
  nodes.defaults(n);
  assert.deepEqual(n.status.allocatable, { cpu: '4', memory: '8Gi', pods: '110' });
  assert.deepEqual(nodes.validate(n).map((e) => e.field), ['spec.taints[0].effect']);
  assert.deepEqual(nodes.selectableFields(n), { 'spec.unschedulable': 'true' });
  const msg = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
  const cidrErrors = (spec: Record<string, unknown>) => nodes.validate(node({}, spec, {})).map(fieldErrorText);
  assert.deepEqual(cidrErrors({ podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] }), []);
  assert.deepEqual(cidrErrors({ podCIDR: '10.244.1.0' }), [`spec.podCIDRs[0]: Invalid value: "10.244.1.0": ${msg}`]);
  assert.deepEqual(cidrErrors({ podCIDRs: ['10.244.1.0/24', '10.244.1.0/33', 'nope'] }), [
    `spec.podCIDRs[1]: Invalid value: "10.244.1.0/33": ${msg}`,
    `spec.podCIDRs[2]: Invalid value: "nope": ${msg}`,
  ]);
  assert.equal(nodes.namespaced, false);
});
