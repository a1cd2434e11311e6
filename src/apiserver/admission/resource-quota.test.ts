/**
 * Quota admission: the decision for one request (checkRequest, pure), and the hook on a real
 * registry and store: charges in status.used, one namespace at a time under concurrency,
 * dryRun, a writer it did not see, and a view of the quotas that is current for the very next
 * request even when the store's watch lags behind.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { defaultPod } from '../../api/kinds/pods.js';
import { podEvaluator, serviceEvaluator } from '../../api/quota/evaluators.js';
import { allResourceTypes } from '../../api/registry.js';
import type { Store } from '../../storage/interface.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { realClock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { APIServer } from '../server.js';
import { DelegatingStore, HeldWatchStore } from '../../../test/util/delegating-store.js';
import { NamespacedObjectCache } from './namespaced-cache.js';
import { checkRequest, resourceQuotaAdmission, type QuotaRequest } from './resource-quota.js';

type Res = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(name: string, resources: Res = {}, spec: Record<string, unknown> = {}): KubeObject {
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'nginx', resources }], ...spec },
  };
  return p;
}

const small: Res = { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } };

/** A quota as the controller leaves it: status.hard = spec.hard, status.used as given (zero otherwise). */
function quota(name: string, hard: Record<string, string>, used: Record<string, string> = {}, spec: Record<string, unknown> = {}): KubeObject {
  const zeros = Object.fromEntries(Object.keys(hard).map((k) => [k, '0']));
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, namespace: 'default', resourceVersion: '7' },
    spec: { hard, ...spec },
    status: { hard, used: { ...zeros, ...used } },
  };
}

function request(obj: KubeObject, op: 'create' | 'update' = 'create', old?: KubeObject): QuotaRequest {
  if (obj.kind === 'Pod') defaultPod(obj);
  return { op, resource: obj.kind === 'Service' ? { group: '', plural: 'services' } : { group: '', plural: 'pods' }, name: obj.metadata.name!, obj, old, now: 0 };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    return err.message;
  }
  assert.fail('not refused');
}

