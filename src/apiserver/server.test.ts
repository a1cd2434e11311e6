/**
 * Bad and edge-case requests against a real APIServer (plain HTTP, SQLite store): each gets
 * the Status Kubernetes would send, and none changes or loses what is stored.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYAML } from 'yaml';
import { allResourceTypes } from '../api/registry.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { FakeClock } from '../util/fake-clock.js';
import { silentLogger } from '../util/logger.js';
import { APIServer } from './server.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** An API server on a fresh store with namespace "default"; removed after the test. */
async function apiServer(t: TestContext, clock?: FakeClock) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-server-'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const server = new APIServer({ store, types: allResourceTypes, logger: silentLogger, clock, maxRequestsInFlight: 2 });
  t.after(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const nsType = server.resourceType('', 'v1', 'namespaces')!;
  await server.registry.create(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const { port } = await server.listen();
  /** One request with the path sent exactly as given (fetch would resolve dot segments). */
  const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const h: Record<string, string> = { ...headers };
      if (data !== undefined) {
        h['content-type'] ??= 'application/json';
        h['content-length'] = String(Buffer.byteLength(data));
      }
      const r = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      });
      r.on('error', reject);
      r.end(data);
    });
  return { server, port, req };
}

const cm = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: { keep: 'me' }, ...extra },
  data: { a: 'b' },
});

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

/** Asserts a failure Status with this code (and reason). */
function assertStatus(r: Reply, code: number, reason?: string, what = ''): void {
  assert.equal(r.status, code, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body?.kind, 'Status', `${what}: not a Status: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.code, code, what);
  if (reason) assert.equal(r.body.reason, reason, what);
}

const CMS = '/api/v1/namespaces/default/configmaps';

test('dot segments and bad escapes in the path are a 400, never another object', async (t) => {
  const { req } = await apiServer(t);
  for (const path of [
    // Resolved as a URL, each of these names the namespace "default" itself.
    '/api/v1/namespaces/default/configmaps/..',
    '/api/v1/namespaces/default/configmaps/%2E%2E',
    '/api/v1/namespaces/default/configmaps/x/..%2F..',
  ]) {
    assertStatus(await req('DELETE', path), 400, 'BadRequest', path);
  }
  for (const path of [`${CMS}/%`, `${CMS}/%zz`, `${CMS}/%C0%AF`]) assertStatus(await req('GET', path), 400, 'BadRequest', path);
  const ns = await req('GET', '/api/v1/namespaces/default');
  assert.equal(ns.status, 200);
  assert.equal(ns.body.metadata.deletionTimestamp, undefined, 'the namespace was not deleted');
});

test('collection writes Kubernetes does not serve are a 405 and delete nothing', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('one'))).status, 201);
  // A namespaced kind's all-namespaces path only lists and watches.
  assertStatus(await req('DELETE', '/api/v1/configmaps'), 405, 'MethodNotAllowed', 'DELETE all namespaces');
  assertStatus(await req('POST', '/api/v1/configmaps', cm('two', { namespace: 'default' })), 405, 'MethodNotAllowed', 'POST all namespaces');
  // Namespaces have no deletecollection, and discovery does not offer one.
  assertStatus(await req('DELETE', '/api/v1/namespaces'), 405, 'MethodNotAllowed', 'DELETE namespaces');
  const discovery = await req('GET', '/api/v1');
  const verbs = (name: string) => discovery.body.resources.find((r: { name: string }) => r.name === name).verbs;
  assert.ok(!verbs('namespaces').includes('deletecollection'));
  assert.ok(verbs('configmaps').includes('deletecollection'));
  assert.equal((await req('GET', `${CMS}/one`)).status, 200);
  assert.equal((await req('GET', '/api/v1/namespaces/default')).body.metadata.deletionTimestamp, undefined);
  // Discovery documents are read-only.
  for (const path of ['/api', '/apis', '/version', '/api/v1', '/apis/apps/v1']) {
    assertStatus(await req('POST', path, {}), 405, 'MethodNotAllowed', `POST ${path}`);
  }
});

test('DeleteOptions of the wrong type are a 400 and delete nothing', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('kept'))).status, 201);
  for (const body of [
    { preconditions: 'x' },
    { preconditions: { uid: 5 } },
    { dryRun: 'All' },
    { gracePeriodSeconds: 1.5 },
    { propagationPolicy: 5 },
    { kind: 'Pod' },
  ]) {
    assertStatus(await req('DELETE', `${CMS}/kept`, body), 400, 'BadRequest', JSON.stringify(body));
  }
  assert.equal((await req('GET', `${CMS}/kept`)).status, 200, 'the ConfigMap is still there');
  // A query boolean is read as kube-apiserver reads it: anything but "0" or "false" is true.
  const orphaned = await req('DELETE', `${CMS}/kept?orphanDependents=maybe`);
  assert.equal(orphaned.status, 200);
  assert.deepEqual(orphaned.body.metadata.finalizers, ['orphan']);
  // orphanDependents=false asks for a cascade: a deletion that has to wait for it is 202 Accepted
  // (kube-apiserver's one 202); the same wait asked for with propagationPolicy stays a 200.
  assert.equal((await req('POST', CMS, cm('cascade'))).status, 201);
  assert.equal((await req('POST', CMS, cm('cascade2'))).status, 201);
  const finishedAtOnce = await req('DELETE', `${CMS}/cascade`, { orphanDependents: false });
  assert.equal(finishedAtOnce.status, 200);
  assert.equal(finishedAtOnce.body.kind, 'Status');
  const pendingFinalizer = (name: string) => req('PATCH', `${CMS}/${name}`, { metadata: { finalizers: ['example.com/hold'] } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal((await pendingFinalizer('cascade2')).status, 200);
  const held = await req('DELETE', `${CMS}/cascade2`, { orphanDependents: false });
  assert.equal(held.status, 202);
  assert.ok(held.body.metadata.deletionTimestamp);
  assert.equal((await req('POST', CMS, cm('cascade3'))).status, 201);
  assert.equal((await pendingFinalizer('cascade3')).status, 200);
  assert.equal((await req('DELETE', `${CMS}/cascade3`, { propagationPolicy: 'Foreground' })).status, 200);
});

test('options validation failures are 422 Invalid, named after the options kind', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('x'))).status, 201);
  const cases: [string, string, string, unknown, string | undefined, string][] = [
    ['POST', `${CMS}?dryRun=bogus`, 'CreateOptions', cm('y'), undefined, 'dryRun: Unsupported value'],
    ['POST', `${CMS}?fieldValidation=Bogus`, 'CreateOptions', cm('y'), undefined, 'fieldValidation: Unsupported value'],
    ['PUT', `${CMS}/x?fieldManager=${'m'.repeat(129)}`, 'UpdateOptions', cm('x'), undefined, 'fieldManager: Too long'],
    ['PATCH', `${CMS}/x`, 'PatchOptions', 'metadata: {name: x}\n', 'application/apply-patch+yaml', 'fieldManager: Required value'],
    ['PATCH', `${CMS}/x?force=true`, 'PatchOptions', {}, 'application/merge-patch+json', 'force: Forbidden'],
    ['DELETE', `${CMS}/x?propagationPolicy=bogus`, 'DeleteOptions', undefined, undefined, 'propagationPolicy: Unsupported value'],
    ['DELETE', `${CMS}/x`, 'DeleteOptions', { propagationPolicy: 'Background', orphanDependents: true }, undefined, 'cannot be both set'],
    ['DELETE', `${CMS}/x`, 'DeleteOptions', { dryRun: ['bogus'] }, undefined, 'dryRun: Unsupported value'],
  ];
  for (const [method, path, kind, body, ct, text] of cases) {
    const r = await req(method, path, body, ct ? { 'content-type': ct } : {});
    assertStatus(r, 422, 'Invalid', `${method} ${path}`);
    assert.match(r.body.message, new RegExp(`^${kind}\\.meta\\.k8s\\.io "" is invalid: `));
    assert.ok(r.body.message.includes(text), r.body.message);
    assert.equal(r.body.details.group, 'meta.k8s.io');
  }
  assert.equal((await req('GET', `${CMS}/y`)).status, 404);
  assert.equal((await req('GET', `${CMS}/x`)).status, 200);
});

test('a negative grace period deletes a running pod gracefully (1s), as Kubernetes does', async (t) => {
  const { req } = await apiServer(t);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] } };
  assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
  const r = await req('DELETE', '/api/v1/namespaces/default/pods/p?gracePeriodSeconds=-1');
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.deletionGracePeriodSeconds, 1);
  assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p')).status, 200, 'not deleted at once');
});

test('a later propagation policy replaces the earlier one instead of adding a second, conflicting finalizer', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('gc', { finalizers: ['example.com/hold'] }))).status, 201);
  const steps: [string, string[]][] = [
    ['Orphan', ['example.com/hold', 'orphan']],
    ['Foreground', ['example.com/hold', 'foregroundDeletion']],
    ['Orphan', ['example.com/hold', 'orphan']],
    ['Background', ['example.com/hold']],
  ];
  for (const [policy, want] of steps) {
    const r = await req('DELETE', `${CMS}/gc?propagationPolicy=${policy}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.metadata.finalizers, want, policy);
  }
  // The object stayed valid throughout: its finalizer can still be removed.
  const done = await req('PATCH', `${CMS}/gc`, { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal((await req('GET', `${CMS}/gc`)).status, 404);
});

