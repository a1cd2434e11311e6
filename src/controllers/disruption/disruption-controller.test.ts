/**
 * The disruption controller against recording fakes: informers whose caches the test fills, a
 * client that records status writes (and feeds them back to the caches, as the watch would),
 * a recorder that keeps events, and a fake clock.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conflict } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { KubeClient, ResourceRef } from '../../client/interfaces.js';
import { objectKey } from '../../client/interfaces.js';
import { FakeClock } from '../../util/fake-clock.js';
import { rfc3339 } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { FakeInformerFactory } from '../../../test/util/fake-informers.js';
import { waitFor } from '../../../test/util/wait.js';
import { DisruptionController } from './disruption-controller.js';

function setup() {
  const clock = new FakeClock(Date.parse('2026-03-01T10:00:00Z'));
  const factory = new FakeInformerFactory();
  const writes: { plural: string; key: string; status: Record<string, any> }[] = [];
  const events: { name: string; type: string; reason: string; message: string }[] = [];
  let rv = 100;
  /** Status writes that fail with a conflict before one succeeds. */
  const failures = { conflicts: 0 };
  const client = {
    async update(res: ResourceRef, obj: KubeObject, o: { subresource?: string }) {
      assert.equal(o.subresource, 'status');
      if (failures.conflicts > 0) {
        failures.conflicts--;
        throw conflict(res.plural, obj.metadata.name!, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      writes.push({ plural: res.plural, key: objectKey(obj), status: obj.status });
      const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      factory.get(res.plural).update(stored);
      return stored;
    },
  } as unknown as KubeClient;
  const recorder = { event: (obj: KubeObject, type: string, reason: string, message: string) => events.push({ name: obj.metadata.name!, type, reason, message }) };
  const controller = new DisruptionController({ client, informers: factory, clock, logger: silentLogger, recorder, stalePodDisruptionTimeoutMs: 120_000 });
  return {
    clock,
    controller,
    writes,
    events,
    failures,
    pdbs: factory.get('poddisruptionbudgets'),
    pods: factory.get('pods'),
    replicasets: factory.get('replicasets'),
    deployments: factory.get('deployments'),
    rcs: factory.get('replicationcontrollers'),
  };
}

function pdb(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'ns', generation: 1, resourceVersion: '1' },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...status },
  };
}

type Owner = { kind: string; name: string; apiVersion?: string };

function pod(name: string, owner: Owner | null, over: { ready?: boolean; deleting?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '1',
      labels: { app: 'web' },
      ...(owner
        ? { ownerReferences: [{ apiVersion: owner.apiVersion ?? (owner.kind === 'ReplicationController' ? 'v1' : 'apps/v1'), kind: owner.kind, name: owner.name, uid: `uid-${owner.name}`, controller: true }] }
        : {}),
      ...(over.deleting ? { deletionTimestamp: '2026-03-01T10:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
  };
}

function workload(kind: string, name: string, replicas: number, owner?: Owner): KubeObject {
  return {
    apiVersion: kind === 'ReplicationController' ? 'v1' : 'apps/v1',
    kind,
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `uid-${owner.name}`, controller: true }] } : {}),
    },
    spec: { replicas },
  };
}

/** A Deployment "web" of `replicas`, its ReplicaSet, and pods of it. */
function deploymentWithPods(s: ReturnType<typeof setup>, replicas: number, pods: KubeObject[]): void {
  s.deployments.add(workload('Deployment', 'web', replicas));
  s.replicasets.add(workload('ReplicaSet', 'web-1', replicas, { kind: 'Deployment', name: 'web' }));
  for (const p of pods) s.pods.add(p);
}

const rsOwner: Owner = { kind: 'ReplicaSet', name: 'web-1' };
const counts = (status: Record<string, any>) => [status.expectedPods, status.desiredHealthy, status.currentHealthy, status.disruptionsAllowed];

