/**
 * The EndpointSlice mirroring controller seen through kubectl: a Service without a selector and
 * an Endpoints object kept by hand, applied to a real `peapod server`, get a mirrored
 * EndpointSlice (managed by endpointslicemirroring-controller.k8s.io); `kubectl describe
 * service` (which reads slices from kubectl 1.31) lists both addresses; deleting the
 * Endpoints deletes the slice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
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

describe('endpointslice mirroring through kubectl', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl | undefined;

  before(async () => {
    server = await startServer();
    k = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
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
