import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, NodeInfo, newPodInfo, nodeAllocatable, podHostPorts, podRequests } from './nodeinfo.js';
import { makeNode, makePod } from './testutil.js';

const Mi = 1024 * 1024;

describe('podRequests', () => {
  const cases: Array<{ name: string; pod: ReturnType<typeof makePod>; want: { milliCPU: number; memory: number }; nonZero?: boolean }> = [
    { name: 'one container', pod: makePod('a', { cpu: '250m', memory: '64Mi' }), want: { milliCPU: 250, memory: 64 * Mi } },
    { name: 'nothing requested', pod: makePod('a'), want: { milliCPU: 0, memory: 0 } },
    {
      name: 'nothing requested, non-zero defaults for scoring',
      pod: makePod('a'),
      nonZero: true,
      want: { milliCPU: DEFAULT_MILLI_CPU_REQUEST, memory: DEFAULT_MEMORY_REQUEST },
    },
    {
      name: 'an init container bigger than the containers wins',
      pod: makePod('a', { cpu: '100m', memory: '10Mi', initContainers: [{ cpu: '1', memory: '1Mi' }] }),
      want: { milliCPU: 1000, memory: 10 * Mi },
    },
    {
      name: 'sidecars add to the containers and run beside later init containers',
      pod: makePod('a', {
        cpu: '100m',
        initContainers: [{ cpu: '200m', restartPolicy: 'Always' }, { cpu: '500m' }],
      }),
      // containers + sidecar = 300m; init container runs beside the sidecar: 700m.
      want: { milliCPU: 700, memory: 0 },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(podRequests(c.pod, c.nonZero), c.want));

  it('adds pod overhead', () => {
    const pod = makePod('a', { cpu: '100m' });
    pod.spec.overhead = { cpu: '50m', memory: '1Mi' };
    assert.deepEqual(podRequests(pod), { milliCPU: 150, memory: Mi });
  });
});

describe('podHostPorts', () => {
  it('defaults address and protocol and ignores ports without hostPort', () => {
    const pod = makePod('a', { hostPorts: [{ hostPort: 80 }, { hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] });
    pod.spec.containers[0].ports.push({ containerPort: 9090 });
    assert.deepEqual(podHostPorts(pod), [
      { ip: '0.0.0.0', protocol: 'TCP', port: 80 },
      { ip: '10.0.0.1', protocol: 'UDP', port: 53 },
    ]);
  });
});

describe('NodeInfo', () => {
  it('reads allocatable through quantities', () => {
    assert.deepEqual(nodeAllocatable(makeNode('n', { cpu: '3500m', memory: '2Gi', pods: '10' })), { milliCPU: 3500, memory: 2048 * Mi, pods: 10 });
  });

  it('adds and removes pods incrementally', () => {
    const ni = new NodeInfo('n', makeNode('n'));
    const a = newPodInfo(makePod('a', { cpu: '1', memory: '1Gi', hostPorts: [{ hostPort: 80 }], owner: { kind: 'ReplicaSet', name: 'rs', uid: 'rs1' } }));
    const b = newPodInfo(makePod('b', { owner: { kind: 'ReplicaSet', name: 'rs', uid: 'rs1' } }));
    ni.addPod(a);
    ni.addPod(b);
    assert.deepEqual(ni.requested, { milliCPU: 1000, memory: 1024 * Mi });
    assert.deepEqual(ni.nonZeroRequested, { milliCPU: 1100, memory: 1024 * Mi + DEFAULT_MEMORY_REQUEST });
    assert.equal(ni.podsOfController('rs1'), 2);
    assert.equal(ni.portInUse({ ip: '0.0.0.0', protocol: 'TCP', port: 80 }), true);
    assert.equal(ni.portInUse({ ip: '10.1.1.1', protocol: 'TCP', port: 80 }), true, '0.0.0.0 holds every address');
    assert.equal(ni.portInUse({ ip: '0.0.0.0', protocol: 'UDP', port: 80 }), false);
    ni.removePod(a.key);
    assert.deepEqual(ni.requested, { milliCPU: 0, memory: 0 });
    assert.equal(ni.podsOfController('rs1'), 1);
    assert.equal(ni.portInUse({ ip: '0.0.0.0', protocol: 'TCP', port: 80 }), false);
    assert.equal(ni.pods.size, 1);
  });

  it('a specific address conflicts with the same address and with the wildcard only', () => {
    const ni = new NodeInfo('n', makeNode('n'));
    ni.addPod(newPodInfo(makePod('a', { hostPorts: [{ hostPort: 8080, hostIP: '10.0.0.1' }] })));
    assert.equal(ni.portInUse({ ip: '10.0.0.1', protocol: 'TCP', port: 8080 }), true);
    assert.equal(ni.portInUse({ ip: '10.0.0.2', protocol: 'TCP', port: 8080 }), false);
    assert.equal(ni.portInUse({ ip: '0.0.0.0', protocol: 'TCP', port: 8080 }), true);
  });
});