describe('DisruptionController', () => {
  const running: DisruptionController[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
  });

  it('integer minAvailable: expected are the pods there are; writes once, then only when something changes', async () => {
    const s = setup();
    deploymentWithPods(s, 5, [pod('a', rsOwner), pod('b', rsOwner), pod('c', rsOwner)]);
    s.pdbs.add(pdb('web', { minAvailable: 2 }));
    await s.controller.syncBudget('ns/web');
    assert.equal(s.writes.length, 1);
    const status = s.writes[0]!.status;
    assert.deepEqual(counts(status), [3, 2, 3, 1]);
    assert.equal(status.observedGeneration, 1);
    assert.deepEqual(status.conditions, [
      { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1, lastTransitionTime: '2026-03-01T10:00:00Z' },
    ]);
    await s.controller.syncBudget('ns/web');
    assert.equal(s.writes.length, 1, 'nothing changed: no write');
    s.pods.update(pod('c', rsOwner, { ready: false }));
    await s.controller.syncBudget('ns/web');
    assert.deepEqual(counts(s.writes[1]!.status), [3, 2, 2, 0]);
    assert.equal(s.writes[1]!.status.conditions[0].reason, 'InsufficientPods');
  });

  it('maxUnavailable and percentages: measured against the Deployment\'s scale, through its ReplicaSet', async () => {
    const cases: [Record<string, unknown>, number[]][] = [
      [{ maxUnavailable: 1 }, [5, 4, 3, 0]],
      [{ maxUnavailable: '40%' }, [5, 3, 3, 0]],
      [{ minAvailable: '50%' }, [5, 3, 3, 0]],
      [{ minAvailable: '20%' }, [5, 1, 3, 2]],
    ];
    for (const [spec, want] of cases) {
      const s = setup();
      deploymentWithPods(s, 5, [pod('a', rsOwner), pod('b', rsOwner), pod('c', rsOwner)]);
      s.pdbs.add(pdb('web', spec));
      await s.controller.syncBudget('ns/web');
      assert.deepEqual(counts(s.writes[0]!.status), want, JSON.stringify(spec));
    }
  });

  it('a ReplicaSet of its own and a ReplicationController count with their own scale', async () => {
    const s = setup();
    s.replicasets.add(workload('ReplicaSet', 'solo', 4));
    s.rcs.add(workload('ReplicationController', 'old', 2));
    for (const p of [pod('a', { kind: 'ReplicaSet', name: 'solo' }), pod('b', { kind: 'ReplicationController', name: 'old' })]) s.pods.add(p);
    s.pdbs.add(pdb('web', { maxUnavailable: '50%' }));
    await s.controller.syncBudget('ns/web');
    assert.deepEqual(counts(s.writes[0]!.status), [6, 3, 2, 0]);
  });

  it('a ReplicaSet whose Deployment is not cached counts with the ReplicaSet\'s own scale', async () => {
    const s = setup();
    s.replicasets.add(workload('ReplicaSet', 'web-1', 3, { kind: 'Deployment', name: 'missing' }));
    s.pods.add(pod('a', rsOwner));
    s.pdbs.add(pdb('web', { maxUnavailable: 1 }));
    await s.controller.syncBudget('ns/web');
    assert.deepEqual(counts(s.writes[0]!.status), [3, 2, 1, 0]);
  });

  it('unmanaged pods: left out of the scale and reported', async () => {
    const s = setup();
    deploymentWithPods(s, 2, [pod('a', rsOwner), pod('b', rsOwner), pod('bare', null)]);
    s.pdbs.add(pdb('web', { maxUnavailable: 1 }));
    await s.controller.syncBudget('ns/web');
    assert.deepEqual(counts(s.writes[0]!.status), [2, 1, 3, 2]);
    assert.deepEqual(s.events.map((e) => e.reason), ['UnmanagedPods']);
  });

  it('a budget it cannot work out fails safe: none allowed, SyncFailed with why', async () => {
    for (const [owner, why] of [
      [{ kind: 'Job', name: 'batch-1', apiVersion: 'batch/v1' }, 'no matches for kind "Job" in version "batch/v1"'],
      [{ kind: 'ConfigMap', name: 'cm', apiVersion: 'v1' }, 'configmaps does not implement the scale subresource'],
      [{ kind: 'ReplicaSet', name: 'gone' }, 'found no controllers for pod "a"'],
    ] as const) {
      const s = setup();
      s.pods.add(pod('a', owner));
      s.pdbs.add(pdb('web', { maxUnavailable: 1 }, { disruptionsAllowed: 3, observedGeneration: 1 }));
      await s.controller.syncBudget('ns/web');
      const status = s.writes[0]!.status;
      assert.equal(status.disruptionsAllowed, 0, why);
      assert.deepEqual(status.conditions.map((c: Record<string, unknown>) => [c.status, c.reason, c.message]), [['False', 'SyncFailed', why]]);
      assert.deepEqual(s.events.map((e) => e.reason), ['CalculateExpectedPodCountFailed']);
      await s.controller.syncBudget('ns/web');
      assert.equal(s.writes.length, 1, 'the same failure writes nothing new');
    }
  });

  it('evictions the apiserver allowed keep their pod out of the count until it is deleted or two minutes pass', async () => {
    const s = setup();
    deploymentWithPods(s, 3, [pod('a', rsOwner), pod('b', rsOwner), pod('c', rsOwner)]);
    const evictedAt = rfc3339(s.clock.now());
    s.pdbs.add(pdb('web', { minAvailable: 2 }, { observedGeneration: 1, disruptedPods: { a: evictedAt, gone: evictedAt } }));
    const result = await s.controller.syncBudget('ns/web');
    assert.deepEqual(result, { requeueAfterMs: 120_000 }, 'looked at again when the entry expires');
    assert.deepEqual(s.writes[0]!.status.disruptedPods, { a: evictedAt }, 'the entry of a pod that is gone is dropped');
    assert.deepEqual(counts(s.writes[0]!.status), [3, 2, 2, 0]);

    // The pod is seen being deleted: the entry has done its job.
    s.pods.update(pod('a', rsOwner, { deleting: true }));
    await s.controller.syncBudget('ns/web');
    assert.equal(s.writes[1]!.status.disruptedPods, undefined);
    assert.deepEqual(counts(s.writes[1]!.status), [3, 2, 2, 0]);

    // An eviction whose pod was never deleted is forgotten after two minutes, with a warning.
    s.pods.update(pod('a', rsOwner));
    s.pdbs.update({ ...s.pdbs.items.get('ns/web')!, status: { ...s.writes[1]!.status, disruptedPods: { b: evictedAt } } });
    s.clock.step(121_000);
    await s.controller.syncBudget('ns/web');
    assert.equal(s.writes.at(-1)!.status.disruptedPods, undefined);
    assert.deepEqual(counts(s.writes.at(-1)!.status), [3, 2, 3, 1]);
    assert.deepEqual(s.events.filter((e) => e.reason === 'NotDeleted').map((e) => [e.name, e.message]), [['b', "Pod was expected by PDB ns/web to be deleted but it wasn't"]]);
  });

  it('a budget with no pods allows nothing and says so', async () => {
    const s = setup();
    s.pdbs.add(pdb('web', { minAvailable: 0 }));
    await s.controller.syncBudget('ns/web');
    assert.deepEqual(counts(s.writes[0]!.status), [0, 0, 0, 0]);
    assert.deepEqual(s.events.map((e) => [e.type, e.reason, e.message]), [['Normal', 'NoPods', 'No matching pods found']]);
  });

  it('a conflicting write is handed back to be retried; the next sync writes', async () => {
    const s = setup();
    deploymentWithPods(s, 3, [pod('a', rsOwner)]);
    s.pdbs.add(pdb('web', { minAvailable: 1 }));
    s.failures.conflicts = 1;
    await assert.rejects(s.controller.syncBudget('ns/web'), (err: Error & { code?: number }) => err.code === 409);
    assert.equal(s.writes.length, 0);
    await s.controller.syncBudget('ns/web');
    assert.equal(s.writes.length, 1);
  });

  it('running: budget and pod events queue the budget; a spec change moves observedGeneration', async () => {
    const s = setup();
    running.push(s.controller);
    deploymentWithPods(s, 3, [pod('a', rsOwner), pod('b', rsOwner)]);
    s.pdbs.add(pdb('web', { minAvailable: 1 }));
    await s.controller.start();
    const last = () => s.writes.filter((w) => w.plural === 'poddisruptionbudgets').at(-1)?.status;
    await waitFor(() => last()?.disruptionsAllowed === 1, { message: 'first status' });
    s.pods.add(pod('c', rsOwner));
    await waitFor(() => last()?.currentHealthy === 3 && last()?.disruptionsAllowed === 2, { message: 'a new Ready pod counted' });
    s.pods.remove('ns/c');
    await waitFor(() => last()?.currentHealthy === 2, { message: 'a deleted pod no longer counted' });
    const current = s.pdbs.items.get('ns/web')!;
    s.pdbs.update({ ...current, metadata: { ...current.metadata, generation: 2 }, spec: { ...current.spec, minAvailable: 2 } });
    await waitFor(() => last()?.observedGeneration === 2 && last()?.disruptionsAllowed === 0, { message: 'the new generation observed' });
  });

  it('two budgets over one pod: both kept, and the pod gets a warning', async () => {
    const s = setup();
    running.push(s.controller);
    deploymentWithPods(s, 1, []);
    s.pdbs.add(pdb('one', { minAvailable: 1 }));
    s.pdbs.add(pdb('two', { maxUnavailable: 0 }));
    await s.controller.start();
    await waitFor(() => s.writes.length === 2, { message: 'both budgets written' });
    s.pods.add(pod('a', rsOwner));
    await waitFor(() => s.writes.filter((w) => w.status.currentHealthy === 1).length === 2, { message: 'both budgets count the pod' });
    assert.ok(s.events.some((e) => e.reason === 'MultiplePodDisruptionBudgets' && e.name === 'a'));
  });

  it('a DisruptionTarget condition left standing on a pod not being deleted is reset to False after two minutes', async () => {
    const s = setup();
    running.push(s.controller);
    const marked = pod('a', rsOwner);
    marked.status.conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: rfc3339(s.clock.now()) });
    s.pods.add(marked);
    await s.controller.start();
    s.clock.step(60_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(s.writes.filter((w) => w.plural === 'pods').length, 0, 'not yet');
    s.clock.step(60_000);
    await waitFor(() => s.writes.find((w) => w.plural === 'pods'), { message: 'the condition reset' });
    const cond = s.writes.find((w) => w.plural === 'pods')!.status.conditions.find((c: { type: string }) => c.type === 'DisruptionTarget');
    assert.deepEqual(cond, { type: 'DisruptionTarget', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-03-01T10:02:00Z' });
  });
});
