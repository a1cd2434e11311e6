/**
 * The default ServiceAccount and kube-root-ca.crt controllers against recording fakes: caches
 * the test fills and a client that records writes and, like a watch would, puts what it wrote
 * into the cache.
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
import { rootCACertPublisher, serviceAccountsController, ROOT_CA_CONFIGMAP } from './defaults.js';
import type { PerNamespaceObjectController } from './per-namespace-object.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function setup(which: 'sa' | 'ca', fail?: (verb: string, ns: string) => Error | undefined) {
  const factory = new FakeInformerFactory();
  const plural = which === 'sa' ? 'serviceaccounts' : 'configmaps';
  const objects = factory.get(plural);
  const writes: { verb: string; key: string; obj: KubeObject }[] = [];
  let rv = 0;
  const client = {
    async create(_res: ResourceRef, ns: string, obj: KubeObject) {
      writes.push({ verb: 'create', key: `${ns}/${obj.metadata.name}`, obj });
      const err = fail?.('create', ns);
      if (err) throw err;
      const created = { ...obj, metadata: { ...obj.metadata, namespace: ns, uid: `uid-${++rv}`, resourceVersion: String(rv) } };
      objects.add(created);
      return created;
    },
    async update(_res: ResourceRef, obj: KubeObject) {
      writes.push({ verb: 'update', key: objectKey(obj), obj });
      const written = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      objects.update(written);
      return written;
    },
  } as unknown as KubeClient;
  const clock = new FakeClock();
  const opts = { client, informers: factory, clock, logger: silentLogger };
  const controller = which === 'sa' ? serviceAccountsController(opts) : rootCACertPublisher({ ...opts, caCert: CA });
  return { controller, writes, objects, clock, namespaces: factory.get('namespaces') };
}

const ns = (name: string, extra: Partial<KubeObject['metadata']> = {}, phase = 'Active'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...extra },
  status: { phase },
});

let running: PerNamespaceObjectController | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('serviceaccount controller', () => {
  it('gives every active namespace a default ServiceAccount, again after it is deleted, and none to a terminating one', async () => {
    const t = setup('sa');
    await (running = t.controller).start();
    t.namespaces.add(ns('team-a'));
    t.namespaces.add(ns('going', { deletionTimestamp: '2026-01-01T00:00:00Z' }, 'Terminating'));
    await waitFor(() => t.writes.length === 1);
    assert.deepEqual(t.writes[0], {
      verb: 'create',
      key: 'team-a/default',
      obj: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team-a' } },
    });
    t.objects.update({ ...t.objects.items.get('team-a/default')!, secrets: [{ name: 'x' }] });
    t.objects.remove('team-a/default');
    await waitFor(() => t.writes.length === 2);
    assert.equal(t.writes[1]!.key, 'team-a/default');
    assert.ok(!t.writes.some((w) => w.verb === 'update'), 'an existing ServiceAccount is never rewritten');
  });

  it('takes AlreadyExists and a namespace that began terminating as done, and retries anything else', async () => {
    let failures = 0;
    const t = setup('sa', (_verb, namespace) => {
      if (namespace === 'raced') return new ApiError(409, 'AlreadyExists', 'serviceaccounts "default" already exists');
      if (namespace === 'closing') {
        return new ApiError(403, 'Forbidden', 'unable to create new content in namespace closing because it is being terminated', {
          kind: 'serviceaccounts',
          causes: [{ reason: 'NamespaceTerminating', message: 'namespace closing is being terminated', field: 'metadata.namespace' }],
        });
      }
      if (namespace === 'flaky' && failures++ === 0) return new ApiError(503, 'ServiceUnavailable', 'try again');
      return undefined;
    });
    await (running = t.controller).start();
    t.namespaces.add(ns('raced'));
    t.namespaces.add(ns('closing'));
    t.namespaces.add(ns('flaky'));
    // The failed sync is retried after its back-off, on the controller's clock.
    await waitFor(() => t.clock.pending() > 0);
    t.clock.step(1000);
    await waitFor(() => t.writes.filter((w) => w.key === 'flaky/default').length === 2);
    assert.equal(t.writes.filter((w) => w.key === 'raced/default').length, 1);
    assert.equal(t.writes.filter((w) => w.key === 'closing/default').length, 1);
  });
});

describe('root-ca-cert-publisher', () => {
  it('publishes the CA in every namespace and writes it back when someone changes it', async () => {
    const t = setup('ca');
    await (running = t.controller).start();
    t.namespaces.add(ns('default'));
    await waitFor(() => t.objects.items.has(`default/${ROOT_CA_CONFIGMAP}`));
    assert.deepEqual(t.objects.items.get(`default/${ROOT_CA_CONFIGMAP}`)!.data, { 'ca.crt': CA });

    const current = t.objects.items.get(`default/${ROOT_CA_CONFIGMAP}`)!;
    t.objects.update({ ...current, data: { 'ca.crt': 'tampered', extra: 'x' }, binaryData: { b: 'AA==' } });
    await waitFor(() => t.writes.some((w) => w.verb === 'update'));
    const fixed = t.objects.items.get(`default/${ROOT_CA_CONFIGMAP}`)!;
    assert.deepEqual(fixed.data, { 'ca.crt': CA });
    assert.equal(fixed.binaryData, undefined);
    const updates = t.writes.filter((w) => w.verb === 'update').length;
    t.namespaces.update(ns('default', { labels: { a: 'b' } }));
    // The namespace change syncs again, and finds nothing to do: wait for a sync that provably ran.
    t.namespaces.add(ns('probe'));
    await waitFor(() => t.objects.items.has(`probe/${ROOT_CA_CONFIGMAP}`));
    assert.equal(t.writes.filter((w) => w.verb === 'update').length, updates, 'a correct ConfigMap is left alone');
  });
});
