/** SQLite-specific behaviour the conformance suite cannot see: files, locking, batching, replay paging. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SqliteStore, prefixEnd } from './sqlite-store.js';
import { GoneError, UnavailableError } from '../errors.js';
import type { WatchEvent } from '../interface.js';
import { waitFor } from '../../../test/util/wait.js';

function tempPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'db');
}

test('prefixEnd', () => {
  assert.equal(prefixEnd('/registry/pods/'), '/registry/pods0');
  assert.equal(prefixEnd(''), undefined);
});

test('revision and compaction point survive a reopen, even when the newest row was compacted away', async (t) => {
  const path = tempPath(t);
  let store = SqliteStore.open({ path });
  const a = await store.create('/registry/a', '1');
  const del = await store.delete('/registry/a', a.modRevision);
  await store.compact(del.modRevision);
  await store.close();
  store = SqliteStore.open({ path });
  t.after(() => store.close());
  assert.equal(await store.currentRevision(), del.modRevision);
  assert.equal(await store.compactedRevision(), del.modRevision);
  const again = await store.create('/registry/a', '2');
  assert.equal(again.modRevision, del.modRevision + 1, 'revisions are never reused');
});

test('a second opener of the same file is refused', async (t) => {
  const path = tempPath(t);
  const store = SqliteStore.open({ path });
  t.after(() => store.close());
  await store.create('/registry/a', '1');
  assert.throws(() => SqliteStore.open({ path }), UnavailableError);
});

test('writes issued together commit in one batch, checked in order', async (t) => {
  const store = SqliteStore.open({ path: tempPath(t) });
  t.after(() => store.close());
  const results = await Promise.allSettled([
    store.create('/registry/x', '1'),
    store.create('/registry/x', '2'),
    store.delete('/registry/x'),
    store.create('/registry/x', '3'),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  assert.equal((await store.get('/registry/x'))!.value, '3');
  assert.equal(await store.currentRevision(), 3, 'a rejected write takes no revision');
});

test('a long replay pages through history while writes continue, without gaps or duplicates', async (t) => {
  const store = SqliteStore.open({ path: tempPath(t) });
  t.after(() => store.close());
  const n = 2500;
  await Promise.all(Array.from({ length: n }, (_, i) => store.create(`/registry/r/${i}`, String(i))));
  const seen: number[] = [];
  const w = await store.watch('/registry/r/', (ev: WatchEvent) => seen.push(ev.kv.modRevision), { fromRevision: 1 });
  t.after(() => w.close());
  // Concurrent writes land while the replay is still paging.
  const extra = Array.from({ length: 300 }, (_, i) => store.create(`/registry/r/x${i}`, 'x'));
  await Promise.all(extra);
  const head = await store.currentRevision();
  await waitFor(() => seen.length >= head - 1, { message: 'replay plus live events' });
  assert.deepEqual(seen, Array.from({ length: head - 1 }, (_, i) => i + 2));
});

test('a replay overtaken by compaction ends with GoneError', async (t) => {
  const store = SqliteStore.open({ path: tempPath(t) });
  t.after(() => store.close());
  let kv = await store.create('/registry/a', '0');
  for (let i = 0; i < 1200; i++) kv = await store.update('/registry/a', String(i), kv.modRevision);
  let failure: Error | undefined;
  const w = await store.watch('/registry/', () => {}, { fromRevision: 1, onError: (err) => (failure = err) });
  t.after(() => w.close());
  await store.compact(kv.modRevision);
  await waitFor(() => failure, { message: 'watch error' });
  assert.ok(failure instanceof GoneError);
});

test('closed store refuses work', async (t) => {
  const store = SqliteStore.open({ path: tempPath(t) });
  await store.close();
  await assert.rejects(store.create('/registry/a', '1'), UnavailableError);
  await assert.rejects(store.get('/registry/a'), UnavailableError);
});
