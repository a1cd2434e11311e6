import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/object.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { EventRecorder, eventsResource } from '../client/events.js';
import { SharedInformerFactory } from '../client/informer.js';
import type { ResourceRef } from '../client/interfaces.js';
import { RestClient } from '../client/rest-client.js';
import { silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import { Scheduler } from './scheduler.js';
import { makeNode, makePod, type NodeSpec, type PodSpec } from './testutil.js';

const pods: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const nodes: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
const namespaces: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
const configmaps: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

describe('Scheduler against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let factory: SharedInformerFactory;
  let recorder: EventRecorder;
  let scheduler: Scheduler;
  let nsCounter = 0;
  let ns = '';
  const createdNodes: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-scheduler-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    factory = new SharedInformerFactory(client, { logger: silentLogger });
    recorder = new EventRecorder({ client, component: 'default-scheduler', logger: silentLogger });
    scheduler = new Scheduler({
      client,
      informers: factory,
      recorder,
      logger: silentLogger,
      // Short back-off keeps retry tests fast; the behaviour is the same as with 1 s / 10 s.
      podInitialBackoffMs: 50,
      podMaxBackoffMs: 200,
    });
    await factory.start();
    await scheduler.start();
  });

  after(async () => {
    await scheduler?.stop();
    await recorder?.close();
    factory?.stop();
    client?.close();
    await cp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh namespace per test; the nodes it makes are deleted after it. */
  async function newNamespace(): Promise<string> {
    ns = `sched-${++nsCounter}`;
    await client.create(namespaces, undefined, { metadata: { name: ns } });
    return ns;
  }

  afterEach(async () => {
    for (const p of (await client.list(pods, ns)).items) {
      await client.delete(pods, ns, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
    }
    for (const n of createdNodes.splice(0)) await client.delete(nodes, undefined, n).catch(() => {});
    const nodeLister = factory.informerFor(nodes).lister;
    await waitFor(() => nodeLister.list().length === 0, { message: 'the scheduler to see the nodes gone' });
  });

  async function createNodes(specs: Record<string, NodeSpec>): Promise<void> {
    for (const [name, s] of Object.entries(specs)) {
      await client.create(nodes, undefined, makeNode(name, s));
      createdNodes.push(name);
    }
    const nodeLister = factory.informerFor(nodes).lister;
    await waitFor(() => nodeLister.list().length === createdNodes.length, { message: 'the scheduler to see the nodes' });
  }

  async function createPod(name: string, s: PodSpec = {}): Promise<KubeObject> {
    return client.create(pods, ns, makePod(name, { ...s, namespace: ns }));
  }

  async function boundNode(name: string): Promise<string> {
    return waitFor(async () => (await client.get(pods, ns, name)).spec?.nodeName as string | undefined, {
      message: `pod ${name} to be bound`,
    });
  }

  async function eventsFor(name: string, reason: string): Promise<KubeObject[]> {
    const items = (await client.list(eventsResource, ns, { fieldSelector: `involvedObject.name=${name}` })).items;
    return items.filter((e) => e.reason === reason);
  }

  it('spreads the pods of one owner over the nodes and records Scheduled', async () => {
    await newNamespace();
    await createNodes({ 'spread-1': {}, 'spread-2': {}, 'spread-3': {} });
    const owner = await client.create<KubeObject>(configmaps, ns, { metadata: { name: 'owner' } });
    const ref = { kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! };
    for (const i of [1, 2, 3]) await createPod(`web-${i}`, { owner: ref, cpu: '100m', memory: '64Mi' });
    const placed = await Promise.all([1, 2, 3].map((i) => boundNode(`web-${i}`)));
    assert.deepEqual([...placed].sort(), ['spread-1', 'spread-2', 'spread-3']);

    const scheduled = await waitFor(async () => (await eventsFor('web-1', 'Scheduled'))[0]);
    assert.equal(scheduled.type, 'Normal');
    assert.equal(scheduled.message, `Successfully assigned ${ns}/web-1 to ${placed[0]}`);
    assert.equal(scheduled.source?.component, 'default-scheduler');
    const pod = await client.get(pods, ns, 'web-1');
    assert.equal(pod.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled')?.status, 'True');
  });

  it('leaves a pod bigger than every node Pending, then places it on a node big enough', async () => {
    await newNamespace();
    await createNodes({ 'small-1': { memory: '8Gi' }, 'small-2': { memory: '8Gi' }, 'small-3': { memory: '8Gi' } });
    await createPod('huge', { memory: '64Gi' });
    const want =
      '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const failed = await waitFor(async () => (await eventsFor('huge', 'FailedScheduling'))[0], { message: 'FailedScheduling' });
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.message, want);
    const cond = await waitFor(async () => {
      const p = await client.get(pods, ns, 'huge');
      return p.status?.conditions?.find((c: { type: string }) => c.type === 'PodScheduled');
    });
    assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'Unschedulable', want]);
    assert.equal((await client.get(pods, ns, 'huge')).spec.nodeName, undefined);

    // The new node is a cluster event: the pod is retried without waiting for the periodic flush.
    await createNodes({ big: { memory: '128Gi' } });
    assert.equal(await boundNode('huge'), 'big');
  });

  it('keeps pods off tainted and not-ready nodes unless they tolerate the taint', async () => {
    await newNamespace();
    await createNodes({
      dedicated: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      'not-ready': { ready: 'False' },
    });
    await createPod('plain');
    const failed = await waitFor(async () => (await eventsFor('plain', 'FailedScheduling'))[0]);
    assert.equal(
      failed.message,
      '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    await createPod('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    assert.equal(await boundNode('tolerant'), 'dedicated');
  });

  it('honours nodeSelector and required node affinity', async () => {
    await newNamespace();
    await createNodes({ ssd: { labels: { disk: 'ssd' } }, hdd: { labels: { disk: 'hdd' } } });
    await createPod('sel-1', { nodeSelector: { disk: 'ssd' } });
    await createPod('sel-2', { nodeSelector: { disk: 'ssd' } });
    await createPod('aff', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }],
          },
        },
      },
    });
    await createPod('nowhere', { nodeSelector: { disk: 'nvme' } });
    assert.equal(await boundNode('sel-1'), 'ssd');
    assert.equal(await boundNode('sel-2'), 'ssd');
    assert.equal(await boundNode('aff'), 'hdd');
    const failed = await waitFor(async () => (await eventsFor('nowhere', 'FailedScheduling'))[0]);
    assert.match(failed.message, /^0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\. /);
  });

  it('gives each host port to one pod per node and retries when a holder goes away', async () => {
    await newNamespace();
    await createNodes({ 'ports-1': {}, 'ports-2': {} });
    await createPod('hp-1', { hostPorts: [{ hostPort: 8080 }] });
    await createPod('hp-2', { hostPorts: [{ hostPort: 8080 }] });
    const [n1, n2] = [await boundNode('hp-1'), await boundNode('hp-2')];
    assert.notEqual(n1, n2);
    await createPod('hp-3', { hostPorts: [{ hostPort: 8080 }] });
    const failed = await waitFor(async () => (await eventsFor('hp-3', 'FailedScheduling'))[0]);
    assert.equal(
      failed.message,
      "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
    );
    await client.delete(pods, ns, 'hp-1', { gracePeriodSeconds: 0 });
    assert.equal(await boundNode('hp-3'), n1);
  });

  it('skips cordoned nodes and leaves pods of other schedulers and pre-bound pods alone', async () => {
    await newNamespace();
    await createNodes({ cordoned: { unschedulable: true }, open: {} });
    for (const i of [1, 2, 3]) await createPod(`c-${i}`);
    for (const i of [1, 2, 3]) assert.equal(await boundNode(`c-${i}`), 'open');
    await createPod('other', { schedulerName: 'my-scheduler' });
    await createPod('manual', { nodeName: 'cordoned' });
    await createPod('marker');
    await boundNode('marker');
    // The marker went through the queue after the others were seen; they must be untouched.
    assert.equal((await client.get(pods, ns, 'other')).spec.nodeName, undefined);
    assert.equal((await client.get(pods, ns, 'manual')).spec.nodeName, 'cordoned');
    assert.deepEqual(await eventsFor('other', 'FailedScheduling'), []);
    assert.deepEqual(await eventsFor('manual', 'Scheduled'), []);
  });
});