test('updates and patches that leave the object without its name are a 400, and metadata survives', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('named', { finalizers: ['example.com/x'] }))).status, 201);
  const cases: [string, unknown, string][] = [
    ['PATCH', [{ op: 'remove', path: '/metadata' }], 'application/json-patch+json'],
    ['PATCH', { metadata: null }, 'application/merge-patch+json'],
    ['PATCH', { metadata: { name: null } }, 'application/merge-patch+json'],
    ['PUT', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: {} }, data: {} }, 'application/json'],
  ];
  for (const [method, body, ct] of cases) {
    const r = await req(method, `${CMS}/named`, body, { 'content-type': ct });
    assertStatus(r, 400, 'BadRequest', `${method} ${JSON.stringify(body)}`);
    assert.equal(r.body.message, 'the name of the object (named based on URL) was undeterminable: name must be provided');
  }
  const kept = await req('GET', `${CMS}/named`);
  assert.deepEqual(kept.body.metadata.labels, { keep: 'me' });
  assert.deepEqual(kept.body.metadata.finalizers, ['example.com/x']);
});

test('a replacement carrying another uid is a conflict: it was meant for an object since deleted', async (t) => {
  const { req } = await apiServer(t);
  const first = await req('POST', CMS, cm('again'));
  assert.equal((await req('DELETE', `${CMS}/again`)).status, 200);
  assert.equal((await req('POST', CMS, cm('again'))).status, 201);
  const stale = { ...first.body, metadata: { ...first.body.metadata, resourceVersion: undefined }, data: { a: 'stale' } };
  const r = await req('PUT', `${CMS}/again`, stale);
  assertStatus(r, 409, 'Conflict');
  assert.match(r.body.message, /Precondition failed: UID in precondition/);
  // A patch can't change the uid either.
  const p = await req('PATCH', `${CMS}/again`, { metadata: { uid: 'other' } }, { 'content-type': 'application/merge-patch+json' });
  assertStatus(p, 422, 'Invalid');
  assert.equal((await req('GET', `${CMS}/again`)).body.data.a, 'b');
});

