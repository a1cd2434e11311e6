/**
 * The scheduler's loop against recording fakes: informers whose caches the test fills and
 * whose handlers it calls, a client that records bindings and status patches, and a fake clock
 * for back-off. The same Scheduler runs against a real control plane in scheduler.test.ts.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { KubeClient, ResourceRef } from '../client/interfaces.js';
import { objectKey } from '../client/interfaces.js';
import { FakeClock } from '../util/fake-clock.js';
import { silentLogger } from '../util/logger.js';
import { FakeInformerFactory } from '../../test/util/fake-informers.js';
import { waitFor } from '../../test/util/wait.js';
import { numFeasibleNodesToFind, Scheduler } from './scheduler.js';
import { makeNode, makePod } from './testutil.js';

interface Recorded {
  binds: Array<{ pod: string; node: string }>;
  patches: Array<{ pod: string; patch: any }>;
  events: Array<{ pod: string; type: string; reason: string; message: string }>;
}

function setup(opts: { bind?: (pod: string, node: string, attempt: number) => Error | undefined } = {}) {
  const clock = new FakeClock();
  const factory = new FakeInformerFactory();
  const rec: Recorded = { binds: [], patches: [], events: [] };
  const client = {
    async bind(ns: string, name: string, node: string) {
      const key = `${ns}/${name}`;
      const attempt = rec.binds.filter((b) => b.pod === key).length;
      rec.binds.push({ pod: key, node });
      const err = opts.bind?.(key, node, attempt);
      if (err) throw err;
    },
    async patch(_res: ResourceRef, ns: string, name: string, _type: string, patch: unknown) {
      rec.patches.push({ pod: `${ns}/${name}`, patch });
      return {};
    },
  } as unknown as KubeClient;
  const recorder = {
    event(obj: KubeObject, type: string, reason: string, message: string) {
      rec.events.push({ pod: objectKey(obj), type, reason, message });
    },
  };
  const scheduler = new Scheduler({ client, informers: factory, recorder, clock, logger: silentLogger });
  return { clock, factory, rec, scheduler, pods: factory.get('pods'), nodes: factory.get('nodes') };
}

describe('Scheduler loop (fakes)', () => {
  const running: Scheduler[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });

  it('drops a pod whose binding conflicts (already bound) and frees its assumed room', async () => {
    const conflict = new ApiError(409, 'Conflict', 'pod p is already assigned to node "x"');
    const t = setup({ bind: () => conflict });
    running.push(t.scheduler);
    t.nodes.add(makeNode('n1', { pods: '1' }));
    await t.scheduler.start();
    t.pods.add(makePod('p'));
    await waitFor(() => t.rec.binds.length === 1 && t.scheduler.queueLocation('default/p') === undefined);
    // The assumed pod was forgotten: another pod fits the one slot.
    t.pods.add(makePod('q'));
    await waitFor(() => t.rec.binds.some((b) => b.pod === 'default/q'));
    assert.equal(t.rec.binds.filter((b) => b.pod === 'default/p').length, 1, 'not retried');
    assert.deepEqual(t.rec.events.filter((e) => e.pod === 'default/p'), []);
  });

  it('retries a failed binding after back-off and reports it', async () => {
    const t = setup({ bind: (_p, _n, attempt) => (attempt === 0 ? new ApiError(500, 'InternalError', 'store unavailable') : undefined) });
    running.push(t.scheduler);
    t.nodes.add(makeNode('n1'));
    await t.scheduler.start();
    t.pods.add(makePod('p'));
    await waitFor(() => t.scheduler.queueLocation('default/p') === 'backoff');
    assert.deepEqual(t.rec.events[0], { pod: 'default/p', type: 'Warning', reason: 'FailedScheduling', message: 'Binding rejected: store unavailable' });
    t.clock.step(1000);
    await waitFor(() => t.scheduler.scheduledCount() === 1);
    assert.deepEqual(t.rec.binds.map((b) => b.node), ['n1', 'n1']);
    assert.deepEqual(t.rec.events[1], { pod: 'default/p', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/p to n1' });
  });

  it('writes PodScheduled=False once per distinct message', async () => {
    const t = setup();
    running.push(t.scheduler);
    t.nodes.add(makeNode('n1', { memory: '1Gi' }));
    await t.scheduler.start();
    t.pods.add(makePod('p', { memory: '2Gi' }));
    await waitFor(() => t.rec.patches.length === 1);
    const cond = t.rec.patches[0]!.patch.status.conditions[0];
    const msg = '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
    assert.deepEqual([cond.type, cond.status, cond.reason, cond.message], ['PodScheduled', 'False', 'Unschedulable', msg]);
    // The informer shows the condition; a node update that changes nothing relevant must not retry...
    t.pods.update({ ...t.pods.items.get('default/p')!, status: { phase: 'Pending', conditions: [cond] } });
    assert.equal(t.scheduler.queueLocation('default/p'), 'unschedulable');
    // ...a label change on a node does, and the same verdict is not written again.
    t.nodes.update(makeNode('n1', { memory: '1Gi', labels: { zone: 'a' } }));
    t.clock.step(1000);
    await waitFor(() => t.rec.events.filter((e) => e.reason === 'FailedScheduling').length === 2);
    assert.equal(t.rec.patches.length, 1);
  });

  it('ignores node heartbeats, and retries unschedulable pods periodically without any cluster event', async () => {
    const t = setup();
    running.push(t.scheduler);
    t.nodes.add(makeNode('n1', { cpu: '1' }));
    await t.scheduler.start();
    t.pods.add(makePod('p', { cpu: '2' }));
    await waitFor(() => t.scheduler.queueLocation('default/p') === 'unschedulable');
    const beat = makeNode('n1', { cpu: '1' });
    beat.status.conditions[0].lastHeartbeatTime = '2024-01-01T00:00:10Z';
    t.nodes.update(beat);
    assert.equal(t.scheduler.queueLocation('default/p'), 'unschedulable');
    t.clock.step(5 * 60_000 + 30_000);
    await waitFor(() => t.rec.events.filter((e) => e.reason === 'FailedScheduling').length === 2, { message: 'the periodic retry' });
  });

  it('evaluates only a sample of a large cluster, round-robin', () => {
    const t = setup();
    for (let i = 0; i < 1000; i++) t.nodes.add(makeNode(`n${i}`));
    const first = t.scheduler.schedulePod(makePod('p'));
    const second = t.scheduler.schedulePod(makePod('q'));
    assert.equal(first.kind, 'scheduled');
    assert.equal(first.kind === 'scheduled' && first.evaluatedNodes, 420);
    assert.equal(second.kind === 'scheduled' && second.feasibleNodes, 420);
  });
});

describe('numFeasibleNodesToFind', () => {
  const cases: Array<[number, number | undefined, number]> = [
    [50, undefined, 50],
    [99, undefined, 99],
    [100, undefined, 100],
    [200, undefined, 100],
    [1000, undefined, 420],
    [5000, undefined, 500],
    [6000, undefined, 300],
    [1000, 10, 100],
    [1000, 30, 300],
    [1000, 100, 1000],
  ];
  for (const [n, pct, want] of cases) it(`${n} nodes, ${pct ?? 'adaptive'}% → ${want}`, () => assert.equal(numFeasibleNodesToFind(n, pct), want));
});
