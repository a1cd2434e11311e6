/**
 * A quick in-process measure of scheduling throughput: N fake nodes and M pending pods posted
 * to a fresh control plane, then a Scheduler started and timed until every pod is bound.
 * `node dist/src/scheduler/throughput.js [nodes] [pods]` prints pods/s; the benchmark suite
 * (bench/) can call measureSchedulingThroughput too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startControlPlane } from '../controlplane/controlplane.js';
import { EventRecorder } from '../client/events.js';
import { SharedInformerFactory } from '../client/informer.js';
import type { ResourceRef } from '../client/interfaces.js';
import { RestClient } from '../client/rest-client.js';
import { silentLogger } from '../util/logger.js';
import { Scheduler } from './scheduler.js';
import { makeNode, makePod } from './testutil.js';

const pods: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const nodes: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };

export interface ThroughputResult {
  nodes: number;
  pods: number;
  seconds: number;
  podsPerSecond: number;
}

async function inBatches<T>(items: T[], width: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

export async function measureSchedulingThroughput(numNodes: number, numPods: number): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-sched-bench-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
  const client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
  const factory = new SharedInformerFactory(client, { logger: silentLogger });
  const recorder = new EventRecorder({ client, component: 'default-scheduler', logger: silentLogger });
  const scheduler = new Scheduler({ client, informers: factory, recorder, logger: silentLogger });
  try {
    const names = Array.from({ length: numNodes }, (_, i) => `node-${i}`);
    await inBatches(names, 50, (n) => client.create(nodes, undefined, makeNode(n, { cpu: '32', memory: '256Gi', pods: '110' })));
    const podNames = Array.from({ length: numPods }, (_, i) => `pod-${i}`);
    const owner = { kind: 'ReplicaSet', name: 'bench', uid: 'bench-rs' };
    await inBatches(podNames, 50, (n) => client.create(pods, 'default', makePod(n, { cpu: '100m', memory: '128Mi', owner })));
    const podInformer = factory.informerFor(pods);
    await factory.start();
    const t0 = performance.now();
    await scheduler.start();
    const deadline = Date.now() + 120_000;
    while (scheduler.scheduledCount() < numPods) {
      if (Date.now() > deadline) throw new Error(`only ${scheduler.scheduledCount()} of ${numPods} pods bound in 120 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    const bound = podInformer.lister.list().filter((p) => p.spec?.nodeName).length;
    if (bound > numPods) throw new Error(`more pods bound (${bound}) than created`);
    return { nodes: numNodes, pods: numPods, seconds, podsPerSecond: numPods / seconds };
  } finally {
    await scheduler.stop();
    await recorder.close();
    factory.stop();
    client.close();
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [n = '200', p = '2000'] = process.argv.slice(2);
  const r = await measureSchedulingThroughput(Number(n), Number(p));
  console.log(`${r.pods} pods on ${r.nodes} nodes: ${r.seconds.toFixed(2)} s, ${Math.round(r.podsPerSecond)} pods/s`);
}
