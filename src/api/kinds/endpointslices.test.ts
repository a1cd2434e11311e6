import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { fieldErrorText } from '../errors.js';
import { endpointslices, formatSliceEndpoints, formatSlicePorts } from './endpointslices.js';

const slice = (over: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 's', namespace: 'default' },
  addressType: 'IPv4',
  endpoints: [],
  ...over,
});

/** Validation messages after defaulting, as the Status would list them. */
function errors(obj: KubeObject, old?: KubeObject): string[] {
  endpointslices.defaults(obj);
  return endpointslices.validate(obj, old).map(fieldErrorText);
}

describe('endpointslice table cells', () => {
  const eps = (...ips: string[][]) => ips.map((addresses) => ({ addresses }));
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['nothing', {}, '<unset>', '<unset>'],
    ['one port, one endpoint', { ports: [{ port: 8080 }], endpoints: eps(['10.0.0.1']) }, '8080', '10.0.0.1'],
    ['a port without number shows its name, or *', { ports: [{ name: 'http' }, {}] }, 'http,*', '<unset>'],
    [
      'more than three',
      { ports: [{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }], endpoints: eps(['10.0.0.1', '10.0.0.2'], ['10.0.0.3'], ['10.0.0.4'], ['10.0.0.5']) },
      '1,2,3 + 1 more...',
      '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...',
    ],
  ];
  for (const [name, over, ports, endpoints] of cases) {
    it(name, () => {
      const s = slice(over);
      assert.equal(formatSlicePorts(s), ports);
      assert.equal(formatSliceEndpoints(s), endpoints);
      assert.deepEqual(endpointslices.cells(s, 0).slice(0, 3), ['IPv4', ports, endpoints]);
    });
  }
  it('columns are kube-apiserver\'s', () => {
    assert.deepEqual(endpointslices.columns.map((c) => c.name), ['AddressType', 'Ports', 'Endpoints', 'Age']);
  });
});

describe('endpointslice defaults', () => {
  it('ports get an empty name and TCP; v1 drops deprecatedTopology', () => {
    const s = slice({ ports: [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }], endpoints: [{ addresses: ['10.0.0.1'], deprecatedTopology: { a: 'b' } }] });
    endpointslices.defaults(s);
    assert.deepEqual(s.ports, [{ port: 80, name: '', protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]);
    assert.deepEqual(s.endpoints, [{ addresses: ['10.0.0.1'] }]);
  });
});

describe('endpointslice validation', () => {
  const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));
  const cases: [string, KubeObject, string[]][] = [
    ['a valid slice', slice({ endpoints: [{ addresses: ['10.0.0.1'], hostname: 'web-0' }], ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP', appProtocol: 'kubernetes.io/h2c' }] }), []],
    ['addressType required', slice({ addressType: undefined }), ['addressType: Required value']],
    ['addressType supported', slice({ addressType: 'IP' }), ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']],
    ['an endpoint needs an address', slice({ endpoints: [{ addresses: [] }] }), ['endpoints[0].addresses: Required value: must contain at least 1 address']],
    [
      'IPv4 addresses must be IPv4 and routable',
      slice({ endpoints: [{ addresses: ['fd00::1', '127.0.0.1', '0.0.0.0', '169.254.1.1', '224.0.0.5', 'x', '10.1.2.3'] }] }),
      [
        'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
        'endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[2]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'endpoints[0].addresses[3]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'endpoints[0].addresses[4]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
        'endpoints[0].addresses[5]: Invalid value: "x": must be a valid IPv4 address',
        'endpoints[0].addresses[5]: Invalid value: "x": must be a valid IP address',
      ],
    ],
    [
      'IPv6 addresses',
      slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1', '::1', 'fe80::1', '10.0.0.1', '::ffff:127.0.0.1'] }] }),
      [
        'endpoints[0].addresses[1]: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[2]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'endpoints[0].addresses[3]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
        'endpoints[0].addresses[4]: Invalid value: "::ffff:127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      'FQDN addresses',
      slice({ addressType: 'FQDN', endpoints: [{ addresses: ['example.com', 'example.com.', 'localhost', 'Bad_Name.com'] }] }),
      [
        'endpoints[0].addresses[2]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
        'endpoints[0].addresses[3]: Invalid value: "Bad_Name.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      ],
    ],
    ['at most 100 addresses per endpoint', slice({ endpoints: [{ addresses: many(101, (i) => `10.0.0.${i + 1}`) }] }), ['endpoints[0].addresses: Too many: 101: must have at most 100 items']],
    ['at most 1000 endpoints', slice({ endpoints: many(1001, () => ({ addresses: ['10.0.0.1'] })) }), ['endpoints: Too many: 1001: must have at most 1000 items']],
    ['at most 100 ports', slice({ ports: many(101, (i) => ({ name: `p${i}`, port: 1000 + i })) }), ['ports: Too many: 101: must have at most 100 items']],
    [
      'port names unique (unnamed counts once), protocols known',
      slice({ ports: [{ port: 80 }, { port: 81 }, { name: 'HTTP', port: 82, protocol: 'HTTP' }, { name: 'x', appProtocol: 'not valid!' }] }),
      [
        'ports[1].name: Duplicate value: ""',
        'ports[2].name: Invalid value: "HTTP": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
        'ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'ports[3].appProtocol: Invalid value: "not valid!": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      ],
    ],
    ['hostname is a DNS label', slice({ endpoints: [{ addresses: ['10.0.0.1'], hostname: 'a.b' }] }), ['endpoints[0].hostname: Invalid value: "a.b": must not contain dots']],
  ];
  for (const [name, obj, want] of cases) it(name, () => assert.deepEqual(errors(obj), want));

  it('addressType is immutable; the deprecated "IP" is kept on update', () => {
    assert.deepEqual(errors(slice({ addressType: 'IPv6' }), slice()), ['addressType: Invalid value: "IPv6": field is immutable']);
    assert.deepEqual(errors(slice({ addressType: 'IP' }), slice({ addressType: 'IP' })), []);
    assert.deepEqual(errors(slice({ addressType: 'IPX' }), slice()), [
      'addressType: Unsupported value: "IPX": supported values: "FQDN", "IP", "IPv4", "IPv6"',
      'addressType: Invalid value: "IPX": field is immutable',
    ]);
  });
});
