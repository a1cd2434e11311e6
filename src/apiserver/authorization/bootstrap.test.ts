/**
 * The bootstrap policy across restarts on one store: made once, untouched by later starts,
 * topped up where an administrator took something away (unless they set autoupdate=false).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/object.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { rbacServer } from './fixtures.js';
import { reconcileBinding, reconcileRole } from './bootstrap.js';
import { bootstrapClusterRoles } from '../../api/rbac/bootstrap-policy.js';
import { covers, toPolicyRule } from '../../api/rbac/policy-rule.js';

it('is made on first start, left alone by the next, and topped up (never cut back) after edits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bootstrap-'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const first = await rbacServer(t, { store });
  const versions = async (s: typeof first) => {
    const out: Record<string, string> = {};
    for (const plural of ['clusterroles', 'clusterrolebindings']) {
      for (const o of (await s.registry.list(s.type(plural), undefined)).items) out[`${plural}/${o.metadata.name}`] = o.metadata.resourceVersion!;
    }
    return out;
  };
  const made = await versions(first);
  assert.deepEqual(Object.keys(made).sort(), [
    'clusterrolebindings/cluster-admin',
    'clusterrolebindings/system:basic-user',
    'clusterrolebindings/system:discovery',
    'clusterrolebindings/system:public-info-viewer',
    'clusterroles/admin',
    'clusterroles/cluster-admin',
    'clusterroles/edit',
    'clusterroles/system:aggregate-to-admin',
    'clusterroles/system:aggregate-to-edit',
    'clusterroles/system:aggregate-to-view',
    'clusterroles/system:basic-user',
    'clusterroles/system:discovery',
    'clusterroles/system:public-info-viewer',
    'clusterroles/view',
  ]);
  const view = await first.registry.get(first.type('clusterroles'), undefined, 'view');
  assert.deepEqual(view.metadata.labels, { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'kubernetes.io/bootstrapping': 'rbac-defaults' });
  assert.deepEqual(view.metadata.annotations, { 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
  assert.ok((view.rules as unknown[]).length > 0, 'aggregated at once');

  const second = await rbacServer(t, { store });
  assert.deepEqual(await versions(second), made, 'a restart writes nothing');

  // An administrator trims two roles (one of them marked to be left alone) and a binding.
  const edit = (plural: string, name: string, change: (o: KubeObject) => KubeObject) => second.registry.update(second.type(plural), undefined, name, change);
  await edit('clusterroles', 'system:basic-user', (r) => ({ ...r, metadata: { ...r.metadata, labels: { ...r.metadata.labels, mine: 'yes' } }, rules: (r.rules as unknown[]).slice(1) }));
  await edit('clusterroles', 'system:discovery', (r) => ({ ...r, metadata: { ...r.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } }, rules: [] }));
  await edit('clusterrolebindings', 'system:public-info-viewer', (b) => ({ ...b, subjects: (b.subjects as unknown[]).slice(0, 1) }));
  const third = await rbacServer(t, { store });
  const basic = await third.registry.get(third.type('clusterroles'), undefined, 'system:basic-user');
  const want = bootstrapClusterRoles().find((r) => r.metadata.name === 'system:basic-user')!.rules as unknown[];
  assert.ok(covers((basic.rules as unknown[]).map(toPolicyRule), want.map(toPolicyRule)).covered, 'what was taken away is back');
  assert.equal(basic.metadata.labels?.mine, 'yes', "the administrator's label stays");
  assert.deepEqual((await third.registry.get(third.type('clusterroles'), undefined, 'system:discovery')).rules, [], 'autoupdate=false: left alone');
  const viewer = await third.registry.get(third.type('clusterrolebindings'), undefined, 'system:public-info-viewer');
  assert.deepEqual((viewer.subjects as { name: string }[]).map((s) => s.name), ['system:authenticated', 'system:unauthenticated']);
});

it('reconciles by adding what is missing: rules, selectors, subjects, labels; a changed roleRef means recreate', () => {
  const expected: KubeObject = {
    metadata: { name: 'r', labels: { a: '1' }, annotations: { x: 'y' } },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
  };
  const existing: KubeObject = { metadata: { name: 'r', labels: { a: 'mine' }, annotations: { x: 'y' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['*'], urls: ['/x'] }] };
  const out = reconcileRole(existing, expected)!;
  assert.deepEqual(out.metadata.labels, { a: 'mine' });
  assert.deepEqual(out.rules, [...(existing.rules as unknown[]), { verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
  assert.equal(reconcileRole(out, expected), undefined);
  const agg = reconcileRole({ metadata: { name: 'r' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { b: '2' } }] } }, { metadata: { name: 'r' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: '1' } }] } })!;
  assert.deepEqual(agg.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { b: '2' } }, { matchLabels: { a: '1' } }] });
  const ref = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' };
  assert.equal(reconcileBinding({ metadata: { name: 'b' }, roleRef: { ...ref, name: 'other' } }, { metadata: { name: 'b' }, roleRef: ref }), 'recreate');
  assert.equal(reconcileBinding({ metadata: { name: 'b' }, roleRef: ref, subjects: [{ kind: 'Group', name: 'g' }] }, { metadata: { name: 'b' }, roleRef: ref, subjects: [{ kind: 'Group', name: 'g' }] }), undefined);
});
