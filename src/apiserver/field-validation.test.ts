import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFields,
  duplicateFields,
  fieldTypeError,
  strictDecodingError,
  typeErrors,
  unknownFieldWarningHeaders,
  unknownFields,
} from './field-validation.js';

const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { 'app.kubernetes.io/name': 'x' }, annotations: { a: 'b' } },
  spec,
  ...extra,
});

describe('unknownFields', () => {
  const cases: { name: string; apiVersion: string; kind: string; obj: unknown; want: string[] }[] = [
    {
      name: 'a valid pod has none',
      apiVersion: 'v1', kind: 'Pod',
      obj: pod({
        containers: [{
          name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }],
          resources: { limits: { cpu: '1', memory: '1Gi' } }, livenessProbe: { httpGet: { port: 'http', path: '/' } },
        }],
        nodeSelector: { disk: 'ssd' },
      }, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }),
      want: [],
    },
    {
      name: 'typo in a container',
      apiVersion: 'v1', kind: 'Pod',
      obj: pod({ containers: [{ name: 'a', image: 'x' }, { name: 'c', imagee: 'busybox' }] }),
      want: ['.spec.containers[1].imagee'],
    },
    {
      name: 'several levels, metadata and status included, in body order',
      apiVersion: 'v1', kind: 'Pod',
      obj: {
        ...pod({ containers: [{ name: 'c', ports: [{ containerPort: 1, hostPortt: 2 }] }], bogus: true }),
        metadata: { name: 'p', labelz: {} },
        status: { phaze: 'x' },
        top: 1,
      },
      want: ['.metadata.labelz', '.spec.containers[0].ports[0].hostPortt', '.spec.bogus', '.status.phaze', '.top'],
    },
    {
      name: 'deployment template is a PodTemplateSpec: no apiVersion/kind there',
      apiVersion: 'apps/v1', kind: 'Deployment',
      obj: {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
        spec: {
          replicas: 2, selector: { matchLabels: { a: 'b' } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
          template: { kind: 'Pod', metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      },
      want: ['.spec.template.kind'],
    },
    {
      name: 'list items are full objects',
      apiVersion: 'v1', kind: 'ConfigMapList',
      obj: { apiVersion: 'v1', kind: 'ConfigMapList', metadata: {}, items: [{ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' }, datta: {} }] },
      want: ['.items[0].datta'],
    },
    {
      name: 'maps accept any key; opaque fields accept anything',
      apiVersion: 'v1', kind: 'Secret',
      obj: {
        apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data: { 'x.y/z': 'YQ==' }, stringData: { k: 'v' },
        metadata: { name: 's', managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:data': { 'f:x': {} } } }] },
      },
      want: [],
    },
    {
      name: 'event, lease, scale, service, node',
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      obj: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'n', renewTime: '2024-01-01T00:00:00.000000Z', holder: 1 } },
      want: ['.spec.holder'],
    },
    {
      name: 'scale subresource body',
      apiVersion: 'autoscaling/v1', kind: 'Scale',
      obj: { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 3, replicaz: 1 } },
      want: ['.spec.replicaz'],
    },
    {
      name: 'core events',
      apiVersion: 'v1', kind: 'Event',
      obj: { apiVersion: 'v1', kind: 'Event', involvedObject: { kind: 'Pod', name: 'p' }, reason: 'X', count: 1, sourcee: {} },
      want: ['.sourcee'],
    },
    {
      name: 'service ports with int-or-string targetPort',
      apiVersion: 'v1', kind: 'Service',
      obj: { apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80, targetPort: 'http', targett: 1 }], selector: { a: 'b' } } },
      want: ['.spec.ports[0].targett'],
    },
    { name: 'kind not served: nothing to say', apiVersion: 'batch/v1', kind: 'Job', obj: { spec: { x: 1 } }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(unknownFields(c.apiVersion, c.kind, c.obj), c.want));
  }
});

