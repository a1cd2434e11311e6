import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/fake-clock.js';
import { createLogger, silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import { Expectations, runController, TerminalError } from './controller.js';
import { RateLimitedQueue } from './workqueue.js';

describe('runController', () => {
  it('retries errors with back-off, drops terminal errors, requeues on request', async () => {
    const clock = new FakeClock();
    const queue = new RateLimitedQueue({ clock });
    const calls: string[] = [];
    const logged: string[] = [];
    const logger = createLogger({}, { level: 'error', write: (l) => logged.push(JSON.parse(l).msg) });
    let flakyFailures = 2;
    const handle = runController({
      name: 'test',
      queue,
      workers: 2,
      logger,
      reconcile: async (key) => {
        calls.push(key);
        if (key === 'flaky' && flakyFailures-- > 0) throw new Error('transient');
        if (key === 'broken') throw new TerminalError('cannot ever work');
        if (key === 'periodic') return { requeueAfterMs: 1000 };
      },
    });
    try {
      queue.add('flaky');
      queue.add('broken');
      queue.add('periodic');
      queue.add('plain');
      await waitFor(() => calls.length === 4, { message: 'first round' });
      // flaky failed once: back in 5 ms; a second failure: 10 ms more.
      await waitFor(() => clock.pending() >= 2, { message: 'flaky and periodic timers' });
      clock.step(5);
      await waitFor(() => calls.filter((c) => c === 'flaky').length === 2, { message: 'first retry' });
      await waitFor(() => queue.numRequeues('flaky') === 2, { message: 'second failure counted' });
      clock.step(9);
      await new Promise((r) => setImmediate(r));
      assert.equal(calls.filter((c) => c === 'flaky').length, 2, 'second retry waits the doubled delay');
      clock.step(1);
      await waitFor(() => calls.filter((c) => c === 'flaky').length === 3, { message: 'second retry' });
      await waitFor(() => queue.numRequeues('flaky') === 0, { message: 'success forgets the back-off' });

      clock.step(1000 - 15);
      await waitFor(() => calls.filter((c) => c === 'periodic').length === 2, { message: 'requeueAfter' });
      assert.equal(calls.filter((c) => c === 'broken').length, 1, 'terminal errors are not retried');
      assert.equal(calls.filter((c) => c === 'plain').length, 1);
      assert.equal(queue.numRequeues('broken'), 0);
      assert.ok(logged.includes('reconcile failed; will retry'));
      assert.ok(logged.includes('reconcile failed permanently; not retrying'));
    } finally {
      await handle.stop();
    }
  });

  it('never runs one key on two workers at once', async () => {
    const queue = new RateLimitedQueue({ clock: new FakeClock() });
    const running = new Set<string>();
    let overlap = false;
    let count = 0;
    const handle = runController({
      name: 'exclusive',
      queue,
      workers: 4,
      logger: silentLogger,
      reconcile: async (key) => {
        if (running.has(key)) overlap = true;
        running.add(key);
        await new Promise((r) => setImmediate(r));
        // Adds during processing must come back after, never run alongside.
        if (count++ < 20) queue.add(key);
        running.delete(key);
      },
    });
    queue.add('k');
    await waitFor(() => count > 20, { message: 'twenty rounds' });
    await handle.stop();
    assert.equal(overlap, false);
  });

  it('stop waits for the key in flight; an aborted signal stops too', async () => {
    const queue = new RateLimitedQueue({ clock: new FakeClock() });
    let release!: () => void;
    let finished = false;
    const handle = runController({
      name: 'slow',
      queue,
      workers: 1,
      logger: silentLogger,
      reconcile: async () => {
        await new Promise<void>((r) => (release = r));
        finished = true;
      },
    });
    queue.add('k');
    await waitFor(() => release, { message: 'reconcile started' });
    const stopping = handle.stop();
    release();
    await stopping;
    assert.equal(finished, true);

    const ac = new AbortController();
    const q2 = new RateLimitedQueue({ clock: new FakeClock() });
    const h2 = runController({ name: 'signalled', queue: q2, workers: 3, logger: silentLogger, signal: ac.signal, reconcile: async () => {} });
    ac.abort();
    await h2.done;
  });
});

describe('Expectations', () => {
  it('is satisfied once creations and deletions are observed, or after the TTL', () => {
    const clock = new FakeClock();
    const e = new Expectations({ clock });
    assert.equal(e.satisfied('rs'), true, 'nothing expected');
    e.expectCreations('rs', 2);
    assert.equal(e.satisfied('rs'), false);
    e.creationObserved('rs');
    assert.equal(e.satisfied('rs'), false);
    e.creationObserved('rs');
    assert.equal(e.satisfied('rs'), true);
    e.creationObserved('rs');
    e.expectCreations('rs', 0);
    assert.equal(e.satisfied('rs'), true, 'extra observations do not go negative');

    e.expectDeletions('rs', ['u1', 'u2']);
    e.deletionObserved('rs', 'u1');
    e.deletionObserved('rs', 'unrelated');
    assert.equal(e.satisfied('rs'), false);
    e.deletionObserved('rs', 'u2');
    assert.equal(e.satisfied('rs'), true);

    e.expectCreations('rs', 1);
    clock.step(5 * 60_000);
    assert.equal(e.satisfied('rs'), false);
    clock.step(1);
    assert.equal(e.satisfied('rs'), true, 'expired');
    e.expectCreations('other', 1);
    e.delete('other');
    assert.equal(e.satisfied('other'), true);
  });
});
