import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { controllerName, planMirroredSlices, shouldMirror, type MirrorPlan } from './reconciler.js';

const owner = { apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: 'ep-uid', controller: true, blockOwnerDeletion: true };
const baseLabels = { 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': controllerName };

function endpoints(subsets: unknown[], meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ext', namespace: 'ns', uid: 'ep-uid', ...meta }, subsets };
}

const port = (p: number, name?: string) => ({ ...(name ? { name } : {}), port: p, protocol: 'TCP' });
const slicePort = (p: number, name = '') => ({ name, port: p, protocol: 'TCP' });
const ready = (ip: string, extra: Record<string, unknown> = {}) => ({ addresses: [ip], conditions: { ready: true }, ...extra });
const notReady = (ip: string) => ({ addresses: [ip], conditions: { ready: false } });

/** A slice as the API would return it from an earlier sync. */
function existing(name: string, addressType: string, ports: unknown[], eps: unknown[], meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '7', generation: 1, labels: meta.labels ?? baseLabels, ...(meta.annotations ? { annotations: meta.annotations } : {}), ownerReferences: [owner] },
    addressType,
    endpoints: eps,
    ports,
  };
}

/** What a plan does, in a form a table can state. */
function summary(plan: MirrorPlan) {
  const show = (s: KubeObject) => ({
    name: s.metadata.name ?? `${s.metadata.generateName}*`,
    addressType: s.addressType,
    ports: s.ports,
    endpoints: s.endpoints,
  });
  return {
    create: plan.create.map(show),
    update: plan.update.map(show),
    delete: plan.delete.map((s) => s.metadata.name),
    invalid: plan.invalidAddresses,
    skipped: plan.skippedAddresses,
  };
}

interface Case {
  name: string;
  endpoints: KubeObject;
  existing?: KubeObject[];
  max?: number;
  want: ReturnType<typeof summary>;
}

const none = { create: [], update: [], delete: [], invalid: 0, skipped: 0 };

const cases: Case[] = [
  {
    name: 'ready and not-ready addresses of one subset make one slice',
    endpoints: endpoints([{ addresses: [{ ip: '10.1.2.4' }, { ip: '10.1.2.3' }], notReadyAddresses: [{ ip: '10.1.2.5' }], ports: [port(8080)] }]),
    want: { ...none, create: [{ name: 'ext-*', addressType: 'IPv4', ports: [slicePort(8080)], endpoints: [ready('10.1.2.3'), ready('10.1.2.4'), notReady('10.1.2.5')] }] },
  },
  {
    name: 'hostname, node and target are copied',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1', hostname: 'db-0', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'db-0', uid: 'u' } }], ports: [port(5432, 'pg')] }]),
    want: {
      ...none,
      create: [
        {
          name: 'ext-*',
          addressType: 'IPv4',
          ports: [slicePort(5432, 'pg')],
          endpoints: [ready('10.0.0.1', { hostname: 'db-0', targetRef: { kind: 'Pod', namespace: 'ns', name: 'db-0', uid: 'u' }, nodeName: 'n1' })],
        },
      ],
    },
  },
  {
    name: 'IPv4 and IPv6 addresses go to a slice each',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], ports: [port(80)] }]),
    want: {
      ...none,
      create: [
        { name: 'ext-*', addressType: 'IPv4', ports: [slicePort(80)], endpoints: [ready('10.0.0.1')] },
        { name: 'ext-*', addressType: 'IPv6', ports: [slicePort(80)], endpoints: [ready('fd00::1')] },
      ],
    },
  },
  {
    name: 'subsets on different ports make different slices',
    endpoints: endpoints([
      { addresses: [{ ip: '10.0.0.1' }], ports: [port(80)] },
      { addresses: [{ ip: '10.0.0.2' }], ports: [port(443)] },
    ]),
    want: {
      ...none,
      create: [
        { name: 'ext-*', addressType: 'IPv4', ports: [slicePort(80)], endpoints: [ready('10.0.0.1')] },
        { name: 'ext-*', addressType: 'IPv4', ports: [slicePort(443)], endpoints: [ready('10.0.0.2')] },
      ].sort((a, b) => (JSON.stringify(a.ports) < JSON.stringify(b.ports) ? -1 : 1)),
    },
  },
  {
    name: 'at most max addresses per subset, ready ones first; the rest are counted as skipped',
    max: 2,
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], notReadyAddresses: [{ ip: '10.0.0.3' }], ports: [port(80)] }]),
    want: { ...none, skipped: 1, create: [{ name: 'ext-*', addressType: 'IPv4', ports: [slicePort(80)], endpoints: [ready('10.0.0.1'), ready('10.0.0.2')] }] },
  },
  {
    name: 'an address that is not an IP is left out and counted',
    endpoints: endpoints([{ addresses: [{ ip: 'example.com' }, { ip: '10.0.0.1' }], ports: [port(80)] }]),
    want: { ...none, invalid: 1, skipped: 1, create: [{ name: 'ext-*', addressType: 'IPv4', ports: [slicePort(80)], endpoints: [ready('10.0.0.1')] }] },
  },
  {
    name: 'nothing changed: no writes',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [port(80)] }]),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')])],
    want: none,
  },
  {
    name: 'a readiness change rewrites the slice in place',
    endpoints: endpoints([{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [port(80)] }]),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')])],
    want: { ...none, update: [{ name: 'ext-aaaaa', addressType: 'IPv4', ports: [slicePort(80)], endpoints: [notReady('10.0.0.1')] }] },
  },
  {
    name: 'a label change on the Endpoints rewrites the slice',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [port(80)] }], { labels: { tier: 'db' } }),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')])],
    want: { ...none, update: [{ name: 'ext-aaaaa', addressType: 'IPv4', ports: [slicePort(80)], endpoints: [ready('10.0.0.1')] }] },
  },
  {
    name: 'uncopied annotations do not count as a change',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [port(80)] }], {
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' },
    }),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')])],
    want: none,
  },
  {
    name: 'a second slice for the same ports goes',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [port(80)] }]),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')]), existing('ext-bbbbb', 'IPv4', [slicePort(80)], [ready('10.0.0.9')])],
    want: { ...none, delete: ['ext-bbbbb'] },
  },
  {
    name: 'new ports: the old slice is recycled rather than deleted and a new one created',
    endpoints: endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [port(81)] }]),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')])],
    want: { ...none, update: [{ name: 'ext-aaaaa', addressType: 'IPv4', ports: [slicePort(81)], endpoints: [ready('10.0.0.1')] }] },
  },
  {
    name: 'no subsets: every slice goes',
    endpoints: endpoints([]),
    existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')]), existing('ext-ccccc', 'IPv6', [slicePort(80)], [ready('fd00::1')])],
    want: { ...none, delete: ['ext-aaaaa', 'ext-ccccc'] },
  },
];

