import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { endpoints, formatEndpoints } from './endpoints.js';

const ep = (subsets: unknown[]): KubeObject => ({ metadata: { name: 'e', namespace: 'default' }, subsets });

test('ENDPOINTS cell', () => {
  const cases: [unknown[], string][] = [
    [[], '<none>'],
    [[{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }], '10.0.0.1:80'],
    [[{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }], '10.0.0.1,10.0.0.2'],
    [[{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }], '[fd00::1]:80'],
    [
      [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }], ports: [{ port: 80 }, { port: 443 }] }],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 3 more...',
    ],
  ];
  for (const [subsets, want] of cases) assert.equal(formatEndpoints(ep(subsets)), want);
});

test('endpoints defaults and validation', () => {
  const e = ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: 'nope' }], ports: [{ port: 80 }] }]);
  endpoints.defaults(e);
  assert.equal(e.subsets[0].ports[0].protocol, 'TCP');
  assert.deepEqual(endpoints.validate(e).map((x) => x.field), ['subsets[0].addresses[1].ip']);
  assert.deepEqual(endpoints.shortNames, ['ep']);
  assert.deepEqual(endpoints.columns.map((c) => c.name), ['Endpoints', 'Age']);
});

test('endpoint addresses must be routable to a pod: loopback, link-local and unspecified are refused', () => {
  const e = ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '127.0.0.1' }], notReadyAddresses: [{ ip: '169.254.3.4' }, { ip: '0.0.0.0' }, { ip: '::1' }], ports: [{ port: 80 }] }]);
  endpoints.defaults(e);
  assert.deepEqual(
    endpoints.validate(e).map((x) => `${x.field}: ${x.detail}`),
    [
      'subsets[0].addresses[1].ip: may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'subsets[0].notReadyAddresses[0].ip: may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      'subsets[0].notReadyAddresses[1].ip: may not be unspecified (0.0.0.0)',
      'subsets[0].notReadyAddresses[2].ip: may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ],
  );
});
