import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { pods } from '../../api/kinds/pods.js';
import { replicasets } from '../../api/kinds/replicasets.js';
import { replicationcontrollers } from '../../api/kinds/replicationcontrollers.js';
import { startControlPlane, type ControlPlane } from '../../controlplane/controlplane.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import type { KubeClient, ResourceRef } from '../../client/interfaces.js';
import { RestClient } from '../../client/rest-client.js';
import { rfc3339 } from '../../util/clock.js';
import { FakeClock } from '../../util/fake-clock.js';
import { createLogger, silentLogger } from '../../util/logger.js';
import { waitFor } from '../../../test/util/wait.js';
import { isPodActive } from './pod-utils.js';
import { ReplicaSetController, ReplicationManager } from './replicaset-controller.js';

const namespaces: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
const events: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };

const container = { name: 'c', image: 'nginx' };

function replicaSet(name: string, replicas: number, labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
      ...extra,
    },
  };
}

function replicationController(name: string, replicas: number, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name },
    spec: { replicas, selector: labels, template: { metadata: { labels }, spec: { containers: [container] } } },
  };
}

/** A throwaway cluster with one client; close() also removes its data dir. */
async function startCluster(prefix: string): Promise<{ cp: ControlPlane; client: RestClient; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
  return {
    cp,
    client,
    async close() {
      client.close();
      await cp!.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function listPods(client: KubeClient, ns: string): Promise<KubeObject[]> {
  return (await client.list(pods, ns)).items.filter(isPodActive);
}

function ownedBy(pod: KubeObject, owner: KubeObject): boolean {
  return !!pod.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller === true);
}

/** Marks a pod Running and Ready since `at` through pods/status, as a kubelet would. */
async function makeReady(client: KubeClient, pod: KubeObject, at: number): Promise<void> {
  await client.patch(
    pods,
    pod.metadata.namespace,
    pod.metadata.name!,
    'merge',
    { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(at) }] } },
    { subresource: 'status' },
  );
}

/** Waits until the owner's status shows `want` for the generation it is at. */
async function waitForStatus(client: KubeClient, res: ResourceRef, ns: string, name: string, want: Record<string, number>): Promise<KubeObject> {
  return waitFor(
    async () => {
      const obj = await client.get(res, ns, name);
      const st = obj.status ?? {};
      if (st.observedGeneration !== obj.metadata.generation) return undefined;
      for (const [k, v] of Object.entries(want)) if ((st[k] ?? 0) !== v) return undefined;
      return obj;
    },
    { message: `${name} status ${JSON.stringify(want)}` },
  );
}

async function eventsFor(client: KubeClient, ns: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  return (await client.list(events, ns)).items.filter((e) => e.involvedObject?.name === name).map((e) => ({ reason: e.reason, message: e.message, type: e.type }));
}

