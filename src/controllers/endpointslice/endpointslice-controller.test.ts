import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/object.js';
import { deployments } from '../../api/kinds/deployments.js';
import { endpointslices } from '../../api/kinds/endpointslices.js';
import { namespaces } from '../../api/kinds/namespaces.js';
import { pods } from '../../api/kinds/pods.js';
import { services } from '../../api/kinds/services.js';
import { startControlPlane, type ControlPlane } from '../../controlplane/controlplane.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import type { KubeClient } from '../../client/interfaces.js';
import { RestClient } from '../../client/rest-client.js';
import { silentLogger } from '../../util/logger.js';
import { waitFor } from '../../../test/util/wait.js';
import { DeploymentController } from '../deployment/controller.js';
import { GarbageCollector } from '../garbagecollector/garbage-collector.js';
import { ReplicaSetController } from '../replicaset/replicaset-controller.js';
import { controllerName, EndpointSliceController, lastChangeTriggerTimeAnnotation } from './endpointslice-controller.js';

function deployment(name: string, replicas: number): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } },
    },
  };
}

function service(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

async function slicesOf(client: KubeClient, ns: string, svc: string): Promise<KubeObject[]> {
  return (await client.list(endpointslices, ns, { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
}

/** "ip:port" of the ready endpoints of a Service's slices, sorted. */
function readyPairs(slices: KubeObject[]): string[] {
  const out: string[] = [];
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready !== true) continue;
      for (const a of e.addresses) for (const p of s.ports ?? []) out.push(`${a}:${p.port}`);
    }
  }
  return out.sort();
}

async function waitForSlices(client: KubeClient, ns: string, svc: string, cond: (s: KubeObject[]) => boolean, message: string): Promise<KubeObject[]> {
  let last: KubeObject[] = [];
  try {
    await waitFor(
      async () => {
        last = await slicesOf(client, ns, svc);
        return cond(last);
      },
      { timeoutMs: 15_000, message },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last.map((s) => ({ name: s.metadata.name, endpoints: s.endpoints, ports: s.ports })))}`, { cause: err });
  }
  return last;
}

describe('EndpointSliceController against a control plane with simulated nodes', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let informers: SharedInformerFactory;
  let recorder: EventRecorder;
  let controller: EndpointSliceController;
  const parts: { start(): Promise<void>; stop(): Promise<void> }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-endpointslices-'));
    // The scheduler and two simulated nodes run in the control plane; the controllers here.
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger, scheduler: true, simNodes: 2, componentThreads: false });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    informers = new SharedInformerFactory(client, { logger: silentLogger });
    recorder = new EventRecorder({ client, component: 'controllers' });
    const common = { client, informers, recorder, logger: silentLogger };
    // Two endpoints per slice, so a handful of pods already spans slices.
    controller = new EndpointSliceController({ ...common, maxEndpointsPerSlice: 2 });
    parts.push(new ReplicaSetController(common), new DeploymentController(common), new GarbageCollector(common), controller);
    await informers.start();
    for (const p of parts) await p.start();
  });

  after(async () => {
    for (const p of [...parts].reverse()) await p.stop();
    informers?.stop();
    await recorder?.close();
    client?.close();
    await cp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function namespace(name: string): Promise<string> {
    await client.create(namespaces, undefined, { metadata: { name } });
    return name;
  }

  it('slices a Deployment\'s pods on the named target port, follows scaling, and goes with its Service', async () => {
    const ns = await namespace('deploy');
    await client.create(deployments, ns, deployment('web', 3));
    const svc = await client.create(services, ns, service('web', { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] }, { tier: 'front' }));

    const slices = await waitForSlices(client, ns, 'web', (s) => readyPairs(s).length === 3, 'three ready endpoints');
    assert.ok(slices.length >= 2 && slices.every((s) => s.endpoints.length <= 2), 'at most two endpoints per slice');
    const podList = (await client.list(pods, ns)).items;
    assert.deepEqual(readyPairs(slices), podList.map((p) => `${p.status.podIP}:8080`).sort());
    for (const s of slices) {
      assert.equal(s.addressType, 'IPv4');
      assert.match(s.metadata.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.deepEqual(s.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
      assert.deepEqual(s.metadata.labels, { tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': controllerName });
      assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.ok(s.metadata.annotations?.[lastChangeTriggerTimeAnnotation], 'trigger time annotation');
      for (const e of s.endpoints) {
        const p = podList.find((x) => x.status.podIP === e.addresses[0])!;
        assert.deepEqual(e, {
          addresses: [p.status.podIP],
          conditions: { ready: true, serving: true, terminating: false },
          targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
          nodeName: p.spec.nodeName,
        });
      }
    }

    // Nothing changed: a sync writes nothing.
    const before = slices.map((s) => `${s.metadata.name}@${s.metadata.resourceVersion}`).sort();
    await controller.syncService(`${ns}/web`);
    assert.deepEqual((await slicesOf(client, ns, 'web')).map((s) => `${s.metadata.name}@${s.metadata.resourceVersion}`).sort(), before);

    await client.patch(deployments, ns, 'web', 'merge', { spec: { replicas: 1 } });
    const after = await waitForSlices(
      client,
      ns,
      'web',
      (s) => readyPairs(s).length === 1 && s.every((x) => x.endpoints.every((e: { conditions: { terminating: boolean } }) => !e.conditions.terminating)) && s.length === 1,
      'one endpoint in one slice after scale-down',
    );
    const left = (await client.list(pods, ns)).items.filter((p) => !p.metadata.deletionTimestamp);
    assert.deepEqual(readyPairs(after), left.map((p) => `${p.status.podIP}:8080`));

    // Deleting the Service: the garbage collector deletes its slices.
    await client.delete(services, ns, 'web');
    await waitForSlices(client, ns, 'web', (s) => s.length === 0, 'slices gone with the Service');
  });

  it('keeps a placeholder for a Service without pods, recreates a deleted slice, ignores selector-less Services', async () => {
    const ns = await namespace('placeholder');
    await client.create(services, ns, service('empty', { selector: { app: 'none' }, ports: [{ port: 80 }] }));
    const [placeholder] = await waitForSlices(client, ns, 'empty', (s) => s.length === 1, 'a placeholder slice');
    assert.deepEqual(placeholder!.endpoints ?? [], []);
    assert.deepEqual(placeholder!.ports ?? [], []);

    await client.delete(endpointslices, ns, placeholder!.metadata.name!);
    await waitForSlices(client, ns, 'empty', (s) => s.length === 1 && s[0]!.metadata.uid !== placeholder!.metadata.uid, 'placeholder recreated');

    await client.create(services, ns, service('manual', { ports: [{ port: 443 }] }));
    await controller.syncService(`${ns}/manual`);
    assert.deepEqual(await slicesOf(client, ns, 'manual'), []);
  });
});