test('scale writes are checked like kube-apiserver checks a Scale', async (t) => {
  const { req } = await apiServer(t);
  const base = '/apis/apps/v1/namespaces/default/deployments';
  assert.equal((await req('POST', base, deployment('web'))).status, 201);
  const scale = (spec: unknown, meta: Record<string, unknown> = { name: 'web' }, kind = 'Scale') => ({ apiVersion: 'autoscaling/v1', kind, metadata: meta, spec });
  const cases: [string, unknown, number, string][] = [
    ['negative replicas', scale({ replicas: -1 }), 422, 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ['replicas beyond int32', scale({ replicas: 2 ** 40 }), 400, 'cannot unmarshal number 1099511627776 into Go struct field ScaleSpec.spec.replicas of type int32'],
    ['replicas as a string', scale({ replicas: '3' }), 400, 'cannot unmarshal string'],
    ['another kind', scale({ replicas: 2 }, { name: 'web' }, 'Pod'), 400, 'the kind in the data (Pod) does not match the expected kind (Scale)'],
    ['another name', scale({ replicas: 2 }, { name: 'other' }), 400, 'the name of the object (other) does not match the name on the URL (web)'],
    ['no name', scale({ replicas: 2 }, {}), 400, 'was undeterminable'],
  ];
  for (const [what, body, code, text] of cases) {
    const r = await req('PUT', `${base}/web/scale`, body);
    assertStatus(r, code, undefined, what);
    assert.ok(r.body.message.includes(text), `${what}: ${r.body.message}`);
  }
  const merge = await req('PATCH', `${base}/web/scale`, { spec: { replicas: -2 } }, { 'content-type': 'application/merge-patch+json' });
  assertStatus(merge, 422, 'Invalid', 'merge patch to -2');
  assert.equal((await req('GET', `${base}/web`)).body.spec.replicas, 1, 'nothing was scaled');
  const ok = await req('PUT', `${base}/web/scale`, scale({ replicas: 3 }));
  assert.equal(ok.status, 200);
  assert.equal(ok.body.spec.replicas, 3);
});

test('absurdly deep bodies are a 400, not a stack overflow', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('deep'))).status, 201);
  const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  const cases: [string, string, string, string][] = [
    ['POST', CMS, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d2"},"x":${deep(20_000)}}`, 'application/json'],
    ['POST', CMS, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d3"},"x":${deep(20_000)}}`, 'application/yaml'],
    ['PUT', `${CMS}/deep`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${deep(20_000)}}`, 'application/json'],
    ['PATCH', `${CMS}/deep`, `{"x":${deep(20_000)}}`, 'application/merge-patch+json'],
    ['PATCH', `${CMS}/deep`, `{"x":${deep(20_000)}}`, 'application/strategic-merge-patch+json'],
    ['PATCH', `${CMS}/deep`, `[{"op":"add","path":"/x","value":${deep(20_000)}}]`, 'application/json-patch+json'],
    ['PATCH', `${CMS}/deep?fieldManager=t`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${deep(20_000)}}`, 'application/apply-patch+yaml'],
    ['DELETE', `${CMS}/deep`, `{"x":${deep(20_000)}}`, 'application/json'],
  ];
  for (const [method, path, body, ct] of cases) {
    const r = await req(method, path, body, { 'content-type': ct });
    assertStatus(r, 400, 'BadRequest', `${method} ${ct}`);
    assert.match(r.body.message, /nests objects or arrays more than 1000 levels deep/);
  }
  assert.equal((await req('GET', `${CMS}/deep`)).status, 200);
});

test('list and watch parameters out of range are a 400 before anything is streamed', async (t) => {
  const { req } = await apiServer(t);
  const token = (t: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 'peapod/v1', start: '/registry/configmaps/default/', ...t })).toString('base64url');
  for (const q of [
    'limit=99999999999999999999',
    `limit=1&continue=${token({ rv: 1.5 })}`,
    `limit=1&continue=${token({ rv: 99_999_999 })}`,
    'watch=1&resourceVersion=abc',
    'watch=1&resourceVersion=1e3',
    'watch=1&resourceVersion=99999999999999999999',
  ]) {
    const r = await req('GET', `${CMS}?${q}`);
    assertStatus(r, 400, 'BadRequest', q);
  }
});

test('an Accept header that offers nothing the server speaks is a 406', async (t) => {
  const { req } = await apiServer(t);
  for (const accept of ['text/html', 'application/xml', 'application/json;as=Bogus;g=meta.k8s.io;v=v1']) {
    assertStatus(await req('GET', CMS, undefined, { accept }), 406, 'NotAcceptable', accept);
    assertStatus(await req('POST', CMS, cm('n'), { accept }), 406, 'NotAcceptable', accept);
  }
  assert.equal((await req('GET', `${CMS}/n`)).status, 404, 'a refused create did not create');
  for (const accept of ['application/json', 'Application/JSON', 'text/html,*/*;q=0.8', 'application/vnd.kubernetes.protobuf,application/json']) {
    assert.equal((await req('GET', CMS, undefined, { accept })).status, 200, accept);
  }
});

