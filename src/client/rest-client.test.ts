import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import type { ResourceRef, WatchEvent } from './interfaces.js';
import { LineSplitter, RestClient, resourcePath } from './rest-client.js';

const configmaps: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const namespaces: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
const deployments: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
const pods: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };

describe('resourcePath', () => {
  it('builds core, group, namespaced, cluster-scoped and subresource paths', () => {
    const cases: [ResourceRef, string | undefined, string | undefined, string | undefined, string][] = [
      [configmaps, 'ns1', undefined, undefined, '/api/v1/namespaces/ns1/configmaps'],
      [configmaps, undefined, undefined, undefined, '/api/v1/configmaps'],
      [configmaps, 'ns1', 'a', undefined, '/api/v1/namespaces/ns1/configmaps/a'],
      [namespaces, 'ignored', 'kube-system', undefined, '/api/v1/namespaces/kube-system'],
      [deployments, 'ns1', 'web', 'scale', '/apis/apps/v1/namespaces/ns1/deployments/web/scale'],
      [deployments, undefined, undefined, undefined, '/apis/apps/v1/deployments'],
      [pods, 'ns1', 'p', 'status', '/api/v1/namespaces/ns1/pods/p/status'],
    ];
    for (const [res, ns, name, sub, want] of cases) assert.equal(resourcePath(res, ns, name, sub), want);
  });
});

describe('LineSplitter', () => {
  it('joins lines cut anywhere, including inside a UTF-8 character', () => {
    const text = '{"a":"é"}\n{"b":2}\n\n{"c":"日本"}\n{"tail":1}';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new LineSplitter();
      const got = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut)), ...s.end()];
      assert.deepEqual(got, ['{"a":"é"}', '{"b":2}', '', '{"c":"日本"}', '{"tail":1}'], `cut at ${cut}`);
    }
    const bytewise = new LineSplitter();
    const all: string[] = [];
    for (const b of bytes) all.push(...bytewise.push(Buffer.from([b])));
    all.push(...bytewise.end());
    assert.equal(all.join('\n'), text);
  });
});

