import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { applyJsonPatch } from './json-patch.js';

// RFC 6902 Appendix A, plus the Kubernetes cases kubectl patch --type=json produces.
const ok: { name: string; doc: unknown; patch: unknown[]; want: unknown }[] = [
  { name: 'A.1 add an object member', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux' }], want: { baz: 'qux', foo: 'bar' } },
  { name: 'A.2 add an array element', doc: { foo: ['bar', 'baz'] }, patch: [{ op: 'add', path: '/foo/1', value: 'qux' }], want: { foo: ['bar', 'qux', 'baz'] } },
  { name: 'A.3 remove an object member', doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'remove', path: '/baz' }], want: { foo: 'bar' } },
  { name: 'A.4 remove an array element', doc: { foo: ['bar', 'qux', 'baz'] }, patch: [{ op: 'remove', path: '/foo/1' }], want: { foo: ['bar', 'baz'] } },
  { name: 'A.5 replace a value', doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'replace', path: '/baz', value: 'boo' }], want: { baz: 'boo', foo: 'bar' } },
  {
    name: 'A.6 move a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 move an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    want: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 test a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  { name: 'A.10 add a nested member object', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }], want: { foo: 'bar', child: { grandchild: {} } } },
  { name: 'A.11 ignore unrecognized elements', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], want: { foo: 'bar', baz: 'qux' } },
  { name: 'A.14 ~ escape ordering', doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: 10 }], want: { '/': 9, '~1': 10 } },
  { name: 'A.16 add an array value', doc: { foo: ['bar'] }, patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], want: { foo: ['bar', ['abc', 'def']] } },
  { name: '~1 addresses a key containing /', doc: { metadata: { labels: {} } }, patch: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' }], want: { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } } },
  { name: 'add replaces an existing member', doc: { a: 1 }, patch: [{ op: 'add', path: '/a', value: 2 }], want: { a: 2 } },
  { name: 'add at the end index', doc: { a: [1] }, patch: [{ op: 'add', path: '/a/1', value: 2 }], want: { a: [1, 2] } },
  { name: 'copy', doc: { a: { b: [1] } }, patch: [{ op: 'copy', from: '/a', path: '/c' }], want: { a: { b: [1] }, c: { b: [1] } } },
  { name: 'replace the whole document', doc: { a: 1 }, patch: [{ op: 'replace', path: '', value: { b: 2 } }], want: { b: 2 } },
  { name: 'test compares objects regardless of member order', doc: { a: { x: 1, y: 2 } }, patch: [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }], want: { a: { x: 1, y: 2 } } },
  {
    name: 'kubectl patch: replace an image by index',
    doc: { spec: { containers: [{ name: 'web', image: 'nginx:1.0' }] } },
    patch: [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2.0' }],
    want: { spec: { containers: [{ name: 'web', image: 'nginx:2.0' }] } },
  },
  { name: 'empty patch', doc: { a: 1 }, patch: [], want: { a: 1 } },
];

for (const c of ok) {
  test(`json patch: ${c.name}`, () => {
    const before = structuredClone(c.doc);
    assert.deepEqual(applyJsonPatch(c.doc, c.patch), c.want);
    assert.deepEqual(c.doc, before, 'input must not be modified');
  });
}

const failing: { name: string; doc: unknown; patch: unknown; code: number; message: RegExp }[] = [
  { name: 'A.9 test a value: error', doc: { baz: 'qux' }, patch: [{ op: 'test', path: '/baz', value: 'bar' }], code: 422, message: /operation 0 \(test "\/baz"\): test failed: value is "qux", expected "bar"/ },
  { name: 'A.12 add to a nonexistent target', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }], code: 422, message: /path "\/baz" does not exist/ },
  { name: 'A.15 strings and numbers differ', doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: '10' }], code: 422, message: /value is 10, expected "10"/ },
  { name: 'remove a missing member', doc: { a: 1 }, patch: [{ op: 'remove', path: '/b' }], code: 422, message: /operation 0 \(remove "\/b"\): path "\/b" does not exist/ },
  { name: 'replace a missing member', doc: { spec: {} }, patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }], code: 422, message: /path "\/spec\/replicas" does not exist/ },
  { name: 'index out of bounds', doc: { a: [1] }, patch: [{ op: 'add', path: '/a/5', value: 1 }], code: 422, message: /index 5 is out of bounds \(array length 1\)/ },
  { name: 'leading zero index', doc: { a: [1, 2] }, patch: [{ op: 'remove', path: '/a/01' }], code: 422, message: /"01" is not an array index/ },
  { name: '- only for add', doc: { a: [1] }, patch: [{ op: 'remove', path: '/a/-' }], code: 422, message: /"-" is not an array index/ },
  { name: 'move into own child', doc: { a: { b: {} } }, patch: [{ op: 'move', from: '/a', path: '/a/b/c' }], code: 422, message: /into its own child/ },
  { name: 'later operation fails: nothing applied', doc: { a: 1 }, patch: [{ op: 'replace', path: '/a', value: 2 }, { op: 'test', path: '/a', value: 3 }], code: 422, message: /operation 1/ },
  { name: 'not an array', doc: {}, patch: { op: 'add' }, code: 400, message: /must be an array/ },
  { name: 'unknown op', doc: {}, patch: [{ op: 'frobnicate', path: '/a' }], code: 422, message: /unknown op "frobnicate"/ },
  { name: 'missing value', doc: {}, patch: [{ op: 'add', path: '/a' }], code: 422, message: /has no "value"/ },
  { name: 'missing from', doc: {}, patch: [{ op: 'move', path: '/a' }], code: 422, message: /has no string "from"/ },
  { name: 'pointer without leading slash', doc: {}, patch: [{ op: 'add', path: 'a', value: 1 }], code: 422, message: /must be empty or start with "\/"/ },
  { name: 'bad escape', doc: {}, patch: [{ op: 'add', path: '/a~2', value: 1 }], code: 422, message: /bad escape/ },
];

for (const c of failing) {
  test(`json patch fails: ${c.name}`, () => {
    assert.throws(
      () => applyJsonPatch(c.doc, c.patch),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, c.code);
        assert.equal(err.reason, c.code === 400 ? 'BadRequest' : 'Invalid');
        assert.match(err.message, c.message);
        return true;
      },
    );
  });
}

test('a JSON patch of more than 10,000 operations is a 413, as kube-apiserver answers', () => {
  const ops = (n: number) => Array.from({ length: n }, () => ({ op: 'test', path: '/a', value: 1 }));
  assert.deepEqual(applyJsonPatch({ a: 1 }, ops(10_000)), { a: 1 });
  assert.throws(
    () => applyJsonPatch({ a: 1 }, ops(10_001)),
    (err: unknown) => err instanceof ApiError && err.code === 413 && /maximum operations in a JSON patch is 10000, got 10001/.test(err.message),
  );
});