test('a request body that never finishes is given up after a minute and frees its seat', { timeout: 10_000 }, async (t) => {
  const clock = new FakeClock();
  const { port, req } = await apiServer(t, clock);
  // Two seats (see apiServer): take both with bodies that stall.
  const stalled = [0, 1].map(
    () =>
      new Promise<Reply>((resolve, reject) => {
        const r = http.request(
          { host: '127.0.0.1', port, method: 'POST', path: CMS, agent: false, headers: { 'content-type': 'application/json', 'content-length': '100' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
          },
        );
        r.on('error', reject);
        r.write('{"apiVersion":');
      }),
  );
  await new Promise((r) => setTimeout(r, 200));
  let listed = false;
  const list = req('GET', CMS).then((r) => {
    listed = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(listed, false, 'the list waits for a seat while both are held');
  clock.step(60_001);
  for (const r of await Promise.all(stalled)) {
    assertStatus(r, 408, 'Timeout');
    assert.equal(r.headers.connection, 'close');
  }
  assert.equal((await list).status, 200);
});

test('unknown fields are warned about and dropped, never stored, on every kind of write', async (t) => {
  const { req } = await apiServer(t);
  const warned = (r: Reply, field: string) => {
    const w = r.headers.warning;
    assert.ok(String(w).includes(`unknown field \\"${field}\\"`), `warning for ${field}: ${String(w)}`);
  };
  const created = await req('POST', CMS, { ...cm('u'), bogus: { x: 1 }, metadata: { name: 'u', labels: { keep: 'me' }, typo: 1 } });
  assert.equal(created.status, 201);
  warned(created, 'bogus');
  warned(created, 'metadata.typo');
  assert.equal(created.body.bogus, undefined);

  const replaced = await req('PUT', `${CMS}/u`, { ...cm('u'), data: { a: 'c' }, extra: true });
  assert.equal(replaced.status, 200);
  warned(replaced, 'extra');

  const patched = await req('PATCH', `${CMS}/u`, { patched: 'x', data: { a: 'd' } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(patched.status, 200);
  warned(patched, 'patched');

  const applied = await req('PATCH', `${CMS}/u?fieldManager=tester`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\ndata:\n  b: "1"\napplied: yes\n', {
    'content-type': 'application/apply-patch+yaml',
  });
  assert.equal(applied.status, 200);
  warned(applied, 'applied');
  const tester = applied.body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'tester');
  assert.deepEqual(Object.keys(tester.fieldsV1).sort(), ['f:data']);

  // Ignore drops them without a word; Strict refuses the write.
  const ignored = await req('POST', `${CMS}?fieldValidation=Ignore`, { ...cm('i'), quiet: 1 });
  assert.equal(ignored.status, 201);
  assert.equal(ignored.headers.warning, undefined);
  assert.equal((await req('POST', `${CMS}?fieldValidation=Strict`, { ...cm('s'), loud: 1 })).status, 400);

  const stored = (await req('GET', `${CMS}/u`)).body;
  for (const f of ['bogus', 'extra', 'patched', 'applied']) assert.equal(stored[f], undefined, f);
  assert.equal(stored.metadata.typo, undefined);
  assert.deepEqual(stored.data, { a: 'd', b: '1' });
  assert.equal((await req('GET', `${CMS}/i`)).body.quiet, undefined);
  assert.equal((await req('GET', `${CMS}/s`)).status, 404);
});

test('/livez/<check>, /healthz/<check> and /readyz/<check> answer that check alone; an unknown check is a 404', async (t) => {
  const { server, req } = await apiServer(t);
  let reason: string | undefined;
  server.addHealthCheck('informer-sync', async () => {
    if (reason) throw new Error(reason);
  });
  for (const path of ['/livez/ping', '/healthz/ping', '/livez/etcd', '/healthz/etcd', '/readyz/ping', '/readyz/etcd', '/readyz/informer-sync']) {
    const r = await req('GET', path);
    assert.deepEqual([r.status, r.body], [200, 'ok'], path);
  }
  reason = 'not synced';
  const failed = await req('GET', '/readyz/informer-sync');
  assert.deepEqual([failed.status, failed.body], [500, 'internal server error: not synced\n']);
  assert.equal((await req('GET', '/readyz/etcd')).status, 200, 'one failing check does not fail another');
  assert.equal((await req('GET', '/readyz')).status, 500);
  assert.equal((await req('GET', '/livez')).status, 200, 'readiness checks are not liveness checks');
  assert.match((await req('GET', '/livez?verbose')).body, /^\[\+\]ping ok\n\[\+\]etcd ok\nlivez check passed\n$/);
  for (const path of ['/livez/nope', '/healthz/etcd-nope', '/readyz/nope', '/livez/', '/livez/ping/x', '/livez/informer-sync']) {
    assertStatus(await req('GET', path), 404, 'NotFound', path);
  }
});

test('Accept: application/yaml answers a get, a list and errors in YAML; a watch refuses it with a 406', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('one'))).status, 201);
  const yaml = { accept: 'application/yaml' };
  const one = await req('GET', `${CMS}/one`, undefined, yaml);
  assert.equal(one.status, 200);
  assert.equal(one.headers['content-type'], 'application/yaml');
  // As sigs.k8s.io/yaml writes it: keys sorted.
  assert.match(one.body, /^apiVersion: v1\ndata:\n {2}a: b\nkind: ConfigMap\nmetadata:\n/);
  assert.deepEqual(parseYAML(one.body), (await req('GET', `${CMS}/one`)).body);
  // Strings a YAML 1.1 reader (Go's yaml) would take for something else are quoted, as Go writes them.
  assert.match(one.body, /\n {2}creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\n/);

  const list = await req('GET', CMS, undefined, yaml);
  assert.equal(list.status, 200);
  assert.equal(list.headers['content-type'], 'application/yaml');
  assert.deepEqual(parseYAML(list.body), (await req('GET', CMS)).body);

  const table = await req('GET', CMS, undefined, { accept: 'application/yaml;as=Table;v=v1;g=meta.k8s.io' });
  assert.equal(table.headers['content-type'], 'application/yaml');
  assert.equal(parseYAML(table.body).kind, 'Table');

  // Errors come in the encoding asked for, as kube-apiserver negotiates its Status.
  const yamlStatus = (r: Reply, code: number, reason: string) => {
    assert.equal(r.status, code);
    assert.equal(r.headers['content-type'], 'application/yaml');
    const st = parseYAML(r.body as string) as { kind: string; code: number; reason: string };
    assert.deepEqual([st.kind, st.code, st.reason], ['Status', code, reason]);
  };
  yamlStatus(await req('GET', `${CMS}?watch=true`, undefined, yaml), 406, 'NotAcceptable');
  yamlStatus(await req('GET', `${CMS}?watch=true`, undefined, { accept: 'application/yaml, application/json' }), 406, 'NotAcceptable');
  yamlStatus(await req('GET', `${CMS}/absent`, undefined, yaml), 404, 'NotFound');
  assertStatus(await req('GET', `${CMS}/absent`, undefined, { accept: 'application/json, application/yaml' }), 404, 'NotFound');
  // JSON stays the answer when it comes first.
  assert.equal((await req('GET', `${CMS}/one`, undefined, { accept: 'application/json, application/yaml' })).headers['content-type'], 'application/json');
});

