import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compactRules,
  compactString,
  covers,
  nonResourceAttributes,
  resourceAttributes,
  rule,
  ruleAllows,
  toPolicyRule,
  fromPolicyRule,
  breakdownRule,
  type RequestAttributes,
} from './policy-rule.js';

const res = (verb: string, resource: string, more: Partial<RequestAttributes> = {}) => resourceAttributes({ verb, resource, ...more });

test('a rule allows a request by verb, group, resource (incl. * and */sub), name and URL', () => {
  const cases: [string, ReturnType<typeof rule>, RequestAttributes, boolean][] = [
    ['exact', rule(['get'], { groups: [''], resources: ['pods'] }), res('get', 'pods'), true],
    ['other verb', rule(['get'], { groups: [''], resources: ['pods'] }), res('list', 'pods'), false],
    ['verb *', rule(['*'], { groups: [''], resources: ['pods'] }), res('deletecollection', 'pods'), true],
    ['other group', rule(['get'], { groups: ['apps'], resources: ['pods'] }), res('get', 'pods'), false],
    ['group *', rule(['get'], { groups: ['*'], resources: ['deployments'] }), res('get', 'deployments', { apiGroup: 'apps' }), true],
    ['resource *', rule(['get'], { groups: [''], resources: ['*'] }), res('get', 'pods', { subresource: 'log' }), true],
    ['resource without its subresource', rule(['get'], { groups: [''], resources: ['pods'] }), res('get', 'pods', { subresource: 'log' }), false],
    ['res/sub', rule(['get'], { groups: [''], resources: ['pods/log'] }), res('get', 'pods', { subresource: 'log' }), true],
    ['res/sub is not the resource', rule(['get'], { groups: [''], resources: ['pods/log'] }), res('get', 'pods'), false],
    ['*/sub', rule(['update'], { groups: ['*'], resources: ['*/status'] }), res('update', 'deployments', { apiGroup: 'apps', subresource: 'status' }), true],
    ['*/sub of another sub', rule(['update'], { groups: ['*'], resources: ['*/status'] }), res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), false],
    ['*/sub without a subresource', rule(['get'], { groups: [''], resources: ['*/status'] }), res('get', 'pods'), false],
    ['named', rule(['get'], { groups: [''], resources: ['configmaps'], names: ['a', 'b'] }), res('get', 'configmaps', { name: 'b' }), true],
    ['other name', rule(['get'], { groups: [''], resources: ['configmaps'], names: ['a'] }), res('get', 'configmaps', { name: 'c' }), false],
    ['names and a list (no name)', rule(['list'], { groups: [''], resources: ['configmaps'], names: ['a'] }), res('list', 'configmaps'), false],
    ['url', rule(['get'], { urls: ['/healthz'] }), nonResourceAttributes('get', '/healthz'), true],
    ['url prefix *', rule(['get'], { urls: ['/apis/*'] }), nonResourceAttributes('get', '/apis/apps/v1'), true],
    ['url prefix * matches the bare prefix', rule(['get'], { urls: ['/apis/*'] }), nonResourceAttributes('get', '/apis/'), true],
    ['url prefix * is not the path without slash', rule(['get'], { urls: ['/apis/*'] }), nonResourceAttributes('get', '/apis'), false],
    ['url *', rule(['*'], { urls: ['*'] }), nonResourceAttributes('post', '/anything'), true],
    ['url wrong verb', rule(['get'], { urls: ['/healthz'] }), nonResourceAttributes('post', '/healthz'), false],
    ['resource rule, path request', rule(['*'], { groups: ['*'], resources: ['*'] }), nonResourceAttributes('get', '/version'), false],
    ['url rule, resource request', rule(['*'], { urls: ['*'] }), res('get', 'pods'), false],
  ];
  for (const [name, r, attrs, want] of cases) assert.equal(ruleAllows(attrs, r), want, name);
});

test('stored rules read leniently and write back in wire form', () => {
  const r = toPolicyRule({ verbs: ['get', 7], apiGroups: 'x', resources: ['pods'] });
  assert.deepEqual(r, { verbs: ['get'], apiGroups: [], resources: ['pods'], resourceNames: [], nonResourceURLs: [] });
  assert.deepEqual(fromPolicyRule(r), { verbs: ['get'], resources: ['pods'] });
  assert.equal(breakdownRule(rule(['get', 'list'], { groups: ['', 'apps'], resources: ['a', 'b'], names: ['x', 'y'] })).length, 16);
});

test('covers: what an owner holds covers what it would grant, piece by piece', () => {
  const owner = [
    rule(['get', 'list', 'watch'], { groups: [''], resources: ['pods', 'configmaps'] }),
    rule(['*'], { groups: ['apps'], resources: ['deployments', '*/scale'] }),
    rule(['get'], { groups: [''], resources: ['secrets'], names: ['mine'] }),
    rule(['get'], { urls: ['/healthz', '/apis/*'] }),
  ];
  const cases: [string, ReturnType<typeof rule>[], boolean][] = [
    ['subset of verbs and resources', [rule(['get'], { groups: [''], resources: ['pods'] })], true],
    ['a verb more', [rule(['get', 'delete'], { groups: [''], resources: ['pods'] })], false],
    ['verb * held', [rule(['delete', 'patch'], { groups: ['apps'], resources: ['deployments'] })], true],
    ['*/scale covers any scale', [rule(['update'], { groups: ['apps'], resources: ['replicasets/scale'] })], true],
    ['*/scale does not cover the resource', [rule(['update'], { groups: ['apps'], resources: ['replicasets'] })], false],
    ['a named secret', [rule(['get'], { groups: [''], resources: ['secrets'], names: ['mine'] })], true],
    ['every secret', [rule(['get'], { groups: [''], resources: ['secrets'] })], false],
    ['a name under an unnamed rule', [rule(['get'], { groups: [''], resources: ['pods'], names: ['p'] })], true],
    ['url under a prefix', [rule(['get'], { urls: ['/apis/apps'] })], true],
    ['url prefix under a prefix', [rule(['get'], { urls: ['/apis/apps/*'] })], true],
    ['url outside', [rule(['get'], { urls: ['/version'] })], false],
    ['nothing', [], true],
  ];
  for (const [name, servant, want] of cases) assert.equal(covers(owner, servant).covered, want, name);
  const { missing } = covers(owner, [rule(['get', 'delete', 'create'], { groups: [''], resources: ['pods', 'secrets'] })]);
  assert.deepEqual(
    compactRules(missing).map(compactString),
    ['{APIGroups:[""], Resources:["pods"], Verbs:["delete" "create"]}', '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete" "create"]}'],
  );
});

test("CompactString prints what a rule holds in kube's order", () => {
  assert.equal(compactString(rule(['get'], { urls: ['/a', '/b*'] })), '{NonResourceURLs:["/a" "/b*"], Verbs:["get"]}');
  assert.equal(
    compactString(rule(['get', 'update'], { groups: ['apps'], resources: ['deployments'], names: ['web'] })),
    '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["get" "update"]}',
  );
  // Rules with several groups stay as they are.
  const multi = rule(['get'], { groups: ['', 'apps'], resources: ['x'] });
  assert.deepEqual(compactRules([multi, rule(['list'], { groups: [''], resources: ['x'] })]).map(compactString), [
    '{APIGroups:["" "apps"], Resources:["x"], Verbs:["get"]}',
    '{APIGroups:[""], Resources:["x"], Verbs:["list"]}',
  ]);
});
