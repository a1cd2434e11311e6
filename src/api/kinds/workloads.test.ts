import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelSelectorCell, replicaCells, validateMapSelectorAndTemplate, validateSelectorAndTemplate } from './workloads.js';
import { deployments } from './deployments.js';
import { replicasets } from './replicasets.js';
import { replicationcontrollers } from './replicationcontrollers.js';

const template = { metadata: { labels: { app: 'a', tier: 'b' } }, spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }] } };

test('selector must select the template', () => {
  const cases: [unknown, string[]][] = [
    [{ matchLabels: { app: 'a' } }, []],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, []],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, ['spec.template.metadata.labels']],
    [{ matchExpressions: [{ key: 'tier', operator: 'In' }] }, ['spec.selector.matchExpressions[0].values']],
  ];
  for (const [selector, want] of cases) {
    const obj = { metadata: { name: 'x' }, spec: { replicas: 1, selector, template } };
    assert.deepEqual(validateSelectorAndTemplate(obj, undefined).map((e) => e.field), want, JSON.stringify(selector));
  }
  const rc = { metadata: { name: 'x' }, spec: { selector: { app: 'a' }, template } };
  assert.deepEqual(validateMapSelectorAndTemplate(rc), []);
});

test('replica cells', () => {
  const obj = { metadata: { name: 'x' }, spec: { replicas: 3, template }, status: { replicas: 2, readyReplicas: 1 } };
  assert.deepEqual(replicaCells(obj, 0, 'app=a'), [3, 2, 1, '<unknown>', 'c', 'i', 'app=a']);
  assert.equal(labelSelectorCell(undefined), '<none>');
  assert.equal(labelSelectorCell({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
});

test('status counts that are 0 are dropped, as Kubernetes encodes its omitempty fields', () => {
  const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: {} }, status: { observedGeneration: 2, replicas: 0, readyReplicas: 0, availableReplicas: 3, unavailableReplicas: 0 } };
  deployments.defaults(d);
  assert.deepEqual(d.status, { observedGeneration: 2, availableReplicas: 3 });
  for (const kind of [replicasets, replicationcontrollers]) {
    const rs = { apiVersion: 'v1', kind: kind.kind, metadata: { name: 'r' }, spec: { template: {} }, status: { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 } };
    kind.defaults(rs);
    // ReplicaSetStatus.replicas is not omitempty: a ReplicaSet at 0 says so.
    assert.deepEqual(rs.status, { replicas: 0, observedGeneration: 1 }, kind.kind);
  }
});
