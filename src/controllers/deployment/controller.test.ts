/**
 * The Deployment controller against a real in-process control plane. The test plays the
 * ReplicaSet controller's part (setting RS status through replicasets/status) so each rollout
 * step is under its control; the last suite runs the real ReplicaSet controller instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/object.js';
import { deployments } from '../../api/kinds/deployments.js';
import { namespaces } from '../../api/kinds/namespaces.js';
import { pods } from '../../api/kinds/pods.js';
import { replicasets } from '../../api/kinds/replicasets.js';
import { events } from '../../api/kinds/events.js';
import { startControlPlane, type ControlPlane } from '../../controlplane/controlplane.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import type { KubeClient } from '../../client/interfaces.js';
import { RestClient } from '../../client/rest-client.js';
import { rfc3339 } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { waitFor } from '../../../test/util/wait.js';
import { ReplicaSetController } from '../replicaset/replicaset-controller.js';
import { DeploymentController } from './controller.js';
import type { Deployment, ReplicaSet } from './types.js';

interface Harness {
  client: RestClient;
  close(): Promise<void>;
}

/**
 * A control plane with the deployment controller (and, if asked, the ReplicaSet controller);
 * `controllerClient` may wrap the client the deployment controller writes with.
 */
async function startHarness(prefix: string, withReplicaSetController = false, controllerClient?: (c: RestClient) => KubeClient): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
  const informers = new SharedInformerFactory(client, { logger: silentLogger });
  const recorder = new EventRecorder({ client, component: 'deployment-controller', logger: silentLogger });
  const dc = new DeploymentController({ client: controllerClient?.(client) ?? client, informers, recorder, logger: silentLogger });
  const rsc = withReplicaSetController ? new ReplicaSetController({ client, informers, recorder, logger: silentLogger }) : undefined;
  await informers.start();
  await dc.start();
  await rsc?.start();
  return {
    client,
    async close() {
      await rsc?.stop();
      await dc.stop();
      informers.stop();
      await recorder.close();
      client.close();
      await cp!.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function deployment(name: string, opts: { replicas?: number; image?: string; strategy?: Record<string, unknown>; spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations: opts.annotations },
    spec: {
      replicas: opts.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: opts.image ?? 'nginx:1' }] } },
      strategy: opts.strategy as Deployment['spec']['strategy'],
      ...opts.spec,
    },
  };
}

