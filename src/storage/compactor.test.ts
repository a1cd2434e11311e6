import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compactor } from './compactor.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Clock } from '../util/clock.js';
import { waitFor } from '../../test/util/wait.js';

/** A clock the test steps by hand; timers fire when their time is reached. */
class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((x) => x !== timer));
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
  pending(): number {
    return this.timers.length;
  }
}

function tempStore(t: import('node:test').TestContext): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-compactor-'));
  const store = SqliteStore.open({ path: join(dir, 'db') });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

test('compacts at the revision seen one time window ago', async (t) => {
  const store = tempStore(t);
  const clock = new FakeClock();
  const compactor = new Compactor(store, { intervalMs: 60_000, keepMs: 60_000, clock });
  t.after(() => compactor.close());
  let kv = await store.create('/registry/a', '0');
  assert.equal(await compactor.tick(), undefined, 'nothing is old enough yet');
  const seenFirst = await store.currentRevision();
  clock.advance(60_000);
  for (let i = 1; i <= 5; i++) kv = await store.update('/registry/a', String(i), kv.modRevision);
  assert.equal(await compactor.tick(), seenFirst);
  assert.equal(await store.compactedRevision(), seenFirst);
  assert.equal(await compactor.tick(), undefined, 'the newer history is still inside the window');
});

test('keepRevisions keeps at least that many revisions', async (t) => {
  const store = tempStore(t);
  const compactor = new Compactor(store, { keepMs: 0, keepRevisions: 3, clock: new FakeClock() });
  t.after(() => compactor.close());
  let kv = await store.create('/registry/a', '0');
  for (let i = 1; i < 10; i++) kv = await store.update('/registry/a', String(i), kv.modRevision);
  assert.equal(await compactor.tick(), 7);
  assert.equal(await store.compactedRevision(), 7);
});

test('start() runs passes on the clock and close() stops them', async (t) => {
  const store = tempStore(t);
  const clock = new FakeClock();
  const compactor = new Compactor(store, { intervalMs: 1000, keepMs: 0, keepRevisions: 1, clock }).start();
  let kv = await store.create('/registry/a', '0');
  kv = await store.update('/registry/a', '1', kv.modRevision);
  await store.update('/registry/a', '2', kv.modRevision);
  clock.advance(1000);
  await waitFor(async () => (await store.compactedRevision()) === 2, { message: 'periodic compaction' });
  await waitFor(() => clock.pending() === 1, { message: 'next pass scheduled' });
  await compactor.close();
  assert.equal(clock.pending(), 0, 'close cancels the timer');
});
