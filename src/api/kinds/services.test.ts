import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { clone } from '../object.js';
import { services } from './services.js';

function svc(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return { metadata: { name: 's', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, spec, status };
}

test('service defaults', () => {
  const s = svc({ selector: { app: 'web' }, ports: [{ port: 80 }, { port: 443, targetPort: 8443, protocol: 'UDP' }] });
  services.defaults(s);
  assert.equal(s.spec.type, 'ClusterIP');
  assert.equal(s.spec.sessionAffinity, 'None');
  assert.equal(s.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(s.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(s.spec.ipFamilies, ['IPv4']);
  assert.deepEqual(s.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 443, targetPort: 8443, protocol: 'UDP' }]);
  const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
  services.defaults(ext);
  assert.equal(ext.spec.internalTrafficPolicy, undefined);
  const lb = svc({ type: 'LoadBalancer', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' });
  services.defaults(lb);
  assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.equal(lb.spec.sessionAffinityConfig.clientIP.timeoutSeconds, 10800);
});

test('service validation', () => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: 'valid', spec: { ports: [{ port: 80 }] }, want: [] },
    { name: 'no ports', spec: {}, want: ['spec.ports: Required value'] },
    { name: 'headless without ports', spec: { clusterIP: 'None' }, want: [] },
    { name: 'external name', spec: { type: 'ExternalName', externalName: 'db.example.com' }, want: [] },
    { name: 'external name missing', spec: { type: 'ExternalName' }, want: ['spec.externalName: Required value'] },
    {
      name: 'names required with several ports',
      spec: { ports: [{ port: 80 }, { port: 0, name: 'b' }] },
      want: [
        'spec.ports[0].name: Required value',
        'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      ],
    },
    { name: 'duplicate names', spec: { ports: [{ port: 80, name: 'a' }, { port: 81, name: 'a' }] }, want: ['spec.ports[1].name: Duplicate value: "a"'] },
    {
      name: 'bad type',
      spec: { type: 'Magic', ports: [{ port: 80 }] },
      want: ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    },
    { name: 'bad selector', spec: { ports: [{ port: 80 }], selector: { app: 'a b' } }, want: ['spec.selector'] },
    { name: 'named target port', spec: { ports: [{ port: 80, targetPort: 'http' }] }, want: [] },
    {
      name: 'node port outside the node port range',
      spec: { type: 'NodePort', ports: [{ port: 80, name: 'a', nodePort: 8080 }, { port: 81, name: 'b', nodePort: 32768 }, { port: 82, name: 'c', nodePort: 32767 }], selector: {} },
      want: [
        'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
        'spec.ports[1].nodePort: Invalid value: 32768: provided port is not in the valid range. The range of valid ports is 30000-32767',
      ],
    },
  ];
  for (const c of cases) {
    const s = svc(c.spec);
    services.defaults(s);
    const got = services.validate(s).map(fieldErrorText);
    if (c.want.length === 1 && !c.want[0].includes(':')) assert.ok(got.length === 1 && got[0].startsWith(c.want[0]), `${c.name}: ${got}`);
    else assert.deepEqual(got, c.want, c.name);
  }
  const old = svc({ ports: [{ port: 80 }], clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
  services.defaults(old);
  const moved = clone(old);
  moved.spec.clusterIP = '10.96.0.11';
  assert.deepEqual(services.validate(moved, old).map(fieldErrorText), ['spec.clusterIPs[0]: Invalid value: "10.96.0.11": may not change once set']);
});

test('service table', () => {
  const now = Date.parse('2024-01-02T00:00:00Z');
  const cases: { name: string; obj: KubeObject; want: unknown[] }[] = [
    {
      name: 'cluster ip',
      obj: svc({ type: 'ClusterIP', clusterIPs: ['10.96.0.1'], ports: [{ port: 443, protocol: 'TCP' }], selector: { app: 'x' } }),
      want: ['ClusterIP', '10.96.0.1', '<none>', '443/TCP', '24h', 'app=x'],
    },
    {
      name: 'node port',
      obj: svc({ type: 'NodePort', clusterIP: '10.96.0.2', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }),
      want: ['NodePort', '10.96.0.2', '<none>', '80:30080/TCP,53/UDP', '24h', '<none>'],
    },
    {
      name: 'pending load balancer',
      obj: svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.3'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] }),
      want: ['LoadBalancer', '10.96.0.3', '<pending>', '80:31000/TCP', '24h', '<none>'],
    },
    {
      name: 'load balancer with ingress',
      obj: svc({ type: 'LoadBalancer', ports: [] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }),
      want: ['LoadBalancer', '<none>', '1.2.3.4', '<none>', '24h', '<none>'],
    },
    { name: 'external name', obj: svc({ type: 'ExternalName', externalName: 'db.example.com' }), want: ['ExternalName', '<none>', 'db.example.com', '<none>', '24h', '<none>'] },
  ];
  for (const c of cases) assert.deepEqual(services.cells(c.obj, now), c.want, c.name);
  assert.deepEqual(services.columns.map((c) => c.name), ['Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
});
