import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { defaultPod } from '../kinds/pods.js';
import { allResourceTypes } from '../registry.js';
import {
  evaluatorFor,
  objectCountEvaluator,
  podEvaluator,
  quotaMatches,
  scopeRequirementsOf,
  serviceEvaluator,
  usageOf,
} from './evaluators.js';
import { resourceListJSON } from './resources.js';

type Res = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(containers: Res[], extra: Record<string, unknown> = {}, init: (Res & { restartPolicy?: string })[] = []): KubeObject {
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'nginx', resources })),
      initContainers: init.map(({ restartPolicy, ...resources }, i) => ({ name: `i${i}`, image: 'busybox', resources, ...(restartPolicy ? { restartPolicy } : {}) })),
      ...extra,
    },
    status: { phase: 'Pending' },
  };
  defaultPod(p);
  return p;
}

const usage = (obj: KubeObject, now = 0) => resourceListJSON((obj.kind === 'Service' ? serviceEvaluator : podEvaluator).usage(obj, now));

describe('pod usage', () => {
  it('sums the containers; cpu and memory alias their requests; count/pods besides', () => {
    const p = pod([
      { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      { requests: { cpu: '250m', memory: '128Mi', 'ephemeral-storage': '1Gi' }, limits: { cpu: '1' } },
    ]);
    assert.deepEqual(usage(p), {
      'count/pods': '1', pods: '1',
      cpu: '500m', 'requests.cpu': '500m', 'limits.cpu': '1500m',
      memory: '256Mi', 'requests.memory': '256Mi', 'limits.memory': '256Mi',
      'ephemeral-storage': '1Gi', 'requests.ephemeral-storage': '1Gi',
    });
  });
  it('limits alone count as requests too (pod defaulting copies them)', () => {
    assert.equal(usage(pod([{ limits: { cpu: '2' } }]))['requests.cpu'], '2');
  });
  it('an init container that needs more than the containers sets the bar; sidecars add up', () => {
    assert.equal(usage(pod([{ requests: { cpu: '100m' } }], {}, [{ requests: { cpu: '1' } }]))['requests.cpu'], '1');
    // The sidecar runs beside everything after it: 100m + 200m for the app, 200m + 1 while the init runs.
    const withSidecar = pod([{ requests: { cpu: '100m' } }], {}, [{ requests: { cpu: '200m' }, restartPolicy: 'Always' }, { requests: { cpu: '1' } }]);
    assert.equal(usage(withSidecar)['requests.cpu'], '1200m');
  });
  it('pod overhead adds to requests, and to limits only where some container sets one', () => {
    const u = usage(pod([{ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } }], { overhead: { cpu: '50m', memory: '16Mi' } }));
    assert.equal(u['requests.cpu'], '150m');
    assert.equal(u['requests.memory'], '80Mi');
    assert.equal(u['limits.cpu'], '250m');
    assert.equal(u['limits.memory'], undefined);
  });
  it('huge pages and extended resources are counted as requests', () => {
    const u = usage(pod([{ requests: { cpu: '1', 'hugepages-2Mi': '4Mi', 'example.com/gpu': '2' }, limits: { 'hugepages-2Mi': '4Mi', 'example.com/gpu': '2' } }]));
    assert.equal(u['hugepages-2Mi'], '4Mi');
    assert.equal(u['requests.hugepages-2Mi'], '4Mi');
    assert.equal(u['requests.example.com/gpu'], '2');
  });
  it('a terminal pod, or one deleted past its grace period, keeps only its count/pods', () => {
    const done = pod([{ requests: { cpu: '1' } }]);
    done.status = { phase: 'Succeeded' };
    assert.deepEqual(usage(done), { 'count/pods': '1' });
    const stuck = pod([{ requests: { cpu: '1' } }]);
    stuck.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    stuck.metadata.deletionGracePeriodSeconds = 30;
    const at = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(usage(stuck, at + 10_000).pods, '1');
    assert.deepEqual(usage(stuck, at + 31_000), { 'count/pods': '1' });
  });
});

describe('pod constraints', () => {
  it('every container (init containers too) must set what a quota limits among cpu and memory', () => {
    const p = pod([{ requests: { cpu: '1' } }, {}], {}, [{ limits: { cpu: '1', memory: '1Gi' } }]);
    assert.equal(
      podEvaluator.constraints(['pods', 'requests.cpu', 'limits.memory', 'requests.ephemeral-storage'], p),
      'must specify limits.memory for: c0,c1; requests.cpu for: c1',
    );
    assert.equal(podEvaluator.constraints(['pods', 'cpu'], pod([{ requests: { cpu: '1' } }])), undefined);
  });
});

