import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { addressTypesFor, reconcileSlices, type ReconcileInput, type SlicePlan } from './reconciler.js';
import { endpointKey, portMapKey } from './slice-utils.js';

const controllerName = 'endpointslice-controller.k8s.io';

function service(spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', ...(labels ? { labels } : {}) },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
  };
}

interface PodOpts {
  ready?: boolean;
  deleting?: boolean;
  node?: string;
  ports?: { name: string; containerPort: number }[];
  ips?: string[];
}

function pod(name: string, ip: string, o: PodOpts = {}): KubeObject {
  const ips = o.ips ?? [ip];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'n1', containers: [{ name: 'c', ports: o.ports ?? [] }] },
    status: { phase: 'Running', podIP: ips[0], podIPs: ips.map((i) => ({ ip: i })), conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const nodes: Record<string, KubeObject> = {
  n1: { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } },
  n2: { metadata: { name: 'n2' } },
};

function plan(over: Partial<ReconcileInput>): SlicePlan {
  return reconcileSlices({ service: service(), pods: [], existing: [], node: (n) => nodes[n], maxEndpointsPerSlice: 100, controllerName, ...over });
}

/** Turns planned creates into stored slices (named web-0, web-1 ...), as the API would. */
function stored(p: SlicePlan, existing: KubeObject[] = []): KubeObject[] {
  const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
  for (const u of p.update) byName.set(u.metadata.name!, { ...u, metadata: { ...u.metadata, generation: (u.metadata.generation ?? 1) + 1 } });
  for (const d of p.delete) byName.delete(d.metadata.name!);
  let n = byName.size;
  for (const c of p.create) {
    const name = `web-${n++}`;
    byName.set(name, { ...c, metadata: { ...c.metadata, name, uid: `slice-${name}`, generation: 1 } });
  }
  return [...byName.values()];
}

const addressesOf = (slices: KubeObject[]) => slices.flatMap((s) => (s.endpoints ?? []).flatMap((e: { addresses: string[] }) => e.addresses)).sort();

