/**
 * The official client libraries against a real `peapod server`: @kubernetes/client-node's
 * list-watch informer (including recovery from 410 Gone) and Debian's python3-kubernetes.
 * Also the raw HTTP edge cases every client depends on: errors are Status objects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { rawRequest, removeDir, startServer, type RawResponse, type RunningServer } from '../util/cluster.js';
import { freePort } from '../util/etcd.js';
import { waitFor } from '../util/wait.js';
import { openStore } from '../../src/storage/open.js';

function statusOf(r: RawResponse): { code: number; reason: string; message: string; kind: string } {
  return JSON.parse(r.body);
}

describe('clients and protocol edges', { concurrency: false }, () => {
  let server: RunningServer;
  let port: number;

  before(async () => {
    port = await freePort();
    server = await startServer({ port });
  });

  after(async () => {
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('answers bad input with a Status, never a 500', async () => {
    const ns = '/api/v1/namespaces/default/configmaps';
    const cases: [string, string, string | Buffer | undefined, Record<string, string>, number, string][] = [
      ['POST', ns, '{"apiVersion":"v1","kind":"ConfigMap",', { 'Content-Type': 'application/json' }, 400, 'BadRequest'],
      ['POST', ns, '[1,2]', { 'Content-Type': 'application/json' }, 400, 'BadRequest'],
      ['POST', ns, '{"metadata":{"name":"x"}}', { 'Content-Type': 'text/plain' }, 415, 'UnsupportedMediaType'],
      ['POST', ns, Buffer.alloc(3 * 1024 * 1024 + 10, 'a'), { 'Content-Type': 'application/json' }, 413, 'RequestEntityTooLarge'],
      ['POST', ns, '{"metadata":{"name":"UPPER"}}', { 'Content-Type': 'application/json' }, 422, 'Invalid'],
      ['POST', ns, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t"},"data":{"a":5}}', { 'Content-Type': 'application/json' }, 400, 'BadRequest'],
      ['GET', '/api/v1/namespaces/default/widgets', undefined, {}, 404, 'NotFound'],
      ['GET', '/apis/nope.example.com/v1', undefined, {}, 404, 'NotFound'],
      ['GET', `${ns}?labelSelector=a%20in%20(`, undefined, {}, 400, 'BadRequest'],
      ['GET', `${ns}?limit=-3`, undefined, {}, 400, 'BadRequest'],
      ['PATCH', `${ns}/absent`, '{}', { 'Content-Type': 'application/merge-patch+json' }, 404, 'NotFound'],
      ['POST', '/api/v1/namespaces/missing-ns/configmaps', '{"metadata":{"name":"x"}}', { 'Content-Type': 'application/json' }, 404, 'NotFound'],
    ];
    for (const [method, path, body, headers, code, reason] of cases) {
      const r = await rawRequest(server, method, path, body, headers);
      assert.equal(r.status, code, `${method} ${path}: ${r.body}`);
      const s = statusOf(r);
      assert.equal(s.kind, 'Status');
      assert.equal(s.reason, reason, `${method} ${path}: ${r.body}`);
      assert.ok(s.message.length > 0);
    }
    const unauth = await rawRequest(server, 'GET', '/api/v1/namespaces', undefined, {}, false);
    assert.equal(unauth.status, 401);
    const health = await rawRequest(server, 'GET', '/livez', undefined, {}, false);
    assert.equal(health.status, 200);
  });

  it('lists large collections whole, in pages, and filtered', async () => {
    const ns = '/api/v1/namespaces/bulk/configmaps';
    const mk = await rawRequest(server, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bulk' } }), { 'Content-Type': 'application/json' });
    assert.equal(mk.status, 201, mk.body);
    const total = 1205;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = next++; i < total; i = next++) {
          const body = { metadata: { name: `cm-${String(i).padStart(5, '0')}`, labels: { parity: i % 2 ? 'odd' : 'even' } }, data: { i: String(i) } };
          const r = await rawRequest(server, 'POST', ns, JSON.stringify(body), { 'Content-Type': 'application/json' });
          assert.equal(r.status, 201, r.body);
        }
      }),
    );
    // The namespace also holds the cluster CA's kube-root-ca.crt (its controller makes it soon
    // after the namespace): wait for it, so the counts below are the same every run.
    await waitFor(async () => (await rawRequest(server, 'GET', `${ns}/kube-root-ca.crt`)).status === 200, { timeoutMs: 15_000, message: 'kube-root-ca.crt' });
    const stored = total + 1;
    const all = JSON.parse((await rawRequest(server, 'GET', ns)).body);
    assert.equal(all.kind, 'ConfigMapList');
    assert.equal(all.items.length, stored);
    assert.equal(new Set(all.items.map((c: any) => c.metadata.name)).size, stored);
    assert.ok(all.items.every((c: any) => /^\d+$/.test(c.metadata.resourceVersion)));
    assert.equal(all.metadata.continue, undefined);

    const seen: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const page = JSON.parse((await rawRequest(server, 'GET', `${ns}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).body);
      pages++;
      // Every page says how many items follow it in this snapshot (none after the last).
      assert.equal(page.metadata.remainingItemCount, stored - 500 * pages > 0 ? stored - 500 * pages : undefined, `page ${pages}`);
      if (pages === 1) {
        // A write after the first page does not show up in later pages: one snapshot.
        await rawRequest(server, 'POST', ns, JSON.stringify({ metadata: { name: 'zz-late' } }), { 'Content-Type': 'application/json' });
      }
      seen.push(...page.items.map((c: any) => c.metadata.name));
      cont = page.metadata.continue ?? '';
    } while (cont);
    assert.equal(pages, 3);
    assert.equal(seen.length, stored);
    assert.ok(!seen.includes('zz-late'));

    const odd = JSON.parse((await rawRequest(server, 'GET', `${ns}?labelSelector=parity%3Dodd`)).body);
    assert.equal(odd.items.length, Math.floor(total / 2));
    const oddPage = JSON.parse((await rawRequest(server, 'GET', `${ns}?labelSelector=parity%3Dodd&limit=100`)).body);
    assert.equal(oddPage.items.length, 100);
    assert.ok(oddPage.metadata.continue);
    const del = await rawRequest(server, 'DELETE', '/api/v1/namespaces/bulk');
    assert.equal(del.status, 200);
  });

  it('client-node informer sees every change and recovers after 410 Gone', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ns = 'informer';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const seen: string[] = [];
    const listFn = () => core.listNamespacedConfigMap({ namespace: ns });
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, listFn);
    // The namespace's kube-root-ca.crt comes from a controller at a moment of its own: not counted.
    const mine = (o: k8s.V1ConfigMap) => o.metadata?.name !== 'kube-root-ca.crt';
    informer.on('add', (o) => mine(o) && seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => mine(o) && seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on('delete', (o) => mine(o) && seen.push(`delete ${o.metadata?.name}`));
    let restarts = 0;
    let stopped = false;
    informer.on('error', () => {
      if (stopped) return;
      restarts++;
      setTimeout(() => {
        if (!stopped) void informer.start().catch(() => undefined);
      }, 200);
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap(
        { namespace: ns, name: 'a', body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' }, data: { v: '1' } } });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'b' });
      await waitFor(() => seen.length >= 4, { timeoutMs: 10_000, message: 'informer events' });
      assert.deepEqual(seen.slice(0, 4), ['add a', 'update a 2', 'add b', 'delete b']);

      // Take the server down, move the store's history past what the informer saw and compact
      // it away, then bring the server back on the same port: the informer's watch must get
      // 410 Gone, relist, and carry on.
      await server.stop();
      const store = await openStore({ kind: 'sqlite', path: join(server.dataDir, 'state.db') });
      await store.create('/registry/test/bump1', 'x');
      await store.create('/registry/test/bump2', 'x');
      await store.compact(await store.currentRevision());
      await store.close();
      server = await startServer({ port, dataDir: server.dataDir });
      await waitFor(() => restarts > 0, { timeoutMs: 10_000, message: 'the informer to notice the outage' });
      await waitFor(
        async () => {
          try {
            await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } });
            return true;
          } catch (err) {
            if (String(err).includes('AlreadyExists') || String(err).includes('409')) return true;
            return false;
          }
        },
        { timeoutMs: 10_000, message: 'server back' },
      );
      await waitFor(() => informer.get('c', ns), { timeoutMs: 20_000, message: 'informer to see c after the 410 relist' });
      assert.ok(informer.get('a', ns));
      assert.equal(informer.get('b', ns), undefined);
    } finally {
      stopped = true;
      await informer.stop();
    }
  });

  it('python3-kubernetes lists and creates', () => {
    const script = `
import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
names = sorted(ns.metadata.name for ns in v1.list_namespace().items)
assert 'kube-system' in names, names
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name='from-python'), data={'lang': 'python'})
created = v1.create_namespaced_config_map('default', cm)
got = v1.read_namespaced_config_map('from-python', 'default')
print(created.metadata.uid == got.metadata.uid, got.data['lang'])
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, server.kubeconfig], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'True python');
  });
});