describe('typeErrors', () => {
  const cases: { name: string; obj: unknown; want: { path: string; expected: string; got: string }[] }[] = [
    {
      name: 'int-or-string, quantities (string or number), null anywhere',
      obj: pod({
        containers: [{
          name: 'c', image: null, ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: 0.5 } },
          readinessProbe: { tcpSocket: { port: 8080 } }, livenessProbe: { httpGet: { port: 'http' } },
        }],
        terminationGracePeriodSeconds: 30, hostNetwork: false,
      }),
      want: [],
    },
    {
      name: 'string where an integer is expected',
      obj: pod({ containers: [{ name: 'c', ports: [{ containerPort: '80' }] }] }),
      want: [{ path: '.spec.containers[0].ports[0].containerPort', expected: 'integer', got: 'string' }],
    },
    {
      name: 'fractions, booleans, objects and arrays in the wrong places',
      obj: pod({
        containers: { name: 'c' },
        activeDeadlineSeconds: 1.5,
        hostNetwork: 'yes',
        nodeSelector: { disk: 1 },
        tolerations: [{ tolerationSeconds: true }],
      }, { metadata: 'p' }),
      want: [
        { path: '.metadata', expected: 'object', got: 'string' },
        { path: '.spec.containers', expected: 'array', got: 'object' },
        { path: '.spec.activeDeadlineSeconds', expected: 'integer', got: 'number 1.5' },
        { path: '.spec.hostNetwork', expected: 'boolean', got: 'string' },
        { path: '.spec.nodeSelector[disk]', expected: 'string', got: 'number' },
        { path: '.spec.tolerations[0].tolerationSeconds', expected: 'integer', got: 'boolean' },
      ],
    },
    {
      name: 'int-or-string rejects booleans and fractions',
      obj: pod({ containers: [{ name: 'c', livenessProbe: { httpGet: { port: true } }, readinessProbe: { tcpSocket: { port: 1.5 } } }] }),
      want: [
        { path: '.spec.containers[0].livenessProbe.httpGet.port', expected: 'int-or-string', got: 'boolean' },
        { path: '.spec.containers[0].readinessProbe.tcpSocket.port', expected: 'int-or-string', got: 'number 1.5' },
      ],
    },
    { name: 'the body itself must be an object', obj: [1], want: [{ path: '', expected: 'object', got: 'array' }] },
    {
      name: 'integers beyond their Go type (int32, int64) do not decode',
      obj: pod({ containers: [{ name: 'c', ports: [{ containerPort: 2 ** 31 }] }], activeDeadlineSeconds: 2 ** 64, priority: -(2 ** 31) }),
      want: [
        { path: '.spec.containers[0].ports[0].containerPort', expected: 'integer', got: `number ${2 ** 31}` },
        { path: '.spec.activeDeadlineSeconds', expected: 'integer', got: `number ${2 ** 64}` },
      ],
    },
    {
      name: 'times must be RFC 3339 (fraction and offset optional)',
      obj: pod({ containers: [{ name: 'c' }] }, {
        metadata: { name: 'p', creationTimestamp: '2024-02-29T23:59:59.123456+01:00', deletionTimestamp: 'yesterday' },
        status: {
          startTime: '2024-01-01T00:00:00Z',
          conditions: [
            { type: 'Ready', lastTransitionTime: '2023-02-29T00:00:00Z' },
            { type: 'A', lastTransitionTime: '2024-01-01 00:00:00Z' },
            { type: 'B', lastTransitionTime: '2024-01-01T24:00:00Z' },
            { type: 'C', lastProbeTime: null, lastTransitionTime: '' },
          ],
        },
      }),
      want: [
        { path: '.metadata.deletionTimestamp', expected: 'date-time', got: 'string' },
        { path: '.status.conditions[0].lastTransitionTime', expected: 'date-time', got: 'string' },
        { path: '.status.conditions[1].lastTransitionTime', expected: 'date-time', got: 'string' },
        { path: '.status.conditions[2].lastTransitionTime', expected: 'date-time', got: 'string' },
        { path: '.status.conditions[3].lastTransitionTime', expected: 'date-time', got: 'string' },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = typeErrors('v1', 'Pod', c.obj).map(({ path, expected, got }) => ({ path, expected, got }));
      assert.deepEqual(got, c.want);
    });
  }
});

