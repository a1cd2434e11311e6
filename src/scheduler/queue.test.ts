import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/fake-clock.js';
import { SchedulingQueue, type QueuedPod } from './queue.js';

function newQueue(clock = new FakeClock()): { q: SchedulingQueue; clock: FakeClock } {
  const q = new SchedulingQueue({ clock, podInitialBackoffMs: 1000, podMaxBackoffMs: 10_000, podMaxInUnschedulablePodsDurationMs: 5 * 60_000 });
  q.run();
  return { q, clock };
}

async function popKey(q: SchedulingQueue): Promise<QueuedPod> {
  const p = await q.pop();
  assert.ok(p, 'queue closed');
  return p;
}

describe('SchedulingQueue', () => {
  it('pops by priority, then by arrival', async () => {
    const { q, clock } = newQueue();
    q.add('ns/low', 0);
    clock.step(1);
    q.add('ns/high', 100);
    clock.step(1);
    q.add('ns/low2', 0);
    q.add('ns/high2', 100);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await popKey(q);
      order.push(p.key);
      q.done(p.key);
    }
    assert.deepEqual(order, ['ns/high', 'ns/high2', 'ns/low', 'ns/low2']);
    q.close();
  });

  it('adding a queued pod again does not duplicate it', async () => {
    const { q } = newQueue();
    q.add('ns/a', 0);
    q.add('ns/a', 0);
    assert.equal(q.stats().active, 1);
    q.close();
  });

  it('pop waits for a pod and resolves undefined on close', async () => {
    const { q } = newQueue();
    const waiting = q.pop();
    q.add('ns/a', 0);
    assert.equal((await waiting)?.key, 'ns/a');
    const next = q.pop();
    q.close();
    assert.equal(await next, undefined);
  });

  it('parks unschedulable pods until a cluster event, then backs them off', async () => {
    const { q, clock } = newQueue();
    q.add('ns/a', 0);
    const p = await popKey(q);
    q.addUnschedulable(p);
    assert.equal(q.location('ns/a'), 'unschedulable');
    clock.step(60_000);
    assert.equal(q.location('ns/a'), 'unschedulable', 'nothing changed, so it waits');
    q.moveAllToActiveOrBackoff();
    assert.equal(q.location('ns/a'), 'active', 'its back-off is long over');
    q.close();
  });

  it('a pod moved while still backing off waits out its back-off first', async () => {
    const { q, clock } = newQueue();
    q.add('ns/a', 0);
    q.addUnschedulable(await popKey(q));
    q.moveAllToActiveOrBackoff();
    assert.equal(q.location('ns/a'), 'backoff');
    clock.step(999);
    assert.equal(q.location('ns/a'), 'backoff');
    clock.step(1001);
    assert.equal(q.location('ns/a'), 'active');
    q.close();
  });

  it('back-off doubles per attempt up to the maximum', async () => {
    const { q, clock } = newQueue();
    q.add('ns/a', 0);
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const p = await popKey(q);
      const at = clock.now();
      q.addBackoff(p);
      while (q.location('ns/a') !== 'active') clock.step(1000);
      waits.push(clock.now() - at);
    }
    // Flushed on 1 s ticks, so each wait is rounded up to the next tick.
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    q.close();
  });

  it('retries unschedulable pods after five minutes without any event', async () => {
    const { q, clock } = newQueue();
    q.add('ns/a', 0);
    q.addUnschedulable(await popKey(q));
    clock.step(5 * 60_000);
    assert.equal(q.location('ns/a'), 'unschedulable');
    clock.step(30_000);
    assert.equal(q.location('ns/a'), 'active');
    q.close();
  });

  it('a move request during the cycle sends the failed pod to back-off, not to wait', async () => {
    const { q } = newQueue();
    q.add('ns/a', 0);
    const p = await popKey(q);
    q.moveAllToActiveOrBackoff(); // e.g. a node was added while the pod was being scheduled
    q.addUnschedulable(p);
    assert.equal(q.location('ns/a'), 'backoff');
    q.close();
  });

  it('an update that may make the pod fit moves it; a status-only update does not', async () => {
    const { q } = newQueue();
    q.add('ns/a', 0);
    q.addUnschedulable(await popKey(q));
    q.update('ns/a', 0, false);
    assert.equal(q.location('ns/a'), 'unschedulable');
    q.update('ns/a', 0, true);
    assert.equal(q.location('ns/a'), 'backoff');
    q.close();
  });

  it('delete forgets the pod wherever it is', async () => {
    const { q } = newQueue();
    q.add('ns/a', 0);
    q.add('ns/b', 0);
    q.delete('ns/a');
    assert.equal(q.location('ns/a'), undefined);
    assert.equal((await popKey(q)).key, 'ns/b');
    assert.equal(q.stats().active, 0);
    q.close();
  });

  it('close cancels its timers', () => {
    const clock = new FakeClock();
    const { q } = newQueue(clock);
    assert.ok(clock.pending() > 0);
    q.close();
    assert.equal(clock.pending(), 0);
  });
});
