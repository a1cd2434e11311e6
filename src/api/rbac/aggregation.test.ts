import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { aggregateAll, aggregatedRules, holdsRules, wireRules } from './aggregation.js';
import { bootstrapClusterRoles } from './bootstrap-policy.js';
import { rule } from './policy-rule.js';

const role = (name: string, labels: Record<string, string>, rules: unknown[], aggregate?: Record<string, string>[]): KubeObject => ({
  metadata: { name, labels },
  rules,
  ...(aggregate ? { aggregationRule: { clusterRoleSelectors: aggregate.map((matchLabels) => ({ matchLabels })) } } : {}),
});

test('an aggregated role gets the rules of the roles its selectors match: selector by selector, by name, once each', () => {
  const pods = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const svc = { verbs: ['get'], apiGroups: [''], resources: ['services'] };
  const leases = { verbs: ['list'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] };
  const target = role('target', {}, [], [{ a: 'true' }, { b: 'true' }]);
  const all = [
    target,
    role('z-a', { a: 'true' }, [svc, pods]),
    role('b-only', { b: 'true' }, [leases, pods]),
    role('a-first', { a: 'true', b: 'true' }, [pods]),
    role('unlabelled', {}, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
  ];
  const rules = aggregatedRules(target, all)!;
  assert.deepEqual(wireRules(rules), [pods, svc, leases]);
  assert.equal(holdsRules({ ...target, rules: [pods, svc, leases] }, rules), true);
  assert.equal(holdsRules({ ...target, rules: [svc, pods, leases] }, rules), false, 'the order is part of it');
  assert.equal(aggregatedRules(role('plain', {}, []), all), undefined, 'no aggregationRule, nothing to do');
  // A role that selects itself does not feed itself.
  const self = role('self', { a: 'true' }, [leases], [{ a: 'true' }]);
  assert.deepEqual(wireRules(aggregatedRules(self, [self])!), []);
});

test('the bootstrap admin, edit and view settle as kube nests them: admin ⊇ edit ⊇ view', () => {
  const roles = aggregateAll(bootstrapClusterRoles());
  const rules = (name: string) => (roles.find((r) => r.metadata.name === name)!.rules as unknown[]).map((r) => JSON.stringify(r));
  const [view, edit, admin] = [rules('view'), rules('edit'), rules('admin')];
  assert.ok(view.length > 0 && edit.length > view.length && admin.length > edit.length);
  for (const r of view) assert.ok(edit.includes(r), `edit holds view's ${r}`);
  for (const r of edit) assert.ok(admin.includes(r), `admin holds edit's ${r}`);
  assert.ok(admin.some((r) => r.includes('rolebindings')));
  assert.ok(!view.some((r) => r.includes('secrets')), 'view never reads secrets');
  assert.ok(view.includes(JSON.stringify(wireRules([rule(['get', 'list', 'watch'], { groups: [''], resources: ['namespaces'] })])[0])));
  // Settled: another pass changes nothing.
  const again = roles.map((r) => JSON.stringify(r));
  assert.deepEqual(aggregateAll(roles).map((r) => JSON.stringify(r)), again);
});
