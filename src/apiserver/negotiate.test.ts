import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, negotiateDiscovery } from './negotiate.js';

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

test('object, Table and PartialObjectMetadata are negotiated by meta.k8s.io group and version; nothing on offer is a 406', () => {
  const table = 'application/json;as=Table;v=v1;g=meta.k8s.io';
  const cases: [string | undefined, string | number][] = [
    [undefined, 'object'],
    ['application/json', 'object'],
    [`${table},application/json`, 'table'],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io', 'table'],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'partial'],
    // A version or group meta.k8s.io does not serve is passed over for the next alternative.
    ['application/json;as=Table;v=v9;g=meta.k8s.io,application/json', 'object'],
    ['application/json;as=Table;v=v1;g=example.com,application/json', 'object'],
    ['application/json;as=Table;v=v9;g=meta.k8s.io', 406],
    ['text/html', 406],
  ];
  for (const [accept, want] of cases) {
    try {
      assert.equal(negotiate(accept).shape, want, `Accept: ${accept}`);
    } catch (err) {
      if (typeof want !== 'number') throw err;
      assert.equal((err as { code?: number }).code, want, `Accept: ${accept}`);
    }
  }
});
