import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/object.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { openStore } from '../storage/open.js';
import { createLogger, silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import type { ResourceRef } from './interfaces.js';
import { SharedInformer, SharedInformerFactory, stripManagedFields } from './informer.js';
import { RestClient } from './rest-client.js';

const configmaps: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const namespaces: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };

/** Records every handler call as one line, in order. */
function recorder(inf: SharedInformer<KubeObject>): string[] {
  const seen: string[] = [];
  inf.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata.name} ${o.data?.v ?? ''}`.trim()),
    onUpdate: (_old, o) => seen.push(`update ${o.metadata.name} ${o.data?.v ?? ''}`.trim()),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  return seen;
}

describe('SharedInformer against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  const informers: { stop(): void }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-informer-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    for (const name of ['inf', 'paged', 'other']) await client.create(namespaces, undefined, { metadata: { name } });
  });

  after(async () => {
    for (const i of informers) i.stop();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists in pages, indexes, and serves late handlers from the cache', async () => {
    for (let i = 0; i < 7; i++) {
      await client.create(configmaps, 'paged', { metadata: { name: `cm${i}`, labels: { parity: i % 2 ? 'odd' : 'even' } } });
    }
    await client.create(configmaps, 'other', { metadata: { name: 'elsewhere', labels: { parity: 'odd' } } });
    const inf = new SharedInformer<KubeObject>(client, configmaps, { pageSize: 2 });
    informers.push(inf);
    inf.addIndex('parity', (o) => (o.metadata.labels?.parity ? [o.metadata.labels.parity] : []));
    const seen = recorder(inf);
    await inf.start();
    assert.equal(inf.hasSynced(), true);
    assert.throws(() => inf.addIndex('late', () => []));
    assert.equal(inf.lister.list('paged').length, 7);
    assert.equal(inf.lister.list('other').length, 1);
    assert.ok(inf.lister.list().length >= 8);
    assert.equal(inf.lister.get('paged/cm3')?.metadata.name, 'cm3');
    assert.deepEqual(inf.lister.byIndex('parity', 'odd').map((o) => o.metadata.name).sort(), ['cm1', 'cm3', 'cm5', 'elsewhere']);
    assert.ok(seen.filter((s) => s.startsWith('add ')).length >= 8);

    const late: string[] = [];
    inf.addHandlers({ onAdd: (o) => late.push(o.metadata.name!) });
    assert.equal(late.length, inf.lister.list().length);

    // An update moves the object between index values.
    await client.patch(configmaps, 'paged', 'cm1', 'merge', { metadata: { labels: { parity: 'even' } } });
    await waitFor(() => inf.lister.byIndex('parity', 'even').some((o) => o.metadata.name === 'cm1'), { message: 'reindex' });
    assert.ok(!inf.lister.byIndex('parity', 'odd').some((o) => o.metadata.name === 'cm1'));
    await client.delete(configmaps, 'paged', 'cm0');
    await waitFor(() => !inf.lister.get('paged/cm0'), { message: 'delete seen' });
    assert.ok(!inf.lister.byIndex('parity', 'even').some((o) => o.metadata.name === 'cm0'));
    inf.stop();
  });

  it('shares one informer per resource and selector through the factory', async () => {
    const factory = new SharedInformerFactory(client, { logger: silentLogger });
    informers.push(factory);
    const a = factory.informerFor(configmaps, { namespace: 'other' });
    assert.equal(factory.informerFor(configmaps, { namespace: 'other' }), a);
    assert.notEqual(factory.informerFor(configmaps), a);
    await factory.start();
    assert.equal(a.hasSynced(), true);
    assert.deepEqual(a.lister.list().map((o) => o.metadata.name), ['elsewhere']);
    factory.stop();
  });

  it('applies the factory transform to listed and watched objects (managedFields stripped)', async () => {
    await client.create(configmaps, 'other', { metadata: { name: 'managed' }, data: { v: '1' } });
    const factory = new SharedInformerFactory(client, { logger: silentLogger, transform: stripManagedFields });
    informers.push(factory);
    const inf = factory.informerFor(configmaps, { namespace: 'other' });
    const handed: KubeObject[] = [];
    inf.addHandlers({ onAdd: (o) => handed.push(o), onUpdate: (_old, o) => handed.push(o) });
    await factory.start();
    assert.ok((await client.get(configmaps, 'other', 'managed')).metadata.managedFields?.length, 'the server keeps managedFields');
    await client.patch(configmaps, 'other', 'managed', 'merge', { data: { v: '2' } });
    await waitFor(() => inf.lister.get('other/managed')?.data.v === '2', { message: 'update seen' });
    assert.ok(handed.length >= 3);
    for (const o of [...handed, ...inf.lister.list()]) assert.equal(o.metadata.managedFields, undefined);
    // Writing a cached object back keeps what the server recorded.
    const cached = inf.lister.get('other/managed')!;
    const written = await client.update(configmaps, { ...cached, data: { v: '3' } });
    assert.ok(written.metadata.managedFields?.length);
    factory.stop();
  });

  it('sees adds, updates and deletes in order; a throwing handler is only logged', async () => {
    const logs: string[] = [];
    const logger = createLogger({}, { level: 'info', write: (l) => logs.push(l) });
    const inf = new SharedInformer<KubeObject>(client, configmaps, { namespace: 'inf', logger });
    informers.push(inf);
    inf.addHandlers({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    const seen = recorder(inf);
    await inf.start();
    await client.create(configmaps, 'inf', { metadata: { name: 'a' }, data: { v: '1' } });
    await client.patch(configmaps, 'inf', 'a', 'merge', { data: { v: '2' } });
    await client.create(configmaps, 'inf', { metadata: { name: 'b' }, data: { v: '1' } });
    await client.delete(configmaps, 'inf', 'b');
    await client.create(configmaps, 'other', { metadata: { name: 'not-mine' } });
    await waitFor(() => seen.length >= 4, { message: 'four events' });
    assert.deepEqual(seen, ['add a 1', 'update a 2', 'add b 1', 'delete b']);
    await client.create(configmaps, 'inf', { metadata: { name: 'gone' } });
    await waitFor(() => seen.includes('add gone'), { message: 'add gone' });
    assert.ok(logs.some((l) => l.includes('event handler threw')));
    assert.match(inf.lastSyncResourceVersion(), /^\d+$/);

    // History the informer has not seen is compacted away while the server is down, and the
    // objects change behind its back; it must get 410 Gone, relist, and report the difference.
    const port = cp.port;
    await cp.close();
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
    const key = '/registry/configmaps/inf/a';
    const live = (await store.get(key))!;
    const obj = JSON.parse(live.value);
    obj.data.v = 'offline';
    await store.update(key, JSON.stringify(obj), live.modRevision);
    await store.create('/registry/configmaps/inf/c', JSON.stringify({ ...obj, metadata: { ...obj.metadata, name: 'c', uid: 'offline-uid' }, data: { v: 'new' } }));
    await store.delete('/registry/configmaps/inf/gone');
    await store.create('/registry/test/bump1', 'x');
    await store.create('/registry/test/bump2', 'x');
    await store.compact(await store.currentRevision());
    await store.close();
    seen.length = 0;
    cp = await startControlPlane({ dataDir: dir, port, logger: silentLogger });

    await waitFor(() => seen.length >= 3, { timeoutMs: 20_000, message: 'relist after 410' });
    assert.deepEqual(seen.sort(), ['add c new', 'delete gone', 'update a offline']);
    assert.ok(logs.some((l) => l.includes('watch expired (410 Gone)')), 'the relist came from a 410');
    assert.equal(inf.lister.get('inf/a')?.data.v, 'offline');

    // And it watches again from the relist.
    await client.delete(configmaps, 'inf', 'c');
    await client.create(configmaps, 'inf', { metadata: { name: 'd' } });
    await waitFor(() => seen.length >= 5, { timeoutMs: 10_000, message: 'events after the relist' });
    assert.deepEqual(seen.slice(3), ['delete c', 'add d']);
    assert.equal(inf.lister.get('inf/c'), undefined);
  });
});
