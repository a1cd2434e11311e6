import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiError } from '../../api/errors.js';
import { decodeKubernetesProtobuf, formatGoDuration, PROTOBUF_CONTENT_TYPE } from './decode.js';

// ---- A tiny protobuf encoder for hand-built bodies ----

type Bytes = number[];

function varint(v: number | bigint): Bytes {
  let u = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  do {
    let b = Number(u & 0x7fn);
    u >>= 7n;
    if (u) b |= 0x80;
    out.push(b);
  } while (u);
  return out;
}
const key = (field: number, wireType: number): Bytes => varint((field << 3) | wireType);
/** Varint field. */
const vi = (field: number, v: number | bigint): Bytes => [...key(field, 0), ...varint(v)];
/** Length-delimited field holding the concatenation of `parts` (an embedded message). */
const msg = (field: number, ...parts: Bytes[]): Bytes => {
  const body = parts.flat();
  return [...key(field, 2), ...varint(body.length), ...body];
};
const str = (field: number, s: string): Bytes => msg(field, [...Buffer.from(s)]);
/** A map<string, V> entry; `value` is already encoded as field 2. */
const entry = (field: number, k: string, value: Bytes = []): Bytes => msg(field, str(1, k), value);
const fixed64 = (field: number, v: number): Bytes => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...key(field, 1), ...b];
};

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
function envelope(apiVersion: string, kind: string, ...raw: Bytes[]): Uint8Array {
  return Uint8Array.from([...MAGIC, ...msg(1, str(1, apiVersion), str(2, kind)), ...msg(2, ...raw), ...str(3, ''), ...str(4, '')]);
}

/** ObjectMeta as Go writes it for a new object: every value field present, even when empty. */
const newObjectMeta = (name: string, ...extra: Bytes[]): Bytes =>
  msg(1, str(1, name), str(2, ''), str(3, ''), str(4, ''), str(5, ''), str(6, ''), vi(7, 0), msg(8), ...extra);

// 2026-01-02T03:04:05Z
const T = 1767323045;

