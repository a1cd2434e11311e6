/**
 * The ClusterRole aggregation controller against a filled fake cache and a client that records
 * its apply patches and, like the watch would, puts what it wrote back in the cache.
 */
import { afterEach, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import type { KubeClient, ResourceRef } from '../../client/interfaces.js';
import { FakeClock } from '../../util/fake-clock.js';
import { silentLogger } from '../../util/logger.js';
import { FakeInformerFactory } from '../../../test/util/fake-informers.js';
import { waitFor } from '../../../test/util/wait.js';
import { ClusterRoleAggregationController, FIELD_MANAGER } from './clusterroleaggregation-controller.js';

const pods = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const leases = { verbs: ['list'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] };

const clusterRole = (name: string, labels: Record<string, string>, rules: unknown[] = [], selectors?: Record<string, string>[]): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors.map((matchLabels) => ({ matchLabels })) } } : {}),
});

function setup() {
  const factory = new FakeInformerFactory();
  const roles = factory.get('clusterroles');
  const writes: { name: string; patch: KubeObject; opts: unknown }[] = [];
  const client = {
    async patch(_res: ResourceRef, _ns: string | undefined, name: string, type: string, patch: KubeObject, opts: unknown) {
      assert.equal(type, 'apply');
      writes.push({ name, patch, opts });
      const updated = { ...roles.items.get(name)!, rules: patch.rules };
      roles.update(updated);
      return updated;
    },
  } as unknown as KubeClient;
  const controller = new ClusterRoleAggregationController({ client, informers: factory, clock: new FakeClock(), logger: silentLogger });
  return { controller, roles, writes };
}

let running: ClusterRoleAggregationController | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

it('gives an aggregated role the rules of the roles it selects, again whenever one of them changes', async () => {
  const t = setup();
  await (running = t.controller).start();
  t.roles.add(clusterRole('monitoring', {}, [], [{ 'example.com/aggregate-to-monitoring': 'true' }]));
  t.roles.add(clusterRole('pod-reader', { 'example.com/aggregate-to-monitoring': 'true' }, [pods]));
  await waitFor(() => t.writes.length === 1, { message: 'the first aggregation' });
  assert.deepEqual(t.writes[0], {
    name: 'monitoring',
    patch: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'monitoring' }, rules: [pods] },
    opts: { fieldManager: FIELD_MANAGER, force: true },
  });
  t.roles.add(clusterRole('lease-reader', { 'example.com/aggregate-to-monitoring': 'true' }, [leases, pods]));
  await waitFor(() => t.writes.length === 2, { message: 'a second role selected' });
  assert.deepEqual(t.writes[1]!.patch.rules, [leases, pods], 'roles by name, each rule once');
  t.roles.remove('lease-reader');
  await waitFor(() => t.writes.length === 3, { message: 'a selected role deleted' });
  assert.deepEqual(t.writes[2]!.patch.rules, [pods]);
  // Unrelated changes and roles already right cause no write.
  t.roles.add(clusterRole('unrelated', {}, [leases]));
  await t.controller.sync('monitoring');
  await t.controller.sync('unrelated');
  await t.controller.sync('gone');
  assert.equal(t.writes.length, 3);
});
