import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { deployments } from '../../api/kinds/deployments.js';
import { endpoints } from '../../api/kinds/endpoints.js';
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
import { ReplicaSetController } from '../replicaset/replicaset-controller.js';
import { EndpointsController, lastChangeTriggerTimeAnnotation } from './endpoints-controller.js';
import { headlessServiceLabel } from './pod-endpoints.js';

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

/** A pod bound to a node no kubelet runs, so only the test writes its status. */
function barePod(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName: 'ghost', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
}

async function setPodStatus(client: KubeClient, ns: string, name: string, ip: string, ready: boolean, phase = 'Running'): Promise<void> {
  await client.patch(
    pods,
    ns,
    name,
    'merge',
    { status: { phase, podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } },
    { subresource: 'status' },
  );
}

async function getOrUndefined(client: KubeClient, ns: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(endpoints, ns, name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** "ip:port" of the ready (or not-ready) addresses of an Endpoints, sorted. */
function pairs(ep: KubeObject | undefined, which: 'addresses' | 'notReadyAddresses' = 'addresses'): string[] {
  const out: string[] = [];
  for (const s of ep?.subsets ?? []) for (const a of s[which] ?? []) for (const p of s.ports ?? []) out.push(`${a.ip}:${p.port}`);
  return out.sort();
}

async function waitForEndpoints(client: KubeClient, ns: string, name: string, cond: (ep: KubeObject | undefined) => boolean, message: string): Promise<KubeObject | undefined> {
  let last: KubeObject | undefined;
  try {
    await waitFor(
      async () => {
        last = await getOrUndefined(client, ns, name);
        return cond(last);
      },
      { timeoutMs: 15_000, message },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last?.subsets ?? last ?? null)}`, { cause: err });
  }
  return last;
}

class RecordingRecorder {
  readonly events: { reason: string; type: string; message: string; object: string }[] = [];
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ reason, type, message, object: `${obj.metadata.namespace}/${obj.metadata.name}` });
  }
}

describe('EndpointsController against a control plane with simulated nodes', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let informers: SharedInformerFactory;
  let recorder: EventRecorder;
  let endpointsController: EndpointsController;
  let rsc: ReplicaSetController;
  let dc: DeploymentController;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-endpoints-'));
    // The scheduler and two simulated nodes run in the control plane; the controllers here.
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger, scheduler: true, simNodes: 2, componentThreads: false });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    informers = new SharedInformerFactory(client, { logger: silentLogger });
    recorder = new EventRecorder({ client, component: 'controllers' });
    const common = { client, informers, recorder, logger: silentLogger };
    rsc = new ReplicaSetController(common);
    dc = new DeploymentController(common);
    endpointsController = new EndpointsController({ ...common, recorder: new RecordingRecorder() });
    await informers.start();
    await rsc.start();
    await dc.start();
    await endpointsController.start();
  });

  after(async () => {
    await endpointsController?.stop();
    await dc?.stop();
    await rsc?.stop();
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

  it('lists the ready pods of a Deployment on the named target port; scaling down removes them', async () => {
    const ns = await namespace('deploy');
    await client.create(deployments, ns, deployment('web', 3));
    const svc = await client.create(services, ns, service('web', { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] }, { tier: 'front' }));

    const ep = await waitForEndpoints(client, ns, 'web', (e) => pairs(e).length === 3, 'three ready addresses');
    const podList = (await client.list(pods, ns)).items;
    assert.deepEqual(pairs(ep), podList.map((p) => `${p.status.podIP}:8080`).sort());
    assert.equal(ep!.subsets.length, 1);
    assert.deepEqual(ep!.subsets[0].ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    const ips = ep!.subsets[0].addresses.map((a: { ip: string }) => a.ip);
    assert.deepEqual(ips, [...ips].sort(), 'addresses sorted by IP');
    for (const a of ep!.subsets[0].addresses) {
      const p = podList.find((x) => x.status.podIP === a.ip)!;
      assert.deepEqual(a, { ip: p.status.podIP, nodeName: p.spec.nodeName, targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid } });
      assert.match(a.nodeName, /^sim-node-/);
    }
    assert.deepEqual(ep!.metadata.labels, { tier: 'front' });
    assert.ok(ep!.metadata.annotations?.[lastChangeTriggerTimeAnnotation], 'trigger time annotation');

    // Nothing changed: a sync writes nothing.
    const rv = ep!.metadata.resourceVersion;
    await endpointsController.syncService(`${ns}/web`);
    assert.equal((await client.get(endpoints, ns, 'web')).metadata.resourceVersion, rv);

    await client.patch(deployments, ns, 'web', 'merge', { spec: { replicas: 1 } });
    const after = await waitForEndpoints(client, ns, 'web', (e) => pairs(e).length === 1 && pairs(e, 'notReadyAddresses').length === 0, 'one address after scale-down');
    const left = (await client.list(pods, ns)).items.filter((p) => !p.metadata.deletionTimestamp);
    assert.deepEqual(pairs(after), left.map((p) => `${p.status.podIP}:8080`));

    // Deleting the Service deletes its Endpoints.
    await client.delete(services, ns, 'web');
    await waitForEndpoints(client, ns, 'web', (e) => e === undefined, 'Endpoints gone with the Service');
    assert.ok(svc.metadata.uid);
  });

  it('moves a pod that turns not ready to notReadyAddresses, and drops it when it finishes', async () => {
    const ns = await namespace('readiness');
    await client.create(services, ns, service('app', { selector: { app: 'app' }, ports: [{ port: 80, targetPort: 'http' }] }));
    for (const name of ['p1', 'p2']) await client.create(pods, ns, barePod(name, { app: 'app' }));
    // A pod the selector does not pick, and one without an IP: neither is listed.
    await client.create(pods, ns, barePod('other', { app: 'other' }));
    await setPodStatus(client, ns, 'other', '10.9.0.9', true);
    await setPodStatus(client, ns, 'p1', '10.9.0.1', true);
    await setPodStatus(client, ns, 'p2', '10.9.0.2', true);
    await waitForEndpoints(client, ns, 'app', (e) => pairs(e).join() === '10.9.0.1:8080,10.9.0.2:8080', 'both ready');

    await setPodStatus(client, ns, 'p2', '10.9.0.2', false);
    const ep = await waitForEndpoints(
      client,
      ns,
      'app',
      (e) => pairs(e).join() === '10.9.0.1:8080' && pairs(e, 'notReadyAddresses').join() === '10.9.0.2:8080',
      'p2 not ready',
    );
    assert.equal(ep!.subsets.length, 1, 'ready and not-ready addresses of the same ports share a subset');

    await setPodStatus(client, ns, 'p2', '10.9.0.2', false, 'Failed');
    await waitForEndpoints(client, ns, 'app', (e) => pairs(e).join() === '10.9.0.1:8080' && pairs(e, 'notReadyAddresses').length === 0, 'p2 gone once failed');

    // Relabelling a pod out of the selector removes it.
    await client.patch(pods, ns, 'p1', 'merge', { metadata: { labels: { app: 'elsewhere' } } });
    await waitForEndpoints(client, ns, 'app', (e) => e !== undefined && (e.subsets ?? []).length === 0, 'no addresses left');
  });

  it('publishes not-ready pods with publishNotReadyAddresses; headless Services are labelled', async () => {
    const ns = await namespace('headless');
    await client.create(services, ns, service('db', { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ port: 5432 }] }));
    await client.create(pods, ns, { ...barePod('db-0', { app: 'db' }), spec: { ...barePod('db-0', {}).spec, hostname: 'db-0', subdomain: 'db' } });
    await setPodStatus(client, ns, 'db-0', '10.9.1.1', false);
    const ep = await waitForEndpoints(client, ns, 'db', (e) => pairs(e).join() === '10.9.1.1:5432', 'not-ready pod published');
    assert.equal(ep!.subsets[0].addresses[0].hostname, 'db-0');
    assert.deepEqual(ep!.metadata.labels, { [headlessServiceLabel]: '' });
  });

  it('leaves the hand-made Endpoints of a Service without selector alone', async () => {
    const ns = await namespace('manual');
    await client.create(services, ns, service('ext', { ports: [{ port: 443 }] }));
    const manual = await client.create<KubeObject>(endpoints, ns, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'ext' },
      subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 443, protocol: 'TCP' }] }],
    });
    // A pod that would match anything cannot leak in: there is no selector to match.
    await client.create(pods, ns, barePod('stray', { app: 'ext' }));
    await setPodStatus(client, ns, 'stray', '10.9.2.1', true);
    await client.patch(services, ns, 'ext', 'merge', { metadata: { labels: { changed: 'yes' } } });
    await endpointsController.syncService(`${ns}/ext`);
    const now = await client.get(endpoints, ns, 'ext');
    assert.equal(now.metadata.resourceVersion, manual.metadata.resourceVersion);
    assert.deepEqual(pairs(now), ['192.0.2.10:443']);
  });

  it('recreates Endpoints someone deleted', async () => {
    const ns = await namespace('recreate');
    await client.create(services, ns, service('app', { selector: { app: 'app' }, ports: [{ port: 80, targetPort: 8080 }] }));
    await client.create(pods, ns, barePod('p1', { app: 'app' }));
    await setPodStatus(client, ns, 'p1', '10.9.3.1', true);
    const first = await waitForEndpoints(client, ns, 'app', (e) => pairs(e).join() === '10.9.3.1:8080', 'endpoints');
    await client.delete(endpoints, ns, 'app');
    await waitForEndpoints(client, ns, 'app', (e) => e !== undefined && e.metadata.uid !== first!.metadata.uid && pairs(e).join() === '10.9.3.1:8080', 'endpoints recreated');
  });
});