describe('reconcileSlices', () => {
  it('a new Service gets one slice with every pod, labelled and owned as kube does', () => {
    const p = plan({ pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false, node: 'n2' })] });
    assert.equal(p.update.length + p.delete.length, 0);
    assert.equal(p.create.length, 1);
    const s = p.create[0]!;
    assert.equal(s.metadata.generateName, 'web-');
    assert.deepEqual(s.metadata.labels, { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': controllerName });
    assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: '', protocol: 'TCP', port: 8080 }]);
    assert.deepEqual(s.endpoints, [
      { addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' }, nodeName: 'n1', zone: 'zone-a' },
      { addresses: ['10.0.0.2'], conditions: { ready: false, serving: false, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'uid-b' }, nodeName: 'n2' },
    ]);
  });

  it('writes nothing when nothing changed; a pod turning unready updates its slice in place', () => {
    const pods = [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')];
    const slices = stored(plan({ pods }));
    assert.deepEqual(plan({ pods, existing: slices }), { create: [], update: [], delete: [], podsOnMissingNodes: [] });
    const p = plan({ pods: [pods[0]!, pod('b', '10.0.0.2', { ready: false })], existing: slices });
    assert.equal(p.create.length + p.delete.length, 0);
    assert.equal(p.update.length, 1);
    assert.equal(p.update[0]!.metadata.name, 'web-0');
    assert.deepEqual(p.update[0]!.endpoints[1].conditions, { ready: false, serving: false, terminating: false });
  });

  it('terminating pods stay, not ready but serving; ready anyway with publishNotReadyAddresses', () => {
    const pods = [pod('a', '10.0.0.1', { deleting: true })];
    assert.deepEqual(plan({ pods }).create[0]!.endpoints[0].conditions, { ready: false, serving: true, terminating: true });
    const published = plan({ pods, service: service({ publishNotReadyAddresses: true }) });
    assert.deepEqual(published.create[0]!.endpoints[0].conditions, { ready: true, serving: true, terminating: true });
  });

  it('splits at maxEndpointsPerSlice, and a new pod fills the fullest slice it fits', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.0.0.${i + 1}`));
    const p = plan({ pods, maxEndpointsPerSlice: 2 });
    assert.deepEqual(p.create.map((s) => s.endpoints.length), [2, 2, 1]);
    const slices = stored(p);
    const more = plan({ pods: [...pods, pod('p5', '10.0.0.6')], existing: slices, maxEndpointsPerSlice: 2 });
    assert.equal(more.create.length, 0);
    assert.equal(more.update.length, 1);
    assert.equal(more.update[0]!.endpoints.length, 2, 'the one-endpoint slice took it');
  });

  it('a Service without endpoints keeps one placeholder slice; the last pod leaving reuses its slice', () => {
    const empty = plan({});
    assert.equal(empty.create.length, 1);
    assert.deepEqual(empty.create[0]!.endpoints, []);
    assert.deepEqual(empty.create[0]!.ports, []);
    assert.deepEqual(plan({ existing: stored(empty) }), { create: [], update: [], delete: [], podsOnMissingNodes: [] });

    const withPod = stored(plan({ pods: [pod('a', '10.0.0.1')] }));
    const gone = plan({ existing: withPod });
    assert.equal(gone.create.length + gone.delete.length, 0, 'the emptied slice becomes the placeholder');
    assert.equal(gone.update[0]!.metadata.name, 'web-0');
    assert.deepEqual(gone.update[0]!.endpoints, []);
    assert.deepEqual(gone.update[0]!.ports, []);
  });

  it('copies the Service labels but the reserved ones; a label change alone is an update', () => {
    const svc = service({ clusterIP: 'None' }, { tier: 'front', 'kubernetes.io/service-name': 'spoof' });
    const p = plan({ service: svc, pods: [pod('a', '10.0.0.1')] });
    assert.deepEqual(p.create[0]!.metadata.labels, {
      tier: 'front',
      'service.kubernetes.io/headless': '',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': controllerName,
    });
    const relabelled = plan({ service: service({ clusterIP: 'None' }, { tier: 'back' }), pods: [pod('a', '10.0.0.1')], existing: stored(p) });
    assert.equal(relabelled.update.length, 1);
    assert.equal(relabelled.update[0]!.metadata.labels?.tier, 'back');
  });

  it('pods resolving a named port differently land in different slices', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'web' }] });
    const p = plan({
      service: svc,
      pods: [pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080 }] }), pod('b', '10.0.0.2', { ports: [{ name: 'web', containerPort: 9090 }] })],
    });
    assert.deepEqual(p.create.map((s) => s.ports[0].port).sort(), [8080, 9090]);
    assert.deepEqual(p.create.map((s) => s.ports[0].name), ['http', 'http']);
  });

  it('leaves out pods on unknown nodes (and says so), unless not-ready addresses are published', () => {
    const p = plan({ pods: [pod('a', '10.0.0.1', { node: 'ghost' }), pod('b', '10.0.0.2')] });
    assert.deepEqual(addressesOf(p.create), ['10.0.0.2']);
    assert.deepEqual(p.podsOnMissingNodes, ['ns/a']);
    const published = plan({ service: service({ publishNotReadyAddresses: true }), pods: [pod('a', '10.0.0.1', { node: 'ghost' })] });
    assert.deepEqual(addressesOf(published.create), ['10.0.0.1']);
  });

  it('dual-stack Services get a slice per family; a slice of another owner or family goes', () => {
    const svc = service({ ipFamilies: ['IPv4', 'IPv6'] });
    const p = plan({ service: svc, pods: [pod('a', '10.0.0.1', { ips: ['10.0.0.1', 'fd00::1'] })] });
    assert.deepEqual(p.create.map((s) => [s.addressType, s.endpoints[0].addresses]), [['IPv4', ['10.0.0.1']], ['IPv6', ['fd00::1']]]);

    const foreign = stored(plan({ pods: [pod('a', '10.0.0.1')] })).map((s) => ({ ...s, metadata: { ...s.metadata, ownerReferences: [{ ...s.metadata.ownerReferences![0]!, uid: 'old-svc' }] } }));
    const replaced = plan({ pods: [pod('a', '10.0.0.1')], existing: foreign });
    assert.deepEqual(replaced.delete.map((s) => s.metadata.name), ['web-0']);
    assert.equal(replaced.create.length, 1, 'a namesake\'s slice is never taken over');
  });

  it('address types and keys', () => {
    assert.deepEqual(addressTypesFor(service({ ipFamilies: undefined, clusterIP: 'fd00::10' })), ['IPv6']);
    assert.deepEqual(addressTypesFor(service({ ipFamilies: undefined, clusterIP: 'None' })), ['IPv4', 'IPv6']);
    assert.equal(portMapKey([{ port: 1 }, { name: 'b', port: 2, protocol: 'UDP' }]), portMapKey([{ name: 'b', port: 2, protocol: 'UDP' }, { name: '', port: 1, protocol: 'TCP' }]));
    assert.equal(endpointKey({ addresses: ['b', 'a'], targetRef: { name: 'p', namespace: 'ns', uid: '1' } }), endpointKey({ addresses: ['a', 'b'], targetRef: { name: 'p', namespace: 'ns', uid: '2' } }));
  });
});
