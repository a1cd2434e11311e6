import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJSON, computePodTemplateHash, equalIgnoreHash } from './hash.js';
import type { PodTemplateSpec } from './types.js';

const template: PodTemplateSpec = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };

test('canonicalJSON sorts keys at every level and drops null members', () => {
  assert.equal(canonicalJSON({ b: 1, a: { d: null, c: [2, { y: 1, x: 0 }] } }), '{"a":{"c":[2,{"x":0,"y":1}]},"b":1}');
});

test('computePodTemplateHash is stable, short and made of safe characters', () => {
  const h = computePodTemplateHash(template);
  assert.equal(h, computePodTemplateHash(JSON.parse(JSON.stringify(template))));
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
});

test('computePodTemplateHash: what changes the hash and what does not', () => {
  const base = computePodTemplateHash(template);
  const cases: { name: string; t: PodTemplateSpec; cc?: number; same: boolean }[] = [
    { name: 'key order', t: { spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } }, same: true },
    { name: 'own hash label', t: { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'xyz' } } }, same: true },
    { name: 'image', t: { ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }, same: false },
    { name: 'annotation', t: { ...template, metadata: { ...template.metadata, annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } }, same: false },
    { name: 'collision count 0', t: template, cc: 0, same: false },
    { name: 'collision count 1', t: template, cc: 1, same: false },
  ];
  for (const c of cases) assert.equal(computePodTemplateHash(c.t, c.cc) === base, c.same, c.name);
  assert.notEqual(computePodTemplateHash(template, 1), computePodTemplateHash(template, 2));
});

test('equalIgnoreHash', () => {
  const withHash = { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } };
  const cases: [string, PodTemplateSpec | undefined, PodTemplateSpec | undefined, boolean][] = [
    ['identical', template, template, true],
    ['hash label on one side', withHash, template, true],
    ['empty maps vs absent', { ...template, metadata: { labels: { app: 'web' }, annotations: {} } }, template, true],
    ['different image', template, { ...template, spec: { containers: [{ name: 'c', image: 'x' }] } }, false],
    ['different label', template, { ...template, metadata: { labels: { app: 'other' } } }, false],
    ['both undefined', undefined, undefined, true],
  ];
  for (const [name, a, b, want] of cases) assert.equal(equalIgnoreHash(a, b), want, name);
});
