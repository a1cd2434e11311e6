import { describe, it, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allResourceTypes } from '../../api/registry.js';
import type { KubeObject } from '../../api/object.js';
import { ApiError } from '../../api/errors.js';
import { goString } from '../../api/quantity-go.js';
import { limitranges } from '../../api/kinds/limitranges.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { silentLogger } from '../../util/logger.js';
import { APIServer } from '../server.js';
import { waitFor } from '../../../test/util/wait.js';
import {
  LimitRanger,
  aggregateMessages,
  applyLimitRangeDefaults,
  limitRangeView,
  limitRangeViolations,
  limitRangerAnnotation,
  podResources,
  type LimitRangeView,
} from './limit-ranger.js';

/** A stored LimitRange as the plugin sees it (defaulted, as the registry stores it). */
function range(name: string, ...limits: Record<string, unknown>[]): LimitRangeView {
  const lr: KubeObject = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: 'default' }, spec: { limits } };
  limitranges.defaults(lr);
  return limitRangeView(lr);
}

interface ContainerSpec {
  name?: string;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  restartPolicy?: string;
}

function container(c: ContainerSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name ?? 'app', image: 'nginx' };
  if (c.requests || c.limits) out.resources = { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) };
  if (c.restartPolicy) out.restartPolicy = c.restartPolicy;
  return out;
}

function pod(containers: ContainerSpec[], initContainers: ContainerSpec[] = []): KubeObject {
  const spec: Record<string, unknown> = { containers: containers.map(container) };
  if (initContainers.length) spec.initContainers = initContainers.map(container);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
}

describe('LimitRanger defaults', () => {
  it('fills missing requests and limits of containers and init containers, and says so', () => {
    const p = pod([{ name: 'app' }, { name: 'side', requests: { cpu: '50m' }, limits: { memory: '64Mi' } }], [{ name: 'setup' }]);
    applyLimitRangeDefaults(p, [range('limits', { type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '0.1' } })]);
    const [app, side] = p.spec.containers;
    // defaultRequest memory came from the default limit (the LimitRange's own defaulting); 0.1 prints as 100m.
    assert.deepEqual(app.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    assert.deepEqual(side.resources, { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '64Mi', cpu: '500m' } });
    assert.deepEqual(p.spec.initContainers[0].resources, app.resources);
    assert.equal(
      p.metadata.annotations![limitRangerAnnotation],
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; ' +
        'memory request for container side; cpu limit for container side; ' +
        'cpu, memory request for init container setup; cpu, memory limit for init container setup',
    );
  });

  it('a pod that sets everything, Pod items and no LimitRange at all leave the pod as it was', () => {
    const full = pod([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }]);
    const before = structuredClone(full);
    applyLimitRangeDefaults(full, [range('limits', { type: 'Container', default: { cpu: '2', memory: '2Gi' } })]);
    assert.deepEqual(full, before);
    const bare = pod([{}]);
    const bareBefore = structuredClone(bare);
    applyLimitRangeDefaults(bare, [range('pods', { type: 'Pod', max: { cpu: '4' } })]);
    applyLimitRangeDefaults(bare, []);
    assert.deepEqual(bare, bareBefore);
  });

  it('an earlier LimitRange wins a resource; the annotation is the last one that set something', () => {
    const p = pod([{}]);
    applyLimitRangeDefaults(p, [
      range('a', { type: 'Container', default: { cpu: '1' } }),
      range('b', { type: 'Container', default: { cpu: '2', memory: '1Gi' } }),
    ]);
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } });
    assert.equal(p.metadata.annotations![limitRangerAnnotation], 'LimitRanger plugin set: memory request for container app; memory limit for container app');
  });
});

