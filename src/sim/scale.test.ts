import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/object.js';
import { resourceTypeFor } from '../api/registry.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { RestClient } from '../client/rest-client.js';
import { SharedInformerFactory } from '../client/informer.js';
import { silentLogger } from '../util/logger.js';
import { waitFor } from '../../test/util/wait.js';
import { SimNodePool } from './pool.js';

const podsRes = resourceTypeFor('', 'v1', 'pods')!;
const nodeCount = 200;
const podCount = 2_000;

describe('SimNodePool at scale', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let pool: SimNodePool;
  let informers: SharedInformerFactory;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-sim-scale-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
  });

  after(async () => {
    await pool?.stop();
    informers?.stop();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${nodeCount} nodes register and ${podCount} bound pods reach Running`, { timeout: 120_000 }, async () => {
    const t0 = performance.now();
    pool = new SimNodePool({ client, logger: silentLogger, nodes: nodeCount, prefix: 'scale' });
    await pool.start();
    const registered = performance.now() - t0;

    // Watch pods the way a user would: Running as seen through a watch.
    informers = new SharedInformerFactory(client);
    const podInformer = informers.informerFor(podsRes, { namespace: 'default' });
    const runningAt = new Map<string, number>();
    const createdAt = new Map<string, number>();
    const observe = (p: KubeObject) => {
      if (p.status?.phase === 'Running' && !runningAt.has(p.metadata.name!)) runningAt.set(p.metadata.name!, performance.now());
    };
    podInformer.addHandlers({ onAdd: observe, onUpdate: (_o, p) => observe(p) });
    await informers.start();

    const t1 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < podCount) {
          const i = next++;
          const name = `p-${i}`;
          createdAt.set(name, performance.now());
          await client.create(podsRes, 'default', {
            metadata: { name, namespace: 'default' },
            spec: { nodeName: `scale-${i % nodeCount}`, containers: [{ name: 'app', image: 'nginx' }] },
          });
        }
      }),
    );
    const created = performance.now() - t1;
    await waitFor(() => runningAt.size === podCount, { timeoutMs: 90_000, intervalMs: 50, message: `${podCount} pods Running` });
    const total = performance.now() - t1;
    const latencies = [...runningAt].map(([name, at]) => at - createdAt.get(name)!).sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(0);
    console.log(
      `# sim scale: ${nodeCount} nodes registered in ${registered.toFixed(0)} ms; ${podCount} pods created in ${created.toFixed(0)} ms, ` +
        `all Running after ${total.toFixed(0)} ms (${((podCount / total) * 1000).toFixed(0)} pods/s); ` +
        `create->Running p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (server + sim + test)`,
    );
    assert.equal(runningAt.size, podCount);
  });
});
