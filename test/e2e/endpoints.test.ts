/**
 * The Endpoints controller seen through kubectl: a Deployment exposed as a Service on a real
 * `peapod server` with two simulated nodes gets Endpoints listing its pods on the target port,
 * and `kubectl describe service` shows them.
 *
 * `kubectl describe service` reads core/v1 Endpoints up to kubectl 1.30 and
 * discovery.k8s.io/v1 EndpointSlices from 1.31, so it runs with both: kubectl 1.30 checks the
 * Endpoints path, the default kubectl (1.32) the EndpointSlice one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, kubectlVersioned, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

describe('endpoints through kubectl', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl | undefined;

  before(async () => {
    server = await startServer({ extraArgs: ['--sim-nodes', '2'] });
    k = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('exposes a Deployment: kubectl get endpoints and describe service list its three pods on the target port', async () => {
    const kubectl = k!;
    await kubectl.ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await kubectl.ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);

    const podIPs = async (): Promise<string[]> => {
      const list = JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=web', '-o', 'json']));
      return list.items
        .filter((p: any) => !p.metadata.deletionTimestamp && p.status?.podIP)
        .map((p: any) => p.status.podIP as string)
        .sort();
    };
    let listed = '';
    const entries = await waitFor(
      async () => {
        const out = await kubectl.ok(['get', 'endpoints', 'web', '--no-headers']);
        // NAME  ENDPOINTS  AGE
        listed = out.trim().split(/\s+/)[1] ?? '';
        const parts = listed.split(',');
        return parts.length === 3 && parts.every((p) => /^\d+\.\d+\.\d+\.\d+:8080$/.test(p)) ? parts : undefined;
      },
      { timeoutMs: 30_000, message: 'three IP:8080 endpoints' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; kubectl showed ${JSON.stringify(listed)}`, { cause: err });
    });
    const ips = await podIPs();
    assert.deepEqual(entries.map((e) => e.replace(/:8080$/, '')).sort(), ips, 'the endpoints are the pods');

    // The two controllers write independently: the slices may trail the Endpoints a moment.
    for (const bin of [kubectlVersioned(30), undefined]) {
      let describe = '';
      const shown = await waitFor(
        async () => {
          describe = await kubectl.ok(['describe', 'service', 'web'], bin ? { bin } : {});
          const line = describe.split('\n').find((l) => l.startsWith('Endpoints:'));
          const list = line?.replace(/^Endpoints:\s*/, '').trim().split(',').sort();
          return list && list.join() === entries.slice().sort().join() ? list : undefined;
        },
        { timeoutMs: 15_000, message: `describe (${bin ?? 'default kubectl'}) listing the three endpoints` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; kubectl showed:\n${describe}`, { cause: err });
      });
      assert.equal(shown.length, 3);
      assert.match(describe, /TargetPort:\s+8080\/TCP/);
    }
  });
});