let nsSeq = 0;
async function namespace(client: RestClient): Promise<string> {
  const name = `deploy-${++nsSeq}`;
  await client.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function listRS(client: RestClient, ns: string): Promise<ReplicaSet[]> {
  const rss = (await client.list<ReplicaSet>(replicasets, ns)).items;
  return rss.sort((a, b) => rev(a) - rev(b));
}

function rev(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
}

function image(rs: ReplicaSet): string {
  return (rs.spec.template.spec as { containers: { image: string }[] }).containers[0].image;
}

/**
 * The ReplicaSet controller's part, instantly: every RS's pods exist and are available as soon
 * as it asks for them (and are gone as soon as it shrinks). Returns the ReplicaSets.
 */
async function settleReplicaSets(client: RestClient, ns: string, listed?: ReplicaSet[]): Promise<ReplicaSet[]> {
  const rss = listed ?? (await listRS(client, ns));
  for (const rs of rss) {
    const n = rs.spec.replicas ?? 0;
    const s = rs.status ?? {};
    if (s.replicas === n && s.availableReplicas === n && s.observedGeneration === rs.metadata.generation) continue;
    await setRSStatus(client, rs, n);
  }
  return rss;
}

async function setRSStatus(client: RestClient, rs: ReplicaSet, n: number, available = n): Promise<void> {
  await client.patch(replicasets, rs.metadata.namespace, rs.metadata.name!, 'merge', {
    status: { replicas: n, fullyLabeledReplicas: n, readyReplicas: available, availableReplicas: available, observedGeneration: rs.metadata.generation },
  }, { subresource: 'status' });
}

async function getDeployment(client: RestClient, ns: string, name: string): Promise<Deployment> {
  return client.get<Deployment>(deployments, ns, name);
}

function condition(d: Deployment, type: string) {
  return d.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the controller has written status for the deployment's latest spec. */
async function observed(client: RestClient, ns: string, name: string): Promise<Deployment> {
  return waitFor(async () => {
    const d = await getDeployment(client, ns, name);
    return d.status?.observedGeneration === d.metadata.generation && d;
  }, { message: `${name} observed` });
}

/** Drives a deployment to completion, playing the RS controller; returns the ReplicaSets. */
async function complete(client: RestClient, ns: string, name: string): Promise<ReplicaSet[]> {
  return waitFor(async () => {
    const rss = await settleReplicaSets(client, ns);
    const d = await getDeployment(client, ns, name);
    const done = d.status?.observedGeneration === d.metadata.generation && condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' &&
      d.status?.updatedReplicas === d.spec.replicas && d.status?.replicas === d.spec.replicas;
    return done && rss;
  }, { message: `${name} complete` });
}

describe('DeploymentController', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('peapod-deploy-');
  });
  after(async () => {
    await h?.close();
  });

  it('creates a ReplicaSet <name>-<hash> with revision 1, copied annotations and status', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', {
      annotations: { 'kubernetes.io/change-cause': 'first', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    }));
    const [rs] = await waitFor(async () => {
      const rss = await listRS(client, ns);
      return rss.length === 1 && rss[0].spec.replicas === 3 && rss;
    }, { message: 'one RS with 3 replicas' });
    const hash = rs.metadata.labels!['pod-template-hash'];
    assert.ok(hash);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.equal(rs.spec.template.metadata!.labels!['pod-template-hash'], hash);
    const a = rs.metadata.annotations!;
    assert.equal(a['deployment.kubernetes.io/revision'], '1');
    assert.equal(a['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(a['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(a['kubernetes.io/change-cause'], 'first');
    assert.equal(a['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    const owner = rs.metadata.ownerReferences?.[0];
    assert.equal(owner?.kind, 'Deployment');
    assert.equal(owner?.controller, true);

    // Nothing available yet: Available=False, Progressing=True NewReplicaSetCreated.
    let d = await waitFor(async () => {
      const d = await getDeployment(client, ns, 'web');
      return condition(d, 'Available') && d;
    });
    assert.equal(condition(d, 'Available')?.reason, 'MinimumReplicasUnavailable');
    assert.equal(condition(d, 'Progressing')?.status, 'True');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');

    await complete(client, ns, 'web');
    d = await getDeployment(client, ns, 'web');
    assert.deepEqual(
      [d.status?.replicas, d.status?.updatedReplicas, d.status?.readyReplicas, d.status?.availableReplicas, d.status?.unavailableReplicas ?? 0],
      [3, 3, 3, 3, 0],
    );
    assert.equal(condition(d, 'Available')?.reason, 'MinimumReplicasAvailable');
    assert.equal(condition(d, 'Progressing')?.message, `ReplicaSet "${rs.metadata.name}" has successfully progressed.`);

    const scaled = await waitFor(async () => {
      const evs = (await client.list(events, ns)).items;
      return evs.find((e) => e.reason === 'ScalingReplicaSet');
    }, { message: 'ScalingReplicaSet event' });
    assert.equal(scaled.message, `Scaled up replica set ${rs.metadata.name} from 0 to 3`);
    assert.equal(scaled.involvedObject.kind, 'Deployment');
  });

  it('rolls an image change one pod at a time with maxSurge=1, maxUnavailable=0, never below 3 available', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    await complete(client, ns, 'web');
    await client.patch(deployments, ns, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });

    const states: string[] = [];
    await waitFor(async () => {
      const rss = await listRS(client, ns);
      const total = rss.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
      const available = rss.reduce((n, rs) => n + Math.min(rs.spec.replicas ?? 0, rs.status?.availableReplicas ?? 0), 0);
      assert.ok(total <= 4, `more than replicas + maxSurge: ${total}`);
      assert.ok(available >= 3, `fewer than 3 available: ${available}`);
      const newRS = rss.find((rs) => image(rs) === 'nginx:2');
      const oldRS = rss.find((rs) => image(rs) === 'nginx:1')!;
      const state = `${newRS?.spec.replicas ?? 0}/${oldRS.spec.replicas}`;
      if (states.at(-1) !== state) states.push(state);
      // Settle exactly the snapshot checked, so no state the controller wrote goes unrecorded.
      await settleReplicaSets(client, ns, rss);
      return state === '3/0';
    }, { message: 'rollout to finish' });
    assert.deepEqual(states.filter((s) => s !== '0/3'), ['1/3', '1/2', '2/2', '2/1', '3/1', '3/0']);

    const rss = await complete(client, ns, 'web');
    assert.deepEqual(rss.map((rs) => [image(rs), rev(rs), rs.spec.replicas]), [['nginx:1', 1, 0], ['nginx:2', 2, 3]]);
    const d = await getDeployment(client, ns, 'web');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  });

  it('scales proportionally when replicas change mid-rollout', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    await complete(client, ns, 'web');
    await client.patch(deployments, ns, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await waitFor(async () => (await listRS(client, ns)).find((rs) => image(rs) === 'nginx:2')?.spec.replicas === 1);
    // The new pod never becomes available, so the rollout stays at 1 new + 3 old.
    await client.patch(deployments, ns, 'web', 'merge', { spec: { replicas: 6 } });
    const rss = await waitFor(async () => {
      const rss = await listRS(client, ns);
      return rss.every((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'] === '6') && rss;
    }, { message: 'both RSs resized for 6' });
    // 7 allowed (6 + surge 1), 4 running: old 3*7/4 -> 5, new 1*7/4 -> 2.
    assert.deepEqual(rss.map((rs) => [image(rs), rs.spec.replicas, rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas']]), [
      ['nginx:1', 5, '7'],
      ['nginx:2', 2, '7'],
    ]);
  });

  it('Recreate scales the old ReplicaSet to 0 and waits for its pods before starting new ones', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { replicas: 2, strategy: { type: 'Recreate' } }));
    const [first] = await complete(client, ns, 'web');
    // A pod of the old RS that still runs after the RS reports none (e.g. still terminating).
    await client.create(pods, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'straggler',
        labels: { ...first.spec.template.metadata!.labels },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: first.metadata.name!, uid: first.metadata.uid!, controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
    });
    await client.patch(deployments, ns, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await waitFor(async () => (await listRS(client, ns))[0].spec.replicas === 0, { message: 'old RS scaled to 0' });
    await observed(client, ns, 'web');
    assert.equal((await listRS(client, ns)).length, 1, 'no new RS while old pods are counted');

    // The RS reports its pods gone, but the straggler still runs.
    await settleReplicaSets(client, ns);
    await waitFor(async () => (await listRS(client, ns))[0].status?.replicas === 0);
    const d = await getDeployment(client, ns, 'web');
    await client.patch(deployments, ns, 'web', 'merge', { metadata: { annotations: { poke: '1' } } });
    await waitFor(async () => (await getDeployment(client, ns, 'web')).metadata.resourceVersion !== d.metadata.resourceVersion);
    await observed(client, ns, 'web');
    assert.equal((await listRS(client, ns)).length, 1, 'no new RS while an old pod runs');

    await client.delete(pods, ns, 'straggler', { gracePeriodSeconds: 0 });
    const rss = await waitFor(async () => {
      const rss = await listRS(client, ns);
      return rss.length === 2 && rss[1].spec.replicas === 2 && rss;
    }, { message: 'new RS scaled up to 2 at once' });
    assert.deepEqual(rss.map((rs) => [image(rs), rev(rs)]), [['nginx:1', 1], ['nginx:2', 2]]);
    await complete(client, ns, 'web');
  });

  it('a paused deployment scales but does not roll until resumed', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web'));
    await complete(client, ns, 'web');
    await client.patch(deployments, ns, 'web', 'merge', { spec: { paused: true } });
    await waitFor(async () => condition(await getDeployment(client, ns, 'web'), 'Progressing')?.reason === 'DeploymentPaused');
    await client.patch(deployments, ns, 'web', 'merge', { spec: { replicas: 5, template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    const paused = await observed(client, ns, 'web');
    assert.equal(condition(paused, 'Progressing')?.status, 'Unknown');
    assert.equal(condition(paused, 'Progressing')?.message, 'Deployment is paused');
    let rss = await waitFor(async () => {
      const rss = await listRS(client, ns);
      return rss[0].spec.replicas === 5 && rss;
    }, { message: 'paused deployment scaled' });
    assert.equal(rss.length, 1, 'no rollout while paused');

    await client.patch(deployments, ns, 'web', 'merge', { spec: { paused: false } });
    rss = await complete(client, ns, 'web');
    assert.deepEqual(rss.map((rs) => [image(rs), rs.spec.replicas]), [['nginx:1', 0], ['nginx:2', 5]]);
  });

  it('an undo (template patched back) reuses the old ReplicaSet with a new revision', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { annotations: { 'kubernetes.io/change-cause': 'v1' } }));
    await complete(client, ns, 'web');
    await client.patch(deployments, ns, 'web', 'merge', {
      metadata: { annotations: { 'kubernetes.io/change-cause': 'v2' } },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } },
    });
    let rss = await complete(client, ns, 'web');
    assert.deepEqual(rss.map((rs) => [image(rs), rev(rs), rs.metadata.annotations?.['kubernetes.io/change-cause']]), [['nginx:1', 1, 'v1'], ['nginx:2', 2, 'v2']]);

    // kubectl rollout undo: the old RS's template (without its hash label) and annotations.
    const old = rss[0];
    const template = structuredClone(old.spec.template);
    delete template.metadata!.labels!['pod-template-hash'];
    await client.patch(deployments, ns, 'web', 'json', [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'v1' },
    ]);
    rss = await complete(client, ns, 'web');
    assert.equal(rss.length, 2, 'no third ReplicaSet');
    assert.deepEqual(rss.map((rs) => [rs.metadata.name, image(rs), rev(rs), rs.spec.replicas]), [
      [rss[0].metadata.name, 'nginx:2', 2, 0],
      [old.metadata.name, 'nginx:1', 3, 3],
    ]);
    assert.equal(rss[1].metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    const d = await getDeployment(client, ns, 'web');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  });

  it('revisionHistoryLimit=1 deletes older ReplicaSets scaled to 0', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { replicas: 2, spec: { revisionHistoryLimit: 1 } }));
    await complete(client, ns, 'web');
    for (const tag of ['2', '3', '4']) {
      await client.patch(deployments, ns, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: `nginx:${tag}` }] } } } });
      await complete(client, ns, 'web');
    }
    const rss = await waitFor(async () => {
      const rss = await listRS(client, ns);
      return rss.length === 2 && rss;
    }, { message: 'history pruned to 1 old RS' });
    assert.deepEqual(rss.map((rs) => [image(rs), rev(rs), rs.spec.replicas]), [['nginx:3', 3, 0], ['nginx:4', 4, 2]]);
  });

  it('sets Progressing=False ProgressDeadlineExceeded when a rollout stalls past progressDeadlineSeconds', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { replicas: 1, spec: { progressDeadlineSeconds: 1 } }));
    const d = await waitFor(async () => {
      const d = await getDeployment(client, ns, 'web');
      return condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded' && d;
    }, { timeoutMs: 5000, message: 'ProgressDeadlineExceeded' });
    const [rs] = await listRS(client, ns);
    const p = condition(d, 'Progressing')!;
    assert.equal(p.status, 'False');
    assert.equal(p.message, `ReplicaSet "${rs.metadata.name}" has timed out progressing.`);
    // Progress afterwards (the pod comes up) turns it back to a success.
    await complete(client, ns, 'web');
  });

  it('adopts a matching orphan ReplicaSet with the same template', async () => {
    const { client } = h;
    const ns = await namespace(client);
    const d = deployment('web', { replicas: 2 });
    await client.create(replicasets, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-orphan', labels: { app: 'web' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: d.spec.template },
    });
    await client.create(deployments, ns, d);
    const rss = await complete(client, ns, 'web');
    assert.deepEqual(rss.map((rs) => rs.metadata.name), ['web-orphan']);
    assert.equal(rss[0].metadata.ownerReferences?.[0]?.name, 'web');
    assert.equal(rev(rss[0]), 1);
  });
});