describe('pod scopes', () => {
  const exists = (scopeName: string) => ({ scopeName, operator: 'Exists' });
  const bestEffort = pod([{}]);
  const burstable = pod([{ requests: { cpu: '1' } }]);
  const cases: [string, KubeObject, string, boolean][] = [
    ['BestEffort', bestEffort, 'BestEffort', true],
    ['NotBestEffort of a best-effort pod', bestEffort, 'NotBestEffort', false],
    ['NotBestEffort', burstable, 'NotBestEffort', true],
    ['Terminating without a deadline', burstable, 'Terminating', false],
    ['Terminating with activeDeadlineSeconds', pod([{}], { activeDeadlineSeconds: 60 }), 'Terminating', true],
    ['NotTerminating', burstable, 'NotTerminating', true],
    ['PriorityClass Exists without one', burstable, 'PriorityClass', false],
    ['PriorityClass Exists', pod([{}], { priorityClassName: 'high' }), 'PriorityClass', true],
    [
      'CrossNamespacePodAffinity',
      pod([{}], { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'x', namespaceSelector: {} } }] } } }),
      'CrossNamespacePodAffinity',
      true,
    ],
    ['CrossNamespacePodAffinity of a same-namespace term', pod([{}], { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'x' }] } } }), 'CrossNamespacePodAffinity', false],
  ];
  for (const [name, p, scope, want] of cases) it(name, () => assert.equal(podEvaluator.matchesScope(exists(scope), p), want));

  it('PriorityClass In / NotIn / DoesNotExist', () => {
    const high = pod([{}], { priorityClassName: 'high' });
    const none = pod([{}]);
    const term = (operator: string, values?: string[]) => ({ scopeName: 'PriorityClass', operator, values });
    assert.equal(podEvaluator.matchesScope(term('In', ['high', 'mid']), high), true);
    assert.equal(podEvaluator.matchesScope(term('In', ['low']), high), false);
    assert.equal(podEvaluator.matchesScope(term('NotIn', ['low']), none), true);
    assert.equal(podEvaluator.matchesScope(term('DoesNotExist'), none), true);
  });

  it('a quota matches when it limits something the pod uses and all its scope terms hold', () => {
    const q: KubeObject = { metadata: { name: 'q' }, spec: { scopes: ['NotBestEffort'], scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'DoesNotExist' }] } } };
    const scopes = scopeRequirementsOf(q);
    assert.equal(quotaMatches(podEvaluator, ['pods'], scopes, burstable), true);
    assert.equal(quotaMatches(podEvaluator, ['pods'], scopes, bestEffort), false);
    assert.equal(quotaMatches(podEvaluator, ['services'], scopes, burstable), false);
  });
});

describe('services and object counts', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec });
  it('node ports and load balancers by type', () => {
    const ports = [{ port: 80 }, { port: 443 }];
    assert.deepEqual(usage(svc({ ports })), { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' });
    assert.equal(usage(svc({ type: 'NodePort', ports }))['services.nodeports'], '2');
    assert.deepEqual(usage(svc({ type: 'LoadBalancer', ports })), { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
    assert.equal(usage(svc({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, nodePort: 30001 }, { port: 81 }] }))['services.nodeports'], '1');
    assert.equal(serviceEvaluator.releasesOnUpdate(svc({ type: 'NodePort' }), svc({ type: 'ClusterIP' }), 0), true);
    assert.equal(serviceEvaluator.matchesScope({ scopeName: 'BestEffort', operator: 'Exists' }, svc({})), false);
  });
  it('count/<resource>[.<group>] for every served namespaced kind, legacy names for some, none for events', () => {
    const byPlural = (plural: string) => evaluatorFor(allResourceTypes.find((rt) => rt.plural === plural)!);
    assert.deepEqual(byPlural('configmaps')!.matchingResources(['configmaps', 'count/configmaps', 'pods']), ['configmaps', 'count/configmaps']);
    assert.deepEqual(byPlural('deployments')!.matchingResources(['count/deployments.apps', 'count/deployments']), ['count/deployments.apps']);
    assert.deepEqual(resourceListJSON(objectCountEvaluator('', 'secrets').usage({ metadata: {} }, 0)), { 'count/secrets': '1', secrets: '1' });
    assert.equal(byPlural('events'), undefined);
    assert.equal(byPlural('nodes'), undefined);
    assert.equal(byPlural('pods'), podEvaluator);
  });
  it('usage stats sum the objects in scope, with zero for what nothing uses', () => {
    const used = usageOf(podEvaluator, [pod([{ requests: { cpu: '1' } }]), pod([{}])], [{ scopeName: 'NotBestEffort', operator: 'Exists' }], ['pods', 'requests.memory'], 0);
    assert.equal(resourceListJSON(used).pods, '1');
    assert.equal(resourceListJSON(used)['requests.memory'], '0');
  });
});
