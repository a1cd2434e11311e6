/**
 * The OpenAPI v2 document: its Swagger 2.0 shape, its gnostic protobuf encoding (decoded back
 * with the project's wire reader), and the real kubectl 1.27/1.28 reading it from a tiny
 * discovery + openapi server on 127.0.0.1 (this test's only network use).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYAML } from 'yaml';
import { openapiV3DocumentBytes, openapiV3Index, servedResources } from './openapi.js';
import {
  OPENAPI_V2_PROTOBUF,
  ProtoWriter,
  encodeOpenapiV2Document,
  negotiateOpenapiV2,
  openapiV2ETag,
  openapiV2JSON,
  openapiV2Protobuf,
  openapiV2Serialized,
} from './openapi-v2.js';
import { WireReader } from './protobuf/wire.js';

// Documents are walked loosely here; the shape is what the assertions check.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KUBECTL_127 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';
const KUBECTL_128 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.28';

// ---------------------------------------------------------------------------------------------
// A schema-less protobuf reader for the assertions: field number → raw values.

type Raw = bigint | number | Uint8Array;

function fields(buf: Uint8Array): Map<number, Raw[]> {
  const r = new WireReader(buf, 'openapi');
  const out = new Map<number, Raw[]>();
  while (!r.done()) {
    const { field, wireType } = r.tag();
    const v = wireType === 0 ? r.uint64() : wireType === 1 ? r.double() : wireType === 2 ? r.bytes() : assert.fail(`wire type ${wireType}`);
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}

/** The embedded message (or string bytes) of a singular field. */
function one(buf: Uint8Array, field: number): Uint8Array {
  const v = fields(buf).get(field);
  assert.ok(v && v.length === 1 && v[0] instanceof Uint8Array, `field ${field}: ${String(v)}`);
  return v[0];
}

function text(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}

function strings(buf: Uint8Array, field: number): string[] {
  return (fields(buf).get(field) ?? []).map((b) => text(b as Uint8Array));
}

/** `repeated Named<X> { string name = 1; X value = 2; }` as name → value bytes. */
function named(buf: Uint8Array, field: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of fields(buf).get(field) ?? []) {
    out.set(text(one(entry as Uint8Array, 1)), one(entry as Uint8Array, 2));
  }
  return out;
}

/** Vendor extensions (`repeated NamedAny`) parsed from their YAML, as kubectl does. */
function extensions(buf: Uint8Array, field: number): Map<string, unknown> {
  return new Map([...named(buf, field)].map(([k, any]) => [k, parseYAML(text(one(any, 2)))]));
}

// gnostic openapi.v2 field numbers the assertions use.
const Doc = { swagger: 1, info: 2, paths: 8, definitions: 9 };
const Schema = { ref: 1, format: 2, required: 19, additionalProperties: 21, type: 22, items: 23, properties: 25, vendor: 31 };
const Op = { operationId: 5, consumes: 7, parameters: 8, responses: 9, vendor: 13 };

function definition(pb: Uint8Array, name: string): Uint8Array {
  const d = named(one(pb, Doc.definitions), 1).get(name);
  assert.ok(d, `no definition ${name}`);
  return d;
}

function property(schema: Uint8Array, name: string): Uint8Array {
  const p = named(one(schema, Schema.properties), 1).get(name);
  assert.ok(p, `no property ${name}`);
  return p;
}

// ---------------------------------------------------------------------------------------------

