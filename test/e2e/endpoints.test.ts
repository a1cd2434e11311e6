/**
 * The three endpoint controllers seen through kubectl, on one real `peapod server` with two
 * simulated nodes:
 * - Endpoints: a Deployment exposed as a Service gets Endpoints listing its pods on the target
 *   port, and `kubectl describe service` shows them. describe reads core/v1 Endpoints up to
 *   kubectl 1.30 and discovery.k8s.io/v1 EndpointSlices from 1.31, so it runs with both.
 * - EndpointSlices: the same exposure gets slices, which get and describe show; deleting the
 *   Service deletes its slices (the garbage collector follows their owner); an invalid slice is
 *   a 422 naming each field.
 * - Mirroring: a Service without a selector and an Endpoints kept by hand get a mirrored
 *   EndpointSlice (managed by endpointslicemirroring-controller.k8s.io), deleted with the
 *   Endpoints.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, kubectlVersioned, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

const manifest = `
apiVersion: v1
kind: Service
metadata:
  name: external-db
spec:
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Endpoints
metadata:
  name: external-db
  labels:
    tier: db
subsets:
- addresses:
  - ip: 10.1.2.3
  - ip: 10.1.2.4
  ports:
  - port: 8080
`;

/** The IPs of the app=web pods that have one and are not going away, sorted. */
async function podIPs(kubectl: Kubectl, namespace = 'default'): Promise<string[]> {
  const list = JSON.parse(await kubectl.ok(['get', 'pods', '-n', namespace, '-l', 'app=web', '-o', 'json']));
  return list.items
    .filter((p: any) => !p.metadata.deletionTimestamp && p.status?.podIP)
    .map((p: any) => p.status.podIP as string)
    .sort();
}

describe('endpoints, endpoint slices and mirroring through kubectl', { concurrency: false }, () => {
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
    const ips = await podIPs(kubectl);
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

  it('exposes a Deployment: get endpointslices and describe service show its three pods on port 8080; the slices go with the Service', async () => {
    const kubectl = k!;
    assert.match(await kubectl.ok(['api-resources', '--api-group=discovery.k8s.io', '--no-headers']), /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
    await kubectl.ok(['create', 'namespace', 'slices']);
    await kubectl.ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3', '-n', 'slices']);
    await kubectl.ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '-n', 'slices']);


    // NAME  ADDRESSTYPE  PORTS  ENDPOINTS  AGE
    let table = '';
    const row = await waitFor(
      async () => {
        table = await kubectl.ok(['get', 'endpointslices', '-n', 'slices', '-l', 'kubernetes.io/service-name=web']);
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
    assert.deepEqual(row.ips.slice().sort(), await podIPs(kubectl, 'slices'), 'the endpoints are the pods');

    // The default kubectl (1.32) reads EndpointSlices for the Endpoints line; wait until all are ready.
    let describe = '';
    const line = await waitFor(
      async () => {
        describe = await kubectl.ok(['describe', 'service', 'web', '-n', 'slices']);
        const l = describe.split('\n').find((x) => x.startsWith('Endpoints:'));
        return l && l.replace(/^Endpoints:\s*/, '').trim().split(',').length === 3 ? l : undefined;
      },
      { timeoutMs: 30_000, message: 'three ready endpoints in describe' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; kubectl describe showed:\n${describe}`, { cause: err });
    });
    assert.deepEqual(line.replace(/^Endpoints:\s*/, '').trim().split(',').sort(), row.ips.map((ip) => `${ip}:8080`).sort());

    const slice = JSON.parse(await kubectl.ok(['get', 'endpointslice', row.name, '-n', 'slices', '-o', 'json']));
    assert.deepEqual(slice.metadata.labels, { app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.equal(slice.metadata.ownerReferences[0].kind, 'Service');

    await kubectl.ok(['delete', 'service', 'web', '-n', 'slices']);
    await waitFor(async () => (await kubectl.ok(['get', 'endpointslices', '-n', 'slices', '-l', 'kubernetes.io/service-name=web', '-o', 'name'])).trim() === '', {
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

  it('mirrors a hand-made Endpoints into a slice that get and describe show, and deletes it with the Endpoints', async () => {
    const kubectl = k!;
    await kubectl.ok(['apply', '-f', '-'], { input: manifest });

    // NAME  ADDRESSTYPE  PORTS  ENDPOINTS  AGE
    let table = '';
    const row = await waitFor(
      async () => {
        table = await kubectl.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=external-db']);
        const lines = table.trim().split('\n');
        if (lines.length !== 2) return undefined;
        const [name, addressType, ports, endpoints] = lines[1]!.trim().split(/\s+/);
        return endpoints === '10.1.2.3,10.1.2.4' ? { name: name!, addressType, ports } : undefined;
      },
      { timeoutMs: 30_000, message: 'one mirrored slice with both addresses' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; kubectl showed:\n${table}\nserver log tail:\n${server!.logs().slice(-3000)}`, { cause: err });
    });
    assert.match(row.name, /^external-db-[a-z0-9]{5}$/);
    assert.equal(row.addressType, 'IPv4');
    assert.equal(row.ports, '8080');

    const slice = JSON.parse(await kubectl.ok(['get', 'endpointslice', row.name, '-o', 'json']));
    assert.deepEqual(slice.metadata.labels, {
      tier: 'db',
      'kubernetes.io/service-name': 'external-db',
      'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
    });
    assert.equal(slice.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined, 'kubectl apply\'s annotation is not copied');
    const endpoints = JSON.parse(await kubectl.ok(['get', 'endpoints', 'external-db', '-o', 'json']));
    assert.deepEqual(slice.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Endpoints', name: 'external-db', uid: endpoints.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    // The default kubectl (1.32) builds the Endpoints line from the slices.
    const describe = await kubectl.ok(['describe', 'service', 'external-db']);
    const line = describe.split('\n').find((l) => l.startsWith('Endpoints:'));
    assert.ok(line, `an Endpoints line in:\n${describe}`);
    assert.deepEqual(line.replace(/^Endpoints:\s*/, '').trim().split(',').sort(), ['10.1.2.3:8080', '10.1.2.4:8080']);

    await kubectl.ok(['delete', 'endpoints', 'external-db']);
    await waitFor(async () => (await kubectl.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=external-db', '-o', 'name'])).trim() === '', {
      timeoutMs: 30_000,
      message: 'the mirrored slice deleted with its Endpoints',
    });
    await kubectl.ok(['delete', 'service', 'external-db']);
  });
});
