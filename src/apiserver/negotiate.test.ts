import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiateDiscovery } from './negotiate.js';

const v2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const v2beta1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

test('discovery answers aggregated only when it is offered before plain JSON', () => {
  const cases: [string | undefined, string | undefined][] = [
    // client-go 1.30+ (kubectl 1.32): v2, then v2beta1, then plain JSON.
    [`${v2},${v2beta1},application/json`, 'v2'],
    // client-go 1.26–1.29 offered v2beta1 only.
    [`${v2beta1},application/json`, 'v2beta1'],
    [`application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,${v2beta1}`, 'v2beta1'],
    [` application/json ; g=apidiscovery.k8s.io ; v=v2 ; as=APIGroupDiscoveryList`, 'v2'],
    // Protobuf is not written for discovery: passed over.
    [`application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,${v2}`, 'v2'],
    [`application/json,${v2}`, undefined],
    ['application/json, */*', undefined],
    ['*/*;q=0.8', undefined],
    ['text/html', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [accept, want] of cases) assert.equal(negotiateDiscovery(accept), want, `Accept: ${accept}`);
});
