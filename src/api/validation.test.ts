import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText, invalid } from './errors.js';
import type { KubeObject } from './object.js';
import type { ResourceType } from './resource.js';
import { isIPAddress, isValidPortName, nameValidatorFor, notSupported, validateFinalizers, validateObjectMeta } from './validation.js';

const rt = (plural: string, namespaced: boolean, group = ''): ResourceType => ({ plural, namespaced, group }) as ResourceType;
const pods = rt('pods', true);
const namespaces = rt('namespaces', false);
const services = rt('services', true);

function texts(obj: KubeObject, type: ResourceType, old?: KubeObject): string[] {
  return validateObjectMeta(obj, type, { old }).map(fieldErrorText);
}

test('the subdomain message matches kube-apiserver word for word', () => {
  assert.deepEqual(texts({ metadata: { name: 'Foo', namespace: 'default' } }, pods), [
    `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);
  const err = invalid('Pod', 'Foo', validateObjectMeta({ metadata: { name: 'Foo', namespace: 'default' } }, pods));
  assert.equal(err.code, 422);
  assert.match(err.message, /^Pod "Foo" is invalid: metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain/);
});

test('validateObjectMeta', () => {
  const cases: { name: string; obj: KubeObject; type: ResourceType; old?: KubeObject; want: string[] }[] = [
    { name: 'ok', obj: { metadata: { name: 'a.b-c', namespace: 'ns' } }, type: pods, want: [] },
    { name: 'generateName only', obj: { metadata: { generateName: 'web-', namespace: 'ns' } }, type: pods, want: [] },
    { name: 'bad generateName', obj: { metadata: { generateName: 'Web-', namespace: 'ns' } }, type: pods, want: ['FieldValueInvalid metadata.generateName'] },
    { name: 'no name', obj: { metadata: { namespace: 'ns' } }, type: pods, want: ['FieldValueRequired metadata.name'] },
    { name: 'no namespace', obj: { metadata: { name: 'a' } }, type: pods, want: ['FieldValueRequired metadata.namespace'] },
    { name: 'bad namespace', obj: { metadata: { name: 'a', namespace: 'a.b' } }, type: pods, want: ['FieldValueInvalid metadata.namespace'] },
    { name: 'namespace on cluster kind', obj: { metadata: { name: 'a', namespace: 'x' } }, type: namespaces, want: ['FieldValueForbidden metadata.namespace'] },
    { name: 'namespace name is a label', obj: { metadata: { name: 'a.b' } }, type: namespaces, want: ['FieldValueInvalid metadata.name'] },
    { name: 'service name is DNS-1035', obj: { metadata: { name: '1abc', namespace: 'x' } }, type: services, want: ['FieldValueInvalid metadata.name'] },
    { name: 'bad label key', obj: { metadata: { name: 'a', namespace: 'x', labels: { 'a b': 'c' } } }, type: pods, want: ['FieldValueInvalid metadata.labels'] },
    { name: 'bad label value', obj: { metadata: { name: 'a', namespace: 'x', labels: { a: '-c' } } }, type: pods, want: ['FieldValueInvalid metadata.labels'] },
    { name: 'bad annotation key', obj: { metadata: { name: 'a', namespace: 'x', annotations: { '/x': 'c' } } }, type: pods, want: ['FieldValueInvalid metadata.annotations'] },
    {
      name: 'annotations too large',
      obj: { metadata: { name: 'a', namespace: 'x', annotations: { big: 'x'.repeat(256 * 1024) } } },
      type: pods,
      want: ['FieldValueTooLong metadata.annotations'],
    },
    {
      name: 'owner reference without uid',
      obj: { metadata: { name: 'a', namespace: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'n', uid: '' }] } },
      type: pods,
      want: ['FieldValueInvalid metadata.ownerReferences.uid'],
    },
    {
      name: 'two controllers',
      obj: {
        metadata: {
          name: 'a',
          namespace: 'x',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'K', name: 'n', uid: '1', controller: true },
            { apiVersion: 'v1', kind: 'K', name: 'm', uid: '2', controller: true },
          ],
        },
      },
      type: pods,
      want: ['FieldValueInvalid metadata.ownerReferences'],
    },
    { name: 'finalizers', obj: { metadata: { name: 'a', namespace: 'x', finalizers: ['example.com/f', 'kubernetes'] } }, type: pods, want: [] },
    { name: 'bad finalizer', obj: { metadata: { name: 'a', namespace: 'x', finalizers: ['custom'] } }, type: pods, want: ['FieldValueInvalid metadata.finalizers'] },
    {
      name: 'immutable on update',
      obj: { metadata: { name: 'b', namespace: 'y', uid: '2', creationTimestamp: 't2' } },
      old: { metadata: { name: 'a', namespace: 'x', uid: '1', creationTimestamp: 't1' } },
      type: pods,
      want: ['FieldValueInvalid metadata.name', 'FieldValueInvalid metadata.namespace', 'FieldValueInvalid metadata.uid', 'FieldValueInvalid metadata.creationTimestamp'],
    },
  ];
  for (const c of cases) {
    const got = validateObjectMeta(c.obj, c.type, { old: c.old }).map((e) => `${e.type} ${e.field}`);
    assert.deepEqual(got, c.want, c.name);
  }
});

test('messages for common failures', () => {
  assert.deepEqual(texts({ metadata: { namespace: 'x' } }, pods), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(texts({ metadata: { name: 'a', namespace: 'x' } }, namespaces), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(texts({ metadata: { name: 'b', namespace: 'x' } }, pods, { metadata: { name: 'a', namespace: 'x' } }), [
    'metadata.name: Invalid value: "b": field is immutable',
  ]);
  assert.equal(
    fieldErrorText(notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never'])),
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  );
  assert.deepEqual(validateFinalizers(['orphan', 'foregroundDeletion'], 'metadata.finalizers').map((e) => e.detail), [
    'finalizer orphan and foregroundDeletion cannot be both set',
  ]);
});

test('name validators per kind', () => {
  assert.deepEqual(nameValidatorFor({ group: '', plural: 'pods' })('a.b'), []);
  assert.equal(nameValidatorFor({ group: '', plural: 'namespaces' })('a.b').length, 1);
  assert.equal(nameValidatorFor({ group: '', plural: 'services' })('1a').length, 1);
});

test('port names and IP addresses', () => {
  const ports: [string, number][] = [['http', 0], ['web-8080', 0], ['8080', 1], ['a--b', 1], ['-ab', 1], ['abcdefghijklmnop', 1], ['HTTP', 2]];
  for (const [name, n] of ports) assert.equal(isValidPortName(name).length, n, name);
  const ips: [string, boolean][] = [
    ['10.0.0.1', true], ['255.255.255.255', true], ['256.1.1.1', false], ['01.1.1.1', false], ['1.2.3', false],
    ['::1', true], ['2001:db8::ffff', true], ['::ffff:1.2.3.4', true], ['1:2:3:4:5:6:7:8', true], ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false], ['g::1', false], ['', false],
  ];
  for (const [ip, ok] of ips) assert.equal(isIPAddress(ip), ok, ip);
});