test('a malformed quantity or base64 value is a 400 from the decoder, not a 422, and nothing is stored', async (t) => {
  const { req } = await apiServer(t);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 'abc' } } }] } };
  const bad = await req('POST', '/api/v1/namespaces/default/pods', pod);
  assertStatus(bad, 400, 'BadRequest', 'quantity');
  assert.match(bad.body.message, /^Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression/);
  const secret = await req('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'hello!' } });
  assertStatus(secret, 400, 'BadRequest', 'secret');
  assert.equal(secret.body.message, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 5');
  assertStatus(await req('POST', CMS, { ...cm('b'), binaryData: { b: 'aGVsbG8' } }), 400, 'BadRequest', 'binaryData');
  assertStatus(await req('GET', '/api/v1/namespaces/default/pods/p'), 404, 'NotFound');
  assertStatus(await req('GET', '/api/v1/namespaces/default/secrets/s'), 404, 'NotFound');
});

/** Steps `clock` until `p` settles: a request waiting on the clock gets its answer. */
async function stepUntil<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await new Promise((r) => setTimeout(r, 1));
    clock.step(50);
  }
  return p;
}

test('a list reads the revision resourceVersion and resourceVersionMatch ask for, and says which it read', async (t) => {
  const { req } = await apiServer(t);
  const a1 = (await req('POST', CMS, cm('a'))).body.metadata.resourceVersion as string;
  assert.equal((await req('POST', CMS, cm('b'))).status, 201);
  const a2 = (await req('PUT', `${CMS}/a`, { ...cm('a'), data: { a: 'changed' } })).body.metadata.resourceVersion as string;
  const names = (r: Reply) => r.body.items.map((i: any) => `${i.metadata.name}=${i.data.a}`).join(',');
  const cases: [string, string, string][] = [
    // query, items, the list's resourceVersion
    [`resourceVersionMatch=Exact&resourceVersion=${a1}`, 'a=b', a1],
    [`resourceVersionMatch=NotOlderThan&resourceVersion=${a1}`, 'a=changed,b=b', a2],
    [`resourceVersion=${a1}`, 'a=changed,b=b', a2],
    // Without a match, a paged list at N is a list exactly at N.
    [`resourceVersion=${a1}&limit=10`, 'a=b', a1],
    ['resourceVersion=0', 'a=changed,b=b', a2],
    ['resourceVersion=0&limit=10', 'a=changed,b=b', a2],
  ];
  for (const [q, items, rv] of cases) {
    for (const accept of ['application/json', 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1']) {
      const r = await req('GET', `${CMS}?${q}`, undefined, { accept });
      assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
      if (accept === 'application/json') assert.equal(names(r), items, q);
      else assert.equal(r.body.items.length, items.split(',').length, q);
      assert.equal(r.body.metadata.resourceVersion, rv, q);
    }
  }
});

test('an Exact list at a compacted revision is 410 Expired', async (t) => {
  const { req, server } = await apiServer(t);
  const first = (await req('POST', CMS, cm('a'))).body.metadata.resourceVersion as string;
  const last = (await req('PUT', `${CMS}/a`, { ...cm('a'), data: { a: 'changed' } })).body.metadata.resourceVersion as string;
  await server.registry.store.compact(Number(last));
  const r = await req('GET', `${CMS}?resourceVersionMatch=Exact&resourceVersion=${first}`);
  assertStatus(r, 410, 'Expired');
  assert.equal(r.body.message, 'The resourceVersion for the provided list is too old.');
});

test('a get or list at a resourceVersion the store has not reached waits 3s for it, then is a 504 Too large resource version', async (t) => {
  const clock = new FakeClock();
  const { req } = await apiServer(t, clock);
  const current = Number((await req('POST', CMS, cm('a'))).body.metadata.resourceVersion);
  const future = current + 5;
  for (const path of [
    `${CMS}/a?resourceVersion=${future}`,
    `${CMS}?resourceVersion=${future}`,
    `${CMS}?resourceVersionMatch=NotOlderThan&resourceVersion=${future}`,
    `${CMS}?resourceVersionMatch=Exact&resourceVersion=${future}`,
  ]) {
    const started = clock.now();
    const r = await stepUntil(clock, req('GET', path));
    assertStatus(r, 504, 'Timeout', path);
    assert.ok(clock.now() - started >= 3000, `${path} answered after ${clock.now() - started}ms`);
    assert.equal(r.body.message, `Timeout: Too large resource version: ${future}, current: ${current}`);
    assert.deepEqual(r.body.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    assert.equal(r.headers['retry-after'], '1');
  }
  // A version the store reaches while the read waits is served.
  const waiting = req('GET', `${CMS}/a?resourceVersion=${current + 1}`);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((await req('POST', CMS, cm('b'))).status, 201);
  const r = await stepUntil(clock, waiting);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal((await req('GET', `${CMS}/a?resourceVersion=${current}`)).status, 200);
  assert.equal((await req('GET', `${CMS}/a?resourceVersion=0`)).status, 200);
});

test('list and get resourceVersion options kube-apiserver refuses are a 422 on ListOptions or a 400', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('a'))).status, 201);
  assert.equal((await req('POST', CMS, cm('b'))).status, 201);
  const token = (await req('GET', `${CMS}?limit=1`)).body.metadata.continue;
  assert.equal(typeof token, 'string');
  const cases: [string, number, string][] = [
    [`${CMS}?resourceVersionMatch=Exact`, 422, 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
    [`${CMS}?resourceVersionMatch=NotOlderThan&resourceVersion=1&limit=1&continue=${token}`, 422, 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided'],
    [`${CMS}?resourceVersionMatch=Newest&resourceVersion=1`, 422, 'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
    [`${CMS}?resourceVersionMatch=Exact&resourceVersion=0`, 422, 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
    [`${CMS}?watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1`, 422, 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch'],
    [`${CMS}?resourceVersion=abc`, 400, 'invalid resource version: strconv.ParseUint: parsing "abc": invalid syntax'],
    [`${CMS}?resourceVersionMatch=Exact&resourceVersion=-1`, 400, 'invalid resource version: strconv.ParseUint: parsing "-1": invalid syntax'],
    [`${CMS}/a?resourceVersion=1.5`, 400, 'invalid resource version: strconv.ParseUint: parsing "1.5": invalid syntax'],
    [`${CMS}?limit=1&resourceVersion=1&continue=${token}`, 400, 'specifying resource version is not allowed when using continue'],
  ];
  for (const [path, code, text] of cases) {
    const r = await req('GET', path);
    assertStatus(r, code, code === 422 ? 'Invalid' : 'BadRequest', path);
    if (code === 422) assert.equal(r.body.message, `ListOptions.meta.k8s.io "" is invalid: ${text}`, path);
    else assert.equal(r.body.message, text, path);
  }
  // resourceVersion "0" beside a continue token is no constraint: the token's own revision is read.
  const r = await req('GET', `${CMS}?limit=1&resourceVersion=0&continue=${token}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.items.map((i: any) => i.metadata.name), ['b']);
});

test('a continue token continues only the list that made it', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } })).status, 201);
  for (const name of ['a', 'b']) {
    assert.equal((await req('POST', CMS, cm(name))).status, 201);
    assert.equal((await req('POST', '/api/v1/namespaces/other/configmaps', cm(name))).status, 201);
  }
  const nsToken = (await req('GET', `${CMS}?limit=1`)).body.metadata.continue;
  const allToken = (await req('GET', '/api/v1/configmaps?limit=1')).body.metadata.continue;
  for (const path of [
    `/api/v1/configmaps?limit=1&continue=${nsToken}`,
    `/api/v1/namespaces/other/configmaps?limit=1&continue=${nsToken}`,
    `/api/v1/namespaces/default/secrets?limit=1&continue=${nsToken}`,
    `/api/v1/namespaces/other/configmaps?limit=1&continue=${allToken}`,
  ]) {
    const r = await req('GET', path);
    assertStatus(r, 400, 'BadRequest', path);
    assert.match(r.body.message, /^invalid continue token: continue key is not valid/, path);
  }
  const own = await req('GET', `${CMS}?limit=1&continue=${nsToken}`);
  assert.deepEqual(own.body.items.map((i: any) => i.metadata.name), ['b']);
  const all = await req('GET', `/api/v1/configmaps?limit=1&continue=${allToken}`);
  assert.deepEqual(all.body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/b']);
});

test('a watch from a resourceVersion the store has not reached stays open and gets the events after it', async (t) => {
  const { req, port } = await apiServer(t);
  const current = Number((await req('POST', CMS, cm('a'))).body.metadata.resourceVersion);
  // kube-apiserver's watch cache neither waits nor fails here: the stream opens and events after
  // the version follow (only a watch-list, sendInitialEvents=true, gives up with a 504 ERROR).
  const lines: any[] = [];
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: `${CMS}?watch=1&timeoutSeconds=2&resourceVersion=${current + 1}`, agent: false }, resolve).on('error', reject);
  });
  assert.equal(res.statusCode, 200);
  const ended = new Promise<void>((resolve) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
    res.on('end', resolve);
  });
  assert.equal((await req('POST', CMS, cm('b'))).status, 201); // current + 1: not after it
  assert.equal((await req('POST', CMS, cm('c'))).status, 201);
  await ended;
  assert.deepEqual(lines.map((l) => `${l.type} ${l.object.metadata.name}`), ['ADDED c']);
});

test('pods/eviction deletes the pod with the Eviction\'s options and answers 201 Success; kubectl drain finds it in discovery', async (t) => {
  const { req } = await apiServer(t);
  const PODS = '/api/v1/namespaces/default/pods';
  const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  assert.equal((await req('POST', PODS, pod('p'))).status, 201);
  const evict = (name: string, body: Record<string, unknown> = {}) =>
    req('POST', `${PODS}/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...body });
  const ok = await evict('p', { deleteOptions: { gracePeriodSeconds: 0 } });
  assert.equal(ok.status, 201);
  assert.deepEqual(ok.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  assert.equal((await req('GET', `${PODS}/p`)).status, 404, 'an unbound pod with grace 0 is gone at once');
  assertStatus(await evict('nope'), 404, 'NotFound');
  assertStatus(await req('POST', `${PODS}/x/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'y' } }), 400, 'BadRequest');
  assertStatus(await req('POST', `${PODS}/x/eviction`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }), 400, 'BadRequest');
  assertStatus(await req('GET', `${PODS}/x/eviction`), 405, 'MethodNotAllowed');
  // A bound pod goes gracefully, marked with why: the DisruptionTarget condition.
  const bind = async (name: string) => {
    assert.equal((await req('POST', PODS, pod(name))).status, 201);
    const b = await req('POST', `${PODS}/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(b.status, 201);
    return (await req('GET', `${PODS}/${name}`)).body as { metadata: { uid: string; resourceVersion: string } };
  };
  type Pod = { metadata: { deletionTimestamp?: string }; status: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
  const target = (p: Pod) => p.status.conditions?.find((c) => c.type === 'DisruptionTarget');
  const bound = await bind('bound');
  assertStatus(await evict('bound', { deleteOptions: { preconditions: { uid: 'someone-else' } } }), 409, 'Conflict');
  assert.equal(target((await req('GET', `${PODS}/bound`)).body as Pod), undefined, 'a refused eviction leaves no mark');
  assert.equal((await evict('bound', { deleteOptions: { preconditions: { uid: bound.metadata.uid, resourceVersion: bound.metadata.resourceVersion } } })).status, 201);
  const evicted = (await req('GET', `${PODS}/bound`)).body as Pod;
  assert.ok(evicted.metadata.deletionTimestamp, 'Terminating');
  assert.deepEqual(
    { ...target(evicted), lastTransitionTime: undefined },
    { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: undefined },
  );
  await bind('dry');
  assert.equal((await req('POST', `${PODS}/dry/eviction?dryRun=All`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'dry' }, deleteOptions: { dryRun: ['All'] } })).status, 201);
  const dry = (await req('GET', `${PODS}/dry`)).body as Pod;
  assert.equal(target(dry), undefined, 'a dry run changes nothing');
  assert.equal(dry.metadata.deletionTimestamp, undefined);
  const v1 = (await req('GET', '/api/v1')).body as { resources: { name: string; group?: string; version?: string; kind: string; verbs: string[] }[] };
  assert.deepEqual(
    v1.resources.find((r) => r.name === 'pods/eviction'),
    { name: 'pods/eviction', singularName: '', namespaced: true, kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  );
  // The streaming subresources are listed as kube-apiserver lists them (served as 400 until a node agent runs pods).
  for (const [name, kind] of [['pods/attach', 'PodAttachOptions'], ['pods/exec', 'PodExecOptions'], ['pods/portforward', 'PodPortForwardOptions']]) {
    assert.deepEqual(v1.resources.find((r) => r.name === name), { name, singularName: '', namespaced: true, kind, verbs: ['create', 'get'] });
  }
});

test('pods/eviction honours a PodDisruptionBudget: one spent, then 429 as kube-apiserver words it; stale status, two budgets, dry run', async (t) => {
  const { req } = await apiServer(t);
  const PODS = '/api/v1/namespaces/default/pods';
  const PDBS = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
  const runningPod = async (name: string, ready = true) => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    assert.equal((await req('POST', PODS, pod)).status, 201);
    const stored = (await req('GET', `${PODS}/${name}`)).body;
    stored.status = { ...stored.status, phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
    assert.equal((await req('PUT', `${PODS}/${name}/status`, stored)).status, 200);
  };
  for (const name of ['a', 'b', 'c']) await runningPod(name);
  await runningPod('unready', false);
  const created = await req('POST', PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.metadata.generation, 1);
  assert.deepEqual(created.body.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  // What the disruption controller would write for three Ready pods.
  const setStatus = async (status: Record<string, unknown>) => {
    const pdb = (await req('GET', `${PDBS}/web`)).body;
    pdb.status = { observedGeneration: pdb.metadata.generation, currentHealthy: 3, desiredHealthy: 2, expectedPods: 4, ...status };
    const r = await req('PUT', `${PDBS}/web/status`, pdb);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await setStatus({ disruptionsAllowed: 1 });
  const evict = (name: string, extra: Record<string, unknown> = {}, query = '') =>
    req('POST', `${PODS}/${name}/eviction${query}`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra });

  // dryRun spends nothing and deletes nothing.
  assert.equal((await evict('a', {}, '?dryRun=All')).status, 201);
  assert.equal((await req('GET', `${PDBS}/web`)).body.status.disruptionsAllowed, 1);
  assert.equal((await req('GET', `${PODS}/a`)).body.metadata.deletionTimestamp, undefined);

  assert.equal((await evict('a')).status, 201);
  const spent = (await req('GET', `${PDBS}/web`)).body.status;
  assert.equal(spent.disruptionsAllowed, 0);
  assert.deepEqual(Object.keys(spent.disruptedPods), ['a']);
  assert.equal(spent.conditions[0].reason, 'InsufficientPods');
  assert.equal((await req('GET', `${PODS}/a`)).status, 404, 'an unbound pod goes at once');

  const refused = await evict('b');
  assertStatus(refused, 429, 'TooManyRequests');
  assert.deepEqual(refused.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: 'TooManyRequests',
    details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 3 currently' }] },
    code: 429,
  });
  assert.equal(refused.headers['retry-after'], undefined, 'no Retry-After when none is allowed');
  assert.equal((await req('GET', `${PODS}/b`)).body.status.conditions.some((c: { type: string }) => c.type === 'DisruptionTarget'), false, 'a refused pod is left unmarked');

  // An unready pod goes while the budget is met, spending nothing.
  assert.equal((await evict('unready')).status, 201);
  assert.equal((await req('GET', `${PDBS}/web`)).body.status.disruptionsAllowed, 0);

  // A budget whose spec moved on since the controller last looked: 429, try again in 10 s.
  const pdb = (await req('GET', `${PDBS}/web`)).body;
  pdb.spec.minAvailable = 1;
  assert.equal((await req('PUT', `${PDBS}/web`, pdb)).body.metadata.generation, 2);
  const stale = await evict('b');
  assertStatus(stale, 429, 'TooManyRequests');
  assert.equal(stale.headers['retry-after'], '10');
  assert.deepEqual(stale.body.details, { retryAfterSeconds: 10, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }] });

  // Two budgets over one pod: the eviction subresource gives up.
  await setStatus({ disruptionsAllowed: 1 });
  assert.equal((await req('POST', PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'also' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } })).status, 201);
  const two = await evict('b');
  assert.equal(two.status, 500);
  assert.deepEqual(two.body, {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500,
    message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
  });
  assert.equal((await req('GET', `${PODS}/b`)).body.metadata.deletionTimestamp, undefined);

  // Discovery lists the budgets in policy/v1, beside core/v1's pods/eviction that kubectl drain looks for.
  const policy = (await req('GET', '/apis/policy/v1')).body as { resources: { name: string; shortNames?: string[]; verbs: string[] }[] };
  assert.deepEqual(policy.resources.map((r) => r.name), ['poddisruptionbudgets', 'poddisruptionbudgets/status']);
  assert.deepEqual(policy.resources[0]!.shortNames, ['pdb']);
  assert.deepEqual(policy.resources[1]!.verbs, ['get', 'patch', 'update']);
});

