/**
 * Service accounts through kubectl, on one real `peapod server`: every namespace gets a
 * `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap (both made again when deleted);
 * pods that name none run as `default`; `kubectl create token` issues a token kubectl can use,
 * which stops working when its service account, or the pod it is bound to, is deleted;
 * `kubectl auth whoami` and `auth can-i` answer for whoever the token names (a fresh service
 * account may ask who it is and what it may do, and do nothing else: e2e/rbac has the rest).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

const NS = 'team-a';

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('service accounts and their tokens through kubectl', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl | undefined;

  before(async () => {
    server = await startServer();
    k = kubectlFor(server.kubeconfig);
    await k.ok(['create', 'namespace', NS]);
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  /** kubectl with the kubeconfig's cluster but `token` as its only credential. */
  const asToken = (token: string, args: string[]) => k!([...args, '--token', token]);

  it('gives a new namespace its default ServiceAccount and the cluster CA, and makes them again when deleted', async () => {
    const kubectl = k!;
    const uid = await waitFor(async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout || undefined, {
      timeoutMs: 15_000,
      message: 'the default ServiceAccount',
    });
    const ca = Buffer.from(await kubectl.ok(['config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}']), 'base64').toString('utf8');
    const published = await waitFor(async () => (await kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', NS, '-o', 'jsonpath={.data.ca\\.crt}'])).stdout || undefined, {
      timeoutMs: 15_000,
      message: 'the kube-root-ca.crt ConfigMap',
    });
    assert.equal(published.trim(), ca.trim());

    const table = await kubectl.ok(['get', 'sa', '-n', NS]);
    assert.match(table, /^NAME\s+SECRETS\s+AGE\n/);
    assert.match(table, /\ndefault\s+0\s+\S+/);

    await kubectl.ok(['delete', 'serviceaccount', 'default', '-n', NS]);
    await kubectl.ok(['patch', 'configmap', 'kube-root-ca.crt', '-n', NS, '-p', '{"data":{"ca.crt":"not a CA"}}']);
    await waitFor(async () => {
      const again = (await kubectl(['get', 'serviceaccount', 'default', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
      return again && again !== uid;
    }, { timeoutMs: 15_000, message: 'a new default ServiceAccount' });
    await waitFor(async () => (await kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', NS, '-o', 'jsonpath={.data.ca\\.crt}'])).stdout.trim() === ca.trim(), {
      timeoutMs: 15_000,
      message: 'the CA written back',
    });
  });

  it('runs a pod that names no service account as default, and keeps the deprecated field in step', async () => {
    const kubectl = k!;
    await kubectl.ok(['run', 'idle', '-n', NS, '--image=busybox', '--restart=Never']);
    assert.equal(await kubectl.ok(['get', 'pod', 'idle', '-n', NS, '-o', 'jsonpath={.spec.serviceAccountName}/{.spec.serviceAccount}']), 'default/default');
    // A service account that is not there is refused, as Kubernetes refuses it; once made, it works.
    const overrides = JSON.stringify({ spec: { serviceAccountName: 'runner' } });
    const refused = await kubectl(['run', 'as-runner', '-n', NS, '--image=busybox', '--restart=Never', `--overrides=${overrides}`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`pods "as-runner" is forbidden: error looking up service account ${NS}/runner: serviceaccount "runner" not found`));
    await kubectl.ok(['create', 'serviceaccount', 'runner', '-n', NS]);
    await kubectl.ok(['run', 'as-runner', '-n', NS, '--image=busybox', '--restart=Never', `--overrides=${overrides}`]);
    assert.equal(await kubectl.ok(['get', 'pod', 'as-runner', '-n', NS, '-o', 'jsonpath={.spec.serviceAccountName}']), 'runner');
  });

  it('issues a token kubectl can use until its service account is deleted', async () => {
    const kubectl = k!;
    await kubectl.ok(['create', 'serviceaccount', 'builder', '-n', NS]);
    const token = (await kubectl.ok(['create', 'token', 'builder', '-n', NS, '--duration=1h'])).trim();
    const claims = claimsOf(token);
    assert.equal(claims.sub, `system:serviceaccount:${NS}:builder`);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(claims['kubernetes.io'].namespace, NS);

    const who = await asToken(token, ['auth', 'whoami']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, new RegExp(`Username\\s+system:serviceaccount:${NS}:builder\\n`));
    assert.match(who.stdout, new RegExp(`Groups\\s+\\[system:serviceaccounts system:serviceaccounts:${NS} system:authenticated\\]`));
    // RBAC: nothing is granted to a new service account.
    assert.equal((await asToken(token, ['auth', 'can-i', 'delete', 'nodes'])).stdout, 'no\n');
    const listed = await asToken(token, ['get', 'serviceaccounts', '-n', NS, '-o', 'name']);
    assert.notEqual(listed.code, 0);
    assert.match(listed.stderr, new RegExp(`serviceaccounts is forbidden: User "system:serviceaccount:${NS}:builder" cannot list resource "serviceaccounts" in API group "" in the namespace "${NS}"`));

    const short = await kubectl(['create', 'token', 'builder', '-n', NS, '--duration=5m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
    const missing = await kubectl(['create', 'token', 'nobody', '-n', NS]);
    assert.match(missing.stderr, /serviceaccounts "nobody" not found/);

    await kubectl.ok(['delete', 'serviceaccount', 'builder', '-n', NS]);
    const refused = await asToken(token, ['get', 'pods', '-n', NS]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Unauthorized/);
    const forged = await asToken(`${token.slice(0, -4)}AAAA`, ['get', 'pods', '-n', NS]);
    assert.match(forged.stderr, /Unauthorized/);
  });

  it('binds a token to a pod: it stops working when the pod is deleted', async () => {
    const kubectl = k!;
    await waitFor(async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', NS])).code === 0, { timeoutMs: 15_000, message: 'the default ServiceAccount' });
    const token = (await kubectl.ok(['create', 'token', 'default', '-n', NS, '--bound-object-kind=Pod', '--bound-object-name=idle'])).trim();
    const podUID = await kubectl.ok(['get', 'pod', 'idle', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    assert.deepEqual(claimsOf(token)['kubernetes.io'].pod, { name: 'idle', uid: podUID });
    assert.equal((await asToken(token, ['auth', 'whoami'])).code, 0);
    await kubectl.ok(['delete', 'pod', 'idle', '-n', NS, '--grace-period=0', '--force']);
    await waitFor(async () => (await kubectl(['get', 'pod', 'idle', '-n', NS])).code !== 0, { timeoutMs: 15_000, message: 'the pod gone' });
    assert.match((await asToken(token, ['get', 'pods', '-n', NS])).stderr, /Unauthorized/);
  });
});
