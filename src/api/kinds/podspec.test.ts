import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerCells, defaultPodSpec, defaultPodTemplate, imageTag, validatePodSpec, validatePodTemplate } from './podspec.js';

test('imageTag', () => {
  const cases: [string, string][] = [
    ['nginx', 'latest'],
    ['nginx:1.25', '1.25'],
    ['registry.example.com:5000/team/app', 'latest'],
    ['registry.example.com:5000/team/app:v2', 'v2'],
    ['nginx@sha256:0123', ''],
    ['nginx:1.25@sha256:0123', '1.25'],
  ];
  for (const [image, tag] of cases) assert.equal(imageTag(image), tag, image);
});

test('spec defaults include probes, env field refs and volume modes', () => {
  const spec: Record<string, any> = {
    containers: [
      {
        name: 'c',
        image: 'x:1',
        livenessProbe: { httpGet: { port: 80 } },
        env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      },
    ],
    volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'h', hostPath: { path: '/x' } }],
  };
  defaultPodSpec(spec);
  assert.deepEqual(spec.containers[0].livenessProbe, {
    httpGet: { port: 80, scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(spec.containers[0].env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.equal(spec.volumes[0].configMap.defaultMode, 420);
  assert.equal(spec.volumes[1].hostPath.type, '');
  const template: Record<string, any> = {};
  defaultPodTemplate(template);
  assert.deepEqual(template.metadata, {});
  assert.equal(template.spec.restartPolicy, 'Always');
});

test('validation paths follow the caller', () => {
  assert.deepEqual(validatePodSpec(undefined, 'spec.template.spec').map((e) => e.field), ['spec.template.spec']);
  const errs = validatePodTemplate(
    { metadata: { labels: { 'bad key': 'x' } }, spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'x', resources: { limits: { gpu: '1' } } }] } },
    'spec.template',
  );
  assert.deepEqual(errs.map((e) => e.field), ['spec.template.metadata.labels', 'spec.template.spec.containers[0].resources.limits[gpu]']);
  assert.deepEqual(
    validatePodSpec({ restartPolicy: 'Always', containers: [{ name: 'c', image: 'x', resources: { limits: { 'example.com/gpu': '1', 'hugepages-2Mi': '2Mi' } } }] }, 'spec'),
    [],
  );
});

test('CONTAINERS and IMAGES cells', () => {
  assert.deepEqual(containerCells({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }), ['a,b', 'x,y']);
  assert.deepEqual(containerCells(undefined), ['', '']);
});

test('node affinity is validated as Kubernetes does (the scheduler would match no node)', () => {
  const spec = (nodeAffinity: unknown) => ({ restartPolicy: 'Always', containers: [{ name: 'c', image: 'x' }], affinity: { nodeAffinity } });
  const required = (...terms: unknown[]) => ({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } });
  const base = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  const cases: [string, unknown, string[]][] = [
    ['valid terms', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'Exists' }, { key: 'cpus', operator: 'Gt', values: ['4'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }), []],
    ['unknown operator', required({ matchExpressions: [{ key: 'zone', operator: 'Bogus' }] }), [`${base}[0].matchExpressions[0].operator`]],
    ['In without values', required({ matchExpressions: [{ key: 'zone', operator: 'In' }] }), [`${base}[0].matchExpressions[0].values`]],
    ['Exists with values', required({ matchExpressions: [{ key: 'zone', operator: 'Exists', values: ['a'] }] }), [`${base}[0].matchExpressions[0].values`]],
    ['Gt with two values', required({ matchExpressions: [{ key: 'n', operator: 'Gt', values: ['1', '2'] }] }), [`${base}[0].matchExpressions[0].values`]],
    ['bad key', required({ matchExpressions: [{ key: 'bad key', operator: 'Exists' }] }), [`${base}[0].matchExpressions[0].key`]],
    ['field other than metadata.name', required({ matchFields: [{ key: 'spec.x', operator: 'In', values: ['a'] }] }), [`${base}[0].matchFields[0].key`]],
    ['no terms', required(), [base]],
    [
      'preferred weight out of range',
      { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } }] },
      ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight'],
    ],
  ];
  for (const [name, nodeAffinity, fields] of cases) {
    assert.deepEqual(validatePodSpec(spec(nodeAffinity), 'spec').map((e) => e.field), fields, name);
  }
});