describe('ReplicaSetController and ReplicationManager against a control plane', { concurrency: false }, () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let client: RestClient;
  let factory: SharedInformerFactory;
  let recorder: EventRecorder;
  let rsc: ReplicaSetController | undefined;
  let rcm: ReplicationManager | undefined;

  before(async () => {
    cluster = await startCluster('peapod-rs-');
    client = cluster.client;
    // PEAPOD_TEST_CONTROLLER_LOG=FILE keeps the controllers' and informers' debug lines.
    const logFile = process.env.PEAPOD_TEST_CONTROLLER_LOG;
    const dbg = logFile ? createLogger({}, { level: 'debug', write: (l) => appendFileSync(logFile, l + '\n') }) : silentLogger;
    factory = new SharedInformerFactory(client, { logger: dbg });
    recorder = new EventRecorder({ client, component: 'replicaset-controller' });
    const opts = { client, informers: factory, recorder, logger: dbg };
    rsc = new ReplicaSetController(opts);
    rcm = new ReplicationManager(opts);
    await factory.start();
    await rsc.start();
    await rcm.start();
  });

  after(async () => {
    await rsc?.stop();
    await rcm?.stop();
    factory?.stop();
    await recorder?.close();
    await cluster?.close();
  });

  async function namespace(name: string): Promise<string> {
    await client.create(namespaces, undefined, { metadata: { name } });
    return name;
  }

  it('creates the replicas from the template, owned by the ReplicaSet, with events and status', async () => {
    const ns = await namespace('create');
    const rs = await client.create(replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    const st = await waitForStatus(client, replicasets, ns, 'web', { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0 });
    assert.equal(st.status.observedGeneration, 1);
    const ps = await listPods(client, ns);
    assert.equal(ps.length, 3);
    for (const p of ps) {
      assert.match(p.metadata.name!, /^web-[a-z0-9]+$/);
      assert.deepEqual(p.metadata.labels, { app: 'web' });
      assert.deepEqual(p.metadata.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await recorder.flush();
    const evs = await eventsFor(client, ns, 'web');
    assert.deepEqual(
      evs.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort(),
      ps.map((p) => `Created pod: ${p.metadata.name}`).sort(),
    );
  });

  it('scales up, then down deleting unscheduled and not-ready pods before a running ready one', async () => {
    const ns = await namespace('scale');
    await client.create(replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 3 });
    await client.patch(replicasets, ns, 'web', 'merge', { spec: { replicas: 5 } });
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 5 });
    assert.equal((await listPods(client, ns)).length, 5);

    // One pod is scheduled, running and ready; another only ready: the first is the one to keep.
    const [keep, readyOnly] = await listPods(client, ns);
    await client.bind(ns, keep.metadata.name!, 'node-1');
    await makeReady(client, keep, Date.now());
    await makeReady(client, readyOnly, Date.now());
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 5, readyReplicas: 2 });

    await client.patch(replicasets, ns, 'web', 'merge', { spec: { replicas: 1 } });
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 1, readyReplicas: 1 });
    const left = await listPods(client, ns);
    assert.deepEqual(left.map((p) => p.metadata.name), [keep.metadata.name]);
    await recorder.flush();
    const deleted = (await eventsFor(client, ns, 'web')).filter((e) => e.reason === 'SuccessfulDelete');
    assert.equal(deleted.length, 4);
    assert.ok(deleted.some((e) => e.message === `Deleted pod: ${readyOnly.metadata.name}`));
  });

  it('replaces a pod deleted by hand', async () => {
    const ns = await namespace('replace');
    await client.create(replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 3 });
    const [victim] = await listPods(client, ns);
    await client.delete(pods, ns, victim.metadata.name!);
    await waitFor(
      async () => {
        const ps = await listPods(client, ns);
        return ps.length === 3 && !ps.some((p) => p.metadata.name === victim.metadata.name);
      },
      { message: 'a replacement pod' },
    );
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 3 });
  });

  it('replaces a pod that failed, leaving the failed pod alone', async () => {
    const ns = await namespace('failed');
    await client.create(replicasets, ns, replicaSet('web', 2, { app: 'web' }));
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 2 });
    const [victim] = await listPods(client, ns);
    await client.patch(pods, ns, victim.metadata.name!, 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    await waitFor(async () => (await listPods(client, ns)).length === 2 && !(await listPods(client, ns)).some((p) => p.metadata.uid === victim.metadata.uid), {
      message: 'a replacement for the failed pod',
    });
    // Like Kubernetes, the controller does not delete the failed pod itself.
    const failed = await client.get(pods, ns, victim.metadata.name!);
    assert.equal(failed.status.phase, 'Failed');
  });

  it('adopts a matching orphan instead of creating a pod for it', async () => {
    const ns = await namespace('adopt');
    const orphan = await client.create<KubeObject>(pods, ns, { metadata: { name: 'orphan', labels: { app: 'web' } }, spec: { containers: [container] } });
    const rs = await client.create(replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 3 });
    const ps = await listPods(client, ns);
    assert.equal(ps.length, 3, 'only two pods were created');
    const adopted = ps.find((p) => p.metadata.uid === orphan.metadata.uid);
    assert.ok(adopted && ownedBy(adopted, rs), 'the orphan is owned by the ReplicaSet');
    assert.equal(ps.filter((p) => p.metadata.generateName === 'web-').length, 2);
  });

  it('releases a pod relabelled out of its selector and replaces it', async () => {
    const ns = await namespace('release');
    const rs = await client.create(replicasets, ns, replicaSet('web', 2, { app: 'web' }));
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 2 });
    const [moved] = await listPods(client, ns);
    await client.patch(pods, ns, moved.metadata.name!, 'merge', { metadata: { labels: { app: 'elsewhere' } } });
    await waitFor(
      async () => {
        const p = await client.get(pods, ns, moved.metadata.name!);
        return (p.metadata.ownerReferences ?? []).length === 0;
      },
      { message: 'the relabelled pod released' },
    );
    await waitFor(async () => (await listPods(client, ns)).filter((p) => ownedBy(p, rs)).length === 2, { message: 'a replacement' });
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 2 });
    assert.equal((await listPods(client, ns)).length, 3, 'the released pod is left running');
  });

  it('counts fully labeled and ready replicas', async () => {
    const ns = await namespace('labels');
    // The selector needs app=web; the template adds tier=fe. An adopted orphan lacks tier.
    await client.create(pods, ns, { metadata: { name: 'partial', labels: { app: 'web' } }, spec: { containers: [container] } });
    const rs = replicaSet('web', 2, { app: 'web' });
    rs.spec.template.metadata.labels = { app: 'web', tier: 'fe' };
    await client.create(replicasets, ns, rs);
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 2, fullyLabeledReplicas: 1 });
    for (const p of await listPods(client, ns)) await makeReady(client, p, Date.now());
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 2 });
  });

  it('runs a ReplicationController with its map selector: create, adopt, scale, replace', async () => {
    const ns = await namespace('rc');
    const orphan = await client.create<KubeObject>(pods, ns, { metadata: { name: 'orphan', labels: { app: 'legacy' } }, spec: { containers: [container] } });
    const rc = await client.create(replicationcontrollers, ns, replicationController('legacy', 3, { app: 'legacy' }));
    await waitForStatus(client, replicationcontrollers, ns, 'legacy', { replicas: 3, fullyLabeledReplicas: 3 });
    let ps = await listPods(client, ns);
    assert.equal(ps.length, 3);
    assert.ok(ps.every((p) => ownedBy(p, rc)));
    assert.ok(ps.some((p) => p.metadata.uid === orphan.metadata.uid));
    assert.deepEqual(
      ps.map((p) => p.metadata.ownerReferences?.[0].kind),
      ['ReplicationController', 'ReplicationController', 'ReplicationController'],
    );

    await client.patch(replicationcontrollers, ns, 'legacy', 'merge', { spec: { replicas: 1 } });
    await waitForStatus(client, replicationcontrollers, ns, 'legacy', { replicas: 1 });
    ps = await listPods(client, ns);
    assert.equal(ps.length, 1);
    await client.delete(pods, ns, ps[0].metadata.name!);
    await waitFor(async () => (await listPods(client, ns)).some((p) => p.metadata.uid !== ps[0].metadata.uid && ownedBy(p, rc)), {
      message: 'the RC replaces its pod',
    });
    await waitForStatus(client, replicationcontrollers, ns, 'legacy', { replicas: 1 });
  });
});

