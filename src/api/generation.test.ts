import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from './object.js';
import { nextGeneration, tracksGeneration } from './generation.js';

const obj = (spec: unknown, annotations?: Record<string, string>, generation?: number): KubeObject => ({
  metadata: { name: 'x', annotations, generation },
  spec,
  status: { replicas: 1 },
});

test('which kinds track generation', () => {
  const cases: [string, string, boolean][] = [
    ['apps', 'deployments', true],
    ['apps', 'replicasets', true],
    ['', 'replicationcontrollers', true],
    ['', 'pods', false],
    ['', 'configmaps', false],
    ['', 'secrets', false],
    ['', 'services', false],
    ['', 'namespaces', false],
    ['coordination.k8s.io', 'leases', false],
    ['discovery.k8s.io', 'endpointslices', true],
    ['policy', 'poddisruptionbudgets', true],
  ];
  for (const [group, plural, want] of cases) assert.equal(tracksGeneration({ group, plural }), want, plural);
});

const slices = { group: 'discovery.k8s.io', plural: 'endpointslices' };
const slice = (ips: string[], labels: Record<string, string>, generation?: number): KubeObject => ({
  metadata: { name: 'x', labels, generation },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
});

test('nextGeneration', () => {
  const deploy = { group: 'apps', plural: 'deployments' };
  const rs = { group: 'apps', plural: 'replicasets' };
  const cases: [string, { group: string; plural: string }, KubeObject, KubeObject | undefined, number | undefined][] = [
    ['create', deploy, obj({ replicas: 1 }), undefined, 1],
    ['spec change', deploy, obj({ replicas: 2 }), obj({ replicas: 1 }, undefined, 3), 4],
    ['no change (key order differs)', deploy, obj({ a: 1, b: 2 }), obj({ b: 2, a: 1 }, undefined, 3), 3],
    ['deployment annotation change', deploy, obj({}, { a: 'x' }), obj({}, { a: 'y' }, 2), 3],
    ['replicaset annotation change', rs, obj({}, { a: 'x' }), obj({}, { a: 'y' }, 2), 2],
    ['kind without generation', { group: '', plural: 'configmaps' }, obj(undefined), undefined, undefined],
    ['endpointslice endpoints change', slices, slice(['10.0.0.2'], { a: 'x' }, 4), slice(['10.0.0.1'], { a: 'x' }, 4), 5],
    ['endpointslice label change', slices, slice(['10.0.0.1'], { a: 'y' }, 4), slice(['10.0.0.1'], { a: 'x' }, 4), 5],
    ['endpointslice annotation change only', slices, { ...slice(['10.0.0.1'], { a: 'x' }, 4), metadata: { name: 'x', labels: { a: 'x' }, annotations: { t: '1' } } }, slice(['10.0.0.1'], { a: 'x' }, 4), 4],
  ];
  for (const [name, rt, now, old, want] of cases) assert.equal(nextGeneration(rt, now, old), want, name);
});
