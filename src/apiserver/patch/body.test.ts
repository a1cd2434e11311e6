import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { applyPatch, parsePatchBody } from './body.js';

const enc = (s: string) => new TextEncoder().encode(s);
const deployment = { group: 'apps', kind: 'Deployment' };

function assertApiError(fn: () => unknown, code: number, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

test('parsePatchBody decodes JSON types and YAML (or JSON) apply bodies', () => {
  const cases: [string, string, unknown][] = [
    ['application/merge-patch+json', '{"spec":{"replicas":3}}', { spec: { replicas: 3 } }],
    ['application/json-patch+json; charset=utf-8', '[{"op":"remove","path":"/a"}]', [{ op: 'remove', path: '/a' }]],
    ['application/strategic-merge-patch+json', '{"a":null}', { a: null }],
    ['application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: "1"\n', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: '1' } }],
    ['application/apply-patch+yaml', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }],
  ];
  for (const [type, body, want] of cases) {
    assert.deepEqual(parsePatchBody(type, enc(body)), want, type);
    assert.deepEqual(parsePatchBody(type, body), want, type);
  }
});

test('parsePatchBody: malformed bodies are 400 saying what and where', () => {
  assertApiError(() => parsePatchBody('application/merge-patch+json', enc('{"spec":\n  {"replicas": 3,}}')), 400, /invalid JSON at line 2, column \d+/);
  assertApiError(() => parsePatchBody('application/merge-patch+json', enc('')), 400, /empty/);
  assertApiError(() => parsePatchBody('application/apply-patch+yaml', enc('metadata:\n  name: [a\n')), 400, /invalid YAML at line \d+, column \d+/);
  assertApiError(() => parsePatchBody('application/apply-patch+yaml', enc('a: 1\n---\nb: 2\n')), 400, /exactly one YAML document, found 2/);
  assertApiError(() => parsePatchBody('application/apply-patch+yaml', enc('- a\n')), 400, /must be an object, got a list/);
  assertApiError(() => parsePatchBody('text/plain', enc('{}')), 415, /unknown format.*got text\/plain/);
});

test('parsePatchBody: an apply body whose aliases expand without bound is a 400, not a 500', () => {
  // Each level repeats the one before ten times: 10^7 nodes once resolved.
  const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 7; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  assertApiError(() => parsePatchBody('application/apply-patch+yaml', enc(levels.join('\n') + '\n')), 400, /error decoding apply patch: .*alias/i);
});

test('applyPatch dispatches the three patch types', () => {
  const original = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] } } } };
  assert.deepEqual(applyPatch('application/merge-patch+json', original, '{"spec":{"replicas":3}}', deployment), {
    spec: { replicas: 3, template: original.spec.template },
  });
  assert.deepEqual(applyPatch('application/json-patch+json', original, '[{"op":"replace","path":"/spec/replicas","value":2}]', deployment), {
    spec: { replicas: 2, template: original.spec.template },
  });
  assert.deepEqual(
    applyPatch('application/strategic-merge-patch+json', original, '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"2"}]}}}}', deployment),
    { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] } } } },
  );
  assertApiError(() => applyPatch('application/merge-patch+json', original, '[1]', deployment), 400, /must be a JSON object/);
  assertApiError(() => applyPatch('application/apply-patch+yaml', original, 'a: 1', deployment), 415, /accepted media types include: application\/json-patch\+json/);
  assertApiError(() => applyPatch('application/json', original, '{}', deployment), 415, /unknown format/);
});
