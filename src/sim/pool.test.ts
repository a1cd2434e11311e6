import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { resourceTypeFor } from '../api/registry.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { RestClient } from '../client/rest-client.js';
import { silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import { SimNodePool } from './pool.js';
import { podStagesWithContainerCreating } from './stages.js';

const nodesRes = resourceTypeFor('', 'v1', 'nodes')!;
const podsRes = resourceTypeFor('', 'v1', 'pods')!;
const leasesRes = resourceTypeFor('coordination.k8s.io', 'v1', 'leases')!;

function pod(name: string, extra: { annotations?: Record<string, string>; restartPolicy?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: extra.annotations },
    spec: { restartPolicy: extra.restartPolicy, containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

async function gone(client: RestClient, name: string): Promise<boolean> {
  try {
    await client.get(podsRes, 'default', name);
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return true;
    throw err;
  }
}

describe('SimNodePool against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let pool: SimNodePool;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-sim-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    pool = new SimNodePool({
      client,
      logger: silentLogger,
      nodes: 3,
      prefix: 'pt',
      capacity: { cpu: '8', memory: '16Gi', pods: '50' },
      leaseRenewIntervalMs: 100,
      stages: podStagesWithContainerCreating,
    });
    await pool.start();
  });

  after(async () => {
    await pool?.stop();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers Ready nodes with capacity, node info and addresses', async () => {
    const nodes = (await client.list(nodesRes, undefined, { labelSelector: 'type=sim' })).items;
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['pt-0', 'pt-1', 'pt-2']);
    for (const n of nodes) {
      assert.equal(n.metadata.labels!['kubernetes.io/hostname'], n.metadata.name);
      assert.equal(n.metadata.labels!['kubernetes.io/os'], 'linux');
      assert.deepEqual(n.status.capacity, { cpu: '8', memory: '16Gi', pods: '50' });
      assert.deepEqual(n.status.allocatable, { cpu: '8', memory: '16Gi', pods: '50' });
      assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.32.4-peapod-sim');
      assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'sim://1');
      assert.match(n.status.addresses.find((a: any) => a.type === 'InternalIP').address, /^10\.1\.\d+\.\d+$/);
      const cond = Object.fromEntries(n.status.conditions.map((c: any) => [c.type, c]));
      assert.equal(cond.Ready.status, 'True');
      assert.equal(cond.Ready.reason, 'KubeletReady');
      for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) assert.equal(cond[t].status, 'False');
    }
  });

  it('heartbeats a Lease per node in kube-node-lease', async () => {
    const first = await client.get(leasesRes, 'kube-node-lease', 'pt-1');
    assert.equal(first.spec.holderIdentity, 'pt-1');
    assert.equal(first.spec.leaseDurationSeconds, 40);
    assert.equal(first.metadata.ownerReferences?.[0]?.kind, 'Node');
    await waitFor(async () => (await client.get(leasesRes, 'kube-node-lease', 'pt-1')).spec.renewTime > first.spec.renewTime, {
      message: 'lease renewal',
    });
  });

  it('runs a bound pod: Running and Ready with an IP, then deletes it gracefully', async () => {
    await client.create(podsRes, 'default', pod('web'));
    await client.bind('default', 'web', 'pt-1');
    const running = await waitFor(async () => {
      const p = await client.get(podsRes, 'default', 'web');
      return p.status?.phase === 'Running' && p;
    }, { message: 'pod Running' });
    const s = running.status;
    assert.match(s.podIP, /^10\.\d+\.\d+\.\d+$/);
    const node = await client.get(nodesRes, undefined, 'pt-1');
    assert.equal(s.hostIP, node.status.addresses[0].address);
    assert.ok(s.startTime);
    for (const t of ['PodScheduled', 'Initialized', 'Ready', 'ContainersReady']) {
      assert.equal(s.conditions.find((c: any) => c.type === t)?.status, 'True', t);
    }
    const cs = s.containerStatuses[0];
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.match(cs.containerID, /^sim:\/\/[0-9a-f]{64}$/);
    assert.ok(cs.state.running.startedAt);

    await client.delete(podsRes, 'default', 'web');
    await waitFor(() => gone(client, 'web'), { message: 'pod removed by its node' });
  });

  it('completes a restartPolicy=Never pod after sim.peapod.io/exit-after', async () => {
    await client.create(podsRes, 'default', pod('job', { restartPolicy: 'Never', annotations: { 'sim.peapod.io/exit-after': '100ms' } }));
    await client.bind('default', 'job', 'pt-2');
    const done = await waitFor(async () => {
      const p = await client.get(podsRes, 'default', 'job');
      return p.status?.phase === 'Succeeded' && p;
    }, { message: 'pod Succeeded' });
    assert.equal(done.status.containerStatuses[0].state.terminated.reason, 'Completed');
  });

  it('stop() leaves the nodes registered; start() reports them Ready again', async () => {
    await pool.stop();
    const stopped = await client.get(leasesRes, 'kube-node-lease', 'pt-0');
    // Someone else marks the node not ready (as the node lifecycle controller would).
    const n = await client.get(nodesRes, undefined, 'pt-0');
    n.status.conditions.find((c: any) => c.type === 'Ready').status = 'Unknown';
    await client.update(nodesRes, n, { subresource: 'status' });
    await pool.start();
    const back = await client.get(nodesRes, undefined, 'pt-0');
    assert.equal(back.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    assert.ok((await client.get(leasesRes, 'kube-node-lease', 'pt-0')).spec.renewTime > stopped.spec.renewTime);
  });
});