describe('decodeKubernetesProtobuf', () => {
  const cases: { name: string; body: Uint8Array; want: Record<string, unknown> }[] = [
    {
      name: 'namespace: empty strings dropped, empty creationTimestamp is null, empty structs are {}',
      body: envelope('v1', 'Namespace', newObjectMeta('foo'), msg(2), msg(3, str(1, ''))),
      want: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'foo', creationTimestamp: null }, spec: {}, status: {} },
    },
    {
      name: 'configmap: string map, bytes map as base64, entry without a value',
      body: envelope(
        'v1',
        'ConfigMap',
        msg(1, str(1, 'c'), str(3, 'ns'), msg(8, vi(1, T)), entry(11, 'app', str(2, 'web')), str(14, 'f1'), str(14, 'f2')),
        entry(2, 'a', str(2, 'b')),
        entry(2, 'empty'),
        entry(3, 'bin', msg(2, [0, 1, 2, 0xff])),
        vi(4, 1),
      ),
      want: {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { name: 'c', namespace: 'ns', creationTimestamp: '2026-01-02T03:04:05Z', labels: { app: 'web' }, finalizers: ['f1', 'f2'] },
        data: { a: 'b', empty: '' },
        binaryData: { bin: 'AAEC/w==' },
        immutable: true,
      },
    },
    {
      name: 'secret: data is base64, stringData stays text, type kept',
      body: envelope('v1', 'Secret', newObjectMeta('s'), entry(2, 'k', msg(2, [...Buffer.from('v')])), str(3, 'Opaque'), entry(4, 'plain', str(2, 'text'))),
      want: {
        kind: 'Secret',
        apiVersion: 'v1',
        metadata: { name: 's', creationTimestamp: null },
        data: { k: 'dg==' },
        type: 'Opaque',
        stringData: { plain: 'text' },
      },
    },
    {
      name: 'service: targetPort as number and as string; zero port kept, zero nodePort dropped',
      body: envelope(
        'v1',
        'Service',
        newObjectMeta('svc'),
        msg(
          2,
          msg(1, str(1, 'a'), str(2, 'TCP'), vi(3, 80), msg(4, vi(1, 0), vi(2, 8080), str(3, '')), vi(5, 0)),
          msg(1, str(1, 'b'), str(2, 'TCP'), vi(3, 0), msg(4, vi(1, 1), vi(2, 0), str(3, 'http')), vi(5, 30001)),
          entry(2, 'app', str(2, 'svc')),
          str(3, ''),
          str(4, 'ClusterIP'),
        ),
        msg(3, msg(1)),
      ),
      want: {
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { name: 'svc', creationTimestamp: null },
        spec: {
          ports: [
            { name: 'a', protocol: 'TCP', port: 80, targetPort: 8080 },
            { name: 'b', protocol: 'TCP', port: 0, targetPort: 'http', nodePort: 30001 },
          ],
          selector: { app: 'svc' },
          type: 'ClusterIP',
        },
        status: { loadBalancer: {} },
      },
    },
    {
      name: 'pod: quantities, inline volume source and probe handler, packed and unpacked int64s, negative int32',
      body: envelope(
        'v1',
        'Pod',
        newObjectMeta('p', msg(9, vi(1, T)), vi(10, 30)),
        msg(
          2,
          msg(1, str(1, 'scratch'), msg(2, msg(2, str(1, 'Memory'), msg(2, str(1, '64Mi'))))),
          msg(
            2,
            str(1, 'app'),
            str(2, 'nginx'),
            msg(8, entry(1, 'cpu', msg(2, str(1, '500m'))), entry(1, 'memory', msg(2, str(1, '1Gi'))), entry(2, 'cpu', msg(2))),
            msg(10, msg(1, msg(2, str(1, '/healthz'), msg(2, vi(1, 1), str(3, 'http')))), vi(2, 5), vi(3, 0)),
          ),
          msg(14, msg(4, varint(1000), varint(2000)), vi(4, 3000)), // packed run, then one unpacked
          vi(25, -1), // priority, an *int32: ten-byte two's complement varint
        ),
      ),
      want: {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: 'p', creationTimestamp: null, deletionTimestamp: '2026-01-02T03:04:05Z', deletionGracePeriodSeconds: 30 },
        spec: {
          volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
          containers: [
            {
              name: 'app',
              image: 'nginx',
              resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '0' } },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
            },
          ],
          securityContext: { supplementalGroups: [1000, 2000, 3000] },
          priority: -1,
        },
      },
    },
    {
      name: 'event: MicroTime keeps microseconds, nested MicroTime, non-omitempty empty strings kept',
      body: envelope(
        'v1',
        'Event',
        newObjectMeta('e'),
        msg(2, str(1, 'Pod'), str(3, 'p')),
        str(3, 'Started'),
        vi(8, 2),
        msg(10, vi(1, T), vi(2, 123456789)),
        msg(11, vi(1, 2), msg(2, vi(1, T), vi(2, 7000))),
        str(14, ''),
      ),
      want: {
        kind: 'Event',
        apiVersion: 'v1',
        metadata: { name: 'e', creationTimestamp: null },
        involvedObject: { kind: 'Pod', name: 'p' },
        reason: 'Started',
        count: 2,
        eventTime: '2026-01-02T03:04:05.123456Z',
        series: { count: 2, lastObservedTime: '2026-01-02T03:04:05.000007Z' },
        reportingComponent: '',
      },
    },
    {
      name: 'lease in coordination.k8s.io/v1 with pointer fields',
      body: envelope('coordination.k8s.io/v1', 'Lease', newObjectMeta('node-a'), msg(2, str(1, 'node-a'), vi(2, 40), msg(4, vi(1, T)), vi(5, 0))),
      want: {
        kind: 'Lease',
        apiVersion: 'coordination.k8s.io/v1',
        metadata: { name: 'node-a', creationTimestamp: null },
        spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.000000Z', leaseTransitions: 0 },
      },
    },
    {
      name: 'managedFields: FieldsV1 is embedded JSON, zero Go time is null',
      body: envelope(
        'apps/v1',
        'Deployment',
        msg(1, str(1, 'web'), msg(17, str(1, 'kubectl'), str(2, 'Update'), msg(4, vi(1, -62135596800n)), str(6, 'FieldsV1'), msg(7, str(1, '{"f:spec":{}}')))),
        msg(2, vi(1, 2)),
      ),
      want: {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: {
          name: 'web',
          managedFields: [{ manager: 'kubectl', operation: 'Update', time: null, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
        },
        spec: { replicas: 2 },
      },
    },
    {
      name: 'DeleteOptions under any apiVersion; pointer zero kept; unknown fields skipped',
      body: envelope(
        'meta.k8s.io/v1',
        'DeleteOptions',
        vi(1, 0),
        msg(2, str(1, 'uid-1')),
        str(4, 'Foreground'),
        str(5, 'All'),
        vi(99, 7),
        str(100, 'from the future'),
        fixed64(101, 1.5),
      ),
      want: {
        kind: 'DeleteOptions',
        apiVersion: 'meta.k8s.io/v1',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-1' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      },
    },
    {
      name: 'a later zero value clears an omitempty field',
      body: envelope('v1', 'Namespace', msg(1, str(1, 'x'), str(3, 'ns'), str(3, ''))),
      want: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'x' } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = decodeKubernetesProtobuf(c.body);
      assert.equal(got.apiVersion, c.want.apiVersion);
      assert.equal(got.kind, c.want.kind);
      assert.deepEqual(got.object, c.want);
    });
  }

  const errors: { name: string; body: Uint8Array; message: RegExp }[] = [
    { name: 'no magic', body: Uint8Array.from([0x7b, 0x7d]), message: /does not start with the Kubernetes prefix/ },
    { name: 'JSON body', body: Uint8Array.from(Buffer.from('{"kind":"Namespace"}')), message: /prefix/ },
    { name: 'truncated varint', body: Uint8Array.from([...MAGIC, 0x12, 0xff]), message: /truncated varint/ },
    { name: 'length past the end', body: Uint8Array.from([...MAGIC, 0x0a, 0x05, 0x01]), message: /runs past the end/ },
    { name: 'group wire type', body: Uint8Array.from([...MAGIC, 0x0b]), message: /envelope field 1: wire type group start/ },
    { name: 'field number zero', body: Uint8Array.from([...MAGIC, 0x02, 0x00]), message: /invalid field number 0/ },
    { name: 'no kind', body: envelope('v1', ''), message: /does not name a kind/ },
    { name: 'unknown kind', body: envelope('v1', 'Widget'), message: /cannot decode kind "Widget" of apiVersion "v1"/ },
    { name: 'kind in the wrong group', body: envelope('v1', 'Deployment'), message: /"Deployment" of apiVersion "v1"/ },
    {
      name: 'compressed payload',
      body: Uint8Array.from([...MAGIC, ...msg(1, str(1, 'v1'), str(2, 'Namespace')), ...str(3, 'gzip')]),
      message: /unsupported contentEncoding "gzip"/,
    },
    {
      name: 'wrong wire type names the field',
      body: envelope('v1', 'Service', msg(2, msg(1, str(3, '80')))),
      message: /Service\.spec\.ports\[0\]\.port: wire type length-delimited, expected varint/,
    },
    {
      name: 'bad IntOrString type',
      body: envelope('v1', 'Service', msg(2, msg(1, msg(4, vi(1, 7))))),
      message: /targetPort: invalid IntOrString type 7/,
    },
    { name: 'time out of range', body: envelope('v1', 'Pod', msg(1, msg(8, vi(1, 400000000000)))), message: /year outside of range/ },
    { name: 'bad fieldsV1 JSON', body: envelope('v1', 'Pod', msg(1, msg(17, msg(7, str(1, '{'))))), message: /not valid JSON/ },
  ];
  for (const c of errors) {
    test(`rejects: ${c.name}`, () => {
      assert.throws(
        () => decodeKubernetesProtobuf(c.body),
        (err: unknown) => err instanceof ApiError && err.code === 400 && err.reason === 'BadRequest' && c.message.test(err.message),
      );
    });
  }
});

