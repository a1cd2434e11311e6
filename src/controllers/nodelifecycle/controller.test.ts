import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { resourceTypeFor } from '../../api/registry.js';
import { startControlPlane, type ControlPlane } from '../../controlplane/controlplane.js';
import { RestClient } from '../../client/rest-client.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { EventRecorder } from '../../client/events.js';
import { silentLogger } from '../../util/logger.js';
import { waitFor } from '../../../test/util/wait.js';
import { SimNodePool } from '../../sim/pool.js';
import { exitAfterAnnotation } from '../../sim/stages.js';
import type { WatchEvent } from '../../client/interfaces.js';
import { NodeLifecycleController } from './controller.js';

const nodesRes = resourceTypeFor('', 'v1', 'nodes')!;
const podsRes = resourceTypeFor('', 'v1', 'pods')!;
const eventsRes = resourceTypeFor('', 'v1', 'events')!;

const graceMs = 1_500;
const unreachable = 'node.kubernetes.io/unreachable';

function pod(name: string, tolerations?: unknown[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'nginx' }], tolerations },
  };
}

async function exists(client: RestClient, name: string): Promise<boolean> {
  try {
    await client.get(podsRes, 'default', name);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return false;
    throw err;
  }
}

/** Whether the pod exists and is being deleted (Terminating). */
async function deleting(client: RestClient, name: string): Promise<boolean> {
  try {
    return Boolean((await client.get(podsRes, 'default', name)).metadata.deletionTimestamp);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return false;
    throw err;
  }
}

/** Watches one pod by name from now on, and resolves with its DELETED object, or undefined on close. */
async function lastState(client: RestClient, name: string): Promise<{ deleted: Promise<KubeObject>; stop: () => void }> {
  const rv = (await client.list(podsRes, 'default')).metadata.resourceVersion;
  let stop = () => {};
  const deleted = new Promise<KubeObject>((resolve, reject) => {
    const w = client.watch(
      podsRes,
      'default',
      { resourceVersion: rv, fieldSelector: `metadata.name=${name}` },
      (ev: WatchEvent<KubeObject>) => ev.type === 'DELETED' && resolve(ev.object),
      (err) => reject(err ?? new Error('watch closed')),
    );
    stop = () => w.close();
  });
  return { deleted, stop };
}

const condition = (obj: KubeObject, type: string) => (obj.status?.conditions ?? []).find((c: any) => c.type === type);

