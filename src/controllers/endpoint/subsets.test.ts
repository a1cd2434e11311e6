import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { findPort, shouldPodBeInEndpoints } from './pod-endpoints.js';
import {
  desiredSubsets,
  repackSubsets,
  subsetsEqual,
  truncateSubsets,
  type EndpointAddress,
  type EndpointSubset,
} from './subsets.js';
import { formatTriggerTime, TriggerTimeTracker } from './trigger-time.js';

function service(spec: Record<string, unknown> = {}, name = 'web'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
  };
}

interface PodOpts {
  ip?: string;
  ready?: boolean;
  phase?: string;
  deleting?: boolean;
  ports?: { name: string; containerPort: number; protocol?: string }[];
  hostname?: string;
  subdomain?: string;
  readySince?: string;
}

function pod(name: string, o: PodOpts = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:01:00Z' } : {}) },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'c', image: 'nginx', ports: o.ports }],
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === '' ? {} : { podIP: o.ip ?? '10.0.0.1', podIPs: [{ ip: o.ip ?? '10.0.0.1' }] }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2024-01-01T00:00:05Z' }],
    },
  };
}

const addr = (ip: string, name: string): EndpointAddress => ({ ip, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` } });

describe('shouldPodBeInEndpoints', () => {
  const cases: [string, KubeObject, boolean, boolean][] = [
    ['running pod with an IP', pod('a'), false, true],
    ['no IP yet', pod('a', { ip: '' }), false, false],
    ['succeeded', pod('a', { phase: 'Succeeded' }), false, false],
    ['failed, even publishing not-ready', pod('a', { phase: 'Failed' }), true, false],
    ['terminating', pod('a', { deleting: true }), false, false],
    ['terminating, publishing not-ready', pod('a', { deleting: true }), true, true],
    ['not ready still belongs (as not ready)', pod('a', { ready: false }), false, true],
  ];
  for (const [name, p, includeTerminating, want] of cases) {
    it(name, () => assert.equal(shouldPodBeInEndpoints(p, includeTerminating), want));
  }
});

describe('findPort', () => {
  const p = pod('a', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  const sidecar: KubeObject = {
    ...p,
    spec: { ...p.spec, initContainers: [{ name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }, { name: 'init', ports: [{ name: 'once', containerPort: 9 }] }] },
  };
  const cases: [string, KubeObject, Record<string, unknown>, number | undefined][] = [
    ['number as is', p, { port: 80, targetPort: 9376 }, 9376],
    ['unset: the service port', p, { port: 80 }, 80],
    ['named', p, { port: 80, targetPort: 'http' }, 8080],
    ['named, protocol must match', p, { port: 53, targetPort: 'dns' }, undefined],
    ['named UDP', p, { port: 53, protocol: 'UDP', targetPort: 'dns' }, 53],
    ['missing name', p, { port: 80, targetPort: 'metrics' }, undefined],
    ['a sidecar port', sidecar, { port: 80, targetPort: 'proxy' }, 15001],
    ['not a plain init container port', sidecar, { port: 80, targetPort: 'once' }, undefined],
  ];
  for (const [name, pd, sp, want] of cases) {
    it(name, () => assert.equal(findPort(pd, sp), want));
  }
});

describe('desiredSubsets', () => {
  it('packs ready pods in one subset, sorted by IP, not-ready ones beside them', () => {
    const got = desiredSubsets(service(), [pod('b', { ip: '10.0.0.9' }), pod('a', { ip: '10.0.0.10' }), pod('c', { ip: '10.0.0.2', ready: false })]);
    assert.deepEqual(got.subsets, [
      {
        addresses: [addr('10.0.0.10', 'a'), addr('10.0.0.9', 'b')],
        notReadyAddresses: [addr('10.0.0.2', 'c')],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
    assert.equal(got.ready, 2);
    assert.equal(got.notReady, 1);
  });

  it('resolves named target ports per pod, skipping pods without the port', () => {
    const svc = service({ ports: [{ name: 'web', port: 80, protocol: 'TCP', targetPort: 'http' }] });
    const got = desiredSubsets(svc, [
      pod('a', { ip: '10.0.0.1', ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', { ip: '10.0.0.2', ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('c', { ip: '10.0.0.3' }),
    ]);
    assert.deepEqual(got.subsets, [
      { addresses: [addr('10.0.0.1', 'a')], ports: [{ name: 'web', port: 8080, protocol: 'TCP' }] },
      { addresses: [addr('10.0.0.2', 'b')], ports: [{ name: 'web', port: 9090, protocol: 'TCP' }] },
    ]);
  });

  it('ports offered on the same addresses share a subset', () => {
    const svc = service({
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
        { name: 'admin', port: 81, protocol: 'TCP', targetPort: 'admin' },
        { name: 'metrics', port: 9100, protocol: 'TCP', targetPort: 9100 },
      ],
    });
    const both = [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 8081 }];
    const got = desiredSubsets(svc, [pod('a', { ip: '10.0.0.1', ports: both }), pod('b', { ip: '10.0.0.2' }), pod('c', { ip: '10.0.0.3', ports: both })]);
    assert.deepEqual(got.subsets, [
      {
        addresses: [addr('10.0.0.1', 'a'), addr('10.0.0.2', 'b'), addr('10.0.0.3', 'c')],
        ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }],
      },
      {
        addresses: [addr('10.0.0.1', 'a'), addr('10.0.0.3', 'c')],
        ports: [
          { name: 'admin', port: 8081, protocol: 'TCP' },
          { name: 'http', port: 8080, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('publishNotReadyAddresses: every pod ready, terminating ones included', () => {
    const got = desiredSubsets(service({ publishNotReadyAddresses: true }), [pod('a', { ready: false, ip: '10.0.0.1' }), pod('b', { deleting: true, ip: '10.0.0.2' })]);
    assert.deepEqual(got.subsets, [{ addresses: [addr('10.0.0.1', 'a'), addr('10.0.0.2', 'b')], ports: [{ port: 8080, protocol: 'TCP' }] }]);
  });

  it('headless without ports: bare addresses; hostname only under the matching subdomain', () => {
    const svc = service({ clusterIP: 'None', ports: [] });
    const got = desiredSubsets(svc, [pod('a', { ip: '10.0.0.1', hostname: 'a', subdomain: 'web' }), pod('b', { ip: '10.0.0.2', hostname: 'b', subdomain: 'other' })]);
    assert.deepEqual(got.subsets, [{ addresses: [{ ...addr('10.0.0.1', 'a'), hostname: 'a' }, addr('10.0.0.2', 'b')] }]);
    // A Service with a cluster IP and no ports cannot exist; it would list nothing.
    assert.deepEqual(desiredSubsets(service({ ports: [] }), [pod('a')]).subsets, []);
  });

  it('takes the pod IP of the Service family', () => {
    const dual = pod('a', { ip: '10.0.0.1' });
    dual.status.podIPs = [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }];
    assert.equal(desiredSubsets(service({ ipFamilies: ['IPv6'] }), [dual]).subsets[0]?.addresses?.[0]?.ip, 'fd00::1');
    assert.deepEqual(desiredSubsets(service({ ipFamilies: ['IPv6'] }), [pod('b')]).subsets, []);
  });
});

describe('repackSubsets', () => {
  it('merges duplicates; not ready on a port wins over ready', () => {
    const p = { port: 80, protocol: 'TCP' };
    const got = repackSubsets([
      { addresses: [addr('10.0.0.1', 'a')], ports: [p] },
      { notReadyAddresses: [addr('10.0.0.1', 'a')], ports: [p] },
      { addresses: [addr('10.0.0.2', 'b')], ports: [p] },
      { addresses: [addr('10.0.0.2', 'b')], ports: [p] },
    ]);
    assert.deepEqual(got, [{ addresses: [addr('10.0.0.2', 'b')], notReadyAddresses: [addr('10.0.0.1', 'a')], ports: [p] }]);
  });

  it('is independent of input order', () => {
    const subsets: EndpointSubset[] = [
      { addresses: [addr('10.0.0.3', 'c')], ports: [{ name: 'a', port: 1, protocol: 'TCP' }] },
      { addresses: [addr('10.0.0.1', 'a')], ports: [{ name: 'b', port: 2, protocol: 'TCP' }] },
      { notReadyAddresses: [addr('10.0.0.2', 'b')], ports: [{ name: 'a', port: 1, protocol: 'TCP' }] },
    ];
    assert.deepEqual(repackSubsets(subsets), repackSubsets([...subsets].reverse()));
  });
});

describe('truncateSubsets', () => {
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => addr(`${prefix}.${i}`, `${prefix}-${i}`));
  const count = (ss: EndpointSubset[], k: 'addresses' | 'notReadyAddresses') => ss.reduce((n, s) => n + (s[k]?.length ?? 0), 0);

  it('leaves subsets within capacity alone', () => {
    const ss = [{ addresses: many('10.0.0', 3), ports: [{ port: 80, protocol: 'TCP' }] }];
    assert.deepEqual(truncateSubsets(ss, 3), { subsets: ss, truncated: false });
  });

  it('keeps ready addresses first, not-ready ones in the room left', () => {
    const { subsets, truncated } = truncateSubsets([{ addresses: many('10.0.0', 6), notReadyAddresses: many('10.0.1', 6) }], 10);
    assert.equal(truncated, true);
    assert.equal(count(subsets, 'addresses'), 6);
    assert.equal(count(subsets, 'notReadyAddresses'), 4);
  });

  it('shares the room among subsets in proportion when ready ones alone are too many', () => {
    const { subsets } = truncateSubsets(
      [
        { addresses: many('10.0.0', 1500), notReadyAddresses: many('10.0.9', 3), ports: [{ port: 80, protocol: 'TCP' }] },
        { addresses: many('10.0.1', 500), ports: [{ port: 81, protocol: 'TCP' }] },
        { notReadyAddresses: many('10.0.2', 5), ports: [{ port: 82, protocol: 'TCP' }] },
      ],
      1000,
    );
    assert.deepEqual(
      subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]),
      [
        [750, 0],
        [250, 0],
      ],
    );
  });
});

describe('subsetsEqual', () => {
  it('ignores empty lists, missing defaults and target resourceVersions', () => {
    const ours: EndpointSubset[] = [{ addresses: [addr('10.0.0.1', 'a')], ports: [{ port: 80, protocol: 'TCP' }] }];
    const stored = [{ addresses: [{ ...addr('10.0.0.1', 'a'), targetRef: { ...addr('10.0.0.1', 'a').targetRef, resourceVersion: '7' } }], notReadyAddresses: [], ports: [{ port: 80 }] }];
    assert.equal(subsetsEqual(stored, ours), true);
    assert.equal(subsetsEqual(undefined, []), true);
    assert.equal(subsetsEqual(stored, [{ ...ours[0], ports: [{ port: 81, protocol: 'TCP' }] }]), false);
  });
});

describe('TriggerTimeTracker', () => {
  it('first sync: the Service creation; then the earliest change since the last sync', () => {
    const t = new TriggerTimeTracker();
    const svc = service();
    const a = pod('a', { readySince: '2024-01-01T00:00:05Z' });
    assert.equal(t.compute('ns/web', svc, [a]), Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(t.compute('ns/web', svc, [a]), undefined);
    const b = pod('b', { readySince: '2024-01-01T00:00:09Z' });
    const a2 = pod('a', { ready: false, readySince: '2024-01-01T00:00:07Z' });
    assert.equal(t.compute('ns/web', svc, [a2, b]), Date.parse('2024-01-01T00:00:07Z'));
    t.delete('ns/web');
    assert.equal(t.compute('ns/web', svc, [a2, b]), Date.parse('2024-01-01T00:00:00Z'));
  });

  it('formats as Go RFC3339Nano', () => {
    assert.equal(formatTriggerTime(Date.parse('2024-01-01T00:00:10Z')), '2024-01-01T00:00:10Z');
    assert.equal(formatTriggerTime(Date.parse('2024-01-01T00:00:10.120Z')), '2024-01-01T00:00:10.12Z');
  });
});
