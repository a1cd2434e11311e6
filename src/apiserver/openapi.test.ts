/**
 * The OpenAPI documents checked against the real kubectl: a tiny discovery + openapi server on
 * 127.0.0.1 (this test's only network use), a kubeconfig pointing at it, and `kubectl explain`.
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
import {
  openapiV3Document,
  openapiV3DocumentBytes,
  openapiV3Index,
  servedResources,
} from './openapi.js';

// Documents are walked loosely here; the shape is what the assertions check.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KUBECTL = '/usr/bin/kubectl';
const KUBECTL_129 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.29';
const KUBECTL_133 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

// Discovery facts for the test server (names the kubectl RESTMapper needs to resolve "pod", "deploy"...).
const shortNames: Record<string, string[]> = {
  namespaces: ['ns'], nodes: ['no'], pods: ['po'], services: ['svc'], endpoints: ['ep'], events: ['ev'],
  replicationcontrollers: ['rc'], configmaps: ['cm'], deployments: ['deploy'], replicasets: ['rs'],
  resourcequotas: ['quota'], limitranges: ['limits'], poddisruptionbudgets: ['pdb'],
};
const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceList(group: string, version: string): Json {
  const resources: Json[] = [];
  for (const r of servedResources.filter((x) => x.group === group && x.version === version)) {
    resources.push({
      name: r.plural,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs,
      shortNames: shortNames[r.plural] ?? [],
    });
    if (r.scale) {
      resources.push({
        name: `${r.plural}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling',
        version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function route(path: string, query: URLSearchParams): [number, unknown] {
  if (path === '/version') return [200, { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' }];
  if (path === '/api') return [200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }];
  if (path === '/apis') {
    const groups = [...new Set(servedResources.map((r) => r.group).filter((g) => g !== ''))].map((name) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    }));
    return [200, { kind: 'APIGroupList', apiVersion: 'v1', groups }];
  }
  if (path === '/api/v1') return [200, resourceList('', 'v1')];
  const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (gv && gv[1] !== undefined && gv[2] !== undefined) return [200, resourceList(gv[1], gv[2])];
  if (path === '/openapi/v3') return [200, openapiV3Index()];
  if (path.startsWith('/openapi/v3/')) {
    const d = openapiV3DocumentBytes(path.slice('/openapi/v3/'.length));
    if (d && (!query.has('hash') || query.get('hash') === d.hash)) return [200, d.json];
  }
  return [404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }];
}

interface Harness {
  server: Server;
  dir: string;
  kubeconfig: string;
  requests: string[];
}

async function startHarness(): Promise<Harness> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const [code, body] = route(url.pathname, url.searchParams);
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), 'peapod-openapi-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: t\n  cluster:\n    server: http://127.0.0.1:${port}`,
      'users:',
      '- name: t\n  user: {}',
      'contexts:',
      '- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: default',
      'current-context: t',
      '',
    ].join('\n'),
  );
  return { server, dir, kubeconfig, requests };
}

function kubectl(h: Harness, bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--kubeconfig', h.kubeconfig, '--cache-dir', join(h.dir, 'cache'), ...args],
      { timeout: 30_000, env: { ...process.env, HOME: h.dir, KUBECONFIG: h.kubeconfig } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Field name → type column of `kubectl explain` output ("image\t<string>"). */
function explainedFields(out: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const m of out.matchAll(/^ {2}(\w+)\s+<([^>]+)>/gm)) fields.set(m[1]!, m[2]!);
  return fields;
}

