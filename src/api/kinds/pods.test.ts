import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { clone } from '../object.js';
import { podQOSClass, podStatusCells, pods } from './pods.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z', ...meta },
    spec: { containers: [{ name: 'c', image: 'nginx:1.25' }], ...spec },
    status,
  };
}

test('pod defaults', () => {
  const p = pod({
    containers: [
      { name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } },
      { name: 'b', image: 'nginx:1.25' },
      { name: 'c', image: 'nginx:latest' },
      { name: 'd', image: 'nginx@sha256:abc' },
      { name: 'e', image: 'localhost:5000/app' },
      { name: 'f', image: 'app', imagePullPolicy: 'Never' },
    ],
  });
  pods.defaults(p);
  const s = p.spec;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  assert.deepEqual(
    s.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy),
    ['Always', 'IfNotPresent', 'Always', 'IfNotPresent', 'Always', 'Never'],
  );
  assert.equal(s.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(s.containers[0].terminationMessagePolicy, 'File');
  assert.equal(s.containers[0].ports[0].protocol, 'TCP');
  assert.deepEqual(s.containers[0].resources, { limits: { cpu: '1' }, requests: { cpu: '1' } }, 'requests default to limits');
  assert.deepEqual(s.containers[1].resources, {});
});

test('QoS class', () => {
  const cases: [string, unknown[], string][] = [
    ['no resources', [{}], 'BestEffort'],
    ['requests only', [{ requests: { cpu: '100m' } }], 'Burstable'],
    ['equal limits', [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } }], 'Guaranteed'],
    ['limits without requests (defaulted)', [{ limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['cpu only limit', [{ limits: { cpu: '1' } }], 'Burstable'],
    ['one container unlimited', [{ limits: { cpu: '1', memory: '1Gi' } }, {}], 'Burstable'],
    ['zero quantities are ignored', [{ requests: { cpu: '0' } }], 'BestEffort'],
  ];
  for (const [name, resources, want] of cases) {
    const p = pod({ containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) });
    pods.defaults(p);
    assert.equal(podQOSClass(p), want, name);
  }
});

test('pod validation', () => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: 'valid', spec: {}, want: [] },
    { name: 'no containers', spec: { containers: [] }, want: ['spec.containers: Required value'] },
    {
      name: 'bad container name and missing image',
      spec: { containers: [{ name: 'Web' }] },
      want: [
        `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        'spec.containers[0].image: Required value',
      ],
    },
    {
      name: 'duplicate names across init and app containers',
      spec: { initContainers: [{ name: 'c', image: 'x' }] },
      want: ['spec.initContainers[0].name: Duplicate value: "c"'],
    },
    {
      name: 'ports',
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 70000, name: 'http' }, { containerPort: 80, name: 'http', protocol: 'ICMP' }] }] },
      want: [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[1].name: Duplicate value: "http"',
        'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      ],
    },
    {
      name: 'resources',
      spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2', memory: '1Gb' }, limits: { cpu: '1' } } }] },
      want: [
        `spec.containers[0].resources.requests[memory]: Invalid value: "1Gb": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    },
    {
      name: 'volumes and mounts',
      spec: {
        volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {}, hostPath: { path: '/' } }, { name: 'b' }],
        containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'a', mountPath: '/a' }, { name: 'zz', mountPath: '/a' }] }],
      },
      want: [
        'spec.volumes[1].name: Duplicate value: "a"',
        'spec.volumes[1].emptyDir: Forbidden: may not specify more than 1 volume type',
        'spec.volumes[2]: Required value: must specify a volume type',
        'spec.containers[0].volumeMounts[1].name: Not found: "zz"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique',
      ],
    },
    {
      name: 'restart policy',
      spec: { restartPolicy: 'Sometimes' },
      want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    },
  ];
  for (const c of cases) {
    const p = pod(c.spec);
    pods.defaults(p);
    assert.deepEqual(pods.validate(p).map(fieldErrorText), c.want, c.name);
  }
});

