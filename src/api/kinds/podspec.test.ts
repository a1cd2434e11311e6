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