describe('openapi v3 documents', () => {
  it('index names every group-version document with a content hash', () => {
    const index = openapiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
    for (const gv of ['api', 'apis', 'api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/autoscaling/v1']) {
      const entry = index.paths[gv];
      assert.ok(entry, `index lacks ${gv}`);
      const bytes = openapiV3DocumentBytes(gv)!;
      assert.equal(entry.serverRelativeURL, `/openapi/v3/${gv}?hash=${bytes.hash}`);
      assert.match(bytes.hash, /^[0-9A-F]{128}$/);
    }
    assert.equal(openapiV3Document('apis/batch/v1'), undefined);
    assert.equal(openapiV3Document('/api/v1/'), openapiV3Document('api/v1'));
  });

  it('uses Kubernetes schema names and extensions', () => {
    const doc = openapiV3Document('api/v1') as Json;
    const s = doc.components.schemas as Json;
    assert.deepEqual(s['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.deepEqual(s['io.k8s.api.core.v1.Event']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Event' }]);
    assert.equal(s['io.k8s.api.core.v1.Pod'].properties.metadata.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.deepEqual(s['io.k8s.api.core.v1.Container'].required, ['name']);
    assert.deepEqual(s['io.k8s.api.core.v1.PodSpec'].required, ['containers']);
    const containers = s['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    const ports = s['io.k8s.api.core.v1.Container'].properties.ports;
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties.$ref,
      '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity');
    assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']['x-kubernetes-int-or-string'], true);
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
    assert.equal(s['io.k8s.api.core.v1.ContainerPort'].properties.containerPort.format, 'int32');
    // every $ref resolves inside the document
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) assert.ok(s[m[1]!], `dangling ${m[1]}`);

    const apps = openapiV3Document('apis/apps/v1') as Json;
    assert.ok(apps.components.schemas['io.k8s.api.apps.v1.DeploymentStrategy']);
    assert.ok(apps.components.schemas['io.k8s.api.core.v1.PodTemplateSpec']);
    assert.ok(apps.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']);
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const lease = openapiV3Document('apis/coordination.k8s.io/v1') as Json;
    assert.ok(lease.components.schemas['io.k8s.api.coordination.v1.LeaseSpec']);
    const discovery = openapiV3Document('apis/discovery.k8s.io/v1') as Json;
    const slice = discovery.components.schemas['io.k8s.api.discovery.v1.EndpointSlice'];
    assert.deepEqual(slice['x-kubernetes-group-version-kind'], [{ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }]);
    assert.deepEqual(slice.required, ['addressType', 'endpoints']);
    assert.ok(discovery.components.schemas['io.k8s.api.discovery.v1.EndpointPort'], 'discovery ports are not core ports');
    assert.ok(discovery.components.schemas['io.k8s.api.discovery.v1.EndpointConditions']);
    assert.ok(discovery.paths['/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}']);
  });

  it('every patch operation offers fieldValidation (kubectl then leaves validation to the server)', () => {
    for (const gv of ['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1']) {
      const doc = openapiV3Document(gv) as Json;
      let patches = 0;
      for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
        for (const method of ['post', 'put', 'patch']) {
          const o = item[method];
          if (!o) continue;
          const names = (o.parameters as Json[]).map((p) => `${p.in}:${p.name}`);
          for (const p of ['fieldValidation', 'dryRun', 'fieldManager']) assert.ok(names.includes(`query:${p}`), `${method} ${path} lacks ${p}`);
          assert.ok(o['x-kubernetes-group-version-kind'], `${method} ${path} lacks GVK`);
          if (method === 'patch') patches++;
        }
      }
      assert.ok(patches > 0, gv);
    }
    const pods = (openapiV3Document('api/v1') as Json).paths['/api/v1/namespaces/{namespace}/pods'];
    assert.equal(pods.get['x-kubernetes-action'], 'list');
    assert.equal(pods.delete['x-kubernetes-action'], 'deletecollection');
  });

  it('is built once and quickly', async () => {
    const t = performance.now();
    const mod = await import(`./openapi.js?fresh=${Date.now()}`);
    mod.openapiV3Index();
    const ms = performance.now() - t;
    assert.ok(ms < 1000, `fresh load + build took ${ms.toFixed(0)} ms`);
    const again = performance.now();
    openapiV3Index();
    openapiV3Document('api/v1');
    assert.ok(performance.now() - again < 5, 'second call should hit the cache');
  });
});

