/**
 * RBAC through the real kubectl, on one real `peapod server`: a service account's token may
 * do nothing but discover the API and ask about itself until a RoleBinding grants it `view`;
 * `kubectl auth can-i` (with --token and with --as) answers truthfully; a Role or binding that
 * grants more than its writer holds is refused; ClusterRoles aggregate; the admin still does
 * everything; the four kinds are made, shown and described as kubectl expects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

const NS = 'team';
const BOT = `system:serviceaccount:${NS}:bot`;

describe('RBAC through kubectl', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl | undefined;
  let token = '';

  before(async () => {
    server = await startServer();
    k = kubectlFor(server.kubeconfig);
    await k.ok(['create', 'namespace', NS]);
    await k.ok(['create', 'serviceaccount', 'bot', '-n', NS]);
    token = (await k.ok(['create', 'token', 'bot', '-n', NS])).trim();
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  /** kubectl as the bot: the kubeconfig's cluster, the bot's token. */
  const asBot = (args: string[]) => k!([...args, '--token', token]);

  it('ships the default roles and bindings, shown as kubectl shows them', async () => {
    const kubectl = k!;
    const roles = await kubectl.ok(['get', 'clusterroles']);
    assert.match(roles, /^NAME\s+CREATED AT\n/);
    for (const name of ['admin', 'cluster-admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer']) {
      assert.match(roles, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`, 'm'), name);
    }
    const bindings = await kubectl.ok(['get', 'clusterrolebindings', '-o', 'wide']);
    assert.match(bindings, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\n/);
    assert.match(bindings, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters\s*$/m);
    assert.match(bindings, /^system:public-info-viewer\s+ClusterRole\/system:public-info-viewer\s+\S+\s+system:authenticated, system:unauthenticated\s*$/m);
    const view = await kubectl.ok(['describe', 'clusterrole', 'view']);
    assert.match(view, /^Labels:\s+kubernetes\.io\/bootstrapping=rbac-defaults$/m);
    assert.match(view, /^\s+pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  });

  it('lets a fresh service account discover the API and ask about itself, and nothing else', async () => {
    const pods = await asBot(['get', 'pods', '-n', NS]);
    assert.equal(pods.code, 1);
    assert.equal(pods.stderr.trim(), `Error from server (Forbidden): pods is forbidden: User "${BOT}" cannot list resource "pods" in API group "" in the namespace "${NS}"`);
    const node = await asBot(['get', 'node', 'n1']);
    assert.match(node.stderr, new RegExp(`nodes "n1" is forbidden: User "${BOT}" cannot get resource "nodes" in API group "" at the cluster scope`));
    const metrics = await asBot(['get', '--raw', '/metrics']);
    assert.match(metrics.stderr, new RegExp(`forbidden: User "${BOT}" cannot get path "/metrics"`));
    assert.match((await asBot(['api-versions'])).stdout, /^rbac\.authorization\.k8s\.io\/v1$/m);
    assert.match((await asBot(['auth', 'whoami'])).stdout, new RegExp(`Username\\s+${BOT}`));
    const no = await asBot(['auth', 'can-i', 'list', 'pods', '-n', NS]);
    assert.deepEqual([no.code, no.stdout], [1, 'no\n']);
  });

  it('grants `view` through a RoleBinding: the bot may list but not create, in its namespace only', async () => {
    const kubectl = k!;
    assert.equal(
      await kubectl.ok(['create', 'rolebinding', 'bot-view', '--clusterrole=view', `--serviceaccount=${NS}:bot`, '-n', NS]),
      'rolebinding.rbac.authorization.k8s.io/bot-view created\n',
    );
    assert.match(await kubectl.ok(['get', 'rolebinding', 'bot-view', '-n', NS, '-o', 'wide']), /^bot-view\s+ClusterRole\/view\s+\S+\s+team\/bot\s*$/m);
    const listed = await asBot(['get', 'pods', '-n', NS]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /No resources found in team namespace/);
    const run = await asBot(['run', 'web', '--image=nginx', '-n', NS]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`pods is forbidden: User "${BOT}" cannot create resource "pods" in API group "" in the namespace "${NS}"`));
    const elsewhere = await asBot(['get', 'pods', '-n', 'default']);
    assert.match(elsewhere.stderr, /cannot list resource "pods" in API group "" in the namespace "default"/);

    assert.equal((await asBot(['auth', 'can-i', 'list', 'pods', '-n', NS])).stdout, 'yes\n');
    assert.equal((await asBot(['auth', 'can-i', 'create', 'pods', '-n', NS])).stdout, 'no\n');
    assert.equal((await asBot(['auth', 'can-i', 'get', 'secrets', '-n', NS])).stdout, 'no\n');
    const list = await asBot(['auth', 'can-i', '--list', '-n', NS]);
    assert.match(list.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list.stdout, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.doesNotMatch(list.stdout, /^secrets/m);
    // The admin asks on the bot's behalf by impersonating it.
    assert.equal((await kubectl(['auth', 'can-i', 'list', 'pods', '-n', NS, '--as', BOT])).stdout, 'yes\n');
    assert.equal((await kubectl(['auth', 'can-i', 'delete', 'pods', '-n', NS, '--as', BOT])).stdout, 'no\n');
    const asIt = await kubectl(['get', 'configmaps', '-n', 'default', `--as=${BOT}`]);
    assert.match(asIt.stderr, new RegExp(`configmaps is forbidden: User "${BOT}" cannot list resource "configmaps" in API group "" in the namespace "default"`));
    const sudo = await asBot(['get', 'pods', '-n', NS, '--as=admin']);
    assert.match(sudo.stderr, new RegExp(`users "admin" is forbidden: User "${BOT}" cannot impersonate resource "users" in API group "" at the cluster scope`));
  });

  it('answers TokenReview and SubjectAccessReview for others, as components and webhooks ask', async () => {
    const kubectl = k!;
    const review = (doc: object) => kubectl.ok(['create', '-f', '-', '-o', 'json'], { input: JSON.stringify(doc) }).then((out) => JSON.parse(out).status);
    const whose = await review({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    assert.equal(whose.authenticated, true);
    assert.equal(whose.user.username, BOT);
    assert.deepEqual(whose.user.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
    assert.equal((await review({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'not-a-token' } })).authenticated, false);
    const nobody = await review({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'jane', groups: ['developers'], resourceAttributes: { verb: 'list', resource: 'pods', namespace: NS } },
    });
    assert.equal(nobody.allowed, false);
    const masters = await review({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      metadata: { namespace: NS },
      spec: { groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'pods', namespace: NS } },
    });
    assert.equal(masters.allowed, true);
    // Asking about others is itself a permission: the bot has none.
    const sar = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'jane', resourceAttributes: { verb: 'get', resource: 'pods' } } };
    const denied = await kubectl(['create', '-f', '-', '--token', token], { input: JSON.stringify(sar) });
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      new RegExp(`subjectaccessreviews\\.authorization\\.k8s\\.io is forbidden: User "${BOT}" cannot create resource "subjectaccessreviews" in API group "authorization\\.k8s\\.io" at the cluster scope`),
    );
  });

  it('refuses a Role or binding that grants more than its writer holds', async () => {
    const kubectl = k!;
    await kubectl.ok(['create', 'role', 'rbac-writer', '--verb=create,update,patch,get', '--resource=roles,rolebindings', '-n', NS]);
    await kubectl.ok(['create', 'rolebinding', 'bot-rbac', '--role=rbac-writer', `--serviceaccount=${NS}:bot`, '-n', NS]);
    const ok = await asBot(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', NS]);
    assert.equal(ok.stdout, 'role.rbac.authorization.k8s.io/pod-reader created\n', ok.stderr);
    const tooMuch = await asBot(['create', 'role', 'pod-deleter', '--verb=get,delete', '--resource=pods,secrets', '-n', NS]);
    assert.equal(tooMuch.code, 1);
    assert.equal(
      tooMuch.stderr.trim(),
      `Error from server (Forbidden): roles.rbac.authorization.k8s.io "pod-deleter" is forbidden: user "${BOT}" (groups=["system:serviceaccounts" "system:serviceaccounts:${NS}" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n` +
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
    );
    const bindEdit = await asBot(['create', 'rolebinding', 'bot-edit', '--clusterrole=edit', `--serviceaccount=${NS}:bot`, '-n', NS]);
    assert.match(bindEdit.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "bot-edit" is forbidden: user ".*" \(groups=.*\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["configmaps"\]/);
    // A strategic merge patch replaces the (atomic) rules; growing them is checked too.
    const grow = await asBot(['patch', 'role', 'pod-reader', '-n', NS, '-p', '{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","delete"]}]}']);
    assert.match(grow.stderr, /roles\.rbac\.authorization\.k8s\.io "pod-reader" is forbidden: .*\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}/);
    await asBot(['patch', 'role', 'pod-reader', '-n', NS, '-p', '{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}']);
    assert.equal(await kubectl.ok(['get', 'role', 'pod-reader', '-n', NS, '-o', 'jsonpath={.rules}']), '[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]');
    // The admin (system:masters) may grant anything; roleRef never changes.
    await kubectl.ok(['create', 'role', 'pod-deleter', '--verb=get,delete', '--resource=pods,secrets', '-n', NS]);
    const changed = await kubectl(['patch', 'rolebinding', 'bot-view', '-n', NS, '-p', '{"roleRef":{"name":"edit"}}']);
    assert.equal(
      changed.stderr,
      'The RoleBinding "bot-view" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef\n',
    );
    assert.match(await kubectl.ok(['describe', 'role', 'pod-deleter', '-n', NS]), /^\s+pods\s+\[\]\s+\[\]\s+\[get delete\]$/m);
    assert.equal((await kubectl(['auth', 'can-i', '*', '*'])).stdout, 'yes\n');
  });

  it('aggregates ClusterRoles into view, and the bot may then use what was added', async () => {
    const kubectl = k!;
    await kubectl.ok(['create', 'clusterrole', 'lease-reader', '--verb=get,list', '--resource=leases.coordination.k8s.io']);
    assert.equal((await asBot(['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', NS])).stdout, 'no\n');
    await kubectl.ok(['label', 'clusterrole', 'lease-reader', 'rbac.authorization.k8s.io/aggregate-to-view=true']);
    await waitFor(async () => (await asBot(['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', NS])).stdout === 'yes\n', {
      timeoutMs: 15_000,
      message: 'view to aggregate lease-reader',
    });
    assert.match(await kubectl.ok(['get', 'clusterrole', 'view', '-o', 'jsonpath={.rules}']), /"resources":\["leases"\]/);
    assert.equal(await kubectl.ok(['create', 'clusterrole', 'monitoring', '--aggregation-rule=example.com/aggregate-to-monitoring=true']), 'clusterrole.rbac.authorization.k8s.io/monitoring created\n');
    await kubectl.ok(['create', 'clusterrole', 'pod-lister', '--verb=list', '--resource=pods']);
    await kubectl.ok(['label', 'clusterrole', 'pod-lister', 'example.com/aggregate-to-monitoring=true']);
    await waitFor(async () => (await kubectl.ok(['get', 'clusterrole', 'monitoring', '-o', 'jsonpath={.rules}'])) === '[{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}]', {
      timeoutMs: 15_000,
      message: 'monitoring to aggregate pod-lister',
    });
  });
});