test('CONNECT is answered with a 405 Status, not a dropped connection', async (t) => {
  const { port } = await apiServer(t);
  const answer = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write('CONNECT /api/v1/pods HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString('utf8')));
    sock.on('end', () => resolve(text));
    sock.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 405 /);
  const status = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { kind: string; code: number; reason: string };
  assert.deepEqual([status.kind, status.code, status.reason], ['Status', 405, 'MethodNotAllowed']);
});

test('a patch whose result the decoder refuses is 422 on "patch" (a create with the same body is a 400)', async (t) => {
  const { req } = await apiServer(t);
  assert.equal((await req('POST', CMS, cm('p'))).status, 201);
  const merge = { 'content-type': 'application/merge-patch+json' };
  const patched = await req('PATCH', `${CMS}/p`, { data: { a: 5 } }, merge);
  assertStatus(patched, 422, 'Invalid');
  assert.deepEqual(patched.body.details.causes.map((c: { field: string }) => c.field), ['patch']);
  assert.match(patched.body.message, /patch: Invalid value: "\{\\"data\\":\{\\"a\\":5\}\}": json: cannot unmarshal number into Go struct field ConfigMap\.data of type string/);
  const PODS = '/api/v1/namespaces/default/pods';
  assert.equal((await req('POST', PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'i' }] } })).status, 201);
  const quantity = await req('PATCH', `${PODS}/q`, { metadata: { annotations: { a: 'b' } }, spec: { overhead: { memory: 'lots' } } }, merge);
  assertStatus(quantity, 422, 'Invalid');
  assert.match(quantity.body.message, /quantities must match the regular expression/);
  // The same problem in a create body is the decoder's 400, as before.
  assertStatus(await req('POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c2' }, data: { a: 5 } }), 400, 'BadRequest');
  assert.deepEqual((await req('GET', `${CMS}/p`)).body.data, { a: 'b' }, 'nothing stored');
});

test('under fieldValidation=Strict a field set twice is a 400 strict decoding error; otherwise the last one wins', async (t) => {
  const { req } = await apiServer(t);
  const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2"},"data":{"a":"1","a":"2"}}';
  const strict = await req('POST', `${CMS}?fieldValidation=Strict`, body);
  assertStatus(strict, 400, 'BadRequest');
  assert.equal(strict.body.message, 'strict decoding error: duplicate field "metadata.name", duplicate field "data.a"');
  assert.equal((await req('GET', `${CMS}/dup2`)).status, 404, 'nothing stored');
  const lenient = await req('POST', CMS, body);
  assert.equal(lenient.status, 201);
  assert.deepEqual([lenient.body.metadata.name, lenient.body.data], ['dup2', { a: '2' }]);
  // PUT is checked the same way.
  const put = await req('PUT', `${CMS}/dup2?fieldValidation=Strict`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup2"},"data":{"b":"1","b":"2"}}');
  assertStatus(put, 400, 'BadRequest');
  assert.match(put.body.message, /duplicate field "data\.b"/);
});