describe('RestClient against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-rest-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = RestClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: 'rest-test/1.0' });
    await client.create(namespaces, undefined, { metadata: { name: 'rest' } });
  });

  after(async () => {
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the server over its unix socket, which only the owner may open and which still wants a token', async () => {
    const socketPath = join(dir, 'apiserver.sock');
    const st = statSync(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    const local = new RestClient({ server: cp.url, caCert: '', token: cp.adminToken, socketPath, userAgent: 'socket-test/1.0' });
    const stranger = new RestClient({ server: cp.url, caCert: '', token: 'not-a-token', socketPath });
    const events: string[] = [];
    const w = local.watch(configmaps, 'rest', { resourceVersion: (await local.list(configmaps, 'rest')).metadata.resourceVersion }, (ev) => events.push(`${ev.type} ${ev.object.metadata.name}`), () => {});
    try {
      const created = await local.create<KubeObject>(configmaps, 'rest', { metadata: { name: 'via-socket' }, data: { v: '1' } });
      assert.equal(created.metadata.managedFields?.[0]?.manager, 'socket-test');
      assert.equal((await client.get(configmaps, 'rest', 'via-socket')).metadata.uid, created.metadata.uid);
      await waitFor(() => events.includes('ADDED via-socket'));
      await assert.rejects(stranger.get(configmaps, 'rest', 'via-socket'), (err: ApiError) => err.code === 401);
      await local.delete(configmaps, 'rest', 'via-socket');
    } finally {
      w.close();
      local.close();
      stranger.close();
    }
  });

  it('creates, gets, lists, updates and deletes', async () => {
    const created = await client.create<KubeObject>(configmaps, 'rest', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { app: 'x' } }, data: { v: '1' } });
    assert.equal(created.metadata.namespace, 'rest');
    assert.ok(created.metadata.uid);
    assert.equal(created.metadata.managedFields?.[0]?.manager, 'rest-test');
    const got = await client.get(configmaps, 'rest', 'a');
    assert.equal(got.data.v, '1');

    await client.create(configmaps, 'rest', { metadata: { name: 'b' } });
    const all = await client.list(configmaps, 'rest');
    assert.deepEqual(all.items.map((o) => o.metadata.name).sort(), ['a', 'b']);
    assert.match(all.metadata.resourceVersion, /^\d+$/);
    const labelled = await client.list(configmaps, 'rest', { labelSelector: 'app=x' });
    assert.deepEqual(labelled.items.map((o) => o.metadata.name), ['a']);
    const page = await client.list(configmaps, 'rest', { limit: 1 });
    assert.equal(page.items.length, 1);
    assert.ok(page.metadata.continue);
    const rest = await client.list(configmaps, 'rest', { limit: 1, continue: page.metadata.continue });
    assert.equal(rest.items.length, 1);
    const everywhere = await client.list(configmaps, undefined);
    assert.ok(everywhere.items.some((o) => o.metadata.namespace === 'rest'));

    const updated = await client.update(configmaps, { ...got, data: { v: '2' } });
    assert.equal(updated.data.v, '2');
    await assert.rejects(client.update(configmaps, { ...got, data: { v: 'stale' } }), (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'Conflict');

    const dry = await client.create(configmaps, 'rest', { metadata: { name: 'dry' } }, { dryRun: true });
    assert.equal(dry.metadata.name, 'dry');
    await assert.rejects(client.get(configmaps, 'rest', 'dry'), (e: unknown) => e instanceof ApiError && e.code === 404);

    await client.delete(configmaps, 'rest', 'b');
    await client.delete(configmaps, 'rest', 'a', { preconditions: { uid: created.metadata.uid }, propagationPolicy: 'Background' });
    assert.equal((await client.list(configmaps, 'rest')).items.length, 0);
  });

  it('patches with every patch type', async () => {
    await client.create(configmaps, 'rest', { metadata: { name: 'p' }, data: { a: '1', b: '2' } });
    const json = await client.patch(configmaps, 'rest', 'p', 'json', [{ op: 'replace', path: '/data/a', value: 'j' }]);
    assert.deepEqual(json.data, { a: 'j', b: '2' });
    const merge = await client.patch(configmaps, 'rest', 'p', 'merge', { data: { b: null, c: 'm' } });
    assert.deepEqual(merge.data, { a: 'j', c: 'm' });
    const strategic = await client.patch(configmaps, 'rest', 'p', 'strategic', { metadata: { labels: { s: 'yes' } } });
    assert.equal(strategic.metadata.labels?.s, 'yes');

    const applied = await client.patch(configmaps, 'rest', 'applied', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'v' } }, { fieldManager: 'applier' });
    assert.equal(applied.data.k, 'v');
    assert.ok(applied.metadata.managedFields?.some((m) => m.manager === 'applier' && m.operation === 'Apply'));
    // Another manager taking a field it does not own conflicts unless it forces.
    const other = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'other' } };
    await assert.rejects(client.patch(configmaps, 'rest', 'applied', 'apply', other, { fieldManager: 'rival' }), (e: unknown) => e instanceof ApiError && e.code === 409);
    const forced = await client.patch(configmaps, 'rest', 'applied', 'apply', other, { fieldManager: 'rival', force: true });
    assert.equal(forced.data.k, 'other');
  });

  it('turns failures into ApiError from the Status', async () => {
    const cases: [() => Promise<unknown>, number, string][] = [
      [() => client.get(configmaps, 'rest', 'absent'), 404, 'NotFound'],
      [() => client.create(configmaps, 'rest', { metadata: { name: 'BAD' } }), 422, 'Invalid'],
      [() => client.create(configmaps, 'no-such-ns', { metadata: { name: 'x' } }), 404, 'NotFound'],
      [() => client.list(configmaps, 'rest', { labelSelector: 'a in (' }), 400, 'BadRequest'],
      [() => client.patch(configmaps, 'rest', 'absent', 'merge', {}), 404, 'NotFound'],
      [() => client.delete(configmaps, 'rest', 'absent'), 404, 'NotFound'],
    ];
    for (const [call, code, reason] of cases) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof ApiError, String(e));
        assert.equal(e.code, code, e.message);
        assert.equal(e.reason, reason, e.message);
        assert.ok(e.message.length > 0);
        return true;
      });
    }
    await client.create(configmaps, 'rest', { metadata: { name: 'dup' } });
    await assert.rejects(client.create(configmaps, 'rest', { metadata: { name: 'dup' } }), (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists');

    const unauthorised = new RestClient({ server: cp.url, caCert: cp.caCert, token: 'wrong' });
    try {
      await assert.rejects(unauthorised.get(configmaps, 'rest', 'dup'), (e: unknown) => e instanceof ApiError && e.code === 401);
    } finally {
      unauthorised.close();
    }
  });

  it('watches in order from a resourceVersion, and calls onDone once', async () => {
    const start = (await client.list(configmaps, 'rest')).metadata.resourceVersion;
    const seen: string[] = [];
    let doneCalls = 0;
    let doneErr: Error | undefined;
    const w = client.watch(
      configmaps,
      'rest',
      { resourceVersion: start },
      (ev: WatchEvent<KubeObject>) => seen.push(`${ev.type} ${ev.object.metadata.name} ${ev.object.data?.v ?? ''}`.trim()),
      (err) => {
        doneCalls++;
        doneErr = err;
      },
    );
    await client.create(configmaps, 'rest', { metadata: { name: 'w' }, data: { v: '1' } });
    await client.patch(configmaps, 'rest', 'w', 'merge', { data: { v: '2' } });
    // A large object crosses chunk boundaries in the stream.
    await client.create(configmaps, 'rest', { metadata: { name: 'big' }, data: { v: 'x'.repeat(200_000) } });
    await client.delete(configmaps, 'rest', 'w');
    await waitFor(() => seen.length >= 4, { message: 'four watch events' });
    assert.deepEqual(seen.map((s) => s.slice(0, 40)), ['ADDED w 1', 'MODIFIED w 2', `ADDED big ${'x'.repeat(200_000)}`.slice(0, 40), 'DELETED w 2']);
    w.close();
    w.close();
    assert.equal(doneCalls, 1);
    assert.equal(doneErr, undefined);
  });

  it('reports a refused watch through onDone with the ApiError', async () => {
    const err = await new Promise<Error | undefined>((resolve) => {
      client.watch(configmaps, 'rest', { labelSelector: 'a in (' }, () => {}, resolve);
    });
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 400);
  });

  it('binds a pod to a node', async () => {
    await client.create(pods, 'rest', { metadata: { name: 'bound' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await client.bind('rest', 'bound', 'node-1');
    const pod = await client.get(pods, 'rest', 'bound');
    assert.equal(pod.spec.nodeName, 'node-1');
  });

  it('fails a request that outlives its timeout with a 504', async () => {
    const slow = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken, timeoutMs: 1 });
    try {
      // A watch-less list of a big namespace is not needed: 1 ms is shorter than any TLS handshake.
      await assert.rejects(slow.list(configmaps, 'rest'), (e: unknown) => e instanceof ApiError && e.code === 504);
    } finally {
      slow.close();
    }
  });
});