describe('planMirroredSlices', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planMirroredSlices({ endpoints: c.endpoints, existing: c.existing ?? [], maxEndpointsPerSubset: c.max ?? 1000 });
      const got = summary(plan);
      got.create.sort((a, b) => (JSON.stringify([a.addressType, a.ports]) < JSON.stringify([b.addressType, b.ports]) ? -1 : 1));
      assert.deepEqual(got, c.want);
    });
  }

  it('labels, annotates and owns new slices as kube does', () => {
    const ep = endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [port(80)] }], {
      labels: { tier: 'db', 'kubernetes.io/service-name': 'other', 'endpointslice.kubernetes.io/managed-by': 'me' },
      annotations: { note: 'kept', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'endpoints.kubernetes.io/last-change-trigger-time': 'x' },
    });
    const [slice] = planMirroredSlices({ endpoints: ep, existing: [], maxEndpointsPerSubset: 1000 }).create;
    assert.deepEqual(slice!.metadata, {
      generateName: 'ext-',
      namespace: 'ns',
      labels: { tier: 'db', ...baseLabels },
      annotations: { note: 'kept' },
      ownerReferences: [owner],
    });
  });

  it('an update keeps the slice\'s identity and version', () => {
    const ep = endpoints([{ addresses: [{ ip: '10.0.0.2' }], ports: [port(80)] }]);
    const [slice] = planMirroredSlices({ endpoints: ep, existing: [existing('ext-aaaaa', 'IPv4', [slicePort(80)], [ready('10.0.0.1')])], maxEndpointsPerSubset: 1000 }).update;
    assert.equal(slice!.metadata.uid, 'uid-ext-aaaaa');
    assert.equal(slice!.metadata.resourceVersion, '7');
    assert.equal(slice!.metadata.generateName, undefined);
  });
});

describe('shouldMirror', () => {
  const table: [string, KubeObject['metadata'], boolean][] = [
    ['plain', { name: 'a' }, true],
    ['skip-mirror true', { name: 'a', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, false],
    ['skip-mirror other', { name: 'a', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'false' } }, true],
    ['leader election lock', { name: 'a', annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } }, false],
  ];
  for (const [name, metadata, want] of table) it(name, () => assert.equal(shouldMirror({ metadata }), want));
});