describe('ReplicaSetController with a fake clock and injected failures', { concurrency: false }, () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let client: RestClient;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    cluster = await startCluster('peapod-rs-fake-');
    client = cluster.client;
  });

  // Each test's controller acts on every namespace: stop it before the next test starts.
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  after(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await cluster?.close();
  });

  async function controllerWith(opts: { clock?: FakeClock; client?: KubeClient; start: boolean }) {
    const c = opts.client ?? client;
    const factory = new SharedInformerFactory(client);
    const recorder = new EventRecorder({ client, component: 'replicaset-controller' });
    const rsc = new ReplicaSetController({ client: c, informers: factory, recorder, logger: silentLogger, clock: opts.clock });
    cleanups.push(async () => {
      await rsc.stop();
      factory.stop();
      await recorder.close();
    });
    await factory.start();
    if (opts.start) await rsc.start();
    return { rsc, factory, recorder };
  }

  async function namespace(name: string): Promise<string> {
    await client.create(namespaces, undefined, { metadata: { name } });
    return name;
  }

  it('counts a ready pod available only after minReadySeconds, requeueing itself for it', async () => {
    const clock = new FakeClock();
    const { rsc } = await controllerWith({ clock, start: true });
    const ns = await namespace('minready');
    await client.create(replicasets, ns, replicaSet('web', 2, { app: 'web' }, { minReadySeconds: 10 }));
    // The fake clock also drives the work queue's retry back-off: keep it ticking while waiting.
    const tick = async <T>(cond: () => Promise<T | undefined>, message: string) =>
      waitFor(
        async () => {
          clock.step(1);
          return cond();
        },
        { message },
      );
    await tick(async () => (await listPods(client, ns)).length === 2 || undefined, 'two pods');
    // Kubernetes times have second precision: make the transition exactly representable.
    const readyAt = Math.floor(clock.now() / 1000) * 1000;
    for (const p of await listPods(client, ns)) await makeReady(client, p, readyAt);
    await tick(async () => {
      const rs = await client.get(replicasets, ns, 'web');
      return rs.status?.readyReplicas === 2 ? rs : undefined;
    }, 'two ready replicas');
    let rs = await client.get(replicasets, ns, 'web');
    assert.equal(rs.status.availableReplicas ?? 0, 0, 'not available before minReadySeconds');
    // Exactly minReadySeconds later a pod is still not available (Kubernetes compares strictly).
    clock.step(readyAt + 10_000 - clock.now());
    await new Promise((r) => setImmediate(r));
    rs = await client.get(replicasets, ns, 'web');
    assert.equal(rs.status.availableReplicas ?? 0, 0);
    clock.step(1);
    await waitFor(async () => (await client.get(replicasets, ns, 'web')).status?.availableReplicas === 2, {
      message: 'available after minReadySeconds without any other event',
    });
    assert.ok(rsc.expectations.satisfied(`${ns}/web`));
  });

  it('expectations stop a second sync on a stale cache from creating the pods again', async () => {
    const clock = new FakeClock();
    const { rsc, factory } = await controllerWith({ clock, start: false });
    const ns = await namespace('expectations');
    // Freeze the pod cache: it will never see the pods the first sync creates.
    factory.informerFor(pods).stop();
    await client.create(replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    const key = `${ns}/web`;
    await waitFor(() => factory.informerFor(replicasets).lister.get(key), {
      message: 'the ReplicaSet in the cache',
    });
    await rsc.syncHandler(key);
    await rsc.syncHandler(key);
    assert.equal((await listPods(client, ns)).length, 3, 'the second sync created nothing');
    // Only the expectations held it back: once they expire, the stale cache fools the sync.
    clock.step(5 * 60_000 + 1);
    await rsc.syncHandler(key);
    assert.equal((await listPods(client, ns)).length, 6);
  });

  it('creates in slow-start batches and reports failed creates with ReplicaFailure and FailedCreate', async () => {
    let failing = true;
    let attempts = 0;
    const quota = new ApiError(403, 'Forbidden', 'pods "web-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0');
    // A client whose pod creates fail like a namespace over quota, until `failing` is cleared.
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'create') {
          return async (res: ResourceRef, ns: string | undefined, obj: KubeObject) => {
            if (res.plural === 'pods') {
              attempts++;
              if (failing) throw quota;
            }
            return target.create(res, ns, obj);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const { recorder } = await controllerWith({ client: flaky, start: true });
    const ns = await namespace('quota');
    await client.create(replicasets, ns, replicaSet('web', 4, { app: 'web' }));
    const failed = await waitFor(
      async () => {
        const rs = await client.get(replicasets, ns, 'web');
        return rs.status?.conditions?.find((c: { type: string }) => c.type === 'ReplicaFailure');
      },
      { message: 'ReplicaFailure condition' },
    );
    assert.equal(failed.status, 'True');
    assert.equal(failed.reason, 'FailedCreate');
    assert.equal(failed.message, quota.message);
    assert.ok(attempts >= 1);
    assert.equal((await listPods(client, ns)).length, 0);
    await recorder.flush();
    const evs = await eventsFor(client, ns, 'web');
    assert.ok(evs.some((e) => e.type === 'Warning' && e.reason === 'FailedCreate' && e.message === `Error creating: ${quota.message}`));

    failing = false;
    await waitForStatus(client, replicasets, ns, 'web', { replicas: 4 });
    const rs = await waitFor(
      async () => {
        const obj = await client.get(replicasets, ns, 'web');
        return obj.status?.conditions?.length ? undefined : obj;
      },
      { message: 'ReplicaFailure removed' },
    );
    assert.equal(rs.status.replicas, 4);
    assert.equal((await listPods(client, ns)).length, 4);
  });
});
