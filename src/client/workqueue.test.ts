import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/fake-clock.js';
import { RateLimitedQueue } from './workqueue.js';

/** Resolves with what get() gave if it settled by the end of this turn, else 'pending'. */
async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('RateLimitedQueue', () => {
  it('de-duplicates queued keys and keeps arrival order', async () => {
    const q = new RateLimitedQueue({ clock: new FakeClock() });
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    assert.equal(q.len(), 3);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
    assert.equal(q.len(), 0);
  });

  it('never hands out a key being processed; a re-add comes back after done()', async () => {
    const q = new RateLimitedQueue({ clock: new FakeClock() });
    q.add('a');
    assert.equal(await q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'a key being processed is not queued again');
    const next = q.get();
    assert.equal(await settled(next), 'pending');
    q.done('a');
    assert.equal(await next, 'a');
    q.done('a');
    assert.equal(await settled(q.get()), 'pending', 'done without a re-add does not requeue');
    q.shutDown();
  });

  it('wakes waiting getters as keys arrive, one key each', async () => {
    const q = new RateLimitedQueue({ clock: new FakeClock() });
    const g1 = q.get();
    const g2 = q.get();
    q.add('x');
    q.add('y');
    assert.deepEqual([await g1, await g2], ['x', 'y']);
  });

  it('backs off per key exponentially from 5 ms, capped, until forget()', async () => {
    const clock = new FakeClock();
    const q = new RateLimitedQueue({ clock, maxDelayMs: 60 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      q.addRateLimited('k');
      const t0 = clock.now();
      while (q.len() === 0) clock.step(1);
      delays.push(clock.now() - t0);
      assert.equal(await q.get(), 'k');
      q.done('k');
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 60, 60]);
    assert.equal(q.numRequeues('k'), 6);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
    q.addRateLimited('k');
    clock.step(4);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
    // Another key's failures are its own.
    q.addRateLimited('other');
    clock.step(5);
    assert.equal(q.len(), 2);
  });

  it('uses client-go defaults: 5 ms base, 1000 s cap', async () => {
    const clock = new FakeClock();
    const q = new RateLimitedQueue({ clock });
    for (let i = 0; i < 40; i++) q.addRateLimited('k');
    // Only the earliest pending delayed add counts: the first, after 5 ms.
    clock.step(5);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'k');
    q.done('k');
    q.addRateLimited('k');
    clock.step(999_999);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
  });

  it('addAfter waits on the clock and keeps the earliest time per key', () => {
    const clock = new FakeClock();
    const q = new RateLimitedQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 300);
    q.addAfter('b', 50);
    q.addAfter('c', 0);
    assert.equal(q.len(), 1, 'a zero delay adds at once');
    clock.step(50);
    assert.equal(q.len(), 2);
    clock.step(50);
    assert.equal(q.len(), 3);
    clock.step(1000);
    assert.equal(q.len(), 3, 'the later addAfter of a did not add it twice');
    assert.equal(clock.pending(), 0);
  });

  it('shutDown drains queued keys, then gives undefined, and ignores new adds', async () => {
    const clock = new FakeClock();
    const q = new RateLimitedQueue({ clock });
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    const q2 = new RateLimitedQueue({ clock });
    q2.add('a');
    q2.addAfter('late', 10);
    q2.shutDown();
    q2.add('b');
    assert.equal(clock.pending(), 0, 'delayed adds are cancelled');
    assert.equal(await q2.get(), 'a');
    assert.equal(await q2.get(), undefined);
    assert.equal(await q2.get(), undefined);
  });
});
