import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { clone } from '../object.js';
import { deployments } from './deployments.js';

const NOW = Date.parse('2024-01-01T00:10:00Z');

function deployment(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      ...spec,
    },
  };
}

test('deployment defaults', () => {
  const d = deployment();
  deployments.defaults(d);
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.equal(d.spec.template.spec.restartPolicy, 'Always');
  assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  assert.equal(d.spec.template.spec.enableServiceLinks, undefined, 'pod-only default');
  const recreate = deployment({ strategy: { type: 'Recreate' } });
  deployments.defaults(recreate);
  assert.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
});

test('deployment validation', () => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: 'valid', spec: {}, want: [] },
    { name: 'no selector', spec: { selector: undefined }, want: ['spec.selector: Required value'] },
    {
      name: 'mismatch',
      spec: { selector: { matchLabels: { app: 'other' } } },
      want: ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    },
    { name: 'empty selector', spec: { selector: {} }, want: ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'] },
    { name: 'negative replicas', spec: { replicas: -1 }, want: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'] },
    {
      name: 'bad strategy',
      spec: { strategy: { type: 'Blue' } },
      want: ['spec.strategy.type: Unsupported value: "Blue": supported values: "Recreate", "RollingUpdate"'],
    },
    {
      name: 'both zero',
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
      want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0'],
    },
    {
      name: 'bad percent',
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%', maxSurge: 'x' } } },
      want: [
        `spec.strategy.rollingUpdate.maxSurge: Invalid value: "x": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
      ],
    },
    {
      name: 'template restart policy',
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
      want: ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    },
    {
      name: 'template container errors carry the full path',
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } },
      want: ['spec.template.spec.containers[0].image: Required value'],
    },
  ];
  for (const c of cases) {
    const d = deployment(c.spec);
    if (c.spec.selector === undefined && 'selector' in c.spec) delete d.spec.selector;
    deployments.defaults(d);
    assert.deepEqual(deployments.validate(d).map(fieldErrorText), c.want, c.name);
  }
  const old = deployment();
  deployments.defaults(old);
  const changed = clone(old);
  changed.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
  changed.spec.template.metadata.labels.tier = 'x';
  assert.deepEqual(deployments.validate(changed, old).map((e) => e.field), ['spec.selector']);
});

test('deployment table', () => {
  assert.deepEqual(deployments.columns.map((c) => `${c.name}/${c.priority}`), [
    'Ready/0', 'Up-to-date/0', 'Available/0', 'Age/0', 'Containers/1', 'Images/1', 'Selector/1',
  ]);
  const d = deployment({ replicas: 3 });
  d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
  assert.deepEqual(deployments.cells(d, NOW), ['2/3', 3, 2, '10m', 'nginx', 'nginx', 'app=web']);
  assert.deepEqual(deployments.selectableFields(d), {});
  assert.equal(deployments.scale?.selectorPath, 'spec.selector');
});
