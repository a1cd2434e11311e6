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
