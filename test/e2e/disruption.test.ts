/**
 * PodDisruptionBudgets through the real kubectl, on one real `peapod server --sim-nodes 2`:
 * kubectl create pdb, get and describe as on Kubernetes; an eviction the budget cannot spare is
 * refused with 429; kubectl drain of a node takes the budget's pods one at a time (it retries
 * the refused ones every 5 s) and finishes once their replacements run on the other node, while
 * the Deployment never has fewer Ready pods than the budget asks for.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

describe('PodDisruptionBudgets and kubectl drain', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl;

  before(async () => {
    server = await startServer({ extraArgs: ['--sim-nodes', '2'] });
    k = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  /** Name, node, Ready and deleting of each pod with this label. */
  const podsOf = async (app: string) =>
    (await k.ok(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.name},{.spec.nodeName},{.status.conditions[?(@.type=="Ready")].status},{.metadata.deletionTimestamp}{"\\n"}{end}']))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, node, ready, deleting] = line.split(',');
        return { name: name!, node: node!, ready: ready === 'True', deleting: !!deleting };
      });
  const readyPods = async (app: string) => (await podsOf(app)).filter((p) => p.ready && !p.deleting);
  const allowed = async (pdb: string) => Number(await k.ok(['get', 'pdb', pdb, '-o', 'jsonpath={.status.disruptionsAllowed}']));

  it('create pdb; get shows ALLOWED DISRUPTIONS once the controller has counted; describe', async () => {
    await k.ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await waitFor(async () => (await readyPods('web')).length === 3, { timeoutMs: 20_000, message: 'three Ready web pods' });
    assert.equal((await k.ok(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2'])).trim(), 'poddisruptionbudget.policy/web created');
    await waitFor(async () => (await allowed('web')) === 1, { message: 'the disruption controller to allow one disruption' });

    const table = (await k.ok(['get', 'pdb'])).trimEnd().split('\n');
    assert.match(table[0]!, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    assert.match(table[1]!, /^web\s+2\s+N\/A\s+1\s+\d+s$/);

    const described = await k.ok(['describe', 'pdb', 'web']);
    for (const line of [/^Name:\s+web$/m, /^Min available:\s+2$/m, /^Selector:\s+app=web$/m, /^\s+Allowed disruptions:\s+1$/m, /^\s+Current:\s+3$/m, /^\s+Desired:\s+2$/m, /^\s+Total:\s+3$/m]) {
      assert.match(described, line);
    }
    const status = JSON.parse(await k.ok(['get', 'pdb', 'web', '-o', 'json'])).status;
    assert.equal(status.observedGeneration, 1);
    assert.deepEqual(status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);
  });

  it('an eviction the budget cannot spare is refused with 429', async () => {
    // One pod that must stay: its budget allows no disruption at all.
    await k.ok(['create', 'deployment', 'db', '--image=postgres']);
    await k.ok(['create', 'pdb', 'db', '--selector=app=db', '--min-available=1']);
    await waitFor(async () => (await k.ok(['get', 'pdb', 'db', '-o', 'jsonpath={.status.currentHealthy}'])) === '1', { timeoutMs: 20_000, message: 'the db pod counted' });
    const [db] = await readyPods('db');
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: db!.name, namespace: 'default' } });
    const refused = await k(['create', '--raw', `/api/v1/namespaces/default/pods/${db!.name}/eviction`, '-f', '-'], { input: eviction });
    assert.notEqual(refused.code, 0);
    assert.equal(refused.stderr.trim(), "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.");
    assert.equal((await readyPods('db')).length, 1, 'the pod stays');
    await k.ok(['delete', 'pdb', 'db']);
    await k.ok(['delete', 'deployment', 'db']);
  });

  it('kubectl drain takes no more pods than the budget allows; the replacements start on the other node', async () => {
    const pods = await readyPods('web');
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    // The node with most web pods: at least two, so the budget must hold one of them back.
    const [node] = [...perNode].sort((a, b) => b[1] - a[1])[0]!;
    const nodes = (await k.ok(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ');
    const other = nodes.find((n) => n !== node)!;

    // Every change to the web pods, as kubectl sees them: never fewer than two Ready ones.
    const watch = k.spawn(['get', 'pods', '-l', 'app=web', '-w', '-o', 'jsonpath={.metadata.name},{.status.conditions[?(@.type=="Ready")].status},{.metadata.deletionTimestamp}{"\\n"}']);
    try {
      const drain = await k(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=45s'], { timeoutMs: 55_000 });
      assert.equal(drain.code, 0, drain.stderr);
      assert.match(drain.stdout, new RegExp(`node/${node} drained`));
      assert.match(drain.stderr, /error when evicting pods\/"web-[^"]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
      for (const p of pods.filter((x) => x.node === node)) assert.match(drain.stdout, new RegExp(`pod/${p.name} evicted`));

      await waitFor(async () => (await readyPods('web')).length === 3 && (await allowed('web')) === 1, { timeoutMs: 15_000, message: 'three Ready web pods and the budget back' });
      assert.deepEqual([...new Set((await readyPods('web')).map((p) => p.node))], [other], 'every web pod runs on the other node');
    } finally {
      await watch.stop();
    }
    const healthy = new Map<string, boolean>();
    let fewest = Infinity;
    let counting = false;
    for (const line of watch.output().split('\n').filter(Boolean)) {
      const [name, ready, deleting] = line.split(',');
      healthy.set(name!, ready === 'True' && !deleting);
      const count = [...healthy.values()].filter(Boolean).length;
      if (count >= 3) counting = true; // past the initial list
      if (counting) fewest = Math.min(fewest, count);
    }
    assert.equal(fewest, 2, `the fewest Ready web pods seen during the drain:\n${watch.output()}`);
  });
});
