import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import { parsePath, splitRequestURL } from './request.js';

test('splitRequestURL: the path as sent, with its query', () => {
  const cases: [string, string, Record<string, string>][] = [
    ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods', {}],
    ['/api/v1/pods?labelSelector=app%3Dweb&limit=500', '/api/v1/pods', { labelSelector: 'app=web', limit: '500' }],
    ['/apis/apps/v1/deployments?watch=1&resourceVersion=', '/apis/apps/v1/deployments', { watch: '1', resourceVersion: '' }],
    ['/api/v1/namespaces/a%2Db/pods', '/api/v1/namespaces/a%2Db/pods', {}],
    ['/api/v1/pods#frag', '/api/v1/pods', {}],
    ['https://127.0.0.1:6443/api/v1/pods?limit=1', '/api/v1/pods', { limit: '1' }],
    // Dot segments and backslashes are not resolved: parsePath refuses what it cannot name.
    ['/api/v1/namespaces/default/pods/..', '/api/v1/namespaces/default/pods/..', {}],
    ['/api\\v1', '/api\\v1', {}],
  ];
  for (const [target, path, query] of cases) {
    const got = splitRequestURL(target);
    assert.equal(got.path, path, target);
    assert.deepEqual(Object.fromEntries(got.query), query, target);
  }
});

test('parsePath: names what the path names, decoding it whole as Go does', () => {
  assert.deepEqual(parsePath('/api/v1/namespaces/a%2Db/pods/x/status'), {
    type: 'resource',
    path: { group: '', version: 'v1', resource: 'pods', namespace: 'a-b', name: 'x', subresource: 'status' },
  });
  // An encoded slash separates segments; it never becomes part of a name.
  assert.deepEqual(parsePath('/api/v1/namespaces/default/pods/a%2Fb'), {
    type: 'resource',
    path: { group: '', version: 'v1', resource: 'pods', namespace: 'default', name: 'a', subresource: 'b' },
  });
  assert.deepEqual(parsePath('/apis/apps/v1/deployments'), {
    type: 'resource',
    path: { group: 'apps', version: 'v1', resource: 'deployments', name: undefined, subresource: undefined },
  });
});

test('parsePath: dot segments and malformed escapes are a 400, never another object', () => {
  for (const p of [
    // Resolved, these would name the namespace "default" (a DELETE would delete it).
    '/api/v1/namespaces/default/pods/..',
    '/api/v1/namespaces/default/pods/%2E%2E',
    '/api/v1/namespaces/default/pods/%2e',
    '/api/v1/namespaces/../pods',
    '/api/v1/./pods',
    '/api/v1/namespaces/default/pods/%',
    '/api/v1/namespaces/default/pods/%zz',
    '/api/v1/namespaces/default/pods/%C0%AF',
  ]) {
    assert.throws(() => parsePath(p), (e: unknown) => e instanceof ApiError && e.code === 400, p);
  }
});
