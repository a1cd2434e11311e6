/**
 * A compatibility sweep of the official client libraries against a real `peapod server` with
 * simulated nodes: @kubernetes/client-node's typed APIs (every verb, patch type, subresource and
 * DeleteOptions), its Watch, informer and generic KubernetesObjectApi; python3-kubernetes'
 * typed API, watch and DynamicClient; and the protocol details they rely on (aggregated
 * discovery, OpenAPI, content types, query booleans, pretty printing), checked against what
 * kube-apiserver 1.32 answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { kubectlFor, rawRequest, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

/** Settles within `ms` or fails: a client call that must fail fast, not hang. */
async function settlesWithin<T>(ms: number, p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const withContentType = (ct: string) => k8s.setHeaderOptions('Content-Type', ct);

const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } },
  },
});

describe('client libraries: compatibility sweep', { concurrency: false }, () => {
  let server: RunningServer;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let kubectl: Kubectl;
  const tmp = mkdtempSync(join(tmpdir(), 'peapod-clients-more-'));

  before(async () => {
    server = await startServer({ extraArgs: ['--sim-nodes', '2'] });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    kubectl = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    kubectl?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
    removeDir(tmp);
  });

  it('client-node CoreV1Api: create, read, list with selectors and pages, replace, every patch type', async () => {
    const namespace = 'node-core';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm${i}`, labels: { parity: i % 2 ? 'odd' : 'even' } }, data: { i: String(i) } } });
    }
    const read = await core.readNamespacedConfigMap({ namespace, name: 'cm0' });
    assert.ok(read.metadata?.creationTimestamp instanceof Date, 'timestamps decode as dates');
    const odd = await core.listNamespacedConfigMap({ namespace, labelSelector: 'parity=odd' });
    assert.deepEqual(odd.items.map((c) => c.metadata?.name), ['cm1', 'cm3']);
    const byName = await core.listNamespacedConfigMap({ namespace, fieldSelector: 'metadata.name=cm4' });
    assert.deepEqual(byName.items.map((c) => c.metadata?.name), ['cm4']);
    // Every namespace also gets the cluster CA's kube-root-ca.crt, sorted after cm4: wait for it
    // so the pages below are the same every run.
    await waitFor(() => core.readNamespacedConfigMap({ namespace, name: 'kube-root-ca.crt' }).then(() => true, () => false), { timeoutMs: 15_000, message: 'kube-root-ca.crt' });
    const page1 = await core.listNamespacedConfigMap({ namespace, limit: 2 });
    assert.equal(page1.items.length, 2);
    assert.equal(page1.metadata?.remainingItemCount, 4);
    const page2 = await core.listNamespacedConfigMap({ namespace, limit: 2, _continue: page1.metadata?._continue });
    assert.deepEqual(page2.items.map((c) => c.metadata?.name), ['cm2', 'cm3']);

    read.data = { replaced: 'yes' };
    assert.deepEqual((await core.replaceNamespacedConfigMap({ namespace, name: 'cm0', body: read })).data, { replaced: 'yes' });
    // Without a Content-Type of its own the generated client sends a JSON patch.
    const jsonPatched = await core.patchNamespacedConfigMap({ namespace, name: 'cm0', body: [{ op: 'add', path: '/data/json', value: '1' }] });
    assert.equal(jsonPatched.data?.json, '1');
    const merged = await core.patchNamespacedConfigMap({ namespace, name: 'cm0', body: { data: { merge: '1' } } }, withContentType(k8s.PatchStrategy.MergePatch));
    assert.deepEqual(merged.data, { replaced: 'yes', json: '1', merge: '1' });

    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'nginx:1' }, { name: 'b', image: 'busybox' }] } } });
    const strategic = await core.patchNamespacedPod(
      { namespace, name: 'p', body: { spec: { containers: [{ name: 'a', image: 'nginx:2' }] } } },
      withContentType(k8s.PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(strategic.spec?.containers.map((c) => `${c.name}=${c.image}`), ['a=nginx:2', 'b=busybox'], 'containers merge by name');

    const applied = await core.patchNamespacedConfigMap(
      { namespace, name: 'applied', fieldManager: 'sweep', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } } },
      withContentType(k8s.PatchStrategy.ServerSideApply),
    );
    assert.deepEqual(applied.data, { a: '1' }, 'apply creates');
    await assert.rejects(
      core.patchNamespacedConfigMap(
        { namespace, name: 'applied', fieldManager: 'other', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '2' } } },
        withContentType(k8s.PatchStrategy.ServerSideApply),
      ),
      (err: any) => err.code === 409,
      'a second manager conflicts',
    );
    const forced = await core.patchNamespacedConfigMap(
      { namespace, name: 'applied', fieldManager: 'other', force: true, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '2' } } },
      withContentType(k8s.PatchStrategy.ServerSideApply),
    );
    assert.equal(forced.data?.a, '2');
    assert.deepEqual(forced.metadata?.managedFields?.map((m) => `${m.manager}:${m.operation}`), ['other:Apply']);
  });

  it('client-node: status and scale subresources', async () => {
    const namespace = 'node-sub';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
    await waitFor(async () => (await core.readNamespacedPodStatus({ namespace, name: 'p' })).status?.phase === 'Running', { message: 'the simulated node to run the pod' });
    // A status write races the simulated kubelet's own status updates: retry on Conflict, as a controller would.
    const retryOnConflict = <T>(fn: () => Promise<T>) =>
      waitFor(async () => {
        try {
          return { value: await fn() };
        } catch (err: any) {
          if (err.code === 409) return undefined;
          throw err;
        }
      }).then((r) => r.value);
    const replaced = await retryOnConflict(async () => {
      const pod = await core.readNamespacedPodStatus({ namespace, name: 'p' });
      pod.status!.message = 'from the sweep';
      return core.replaceNamespacedPodStatus({ namespace, name: 'p', body: pod });
    });
    assert.equal(replaced.status?.message, 'from the sweep');
    const patched = await core.patchNamespacedPodStatus({ namespace, name: 'p', body: { status: { reason: 'Swept' } } }, withContentType(k8s.PatchStrategy.MergePatch));
    assert.equal(patched.status?.reason, 'Swept');

    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 2) });
    const scale = await apps.readNamespacedDeploymentScale({ namespace, name: 'web' });
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.spec?.replicas, 2);
    assert.equal(scale.status?.selector, 'app=web');
    const replacedScale = await retryOnConflict(async () => {
      const s = await apps.readNamespacedDeploymentScale({ namespace, name: 'web' });
      s.spec = { replicas: 3 };
      return apps.replaceNamespacedDeploymentScale({ namespace, name: 'web', body: s });
    });
    assert.equal(replacedScale.spec?.replicas, 3);
    const patchedScale = await apps.patchNamespacedDeploymentScale({ namespace, name: 'web', body: { spec: { replicas: 1 } } }, withContentType(k8s.PatchStrategy.MergePatch));
    assert.equal(patchedScale.spec?.replicas, 1);
    assert.equal((await apps.readNamespacedDeployment({ namespace, name: 'web' })).spec?.replicas, 1);
    await waitFor(async () => (await apps.readNamespacedDeploymentStatus({ namespace, name: 'web' })).status?.readyReplicas === 1, {
      message: 'the deployment to settle at one ready replica',
    });
  });

  it('client-node: deletes answer as kube-apiserver does, with V1DeleteOptions and deleteCollection', async () => {
    const namespace = 'node-delete';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'gone' } } });
    // A ConfigMap that is gone is answered with a Status naming it (details.kind is the resource).
    const status = await core.deleteNamespacedConfigMap({ namespace, name: 'gone' });
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Success');
    assert.deepEqual({ ...status.details }, { name: 'gone', kind: 'configmaps', uid: cm.metadata?.uid });
    const dep = await apps.createNamespacedDeployment({ namespace, body: deployment('d') });
    const depStatus = await apps.deleteNamespacedDeployment({ namespace, name: 'd', body: { propagationPolicy: 'Background' } });
    assert.deepEqual({ ...depStatus.details }, { name: 'd', group: 'apps', kind: 'deployments', uid: dep.metadata?.uid });

    // Preconditions in the body.
    const kept = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'kept', labels: { batch: 'x' } } } });
    await assert.rejects(core.deleteNamespacedConfigMap({ namespace, name: 'kept', body: { preconditions: { uid: 'not-the-uid' } } }), (err: any) => err.code === 409);
    await assert.rejects(
      core.deleteNamespacedConfigMap({ namespace, name: 'kept', body: { preconditions: { resourceVersion: '1' } } }),
      (err: any) => err.code === 409,
    );
    // With a body the query's options are not read, as in kube-apiserver: ?dryRun=All beside a
    // body deletes for real.
    await core.deleteNamespacedConfigMap({ namespace, name: 'kept', dryRun: 'All', body: { preconditions: { uid: kept.metadata?.uid } } });
    await assert.rejects(core.readNamespacedConfigMap({ namespace, name: 'kept' }), (err: any) => err.code === 404);

    // A Foreground delete waits on its finalizer: the answer is the object, marked.
    await apps.createNamespacedDeployment({ namespace, body: deployment('fg') });
    await apps.deleteNamespacedDeployment({ namespace, name: 'fg', body: { propagationPolicy: 'Foreground' } });
    await waitFor(
      async () => {
        try {
          await apps.readNamespacedDeployment({ namespace, name: 'fg' });
          return false;
        } catch (err: any) {
          return err.code === 404;
        }
      },
      { message: 'the foreground deletion to finish' },
    );

    // Pods answer with the pod itself (ReturnDeletedObject).
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
    const pod = await core.deleteNamespacedPod({ namespace, name: 'p', body: { gracePeriodSeconds: 0 } });
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata?.name, 'p');

    for (const [name, batch] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { batch } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector: 'batch=x' });
    const left = await core.listNamespacedConfigMap({ namespace, labelSelector: 'batch' });
    assert.deepEqual(left.items.map((c) => c.metadata?.name), ['c']);
  });

  it('client-node Watch: bookmarks, and resuming from a resourceVersion', async () => {
    const namespace = 'node-watch';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const rv0 = (await core.listNamespacedConfigMap({ namespace })).metadata!.resourceVersion!;
    const a = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'a' } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'b' } } });
    const watch = new k8s.Watch(kc);
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    const collect = async (resourceVersion: string) => {
      const seen: string[] = [];
      const errors: unknown[] = [];
      const ctl = await watch.watch(
        path,
        { allowWatchBookmarks: true, resourceVersion },
        (type, obj) => {
          // The namespace's kube-root-ca.crt arrives when its controller gets to it: not counted.
          if (obj.metadata.name === 'kube-root-ca.crt') return;
          seen.push(type === 'BOOKMARK' ? `BOOKMARK ${obj.metadata.resourceVersion}` : `${type} ${obj.metadata.name}`);
        },
        (err) => {
          if (err && (err as Error).name !== 'AbortError') errors.push(err);
        },
      );
      return { seen, errors, stop: () => ctl.abort() };
    };
    const fromStart = await collect(rv0);
    const resumed = await collect(a.metadata!.resourceVersion!);
    try {
      await waitFor(() => fromStart.seen.length >= 2 && resumed.seen.length >= 1, { message: 'watch events' });
      assert.deepEqual(fromStart.seen.slice(0, 2), ['ADDED a', 'ADDED b']);
      assert.deepEqual(resumed.seen.slice(0, 1), ['ADDED b'], 'a resumed watch starts after the version it names');
      // The server sends a bookmark to an idle watch that asked for them (every 10 s).
      const bookmark = await waitFor(() => resumed.seen.find((s) => s.startsWith('BOOKMARK')), { timeoutMs: 15_000, message: 'a BOOKMARK' });
      assert.match(bookmark, /^BOOKMARK \d+$/);
      assert.deepEqual([...fromStart.errors, ...resumed.errors], []);
    } finally {
      fromStart.stop();
      resumed.stop();
    }
  });

  it('client-node makeInformer with a label selector caches only what matches', async () => {
    const namespace = 'node-informer';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'wanted-1', labels: { tier: 'web' } } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'other', labels: { tier: 'db' } } } });
    const informer = k8s.makeInformer(
      kc,
      `/api/v1/namespaces/${namespace}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace, labelSelector: 'tier=web' }),
      'tier=web',
    );
    const added: string[] = [];
    informer.on('add', (o) => added.push(o.metadata!.name!));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'wanted-2', labels: { tier: 'web' } } } });
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'other-2', labels: { tier: 'db' } } } });
      await waitFor(() => informer.get('wanted-2', namespace), { message: 'the informer to see wanted-2' });
      // Events arrive in order: had the watch not been filtered, other-2 would be cached before wanted-3.
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'wanted-3', labels: { tier: 'web' } } } });
      await waitFor(() => informer.get('wanted-3', namespace), { message: 'the informer to see wanted-3' });
      assert.deepEqual(informer.list(namespace).map((o) => o.metadata!.name).sort(), ['wanted-1', 'wanted-2', 'wanted-3']);
      assert.deepEqual(added.sort(), ['wanted-1', 'wanted-2', 'wanted-3']);
    } finally {
      await informer.stop();
    }
  });

  it('client-node KubernetesObjectApi: any kind through discovery', async () => {
    const namespace = 'node-generic';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const client = k8s.KubernetesObjectApi.makeApiClient(kc);
    const created: k8s.KubernetesObject = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace }, data: { a: '1' } });
    assert.ok(created.metadata?.uid);
    const merged = await client.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace }, data: { b: '2' } },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    assert.deepEqual((merged as k8s.V1ConfigMap).data, { a: '1', b: '2' });
    const applied: k8s.KubernetesObject = await client.patch(
      { ...deployment('generic', 2), metadata: { name: 'generic', namespace } },
      undefined,
      undefined,
      'generic-sweep',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal(applied.kind, 'Deployment');
    assert.equal((applied as k8s.V1Deployment).spec?.replicas, 2);
    const read = await client.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace } });
    assert.equal(read.metadata?.uid, applied.metadata?.uid);
    const list = await client.list('apps/v1', 'Deployment', namespace);
    assert.deepEqual(list.items.map((d) => d.metadata?.name), ['generic']);
    const node = await client.read({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim-node-0' } });
    assert.equal(node.kind, 'Node');
    const deleted = (await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace } })) as k8s.V1Status;
    assert.equal(deleted.kind, 'Status');
    assert.equal(deleted.details?.uid, created.metadata?.uid);
    await assert.rejects(client.read({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'x', namespace } }), /Unrecognized API version and kind: v1 Widget/);
  });

  it('client-node Log, Exec and Metrics fail fast with an error (no node agent, no metrics API)', async () => {
    const namespace = 'node-streams';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
    await waitFor(async () => (await core.readNamespacedPod({ namespace, name: 'p' })).spec?.nodeName, { message: 'the pod to be scheduled' });
    const log = new k8s.Log(kc);
    const logs = await settlesWithin(5_000, log.log(namespace, 'p', 'c', new PassThrough(), { follow: true }));
    assert.equal(logs.ok, false);
    assert.match(String((logs as { error: unknown }).error), /HTTP-Code: 400/);
    const missing = await settlesWithin(5_000, log.log(namespace, 'absent', 'c', new PassThrough(), {}));
    assert.match(String((missing as { error: unknown }).error), /HTTP-Code: 404/);
    const exec = await settlesWithin(5_000, new k8s.Exec(kc).exec(namespace, 'p', 'c', ['true'], null, null, null, false));
    assert.equal(exec.ok, false);
    assert.match(String((exec as { error: any }).error.message), /Unexpected server response: 400/);
    const metrics = await settlesWithin(5_000, new k8s.Metrics(kc).getPodMetrics(namespace));
    assert.match(String((metrics as { error: unknown }).error), /HTTP-Code: 404/);
  });

  it('python3-kubernetes: typed API, watch, DynamicClient and create_from_yaml', () => {
    const script = `
import json, sys, time
from kubernetes import client, config, dynamic, utils, watch
config.load_kube_config(config_file=sys.argv[1])
api = client.ApiClient()
v1 = client.CoreV1Api(api)
out = {}
ns = 'python'
v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
v1.create_namespaced_pod(ns, {'metadata': {'name': 'p', 'labels': {'app': 'p'}}, 'spec': {'containers': [{'name': 'a', 'image': 'nginx:1'}, {'name': 'b', 'image': 'busybox'}]}})
out['selected'] = [p.metadata.name for p in v1.list_namespaced_pod(ns, label_selector='app=p').items]
# A dict body is sent as a strategic merge patch, a list as a JSON patch.
pod = v1.patch_namespaced_pod('p', ns, {'spec': {'containers': [{'name': 'a', 'image': 'nginx:2'}]}})
out['strategic'] = [c.name + '=' + c.image for c in pod.spec.containers]
out['json_patch'] = v1.patch_namespaced_pod('p', ns, [{'op': 'add', 'path': '/metadata/labels/j', 'value': 'x'}]).metadata.labels
v1.create_namespaced_config_map(ns, {'metadata': {'name': 'cm'}})
deleted = v1.delete_namespaced_config_map('cm', ns)
out['delete_cm'] = [deleted.kind, deleted.status, deleted.details.kind, deleted.details.name]
out['delete_pod'] = v1.delete_namespaced_pod('p', ns, grace_period_seconds=0).kind

# The watch's query says watch=True (Python's spelling): it must be a watch that lasts timeout_seconds.
rv = v1.list_namespaced_config_map(ns).metadata.resource_version
v1.create_namespaced_config_map(ns, {'metadata': {'name': 'w1'}})
v1.create_namespaced_config_map(ns, {'metadata': {'name': 'w2'}})
started = time.time()
out['watch'] = [(e['type'], e['object'].metadata.name) for e in watch.Watch().stream(v1.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=2)]
out['watch_seconds'] = time.time() - started

dyn = dynamic.DynamicClient(api, cache_file=sys.argv[2])
deployments = dyn.resources.get(api_version='apps/v1', kind='Deployment')
dep = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'dd'}, 'spec': {'replicas': 1, 'selector': {'matchLabels': {'app': 'dd'}}, 'template': {'metadata': {'labels': {'app': 'dd'}}, 'spec': {'containers': [{'name': 'c', 'image': 'nginx'}]}}}}
uid = deployments.create(body=dep, namespace=ns).metadata.uid
out['dyn_get'] = deployments.get(name='dd', namespace=ns).metadata.uid == uid
out['dyn_merge'] = deployments.patch(name='dd', namespace=ns, body={'spec': {'replicas': 2}}, content_type='application/merge-patch+json').spec.replicas
out['dyn_strategic'] = deployments.patch(name='dd', namespace=ns, body={'spec': {'template': {'spec': {'containers': [{'name': 'c', 'image': 'nginx:9'}]}}}}, content_type='application/strategic-merge-patch+json').spec.template.spec.containers[0].image
# python-kubernetes 22 serializes only JSON content types itself: an apply body goes as a string.
out['dyn_apply'] = deployments.server_side_apply(body=json.dumps(dep), name='dd', namespace=ns, field_manager='py', force_conflicts=True).spec.replicas
out['dyn_scale'] = deployments.subresources['scale'].get(name='dd', namespace=ns).spec.replicas
gone = deployments.delete(name='dd', namespace=ns)
out['dyn_delete'] = [gone.kind, gone.details.group, gone.details.kind]
created = utils.create_from_yaml(api, sys.argv[3], namespace=ns)
out['from_yaml'] = [type(o).__name__ for group in created for o in group]
print(json.dumps(out))
`;
    const yamlFile = join(tmp, 'multi.yaml');
    writeFileSync(
      yamlFile,
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y1\ndata: {a: "1"}',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: y2\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: y2}}\n  template:\n    metadata: {labels: {app: y2}}\n    spec: {containers: [{name: c, image: nginx}]}',
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: y3\nspec:\n  ports: [{port: 80}]\n  selector: {app: y2}',
      ].join('\n---\n'),
    );
    const r = spawnSync('/usr/bin/python3', ['-c', script, server.kubeconfig, join(tmp, 'discovery-cache.json'), yamlFile], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.selected, ['p']);
    assert.deepEqual(out.strategic, ['a=nginx:2', 'b=busybox']);
    assert.deepEqual(out.json_patch, { app: 'p', j: 'x' });
    assert.deepEqual(out.delete_cm, ['Status', 'Success', 'configmaps', 'cm']);
    assert.equal(out.delete_pod, 'Pod');
    assert.deepEqual(out.watch, [
      ['ADDED', 'w1'],
      ['ADDED', 'w2'],
    ]);
    assert.ok(out.watch_seconds >= 1.5 && out.watch_seconds < 10, `the watch lasted its timeout_seconds, not ${out.watch_seconds}s`);
    assert.equal(out.dyn_get, true);
    assert.equal(out.dyn_merge, 2);
    assert.equal(out.dyn_strategic, 'nginx:9');
    assert.equal(out.dyn_apply, 1);
    assert.equal(out.dyn_scale, 1);
    assert.deepEqual(out.dyn_delete, ['Status', 'apps', 'deployments']);
    assert.deepEqual(out.from_yaml, ['V1ConfigMap', 'V1Deployment', 'V1Service']);
  });

  it('serves aggregated discovery (v2, v2beta1) when asked, and kubectl discovers through it alone', async () => {
    const v2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
    const v2beta1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
    const core = await rawRequest(server, 'GET', '/api', undefined, { Accept: `${v2},${v2beta1},application/json` });
    assert.equal(core.status, 200);
    assert.equal(core.headers['content-type'], v2);
    assert.equal(core.headers.vary, 'Accept');
    const coreDoc = JSON.parse(core.body);
    assert.equal(coreDoc.kind, 'APIGroupDiscoveryList');
    assert.equal(coreDoc.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.equal(coreDoc.items.length, 1);
    assert.equal(coreDoc.items[0].metadata.name, undefined, 'the core group is nameless');
    const [v1] = coreDoc.items[0].versions;
    assert.equal(v1.version, 'v1');
    assert.equal(v1.freshness, 'Current');
    const pods = v1.resources.find((r: any) => r.resource === 'pods');
    assert.deepEqual(pods.responseKind, { group: '', version: '', kind: 'Pod' });
    assert.equal(pods.scope, 'Namespaced');
    assert.equal(pods.singularResource, 'pod');
    assert.deepEqual(pods.shortNames, ['po']);
    const eviction = pods.subresources.find((s: any) => s.subresource === 'eviction');
    assert.deepEqual(eviction, { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
    assert.equal(v1.resources.find((r: any) => r.resource === 'nodes').scope, 'Cluster');
    // An ETag, and 304 for a client whose copy is current (client-go's discovery cache asks so).
    const etag = core.headers.etag as string;
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const again = await rawRequest(server, 'GET', '/api', undefined, { Accept: v2, 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assert.equal((await rawRequest(server, 'GET', '/api', undefined, { Accept: v2, 'If-None-Match': '"stale"' })).status, 200);

    const groups = await rawRequest(server, 'GET', '/apis', undefined, { Accept: `${v2beta1},application/json` });
    assert.equal(groups.headers['content-type'], v2beta1);
    const groupsDoc = JSON.parse(groups.body);
    assert.equal(groupsDoc.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    const appsGroup = groupsDoc.items.find((g: any) => g.metadata.name === 'apps');
    const deploymentsRes = appsGroup.versions[0].resources.find((r: any) => r.resource === 'deployments');
    assert.deepEqual(
      deploymentsRes.subresources.find((s: any) => s.subresource === 'scale').responseKind,
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    );
    assert.ok(!groupsDoc.items.some((g: any) => !g.metadata.name), '/apis holds no core group');

    // Plain JSON first (or only), or anything else: the legacy documents.
    for (const accept of ['application/json', `application/json,${v2}`, '*/*', undefined]) {
      const plain = await rawRequest(server, 'GET', '/api', undefined, accept ? { Accept: accept } : {});
      assert.equal(JSON.parse(plain.body).kind, 'APIVersions', `Accept: ${accept}`);
      assert.equal(plain.headers['content-type'], 'application/json');
    }

    // kubectl 1.32 now learns every resource from /api and /apis: no per-group-version request.
    const r = await kubectl(['get', 'deployments,pods,leases', '-A', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    const gets = [...r.stderr.matchAll(/GET https:\/\/[^/]+(\/\S*)/g)].map((m) => m[1].split('?')[0]);
    assert.deepEqual(gets.slice(0, 2), ['/api', '/apis']);
    assert.ok(!gets.some((p) => /^\/api\/v1$|^\/apis\/[^/]+\/[^/]+$/.test(p)), `no legacy discovery: ${gets.join(' ')}`);
    const resources = await kubectl.ok(['api-resources', '--no-headers']);
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });

  it('protocol details: OpenAPI, content types, query booleans, pretty printing', async () => {
    const json = await rawRequest(server, 'GET', '/openapi/v2', undefined, { Accept: 'application/json' });
    assert.equal(json.status, 200);
    assert.equal(JSON.parse(json.body).swagger, '2.0');
    const pb = await rawRequest(server, 'GET', '/openapi/v2', undefined, { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    assert.equal(pb.status, 200);
    assert.match(String(pb.headers['content-type']), /protobuf/);
    const index = JSON.parse((await rawRequest(server, 'GET', '/openapi/v3')).body);
    assert.match(index.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);

    const ns = '/api/v1/namespaces/default/configmaps';
    for (const [i, ct] of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON'].entries()) {
      const r = await rawRequest(server, 'POST', ns, JSON.stringify({ metadata: { name: `charset-${i}` } }), { 'Content-Type': ct, Accept: 'application/json, */*' });
      assert.equal(r.status, 201, `${ct}: ${r.body}`);
    }
    const patched = await rawRequest(server, 'PATCH', `${ns}/charset-0`, '{"data":{"a":"b"}}', { 'Content-Type': 'application/merge-patch+json; charset=utf-8' });
    assert.equal(patched.status, 200, patched.body);

    // Query booleans read as kube-apiserver's parameter codec reads them: "True" (Python) is true.
    const w = await rawRequest(server, 'GET', `${ns}?watch=True&timeoutSeconds=1&fieldSelector=metadata.name%3Dcharset-0`);
    assert.equal(w.status, 200);
    assert.deepEqual(w.body.trim().split('\n').map((l) => JSON.parse(l).type), ['ADDED'], 'a watch, not a list');
    const list = await rawRequest(server, 'GET', `${ns}?watch=false&fieldSelector=metadata.name%3Dcharset-0`);
    assert.equal(JSON.parse(list.body).kind, 'ConfigMapList');

    // ?pretty=true indents, as does a request from curl; a program gets compact JSON.
    const pretty = await rawRequest(server, 'GET', `${ns}/charset-0?pretty=true`);
    assert.match(pretty.body, /^\{\n {2}"/);
    assert.deepEqual(JSON.parse(pretty.body).data, { a: 'b' });
    const prettyList = await rawRequest(server, 'GET', `${ns}?pretty=1&limit=1`);
    assert.match(prettyList.body, /^\{\n {2}"kind": "ConfigMapList"/);
    const curl = await rawRequest(server, 'GET', `${ns}/absent`, undefined, { 'User-Agent': 'curl/8.5.0' });
    assert.equal(curl.status, 404);
    assert.match(curl.body, /^\{\n {2}"kind": "Status"/);
    assert.doesNotMatch((await rawRequest(server, 'GET', `${ns}/charset-0?pretty=false`, undefined, { 'User-Agent': 'curl/8.5.0' })).body, /\n/);
    assert.doesNotMatch((await rawRequest(server, 'GET', `${ns}/charset-0`)).body, /\n/);
  });
});
