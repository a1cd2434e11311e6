/** etcd-specific behaviour: a 3-member cluster losing its leader mid-stream. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore } from './etcd-store.js';
import type { WatchEvent } from '../interface.js';
import { startEtcd, type EtcdMember } from '../../../test/util/etcd.js';
import { waitFor } from '../../../test/util/wait.js';

/** The member that is raft leader, asked through etcd's JSON gateway. */
async function leader(members: EtcdMember[]): Promise<EtcdMember | undefined> {
  for (const m of members) {
    try {
      const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' });
      const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
      if (body.leader && body.header?.member_id === body.leader) return m;
    } catch {
      // A member that does not answer is not the leader we are looking for.
    }
  }
  return undefined;
}

test('writes and a watch survive the loss of the leader without losing or repeating events', async (t) => {
  const cluster = await startEtcd({ size: 3 });
  t.after(() => cluster.stop());
  const store = new EtcdStore({ endpoints: cluster.endpoints, prefix: '/failover' });
  t.after(() => store.close());

  const from = await store.currentRevision();
  const seen: WatchEvent[] = [];
  let watchError: Error | undefined;
  const w = await store.watch('/registry/', (ev) => seen.push(ev), { fromRevision: from, onError: (e) => (watchError = e) });
  t.after(() => w.close());

  const revs: number[] = [];
  const writer = (async () => {
    for (let i = 0; i < 300; i++) revs.push((await store.create(`/registry/k/${String(i).padStart(4, '0')}`, `v${i}`)).modRevision);
  })();
  await waitFor(() => revs.length >= 50, { message: 'first writes' });
  const lead = await waitFor(() => leader(cluster.members), { message: 'a leader' });
  await lead.kill();
  await writer;
  await waitFor(() => seen.length >= 300 || watchError, { timeoutMs: 30_000, message: 'all events after failover' });
  assert.equal(watchError, undefined);
  assert.deepEqual(seen.map((e) => e.kv.modRevision), revs, 'every write seen once, in order');
  assert.equal(await store.count('/registry/k/'), 300);
});

/** etcd's own count of open watchers (its metrics endpoint). */
async function etcdWatchers(clientUrl: string): Promise<number> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('etcd_debugging_mvcc_watcher_total '));
  return Number(line?.split(' ')[1]);
}

test('watchers of one prefix (or a narrower one) share one etcd watch; one wanting older history gets its own', async (t) => {
  const cluster = await startEtcd();
  t.after(() => cluster.stop());
  const store = new EtcdStore({ endpoints: cluster.endpoints, prefix: '/shared' });
  t.after(() => store.close());
  const url = cluster.members[0]!.clientUrl;

  const first = (await store.create('/registry/pods/a/first', 'v')).modRevision;
  const from = await store.currentRevision();
  const seen: WatchEvent[][] = [[], [], [], []];
  const watches = [
    await store.watch('/registry/pods/', (ev) => seen[0]!.push(ev), { fromRevision: from }),
    await store.watch('/registry/pods/', (ev) => seen[1]!.push(ev), { fromRevision: from }),
    await store.watch('/registry/pods/a/', (ev) => seen[2]!.push(ev), { fromRevision: from }),
  ];
  t.after(() => watches.forEach((w) => w.close()));
  assert.equal(await etcdWatchers(url), 1, 'three watchers, one etcd watch');

  const a = (await store.create('/registry/pods/a/x', '1')).modRevision;
  const b = (await store.create('/registry/pods/b/y', '2')).modRevision;
  // History from before the shared watch began: a watch of its own, with every event.
  watches.push(await store.watch('/registry/pods/', (ev) => seen[3]!.push(ev), { fromRevision: first - 1 }));
  assert.equal(await etcdWatchers(url), 2);
  await waitFor(() => seen[0]!.length === 2 && seen[1]!.length === 2 && seen[2]!.length === 1 && seen[3]!.length === 3, {
    message: 'every watcher has its events',
  });
  const revs = (evs: WatchEvent[]) => evs.map((e) => e.kv.modRevision);
  assert.deepEqual(revs(seen[0]!), [a, b]);
  assert.deepEqual(revs(seen[1]!), [a, b]);
  assert.deepEqual(revs(seen[2]!), [a], 'the namespaced watcher sees only its namespace');
  assert.deepEqual(revs(seen[3]!), [first, a, b]);
});