describe('openapi v2 protobuf writer', () => {
  const hex = (build: (w: ProtoWriter) => void): string => {
    const w = new ProtoWriter();
    build(w);
    return w.finish().toString('hex');
  };
  const cases: [string, (w: ProtoWriter) => void, string][] = [
    // The protobuf encoding guide's examples.
    ['varint 150', (w) => w.int64(1, 150), '089601'],
    ['string', (w) => w.string(2, 'testing'), '120774657374696e67'],
    ['embedded message', (w) => w.message(3, (m) => m.int64(1, 150)), '1a03089601'],
    ['negative int64 takes ten bytes', (w) => w.int64(1, -1), '08ffffffffffffffffff01'],
    ['double', (w) => w.double(7, 1.5), '39000000000000f83f'],
    ['bool', (w) => w.bool(16, true), '800101'],
    ['proto3 defaults are not written', (w) => { w.int64(1, 0); w.bool(2, false); w.string(3, ''); w.double(4, 0); }, ''],
    ['repeated strings keep empty elements', (w) => w.strings(1, ['a', '']), '0a01610a00'],
    ['empty message is still present', (w) => w.message(25, () => {}), 'ca0100'],
    ['large field number and multi-byte length', (w) => w.string(31, 'x'.repeat(200)), `fa01c801${'78'.repeat(200)}`],
  ];
  for (const [name, build, want] of cases) {
    it(name, () => assert.equal(hex(build), want));
  }
});

describe('openapi v2 content negotiation', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'protobuf'],
    ['application/json', 'json'],
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['application/*;q=0.9, application/com.github.proto-openapi.spec.v2.v1.0+protobuf;q=0.8', 'json'],
    ['text/html, */*;q=0.1', 'json'],
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0, application/json', 'json'],
    ['text/html', undefined],
    ['application/yaml', undefined],
  ];
  for (const [accept, want] of cases) {
    it(`${accept ?? '(no Accept)'} → ${want ?? '406'}`, () => {
      const r = negotiateOpenapiV2(accept);
      assert.equal(r?.format, want);
      if (r?.format === 'protobuf') assert.equal(r.contentType, OPENAPI_V2_PROTOBUF);
    });
  }
});