describe('DeploymentController with the ReplicaSet controller', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('peapod-deploy-rs-', true);
  });
  after(async () => {
    await h?.close();
  });

  it('rolls out through real pods, made ready as a kubelet would', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { replicas: 2 }));
    const readyAll = async () => {
      for (const p of (await client.list(pods, ns)).items) {
        if (p.metadata.deletionTimestamp || p.status?.phase === 'Running') continue;
        await client.patch(pods, ns, p.metadata.name!, 'merge', {
          status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(Date.now()) }] },
        }, { subresource: 'status' });
      }
    };
    const done = async (img: string) =>
      waitFor(async () => {
        await readyAll();
        const d = await getDeployment(client, ns, 'web');
        const rss = await listRS(client, ns);
        return d.status?.observedGeneration === d.metadata.generation && d.status?.availableReplicas === 2 && d.status?.updatedReplicas === 2 &&
          d.status?.replicas === 2 && image(rss.at(-1)!) === img && condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' && d;
      }, { message: `rollout of ${img}` });
    await done('nginx:1');
    await client.patch(deployments, ns, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await done('nginx:2');
    const live = (await client.list(pods, ns)).items.filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(live.length, 2);
    assert.ok(live.every((p) => p.spec.containers[0].image === 'nginx:2'));
  });
});

