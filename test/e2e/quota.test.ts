/**
 * ResourceQuota through kubectl, on one real `peapod server` with a simulated node: kubectl
 * create quota, get and describe as on Kubernetes; pods within the quota are created, the next
 * is refused with kube-apiserver's "exceeded quota" and a pod without requests with "must
 * specify"; deleting a pod frees its share (the controller recounts); count/configmaps caps
 * ConfigMaps.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

const ns = 'team-a';

function podYAML(name: string): string {
  return `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  containers:
  - name: app
    image: nginx
    resources:
      requests: {cpu: 500m, memory: 256Mi}
      limits: {cpu: "1", memory: 512Mi}
`;
}

describe('resource quotas through kubectl', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl | undefined;

  before(async () => {
    server = await startServer({ extraArgs: ['--sim-nodes', '1'] });
    k = kubectlFor(server.kubeconfig);
    await k.ok(['create', 'namespace', ns]);
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  /** status.used of a quota, once the controller has written one. */
  const used = async (name: string, namespace = ns): Promise<Record<string, string> | undefined> =>
    JSON.parse(await k!.ok(['get', 'quota', name, '-n', namespace, '-o', 'json'])).status?.used;

  it('create quota; get and describe show used/hard once the controller has counted', async () => {
    const kubectl = k!;
    assert.equal(
      (await kubectl.ok(['create', 'quota', 'compute', '-n', ns, '--hard=pods=2,requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi'])).trim(),
      'resourcequota/compute created',
    );
    await waitFor(async () => (await used('compute'))?.pods === '0', { message: 'the controller to write the quota status' });

    const table = (await kubectl.ok(['get', 'quota', '-n', ns])).trimEnd().split('\n');
    assert.match(table[0]!, /^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    assert.match(table[1]!, /^compute\s+\d+s\s+pods: 0\/2, requests\.cpu: 0\/1, requests\.memory: 0\/1Gi\s+limits\.cpu: 0\/2, limits\.memory: 0\/2Gi$/);

    const describe = await kubectl.ok(['describe', 'quota', 'compute', '-n', ns]);
    assert.match(describe, /^Name:\s+compute$/m);
    assert.match(describe, /^Resource\s+Used\s+Hard$/m);
    for (const [resource, hard] of [['limits.cpu', '2'], ['limits.memory', '2Gi'], ['pods', '2'], ['requests.cpu', '1'], ['requests.memory', '1Gi']]) {
      assert.match(describe, new RegExp(`^${resource.replace('.', '\\.')}\\s+0\\s+${hard}$`, 'm'), describe);
    }
  });

  it('pods within the quota are created; the next is refused, as is a pod without requests', async () => {
    const kubectl = k!;
    await kubectl.ok(['create', '-f', '-'], { input: podYAML('web-1') });
    await kubectl.ok(['create', '-f', '-'], { input: podYAML('web-2') });
    assert.deepEqual(await used('compute'), { 'limits.cpu': '2', 'limits.memory': '1Gi', pods: '2', 'requests.cpu': '1', 'requests.memory': '512Mi' });

    const over = await kubectl(['create', '-f', '-'], { input: podYAML('web-3') });
    assert.notEqual(over.code, 0);
    assert.equal(
      over.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": pods "web-3" is forbidden: exceeded quota: compute, ' +
        'requested: limits.cpu=1,pods=1,requests.cpu=500m, used: limits.cpu=2,pods=2,requests.cpu=1, limited: limits.cpu=2,pods=2,requests.cpu=1',
    );

    const bare = await kubectl(['run', 'bare', '-n', ns, '--image=nginx']);
    assert.notEqual(bare.code, 0);
    assert.equal(
      bare.stderr.trim(),
      'Error from server (Forbidden): pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: bare; limits.memory for: bare; requests.cpu for: bare; requests.memory for: bare',
    );
    assert.match(await kubectl.ok(['get', 'quota', '-n', ns, '--no-headers']), /pods: 2\/2, requests\.cpu: 1\/1, requests\.memory: 512Mi\/1Gi\s+limits\.cpu: 2\/2, limits\.memory: 1Gi\/2Gi/);
  });

  it('deleting a pod frees its share: the next one gets in', async () => {
    const kubectl = k!;
    await kubectl.ok(['delete', 'pod', 'web-1', '-n', ns, '--wait=false']);
    let last: Record<string, string> | undefined;
    await waitFor(async () => (last = await used('compute'))?.pods === '1', { timeoutMs: 20_000, message: 'status.used to drop to one pod' }).catch((err: Error) => {
      throw new Error(`${err.message}; last used: ${JSON.stringify(last)}`, { cause: err });
    });
    assert.equal((await kubectl.ok(['create', '-f', '-'], { input: podYAML('web-3') })).trim(), 'pod/web-3 created');
    assert.equal((await used('compute'))?.pods, '2');
  });

  it('count/configmaps caps the ConfigMaps of a namespace', async () => {
    const kubectl = k!;
    await kubectl.ok(['create', 'namespace', 'configs']);
    await kubectl.ok(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: objects\n  namespace: configs\nspec:\n  hard:\n    count/configmaps: "4"\n',
    });
    await waitFor(async () => (await used('objects', 'configs'))?.['count/configmaps'] !== undefined, { message: 'the objects quota to be counted' });
    let refused = '';
    for (let i = 0; i < 6 && !refused; i++) {
      const r = await kubectl(['create', 'configmap', `c${i}`, '-n', 'configs', '--from-literal=k=v']);
      if (r.code !== 0) refused = r.stderr.trim();
    }
    assert.match(refused, /^error: failed to create configmap: configmaps "c\d" is forbidden: exceeded quota: objects, requested: count\/configmaps=1, used: count\/configmaps=4, limited: count\/configmaps=4$/);
    const listed = (await kubectl.ok(['get', 'configmaps', '-n', 'configs', '--no-headers'])).trim().split('\n');
    assert.equal(listed.length, 4, 'as many ConfigMaps as the quota allows');
    assert.match(await kubectl.ok(['get', 'quota', 'objects', '-n', 'configs', '--no-headers']), /^objects\s+\S+\s+count\/configmaps: 4\/4\s*$/);
  });
});
