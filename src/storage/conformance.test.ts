/**
 * The Store conformance suite: every backend must pass the same behaviour tests. Each backend
 * supplies a harness that opens isolated stores (a fresh SQLite file, or a fresh etcd key
 * namespace on one shared etcd) and a config a child process can open the same store with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyValue, Store, WatchEvent } from './interface.js';
import { AlreadyExistsError, ConflictError, GoneError, NotFoundError } from './errors.js';
import { guaranteedUpdate } from './guaranteed-update.js';
import { openStore, type StoreConfig } from './open.js';
import { crashValue } from './crash-writer.js';
import { startEtcd, type EtcdCluster } from '../../test/util/etcd.js';
import { waitFor } from '../../test/util/wait.js';

interface Harness {
  /** A config for the store called `name`; the same name reopens the same data. */
  config(name: string): StoreConfig;
  teardown(): Promise<void>;
}

interface Backend {
  name: string;
  setup(): Promise<Harness>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'peapod-store-'));
      return {
        config: (name) => ({ kind: 'sqlite', path: join(dir, `${name}.db`) }),
        teardown: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'etcd',
    async setup() {
      const etcd: EtcdCluster = await startEtcd();
      const ns = `/peapod-conformance-${process.pid}`;
      return {
        config: (name) => ({ kind: 'etcd', endpoints: etcd.endpoints, prefix: `${ns}/${name}` }),
        teardown: () => etcd.stop(),
      };
    },
  },
];

/** One line per event, so sequences compare readably. */
function fmt(ev: WatchEvent): string {
  return `${ev.type} ${ev.kv.key} @${ev.kv.modRevision} =${ev.kv.value}`;
}

function expectedEvent(type: WatchEvent['type'], kv: KeyValue): string {
  return `${type} ${kv.key} @${kv.modRevision} =${kv.value}`;
}

