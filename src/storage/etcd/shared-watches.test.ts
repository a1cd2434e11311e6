import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GoneError } from '../errors.js';
import type { WatchEvent } from '../interface.js';
import { waitFor } from '../../../test/util/wait.js';
import { SharedWatches, type SourceHooks } from './shared-watches.js';

/** A backend that records the watches opened on it and lets the test play their events. */
class FakeBackend {
  readonly opened: Array<{ prefix: string; from: number; hooks: SourceHooks; closed: boolean }> = [];
  rev = 100;

  readonly open = async (prefix: string, from: number, hooks: SourceHooks) => {
    const w = { prefix, from, hooks, closed: false };
    this.opened.push(w);
    // Connected: a watch from now starts at the current revision.
    hooks.onDelivered(from > 0 ? from : this.rev, this.rev);
    return { close: () => (w.closed = true) };
  };

  /** A write at the next revision, sent to every open watch of a prefix of key. */
  put(key: string): number {
    const rev = ++this.rev;
    const ev: WatchEvent = { type: 'ADDED', kv: { key, value: `v${rev}`, createRevision: rev, modRevision: rev } };
    for (const w of this.opened) {
      if (w.closed || !key.startsWith(w.prefix)) continue;
      w.hooks.onEvent(ev);
      w.hooks.onDelivered(rev, rev);
    }
    return rev;
  }
}

const revs = (evs: WatchEvent[]) => evs.map((e) => e.kv.modRevision);
const tick = () => new Promise((r) => setImmediate(r));

describe('SharedWatches', () => {
  it('serves every watcher of a prefix, and of narrower prefixes, from one backend watch', async () => {
    const b = new FakeBackend();
    const shared = new SharedWatches(b.open);
    const all1: WatchEvent[] = [];
    const all2: WatchEvent[] = [];
    const ns: WatchEvent[] = [];
    await shared.watch('/registry/pods/', (e) => all1.push(e));
    await shared.watch('/registry/pods/', (e) => all2.push(e));
    await shared.watch('/registry/pods/a/', (e) => ns.push(e));
    await tick();
    const r1 = b.put('/registry/pods/a/x');
    const r2 = b.put('/registry/pods/b/y');
    const r3 = b.put('/registry/pods/a/z');
    assert.equal(b.opened.length, 1, 'one backend watch');
    assert.deepEqual(revs(all1), [r1, r2, r3]);
    assert.deepEqual(revs(all2), [r1, r2, r3]);
    assert.deepEqual(revs(ns), [r1, r3], 'the narrower watcher sees only its keys');
    shared.close();
  });

  it('replays kept events to a watcher starting in the recent past, once each, then live ones', async () => {
    const b = new FakeBackend();
    const shared = new SharedWatches(b.open, { bufferEvents: 4 });
    await shared.watch('/k/', () => {});
    await tick();
    const written = [b.put('/k/1'), b.put('/k/2'), b.put('/k/3')];
    const late: WatchEvent[] = [];
    let caughtUp = 0;
    await shared.watch('/k/', (e) => late.push(e), { fromRevision: written[0], onProgress: (r) => (caughtUp = r) });
    // An event between subscribing and the replay is neither lost nor repeated.
    written.push(b.put('/k/4'));
    await tick();
    written.push(b.put('/k/5'));
    assert.deepEqual(revs(late), written.slice(1));
    assert.ok(caughtUp >= written[3]!, 'onProgress once caught up');
    assert.equal(b.opened.length, 1);
    shared.close();
  });

  it('leaves a watcher wanting history it no longer holds to a watch of its own', async () => {
    const b = new FakeBackend();
    const shared = new SharedWatches(b.open, { bufferEvents: 2 });
    await shared.watch('/k/', () => {});
    await tick();
    const first = b.put('/k/1');
    for (let i = 2; i <= 6; i++) b.put(`/k/${i}`);
    assert.equal(await shared.watch('/k/', () => {}, { fromRevision: first - 1 }), undefined);
    assert.ok(await shared.watch('/k/', () => {}, { fromRevision: b.rev - 1 }), 'a recent revision is still served');
    shared.close();
  });

  it('passes a backend failure to every watcher, and a handler failure only to its own', async () => {
    const b = new FakeBackend();
    const shared = new SharedWatches(b.open);
    const errors: string[] = [];
    const got: number[] = [];
    await shared.watch('/k/', () => {
      throw new Error('bad handler');
    }, { onError: (e) => errors.push(`a: ${e.message}`) });
    await shared.watch('/k/', (e) => got.push(e.kv.modRevision), { onError: (e) => errors.push(`b: ${e.message}`) });
    await tick();
    const r = b.put('/k/1');
    assert.deepEqual(got, [r]);
    assert.deepEqual(errors, ['a: watch handler failed: bad handler']);
    b.opened[0]!.hooks.onError(new GoneError('compacted', 5));
    assert.deepEqual(errors, ['a: watch handler failed: bad handler', 'b: compacted']);
    // The failed shared watch is gone: the next watcher gets a new one.
    await shared.watch('/k/', () => {});
    assert.equal(b.opened.length, 2);
    shared.close();
  });

  it('keeps an idle backend watch for the next watcher for a while, then closes it', async () => {
    const b = new FakeBackend();
    const shared = new SharedWatches(b.open, { idleMs: 50 });
    const w1 = await shared.watch('/k/', () => {});
    w1!.close();
    const w2 = await shared.watch('/k/', () => {});
    assert.equal(b.opened.length, 1, 'reused while idle');
    w2!.close();
    await waitFor(() => b.opened[0]!.closed, { message: 'the idle backend watch closed' });
    assert.equal(shared.size, 0);
    shared.close();
  });
});
