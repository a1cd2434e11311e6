/**
 * The mirroring controller's sync and event handling against recording fakes: informers whose
 * caches the test fills, and a client that records (or fails) slice writes and, like a watch
 * would, puts what it wrote into the slice cache.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { KubeClient, ResourceRef } from '../../client/interfaces.js';
import { objectKey } from '../../client/interfaces.js';
import { FakeClock } from '../../util/fake-clock.js';
import { silentLogger } from '../../util/logger.js';
import { FakeInformerFactory } from '../../../test/util/fake-informers.js';
import { waitFor } from '../../../test/util/wait.js';
import { controllerName, EndpointSliceMirroringController } from './endpointslicemirroring-controller.js';

interface Write {
  verb: 'create' | 'update' | 'delete';
  key: string;
  obj?: KubeObject;
}

function setup(opts: { fail?: (verb: Write['verb']) => Error | undefined; maxEndpointsPerSubset?: number } = {}) {
  const factory = new FakeInformerFactory();
  const slices = factory.get('endpointslices');
  const writes: Write[] = [];
  const events: { key: string; type: string; reason: string; message: string }[] = [];
  let seq = 0;
  const client = {
    async create(_res: ResourceRef, ns: string, obj: KubeObject) {
      const name = obj.metadata.name ?? `${obj.metadata.generateName}${String(++seq).padStart(5, 'x')}`;
      writes.push({ verb: 'create', key: `${ns}/${name}`, obj });
      const err = opts.fail?.('create');
      if (err) throw err;
      const { generateName: _g, ...meta } = obj.metadata;
      const created = { ...obj, metadata: { ...meta, name, namespace: ns, uid: `uid-${name}`, generation: 1, resourceVersion: String(++seq) } };
      slices.add(created);
      return created;
    },
    async update(_res: ResourceRef, obj: KubeObject) {
      writes.push({ verb: 'update', key: objectKey(obj), obj });
      const err = opts.fail?.('update');
      if (err) throw err;
      const written = { ...obj, metadata: { ...obj.metadata, generation: (obj.metadata.generation ?? 0) + 1, resourceVersion: String(++seq) } };
      slices.update(written);
      return written;
    },
    async delete(_res: ResourceRef, ns: string, name: string) {
      writes.push({ verb: 'delete', key: `${ns}/${name}` });
      const err = opts.fail?.('delete');
      if (err) throw err;
      if (slices.items.has(`${ns}/${name}`)) slices.remove(`${ns}/${name}`);
    },
  } as unknown as KubeClient;
  const recorder = {
    event(obj: KubeObject, type: string, reason: string, message: string) {
      events.push({ key: `${obj.kind}/${objectKey(obj)}`, type, reason, message });
    },
  };
  const controller = new EndpointSliceMirroringController({
    client,
    informers: factory,
    recorder,
    clock: new FakeClock(),
    logger: silentLogger,
    maxEndpointsPerSubset: opts.maxEndpointsPerSubset,
  });
  return { writes, events, controller, services: factory.get('services'), endpoints: factory.get('endpoints'), slices };
}

function service(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns', uid: `svc-${name}` }, spec: { clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }], ...spec } };
}

function endpoints(name: string, ips: string[], meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'ns', uid: `ep-${name}`, resourceVersion: '1', ...meta },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 8080, protocol: 'TCP' }] }],
  };
}

const mirrored = (t: ReturnType<typeof setup>, svc: string) =>
  [...t.slices.items.values()].filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc && s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === controllerName);

const addresses = (slices: KubeObject[]) => slices.flatMap((s) => s.endpoints.flatMap((e: { addresses: string[] }) => e.addresses)).sort();

describe('EndpointSliceMirroringController (fakes)', () => {
  const running: EndpointSliceMirroringController[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
  });

  it('mirrors the Endpoints of a Service without selector, then writes nothing while nothing changes', async () => {
    const t = setup();
    t.services.add(service('ext'));
    t.endpoints.add(endpoints('ext', ['10.1.2.4', '10.1.2.3']));
    await t.controller.syncEndpoints('ns/ext');
    assert.deepEqual(t.writes.map((w) => w.verb), ['create']);
    const [slice] = mirrored(t, 'ext');
    assert.deepEqual(slice!.endpoints, [
      { addresses: ['10.1.2.3'], conditions: { ready: true } },
      { addresses: ['10.1.2.4'], conditions: { ready: true } },
    ]);
    assert.deepEqual(slice!.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(slice!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: 'ep-ext', controller: true, blockOwnerDeletion: true }]);

    await t.controller.syncEndpoints('ns/ext');
    assert.equal(t.writes.length, 1, 'no write when nothing changed');

    t.endpoints.update(endpoints('ext', ['10.1.2.3']));
    await t.controller.syncEndpoints('ns/ext');
    assert.deepEqual(t.writes.map((w) => w.verb), ['create', 'update']);
    assert.deepEqual(addresses(mirrored(t, 'ext')), ['10.1.2.3']);
  });

  it('mirrors nothing, and deletes what it mirrored, for a Service with a selector or none', async () => {
    for (const [name, svc] of [
      ['sel', service('sel', { selector: { app: 'x' } })],
      ['nosvc', undefined],
    ] as const) {
      const t = setup();
      t.services.add(service(name));
      t.endpoints.add(endpoints(name, ['10.0.0.1']));
      await t.controller.syncEndpoints(`ns/${name}`);
      assert.equal(mirrored(t, name).length, 1, name);
      if (svc) t.services.update(svc);
      else t.services.remove(`ns/${name}`);
      await t.controller.syncEndpoints(`ns/${name}`);
      assert.deepEqual(mirrored(t, name), [], name);
      assert.equal(t.writes.at(-1)!.verb, 'delete', name);
    }
  });

  it('mirrors the Endpoints of an ExternalName Service without a selector, as Kubernetes does', async () => {
    const t = setup();
    t.services.add(service('extname', { type: 'ExternalName', externalName: 'example.com' }));
    t.endpoints.add(endpoints('extname', ['10.0.0.1']));
    await t.controller.syncEndpoints('ns/extname');
    assert.deepEqual(addresses(mirrored(t, 'extname')), ['10.0.0.1']);
  });

  it('deletes the slices when the Endpoints goes or opts out (skip-mirror, leader election)', async () => {
    for (const change of ['delete', 'skip', 'leader'] as const) {
      const t = setup();
      t.services.add(service('ext'));
      t.endpoints.add(endpoints('ext', ['10.0.0.1']));
      await t.controller.syncEndpoints('ns/ext');
      assert.equal(mirrored(t, 'ext').length, 1);
      if (change === 'delete') t.endpoints.remove('ns/ext');
      else if (change === 'skip') t.endpoints.update(endpoints('ext', ['10.0.0.1'], { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }));
      else t.endpoints.update(endpoints('ext', ['10.0.0.1'], { annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } }));
      await t.controller.syncEndpoints('ns/ext');
      assert.deepEqual(mirrored(t, 'ext'), [], change);
    }
  });

  it('leaves slices managed by others alone', async () => {
    const t = setup();
    t.services.add(service('ext', { selector: { app: 'x' } }));
    t.endpoints.add(endpoints('ext', ['10.0.0.1']));
    t.slices.add({ metadata: { name: 'ext-own', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } } });
    await t.controller.syncEndpoints('ns/ext');
    assert.deepEqual(t.writes, []);
  });

  it('warns about invalid and truncated addresses on the Endpoints', async () => {
    const t = setup({ maxEndpointsPerSubset: 2 });
    t.services.add(service('ext'));
    t.endpoints.add(endpoints('ext', ['10.0.0.1', '1.2.3', '10.0.0.2', '10.0.0.3']));
    await t.controller.syncEndpoints('ns/ext');
    assert.deepEqual(addresses(mirrored(t, 'ext')), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(
      t.events.map((e) => [e.key, e.type, e.reason, e.message]),
      [
        ['Endpoints/ns/ext', 'Warning', 'InvalidIPAddress', 'Skipped 1 invalid IP addresses when mirroring to EndpointSlices'],
        ['Endpoints/ns/ext', 'Warning', 'TooManyAddressesToMirror', 'A max of 2 addresses can be mirrored to EndpointSlices per Endpoints subset. 2 addresses were skipped'],
      ],
    );
  });

  it('records FailedToUpdateEndpointSlices and rejects when a write fails', async () => {
    const t = setup({ fail: () => new ApiError(500, 'InternalError', 'etcd is down') });
    t.services.add(service('ext'));
    t.endpoints.add(endpoints('ext', ['10.0.0.1']));
    await assert.rejects(t.controller.syncEndpoints('ns/ext'), /failed to create EndpointSlice for Endpoints ns\/ext: etcd is down/);
    assert.equal(t.events.length, 1);
    assert.equal(t.events[0]!.reason, 'FailedToUpdateEndpointSlices');
    assert.match(t.events[0]!.message, /^Error updating Endpoint Slices for Endpoints ns\/ext: failed to create EndpointSlice/);
  });

  it('waits for the slice cache to catch up with its own writes', async () => {
    const t = setup();
    t.services.add(service('ext'));
    t.endpoints.add(endpoints('ext', ['10.0.0.1']));
    await t.controller.syncEndpoints('ns/ext');
    const [slice] = mirrored(t, 'ext');
    // The cache loses the slice (as if the create had not been seen yet): no second create.
    t.slices.items.delete(objectKey(slice!));
    assert.deepEqual(await t.controller.syncEndpoints('ns/ext'), { requeue: true });
    assert.equal(t.writes.length, 1);
  });

  it('runs: Endpoints and Service events sync, and a slice deleted by someone else is recreated', async () => {
    const t = setup();
    running.push(t.controller);
    await t.controller.start();
    t.services.add(service('ext'));
    t.endpoints.add(endpoints('ext', ['10.0.0.1', '10.0.0.2']));
    await waitFor(() => addresses(mirrored(t, 'ext')).join() === '10.0.0.1,10.0.0.2', { message: 'mirrored slice' });

    const [slice] = mirrored(t, 'ext');
    t.slices.remove(objectKey(slice!));
    await waitFor(() => mirrored(t, 'ext').length === 1 && mirrored(t, 'ext')[0]!.metadata.uid !== slice!.metadata.uid, { message: 'slice recreated' });

    // Gaining a selector hands the Service over to the EndpointSlice controller.
    t.services.update(service('ext', { selector: { app: 'x' } }));
    await waitFor(() => mirrored(t, 'ext').length === 0, { message: 'mirrored slices deleted' });
  });
});