describe('LimitRanger constraints', () => {
  const container = range('c', {
    type: 'Container',
    min: { cpu: '100m' },
    max: { memory: '1Gi' },
    maxLimitRequestRatio: { cpu: '2' },
  });
  // Without defaults (the Container item above defaults the limit to max), to see the "none specified" cases.
  const bare: LimitRangeView = {
    name: 'bare',
    items: container.items.map((i) => ({ ...i, default: new Map(), defaultRequest: new Map() })),
  };
  const cases: [string, KubeObject, LimitRangeView, string[]][] = [
    ['within bounds', pod([{ requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '200m', memory: '1Gi' } }]), container, []],
    [
      'below min, above max, ratio too high',
      pod([{ requests: { cpu: '50m', memory: '512Mi' }, limits: { cpu: '200m', memory: '2Gi' } }]),
      container,
      [
        'minimum cpu usage per Container is 100m, but request is 50m',
        'maximum memory usage per Container is 1Gi, but limit is 2Gi',
        'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
      ],
    ],
    [
      'a limit under the min, a request over the max',
      pod([{ requests: { cpu: '100m', memory: '2Gi' }, limits: { cpu: '90m' } }]),
      container,
      [
        'minimum cpu usage per Container is 100m, but limit is 90m',
        'maximum memory usage per Container is 1Gi.  No limit is specified',
      ],
    ],
    [
      'nothing specified',
      pod([{}]),
      bare,
      [
        'minimum cpu usage per Container is 100m.  No request is specified',
        'maximum memory usage per Container is 1Gi.  No limit is specified',
        'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0',
      ],
    ],
    [
      'a request but no limit for the ratio; init containers are checked too',
      pod([{ requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } }], [{ name: 'init', requests: { cpu: '1.5' }, limits: { cpu: '1.5', memory: '1.5Gi' } }]),
      bare,
      [
        'cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0',
        'maximum memory usage per Container is 1Gi, but limit is 1536Mi',
      ],
    ],
  ];
  for (const [name, p, r, want] of cases) it(name, () => assert.deepEqual(limitRangeViolations(p, r), want));

  it('Pod items bound the summed containers, sidecars, and the largest init container', () => {
    const p = pod(
      [{ requests: { cpu: '300m', memory: '256Mi' }, limits: { memory: '512Mi' } }, { name: 'b', requests: { cpu: '0.3' }, limits: { memory: '512Mi' } }],
      [
        { name: 'sidecar', restartPolicy: 'Always', requests: { cpu: '100m' } },
        { name: 'migrate', requests: { cpu: '2', memory: '64Mi' } },
      ],
    );
    // cpu: containers 600m + sidecar 100m = 700m, but the init container with the sidecar beside it needs 2100m.
    assert.equal(goString(podResources(p, 'requests').get('cpu')!), '2100m');
    assert.equal(goString(podResources(p, 'requests').get('memory')!), '256Mi');
    assert.equal(goString(podResources(p, 'limits').get('memory')!), '1Gi');
    assert.deepEqual(
      limitRangeViolations(p, range('pod', { type: 'Pod', max: { cpu: '2', memory: '1Gi' }, min: { memory: '512Mi' } })),
      ['minimum memory usage per Pod is 512Mi, but request is 256Mi', 'maximum cpu usage per Pod is 2.  No limit is specified'],
    );
  });

  it('messages aggregate as Kubernetes does: one bare, several bracketed, repeats once', () => {
    assert.equal(aggregateMessages(['a']), 'a');
    assert.equal(aggregateMessages(['a', 'b', 'a']), '[a, b]');
    assert.equal(aggregateMessages(['a', 'a']), 'a');
  });
});

// --- through the registry -----------------------------------------------------------------------

/** An API server's registry on a fresh store with LimitRanger wired as the control plane wires it. */
async function registry(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-limitranger-'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const server = new APIServer({ store, types: allResourceTypes, logger: silentLogger });
  const type = (plural: string) => server.resourceType('', 'v1', plural)!;
  const limitRanger = new LimitRanger(server.registry, type('limitranges'), silentLogger);
  server.registry.addMutatingAdmission(limitRanger.mutate);
  server.registry.addAdmission(limitRanger.validate);
  t.after(async () => {
    limitRanger.close();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const name of ['default', 'other']) {
    await server.registry.create(type('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await limitRanger.start();
  const createLimitRange = (name: string, limits: Record<string, unknown>[], ns = 'default') =>
    server.registry.create(type('limitranges'), ns, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name }, spec: { limits } });
  const createPod = (p: KubeObject, opts = {}) => server.registry.create(type('pods'), p.metadata.namespace, p, opts);
  return { server, limitRanger, type, createLimitRange, createPod };
}

async function refused(p: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return true;
  });
}

