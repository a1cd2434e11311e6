/**
 * The real kubectl against a real `peapod server`, on both stores: the everyday verbs a
 * Kubernetes user types, checked by what kubectl prints and what the server then holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFor, kubectlVersioned, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { startEtcd, type EtcdCluster } from '../util/etcd.js';
import { waitFor } from '../util/wait.js';

const deploymentYAML = (ns: string, image = 'nginx:1.25') => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: ${ns}
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: prod
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
`;

const podYAML = (ns: string, name: string, labels: Record<string, string> = {}) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: ${JSON.stringify(labels)}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 100m, memory: 64Mi}
`;

for (const storeKind of ['sqlite', 'etcd'] as const) {
  describe(`kubectl against peapod server (${storeKind})`, { concurrency: false }, () => {
    let etcd: EtcdCluster | undefined;
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

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'peapod-e2e-work-'));
      if (storeKind === 'etcd') etcd = await startEtcd();
      server = await startServer({ store: storeKind, etcdEndpoints: etcd?.endpoints });
      k = kubectlFor(server.kubeconfig);
    });

    after(async () => {
      await server?.stop();
      await etcd?.stop();
      k?.cleanup();
      if (server) removeDir(server.dataDir);
      removeDir(work);
    });

    it('starts with the system namespaces and answers health checks', async () => {
      const out = await k.ok(['get', 'namespaces']);
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^${ns}\\s+Active`, 'm'));
      assert.match(await k.ok(['get', '--raw', '/readyz']), /^ok/);
      const version = JSON.parse(await k.ok(['version', '-o', 'json']));
      assert.equal(version.serverVersion.minor, '32');
    });

    it('creates and client-side applies multi-document YAML, and re-applies a change', async () => {
      const ns = await newNamespace('apply-csa');
      const out = await k.ok(['apply', '-f', file('csa.yaml', deploymentYAML(ns))]);
      assert.match(out, /configmap\/web-config created/);
      assert.match(out, /deployment.apps\/web created/);
      assert.match(out, /service\/web created/);
      const again = await k.ok(['apply', '-f', file('csa2.yaml', deploymentYAML(ns, 'nginx:1.26'))]);
      assert.match(again, /deployment.apps\/web configured/);
      assert.match(again, /configmap\/web-config unchanged/);
      const dep = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json']));
      assert.equal(dep.spec.template.spec.containers[0].image, 'nginx:1.26');
      assert.equal(dep.metadata.generation, 2);
      assert.ok(dep.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      const svc = JSON.parse(await k.ok(['get', 'svc', 'web', '-n', ns, '-o', 'json']));
      assert.match(svc.spec.clusterIP, /^10\.(9[6-9]|1[01][0-9])\.\d+\.\d+$/);
      // A NodePort Service gets its node port from the range, shown in the PORT(S) column, and
      // loses it again when patched back to ClusterIP.
      await k.ok(['expose', 'deployment/web', '-n', ns, '--name', 'web-np', '--type', 'NodePort', '--port', '80']);
      const np = JSON.parse(await k.ok(['get', 'svc', 'web-np', '-n', ns, '-o', 'json']));
      const nodePort = np.spec.ports[0].nodePort;
      assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
      assert.match(await k.ok(['get', 'svc', 'web-np', '-n', ns]), new RegExp(`80:${nodePort}/TCP`));
      await k.ok(['patch', 'svc', 'web-np', '-n', ns, '-p', '{"spec":{"type":"ClusterIP"}}']);
      const back = JSON.parse(await k.ok(['get', 'svc', 'web-np', '-n', ns, '-o', 'json']));
      assert.equal(back.spec.ports[0].nodePort, undefined);
      // create of something that exists is an AlreadyExists error
      const dup = await k(['create', '-f', file('dup.yaml', deploymentYAML(ns))]);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /AlreadyExists/);
    });

    it('server-side applies, detects a conflicting manager and forces', async () => {
      const ns = await newNamespace('apply-ssa');
      const out = await k.ok(['apply', '--server-side', '-f', file('ssa.yaml', deploymentYAML(ns))]);
      assert.match(out, /deployment.apps\/web serverside-applied/);
      await k.ok(['patch', 'deployment/web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":5}}', '--field-manager=autoscaler']);
      const conflict = await k(['apply', '--server-side', '-f', file('ssa2.yaml', deploymentYAML(ns))]);
      assert.notEqual(conflict.code, 0, 'a field owned by another manager conflicts');
      assert.match(conflict.stderr, /conflict with "autoscaler"/i);
      assert.match(conflict.stderr, /\.spec\.replicas/);
      await k.ok(['apply', '--server-side', '--force-conflicts', '-f', file('ssa3.yaml', deploymentYAML(ns))]);
      const dep = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json', '--show-managed-fields']));
      assert.equal(dep.spec.replicas, 2);
      assert.ok(dep.metadata.managedFields.some((m: any) => m.manager === 'kubectl' && m.operation === 'Apply'));
    });

    it('gets with output formats, selectors, -A and --show-labels', async () => {
      const ns = await newNamespace('getting');
      await k.ok(['apply', '-f', file('p1.yaml', podYAML(ns, 'alpha', { tier: 'front', team: 'a' }))]);
      await k.ok(['apply', '-f', file('p2.yaml', podYAML(ns, 'beta', { tier: 'back', team: 'a' }))]);
      const table = await k.ok(['get', 'pods', '-n', ns]);
      assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/m);
      assert.match(table, /^alpha\s+0\/1\s+Pending\s+0\s+\S+/m);
      const wide = await k.ok(['get', 'pods', '-n', ns, '-o', 'wide']);
      assert.match(wide, /IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
      const yaml = await k.ok(['get', 'pod', 'alpha', '-n', ns, '-o', 'yaml']);
      assert.match(yaml, /name: alpha/);
      assert.match(yaml, /resourceVersion: "\d+"/);
      const jp = await k.ok(['get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']);
      assert.equal(jp, 'alpha beta');
      const cc = await k.ok(['get', 'pods', '-n', ns, '-o', 'custom-columns=N:.metadata.name,T:.metadata.labels.tier']);
      assert.match(cc, /^alpha\s+front$/m);
      const sel = await k.ok(['get', 'pods', '-n', ns, '-l', 'tier in (back),team=a', '-o', 'name']);
      assert.equal(sel.trim(), 'pod/beta');
      const notSel = await k.ok(['get', 'pods', '-n', ns, '-l', '!tier', '-o', 'name']);
      assert.equal(notSel.trim(), '');
      const fs = await k.ok(['get', 'pods', '-n', ns, '--field-selector', 'metadata.name=alpha', '-o', 'name']);
      assert.equal(fs.trim(), 'pod/alpha');
      const phase = await k.ok(['get', 'pods', '-n', ns, '--field-selector', 'status.phase!=Pending', '-o', 'name']);
      assert.equal(phase.trim(), '');
      const all = await k.ok(['get', 'pods', '-A']);
      assert.match(all, /^NAMESPACE\s+NAME\s+READY/m);
      assert.match(all, new RegExp(`^${ns}\\s+alpha`, 'm'));
      const labels = await k.ok(['get', 'pods', '-n', ns, '--show-labels']);
      assert.match(labels, /LABELS/);
      assert.match(labels, /team=a,tier=front/);
      const bad = await k(['get', 'pods', '-n', ns, '-l', 'tier in (']);
      assert.notEqual(bad.code, 0);
      const badField = await k(['get', 'pods', '-n', ns, '--field-selector', 'spec.bogus=x']);
      assert.match(badField.stderr, /field label not supported: spec.bogus/);
      const nf = await k(['get', 'pod', 'nope', '-n', ns]);
      assert.match(nf.stderr, /Error from server \(NotFound\): pods "nope" not found/);
    });

    it('watches with get -w and sees ADDED, MODIFIED and DELETED as they happen', async () => {
      const ns = await newNamespace('watching');
      const w = k.spawn(['get', 'configmaps', '-n', ns, '-w', '--output-watch-events']);
      try {
        await waitFor(() => w.output().length > 0 || true, { timeoutMs: 1000 });
        await k.ok(['create', 'configmap', 'cm1', '-n', ns, '--from-literal=a=1']);
        await waitFor(() => /ADDED\s+cm1/.test(w.output()), { timeoutMs: 15_000, message: 'ADDED cm1 in get -w' });
        await k.ok(['label', 'configmap', 'cm1', '-n', ns, 'x=y']);
        await waitFor(() => /MODIFIED\s+cm1/.test(w.output()), { timeoutMs: 15_000, message: 'MODIFIED cm1 in get -w' });
        await k.ok(['delete', 'configmap', 'cm1', '-n', ns]);
        await waitFor(() => /DELETED\s+cm1/.test(w.output()), { timeoutMs: 15_000, message: 'DELETED cm1 in get -w' });
      } finally {
        await w.stop();
      }
    });

    it('describes an object with its events', async () => {
      const ns = await newNamespace('describing');
      await k.ok(['apply', '-f', file('d1.yaml', podYAML(ns, 'gamma', { app: 'g' }))]);
      const pod = JSON.parse(await k.ok(['get', 'pod', 'gamma', '-n', ns, '-o', 'json']));
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'gamma.1', namespace: ns },
        involvedObject: { kind: 'Pod', name: 'gamma', namespace: ns, uid: pod.metadata.uid, apiVersion: 'v1' },
        reason: 'Testing',
        message: 'an event for describe',
        type: 'Normal',
        source: { component: 'e2e' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 3,
      };
      await k.ok(['create', '-f', file('ev.json', JSON.stringify(event))]);
      const out = await k.ok(['describe', 'pod', 'gamma', '-n', ns]);
      assert.match(out, /^Name:\s+gamma/m);
      assert.match(out, /^Namespace:\s+describing/m);
      assert.match(out, /Image:\s+busybox:1.36/);
      assert.match(out, /Normal\s+Testing\s+.*e2e\s+an event for describe/);
      const evs = await k.ok(['get', 'events', '-n', ns]);
      assert.match(evs, /Testing/);
    });

    it('labels, annotates and patches with every patch type', async () => {
      const ns = await newNamespace('patching');
      await k.ok(['apply', '-f', file('pp.yaml', deploymentYAML(ns))]);
      await k.ok(['label', 'deploy', 'web', '-n', ns, 'stage=test']);
      await k.ok(['annotate', 'deploy', 'web', '-n', ns, 'owner=team-a']);
      await k.ok(['patch', 'deploy', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":4}}']);
      await k.ok(['patch', 'deploy', 'web', '-n', ns, '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.27"}]']);
      await k.ok([
        'patch', 'deploy', 'web', '-n', ns, '--type=strategic',
        '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"},{"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
      ]);
      const dep = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json']));
      assert.equal(dep.metadata.labels.stage, 'test');
      assert.equal(dep.metadata.annotations.owner, 'team-a');
      assert.equal(dep.spec.replicas, 4);
      const names = dep.spec.template.spec.containers.map((c: any) => c.name).sort();
      assert.deepEqual(names, ['sidecar', 'web']);
      const web = dep.spec.template.spec.containers.find((c: any) => c.name === 'web');
      assert.equal(web.image, 'nginx:1.27');
      assert.deepEqual(web.env.map((e: any) => e.name).sort(), ['EXTRA', 'MODE']);
      const bad = await k(['patch', 'deploy', 'web', '-n', ns, '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
      assert.notEqual(bad.code, 0);
      await k.ok(['label', 'deploy', 'web', '-n', ns, 'stage-']);
      const after = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json']));
      assert.equal(after.metadata.labels.stage, undefined);
    });

    it('rejects a replace with a stale object (Conflict) and invalid objects (Invalid)', async () => {
      const ns = await newNamespace('replacing');
      await k.ok(['create', 'configmap', 'cfg', '-n', ns, '--from-literal=a=1']);
      const stale = JSON.parse(await k.ok(['get', 'cm', 'cfg', '-n', ns, '-o', 'json']));
      await k.ok(['patch', 'cm', 'cfg', '-n', ns, '--type=merge', '-p', '{"data":{"a":"2"}}']);
      stale.data.a = '3';
      const r = await k(['replace', '-f', file('stale.json', JSON.stringify(stale))]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Conflict/);
      assert.match(r.stderr, /the object has been modified/);
      delete stale.metadata.resourceVersion;
      await k.ok(['replace', '-f', file('fresh.json', JSON.stringify(stale))]);
      const bad = await k(['create', '-f', file('bad.yaml', podYAML(ns, 'Bad_Name'))]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /is invalid/);
      assert.match(bad.stderr, /metadata.name/);
      const unknown = await k(['create', '-f', file('unk.yaml', podYAML(ns, 'unk').replace('image:', 'imagee: x\n    image:'))]);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /unknown field "spec.containers\[0\].imagee"/);
    });

    it('scales deployments, replicasets and replication controllers', async () => {
      const ns = await newNamespace('scaling');
      await k.ok(['apply', '-f', file('sc.yaml', deploymentYAML(ns))]);
      await k.ok(['scale', 'deploy/web', '-n', ns, '--replicas=7']);
      assert.equal(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '7');
      const rs = `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: rs1}}
  template:
    metadata: {labels: {app: rs1}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc1, namespace: ${ns}}
spec:
  replicas: 1
  selector: {app: rc1}
  template:
    metadata: {labels: {app: rc1}}
    spec: {containers: [{name: c, image: busybox}]}
`;
      await k.ok(['apply', '-f', file('rsrc.yaml', rs)]);
      await k.ok(['scale', 'rs/rs1', '-n', ns, '--replicas=3']);
      await k.ok(['scale', 'rc/rc1', '-n', ns, '--replicas=4']);
      assert.equal(await k.ok(['get', 'rs', 'rs1', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '3');
      assert.equal(await k.ok(['get', 'rc', 'rc1', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '4');
      const stale = await k(['scale', 'rc/rc1', '-n', ns, '--replicas=2', '--resource-version=1']);
      assert.notEqual(stale.code, 0);
      // kubectl checks --resource-version itself before it sends the scale.
      assert.match(stale.stderr, /Expected resource version to be 1/);
    });

    it('deletes with each cascade policy, following ownerReferences', async () => {
      const ns = await newNamespace('deleting');
      const family = async (owner: string) => {
        await k.ok(['create', 'configmap', owner, '-n', ns, '--from-literal=a=1']);
        const uid = await k.ok(['get', 'cm', owner, '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
        for (const child of [`${owner}-c1`, `${owner}-c2`]) {
          const cm = {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: child, namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid, blockOwnerDeletion: true }] },
          };
          await k.ok(['create', '-f', file(`${child}.json`, JSON.stringify(cm))]);
        }
      };
      const names = async () => (await k.ok(['get', 'cm', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter((n) => n && n !== 'kube-root-ca.crt');

      await family('bg');
      assert.match(await k.ok(['delete', 'cm', 'bg', '-n', ns, '--cascade=background']), /configmap "bg" deleted/);
      await waitFor(async () => !(await names()).some((n) => n.startsWith('bg')), { timeoutMs: 15_000, message: 'background cascade to remove the dependents' });

      await family('orph');
      await k.ok(['delete', 'cm', 'orph', '-n', ns, '--cascade=orphan', '--timeout=30s']);
      assert.deepEqual((await names()).filter((n) => n.startsWith('orph')).sort(), ['orph-c1', 'orph-c2']);
      const orphan = JSON.parse(await k.ok(['get', 'cm', 'orph-c1', '-n', ns, '-o', 'json']));
      assert.equal(orphan.metadata.ownerReferences, undefined, 'orphaned dependents lose the reference');

      await family('fg');
      await k.ok(['delete', 'cm', 'fg', '-n', ns, '--cascade=foreground', '--timeout=30s']);
      assert.deepEqual((await names()).filter((n) => n.startsWith('fg')), [], 'foreground deletion removes dependents before the owner');

      await k.ok(['create', 'configmap', 'many1', '-n', ns, '--from-literal=a=1']);
      await k.ok(['create', 'configmap', 'many2', '-n', ns, '--from-literal=a=1']);
      await k.ok(['label', 'cm', 'many1', 'many2', '-n', ns, 'batch=x']);
      await k.ok(['delete', 'configmaps', '-n', ns, '-l', 'batch=x']);
      assert.equal((await k.ok(['get', 'cm', '-n', ns, '-l', 'batch=x', '-o', 'name'])).trim(), '');
    });

    it('runs a namespace lifecycle: content goes with its namespace', async () => {
      const ns = await newNamespace('lifecycle');
      await k.ok(['apply', '-f', file('lc.yaml', deploymentYAML(ns))]);
      await k.ok(['delete', 'namespace', ns, '--timeout=60s']);
      const gone = await k(['get', 'namespace', ns]);
      assert.match(gone.stderr, /NotFound/);
      const left = await k.ok(['get', 'deploy,svc,cm', '-n', ns, '-o', 'name']);
      assert.equal(left.trim(), '');
      const refused = await k(['create', 'configmap', 'x', '-n', 'no-such-ns']);
      assert.match(refused.stderr, /namespaces "no-such-ns" not found/);
    });

    for (const minor of [27, 33]) {
      it(`works with kubectl 1.${minor}`, async () => {
        const bin = kubectlVersioned(minor);
        const ns = `v1-${minor}`;
        await k.ok(['create', 'namespace', ns], { bin });
        await k.ok(['apply', '-f', file(`v${minor}.yaml`, deploymentYAML(ns))], { bin });
        const out = await k.ok(['get', 'deploy', '-n', ns], { bin });
        assert.match(out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/m);
        await k.ok(['scale', 'deploy/web', '-n', ns, '--replicas=3'], { bin });
        await k.ok(['delete', 'namespace', ns, '--timeout=60s'], { bin });
      });
    }

    it('keeps every object across a restart', async () => {
      const ns = await newNamespace('persist');
      await k.ok(['apply', '-f', file('ps.yaml', deploymentYAML(ns))]);
      const before = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json']));
      // The controllers keep writing the Deployment's status; the ConfigMap nobody touches.
      const cmBefore = JSON.parse(await k.ok(['get', 'cm', 'web-config', '-n', ns, '-o', 'json']));
      await server.stop();
      server = await startServer({ store: storeKind, etcdEndpoints: etcd?.endpoints, dataDir: server.dataDir });
      const k2 = kubectlFor(server.kubeconfig);
      try {
        const after = JSON.parse(await k2.ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json']));
        assert.equal(after.metadata.uid, before.metadata.uid);
        assert.deepEqual(after.spec, before.spec);
        const cmAfter = JSON.parse(await k2.ok(['get', 'cm', 'web-config', '-n', ns, '-o', 'json']));
        assert.deepEqual(cmAfter, cmBefore);
      } finally {
        k2.cleanup();
      }
      k.cleanup();
      k = kubectlFor(server.kubeconfig);
    });
  });
}
