/**
 * The Endpoints controller's sync and event handling against recording fakes: informers whose
 * caches the test fills, a client that records (or fails) the Endpoints writes, and a fake
 * clock. The same controller runs against a real control plane in endpoints-controller.test.ts.
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
import { EndpointsController, lastChangeTriggerTimeAnnotation, overCapacityAnnotation } from './endpoints-controller.js';
import { headlessServiceLabel } from './pod-endpoints.js';

interface Write {
  verb: 'create' | 'update' | 'delete';
  key: string;
  obj?: KubeObject;
}

function setup(opts: { fail?: (verb: Write['verb']) => Error | undefined; batchMs?: number } = {}) {
  const clock = new FakeClock();
  const factory = new FakeInformerFactory();
  const writes: Write[] = [];
  const events: { key: string; type: string; reason: string; message: string }[] = [];
  let rv = 100;
  const write = (verb: Write['verb'], key: string, obj?: KubeObject) => {
    writes.push({ verb, key, obj });
    const err = opts.fail?.(verb);
    if (err) throw err;
    return obj ? { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } } : undefined;
  };
  const client = {
    async create(_res: ResourceRef, ns: string, obj: KubeObject) {
      return write('create', `${ns}/${obj.metadata.name}`, obj);
    },
    async update(_res: ResourceRef, obj: KubeObject) {
      return write('update', objectKey(obj), obj);
    },
    async delete(_res: ResourceRef, ns: string, name: string) {
      write('delete', `${ns}/${name}`);
    },
  } as unknown as KubeClient;
  const recorder = {
    event(obj: KubeObject, type: string, reason: string, message: string) {
      events.push({ key: objectKey(obj), type, reason, message });
    },
  };
  const controller = new EndpointsController({ client, informers: factory, recorder, clock, logger: silentLogger, endpointUpdatesBatchPeriodMs: opts.batchMs });
  return { clock, writes, events, controller, services: factory.get('services'), pods: factory.get('pods'), endpoints: factory.get('endpoints') };
}

function service(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns', uid: `svc-${name}`, resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', ...(labels ? { labels } : {}) },
    spec: { selector: { app: name }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
  };
}

let podRV = 1;
function pod(name: string, app: string, ip: string, ready = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: String(podRV++), labels: { app } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:05Z' }] },
  };
}

describe('EndpointsController sync (fakes)', () => {
  const running: EndpointsController[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
  });

  it('creates Endpoints with the Service labels and the trigger time, then writes nothing while nothing changes', async () => {
    const t = setup();
    t.services.add(service('web', {}, { tier: 'front' }));
    t.pods.add(pod('a', 'web', '10.0.0.2'));
    t.pods.add(pod('b', 'web', '10.0.0.1', false));
    await t.controller.syncService('ns/web');
    assert.equal(t.writes.length, 1);
    const ep = t.writes[0]!.obj!;
    assert.equal(t.writes[0]!.verb, 'create');
    assert.deepEqual(ep.metadata, {
      name: 'web',
      namespace: 'ns',
      labels: { tier: 'front' },
      annotations: { [lastChangeTriggerTimeAnnotation]: '2024-01-01T00:00:00Z' },
    });
    assert.deepEqual(ep.subsets, [
      {
        addresses: [{ ip: '10.0.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' } }],
        notReadyAddresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'uid-b' } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);

    // The cache now holds what was written (as the API returns it).
    t.endpoints.add({ ...ep, metadata: { ...ep.metadata, resourceVersion: '200', uid: 'ep-uid' } });
    await t.controller.syncService('ns/web');
    assert.equal(t.writes.length, 1, 'no write when nothing changed');

    // A label change on the Service alone is written.
    t.services.update(service('web', {}, { tier: 'back' }));
    await t.controller.syncService('ns/web');
    assert.equal(t.writes.length, 2);
    assert.equal(t.writes[1]!.verb, 'update');
    assert.deepEqual(t.writes[1]!.obj!.metadata.labels, { tier: 'back' });
    assert.equal(t.writes[1]!.obj!.metadata.resourceVersion, '200', 'updates the version it read');
  });

  it('skips Services without selector and ExternalName Services', async () => {
    const t = setup();
    t.services.add(service('manual', { selector: undefined }));
    t.services.add(service('empty', { selector: {} }));
    t.services.add(service('ext', { type: 'ExternalName', externalName: 'example.com' }));
    t.pods.add(pod('a', 'ext', '10.0.0.1'));
    for (const k of ['ns/manual', 'ns/empty', 'ns/ext']) await t.controller.syncService(k);
    assert.deepEqual(t.writes, []);
  });

  it('deletes the Endpoints of a deleted Service', async () => {
    const t = setup();
    await t.controller.syncService('ns/gone');
    assert.deepEqual(t.writes, [{ verb: 'delete', key: 'ns/gone', obj: undefined }]);
  });

  it('labels the Endpoints of a headless Service', async () => {
    const t = setup();
    t.services.add(service('db', { clusterIP: 'None' }));
    await t.controller.syncService('ns/db');
    assert.deepEqual(t.writes[0]!.obj!.metadata.labels, { [headlessServiceLabel]: '' });
    assert.equal(t.writes[0]!.obj!.subsets, undefined, 'no pods: no subsets');
  });

  it('truncates beyond 1000 addresses and says so; no write while that stays true', async () => {
    const t = setup();
    t.services.add(service('big'));
    for (let i = 0; i < 1003; i++) t.pods.add(pod(`p${i}`, 'big', `10.1.${Math.floor(i / 250)}.${i % 250}`, i >= 3));
    await t.controller.syncService('ns/big');
    const ep = t.writes[0]!.obj!;
    assert.equal(ep.metadata.annotations?.[overCapacityAnnotation], 'truncated');
    const n = (k: string) => ep.subsets.reduce((s: number, x: Record<string, unknown[]>) => s + (x[k]?.length ?? 0), 0);
    assert.equal(n('addresses'), 1000);
    assert.equal(n('notReadyAddresses'), 0);
    t.endpoints.add({ ...ep, metadata: { ...ep.metadata, resourceVersion: '300' } });
    await t.controller.syncService('ns/big');
    assert.equal(t.writes.length, 1);
    // Back under capacity: the annotation goes.
    for (let i = 0; i < 10; i++) t.pods.remove(`ns/p${i}`);
    await t.controller.syncService('ns/big');
    assert.equal(t.writes[1]!.obj!.metadata.annotations?.[overCapacityAnnotation], undefined);
  });

  it('records FailedToCreateEndpoint and FailedToUpdateEndpoint warnings and rejects for a retry', async () => {
    const t = setup({ fail: (verb) => (verb === 'delete' ? undefined : new ApiError(500, 'InternalError', 'Internal error occurred: disk on fire')) });
    t.services.add(service('web'));
    await assert.rejects(t.controller.syncService('ns/web'), /disk on fire/);
    t.endpoints.add({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'ns', resourceVersion: '5' } });
    t.pods.add(pod('a', 'web', '10.0.0.1'));
    await assert.rejects(t.controller.syncService('ns/web'), /disk on fire/);
    assert.deepEqual(t.events, [
      { key: 'ns/web', type: 'Warning', reason: 'FailedToCreateEndpoint', message: 'Failed to create endpoint for service ns/web: Internal error occurred: disk on fire' },
      { key: 'ns/web', type: 'Warning', reason: 'FailedToUpdateEndpoint', message: 'Failed to update endpoint ns/web: Internal error occurred: disk on fire' },
    ]);
  });

  it('drops a creation refused because the namespace is terminating', async () => {
    const terminating = new ApiError(403, 'Forbidden', 'unable to create new content in namespace ns because it is being terminated', {
      causes: [{ reason: 'NamespaceTerminating', message: 'namespace ns is being terminated', field: 'metadata.namespace' }],
    });
    const t = setup({ fail: () => terminating });
    t.services.add(service('web'));
    await t.controller.syncService('ns/web');
    assert.deepEqual(t.events, []);
  });

  it('waits for the cache after its own write instead of writing over a stale copy', async () => {
    const t = setup();
    t.services.add(service('web'));
    t.endpoints.add({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'ns', resourceVersion: '5' } });
    t.pods.add(pod('a', 'web', '10.0.0.1'));
    await t.controller.syncService('ns/web');
    assert.equal(t.writes.length, 1);
    t.pods.add(pod('b', 'web', '10.0.0.2'));
    // The cache still shows version 5, which the write above replaced.
    assert.deepEqual(await t.controller.syncService('ns/web'), { requeue: true });
    assert.equal(t.writes.length, 1);
    t.endpoints.update({ ...t.writes[0]!.obj!, metadata: { ...t.writes[0]!.obj!.metadata, resourceVersion: '6' } });
    await t.controller.syncService('ns/web');
    assert.equal(t.writes.length, 2);
  });

  it('turns a burst of pod changes into one write per Service, and ignores unrelated changes', async () => {
    const t = setup({ batchMs: 1000 });
    running.push(t.controller);
    t.services.add(service('web'));
    t.services.add(service('api'));
    await t.controller.start();
    await waitFor(() => t.writes.length === 2, { message: 'initial creations' });
    // The cache catches up with them.
    for (const w of t.writes) t.endpoints.add({ ...w.obj!, metadata: { ...w.obj!.metadata, resourceVersion: '5' } });
    const initial = t.writes.length;
    for (let i = 0; i < 20; i++) t.pods.add(pod(`w${i}`, 'web', `10.0.0.${i + 1}`));
    for (let i = 0; i < 20; i++) t.pods.update({ ...pod(`w${i}`, 'web', `10.0.0.${i + 1}`, false) });
    // An annotation change does not concern any Endpoints.
    const other = pod('x', 'api', '10.0.1.1');
    t.pods.add(other);
    t.clock.step(1000);
    await waitFor(() => t.writes.length === initial + 2, { message: 'one write for each Service' });
    t.pods.update({ ...other, metadata: { ...other.metadata, resourceVersion: 'x2', annotations: { note: 'hi' } } });
    t.clock.step(1000);
    // Give a stray sync every chance to show up.
    await new Promise((r) => setImmediate(r));
    assert.equal(t.writes.length, initial + 2);
    const web = t.writes.filter((w) => w.key === 'ns/web').at(-1)!.obj!;
    assert.equal(web.subsets[0].notReadyAddresses.length, 20);
  });
});
