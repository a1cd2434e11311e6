import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allResourceTypes } from '../api/registry.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { silentLogger } from '../util/logger.js';
import { ApiError } from '../api/errors.js';
import { FairQueue } from './fair-queue.js';
import { APIServer } from './server.js';

/** A request that finishes when the test says so. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { done, finish };
}
const tick = () => new Promise((r) => setImmediate(r));

test('serves at most `seats` requests at once and gives freed seats to the waiting flows in turn', async () => {
  const q = new FairQueue(1);
  const order: string[] = [];
  const first = held();
  const running = q.run('burst', async () => {
    order.push('burst-0');
    await first.done;
  });
  // A burst of five from one flow, then one request from another.
  const rest = [1, 2, 3, 4, 5].map((i) => q.run('burst', async () => void order.push(`burst-${i}`)));
  const other = q.run('other', async () => void order.push('other'));
  await tick();
  assert.deepEqual(order, ['burst-0'], 'one seat: the rest wait');
  assert.deepEqual(q.stats, { busy: 1, queued: 6, flows: 2 });
  first.finish();
  await Promise.all([running, ...rest, other]);
  assert.deepEqual(order, ['burst-0', 'burst-1', 'other', 'burst-2', 'burst-3', 'burst-4', 'burst-5'], 'the other flow does not wait behind the whole burst');
  assert.deepEqual(q.stats, { busy: 0, queued: 0, flows: 0 });
});

test('a flow whose queue is full gets 429 TooManyRequests with a retry time; other flows still queue', async () => {
  const q = new FairQueue(1, 2);
  const seat = held();
  const first = q.run('busy', () => seat.done);
  const queued = [q.run('busy', async () => 'a'), q.run('busy', async () => 'b')];
  await assert.rejects(q.run('busy', async () => 'c'), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.details?.retryAfterSeconds, 1);
    return true;
  });
  const other = q.run('other', async () => 'o');
  seat.finish();
  await first;
  assert.deepEqual(await Promise.all([...queued, other]), ['a', 'b', 'o']);
});

test('a request whose client left while it waited is not served, and a failing one frees its seat', async () => {
  const q = new FairQueue(1);
  const first = held();
  const a = q.run('a', () => first.done);
  let served = false;
  const gone = q.run('b', async () => void (served = true), () => true);
  const failing = q.run('c', async () => {
    throw new Error('boom');
  });
  const after = q.run('d', async () => 'ok');
  first.finish();
  await a;
  assert.equal(await gone, undefined);
  assert.equal(served, false);
  await assert.rejects(failing, /boom/);
  assert.equal(await after, 'ok');
  assert.deepEqual(q.stats, { busy: 0, queued: 0, flows: 0 });
});

test('a watch starts while every seat is taken; other requests wait for a seat', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-fair-'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const server = new APIServer({ store, types: allResourceTypes, logger: silentLogger, maxRequestsInFlight: 1 });
  const watch = new AbortController();
  const seat = held();
  t.after(async () => {
    seat.finish();
    watch.abort();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ns = server.resourceType('', 'v1', 'namespaces')!;
  await server.registry.create(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const { port } = await server.listen();
  const base = `http://127.0.0.1:${port}`;
  // Take the only seat, as a slow request would.
  void (server as unknown as { fairQueue: FairQueue }).fairQueue.run('test', () => seat.done);

  const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true`, { signal: AbortSignal.any([watch.signal, AbortSignal.timeout(5000)]) });
  assert.equal(res.status, 200, 'the watch did not wait for a seat');
  let answered = false;
  const list = fetch(`${base}/api/v1/namespaces/default/configmaps`, { signal: AbortSignal.timeout(10_000) }).then((r) => {
    answered = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(answered, false, 'the list waits while the seat is taken');
  // Fill the flow's queue (256 waiting in all): the next one is refused with a time to retry.
  const more = Array.from({ length: 255 }, () => fetch(`${base}/api/v1/namespaces/default/configmaps`, { signal: AbortSignal.timeout(10_000) }));
  let refused: Response | undefined;
  for (let i = 0; i < 100 && !refused; i++) {
    const r = await fetch(`${base}/api/v1/namespaces/default/configmaps`, { signal: AbortSignal.timeout(200) }).catch(() => undefined);
    if (r?.status === 429) refused = r;
  }
  assert.ok(refused, 'a request beyond the queue is refused');
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal(((await refused.json()) as { reason: string }).reason, 'TooManyRequests');
  seat.finish();
  assert.equal((await list).status, 200);
  for (const r of await Promise.all(more)) assert.equal(r.status, 200);
});
