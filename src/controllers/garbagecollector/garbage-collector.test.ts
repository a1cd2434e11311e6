import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/object.js';
import { pods } from '../../api/kinds/pods.js';
import { replicasets } from '../../api/kinds/replicasets.js';
import { startControlPlane, type ControlPlane } from '../../controlplane/controlplane.js';
import { SharedInformerFactory } from '../../client/informer.js';
import type { KubeClient, ResourceRef } from '../../client/interfaces.js';
import { RestClient } from '../../client/rest-client.js';
import { silentLogger } from '../../util/logger.js';
import { waitFor } from '../../../test/util/wait.js';
import { GarbageCollector } from './garbage-collector.js';

const namespaces: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };

/** The client, recording every GET as "plural/name". */
function countingGets(client: KubeClient, gets: string[]): KubeClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return (res: ResourceRef, ns: string | undefined, name: string) => {
          gets.push(`${res.plural}/${name}`);
          return target.get(res, ns, name);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function pod(name: string, owner?: { name: string; uid: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.name, uid: owner.uid, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
}

describe('GarbageCollector against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  let factory: SharedInformerFactory;
  let gc: GarbageCollector;
  const gets: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-gc-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    await client.create(namespaces, undefined, { metadata: { name: 'gc' } });
    const counted = countingGets(client, gets);
    factory = new SharedInformerFactory(counted, { logger: silentLogger });
    gc = new GarbageCollector({ client: counted, informers: factory, logger: silentLogger });
    await factory.start();
    await gc.start();
  });

  after(async () => {
    await gc?.stop();
    factory?.stop();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads nothing for dependents whose owner it knows; deletes those whose owner is gone', async () => {
    const rs = await client.create<KubeObject>(replicasets, 'gc', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'owner' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const podInformer = factory.informerFor(pods);
    const rsInformer = factory.informerFor(replicasets);
    await waitFor(() => rsInformer.lister.get('gc/owner'), { message: 'owner in the graph' });
    const owner = { name: 'owner', uid: rs.metadata.uid! };
    for (let i = 0; i < 5; i++) await client.create(pods, 'gc', pod(`kept-${i}`, owner));
    await waitFor(() => podInformer.lister.list('gc').length === 5, { message: 'dependents seen' });

    // A dependent of an owner that never existed is checked with live reads and deleted.
    await client.create(pods, 'gc', pod('orphan', { name: 'never', uid: 'no-such-uid' }));
    await waitFor(async () => !(await client.list(pods, 'gc')).items.some((p) => p.metadata.name === 'orphan'), { message: 'orphan deleted' });
    assert.deepEqual(gets.filter((g) => g.startsWith('pods/')), ['pods/orphan']);
    assert.equal((await client.list(pods, 'gc')).items.length, 5);

    // Deleting the owner (background) takes its dependents with it.
    await client.delete(replicasets, 'gc', 'owner', { propagationPolicy: 'Background' });
    await waitFor(async () => (await client.list(pods, 'gc')).items.length === 0, { message: 'dependents deleted' });
  });
});
