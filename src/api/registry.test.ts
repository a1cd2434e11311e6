import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldValues, supportedFields } from './fields.js';
import { allResourceTypes, apiGroups, resolveResource, resourceTypeFor, resourceTypeForKind, resourcesIn, resourcesInCategory } from './registry.js';

test('every kind is served exactly once with consistent metadata', () => {
  const expected: [string, string, string, boolean, string[], boolean][] = [
    // plural, group, kind, namespaced, shortNames, hasStatus
    ['namespaces', '', 'Namespace', false, ['ns'], true],
    ['nodes', '', 'Node', false, ['no'], true],
    ['pods', '', 'Pod', true, ['po'], true],
    ['services', '', 'Service', true, ['svc'], true],
    ['endpoints', '', 'Endpoints', true, ['ep'], false],
    ['events', '', 'Event', true, ['ev'], false],
    ['limitranges', '', 'LimitRange', true, ['limits'], false],
    ['replicationcontrollers', '', 'ReplicationController', true, ['rc'], true],
    ['resourcequotas', '', 'ResourceQuota', true, ['quota'], true],
    ['configmaps', '', 'ConfigMap', true, ['cm'], false],
    ['secrets', '', 'Secret', true, [], false],
    ['serviceaccounts', '', 'ServiceAccount', true, ['sa'], false],
    ['deployments', 'apps', 'Deployment', true, ['deploy'], true],
    ['replicasets', 'apps', 'ReplicaSet', true, ['rs'], true],
    ['leases', 'coordination.k8s.io', 'Lease', true, [], false],
    ['endpointslices', 'discovery.k8s.io', 'EndpointSlice', true, [], false],
    ['poddisruptionbudgets', 'policy', 'PodDisruptionBudget', true, ['pdb'], true],
    ['clusterrolebindings', 'rbac.authorization.k8s.io', 'ClusterRoleBinding', false, [], false],
    ['clusterroles', 'rbac.authorization.k8s.io', 'ClusterRole', false, [], false],
    ['rolebindings', 'rbac.authorization.k8s.io', 'RoleBinding', true, [], false],
    ['roles', 'rbac.authorization.k8s.io', 'Role', true, [], false],
  ];
  assert.equal(allResourceTypes.length, expected.length);
  for (const [plural, group, kind, namespaced, shortNames, hasStatus] of expected) {
    const rt = resourceTypeFor(group, 'v1', plural);
    assert.ok(rt, plural);
    assert.equal(rt.kind, kind);
    assert.equal(rt.listKind, `${kind}List`);
    assert.equal(rt.namespaced, namespaced, plural);
    assert.deepEqual(rt.shortNames, shortNames, plural);
    assert.equal(rt.hasStatus, hasStatus, plural);
    assert.equal(rt.cells({ metadata: {} }, 0).length, rt.columns.length, `${plural}: one cell per column even for an empty object`);
    assert.doesNotThrow(() => rt.validate({ metadata: {} }), plural);
    assert.doesNotThrow(() => rt.defaults({ metadata: { name: 'x' } }), plural);
  }
  assert.deepEqual(resourcesInCategory('all').map((rt) => rt.plural).sort(), ['deployments', 'pods', 'replicasets', 'replicationcontrollers', 'services']);
  assert.deepEqual(allResourceTypes.filter((rt) => rt.scale).map((rt) => rt.plural).sort(), ['deployments', 'replicasets', 'replicationcontrollers']);
});

test('lookups', () => {
  assert.equal(resourceTypeForKind('apps/v1', 'Deployment')?.plural, 'deployments');
  assert.equal(resourceTypeForKind('v1', 'Pod')?.plural, 'pods');
  assert.equal(resourceTypeForKind('v1', 'Deployment'), undefined);
  const names: [string, string | undefined][] = [
    ['po', 'pods'], ['pods', 'pods'], ['Pod', 'pods'], ['deploy', 'deployments'], ['deployments.apps', 'deployments'],
    ['deployments.v1.apps', 'deployments'], ['rs', 'replicasets'], ['lease', 'leases'], ['leases.coordination.k8s.io', 'leases'],
    ['endpointslice', 'endpointslices'], ['endpointslices.discovery.k8s.io', 'endpointslices'], ['EndpointSlice', 'endpointslices'],
    ['quota', 'resourcequotas'], ['resourcequota', 'resourcequotas'], ['ResourceQuota', 'resourcequotas'],
    ['limits', 'limitranges'], ['limitrange', 'limitranges'], ['LimitRange', 'limitranges'],
    ['pdb', 'poddisruptionbudgets'], ['poddisruptionbudget', 'poddisruptionbudgets'], ['poddisruptionbudgets.policy', 'poddisruptionbudgets'],
    ['role', 'roles'], ['roles.rbac.authorization.k8s.io', 'roles'], ['ClusterRoleBinding', 'clusterrolebindings'], ['clusterrole', 'clusterroles'],
    ['widgets', undefined], ['pods.apps', undefined],
  ];
  for (const [name, want] of names) assert.equal(resolveResource(name)?.plural, want, name);
  assert.deepEqual(apiGroups().map((g) => `${g.group}/${g.versions.join(',')}`), ['/v1', 'apps/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'policy/v1', 'rbac.authorization.k8s.io/v1']);
  assert.equal(resourcesIn('apps', 'v1').length, 2);
});

test('selectable fields', () => {
  const want: Record<string, string[]> = {
    pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
    events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
    nodes: ['spec.unschedulable'],
    secrets: ['type'],
    namespaces: ['status.phase'],
    replicasets: ['status.replicas'],
    replicationcontrollers: ['status.replicas'],
  };
  for (const rt of allResourceTypes) {
    assert.deepEqual([...supportedFields(rt)], ['metadata.name', 'metadata.namespace', ...(want[rt.plural] ?? [])], rt.plural);
  }
  const pods = resolveResource('pods')!;
  assert.equal(fieldValues(pods, { metadata: { name: 'p', namespace: 'n' }, spec: { nodeName: 'x' } })['spec.nodeName'], 'x');
});
