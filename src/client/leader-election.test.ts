import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { FakeClock } from '../util/fake-clock.js';
import { silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import { LeaderElector, leasesResource, type LeaderElectorOptions, type LeaseSpec } from './leader-election.js';
import { RestClient } from './rest-client.js';

describe('LeaderElector against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  const electors: LeaderElector[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-leader-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
  });

  after(async () => {
    for (const e of electors) await e.stop();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An elector whose leadership shows in `state`: started/stopped lines in order. */
  function elector(name: string, identity: string, state: string[], extra: Partial<LeaderElectorOptions> = {}) {
    const e = new LeaderElector({
      client,
      name,
      identity,
      leaseDurationMs: 1500,
      renewDeadlineMs: 1000,
      retryPeriodMs: 100,
      logger: silentLogger,
      onStartedLeading: (signal) => {
        state.push(`${identity} started`);
        signal.addEventListener('abort', () => state.push(`${identity} aborted`));
      },
      onStoppedLeading: () => state.push(`${identity} stopped`),
      ...extra,
    });
    electors.push(e);
    return e;
  }

  it('lets exactly one copy lead, and hands over at once when the leader stops', async () => {
    const state: string[] = [];
    // A long lease shows the hand-over comes from the release, not from expiry.
    const long = { leaseDurationMs: 30_000, renewDeadlineMs: 1000, retryPeriodMs: 100 };
    const a = elector('one-leader', 'a', state, long);
    const b = elector('one-leader', 'b', state, long);
    a.start();
    b.start();
    const first = await waitFor(() => (a.isLeader() ? a : b.isLeader() ? b : undefined), { message: 'a leader' });
    const second = first === a ? b : a;
    // Several retry periods pass with the other copy trying; it must not lead.
    await waitFor(() => second.leader() === (first === a ? 'a' : 'b'), { message: 'the follower sees the leader' });
    const lease0 = await client.get(leasesResource, 'kube-system', 'one-leader');
    await waitFor(async () => (await client.get(leasesResource, 'kube-system', 'one-leader')).spec.renewTime !== lease0.spec.renewTime, { message: 'a renewal' });
    assert.equal(second.isLeader(), false);
    assert.equal(state.filter((s) => s.endsWith('started')).length, 1);

    const stoppedAt = Date.now();
    await first.stop();
    await waitFor(() => second.isLeader(), { timeoutMs: 5000, message: 'the other copy to take over' });
    assert.ok(Date.now() - stoppedAt < 10_000, 'took over well before the 30 s lease would expire');
    const firstId = first === a ? 'a' : 'b';
    const secondId = first === a ? 'b' : 'a';
    assert.deepEqual(state, [`${firstId} started`, `${firstId} aborted`, `${firstId} stopped`, `${secondId} started`]);
    const spec = (await client.get(leasesResource, 'kube-system', 'one-leader')).spec as LeaseSpec;
    assert.equal(spec.holderIdentity, secondId);
    assert.equal(spec.leaseDurationSeconds, 30);
    assert.equal(spec.leaseTransitions, 1, 'created at 0; the change of holder counts one');
  });

  it('takes over an expired lease from a copy that vanished without releasing', async () => {
    const state: string[] = [];
    const a = elector('expiry', 'a', state, { releaseOnStop: false });
    a.start();
    await waitFor(() => a.isLeader(), { message: 'a leads' });
    await a.stop();
    const stoppedAt = Date.now();
    const b = elector('expiry', 'b', state);
    b.start();
    await waitFor(() => b.isLeader(), { timeoutMs: 10_000, message: 'b takes over after expiry' });
    assert.ok(Date.now() - stoppedAt >= 1000, 'not before the lease expired');
    const spec = (await client.get(leasesResource, 'kube-system', 'expiry')).spec as LeaseSpec;
    assert.equal(spec.holderIdentity, 'b');
    assert.equal(spec.leaseTransitions, 1);
  });

  it('gives up leading when it cannot renew within the deadline', async () => {
    const state: string[] = [];
    const a = elector('stolen', 'a', state);
    a.start();
    await waitFor(() => a.isLeader(), { message: 'a leads' });
    // Someone else writes the lease with a far-future renewal: a can no longer renew.
    await waitFor(async () => {
      const lease = await client.get(leasesResource, 'kube-system', 'stolen');
      try {
        await client.update(leasesResource, { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 3600 } });
        return true;
      } catch {
        return false;
      }
    }, { message: 'steal the lease' });
    await waitFor(() => !a.isLeader(), { timeoutMs: 5000, message: 'a gives up' });
    assert.deepEqual(state, ['a started', 'a aborted', 'a stopped']);
    assert.equal(a.leader(), 'intruder');
  });

  it('fails check() only while it leads without having renewed for the lease duration plus the grace', async () => {
    const clock = new FakeClock();
    const a = elector('check', 'a', [], { clock, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    a.check(0); // a copy that does not lead is healthy
    a.start();
    await waitFor(() => a.isLeader(), { message: 'a leads' });
    a.check(20_000);
    // The retry timer fires on the way, but the renewal it starts cannot land inside step():
    // to check(), the renew loop looks stuck for the whole stretch.
    clock.step(35_000);
    a.check(20_000); // exactly lease duration + grace: still healthy
    clock.step(1);
    assert.throws(() => a.check(20_000), /failed election to renew leadership on lease kube-system\/check: last renewed 35\.0s ago/);
    await waitFor(
      () => {
        a.check(20_000);
        return true;
      },
      { message: 'the renewal in flight to make it healthy again' },
    );
    assert.equal(a.isLeader(), true);
  });
});