describe('checkRequest', () => {
  it('charges every matching quota and leaves the others as they were', () => {
    const compute = quota('compute', { pods: '4', 'requests.cpu': '2' }, { pods: '1', 'requests.cpu': '500m' });
    const objects = quota('objects', { 'count/configmaps': '3' });
    const out = checkRequest([compute, objects], request(pod('web', small)), podEvaluator);
    assert.deepEqual(out[0]!.status.used, { pods: '2', 'requests.cpu': '1' });
    assert.equal(out[1], objects);
    assert.deepEqual(compute.status.used, { pods: '1', 'requests.cpu': '500m' }, 'the input is not changed');
  });

  it('refuses what would exceed a quota, in kube-apiserver\'s words', () => {
    const compute = quota('compute', { pods: '2', 'requests.cpu': '2', 'requests.memory': '1Gi' }, { pods: '2', 'requests.cpu': '1600m', 'requests.memory': '512Mi' });
    // Only what would go over is named; requests.memory fits.
    assert.equal(
      refusal(() => checkRequest([compute], request(pod('web-3', small)), podEvaluator)),
      'pods "web-3" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=1600m, limited: pods=2,requests.cpu=2',
    );
  });

  it('refuses a pod that leaves a limited compute resource unset', () => {
    const compute = quota('compute', { 'limits.cpu': '2', 'limits.memory': '2Gi', pods: '5' });
    assert.equal(
      refusal(() => checkRequest([compute], request(pod('x', { requests: { cpu: '100m' } })), podEvaluator)),
      'pods "x" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app',
    );
  });

  it('refuses while a quota\'s usage of a limited resource is unknown', () => {
    const q = quota('q', { pods: '2', 'requests.cpu': '1' });
    delete q.status.used['requests.cpu'];
    assert.equal(refusal(() => checkRequest([q], request(pod('p', small)), podEvaluator)), 'pods "p" is forbidden: status unknown for quota: q, resources: pods,requests.cpu');
  });

  it('a quota without status limits nothing yet (the controller has not counted it)', () => {
    const fresh: KubeObject = { metadata: { name: 'new', namespace: 'default' }, spec: { hard: { pods: '0' } } };
    assert.deepEqual(checkRequest([fresh], request(pod('p')), podEvaluator), [fresh]);
  });

  it('scoped quotas only see the pods in their scopes', () => {
    const bestEffort = quota('be', { pods: '1' }, { pods: '1' }, { scopes: ['BestEffort'] });
    const notBestEffort = quota('nbe', { pods: '5', 'requests.cpu': '4' }, {}, { scopes: ['NotBestEffort'] });
    const out = checkRequest([bestEffort, notBestEffort], request(pod('burstable', small)), podEvaluator);
    assert.equal(out[0], bestEffort);
    assert.deepEqual(out[1]!.status.used, { pods: '1', 'requests.cpu': '500m' });
    assert.match(refusal(() => checkRequest([bestEffort, notBestEffort], request(pod('besteffort')), podEvaluator)), /exceeded quota: be, requested: pods=1/);
    const priority = quota('prio', { pods: '0' }, {}, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } });
    assert.deepEqual(checkRequest([priority], request(pod('low', {}, { priorityClassName: 'low' })), podEvaluator), [priority]);
    assert.match(refusal(() => checkRequest([priority], request(pod('high', {}, { priorityClassName: 'high' })), podEvaluator)), /exceeded quota: prio/);
  });

  it('a Service update is charged only what it adds', () => {
    const svc = (type: string, ports: number): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'default', resourceVersion: '3' },
      spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) },
    });
    const q = quota('svc', { services: '2', 'services.nodeports': '2' }, { services: '1' });
    const out = checkRequest([q], request(svc('NodePort', 2), 'update', svc('ClusterIP', 2)), serviceEvaluator);
    assert.deepEqual(out[0]!.status.used, { services: '1', 'services.nodeports': '2' });
    assert.match(
      refusal(() => checkRequest([q], request(svc('NodePort', 3), 'update', svc('ClusterIP', 3)), serviceEvaluator)),
      /^services "s" is forbidden: exceeded quota: svc, requested: services.nodeports=3, used: services.nodeports=0, limited: services.nodeports=2$/,
    );
  });
});

// --- the hook on a registry ------------------------------------------------------------------------