for (const backend of backends) {
  describe(`Store conformance: ${backend.name}`, () => {
    let harness: Harness;
    const opened: Store[] = [];
    let seq = 0;

    /** A fresh, isolated store; closed when the suite ends (also on failure). */
    const fresh = async (): Promise<Store> => {
      const store = await openStore(harness.config(`s${++seq}`));
      opened.push(store);
      return store;
    };

    before(async () => {
      harness = await backend.setup();
    });
    after(async () => {
      await Promise.allSettled(opened.map((s) => s.close()));
      await harness?.teardown();
    });

    test('create, get and AlreadyExists', async () => {
      const s = await fresh();
      assert.equal(await s.get('/registry/pods/default/a'), undefined);
      const kv = await s.create('/registry/pods/default/a', '{"v":1}');
      assert.equal(kv.key, '/registry/pods/default/a');
      assert.equal(kv.value, '{"v":1}');
      assert.equal(kv.createRevision, kv.modRevision);
      assert.deepEqual(await s.get('/registry/pods/default/a'), kv);
      assert.equal(await s.currentRevision(), kv.modRevision);
      await assert.rejects(s.create('/registry/pods/default/a', 'x'), AlreadyExistsError);
      assert.deepEqual(await s.get('/registry/pods/default/a'), kv, 'a failed create changes nothing');
      const b = await s.create('/registry/pods/default/b', 'b');
      assert.ok(b.modRevision > kv.modRevision, 'revisions increase');
      await s.check();
    });

    test('remaining on a first page follows creates, deletes and re-creates between lists', async () => {
      const s = await fresh();
      const key = (i: number) => `/registry/c/ns/${String(i).padStart(3, '0')}`;
      for (let i = 0; i < 30; i++) await s.create(key(i), 'v');
      await s.create('/registry/c/nt/000', 'other namespace');
      const first = async (prefix: string) => (await s.list(prefix, { limit: 5 })).remaining;
      assert.equal(await first('/registry/c/ns/'), 25);
      assert.equal(await first('/registry/c/'), 26);
      for (let i = 30; i < 40; i++) await s.create(key(i), 'v');
      for (let i = 0; i < 4; i++) await s.delete(key(i));
      await s.update(key(10), 'changed', (await s.get(key(10)))!.modRevision);
      await s.create(key(2), 'back');
      assert.equal(await first('/registry/c/ns/'), 37 - 5);
      assert.equal(await first('/registry/c/'), 38 - 5);
      assert.equal(await s.count('/registry/c/ns/'), 37);
    });

    test('list by prefix pages with limit/startAfter, more/remaining, one consistent snapshot', async () => {
      const s = await fresh();
      const keys = Array.from({ length: 25 }, (_, i) => `/registry/p/a/${String(i).padStart(2, '0')}`);
      for (const k of keys) await s.create(k, `v-${k}`);
      // Neighbours that share a string prefix but are not under "/registry/p/a/".
      await s.create('/registry/p/a', 'parent');
      await s.create('/registry/p/ab', 'sibling');
      await s.create('/registry/p/b/00', 'other');

      const all = await s.list('/registry/p/a/');
      assert.deepEqual(all.items.map((i) => i.key), keys);
      assert.equal(all.more, false);
      assert.equal(all.revision, await s.currentRevision());

      const p1 = await s.list('/registry/p/a/', { limit: 10 });
      assert.deepEqual(p1.items.map((i) => i.key), keys.slice(0, 10));
      assert.equal(p1.more, true);
      assert.equal(p1.remaining, 15);

      // Writes between pages must not show up in later pages of the same list.
      await s.delete(keys[15]!);
      await s.update(keys[16]!, 'changed', (await s.get(keys[16]!))!.modRevision);
      await s.create('/registry/p/a/99', 'late');

      const p2 = await s.list('/registry/p/a/', { limit: 10, startAfter: p1.items[9]!.key, revision: p1.revision });
      assert.deepEqual(p2.items.map((i) => i.key), keys.slice(10, 20));
      assert.equal(p2.items[6]!.value, `v-${keys[16]}`, 'the snapshot value, not the later update');
      assert.equal(p2.revision, p1.revision);
      assert.equal(p2.more, true);
      assert.equal(p2.remaining, 5);
      const p3 = await s.list('/registry/p/a/', { limit: 10, startAfter: p2.items[9]!.key, revision: p1.revision });
      assert.deepEqual(p3.items.map((i) => i.key), keys.slice(20));
      assert.equal(p3.more, false);

      const now = await s.list('/registry/p/a/');
      assert.deepEqual(
        now.items.map((i) => i.key),
        [...keys.slice(0, 15), ...keys.slice(16), '/registry/p/a/99'],
      );
      assert.equal(await s.count('/registry/p/a/'), 25);
      assert.equal(await s.count('/registry/p/'), 28);
      assert.equal(await s.count('/registry/nothing/'), 0);
      assert.deepEqual((await s.list('/registry/nothing/')).items, []);
    });

    test('list at an older revision sees the state of that revision', async () => {
      const s = await fresh();
      const a1 = await s.create('/registry/o/a', 'a1');
      const b1 = await s.create('/registry/o/b', 'b1');
      const a2 = await s.update('/registry/o/a', 'a2', a1.modRevision);
      const bDel = await s.delete('/registry/o/b');
      const c1 = await s.create('/registry/o/c', 'c1');
      const at = async (rev: number) =>
        (await s.list('/registry/o/', { revision: rev })).items.map((i) => `${i.key}=${i.value}@${i.modRevision}`);
      assert.deepEqual(await at(a1.modRevision), [`/registry/o/a=a1@${a1.modRevision}`]);
      assert.deepEqual(await at(b1.modRevision), [`/registry/o/a=a1@${a1.modRevision}`, `/registry/o/b=b1@${b1.modRevision}`]);
      assert.deepEqual(await at(a2.modRevision), [`/registry/o/a=a2@${a2.modRevision}`, `/registry/o/b=b1@${b1.modRevision}`]);
      assert.deepEqual(await at(bDel.modRevision), [`/registry/o/a=a2@${a2.modRevision}`]);
      assert.deepEqual(await at(c1.modRevision), [`/registry/o/a=a2@${a2.modRevision}`, `/registry/o/c=c1@${c1.modRevision}`]);
      assert.equal((await s.list('/registry/o/', { revision: a2.modRevision })).revision, a2.modRevision);
    });

    test('update and delete honour preconditions', async () => {
      const s = await fresh();
      const v1 = await s.create('/registry/u/x', 'v1');
      const v2 = await s.update('/registry/u/x', 'v2', v1.modRevision);
      assert.equal(v2.createRevision, v1.createRevision);
      assert.ok(v2.modRevision > v1.modRevision);
      await assert.rejects(s.update('/registry/u/x', 'stale', v1.modRevision), ConflictError);
      await assert.rejects(s.update('/registry/u/missing', 'v', 1), NotFoundError);
      await assert.rejects(s.update('/registry/u/missing', 'v', 0), NotFoundError, 'update never creates');
      assert.equal((await s.get('/registry/u/x'))!.value, 'v2');

      await assert.rejects(s.delete('/registry/u/x', v1.modRevision), ConflictError);
      assert.equal((await s.get('/registry/u/x'))!.value, 'v2', 'a failed delete changes nothing');
      const del = await s.delete('/registry/u/x', v2.modRevision);
      assert.equal(del.value, 'v2');
      assert.equal(del.createRevision, v1.createRevision);
      assert.ok(del.modRevision > v2.modRevision, 'the delete has its own revision');
      assert.equal(await s.currentRevision(), del.modRevision);
      assert.equal(await s.get('/registry/u/x'), undefined);
      await assert.rejects(s.delete('/registry/u/x'), NotFoundError);
      await assert.rejects(s.delete('/registry/u/x', del.modRevision), NotFoundError);

      const again = await s.create('/registry/u/x', 'v3');
      assert.ok(again.createRevision > del.modRevision, 'a re-created key starts a new life');
      const plain = await s.delete('/registry/u/x');
      assert.equal(plain.value, 'v3');
    });

    test('concurrent updates of one object: exactly one wins, the rest conflict', async () => {
      const s = await fresh();
      const base = await s.create('/registry/c/obj', 'base');
      const results = await Promise.allSettled(
        Array.from({ length: 25 }, (_, i) => s.update('/registry/c/obj', `w${i}`, base.modRevision)),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      for (const r of lost) assert.ok(r.reason instanceof ConflictError, `expected ConflictError, got ${r.reason}`);
      const winner = (won[0] as PromiseFulfilledResult<KeyValue>).value;
      assert.deepEqual(await s.get('/registry/c/obj'), winner);
    });

    test('guaranteedUpdate under contention applies every increment', async () => {
      const s = await fresh();
      await s.create('/registry/g/counter', '0');
      const workers = 10;
      const each = 8;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let i = 0; i < each; i++) {
            await guaranteedUpdate(s, '/registry/g/counter', (cur) => String(Number(cur.value) + 1), 1000);
          }
        }),
      );
      assert.equal((await s.get('/registry/g/counter'))!.value, String(workers * each));
    });

    test('watch from every kept revision sees every later event exactly once, in order, then live ones', async (t) => {
      const s = await fresh();
      const p = '/registry/w/';
      const start = await s.currentRevision();
      const expected: Array<{ rev: number; line: string }> = [];
      const record = (type: WatchEvent['type'], kv: KeyValue) => {
        expected.push({ rev: kv.modRevision, line: expectedEvent(type, kv) });
        return kv;
      };
      await s.create('/registry/outside', 'not watched');
      let a = record('ADDED', await s.create(`${p}a`, 'a1'));
      const b = record('ADDED', await s.create(`${p}b`, 'b1'));
      a = record('MODIFIED', await s.update(`${p}a`, 'a2', a.modRevision));
      record('DELETED', await s.delete(`${p}b`, b.modRevision));
      let c = record('ADDED', await s.create(`${p}c`, 'c1'));
      a = record('MODIFIED', await s.update(`${p}a`, 'a3', a.modRevision));
      record('DELETED', await s.delete(`${p}a`));
      record('ADDED', await s.create(`${p}b`, 'b2'));
      c = record('MODIFIED', await s.update(`${p}c`, 'c2', c.modRevision));
      const end = await s.currentRevision();

      const seen = new Map<number, string[]>();
      // fromRevision 0 means "from now", so start at 1 (the unwatched write keeps the first one).
      for (let from = Math.max(start, 1); from <= end; from++) {
        const lines: string[] = [];
        seen.set(from, lines);
        const wf = await s.watch(p, (ev) => lines.push(fmt(ev)), { fromRevision: from });
        t.after(() => wf.close());
      }
      for (const [from, lines] of seen) {
        const want = expected.filter((e) => e.rev > from).map((e) => e.line);
        await waitFor(() => lines.length >= want.length, { timeoutMs: 10_000, message: `history from ${from}` });
      }

      // Live events after the replay, then a sentinel that proves nothing else (no duplicate) came.
      record('MODIFIED', await s.update(`${p}c`, 'c3', c.modRevision));
      record('ADDED', await s.create(`${p}zz-sentinel`, 'end'));
      for (const [from, lines] of seen) {
        const want = expected.filter((e) => e.rev > from).map((e) => e.line);
        await waitFor(() => lines.at(-1)?.includes('zz-sentinel'), { message: `sentinel for watch from ${from}` });
        assert.deepEqual(lines, want, `watch from revision ${from}`);
      }
    });

    test('watch from 0 sees only new events, with prevKv, and close stops delivery', async (t) => {
      const s = await fresh();
      const p = '/registry/n/';
      const old = await s.create(`${p}old`, 'o1');
      const events: WatchEvent[] = [];
      let progress = 0;
      const w = await s.watch(p, (ev) => events.push(ev), { onProgress: (r) => (progress = r) });
      t.after(() => w.close());
      await waitFor(() => progress >= old.modRevision, { message: 'onProgress for a watch from now' });
      const upd = await s.update(`${p}old`, 'o2', old.modRevision);
      const neu = await s.create(`${p}new`, 'n1');
      const del = await s.delete(`${p}new`);
      await waitFor(() => events.length >= 3, { message: 'three live events' });
      assert.deepEqual(events.map(fmt), [
        expectedEvent('MODIFIED', upd),
        expectedEvent('ADDED', neu),
        expectedEvent('DELETED', del),
      ]);
      assert.equal(events[0]!.prevKv?.value, 'o1');
      assert.equal(events[0]!.prevKv?.modRevision, old.modRevision);
      assert.equal(events[2]!.prevKv?.value, 'n1');
      assert.equal(events[2]!.kv.createRevision, neu.createRevision);

      w.close();
      w.close(); // idempotent
      // Another watcher proves the next write was published; the closed one must not get it.
      const later: WatchEvent[] = [];
      const w2 = await s.watch(p, (ev) => later.push(ev));
      t.after(() => w2.close());
      await s.create(`${p}after-close`, 'x');
      await waitFor(() => later.length === 1, { message: 'event after close' });
      assert.equal(events.length, 3);
    });

    test('after compact(r), lists and watches from below r are Gone; from r they work', async (t) => {
      const s = await fresh();
      const p = '/registry/k/';
      let x = await s.create(`${p}x`, 'x1');
      for (let i = 2; i <= 4; i++) x = await s.update(`${p}x`, `x${i}`, x.modRevision);
      const y = await s.create(`${p}y`, 'y1');
      await s.delete(`${p}y`, y.modRevision);
      const r = await s.currentRevision();
      const later = await s.update(`${p}x`, 'x5', x.modRevision);

      await s.compact(r);
      assert.equal(await s.compactedRevision(), r);
      await assert.rejects(s.list(p, { revision: r - 1 }), GoneError);
      await assert.rejects(s.watch(p, () => {}, { fromRevision: r - 1 }), GoneError);
      await assert.rejects(s.watch(p, () => {}, { fromRevision: x.createRevision }), GoneError);

      const atR = await s.list(p, { revision: r });
      assert.deepEqual(atR.items.map((i) => `${i.key}=${i.value}`), [`${p}x=x4`]);
      const events: WatchEvent[] = [];
      const w = await s.watch(p, (ev) => events.push(ev), { fromRevision: r });
      t.after(() => w.close());
      await waitFor(() => events.length >= 1, { message: 'event after the compacted revision' });
      assert.deepEqual(events.map(fmt), [expectedEvent('MODIFIED', later)]);
      assert.equal((await s.get(`${p}x`))!.value, 'x5', 'current values survive compaction');
      await s.compact(r); // compacting again at the same revision is a no-op
      assert.equal(await s.compactedRevision(), r);
    });

    test('crash: every acknowledged write survives SIGKILL whole', async (t) => {
      const config = harness.config(`crash${++seq}`);
      const prefix = '/registry/crash/';
      const writer = fileURLToPath(new URL('./crash-writer.js', import.meta.url));
      const child = spawn(process.execPath, [writer, JSON.stringify(config), prefix], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      t.after(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      });
      const acked: string[] = [];
      let stderr = '';
      let partial = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

      await waitFor(() => acked.length >= 400 || child.exitCode !== null, {
        timeoutMs: 30_000,
        message: 'the writer to acknowledge 400 writes',
      });
      assert.equal(child.exitCode, null, `writer exited early: ${stderr}`);
      child.kill('SIGKILL');
      await exited;
      assert.equal(child.signalCode, 'SIGKILL');

      const store = await openStore(config);
      opened.push(store);
      for (const key of acked) {
        const kv = await store.get(key);
        const i = Number(key.slice(prefix.length));
        assert.ok(kv, `acknowledged key ${key} is missing after the crash`);
        assert.equal(kv.value, crashValue(i), `value of ${key}`);
      }
      // Nothing half-written either, acknowledged or not.
      const all = await store.list(prefix);
      assert.ok(all.items.length >= acked.length);
      for (const kv of all.items) assert.equal(kv.value, crashValue(Number(kv.key.slice(prefix.length))));
      // And the store keeps working after the crash.
      const next = await store.create(`${prefix}after`, 'ok');
      assert.ok(next.modRevision > Math.max(...all.items.map((i) => i.modRevision)));
    });
  });
}
