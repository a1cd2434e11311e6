import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitRequestURL } from './request.js';

test('splitRequestURL: plain API paths are taken as they are, with their query', () => {
  const cases: [string, string, Record<string, string>][] = [
    ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods', {}],
    ['/api/v1/pods?labelSelector=app%3Dweb&limit=500', '/api/v1/pods', { labelSelector: 'app=web', limit: '500' }],
    ['/apis/apps/v1/deployments?watch=1&resourceVersion=', '/apis/apps/v1/deployments', { watch: '1', resourceVersion: '' }],
    // What a URL parser rewrites goes through one.
    ['/api/v1/namespaces/a%2Db/pods', '/api/v1/namespaces/a%2Db/pods', {}],
    ['/api/v1/../v1/pods?x=1', '/api/v1/pods', { x: '1' }],
    ['/api/v1/./pods', '/api/v1/pods', {}],
    ['/api/v1/pods#frag', '/api/v1/pods', {}],
    ['/api\\v1', '/api/v1', {}],
  ];
  for (const [target, path, query] of cases) {
    const got = splitRequestURL(target);
    assert.equal(got.path, path, target);
    assert.deepEqual(Object.fromEntries(got.query), query, target);
  }
});
