/**
 * Scheduler and controllers, driven by the real kubectl against a real `peapod server` with
 * simulated nodes run by separate `peapod sim` processes: replicas, rollouts, garbage
 * collection, scheduling failures and node failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFor, removeDir, startPeapod, startServer, type Kubectl, type RunningProcess, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

const deployment = (ns: string, name: string, image: string, replicas: number, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: ${image}
        resources: {requests: {cpu: 100m, memory: 64Mi}}
${extra}`;

interface PodView {
  name: string;
  node?: string;
  phase?: string;
  ready: boolean;
  deleting: boolean;
}

describe('workloads on simulated nodes', { concurrency: false }, () => {
  let server: RunningServer;
  let simA: RunningProcess;
  let simB: RunningProcess | undefined;
  let k: Kubectl;
  let work: string;

  const file = (name: string, text: string) => {
    const p = join(work, name);
    writeFileSync(p, text);
    return p;
  };
  const pods = async (ns: string, selector?: string): Promise<PodView[]> => {
    const args = ['get', 'pods', '-n', ns, '-o', 'json'];
    if (selector) args.push('-l', selector);
    const list = JSON.parse(await k.ok(args));
    return list.items.map((p: any) => ({
      name: p.metadata.name,
      node: p.spec.nodeName,
      phase: p.status?.phase,
      ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
      deleting: !!p.metadata.deletionTimestamp,
    }));
  };
  const runningReady = async (ns: string, selector: string, n: number, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const ps = (await pods(ns, selector)).filter((p) => !p.deleting);
        return ps.length === n && ps.every((p) => p.phase === 'Running' && p.ready) ? ps : undefined;
      },
      { timeoutMs, message: `${n} running, ready pods with ${selector} in ${ns}` },
    );

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'peapod-e2e-work-'));
    server = await startServer({
      extraArgs: ['--node-monitor-grace-period', '3s', '--node-monitor-period', '500ms', '--default-unreachable-toleration-seconds', '2', '--default-not-ready-toleration-seconds', '2'],
    });
    k = kubectlFor(server.kubeconfig);
    simA = await startPeapod(['sim', '--kubeconfig', server.kubeconfig, '--nodes', '2', '--prefix', 'node-a', '--memory', '8Gi', '--heartbeat-interval', '500ms'], { ready: /peapod sim running/ });
    simB = await startPeapod(['sim', '--kubeconfig', server.kubeconfig, '--nodes', '1', '--prefix', 'node-b', '--memory', '8Gi', '--heartbeat-interval', '500ms'], { ready: /peapod sim running/ });
    await waitFor(async () => (await k.ok(['get', 'nodes', '--no-headers'])).split('\n').filter((l) => /\sReady\s/.test(l)).length === 3, {
      timeoutMs: 30_000,
      message: '3 Ready nodes',
    });
  });

  after(async () => {
    await simB?.stop();
    await simA?.stop();
    await server?.stop();
    k?.cleanup();
    if (server) removeDir(server.dataDir);
    removeDir(work);
  });

  it('spreads a 3-replica Deployment over 3 nodes and scales it 3 -> 10 -> 0', async () => {
    await k.ok(['create', 'namespace', 'spread']);
    await k.ok(['apply', '-f', file('spread.yaml', deployment('spread', 'web', 'nginx:1.25', 3))]);
    const ps = await runningReady('spread', 'app=web', 3);
    assert.equal(new Set(ps.map((p) => p.node)).size, 3, `pods on ${ps.map((p) => p.node).join(',')}`);
    const status = await k.ok(['rollout', 'status', 'deployment/web', '-n', 'spread', '--timeout=30s']);
    assert.match(status, /successfully rolled out/);
    const get = await k.ok(['get', 'deploy', 'web', '-n', 'spread']);
    assert.match(get, /^web\s+3\/3\s+3\s+3\s+/m);

    await k.ok(['scale', 'deploy/web', '-n', 'spread', '--replicas=10']);
    await runningReady('spread', 'app=web', 10);
    await k.ok(['scale', 'deploy/web', '-n', 'spread', '--replicas=0']);
    await waitFor(async () => (await pods('spread', 'app=web')).length === 0, { timeoutMs: 30_000, message: 'all pods gone at 0 replicas' });
    const events = await k.ok(['get', 'events', '-n', 'spread']);
    assert.match(events, /Scheduled/);
    assert.match(events, /ScalingReplicaSet/);
    assert.match(events, /SuccessfulCreate/);
    // Each component and controller signs its events, as `kubectl describe` shows them (From).
    const list = JSON.parse(await k.ok(['get', 'events', '-n', 'spread', '-o', 'json'])) as { items: { reason: string; source: { component: string } }[] };
    const sources = new Map(list.items.map((e) => [e.reason, e.source.component]));
    assert.equal(sources.get('Scheduled'), 'default-scheduler');
    assert.equal(sources.get('ScalingReplicaSet'), 'deployment-controller');
    assert.equal(sources.get('SuccessfulCreate'), 'replicaset-controller');
  });

  it('rolls an image change with maxSurge=1, maxUnavailable=0, never below 3 available, and undoes it', async () => {
    await k.ok(['create', 'namespace', 'roll']);
    await k.ok(['apply', '-f', file('roll1.yaml', deployment('roll', 'app', 'registry.local/app:1', 3))]);
    await runningReady('roll', 'app=app', 3);
    await k.ok(['rollout', 'status', 'deployment/app', '-n', 'roll', '--timeout=30s']);

    // Watch the Deployment for the whole rollout: availableReplicas must never drop below 3.
    const watch = k.spawn(['get', 'deploy', 'app', '-n', 'roll', '-w', '-o', 'jsonpath={.status.availableReplicas}{" "}{.status.updatedReplicas}{"\\n"}']);
    try {
      await k.ok(['set', 'image', 'deployment/app', '-n', 'roll', 'main=registry.local/app:2']);
      await k.ok(['rollout', 'status', 'deployment/app', '-n', 'roll', '--timeout=60s']);
      await waitFor(() => /^3 3$/m.test(watch.output()), { timeoutMs: 10_000, message: 'the watch to see the finished rollout' });
    } finally {
      await watch.stop();
    }
    const lines = watch.output().split('\n').map((l) => l.trim()).filter((l) => /^\d+/.test(l));
    assert.ok(lines.length >= 2, `watch saw the rollout: ${watch.output()}`);
    for (const l of lines) assert.ok(Number(l.split(' ')[0]) >= 3, `available dropped below 3: ${lines.join(' | ')}`);
    const image = () => k.ok(['get', 'deploy', 'app', '-n', 'roll', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(await image(), 'registry.local/app:2');

    const history = await k.ok(['rollout', 'history', 'deployment/app', '-n', 'roll']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    await k.ok(['rollout', 'undo', 'deployment/app', '-n', 'roll']);
    await k.ok(['rollout', 'status', 'deployment/app', '-n', 'roll', '--timeout=60s']);
    assert.equal(await image(), 'registry.local/app:1');
    await runningReady('roll', 'app=app', 3);
    const rs = JSON.parse(await k.ok(['get', 'rs', '-n', 'roll', '-o', 'json'])).items;
    assert.equal(rs.length, 2, 'undo reuses the first ReplicaSet');

    await k.ok(['rollout', 'pause', 'deployment/app', '-n', 'roll']);
    await k.ok(['set', 'image', 'deployment/app', '-n', 'roll', 'main=registry.local/app:3']);
    const paused = JSON.parse(await k.ok(['get', 'rs', '-n', 'roll', '-o', 'json'])).items;
    assert.equal(paused.length, 2, 'a paused deployment does not roll');
    await k.ok(['rollout', 'resume', 'deployment/app', '-n', 'roll']);
    await k.ok(['rollout', 'status', 'deployment/app', '-n', 'roll', '--timeout=60s']);
    await k.ok(['rollout', 'restart', 'deployment/app', '-n', 'roll']);
    await k.ok(['rollout', 'status', 'deployment/app', '-n', 'roll', '--timeout=60s']);
    await runningReady('roll', 'app=app', 3);
  });

  it('ReplicationController and ReplicaSet replace a pod deleted by hand', async () => {
    await k.ok(['create', 'namespace', 'replace']);
    const manifests = `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1, namespace: replace}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs1}}
  template:
    metadata: {labels: {app: rs1}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc1, namespace: replace}
spec:
  replicas: 2
  selector: {app: rc1}
  template:
    metadata: {labels: {app: rc1}}
    spec: {containers: [{name: c, image: busybox}]}
`;
    await k.ok(['apply', '-f', file('replace.yaml', manifests)]);
    for (const app of ['rs1', 'rc1']) {
      const before = await runningReady('replace', `app=${app}`, 2);
      await k.ok(['delete', 'pod', before[0].name, '-n', 'replace', '--wait=true', '--timeout=30s']);
      const afterPods = await runningReady('replace', `app=${app}`, 2);
      assert.ok(!afterPods.some((p) => p.name === before[0].name), `${app} made a new pod`);
    }
    const rc = await k.ok(['get', 'rc', 'rc1', '-n', 'replace']);
    assert.match(rc, /^rc1\s+2\s+2\s+2\s+/m);
  });

  it('deletes a Deployment with its ReplicaSets and pods, or orphans them', async () => {
    await k.ok(['create', 'namespace', 'cascade']);
    await k.ok(['apply', '-f', file('c1.yaml', deployment('cascade', 'gone', 'nginx', 2))]);
    await k.ok(['apply', '-f', file('c2.yaml', deployment('cascade', 'kept', 'nginx', 2))]);
    await runningReady('cascade', 'app=gone', 2);
    await runningReady('cascade', 'app=kept', 2);
    await k.ok(['delete', 'deployment', 'gone', '-n', 'cascade']);
    await waitFor(
      async () =>
        (await k.ok(['get', 'rs', '-n', 'cascade', '-l', 'app=gone', '-o', 'name'])).trim() === '' && (await pods('cascade', 'app=gone')).length === 0,
      { timeoutMs: 30_000, message: 'ReplicaSet and pods of the deleted Deployment to go' },
    );
    await k.ok(['delete', 'deployment', 'kept', '-n', 'cascade', '--cascade=orphan']);
    const rs = JSON.parse(await k.ok(['get', 'rs', '-n', 'cascade', '-l', 'app=kept', '-o', 'json'])).items;
    assert.equal(rs.length, 1);
    assert.equal(rs[0].metadata.ownerReferences, undefined);
    assert.equal((await runningReady('cascade', 'app=kept', 2)).length, 2);
  });

  it('keeps a pod that fits no node Pending with a FailedScheduling event', async () => {
    await k.ok(['create', 'namespace', 'toobig']);
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: huge, namespace: toobig}
spec:
  containers:
  - name: c
    image: busybox
    resources: {requests: {memory: 64Gi}}
`;
    await k.ok(['apply', '-f', file('huge.yaml', pod)]);
    const ev = await waitFor(
      async () => {
        const out = await k.ok(['get', 'events', '-n', 'toobig', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling', '-o', 'json']);
        return JSON.parse(out).items[0];
      },
      { timeoutMs: 20_000, message: 'a FailedScheduling event' },
    );
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^0\/3 nodes are available: 3 Insufficient memory\./);
    const p = JSON.parse(await k.ok(['get', 'pod', 'huge', '-n', 'toobig', '-o', 'json']));
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.spec.nodeName, undefined);
    const describe = await k.ok(['describe', 'pod', 'huge', '-n', 'toobig']);
    assert.match(describe, /Warning\s+FailedScheduling/);
  });

  it('drains a node with kubectl: cordoned, its pods deleted and run elsewhere, then uncordoned', async () => {
    await k.ok(['create', 'namespace', 'drain']);
    await k.ok(['create', 'deployment', 'web', '-n', 'drain', '--image=nginx', '--replicas=3']);
    const before = await runningReady('drain', 'app=web', 3);
    const node = before[0]!.node!;
    // kubectl finds pods/eviction in discovery and evicts through its typed (protobuf) client.
    const out = await k.ok(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=30s']);
    assert.match(out, new RegExp(`node/${node} cordoned`));
    assert.match(out, /evicting pod drain\/web-/);
    assert.match(out, /pod\/web-\S+ evicted/);
    assert.match(out, new RegExp(`node/${node} drained`));
    const after = await runningReady('drain', 'app=web', 3);
    assert.ok(after.every((p) => p.node !== node), `pods on ${after.map((p) => p.node).join(',')}, none on ${node}`);
    assert.match(await k.ok(['get', 'node', node, '--no-headers']), /SchedulingDisabled/);
    await k.ok(['uncordon', node]);
    await k.ok(['delete', 'namespace', 'drain', '--wait=false']);
  });

  it('moves the pods of a node whose sim process stops to the remaining nodes', async () => {
    await k.ok(['create', 'namespace', 'failover']);
    await k.ok(['apply', '-f', file('fo.yaml', deployment('failover', 'svc', 'nginx', 3))]);
    const ps = await runningReady('failover', 'app=svc', 3);
    assert.ok(ps.some((p) => p.node === 'node-b-0'), `one pod on node-b-0: ${ps.map((p) => p.node).join(',')}`);
    await simB!.stop();
    simB = undefined;
    await waitFor(
      async () => {
        const node = JSON.parse(await k.ok(['get', 'node', 'node-b-0', '-o', 'json']));
        const ready = node.status.conditions.find((c: any) => c.type === 'Ready');
        return ready?.status === 'Unknown' && (node.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
      },
      { timeoutMs: 20_000, message: 'node-b-0 to turn Unknown with the unreachable taint' },
    );
    const moved = await runningReady('failover', 'app=svc', 3, 30_000);
    assert.ok(moved.every((p) => p.node !== 'node-b-0'), `pods now on ${moved.map((p) => p.node).join(',')}`);
  });
});

describe('a second scheduler and controller manager wait for the first', { concurrency: false }, () => {
  let server: RunningServer;
  const procs: RunningProcess[] = [];
  let k: Kubectl;

  before(async () => {
    server = await startServer({ extraArgs: ['--no-controllers', '--no-scheduler'] });
    k = kubectlFor(server.kubeconfig);
    procs.push(await startPeapod(['sim', '--kubeconfig', server.kubeconfig, '--nodes', '2', '--prefix', 'le'], { ready: /peapod sim running/ }));
  });

  after(async () => {
    for (const p of procs.reverse()) await p.stop();
    await server?.stop();
    k?.cleanup();
    if (server) removeDir(server.dataDir);
  });

  it('takes over through the Leases when the first copies stop', async () => {
    const lease = ['--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '500ms'];
    const start = (cmd: string, id: string) => startPeapod([cmd, '--kubeconfig', server.kubeconfig, '--id', id, ...lease], { ready: /running/ });
    // Every copy is stopped by `after`, also when the test fails before it stops them itself:
    // a copy left running would keep this test file from ever finishing.
    const cm1 = await start('controller-manager', 'cm-1');
    procs.push(cm1);
    const sch1 = await start('scheduler', 'sched-1');
    procs.push(sch1);
    const holder = async (name: string) => {
      try {
        return (await k.ok(['get', 'lease', name, '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
      } catch {
        return '';
      }
    };
    await waitFor(async () => (await holder('kube-controller-manager')) === 'cm-1' && (await holder('kube-scheduler')) === 'sched-1', {
      timeoutMs: 20_000,
      message: 'the first copies to lead',
    });
    const cm2 = await start('controller-manager', 'cm-2');
    const sch2 = await start('scheduler', 'sched-2');
    procs.push(cm2, sch2);

    await k.ok(['create', 'deployment', 'first', '--image=nginx', '--replicas=2']);
    await waitFor(async () => (await k.ok(['get', 'deploy', 'first', '-o', 'jsonpath={.status.readyReplicas}'])) === '2', {
      timeoutMs: 30_000,
      message: 'deployment first ready under the first leaders',
    });
    assert.equal(await holder('kube-controller-manager'), 'cm-1', 'the second copy stays a follower');
    assert.equal(await holder('kube-scheduler'), 'sched-1');

    await cm1.stop();
    await sch1.stop();
    await waitFor(async () => (await holder('kube-controller-manager')) === 'cm-2' && (await holder('kube-scheduler')) === 'sched-2', {
      timeoutMs: 20_000,
      message: 'the second copies to take over',
    });
    await k.ok(['create', 'deployment', 'second', '--image=nginx', '--replicas=2']);
    await waitFor(async () => (await k.ok(['get', 'deploy', 'second', '-o', 'jsonpath={.status.readyReplicas}'])) === '2', {
      timeoutMs: 30_000,
      message: 'deployment second ready under the new leaders',
    });
  });
});