test('a LimitRange applies to the very next pod; defaults are validated, bounds refused with 403', async (t) => {
  const { createLimitRange, createPod, server, type } = await registry(t);
  const bare = await createPod(pod([{}]));
  assert.equal(bare.spec.containers[0].resources?.limits, undefined, 'no LimitRange: untouched');
  assert.equal(bare.metadata.annotations?.[limitRangerAnnotation], undefined);
  assert.equal(bare.status.qosClass, 'BestEffort');

  await createLimitRange('limits', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1', memory: '1Gi' } }]);
  const p = pod([{}]);
  p.metadata.name = 'defaulted';
  const created = await createPod(p);
  assert.deepEqual(created.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
  assert.equal(created.metadata.annotations![limitRangerAnnotation], 'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app');
  assert.equal(created.status.qosClass, 'Burstable', 'the QoS class follows the defaulted resources');

  // A defaulted limit below an explicit request is invalid (422), as on Kubernetes.
  const big = pod([{ requests: { cpu: '800m' } }]);
  big.metadata.name = 'big';
  await refused(createPod(big), 422, 'Pod "big" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "800m": must be less than or equal to cpu limit of 500m');

  const over = pod([{ limits: { cpu: '2', memory: '2Gi' } }]);
  over.metadata.generateName = 'over-';
  delete over.metadata.name;
  await assert.rejects(createPod(over), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 403);
    assert.match(err.message, /^pods "over-[a-z0-9]{5}" is forbidden: \[maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi\]$/);
    assert.equal(err.toStatus().reason, 'Forbidden');
    assert.equal(err.toStatus().details?.kind, 'pods');
    return true;
  });

  // Dry run shows the defaults and stores nothing; other namespaces are not affected.
  const dry = pod([{ name: 'web' }]);
  dry.metadata.name = 'dry';
  const shown = await createPod(dry, { dryRun: true });
  assert.equal(shown.spec.containers[0].resources.limits.cpu, '500m');
  await assert.rejects(server.registry.get(type('pods'), 'default', 'dry'), (err: unknown) => err instanceof ApiError && err.code === 404);
  const elsewhere = pod([{}]);
  elsewhere.metadata.namespace = 'other';
  assert.equal((await createPod(elsewhere)).spec.containers[0].resources?.limits, undefined);
});

test('updating and deleting a LimitRange change the next pod at once; pod updates are not checked', async (t) => {
  const { createLimitRange, createPod, server, type, limitRanger } = await registry(t);
  await createLimitRange('limits', [{ type: 'Container', max: { cpu: '1' } }]);
  const p = pod([{}]);
  const first = await createPod(p);
  assert.deepEqual(first.spec.containers[0].resources, { limits: { cpu: '1' }, requests: { cpu: '1' } });

  await server.registry.update(type('limitranges'), 'default', 'limits', (lr) => {
    lr.spec.limits[0] = { type: 'Container', max: { cpu: '500m' } };
    return lr;
  });
  // The pod stored under the old LimitRange may still be updated: LimitRanger skips updates.
  await server.registry.update(type('pods'), 'default', 'p', (live) => {
    live.metadata.labels = { touched: 'yes' };
    return live;
  });
  const second = pod([{}]);
  second.metadata.name = 'second';
  assert.equal((await createPod(second)).spec.containers[0].resources.limits.cpu, '500m');

  await server.registry.delete(type('limitranges'), 'default', 'limits');
  assert.deepEqual(limitRanger.forNamespace('default'), []);
  const third = pod([{ limits: { cpu: '4' } }]);
  third.metadata.name = 'third';
  assert.deepEqual((await createPod(third)).spec.containers[0].resources, { limits: { cpu: '4' }, requests: { cpu: '4' } });
});

test('a LimitRanger started later lists what is there, and a Pod item refuses the summed pod', async (t) => {
  const { createLimitRange, createPod, server, type } = await registry(t);
  await createLimitRange('pod-max', [{ type: 'Pod', max: { memory: '1Gi' } }]);
  const late = new LimitRanger(server.registry, type('limitranges'), silentLogger);
  t.after(() => late.close());
  await late.start();
  assert.deepEqual(late.forNamespace('default')?.map((r) => r.name), ['pod-max']);
  const p = pod([{ limits: { memory: '768Mi' } }, { name: 'b', limits: { memory: '512Mi' } }]);
  await refused(createPod(p), 403, 'pods "p" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1280Mi');
});

test('a LimitRange written by another API server on the same store arrives through the watch', async (t) => {
  const { server, createPod, limitRanger } = await registry(t);
  const peer = new APIServer({ store: server.registry.store, types: allResourceTypes, logger: silentLogger });
  t.after(() => peer.close());
  await peer.registry.create(peer.resourceType('', 'v1', 'limitranges')!, 'default', {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'from-peer' },
    spec: { limits: [{ type: 'Container', default: { memory: '128Mi' } }] },
  });
  await waitFor(() => limitRanger.forNamespace('default')?.length === 1, { message: 'the peer\'s LimitRange' });
  assert.deepEqual((await createPod(pod([{}]))).spec.containers[0].resources, { limits: { memory: '128Mi' }, requests: { memory: '128Mi' } });
  await peer.registry.delete(peer.resourceType('', 'v1', 'limitranges')!, 'default', 'from-peer');
  await waitFor(() => limitRanger.forNamespace('default')?.length === 0, { message: 'the peer\'s delete' });
});
