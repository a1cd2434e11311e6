/**
 * The EndpointSlice controller seen through kubectl: a Deployment exposed as a Service on a
 * real `peapod server` with two simulated nodes gets EndpointSlices listing its pods on the
 * target port; `kubectl describe service` (which reads slices from kubectl 1.31) lists them;
 * deleting the Service deletes its slices (the garbage collector follows their owner).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

describe('endpointslices through kubectl', { concurrency: false }, () => {
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

  it('exposes a Deployment: get endpointslices and describe service show its three pods on port 8080; the slices go with the Service', async () => {
    const kubectl = k!;
    assert.match(await kubectl.ok(['api-resources', '--api-group=discovery.k8s.io', '--no-headers']), /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
    await kubectl.ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await kubectl.ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);

    const podIPs = async (): Promise<string[]> => {
      const list = JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=web', '-o', 'json']));
      return list.items
        .filter((p: any) => !p.metadata.deletionTimestamp && p.status?.podIP)
        .map((p: any) => p.status.podIP as string)
        .sort();
    };

    // NAME  ADDRESSTYPE  PORTS  ENDPOINTS  AGE
    let table = '';
    const row = await waitFor(
      async () => {
        table = await kubectl.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
        const lines = table.trim().split('\n');
        if (lines.length !== 2) return undefined;
        const [name, addressType, ports, endpoints] = lines[1]!.trim().split(/\s+/);
        const ips = (endpoints ?? '').split(',');
        return ips.length === 3 && ips.every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)) ? { header: lines[0]!, name: name!, addressType, ports, ips } : undefined;
      },
      { timeoutMs: 30_000, message: 'one slice with three IPs' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; kubectl showed:\n${table}`, { cause: err });
    });
    assert.match(row.header, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
    assert.match(row.name, /^web-[a-z0-9]{5}$/);
    assert.equal(row.addressType, 'IPv4');
    assert.equal(row.ports, '8080');
    assert.deepEqual(row.ips.slice().sort(), await podIPs(), 'the endpoints are the pods');

    // The default kubectl (1.32) reads EndpointSlices for the Endpoints line; wait until all are ready.
    let describe = '';
    const line = await waitFor(
      async () => {
        describe = await kubectl.ok(['describe', 'service', 'web']);
        const l = describe.split('\n').find((x) => x.startsWith('Endpoints:'));
        return l && l.replace(/^Endpoints:\s*/, '').trim().split(',').length === 3 ? l : undefined;
      },
      { timeoutMs: 30_000, message: 'three ready endpoints in describe' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; kubectl describe showed:\n${describe}`, { cause: err });
    });
    assert.deepEqual(line.replace(/^Endpoints:\s*/, '').trim().split(',').sort(), row.ips.map((ip) => `${ip}:8080`).sort());

    const slice = JSON.parse(await kubectl.ok(['get', 'endpointslice', row.name, '-o', 'json']));
    assert.deepEqual(slice.metadata.labels, { app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.equal(slice.metadata.ownerReferences[0].kind, 'Service');

    await kubectl.ok(['delete', 'service', 'web']);
    await waitFor(async () => (await kubectl.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'name'])).trim() === '', {
      timeoutMs: 30_000,
      message: 'the slices deleted with their Service',
    });
  });

  it('refuses an invalid slice with a 422 naming each field', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'bad' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['not-an-ip'] }],
      ports: [{ port: 80, protocol: 'HTTP' }],
    });
    const r = await k!(['create', '-f', '-'], { input: manifest });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The EndpointSlice "bad" is invalid/);
    assert.match(r.stderr, /endpoints\[0\]\.addresses\[0\]: Invalid value: "not-an-ip": must be a valid IPv4 address/);
    assert.match(r.stderr, /ports\[0\]\.protocol: Unsupported value: "HTTP"/);
  });
});
