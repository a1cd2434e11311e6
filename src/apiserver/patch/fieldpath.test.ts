import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, formatPath, keyElement } from './fieldpath.js';

test('FieldsV1 round trip keeps "." for members with children and {} for leaves', () => {
  const fieldsV1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
      'f:replicas': {},
    },
  };
  const set = FieldSet.fromFieldsV1(fieldsV1);
  assert.ok(set.has(['f:metadata', 'f:labels']));
  assert.ok(set.has(['f:metadata', 'f:labels', 'f:app']));
  assert.ok(!set.has(['f:metadata']));
  assert.ok(set.has(['f:spec', 'f:containers', 'k:{"name":"nginx"}']));
  assert.deepEqual(set.toFieldsV1(), fieldsV1);
  assert.equal(JSON.stringify(set.toFieldsV1()), JSON.stringify(fieldsV1), 'order: "." first, then f: before k:');
});

test('set algebra drops emptied branches', () => {
  const a = FieldSet.of(['f:spec', 'f:replicas'], ['f:spec', 'f:paused']);
  const b = FieldSet.of(['f:spec', 'f:replicas']);
  assert.deepEqual(a.difference(b).toFieldsV1(), { 'f:spec': { 'f:paused': {} } });
  assert.deepEqual(a.intersection(b).toFieldsV1(), { 'f:spec': { 'f:replicas': {} } });
  assert.ok(b.difference(a).isEmpty());
  assert.deepEqual(b.union(FieldSet.of(['f:spec'])).toFieldsV1(), { 'f:spec': { '.': {}, 'f:replicas': {} } });
});

test('key elements sort their keys; paths print like Kubernetes', () => {
  assert.equal(keyElement({ protocol: 'TCP', containerPort: 80 }), 'k:{"containerPort":80,"protocol":"TCP"}');
  const cases: [string[], string][] = [
    [['f:spec', 'f:replicas'], '.spec.replicas'],
    [['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'], '.spec.template.spec.containers[name="nginx"].image'],
    [['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}'], '.spec.ports[port=80,protocol="TCP"]'],
    [['f:metadata', 'f:finalizers', 'v:"a"'], '.metadata.finalizers[="a"]'],
    [['f:x', 'i:3'], '.x[3]'],
  ];
  for (const [path, want] of cases) assert.equal(formatPath(path), want);
});

test('fromFieldsV1 rejects garbage', () => {
  assert.throws(() => FieldSet.fromFieldsV1({ 'x:y': {} }), /bad path element/);
  assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), /expected an object/);
});