test('pod updates', () => {
  const old = pod({ tolerations: [{ key: 'a', operator: 'Exists' }], activeDeadlineSeconds: 100 });
  pods.defaults(old);
  const allowed = clone(old);
  allowed.spec.containers[0].image = 'nginx:1.26';
  allowed.spec.tolerations.push({ key: 'b', operator: 'Exists' });
  allowed.spec.activeDeadlineSeconds = 50;
  assert.deepEqual(pods.validate(allowed, old), []);

  const forbiddenChange = clone(old);
  forbiddenChange.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
  const errs = pods.validate(forbiddenChange, old).map(fieldErrorText);
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);

  const longer = clone(old);
  longer.spec.activeDeadlineSeconds = 200;
  assert.deepEqual(pods.validate(longer, old).map(fieldErrorText), [
    'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
  ]);
  const removedToleration = clone(old);
  removedToleration.spec.tolerations = [];
  assert.equal(pods.validate(removedToleration, old).length, 1);
});

const running = { state: { running: { startedAt: '2024-01-01T00:00:10Z' } }, ready: true, restartCount: 0 };

test('READY, STATUS and RESTARTS cells', () => {
  const cases: { name: string; pod: KubeObject; want: [string, string, string] }[] = [
    { name: 'pending', pod: pod({}, { phase: 'Pending' }), want: ['0/1', 'Pending', '0'] },
    {
      name: 'creating',
      pod: pod({}, { phase: 'Pending', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } }, restartCount: 0 }] }),
      want: ['0/1', 'ContainerCreating', '0'],
    },
    { name: 'running', pod: pod({}, { phase: 'Running', containerStatuses: [{ name: 'c', ...running }] }), want: ['1/1', 'Running', '0'] },
    {
      name: 'crash loop with last restart',
      pod: pod({}, {
        phase: 'Running',
        containerStatuses: [{
          name: 'c',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: '2024-01-01T00:55:00Z' } },
          restartCount: 4,
        }],
      }),
      want: ['0/1', 'CrashLoopBackOff', '4 (5m ago)'],
    },
    {
      name: 'completed',
      pod: pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      want: ['0/1', 'Completed', '0'],
    },
    {
      name: 'exit code without reason',
      pod: pod({}, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 2 } } }] }),
      want: ['0/1', 'ExitCode:2', '0'],
    },
    {
      name: 'init progress',
      pod: pod(
        { initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'i1', state: { terminated: { exitCode: 0 } } },
            { name: 'i2', state: { running: {} } },
          ],
        },
      ),
      want: ['0/1', 'Init:1/2', '0'],
    },
    {
      name: 'init failing',
      pod: pod(
        { initContainers: [{ name: 'i1', image: 'x' }] },
        { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 2 }] },
      ),
      want: ['0/1', 'Init:CrashLoopBackOff', '2'],
    },
    {
      name: 'sidecar counts toward ready',
      pod: pod(
        { initContainers: [{ name: 's', image: 'x', restartPolicy: 'Always' }] },
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [{ name: 's', started: true, ready: true, state: { running: {} } }],
          containerStatuses: [{ name: 'c', ...running }],
        },
      ),
      want: ['2/2', 'Running', '0'],
    },
    {
      name: 'terminating',
      pod: pod({}, { phase: 'Running', containerStatuses: [{ name: 'c', ...running }] }, { deletionTimestamp: '2024-01-01T00:59:00Z' }),
      want: ['1/1', 'Terminating', '0'],
    },
    {
      name: 'node lost',
      pod: pod({}, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: '2024-01-01T00:59:00Z' }),
      want: ['0/1', 'Unknown', '0'],
    },
  ];
  for (const c of cases) assert.deepEqual(podStatusCells(c.pod, NOW), c.want, c.name);
});

test('columns, cells and selectable fields', () => {
  assert.deepEqual(pods.columns.map((c) => `${c.name}/${c.priority}`), [
    'Ready/0', 'Status/0', 'Restarts/0', 'Age/0', 'IP/1', 'Node/1', 'Nominated Node/1', 'Readiness Gates/1',
  ]);
  const p = pod({ nodeName: 'n1', readinessGates: [{ conditionType: 'x' }] }, { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], conditions: [{ type: 'x', status: 'True' }] });
  assert.deepEqual(pods.cells(p, NOW), ['0/1', 'Running', '0', '60m', '10.0.0.5', 'n1', '<none>', '1/1']);
  pods.defaults(p);
  assert.deepEqual(pods.selectableFields(p), {
    'spec.nodeName': 'n1',
    'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': '',
    'spec.hostNetwork': 'false',
    'status.phase': 'Running',
    'status.podIP': '10.0.0.5',
    'status.nominatedNodeName': '',
  });
});