async function cluster(t: TestContext, opts: { holdWatch?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-quota-'));
  const raw = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const held = opts.holdWatch ? new HeldWatchStore(raw) : undefined;
  const quotaReads: string[] = [];
  const counted = new (class extends DelegatingStore {
    override get(key: string) {
      if (key.includes('/resourcequotas/')) quotaReads.push(key);
      return super.get(key);
    }
    override list(prefix: string, o?: Parameters<Store['list']>[1]) {
      if (prefix.includes('/resourcequotas/')) quotaReads.push(prefix);
      return super.list(prefix, o);
    }
  })(held ?? raw);
  const server = new APIServer({ store: counted, types: allResourceTypes, logger: silentLogger });
  const quotaType = server.resourceType('', 'v1', 'resourcequotas')!;
  const podsType = server.resourceType('', 'v1', 'pods')!;
  const quotas = new NamespacedObjectCache(server.registry, quotaType, (q: KubeObject) => q, silentLogger);
  await quotas.start();
  server.registry.addAdmission(resourceQuotaAdmission({ registry: server.registry, quotaType, quotas, clock: realClock }));
  t.after(async () => {
    quotas.close();
    await server.close();
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const nsType = server.resourceType('', 'v1', 'namespaces')!;
  for (const name of ['default', 'free']) await server.registry.create(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const registry = server.registry;
  /** Creates a quota and writes its status as the controller would (spec.hard, zero used). */
  const createQuota = async (name: string, hard: Record<string, string>) => {
    await registry.create(quotaType, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } });
    const zeros = Object.fromEntries(Object.keys(hard).map((k) => [k, '0']));
    return registry.update(quotaType, 'default', name, (q) => ({ ...q, status: { hard, used: zeros } }), { subresource: 'status', replaces: true });
  };
  const createPod = (p: KubeObject, ns = 'default', dryRun = false) => registry.create(podsType, ns, p, { dryRun });
  const used = async (name: string) => (await registry.get(quotaType, 'default', name)).status.used;
  return { registry, quotaType, createQuota, createPod, used, quotaReads, held, raw };
}

const forbidden = (detail: RegExp) => (err: unknown) => err instanceof ApiError && err.code === 403 && detail.test(err.message);

describe('resource quota admission', () => {
  it('charges admitted pods to status.used and refuses the one over the limit', async (t) => {
    const c = await cluster(t);
    await c.createQuota('compute', { pods: '2', 'requests.cpu': '1', 'limits.memory': '2Gi' });
    await c.createPod(pod('web-1', small));
    assert.deepEqual(await c.used('compute'), { 'limits.memory': '512Mi', pods: '1', 'requests.cpu': '500m' });
    await c.createPod(pod('web-2', small));
    await assert.rejects(
      c.createPod(pod('web-3', small)),
      forbidden(/^pods "web-3" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=1, limited: pods=2,requests.cpu=1$/),
    );
    assert.deepEqual(await c.used('compute'), { 'limits.memory': '1Gi', pods: '2', 'requests.cpu': '1' });
  });

  it('concurrent creates in one namespace never overshoot', async (t) => {
    const c = await cluster(t);
    await c.createQuota('pods', { pods: '5' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => c.createPod(pod(`p-${i}`))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    for (const r of results) if (r.status === 'rejected') assert.ok(forbidden(/exceeded quota: pods/)(r.reason), String(r.reason));
    assert.deepEqual(await c.used('pods'), { pods: '5' });
  });

  it('a dryRun create is checked but charges nothing', async (t) => {
    const c = await cluster(t);
    await c.createQuota('pods', { pods: '1' });
    await c.createPod(pod('dry'), 'default', true);
    assert.deepEqual(await c.used('pods'), { pods: '0' });
    await c.createPod(pod('real'));
    await assert.rejects(c.createPod(pod('dry-2'), 'default', true), forbidden(/exceeded quota: pods/));
  });

  it('creates in a namespace without quotas read no quota from the store', async (t) => {
    const c = await cluster(t);
    await c.createQuota('pods', { pods: '1' });
    c.quotaReads.length = 0;
    for (let i = 0; i < 20; i++) await c.createPod(pod(`free-${i}`), 'free');
    assert.deepEqual(c.quotaReads, []);
  });

  it('a quota written through this server is enforced on the very next request, before its watch event arrives', async (t) => {
    const c = await cluster(t, { holdWatch: true });
    await c.createQuota('pods', { pods: '1' });
    assert.ok(c.held!.held.length > 0, 'the watch events are still held');
    await c.createPod(pod('first'));
    await assert.rejects(c.createPod(pod('second')), forbidden(/exceeded quota: pods/));
    c.held!.release();
    await assert.rejects(c.createPod(pod('third')), forbidden(/exceeded quota: pods, requested: pods=1, used: pods=1/), 'late events change nothing');
  });

  it('a charge that loses to another writer is checked again against the newer quota', async (t) => {
    const c = await cluster(t, { holdWatch: true });
    await c.createQuota('pods', { pods: '2' });
    // Another API server (or the controller) counts a pod this one never saw: written to the
    // store directly, its watch event still held, so this server's view still says 0.
    const key = '/registry/resourcequotas/default/pods';
    const kv = (await c.raw.get(key))!;
    const stored = JSON.parse(kv.value);
    stored.status.used.pods = '2';
    await c.raw.update(key, JSON.stringify(stored), kv.modRevision);
    await assert.rejects(c.createPod(pod('late')), forbidden(/exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2/));
  });
});
