/**
 * The resource quota controller against recording fakes: informers whose caches the test
 * fills, a client that records status writes (and feeds them back to the quota cache, as the
 * watch would), and a fake clock for the periodic recount.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { defaultPod } from '../../api/kinds/pods.js';
import type { KubeClient, ResourceRef } from '../../client/interfaces.js';
import { objectKey } from '../../client/interfaces.js';
import { FakeClock } from '../../util/fake-clock.js';
import { silentLogger } from '../../util/logger.js';
import { FakeInformerFactory } from '../../../test/util/fake-informers.js';
import { waitFor } from '../../../test/util/wait.js';
import { ResourceQuotaController } from './resourcequota-controller.js';

function setup(opts: { resyncPeriodMs?: number } = {}) {
  const clock = new FakeClock();
  const factory = new FakeInformerFactory();
  const writes: { key: string; status: Record<string, any> }[] = [];
  let rv = 100;
  const quotas = factory.get('resourcequotas');
  const client = {
    async update(_res: ResourceRef, obj: KubeObject, o: { subresource?: string }) {
      assert.equal(o.subresource, 'status');
      writes.push({ key: objectKey(obj), status: obj.status });
      const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      quotas.update(stored);
      return stored;
    },
  } as unknown as KubeClient;
  const controller = new ResourceQuotaController({ client, informers: factory, clock, logger: silentLogger, resyncPeriodMs: opts.resyncPeriodMs });
  return { clock, factory, writes, controller, quotas, pods: factory.get('pods') };
}

function quota(name: string, hard: Record<string, string>, spec: Record<string, unknown> = {}, ns = 'ns'): KubeObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: ns, resourceVersion: '1' }, spec: { hard, ...spec } };
}

function pod(name: string, cpu?: string, phase = 'Running', ns = 'ns'): KubeObject {
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, resourceVersion: '1' },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: cpu ? { requests: { cpu }, limits: { cpu } } : {} }] },
    status: { phase },
  };
  defaultPod(p);
  return p;
}

describe('ResourceQuotaController', () => {
  const running: ResourceQuotaController[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
  });

  it('copies spec.hard to status.hard and counts the namespace\'s objects', async () => {
    const { controller, quotas, pods, factory, writes } = setup();
    pods.add(pod('a', '500m'));
    pods.add(pod('b', '250m'));
    pods.add(pod('done', '4', 'Succeeded'));
    pods.add(pod('elsewhere', '4', 'Running', 'other'));
    factory.get('configmaps').add({ metadata: { name: 'c', namespace: 'ns' } });
    quotas.add(quota('q', { pods: '10', 'requests.cpu': '2', 'limits.cpu': '4', 'count/pods': '20', 'count/configmaps': '5', 'requests.storage': '1Ti' }));
    await controller.syncQuota('ns/q');
    assert.equal(writes.length, 1);
    assert.deepEqual(writes[0]!.status, {
      hard: { 'count/configmaps': '5', 'count/pods': '20', 'limits.cpu': '4', pods: '10', 'requests.cpu': '2', 'requests.storage': '1Ti' },
      used: { 'count/configmaps': '1', 'count/pods': '3', 'limits.cpu': '750m', pods: '2', 'requests.cpu': '750m', 'requests.storage': '0' },
    });
    // Nothing changed: no second write.
    await controller.syncQuota('ns/q');
    assert.equal(writes.length, 1);
  });

  it('scopes decide which pods a quota counts', async () => {
    const { controller, quotas, pods, writes } = setup();
    pods.add(pod('burstable', '1'));
    pods.add(pod('besteffort-1'));
    pods.add(pod('besteffort-2'));
    quotas.add(quota('be', { pods: '5' }, { scopes: ['BestEffort'] }));
    quotas.add(quota('nbe', { pods: '5', 'requests.cpu': '4' }, { scopes: ['NotBestEffort'] }));
    await controller.syncQuota('ns/be');
    await controller.syncQuota('ns/nbe');
    assert.deepEqual(writes.map((w) => [w.key, w.status.used]), [
      ['ns/be', { pods: '2' }],
      ['ns/nbe', { pods: '1', 'requests.cpu': '1' }],
    ]);
  });

  it('a deleted pod or one that turns terminal frees its quota at once; a spec change recounts', async () => {
    const { controller, quotas, pods, writes } = setup();
    running.push(controller);
    pods.add(pod('a', '1'));
    pods.add(pod('b', '1'));
    quotas.add(quota('q', { pods: '5', 'requests.cpu': '4' }));
    await controller.start();
    const lastUsed = () => writes.at(-1)?.status.used;
    await waitFor(() => lastUsed()?.pods === '2', { message: 'first count' });
    pods.remove('ns/a');
    await waitFor(() => lastUsed()?.pods === '1', { message: 'recount after a delete' });
    const finished = pod('b', '1', 'Failed');
    pods.update(finished);
    await waitFor(() => lastUsed()?.pods === '0', { message: 'recount after the pod failed' });
    quotas.update({ ...quotas.items.get('ns/q')!, spec: { hard: { pods: '5', 'requests.cpu': '4', 'count/pods': '9' } } });
    await waitFor(() => writes.at(-1)?.status.hard['count/pods'] === '9', { message: 'recount after spec change' });
    assert.equal(lastUsed()?.['count/pods'], '1');
  });

  it('a pod created between recounts waits for the periodic full recount', async () => {
    const { controller, quotas, pods, writes, clock } = setup({ resyncPeriodMs: 60_000 });
    running.push(controller);
    quotas.add(quota('q', { pods: '5' }));
    await controller.start();
    await waitFor(() => writes.length === 1, { message: 'first count' });
    pods.add(pod('new'));
    clock.step(59_000);
    assert.equal(writes.length, 1, 'an add alone is admission\'s to charge');
    clock.step(1_000);
    await waitFor(() => writes.at(-1)?.status.used.pods === '1', { message: 'resync recount' });
  });

  it('usage of something nothing counts stays as it was; usage outside spec.hard goes', async () => {
    const { controller, quotas, writes } = setup();
    const q = quota('q', { pods: '5', 'count/widgets.example.com': '3' });
    q.status = { hard: { pods: '5' }, used: { pods: '9', 'count/widgets.example.com': '2', 'limits.cpu': '1' } };
    quotas.add(q);
    await controller.syncQuota('ns/q');
    assert.deepEqual(writes[0]!.status.used, { 'count/widgets.example.com': '2', pods: '0' });
  });
});