describe('Kubernetes messages', () => {
  it('strict decoding error', () => {
    const e = strictDecodingError(['.spec.containers[0].imagee', '.spec.foo']);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    assert.equal(e.message, 'strict decoding error: unknown field "spec.containers[0].imagee", unknown field "spec.foo"');
    assert.equal(e.toStatus().status, 'Failure');
  });

  it('warning headers', () => {
    assert.deepEqual(unknownFieldWarningHeaders(['.spec.containers[0].imagee']), [
      '299 - "unknown field \\"spec.containers[0].imagee\\""',
    ]);
  });

  it('warning headers stay far below the 16 KiB of headers Node clients accept, however many fields', () => {
    const paths = Array.from({ length: 100_000 }, (_, i) => `.k${i}`);
    const headers = unknownFieldWarningHeaders(paths);
    const size = headers.reduce((n, h) => n + h.length + 'Warning: \r\n'.length, 0);
    assert.ok(size < 8 * 1024, `${size} bytes of Warning headers`);
    assert.equal(headers[0], '299 - "unknown field \\"k0\\""');
    assert.match(headers.at(-1)!, /^299 - "\d+ more unknown fields not shown"$/);
    assert.equal(Number(/"(\d+) more/.exec(headers.at(-1)!)![1]) + headers.length - 1, paths.length);
  });

  it('a malformed time is worded like the Go decoder', () => {
    const ev = { apiVersion: 'v1', kind: 'Event', involvedObject: { kind: 'Pod', name: 'p' }, lastTimestamp: 'yesterday' };
    assert.equal(
      fieldTypeError('v1', 'Event', typeErrors('v1', 'Event', ev)).message,
      'Event in version "v1" cannot be handled as a Event: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time',
    );
  });

  it('a malformed quantity or base64 value is the decoder\'s 400, in its words', () => {
    const cases: [string, string, unknown, string][] = [
      ['v1', 'Pod', pod({ containers: [{ name: 'c', resources: { limits: { cpu: 'abc' } } }] }),
        "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
      ['v1', 'Pod', pod({ containers: [{ name: 'c', resources: { requests: { memory: '1mi' } } }] }),
        'Pod in version "v1" cannot be handled as a Pod: unable to parse quantity\'s suffix'],
      ['v1', 'Secret', { apiVersion: 'v1', kind: 'Secret', data: { ok: 'aGk=', bad: 'not base64!' } },
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3'],
      ['v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', binaryData: { b: 'abcde' } },
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 4'],
    ];
    for (const [apiVersion, kind, obj, message] of cases) {
      const e = fieldTypeError(apiVersion, kind, typeErrors(apiVersion, kind, obj));
      assert.equal(e.code, 400);
      assert.equal(e.message, message);
    }
    const fine = { apiVersion: 'v1', kind: 'Secret', data: { a: 'aGk=', b: 'aGVs\nbG8=', c: '' } };
    assert.deepEqual(typeErrors('v1', 'Secret', fine), []);
    assert.deepEqual(typeErrors('v1', 'Pod', pod({ containers: [{ name: 'c', resources: { limits: { cpu: '500m', memory: 1e9 } } }] })), []);
  });

  it('type error worded like the Go decoder', () => {
    const obj = pod({ containers: [{ name: 'c', ports: [{ containerPort: '80' }] }] });
    const e = fieldTypeError('v1', 'Pod', typeErrors('v1', 'Pod', obj));
    assert.equal(e.code, 400);
    assert.equal(
      e.message,
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ' +
        'ContainerPort.spec.containers.ports.containerPort of type int32',
    );
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: 'x' } } };
    assert.match(fieldTypeError('apps/v1', 'Deployment', typeErrors('apps/v1', 'Deployment', d)).message,
      /^Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field PodTemplateSpec\.spec\.template\.spec of type v1\.PodSpec$/);
  });
});

describe('performance', () => {
  it('checks a typical pod in well under a millisecond', () => {
    const obj = pod({
      containers: Array.from({ length: 3 }, (_, i) => ({
        name: `c${i}`, image: 'busybox', command: ['sh', '-c', 'sleep 1'], ports: [{ containerPort: 80 + i, protocol: 'TCP' }],
        env: Array.from({ length: 10 }, (_, j) => ({ name: `E${j}`, value: 'v' })),
        resources: { limits: { cpu: '1' }, requests: { cpu: '100m' } },
        volumeMounts: [{ name: 'v', mountPath: '/v' }],
      })),
      volumes: [{ name: 'v', emptyDir: {} }],
    });
    for (let i = 0; i < 200; i++) checkFields('v1', 'Pod', obj); // warm up
    const n = 5000;
    const t = performance.now();
    for (let i = 0; i < n; i++) checkFields('v1', 'Pod', obj);
    const perCall = (performance.now() - t) / n;
    assert.ok(perCall < 0.2, `${perCall.toFixed(4)} ms per check`);
  });
});

it('duplicateFields finds keys an object sets twice, with their paths, in one pass', () => {
  const cases: [string, string[]][] = [
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', ['.a']],
    ['{"metadata":{"name":"x","labels":{"a":"1"},"name":"y"}}', ['.metadata.name']],
    ['{"spec":{"containers":[{"name":"a"},{"name":"b","image":"i","name":"c"}]}}', ['.spec.containers[1].name']],
    // Commas and quotes inside strings, escaped keys, empty containers.
    ['{"a":"x,\\"y","b":[1,2,{"c":1,"c":2}],"a\\u0062":1,"ab":2}', ['.b[2].c', '.ab']],
    ['{"a":{},"b":[],"a":1}', ['.a']],
    ['{"a":[{"k":1},{"k":1}]}', []],
  ];
  for (const [text, want] of cases) assert.deepEqual(duplicateFields(text), want, text);
});
