import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addLists,
  isExtendedResourceName,
  isIntegerResourceName,
  isScopeValidForResource,
  lessThanOrEqual,
  listsEqual,
  mask,
  objectCountName,
  parseResourceList,
  prettyPrint,
  removeZeros,
  resourceListJSON,
  subtractNonNegative,
} from './resources.js';

const rl = (m: Record<string, string>) => parseResourceList(m);

describe('quota resource names', () => {
  it('object counts are named by resource and group', () => {
    assert.equal(objectCountName('', 'pods'), 'count/pods');
    assert.equal(objectCountName('apps', 'deployments'), 'count/deployments.apps');
  });
  const integer: [string, boolean][] = [
    ['pods', true], ['services.nodeports', true], ['count/pods', true], ['count/deployments.apps', true], ['example.com/gpu', true],
    ['cpu', false], ['requests.memory', false], ['requests.nvidia.com/gpu', false], ['hugepages-2Mi', false], ['kubernetes.io/thing', false],
  ];
  for (const [name, want] of integer) it(`${name} ${want ? 'is' : 'is not'} counted in whole numbers`, () => assert.equal(isIntegerResourceName(name), want));
  it('extended resources are qualified names outside kubernetes.io', () => {
    assert.equal(isExtendedResourceName('nvidia.com/gpu'), true);
    assert.equal(isExtendedResourceName('cpu'), false);
    assert.equal(isExtendedResourceName('requests.nvidia.com/gpu'), false);
  });
  it('scopes limit which resources they may restrict', () => {
    assert.equal(isScopeValidForResource('BestEffort', 'pods'), true);
    assert.equal(isScopeValidForResource('BestEffort', 'cpu'), false);
    assert.equal(isScopeValidForResource('NotBestEffort', 'limits.memory'), true);
    assert.equal(isScopeValidForResource('Terminating', 'services'), false);
    assert.equal(isScopeValidForResource('CrossNamespacePodAffinity', 'requests.cpu'), true);
  });
});

describe('resource list arithmetic', () => {
  it('sums keep the first format, unless it was zero', () => {
    const sum = addLists(rl({ cpu: '500m', memory: '0' }), rl({ cpu: '1', memory: '512Mi', pods: '1' }));
    assert.deepEqual(resourceListJSON(sum), { cpu: '1500m', memory: '512Mi', pods: '1' });
  });
  it('subtraction never goes below zero', () => {
    assert.deepEqual(resourceListJSON(subtractNonNegative(rl({ a: '1', b: '3' }), rl({ a: '2', b: '1' }))), { a: '0', b: '2' });
  });
  it('LessThanOrEqual names what exceeds the limits it shares', () => {
    assert.deepEqual(lessThanOrEqual(rl({ pods: '3', cpu: '1', other: '9' }), rl({ pods: '2', cpu: '1' })), { ok: false, exceeded: ['pods'] });
    assert.deepEqual(lessThanOrEqual(rl({ cpu: '999m' }), rl({ cpu: '1', pods: '0' })), { ok: true, exceeded: [] });
  });
  it('mask, removeZeros and equality', () => {
    assert.deepEqual([...mask(rl({ a: '1', b: '2' }), ['b', 'c']).keys()], ['b']);
    assert.deepEqual([...removeZeros(rl({ a: '0', b: '2' })).keys()], ['b']);
    assert.equal(listsEqual(rl({ m: '1Gi' }), rl({ m: '1024Mi' })), true);
    assert.equal(listsEqual(rl({ m: '1Gi' }), rl({ m: '1Gi', n: '0' })), false);
  });
  it('errors print resources sorted, k=v joined by commas', () => {
    assert.equal(prettyPrint(rl({ 'requests.cpu': '1.5', pods: '2' })), 'pods=2,requests.cpu=1500m');
  });
});
