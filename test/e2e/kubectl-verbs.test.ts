/**
 * The everyday kubectl verbs kubectl.test.ts does not cover, against a real `peapod server`
 * with simulated nodes: the `create` generators, `run`, `expose`, `set`, `edit`, `diff`,
 * `wait`, the `apply` subcommands and --prune, `label`/`annotate`, `rollout history`,
 * `events` and discovery. Checked by what kubectl prints, its exit code, and what the server
 * then holds, as Kubernetes v1.32 answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFor, kubectlVersioned, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

describe('kubectl verbs against peapod server', { concurrency: false }, () => {
  let server: RunningServer;
  let k: Kubectl;
  let work: string;

  const file = (name: string, text: string) => {
    const p = join(work, name);
    writeFileSync(p, text);
    return p;
  };
  const newNamespace = async (name: string) => {
    await k.ok(['create', 'namespace', name]);
    return name;
  };
  const json = async (args: string[]) => JSON.parse(await k.ok([...args, '-o', 'json']));

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'peapod-e2e-work-'));
    server = await startServer({ extraArgs: ['--sim-nodes', '3'] });
    k = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    await server?.stop();
    k?.cleanup();
    if (server) removeDir(server.dataDir);
    removeDir(work);
  });

  it('creates configmaps, secrets, deployments and services with the create generators', async () => {
    const ns = await newNamespace('creating');
    await k.ok(['create', 'configmap', 'lit', '-n', ns, '--from-literal=a=1', '--from-literal=b=2']);
    await k.ok(['create', 'configmap', 'files', '-n', ns, `--from-file=${file('greeting.txt', 'hello\n')}`, `--from-file=other=${file('x.txt', 'x')}`]);
    assert.deepEqual((await json(['get', 'cm', 'files', '-n', ns])).data, { 'greeting.txt': 'hello\n', other: 'x' });
    assert.match(await k.ok(['get', 'cm', '-n', ns]), /^lit\s+2\s+\S+$/m);

    await k.ok(['create', 'secret', 'generic', 'gen', '-n', ns, '--from-literal=user=admin']);
    const pki = join(server.dataDir, 'pki');
    await k.ok(['create', 'secret', 'tls', 'tls', '-n', ns, `--cert=${join(pki, 'apiserver.crt')}`, `--key=${join(pki, 'apiserver.key')}`]);
    await k.ok(['create', 'secret', 'docker-registry', 'reg', '-n', ns, '--docker-server=r.example', '--docker-username=u', '--docker-password=p']);
    const secrets = await k.ok(['get', 'secrets', '-n', ns]);
    assert.match(secrets, /^NAME\s+TYPE\s+DATA\s+AGE$/m);
    assert.match(secrets, /^gen\s+Opaque\s+1\s/m);
    assert.match(secrets, /^tls\s+kubernetes\.io\/tls\s+2\s/m);
    assert.match(secrets, /^reg\s+kubernetes\.io\/dockerconfigjson\s+1\s/m);
    // A secret with no data stores none, not `data: {}`.
    await k.ok(['create', 'secret', 'generic', 'empty', '-n', ns]);
    assert.equal((await json(['get', 'secret', 'empty', '-n', ns])).data, undefined);

    assert.equal(await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx:1.25', '--replicas=3']), 'deployment.apps/web created\n');
    assert.equal(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].name}']), '3 nginx');

    await k.ok(['create', 'service', 'clusterip', 'cip', '-n', ns, '--tcp=80:8080']);
    await k.ok(['create', 'service', 'nodeport', 'np', '-n', ns, '--tcp=80:8080', '--node-port=30080']);
    await k.ok(['create', 'service', 'clusterip', 'headless', '-n', ns, '--clusterip=None']);
    const svcs = await k.ok(['get', 'svc', '-n', ns]);
    assert.match(svcs, /^cip\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s/m);
    assert.match(svcs, /^np\s+NodePort\s+\S+\s+<none>\s+80:30080\/TCP\s/m);
    assert.match(svcs, /^headless\s+ClusterIP\s+None\s+<none>\s+<none>\s/m);
    const taken = await k(['create', 'service', 'nodeport', 'np2', '-n', ns, '--tcp=80', '--node-port=30080']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /Service "np2" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);

    assert.equal(await k.ok(['create', 'serviceaccount', 'robot', '-n', ns]), 'serviceaccount/robot created\n');
  });

  it('runs a pod and exposes a deployment, a pod and a replication controller', async () => {
    const ns = await newNamespace('running');
    await k.ok(['run', 'solo', '-n', ns, '--image=busybox', '--labels=app=solo,tier=x', '--env=A=1', '--env=B=2', '--port=8080']);
    const pod = await json(['get', 'pod', 'solo', '-n', ns]);
    assert.deepEqual(pod.metadata.labels, { app: 'solo', tier: 'x' });
    assert.deepEqual(pod.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    assert.deepEqual(pod.spec.containers[0].ports, [{ containerPort: 8080, protocol: 'TCP' }]);

    await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx']);
    await k.ok(['create', '-f', file('rc.yaml', `apiVersion: v1
kind: ReplicationController
metadata: {name: dns, namespace: ${ns}}
spec:
  replicas: 1
  selector: {app: dns}
  template:
    metadata: {labels: {app: dns}}
    spec: {containers: [{name: c, image: busybox, ports: [{containerPort: 53, protocol: UDP}]}]}
`)]);
    assert.equal(await k.ok(['expose', 'deployment', 'web', '-n', ns, '--port=80', '--target-port=8080']), 'service/web exposed\n');
    await k.ok(['expose', 'pod', 'solo', '-n', ns, '--port=9090', '--name=solo-svc']);
    await k.ok(['expose', 'rc', 'dns', '-n', ns]);
    const wide = await k.ok(['get', 'svc', '-n', ns, '-o', 'wide']);
    assert.match(wide, /^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\S+\s+app=web$/m);
    assert.match(wide, /^solo-svc\s+ClusterIP\s+\S+\s+<none>\s+9090\/TCP\s+\S+\s+app=solo,tier=x$/m);
    // The port and protocol come from the RC's container.
    assert.match(wide, /^dns\s+ClusterIP\s+\S+\s+<none>\s+53\/UDP\s+\S+\s+app=dns$/m);
  });

  it('lists kinds in `get all` in discovery order, sorted as kube-apiserver sorts them', async () => {
    const ns = await newNamespace('everything');
    await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx']);
    await k.ok(['expose', 'deployment', 'web', '-n', ns, '--port=80']);
    await k.ok(['create', '-f', file('rc-all.yaml', `apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: ${ns}}
spec:
  replicas: 0
  selector: {app: rc}
  template:
    metadata: {labels: {app: rc}}
    spec: {containers: [{name: c, image: busybox}]}
`)]);
    await waitFor(async () => (await k.ok(['get', 'rs', '-n', ns, '-o', 'name'])).trim() !== '', { timeoutMs: 15_000, message: 'the ReplicaSet of web' });
    const kinds = (await k.ok(['get', 'all', '-n', ns, '-o', 'name']))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('/')[0]);
    const order = kinds.filter((kind, i) => kinds.indexOf(kind) === i);
    assert.deepEqual(order.filter((kind) => kind !== 'pod'), ['replicationcontroller', 'service', 'deployment.apps', 'replicaset.apps']);
    const core = JSON.parse(await k.ok(['get', '--raw', '/api/v1'])).resources.map((r: { name: string }) => r.name);
    assert.deepEqual(core, [...core].sort(), 'core/v1 resources are listed sorted by name');
    assert.ok(core.indexOf('pods/status') > core.indexOf('pods/log'));
  });

  it('sets images, env, resources and selectors; edits; shows a rollout revision', async () => {
    const ns = await newNamespace('setting');
    await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx:1.25', '--replicas=2']);
    assert.equal(await k.ok(['set', 'image', 'deploy/web', '-n', ns, 'nginx=nginx:1.26']), 'deployment.apps/web image updated\n');
    // Setting what is already there sends no patch and prints nothing.
    assert.equal(await k.ok(['set', 'image', 'deploy/web', '-n', ns, 'nginx=nginx:1.26']), '');
    const noSuch = await k(['set', 'image', 'deploy/web', '-n', ns, 'web=nginx']);
    assert.equal(noSuch.code, 1);
    assert.match(noSuch.stderr, /error: unable to find container named "web"/);
    assert.equal(await k.ok(['set', 'env', 'deploy/web', '-n', ns, 'MODE=prod']), 'deployment.apps/web env updated\n');
    assert.equal(await k.ok(['set', 'env', 'deploy/web', '-n', ns, '--list']), '# Deployment web, container nginx\nMODE=prod\n');
    await k.ok(['set', 'resources', 'deploy/web', '-n', ns, '--limits=cpu=200m,memory=512Mi', '--requests=cpu=100m']);
    assert.deepEqual((await json(['get', 'deploy', 'web', '-n', ns])).spec.template.spec.containers[0].resources, {
      limits: { cpu: '200m', memory: '512Mi' },
      requests: { cpu: '100m' },
    });
    await k.ok(['expose', 'deploy/web', '-n', ns, '--port=80']);
    assert.equal(await k.ok(['set', 'selector', 'svc', 'web', '-n', ns, 'app=other']), 'service/web selector updated\n');
    assert.deepEqual((await json(['get', 'svc', 'web', '-n', ns])).spec.selector, { app: 'other' });

    const edited = await k(['edit', 'deploy', 'web', '-n', ns], { env: { KUBE_EDITOR: 'sed -i s/replicas:\\ 2$/replicas:\\ 4/' } });
    assert.equal(edited.code, 0, edited.stderr);
    assert.equal(edited.stdout, 'deployment.apps/web edited\n');
    assert.equal(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '4');
    const rejected = await k(['edit', 'deploy', 'web', '-n', ns], { env: { KUBE_EDITOR: 'sed -i s/replicas:\\ 4$/replicas:\\ -1/' } });
    assert.equal(rejected.code, 1);
    assert.match(rejected.stderr, /deployments\.apps "web" is invalid/);
    assert.match(rejected.stderr, /Edit cancelled, no valid changes were saved/);

    // Revisions: 1 nginx:1.25, 2 nginx:1.26, 3 with MODE, 4 with resources.
    await waitFor(async () => /^4\s/m.test(await k.ok(['rollout', 'history', 'deploy/web', '-n', ns])), { timeoutMs: 15_000, message: 'revision 4' });
    const rev2 = await k.ok(['rollout', 'history', 'deploy/web', '-n', ns, '--revision=2']);
    assert.match(rev2, /^deployment\.apps\/web with revision #2$/m);
    assert.match(rev2, /Image:\s+nginx:1\.26/);
    assert.doesNotMatch(rev2, /MODE/);
    const missing = await k(['rollout', 'history', 'deploy/web', '-n', ns, '--revision=9']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: unable to find the specified revision/);
  });

  it('diffs an unchanged object as no difference, and a changed one as a diff', async () => {
    const ns = await newNamespace('diffing');
    // Created without annotations: kubectl diff sends `annotations: {}`, which Kubernetes does not keep.
    await k.ok(['create', 'configmap', 'cfg', '-n', ns, '--from-literal=a=1']);
    const live = file('cfg.yaml', await k.ok(['get', 'cm', 'cfg', '-n', ns, '-o', 'yaml']));
    const same = await k(['diff', '-f', live]);
    assert.equal(same.stdout, '');
    assert.equal(same.code, 0, 'no differences');
    const changed = await k(['diff', '-f', file('cfg2.yaml', `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: ${ns}}
data: {a: "2"}
`)]);
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^-  a: "1"$/m);
    assert.match(changed.stdout, /^\+  a: "2"$/m);
    assert.doesNotMatch(changed.stdout, /annotations/);
    // Nothing was written.
    assert.equal(await k.ok(['get', 'cm', 'cfg', '-n', ns, '-o', 'jsonpath={.data.a}']), '1');
    const created = await k(['diff', '-f', file('new.yaml', `apiVersion: v1
kind: ConfigMap
metadata: {name: fresh, namespace: ${ns}}
data: {x: "1"}
`)]);
    assert.equal(created.code, 1);
    assert.match(created.stdout, /^\+  name: fresh$/m);
    assert.match((await k(['get', 'cm', 'fresh', '-n', ns])).stderr, /NotFound/);
  });

  it('labels and annotates with --overwrite and --list; removing the last one leaves no empty map', async () => {
    const ns = await newNamespace('labeling');
    await k.ok(['create', 'configmap', 'cfg', '-n', ns]);
    assert.equal(await k.ok(['label', 'cm', 'cfg', '-n', ns, 'env=a']), 'configmap/cfg labeled\n');
    const clash = await k(['label', 'cm', 'cfg', '-n', ns, 'env=b']);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /error: 'env' already has a value \(a\), and --overwrite is false/);
    await k.ok(['label', 'cm', 'cfg', '-n', ns, 'env=b', '--overwrite']);
    assert.equal(await k.ok(['label', 'cm', 'cfg', '-n', ns, 'env=b', '--overwrite']), 'configmap/cfg not labeled\n');
    assert.equal(await k.ok(['label', 'cm', 'cfg', '-n', ns, '--list']), 'env=b\n');
    await k.ok(['annotate', 'cm', 'cfg', '-n', ns, 'note=x']);
    const aclash = await k(['annotate', 'cm', 'cfg', '-n', ns, 'note=y']);
    assert.equal(aclash.code, 1);
    assert.match(aclash.stderr, /--overwrite is false but found the following declared annotation\(s\): 'note' already has a value \(x\)/);
    await k.ok(['annotate', 'cm', 'cfg', '-n', ns, 'note=y', '--overwrite']);
    assert.equal(await k.ok(['annotate', 'cm', 'cfg', '-n', ns, '--list']), 'note=y\n');
    const badKey = await k(['label', 'cm', 'cfg', '-n', ns, 'bad key=x']);
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /The ConfigMap "cfg" is invalid: metadata\.labels: Invalid value: "bad key"/);

    assert.equal(await k.ok(['label', 'cm', 'cfg', '-n', ns, 'env-']), 'configmap/cfg unlabeled\n');
    await k.ok(['annotate', 'cm', 'cfg', '-n', ns, 'note-']);
    const meta = (await json(['get', 'cm', 'cfg', '-n', ns])).metadata;
    assert.equal(meta.labels, undefined, 'no labels: {} left behind');
    assert.equal(meta.annotations, undefined, 'no annotations: {} left behind');
    assert.doesNotMatch(await k.ok(['get', 'cm', 'cfg', '-n', ns, '-o', 'yaml']), /\{\}/);
  });

  it('waits for conditions, jsonpath values and deletion', async () => {
    const ns = await newNamespace('waiting');
    await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx', '--replicas=2']);
    assert.equal(await k.ok(['wait', '--for=condition=Available', 'deploy/web', '-n', ns, '--timeout=30s']), 'deployment.apps/web condition met\n');
    await k.ok(['wait', '--for=jsonpath={.status.readyReplicas}=2', 'deploy/web', '-n', ns, '--timeout=30s']);
    const running = await k.ok(['wait', '--for=jsonpath={.status.phase}=Running', 'pod', '-l', 'app=web', '-n', ns, '--timeout=30s']);
    assert.equal(running.trim().split('\n').filter((l) => / condition met$/.test(l)).length, 2);
    const missing = await k(['wait', '--for=condition=Available', 'deploy/web', 'deploy/nope', '-n', ns, '--timeout=3s']);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /deployment\.apps\/web condition met/);
    assert.match(missing.stderr, /Error from server \(NotFound\): deployments\.apps "nope" not found/);
    const timeout = await k(['wait', '--for=condition=Available=false', 'deploy/web', '-n', ns, '--timeout=1s']);
    assert.equal(timeout.code, 1);
    assert.match(timeout.stderr, /error: timed out waiting for the condition on deployments\/web/);

    await k.ok(['create', 'configmap', 'doomed', '-n', ns]);
    const waiter = k(['wait', '--for=delete', 'cm/doomed', '-n', ns, '--timeout=30s']);
    // The waiter's watch may start before or after the delete; either way it must report it.
    await k.ok(['delete', 'cm', 'doomed', '-n', ns, '--wait=false']);
    const done = await waiter;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(await k.ok(['wait', '--for=delete', 'cm/doomed', '-n', ns, '--timeout=3s']), '');
  });

  it('views, sets and edits last-applied, and prunes with an allowlist', async () => {
    const ns = await newNamespace('applying');
    const pair = (value: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: one, namespace: ${ns}, labels: {set: s}}
data: {k: ${value}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: two, namespace: ${ns}, labels: {set: s}}
data: {k: v}
`;
    await k.ok(['apply', '-f', file('pair.yaml', pair('v'))]);
    const viewed = await k.ok(['apply', 'view-last-applied', 'cm/one', '-n', ns]);
    assert.match(viewed, /^data:\n  k: v$/m);
    assert.equal(JSON.parse(await k.ok(['apply', 'view-last-applied', 'cm/one', '-n', ns, '-o', 'json'])).metadata.name, 'one');
    // An object never applied has no annotation; kubectl prints nothing and succeeds.
    await k.ok(['create', 'configmap', 'plain', '-n', ns]);
    assert.equal(await k.ok(['apply', 'view-last-applied', 'cm/plain', '-n', ns]), '');

    const setOut = await k.ok(['apply', 'set-last-applied', '-f', file('pair-w.yaml', pair('w'))]);
    assert.match(setOut, /configmap\/one configured/);
    assert.match(await k.ok(['apply', 'view-last-applied', 'cm/one', '-n', ns]), /^  k: w$/m);
    assert.equal(await k.ok(['get', 'cm', 'one', '-n', ns, '-o', 'jsonpath={.data.k}']), 'v', 'set-last-applied leaves the object alone');
    const edited = await k(['apply', 'edit-last-applied', 'cm/one', '-n', ns], { env: { KUBE_EDITOR: 'sed -i s/k:\\ w/k:\\ z/' } });
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(await k.ok(['apply', 'view-last-applied', 'cm/one', '-n', ns]), /^  k: z$/m);

    const onlyOne = file('one.yaml', pair('v').split('---')[0]);
    // Without an allowlist kubectl wants every kind of its default prune list, PVCs among them.
    // It applies first and fails when it looks for what to prune.
    const noList = await k(['apply', '-f', onlyOne, '--prune', '-l', 'set=s']);
    assert.equal(noList.code, 1);
    assert.equal(noList.stdout, 'configmap/one configured\n');
    assert.match(noList.stderr, /no matches for kind "PersistentVolumeClaim" in version "v1"/);
    const dry = await k.ok(['apply', '-f', onlyOne, '--prune', '-l', 'set=s', '--prune-allowlist=core/v1/ConfigMap', '--dry-run=server']);
    assert.match(dry, /configmap\/two pruned \(server dry run\)/);
    const pruned = await k.ok(['apply', '-f', onlyOne, '--prune', '-l', 'set=s', '--prune-allowlist=core/v1/ConfigMap']);
    assert.match(pruned, /configmap\/one unchanged/);
    assert.match(pruned, /configmap\/two pruned/);
    assert.equal((await k.ok(['get', 'cm', '-n', ns, '-l', 'set=s', '-o', 'name'])).trim(), 'configmap/one');
    assert.equal((await k.ok(['get', 'cm', 'plain', '-n', ns, '-o', 'name'])).trim(), 'configmap/plain', 'unlabelled objects are not pruned');
  });

  it('deletes by force, by label and everything in a namespace', async () => {
    const ns = await newNamespace('removing');
    await k.ok(['run', 'p1', '-n', ns, '--image=busybox', '--labels=batch=a']);
    await k.ok(['run', 'p2', '-n', ns, '--image=busybox', '--labels=batch=a']);
    await k.ok(['run', 'p3', '-n', ns, '--image=busybox', '--labels=batch=b']);
    await k.ok(['create', 'configmap', 'c1', '-n', ns]);
    await k.ok(['create', 'configmap', 'c2', '-n', ns]);
    await k.ok(['wait', '--for=jsonpath={.status.phase}=Running', 'pod/p3', '-n', ns, '--timeout=30s']);
    const forced = await k(['delete', 'pod', 'p3', '-n', ns, '--grace-period=0', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, 'pod "p3" force deleted\n');
    assert.match(forced.stderr, /Warning: Immediate deletion does not wait for confirmation/);
    assert.match((await k(['get', 'pod', 'p3', '-n', ns])).stderr, /pods "p3" not found/);
    const byLabel = await k.ok(['delete', 'pod', '-l', 'batch=a', '-n', ns]);
    assert.match(byLabel, /pod "p1" deleted/);
    assert.match(byLabel, /pod "p2" deleted/);
    const none = await k(['delete', 'pod', '-l', 'batch=zzz', '-n', ns]);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, 'No resources found\n');
    // --all takes the namespace's kube-root-ca.crt too (its controller puts it back), as on Kubernetes.
    await waitFor(async () => (await k(['get', 'cm', 'kube-root-ca.crt', '-n', ns])).code === 0, { timeoutMs: 15_000, message: 'kube-root-ca.crt' });
    assert.equal(await k.ok(['delete', 'cm', '--all', '-n', ns]), 'configmap "c1" deleted\nconfigmap "c2" deleted\nconfigmap "kube-root-ca.crt" deleted\n');
    const left = (await k.ok(['get', 'cm', '-n', ns, '-o', 'name'])).split('\n').filter((n) => n && n !== 'configmap/kube-root-ca.crt');
    assert.deepEqual(left, []);
    await waitFor(async () => (await k(['get', 'cm', 'kube-root-ca.crt', '-n', ns])).code === 0, { timeoutMs: 15_000, message: 'kube-root-ca.crt made again' });
  });

  it('prints events with `kubectl events` and sorted `get events`, and the discovery verbs', async () => {
    const ns = await newNamespace('eventful');
    await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx']);
    await waitFor(async () => /Scheduled/.test(await k.ok(['events', '-n', ns])), { timeoutMs: 15_000, message: 'a Scheduled event' });
    const events = await k.ok(['events', '-n', ns]);
    assert.match(events, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    assert.match(events, /Normal\s+ScalingReplicaSet\s+Deployment\/web\s+Scaled up replica set web-\w+ from 0 to 1/);
    const forDeploy = await k.ok(['events', '-n', ns, '--for', 'deploy/web']);
    assert.doesNotMatch(forDeploy, /Pod\//);
    const warnings = await k(['events', '-n', ns, '--types=Warning']);
    assert.equal(warnings.code, 0);
    assert.match(warnings.stderr, /No events found in eventful namespace\./);
    const sorted = await k.ok(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp']);
    assert.match(sorted, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    assert.match(sorted, /deployment\/web/);

    const wide = await k.ok(['api-resources', '-o', 'wide']);
    assert.match(wide, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND\s+VERBS\s+CATEGORIES$/m);
    assert.match(wide, /^pods\s+po\s+v1\s+true\s+Pod\s+create,delete,deletecollection,get,list,patch,update,watch\s+all$/m);
    assert.match(wide, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s/m);
    assert.match(wide, /^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget\s+create,delete,deletecollection,get,list,patch,update,watch\s*$/m);
    const cluster = await k.ok(['api-resources', '--namespaced=false', '-o', 'name']);
    assert.deepEqual(cluster.trim().split('\n'), [
      'namespaces',
      'nodes',
      'selfsubjectreviews.authentication.k8s.io',
      'tokenreviews.authentication.k8s.io',
      'selfsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectrulesreviews.authorization.k8s.io',
      'subjectaccessreviews.authorization.k8s.io',
      'clusterrolebindings.rbac.authorization.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
    ]);
    assert.deepEqual((await k.ok(['api-versions'])).trim().split('\n'), [
      'apps/v1',
      'authentication.k8s.io/v1',
      'authorization.k8s.io/v1',
      'coordination.k8s.io/v1',
      'discovery.k8s.io/v1',
      'policy/v1',
      'rbac.authorization.k8s.io/v1',
      'v1',
    ]);
    const explained = await k.ok(['explain', 'deployment.spec', '--recursive']);
    assert.match(explained, /^FIELD: spec <DeploymentSpec>$/m);
    assert.match(explained, /^  template\t<PodTemplateSpec> -required-$/m);
    const bogus = await k(['explain', 'deployment.spec.bogus']);
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /error: field "bogus" does not exist/);
  });

  for (const minor of [27, 33]) {
    it(`diffs, waits and lists all the same with kubectl 1.${minor}`, async () => {
      const bin = kubectlVersioned(minor);
      const ns = `verbs-1-${minor}`;
      await k.ok(['create', 'namespace', ns], { bin });
      await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx'], { bin });
      await k.ok(['expose', 'deployment', 'web', '-n', ns, '--port=80'], { bin });
      await k.ok(['wait', '--for=condition=Available', 'deploy/web', '-n', ns, '--timeout=30s'], { bin });
      await k.ok(['set', 'image', 'deploy/web', '-n', ns, 'nginx=nginx:2'], { bin });
      await k.ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=30s'], { bin });
      assert.match(await k.ok(['rollout', 'history', 'deploy/web', '-n', ns, '--revision=2'], { bin }), /Image:\s+nginx:2/);
      await k.ok(['create', 'configmap', 'cfg', '-n', ns, '--from-literal=a=1'], { bin });
      const live = file(`live-${minor}.yaml`, await k.ok(['get', 'cm', 'cfg', '-n', ns, '-o', 'yaml'], { bin }));
      const same = await k(['diff', '-f', live], { bin });
      assert.equal(same.code, 0, same.stdout + same.stderr);
      const names = (await k.ok(['get', 'all', '-n', ns, '-o', 'name'], { bin })).split('\n').filter(Boolean);
      assert.ok(names.indexOf('service/web') < names.indexOf('deployment.apps/web'), names.join(' '));
      await k.ok(['delete', 'namespace', ns, '--timeout=60s'], { bin });
    });
  }
});