describe('RestClient and 429 TooManyRequests', () => {
  it('tries again after the Retry-After the server gives, as client-go does, and gives up after ten', { timeout: 60_000 }, async (t) => {
    const { createServer } = await import('node:http');
    const dir = mkdtempSync(join(tmpdir(), 'peapod-429-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let refuse = 2;
    const seen: number[] = [];
    const server = createServer((req, res) => {
      seen.push(Date.now());
      req.resume();
      if (refuse-- > 0) {
        res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'try later', details: { retryAfterSeconds: 1 } }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', namespace: 'ns' } }));
    });
    const socketPath = join(dir, 's.sock');
    await new Promise<void>((r) => server.listen(socketPath, r));
    t.after(() => new Promise((r) => server.close(r)));
    const client = new RestClient({ server: 'https://unused', caCert: '', token: 't', socketPath });
    t.after(() => client.close());

    const got = await client.get(configmaps, 'ns', 'x');
    assert.equal(got.metadata.name, 'x');
    assert.equal(seen.length, 3, 'two refusals, then the answer');
    assert.ok(seen[1]! - seen[0]! >= 900 && seen[2]! - seen[1]! >= 900, 'each retry waited for Retry-After');

    refuse = 100;
    seen.length = 0;
    // Ten retries of a second each: give up with the 429 at last.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const failing = client.get(configmaps, 'ns', 'x').then(
      () => assert.fail('expected 429'),
      (err: unknown) => err,
    );
    // setTimeout is mocked (the retries' waits), so poll on setImmediate, which is not.
    const until = async (cond: () => boolean, what: string) => {
      for (let spins = 0; !cond(); spins++) {
        if (spins > 200_000) assert.fail(`never saw ${what}`);
        await new Promise((r) => setImmediate(r));
      }
    };
    // Each refusal is followed by a one-second wait: advance the clock until the next attempt
    // arrives (the client may not have read the refusal yet when a tick comes).
    for (let i = 1; i < 11; i++) {
      let spins = 0;
      await until(() => {
        if (++spins % 50 === 0) t.mock.timers.tick(1000);
        return seen.length === i + 1;
      }, `attempt ${i + 1}`);
    }
    t.mock.timers.tick(1000);
    const err = await failing;
    assert.ok(err instanceof ApiError && err.code === 429, String(err));
    assert.equal(seen.length, 11, 'the first attempt and ten retries');
  });
});
