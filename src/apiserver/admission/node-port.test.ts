import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allResourceTypes } from '../../api/registry.js';
import type { KubeObject } from '../../api/object.js';
import { ApiError } from '../../api/errors.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { silentLogger } from '../../util/logger.js';
import { APIServer } from '../server.js';
import { nodePortAllocator } from './node-port.js';

/** A registry on a fresh store with the allocator over a small range, and namespace "default". */
async function registry(t: TestContext, range = { min: 30000, max: 32767 }) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-nodeport-'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const server = new APIServer({ store, types: allResourceTypes, logger: silentLogger });
  t.after(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const services = server.resourceType('', 'v1', 'services')!;
  server.registry.addAdmission(nodePortAllocator(server.registry, services, range));
  await server.registry.create(server.resourceType('', 'v1', 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const create = (name: string, spec: Record<string, unknown>) =>
    server.registry.create(services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec }, {});
  const replace = (name: string, edit: (svc: KubeObject) => void) =>
    server.registry.update(services, 'default', name, (live) => {
      const next = structuredClone(live);
      edit(next);
      return next;
    }, {});
  return { create, replace };
}

const nodePorts = (svc: KubeObject) => (svc.spec.ports as { nodePort?: number }[]).map((p) => p.nodePort);

async function rejects(p: Promise<unknown>, detail: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof ApiError && err.code === 422 && detail.test(err.message));
}

test('a NodePort Service gets a node port per port, in range, and never one another Service holds', async (t) => {
  const { create } = await registry(t, { min: 30000, max: 30002 });
  const a = await create('a', { type: 'NodePort', selector: { app: 'a' }, ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] });
  const b = await create('b', { type: 'NodePort', ports: [{ port: 80 }] });
  const all = [...nodePorts(a), ...nodePorts(b)];
  for (const n of all) assert.ok(n! >= 30000 && n! <= 30002, `node port ${n} in range`);
  assert.equal(new Set(all).size, 3, 'no port handed out twice');
  await rejects(create('c', { type: 'NodePort', ports: [{ port: 80 }] }), /failed to allocate a nodePort: range is full/);
  await rejects(create('d', { type: 'NodePort', ports: [{ port: 80, nodePort: nodePorts(a)[0] }] }), /spec\.ports\[0\]\.nodePort.*provided port is already allocated/);
  // ClusterIP Services and load balancers that opt out get none.
  assert.deepEqual(nodePorts(await create('e', { ports: [{ port: 80 }] })), [undefined]);
  assert.deepEqual(nodePorts(await create('f', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] })), [undefined]);
});

test('a node port stays with its Service across updates, and goes when the type needs none', async (t) => {
  const { create, replace } = await registry(t);
  const a = await create('a', { type: 'NodePort', ports: [{ port: 80 }] });
  const [held] = nodePorts(a);
  // An update that leaves the node port out (as a client rebuilding the spec does) keeps it.
  const kept = await replace('a', (svc) => {
    svc.spec.ports = [{ port: 80, protocol: 'TCP', targetPort: 8080 }];
  });
  assert.deepEqual(nodePorts(kept), [held]);
  // The Service may name the port it holds; another Service may not.
  assert.deepEqual(nodePorts(await replace('a', (svc) => (svc.metadata.labels = { x: 'y' }))), [held]);
  await rejects(create('b', { type: 'NodePort', ports: [{ port: 81, nodePort: held }] }), /already allocated/);
  // Back to ClusterIP with only the type changed: the carried-over node port is dropped, and freed.
  const plain = await replace('a', (svc) => (svc.spec.type = 'ClusterIP'));
  assert.deepEqual(nodePorts(plain), [undefined]);
  assert.equal(plain.spec.externalTrafficPolicy, undefined);
  assert.deepEqual(nodePorts(await create('b', { type: 'NodePort', ports: [{ port: 81, nodePort: held }] })), [held]);
  // A node port the client changed while dropping the type is refused, not silently dropped.
  const c = await create('c', { type: 'NodePort', ports: [{ port: 80 }] });
  await rejects(
    replace('c', (svc) => {
      svc.spec.type = 'ClusterIP';
      svc.spec.ports[0].nodePort = nodePorts(c)[0] === 32767 ? 32766 : 32767;
    }),
    /nodePort: Forbidden/,
  );
});