describe('NodeLifecycleController with simulated nodes', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let informers: SharedInformerFactory;
  let recorder: EventRecorder;
  let evictionRecorder: EventRecorder;
  let controller: NodeLifecycleController;
  let live: SimNodePool;
  let doomed: SimNodePool;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-nodelifecycle-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    live = new SimNodePool({ client, logger: silentLogger, nodes: 2, prefix: 'live', leaseRenewIntervalMs: 200 });
    doomed = new SimNodePool({ client, logger: silentLogger, nodes: 1, prefix: 'doomed', leaseRenewIntervalMs: 200 });
    await live.start();
    await doomed.start();
    informers = new SharedInformerFactory(client);
    recorder = new EventRecorder({ client, component: 'node-controller' });
    evictionRecorder = new EventRecorder({ client, component: 'taint-eviction-controller' });
    controller = new NodeLifecycleController({
      client,
      informers,
      recorder,
      evictionRecorder,
      logger: silentLogger,
      nodeMonitorGracePeriodMs: graceMs,
      nodeMonitorPeriodMs: 100,
      orphanPodQuarantineMs: 200,
      terminatedPodGCThreshold: 2,
      gcCheckPeriodMs: 100,
    });
    await controller.start();
  });

  after(async () => {
    await controller?.stop();
    informers?.stop();
    await recorder?.close();
    await evictionRecorder?.close();
    await live?.stop();
    await doomed?.stop();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evicts pods from a node whose heartbeats stop, and untaints it when they resume', { timeout: 30_000 }, async () => {
    const tolerate = (seconds?: number) => [
      { key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
    ];
    await client.create(podsRes, 'default', pod('tolerates-1s', tolerate(1)));
    // Every pod gets the default tolerations (300 s) at admission; 0 s means "leave at once".
    await client.create(podsRes, 'default', pod('intolerant', tolerate(0)));
    await client.create(podsRes, 'default', pod('tolerates-forever', tolerate(undefined)));
    await client.create(podsRes, 'default', pod('elsewhere'));
    for (const name of ['tolerates-1s', 'intolerant', 'tolerates-forever']) await client.bind('default', name, 'doomed-0');
    await client.bind('default', 'elsewhere', 'live-0');
    await waitFor(async () => {
      const items = (await client.list(podsRes, 'default')).items;
      return items.length === 4 && items.every((p) => condition(p, 'Ready')?.status === 'True');
    }, { message: 'pods Ready' });

    const t0 = performance.now();
    await doomed.stop();
    const node = await waitFor(async () => {
      const n = await client.get(nodesRes, undefined, 'doomed-0');
      return (n.spec.taints ?? []).some((t: any) => t.key === unreachable && t.effect === 'NoExecute') && n;
    }, { message: 'unreachable taint' });
    const tainted = performance.now() - t0;
    const ready = condition(node, 'Ready');
    assert.equal(ready.status, 'Unknown');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    assert.equal(condition(node, 'MemoryPressure').status, 'Unknown');
    const noExecute = node.spec.taints.find((t: any) => t.key === unreachable && t.effect === 'NoExecute');
    assert.ok(noExecute.timeAdded, 'NoExecute taint has timeAdded');
    assert.ok(node.spec.taints.some((t: any) => t.key === unreachable && t.effect === 'NoSchedule'));
    assert.ok(tainted >= graceMs - 250, `tainted after ${tainted} ms, before the grace period`);

    // tolerationSeconds 0: evicted at once. The dead node cannot finish the deletion, and it is
    // not forced either (the pod may still run there): the pod stays Terminating, as in Kubernetes.
    await waitFor(async () => deleting(client, 'intolerant'), { timeoutMs: 3_000, message: 'intolerant pod evicted' });
    await waitFor(async () => deleting(client, 'tolerates-1s'), { timeoutMs: 5_000, message: 'pod tolerating 1 s evicted' });
    const evicted = performance.now() - t0;
    console.log(`# node lifecycle: taint after ${tainted.toFixed(0)} ms, both pods evicted ${evicted.toFixed(0)} ms after heartbeats stopped (grace ${graceMs} ms, toleration 1 s)`);

    // Tolerated forever: stays, but is no longer Ready.
    const forever = await waitFor(async () => {
      const p = await client.get(podsRes, 'default', 'tolerates-forever');
      return condition(p, 'Ready')?.status === 'False' && p;
    }, { message: 'pod marked not ready' });
    assert.equal(forever.metadata.deletionTimestamp, undefined);
    // Pods and nodes elsewhere are untouched.
    const elsewhere = await client.get(podsRes, 'default', 'elsewhere');
    assert.equal(condition(elsewhere, 'Ready').status, 'True');
    assert.deepEqual(
      elsewhere.spec.tolerations.map((t: any) => `${t.key}:${t.effect}:${t.tolerationSeconds}`),
      ['node.kubernetes.io/not-ready:NoExecute:300', 'node.kubernetes.io/unreachable:NoExecute:300'],
      'default tolerations from admission',
    );
    for (const name of live.nodeNames) {
      const n = await client.get(nodesRes, undefined, name);
      assert.equal(condition(n, 'Ready').status, 'True');
      assert.equal((n.spec.taints ?? []).length, 0);
    }

    await recorder.flush();
    await evictionRecorder.flush();
    const events = (await client.list(eventsRes, 'default')).items;
    // Signed as in Kubernetes: evictions by the taint eviction controller, the rest by the node controller.
    const has = (reason: string, message: string, from: string, type = 'Normal') =>
      events.some((e) => e.reason === reason && e.message === message && e.source?.component === from && e.type === type);
    assert.ok(has('TaintManagerEviction', 'Marking for deletion Pod default/intolerant', 'taint-eviction-controller'), 'eviction event (intolerant)');
    assert.ok(has('TaintManagerEviction', 'Marking for deletion Pod default/tolerates-1s', 'taint-eviction-controller'), 'eviction event (tolerates-1s)');
    assert.ok(has('NodeNotReady', 'Node doomed-0 status is now: NodeNotReady', 'node-controller'), 'NodeNotReady event');
    assert.ok(has('RegisteredNode', 'Node live-0 event: Registered Node live-0 in Controller', 'node-controller'), 'RegisteredNode event');
    assert.ok(has('NodeNotReady', 'Node is not ready', 'node-controller', 'Warning'), 'pod NodeNotReady event');

    // Heartbeats resume: Ready again, taints gone, the surviving pod Ready again.
    await doomed.start();
    await waitFor(async () => {
      const n = await client.get(nodesRes, undefined, 'doomed-0');
      return condition(n, 'Ready').status === 'True' && (n.spec.taints ?? []).length === 0;
    }, { message: 'node Ready and untainted' });
    await waitFor(async () => condition(await client.get(podsRes, 'default', 'tolerates-forever'), 'Ready')?.status === 'True', {
      message: 'pod Ready again',
    });
    // Its kubelet is back and finishes the deletions it missed.
    for (const name of ['intolerant', 'tolerates-1s']) await waitFor(async () => !(await exists(client, name)), { message: `${name} gone` });
  });

  it('force-deletes the evicted pods of a node only once it is declared out of service', async () => {
    await doomed.stop();
    await client.create(podsRes, 'default', pod('stranded', [{ key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }]));
    await client.bind('default', 'stranded', 'doomed-0');
    await waitFor(async () => deleting(client, 'stranded'), { message: 'stranded pod evicted' });
    // Well past the orphan quarantine and several sweeps: still there.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await deleting(client, 'stranded'), true, 'an unreachable node alone does not force the deletion');
    const n = await client.get(nodesRes, undefined, 'doomed-0');
    n.spec.taints = [...(n.spec.taints ?? []), { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }];
    const watch = await lastState(client, 'stranded');
    await client.update(nodesRes, n);
    await waitFor(async () => !(await exists(client, 'stranded')), { message: 'pod on the out-of-service node force-deleted' });
    // No kubelet will say how it ended: pod GC marks it Failed first, as Kubernetes' does.
    const last = await watch.deleted;
    watch.stop();
    assert.equal(last.status.phase, 'Failed');
  });

  it('evicts pods that do not tolerate a NoExecute taint put on a live node; its agent finishes the deletion', async () => {
    await client.create(podsRes, 'default', pod('plain'));
    await client.create(podsRes, 'default', pod('tolerant', [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }]));
    await client.bind('default', 'plain', 'live-1');
    await client.bind('default', 'tolerant', 'live-1');
    await waitFor(async () => condition(await client.get(podsRes, 'default', 'plain'), 'Ready')?.status === 'True', { message: 'plain Ready' });
    const n = await client.get(nodesRes, undefined, 'live-1');
    n.spec.taints = [...(n.spec.taints ?? []), { key: 'maintenance', value: 'true', effect: 'NoExecute', timeAdded: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }];
    await client.update(nodesRes, n);
    await waitFor(async () => !(await exists(client, 'plain')), { message: 'untolerating pod evicted' });
    const tolerant = await client.get(podsRes, 'default', 'tolerant');
    assert.equal(tolerant.metadata.deletionTimestamp, undefined);
    // The controller leaves taints it does not own alone.
    const after = await client.get(nodesRes, undefined, 'live-1');
    assert.deepEqual(after.spec.taints.map((t: any) => t.key), ['maintenance']);
  });

  it('force-deletes a pod bound to a node that does not exist', async () => {
    const p = pod('orphan');
    p.spec.nodeName = 'no-such-node';
    const watch = await lastState(client, 'orphan');
    await client.create(podsRes, 'default', p);
    await waitFor(async () => !(await exists(client, 'orphan')), { message: 'orphaned pod collected' });
    const last = await watch.deleted;
    watch.stop();
    assert.equal(last.status.phase, 'Failed');
    const target = condition(last, 'DisruptionTarget');
    assert.equal(target?.status, 'True');
    assert.equal(target?.reason, 'DeletionByPodGC');
    assert.equal(target?.message, 'PodGC: node no longer exists');
  });

  it('deletes the oldest finished pods beyond the terminated-pod threshold', async () => {
    const names = ['done-a', 'done-b', 'done-c', 'done-d'];
    for (const name of names) {
      const p = pod(name);
      p.metadata.annotations = { [exitAfterAnnotation]: '0' };
      p.spec.restartPolicy = 'Never';
      await client.create(podsRes, 'default', p);
      await client.bind('default', name, 'live-0');
    }
    // Threshold 2: the two oldest of the four go once all have finished, the two newest stay.
    await waitFor(async () => !(await exists(client, 'done-a')) && !(await exists(client, 'done-b')), { message: 'oldest finished pods collected' });
    for (const name of ['done-c', 'done-d']) {
      const p = await client.get(podsRes, 'default', name);
      assert.equal(p.status.phase, 'Succeeded');
      assert.equal(p.metadata.deletionTimestamp, undefined);
    }
  });
});