describe('kubectl against the openapi documents', { skip: !existsSync(KUBECTL) && 'no kubectl' }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await new Promise<void>((resolve) => h.server.close(() => resolve()));
    h.server.closeAllConnections();
    await rm(h.dir, { recursive: true, force: true });
  });

  it('explain pod.spec.containers lists the fields with their types', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'pod.spec.containers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Pod$/m);
    assert.match(r.stdout, /^VERSION:\s+v1$/m);
    const f = explainedFields(r.stdout);
    assert.equal(f.get('image'), 'string');
    assert.equal(f.get('ports'), '[]ContainerPort');
    assert.equal(f.get('env'), '[]EnvVar');
    assert.equal(f.get('resources'), 'ResourceRequirements');
    assert.match(r.stdout, /^ {2}name\s+<string> -required-$/m);
    const res = await kubectl(h, KUBECTL, ['explain', 'pod.spec.containers.resources']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(explainedFields(res.stdout).get('limits'), 'map[string]Quantity');
    assert.ok(h.requests.some((q) => q.startsWith('GET /openapi/v3/api/v1?hash=')), h.requests.join('\n'));
  });

  it('explain deployment.spec.strategy follows apps/v1 into nested types', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'deployment.spec.strategy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GROUP:\s+apps$/m);
    assert.match(r.stdout, /^KIND:\s+Deployment$/m);
    const f = explainedFields(r.stdout);
    assert.equal(f.get('rollingUpdate'), 'RollingUpdateDeployment');
    assert.equal(f.get('type'), 'string');
    const ru = await kubectl(h, KUBECTL, ['explain', 'deploy.spec.strategy.rollingUpdate']);
    assert.equal(ru.code, 0, ru.stderr);
    assert.equal(explainedFields(ru.stdout).get('maxSurge'), 'IntOrString');
  });

  it('explain endpointslice follows discovery.k8s.io/v1 into its endpoints', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'endpointslice.endpoints']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GROUP:\s+discovery\.k8s\.io$/m);
    const f = explainedFields(r.stdout);
    assert.equal(f.get('addresses'), '[]string');
    assert.equal(f.get('conditions'), 'EndpointConditions');
    assert.equal(f.get('targetRef'), 'ObjectReference');
  });

  it('explain limits: an atomic list of items with a required type and maps of quantities', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'limits.spec.limits']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+LimitRange$/m);
    assert.match(r.stdout, /type\s+<string> -required-/);
    const f = explainedFields(r.stdout);
    for (const field of ['default', 'defaultRequest', 'max', 'maxLimitRequestRatio', 'min']) assert.equal(f.get(field), 'map[string]Quantity', field);
    const spec = (openapiV3Document('api/v1') as Json).components.schemas['io.k8s.api.core.v1.LimitRangeSpec'];
    assert.deepEqual(spec.required, ['limits']);
    assert.equal(spec.properties.limits['x-kubernetes-list-type'], 'atomic');
  });

  it('explain quota: hard limits and usage are maps of quantities, scope terms name scope and operator', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'quota.spec']);
    assert.equal(r.code, 0, r.stderr);
    const f = explainedFields(r.stdout);
    assert.equal(f.get('hard'), 'map[string]Quantity');
    assert.equal(f.get('scopes'), '[]string');
    assert.equal(f.get('scopeSelector'), 'ScopeSelector');
    const status = await kubectl(h, KUBECTL, ['explain', 'resourcequota.status']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(explainedFields(status.stdout).get('used'), 'map[string]Quantity');
    const term = await kubectl(h, KUBECTL, ['explain', 'quota.spec.scopeSelector.matchExpressions']);
    assert.equal(term.code, 0, term.stderr);
    assert.match(term.stdout, /operator\s+<string> -required-/);
    assert.match(term.stdout, /scopeName\s+<string> -required-/);
  });

  it('explain the RBAC kinds: rules need verbs, bindings a roleRef, every list atomic', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'clusterrole.rules']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GROUP:\s+rbac\.authorization\.k8s\.io$/m);
    assert.match(r.stdout, /^ {2}verbs\s+<\[\]string> -required-$/m);
    assert.equal(explainedFields(r.stdout).get('nonResourceURLs'), '[]string');
    const b = await kubectl(h, KUBECTL, ['explain', 'rolebinding']);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /^ {2}roleRef\s+<RoleRef> -required-$/m);
    assert.equal(explainedFields(b.stdout).get('subjects'), '[]Subject');
    const agg = await kubectl(h, KUBECTL, ['explain', 'clusterrole.aggregationRule']);
    assert.equal(agg.code, 0, agg.stderr);
    assert.equal(explainedFields(agg.stdout).get('clusterRoleSelectors'), '[]LabelSelector');
    const schemas = (openapiV3Document('apis/rbac.authorization.k8s.io/v1') as Json).components.schemas;
    assert.equal(schemas['io.k8s.api.rbac.v1.RoleBinding'].properties.subjects['x-kubernetes-list-type'], 'atomic');
    assert.deepEqual(schemas['io.k8s.api.rbac.v1.Subject'].required, ['kind', 'name']);
    assert.equal(schemas['io.k8s.api.rbac.v1.PolicyRule'].properties.resources['x-kubernetes-list-type'], 'atomic');
  });

  it('explain pdb: policy/v1, int-or-string budgets, a replace-strategy selector, conditions by type', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'pdb.spec']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GROUP:\s+policy$/m);
    assert.match(r.stdout, /^KIND:\s+PodDisruptionBudget$/m);
    const f = explainedFields(r.stdout);
    assert.equal(f.get('minAvailable'), 'IntOrString');
    assert.equal(f.get('maxUnavailable'), 'IntOrString');
    assert.equal(f.get('selector'), 'LabelSelector');
    assert.equal(f.get('unhealthyPodEvictionPolicy'), 'string');
    const status = await kubectl(h, KUBECTL, ['explain', 'poddisruptionbudget.status']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(explainedFields(status.stdout).get('disruptedPods'), 'map[string]string');
    assert.equal(explainedFields(status.stdout).get('conditions'), '[]Condition');
    const s = (openapiV3Document('apis/policy/v1') as Json).components.schemas;
    assert.deepEqual(s['io.k8s.api.policy.v1.PodDisruptionBudgetSpec'].properties.selector, {
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' }],
      'x-kubernetes-patch-strategy': 'replace',
    });
    assert.equal(s['io.k8s.api.policy.v1.PodDisruptionBudgetStatus'].properties.conditions['x-kubernetes-patch-merge-key'], 'type');
    // kubectl drain's Eviction is described where it is posted: pods/eviction in core/v1.
    const core = openapiV3Document('api/v1') as Json;
    const eviction = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post;
    assert.deepEqual(eviction['x-kubernetes-group-version-kind'], { group: 'policy', version: 'v1', kind: 'Eviction' });
    assert.ok(core.components.schemas['io.k8s.api.policy.v1.Eviction']);
  });

  it('explain --recursive and the lease kind', async () => {
    const r = await kubectl(h, KUBECTL, ['explain', 'leases', '--recursive']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /holderIdentity\s+<string>/);
    assert.match(r.stdout, /renewTime\s+<string>/);
  });

  // kubectl 1.27 and 1.28 read /openapi/v2 for explain; openapi-v2.test.ts covers them.
  for (const [label, bin] of [['1.29', KUBECTL_129], ['1.33', KUBECTL_133]] as const) {
    it(`kubectl ${label} explains pods`, { skip: !existsSync(bin) && `no ${bin}` }, async () => {
      const r = await kubectl(h, bin, ['explain', 'pods.spec']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^KIND:\s+Pod$/m);
      assert.match(r.stdout, /^ {2}containers\s+<\[\]Container> -required-$/m);
    });
  }

  it('apply --dry-run=client checks the patch operation for fieldValidation', async () => {
    const manifest = join(h.dir, 'pod.yaml');
    // The misspelt field would fail client-side validation; kubectl skips it because the patch
    // operation for v1 Pod offers fieldValidation, i.e. the server validates.
    await writeFile(manifest, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    imagee: busybox\n');
    const r = await kubectl(h, KUBECTL, ['apply', '--validate=strict', '--dry-run=client', '-f', manifest]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod\/p created \(dry run\)/);
  });
});