describe('openapi v2 document', () => {
  const doc = openapiV2JSON() as Json;
  const defs = doc.definitions as Json;

  it('is Swagger 2.0 with every reference resolving into definitions', () => {
    assert.equal(doc.swagger, '2.0');
    assert.equal(doc.info.title, 'Kubernetes');
    const textual = JSON.stringify(doc);
    assert.doesNotMatch(textual, /#\/components\//);
    assert.doesNotMatch(textual, /"(oneOf|anyOf|requestBody|content|nullable)"/);
    for (const m of textual.matchAll(/"\$ref":"([^"]+)"/g)) {
      assert.match(m[1]!, /^#\/definitions\//);
      assert.ok(defs[m[1]!.slice('#/definitions/'.length)], `dangling ${m[1]}`);
    }
    assert.equal(openapiV2JSON(), doc, 'built once');
    assert.equal(openapiV2Protobuf(), openapiV2Protobuf(), 'encoded once');
    const serialized = openapiV2Serialized();
    assert.match(serialized.etag, /^[0-9A-F]{128}$/);
    assert.equal(serialized.etag, openapiV2ETag());
    assert.deepEqual(JSON.parse(serialized.json), doc);
    assert.equal(serialized.protobuf, openapiV2Protobuf());
  });

  it('merges the schemas of every group-version, with kinds and patch metadata', () => {
    for (const [name, gvk] of [
      ['io.k8s.api.core.v1.Pod', { group: '', version: 'v1', kind: 'Pod' }],
      ['io.k8s.api.apps.v1.Deployment', { group: 'apps', version: 'v1', kind: 'Deployment' }],
      ['io.k8s.api.coordination.v1.Lease', { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }],
      ['io.k8s.api.autoscaling.v1.Scale', { group: 'autoscaling', version: 'v1', kind: 'Scale' }],
    ] as const) {
      assert.deepEqual(defs[name]['x-kubernetes-group-version-kind'], [gvk], name);
    }
    const statusKinds = defs['io.k8s.apimachinery.pkg.apis.meta.v1.Status']['x-kubernetes-group-version-kind'] as Json[];
    assert.ok(statusKinds.some((g) => g.group === 'apps'));
    const containers = defs['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.deepEqual(containers.items, { $ref: '#/definitions/io.k8s.api.core.v1.Container' });
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.deepEqual(defs['io.k8s.api.core.v1.PodSpec'].required, ['containers']);
    // Swagger 2.0 has no oneOf: published as kube-apiserver's v2 document publishes them.
    assert.deepEqual(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], { type: 'string', format: 'int-or-string' });
    assert.deepEqual(defs['io.k8s.apimachinery.pkg.api.resource.Quantity'], { type: 'string' });
    assert.deepEqual(defs['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties,
      { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  });

  it('describes operations with kinds, actions, query parameters and body parameters', () => {
    const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    assert.deepEqual(item.parameters.map((p: Json) => `${p.in}:${p.name}`), ['path:name', 'path:namespace', 'query:pretty']);
    assert.deepEqual(item.parameters[0], { name: 'name', in: 'path', required: true, type: 'string', uniqueItems: true });
    const patch = item.patch;
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
    assert.deepEqual(patch.parameters.map((p: Json) => `${p.in}:${p.name}`),
      ['body:body', 'query:dryRun', 'query:fieldManager', 'query:fieldValidation', 'query:force']);
    assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
    assert.deepEqual(patch.responses['200'].schema, { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' });
    assert.ok(patch.produces.includes('application/json'));
    const create = doc.paths['/api/v1/namespaces/{namespace}/pods'].post;
    assert.deepEqual(create.parameters[0], { name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.api.core.v1.Pod' } });
    assert.deepEqual(create.consumes, ['*/*']);
    assert.ok(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch);
    assert.ok(doc.paths['/api/v1/'].get, 'discovery paths are kept');
  });
});

describe('openapi v2 protobuf', () => {
  const pb = openapiV2Protobuf();

  it('decodes to the same document', () => {
    assert.equal(text(one(pb, Doc.swagger)), '2.0');
    assert.equal(text(one(one(pb, Doc.info), 1)), 'Kubernetes');
    const doc = openapiV2JSON() as Json;
    assert.deepEqual([...named(one(pb, Doc.definitions), 1).keys()], Object.keys(doc.definitions));
    assert.deepEqual([...named(one(pb, Doc.paths), 2).keys()], Object.keys(doc.paths));
  });

  it('carries schemas the way kubectl reads them', () => {
    const pod = definition(pb, 'io.k8s.api.core.v1.Pod');
    assert.deepEqual(strings(one(pod, Schema.type), 1), ['object']);
    assert.deepEqual(extensions(pod, Schema.vendor).get('x-kubernetes-group-version-kind'), [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.equal(text(one(property(pod, 'spec'), Schema.ref)), '#/definitions/io.k8s.api.core.v1.PodSpec');

    const podSpec = definition(pb, 'io.k8s.api.core.v1.PodSpec');
    assert.deepEqual(strings(podSpec, Schema.required), ['containers']);
    const containers = property(podSpec, 'containers');
    assert.deepEqual(strings(one(containers, Schema.type), 1), ['array']);
    const items = fields(one(containers, Schema.items)).get(1)!;
    assert.equal(items.length, 1);
    assert.equal(text(one(items[0] as Uint8Array, Schema.ref)), '#/definitions/io.k8s.api.core.v1.Container');
    const ext = extensions(containers, Schema.vendor);
    assert.equal(ext.get('x-kubernetes-patch-merge-key'), 'name');
    assert.equal(ext.get('x-kubernetes-patch-strategy'), 'merge');
    assert.deepEqual(ext.get('x-kubernetes-list-map-keys'), ['name']);

    const limits = property(definition(pb, 'io.k8s.api.core.v1.ResourceRequirements'), 'limits');
    const additional = one(limits, Schema.additionalProperties);
    assert.equal(text(one(one(additional, 1), Schema.ref)), '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity');
    const intOrString = definition(pb, 'io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.equal(text(one(intOrString, Schema.format)), 'int-or-string');
    // An object without properties (RawExtension) still says it is an object.
    assert.deepEqual(strings(one(definition(pb, 'io.k8s.apimachinery.pkg.runtime.RawExtension'), Schema.type), 1), ['object']);
  });

  it('carries operations the way kubectl checks fieldValidation support', () => {
    const item = named(one(pb, Doc.paths), 2).get('/apis/apps/v1/namespaces/{namespace}/deployments/{name}')!;
    const patch = one(item, 8);
    assert.equal(text(one(patch, Op.operationId)), 'patchAppsV1NamespacedDeployment');
    const ext = extensions(patch, Op.vendor);
    assert.deepEqual(ext.get('x-kubernetes-group-version-kind'), { group: 'apps', kind: 'Deployment', version: 'v1' });
    assert.equal(ext.get('x-kubernetes-action'), 'patch');
    const queryNames: string[] = [];
    let bodySchemaRef = '';
    for (const p of fields(patch).get(Op.parameters)!) {
      const parameter = one(p as Uint8Array, 1); // ParametersItem.parameter
      const f = fields(parameter);
      if (f.has(1)) bodySchemaRef = text(one(one(one(parameter, 1), 5), Schema.ref)); // BodyParameter.schema
      else queryNames.push(text(one(one(one(parameter, 2), 3), 4))); // NonBodyParameter.query_parameter_sub_schema.name
    }
    assert.deepEqual(queryNames, ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.equal(bodySchemaRef, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    const pathParams = fields(item).get(9)!.map((p) => one(one(p as Uint8Array, 1), 2));
    assert.deepEqual(pathParams.map((nb) => [...fields(nb).keys()]), [[4], [4], [3]], 'name, namespace in path; pretty in query');
    const ok = named(one(patch, Op.responses), 1).get('200')!;
    assert.equal(text(one(one(one(one(ok, 1), 2), 1), Schema.ref)), '#/definitions/io.k8s.api.apps.v1.Deployment');
    assert.ok(strings(patch, Op.consumes).includes('application/strategic-merge-patch+json'));
  });

  it('refuses what it cannot encode rather than drop it', () => {
    assert.throws(() => encodeOpenapiV2Document({ swagger: '2.0', definitions: { X: { oneOf: [] } } }), /no field for oneOf/);
    assert.throws(() => encodeOpenapiV2Document({ swagger: '2.0', paths: { '/x': { trace: {} } } }), /no field for trace/);
    assert.throws(() => encodeOpenapiV2Document({ swagger: 2 }), /expected a string/);
  });
});

// ---------------------------------------------------------------------------------------------
// kubectl against a fake API server

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceList(group: string, version: string): Json {
  const resources = servedResources
    .filter((r) => r.group === group && r.version === version)
    .map((r) => ({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs }));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function notFound(message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotFound', code: 404 };
}

/**
 * How much of today's API server the fake one shows:
 * - `current`: OpenAPI v3 and v2, every patch operation offering fieldValidation;
 * - `v2only`: no `/openapi/v3`, so kubectl decides fieldValidation support from the v2 document;
 * - `legacy`: no v3, and a v2 document without fieldValidation (a pre-1.25 server), so kubectl
 *   1.27 validates `--validate=strict` client side against the v2 schemas.
 */
type Mode = 'current' | 'v2only' | 'legacy';

interface FakeApiserver {
  server: Server;
  dir: string;
  kubeconfig: string;
  requests: string[];
  /** PATCH requests received, in order. */
  patches: { contentType: string; body: string }[];
}

function withoutFieldValidation(doc: Json): Json {
  const copy = structuredClone(doc);
  for (const item of Object.values(copy.paths as Record<string, Json>)) {
    for (const op of Object.values(item)) {
      if (op && Array.isArray(op.parameters)) op.parameters = op.parameters.filter((p: Json) => p.name !== 'fieldValidation');
    }
  }
  return copy;
}

async function startFakeApiserver(mode: Mode): Promise<FakeApiserver> {
  const requests: string[] = [];
  const patches: { contentType: string; body: string }[] = [];
  const objects = new Map<string, string>();
  const v2 = mode === 'legacy' ? encodeOpenapiV2Document(withoutFieldValidation(openapiV2JSON() as Json)) : openapiV2Protobuf();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    requests.push(`${req.method} ${path}${url.search}`);
    const send = (code: number, body: unknown, type = 'application/json'): void => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body instanceof Uint8Array || typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method === 'POST' || req.method === 'PATCH') {
      // Creation stores and answers the object it was given, as a server without defaulting would;
      // a patch is recorded and answered with the stored object.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.method === 'PATCH') {
          patches.push({ contentType: req.headers['content-type'] ?? '', body });
          const stored = objects.get(path);
          return stored ? send(200, stored) : send(404, notFound(`${path} not found`));
        }
        objects.set(`${path}/${(JSON.parse(body) as Json).metadata.name}`, body);
        send(201, body);
      });
      return;
    }
    if (req.method === 'GET' && objects.has(path)) return send(200, objects.get(path));
    if (path === '/version') return send(200, { major: '1', minor: '27', gitVersion: 'v1.27.0', platform: 'linux/amd64' });
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const groups = ['apps', 'coordination.k8s.io'].map((name) => ({
        name,
        versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
        preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
      }));
      return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    if (path === '/api/v1') return send(200, resourceList('', 'v1'));
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gv) return send(200, resourceList(gv[1]!, gv[2]!));
    if (path === '/openapi/v2') {
      const r = negotiateOpenapiV2(req.headers.accept);
      if (!r) return send(406, notFound('not acceptable'));
      return r.format === 'protobuf' ? send(200, v2, r.contentType) : send(200, openapiV2Serialized().json);
    }
    if (mode === 'current' && path === '/openapi/v3') return send(200, openapiV3Index());
    if (mode === 'current' && path.startsWith('/openapi/v3/')) {
      const d = openapiV3DocumentBytes(path.slice('/openapi/v3/'.length));
      if (d) return send(200, d.json);
    }
    // Every other named object is absent, so `kubectl apply` creates.
    send(404, notFound(`the server could not find the requested resource (${path})`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), `peapod-openapi-v2-${mode}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters:\n- name: t\n  cluster:\n    server: http://127.0.0.1:${port}`,
      'users:\n- name: t\n  user: {}',
      'contexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: default',
      'current-context: t',
      '',
    ].join('\n'),
  );
  return { server, dir, kubeconfig, requests, patches };
}

async function stopFakeApiserver(f: FakeApiserver | undefined): Promise<void> {
  if (!f) return;
  f.server.closeAllConnections();
  await new Promise<void>((resolve) => f.server.close(() => resolve()));
  await rm(f.dir, { recursive: true, force: true });
}

function kubectl(f: FakeApiserver, bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--kubeconfig', f.kubeconfig, '--cache-dir', join(f.dir, 'cache'), ...args],
      { timeout: 30_000, env: { ...process.env, HOME: f.dir, KUBECONFIG: f.kubeconfig } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Field name → type column of `kubectl explain` output ("image\t<string>"). */
function explainedFields(out: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of out.matchAll(/^ {2,3}(\w+)\s+<([^>]+)>/gm)) found.set(m[1]!, m[2]!);
  return found;
}

const deploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
        resources:
          limits: {cpu: 500m, memory: 128Mi}
        readinessProbe:
          httpGet: {path: /, port: 80}
`;

describe('kubectl 1.27/1.28 read /openapi/v2', { skip: !existsSync(KUBECTL_127) && 'no kubectl 1.27' }, () => {
  const servers: Partial<Record<Mode, FakeApiserver>> = {};
  let files: string;
  before(async () => {
    for (const mode of ['current', 'v2only', 'legacy'] as const) servers[mode] = await startFakeApiserver(mode);
    files = await mkdtemp(join(tmpdir(), 'peapod-openapi-v2-files-'));
    await writeFile(join(files, 'deployment.yaml'), deploymentYAML);
    await writeFile(join(files, 'bad.yaml'), deploymentYAML.replace('replicas: 2', 'replica: 2'));
  });
  after(async () => {
    for (const f of Object.values(servers)) await stopFakeApiserver(f);
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('apply creates a deployment (strict validation left to the server)', async () => {
    const f = servers.current!;
    const r = await kubectl(f, KUBECTL_127, ['apply', '-f', join(files, 'deployment.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/web created/);
    assert.ok(f.requests.some((q) => q.startsWith('GET /openapi/v2')), f.requests.join('\n'));
    assert.ok(f.requests.some((q) => q.startsWith('POST /apis/apps/v1/namespaces/default/deployments?') && q.includes('fieldValidation=Strict')),
      f.requests.join('\n'));
  });

  it('apply again sends a strategic merge patch', async () => {
    const f = servers.current!;
    const changed = join(files, 'changed.yaml');
    await writeFile(changed, deploymentYAML.replace('nginx:1.25', 'nginx:1.26'));
    const r = await kubectl(f, KUBECTL_127, ['apply', '-f', changed]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/web configured/);
    // kubectl found the PATCH operation's consumes and the patch metadata in our schema (else it warns and falls back).
    assert.doesNotMatch(r.stderr, /error calculating patch/);
    const patch = f.patches.at(-1);
    assert.equal(patch?.contentType, 'application/strategic-merge-patch+json');
    const body = JSON.parse(patch.body) as Json;
    assert.deepEqual(body.spec.template.spec['$setElementOrder/containers'], [{ name: 'web' }]);
    assert.deepEqual(body.spec.template.spec.containers, [{ image: 'nginx:1.26', name: 'web' }]);
  });

  it('without OpenAPI v3, kubectl finds fieldValidation support in the v2 operations', async () => {
    const f = servers.v2only!;
    const r = await kubectl(f, KUBECTL_127, ['apply', '--validate=strict', '-f', join(files, 'deployment.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/web created/);
    assert.ok(f.requests.some((q) => q.startsWith('POST /apis/apps/v1/namespaces/default/deployments?') && q.includes('fieldValidation=Strict')),
      f.requests.join('\n'));
  });

  it('against a server without fieldValidation, kubectl validates against the v2 schemas itself', async () => {
    const f = servers.legacy!;
    const good = await kubectl(f, KUBECTL_127, ['apply', '--validate=strict', '-f', join(files, 'deployment.yaml')]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /deployment\.apps\/web created/);
    const posts = f.requests.filter((q) => q.startsWith('POST ')).length;

    const bad = await kubectl(f, KUBECTL_127, ['apply', '--validate=strict', '-f', join(files, 'bad.yaml')]);
    assert.notEqual(bad.code, 0, bad.stdout);
    assert.match(bad.stderr, /unknown field "replica" in io\.k8s\.api\.apps\.v1\.DeploymentSpec/);
    assert.equal(f.requests.filter((q) => q.startsWith('POST ')).length, posts, 'rejected before sending');
  });

  it('kubectl 1.27 explain pod.spec.containers renders the v2 schema', async () => {
    const f = servers.current!;
    const r = await kubectl(f, KUBECTL_127, ['explain', 'pod.spec.containers', '--output=plaintext-openapiv2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Pod$/m);
    const found = explainedFields(r.stdout);
    assert.equal(found.get('image'), 'string');
    assert.equal(found.get('ports'), '[]Object');
    assert.equal(found.get('resources'), 'Object');
    assert.match(r.stdout, /^ {3}name\s+<string> -required-$/m);
  });

  it('kubectl 1.28 explain deployment.spec renders the v2 schema', { skip: !existsSync(KUBECTL_128) && 'no kubectl 1.28' }, async () => {
    const f = servers.current!;
    const r = await kubectl(f, KUBECTL_128, ['explain', 'deployment.spec', '--output=plaintext-openapiv2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Deployment$/m);
    const found = explainedFields(r.stdout);
    assert.equal(found.get('replicas'), 'integer');
    assert.equal(found.get('strategy'), 'Object');
    assert.match(r.stdout, /^ {3}selector\s+<Object> -required-$/m);
    assert.match(r.stdout, /^ {3}template\s+<Object> -required-$/m);
    const explained = await kubectl(f, KUBECTL_128, ['explain', 'deployment.spec.strategy.rollingUpdate', '--output=plaintext-openapiv2']);
    assert.equal(explained.code, 0, explained.stderr);
    assert.equal(explainedFields(explained.stdout).get('maxSurge'), 'string');
  });
});