test('formatGoDuration matches time.Duration.String', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [60_000_000_000n, '1m0s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_000_000_001n, '1h2m3.000000001s'],
    [-90_000_000_000n, '-1m30s'],
  ];
  for (const [ns, want] of cases) assert.equal(formatGoDuration(ns), want, `${ns}ns`);
});

// ---- End to end: what the real kubectl sends ----

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

describe('kubectl create sends protobuf we decode', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const posts: { path: string; contentType: string | undefined; decoded: Record<string, unknown> }[] = [];

  const resource = (name: string, singularName: string, kind: string, namespaced: boolean) => ({
    name,
    singularName,
    namespaced,
    kind,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  });
  const discovery: Record<string, unknown> = {
    '/version': { major: '1', minor: '32', gitVersion: 'v1.32.4' },
    '/api': { kind: 'APIVersions', versions: ['v1'] },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
    },
    '/api/v1': {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        resource('namespaces', 'namespace', 'Namespace', false),
        resource('configmaps', 'configmap', 'ConfigMap', true),
        resource('secrets', 'secret', 'Secret', true),
        resource('services', 'service', 'Service', true),
      ],
    },
    '/apis/apps/v1': { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [resource('deployments', 'deployment', 'Deployment', true)] },
  };

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (code: number, body: unknown) => {
          res.writeHead(code, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const path = (req.url ?? '/').split('?')[0]!;
        if (req.method === 'POST') {
          try {
            const { object } = decodeKubernetesProtobuf(Buffer.concat(chunks));
            posts.push({ path, contentType: req.headers['content-type'], decoded: object });
            reply(201, object);
          } catch (err) {
            reply(400, err instanceof ApiError ? err.toStatus() : { message: String(err) });
          }
          return;
        }
        if (req.method === 'GET' && path in discovery) return reply(200, discovery[path]);
        reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'peapod-proto-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: stub, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: stub, user: {}}]',
        'contexts: [{name: stub, context: {cluster: stub, user: stub, namespace: default}}]',
        'current-context: stub',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const meta = (name: string, labels?: Record<string, string>) => ({ name, creationTimestamp: null, ...(labels && { labels }) });
  const cases: { args: string[]; path: string; want: Record<string, unknown> }[] = [
    {
      args: ['create', 'namespace', 'foo'],
      path: '/api/v1/namespaces',
      want: { kind: 'Namespace', apiVersion: 'v1', metadata: meta('foo'), spec: {}, status: {} },
    },
    {
      args: ['create', 'configmap', 'c', '--from-literal=a=b'],
      path: '/api/v1/namespaces/default/configmaps',
      want: { kind: 'ConfigMap', apiVersion: 'v1', metadata: meta('c'), data: { a: 'b' } },
    },
    {
      args: ['create', 'secret', 'generic', 's', '--from-literal=k=v'],
      path: '/api/v1/namespaces/default/secrets',
      want: { kind: 'Secret', apiVersion: 'v1', metadata: meta('s'), data: { k: 'dg==' } },
    },
    {
      args: ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'],
      path: '/api/v1/namespaces/default/services',
      want: {
        kind: 'Service',
        apiVersion: 'v1',
        metadata: meta('svc', { app: 'svc' }),
        spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'svc' }, type: 'ClusterIP' },
        status: { loadBalancer: {} },
      },
    },
    {
      args: ['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '--port=80'],
      path: '/apis/apps/v1/namespaces/default/deployments',
      want: {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: meta('web', { app: 'web' }),
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { creationTimestamp: null, labels: { app: 'web' } }, // no name: Go sent "", JSON omits it
            spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] },
          },
          strategy: {},
        },
        status: {},
      },
    },
  ];
  for (const c of cases) {
    test(`kubectl ${c.args.join(' ')}`, async () => {
      const before = posts.length;
      await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...c.args], { timeout: 30_000 });
      assert.equal(posts.length, before + 1, 'kubectl sent one POST');
      const post = posts.at(-1)!;
      assert.equal(post.path, c.path);
      assert.equal(post.contentType, PROTOBUF_CONTENT_TYPE);
      assert.deepEqual(post.decoded, c.want);
    });
  }
});