/** A client whose ReplicaSet creations the API server refuses (spec.replicas -1: 422 Invalid). */
function refusingReplicaSets(client: RestClient): KubeClient {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'create') {
        return (res: Parameters<KubeClient['create']>[0], ns: string | undefined, obj: KubeObject, opts?: Parameters<KubeClient['create']>[3]) =>
          target.create(res, ns, res.plural === 'replicasets' ? { ...obj, spec: { ...obj.spec, replicas: -1 } } : obj, opts);
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('DeploymentController when ReplicaSets cannot be created', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('peapod-deploy-fail-', false, refusingReplicaSets);
  });
  after(async () => {
    await h?.close();
  });

  it('reports ReplicaSetCreateError in the Progressing condition and a Warning event of that reason', async () => {
    const { client } = h;
    const ns = await namespace(client);
    await client.create(deployments, ns, deployment('web', { replicas: 1 }));
    const d = await waitFor(async () => {
      const d = await getDeployment(client, ns, 'web');
      return condition(d, 'Progressing')?.reason === 'ReplicaSetCreateError' && d;
    }, { message: 'ReplicaSetCreateError condition' });
    const p = condition(d, 'Progressing')!;
    assert.equal(p.status, 'False');
    assert.match(p.message ?? '', /^Failed to create new replica set "web-[a-z0-9]+": /);
    const ev = await waitFor(async () => (await client.list(events, ns)).items.find((e) => e.type === 'Warning'), { message: 'warning event' });
    assert.equal(ev.reason, 'ReplicaSetCreateError');
    assert.equal(ev.message, p.message);
    assert.equal((await listRS(client, ns)).length, 0);
  });
});
