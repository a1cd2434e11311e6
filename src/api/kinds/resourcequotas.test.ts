import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { fieldErrorText } from '../errors.js';
import { quotaColumns, resourcequotas } from './resourcequotas.js';

const quota = (spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'q', namespace: 'default' },
  spec,
  ...(status ? { status } : {}),
});

/** Validation messages after defaulting, as the Status would list them. */
function errors(obj: KubeObject, old?: KubeObject): string[] {
  resourcequotas.defaults(obj);
  return resourcequotas.validate(obj, old).map(fieldErrorText);
}

describe('resourcequota validation', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['no spec at all', {}, []],
    [
      'every standard name, counts, huge pages and extended resources',
      {
        hard: {
          pods: '10', cpu: '4', memory: '8Gi', 'requests.cpu': '500m', 'limits.memory': '1Gi', 'ephemeral-storage': '10Gi',
          'requests.ephemeral-storage': '1Gi', 'limits.ephemeral-storage': '2Gi', 'requests.storage': '100Gi', services: '5',
          'services.nodeports': '2', 'services.loadbalancers': '1', configmaps: '3', secrets: '3', replicationcontrollers: '1',
          resourcequotas: '1', persistentvolumeclaims: '4', 'count/pods': '3', 'count/deployments.apps': '2',
          'hugepages-2Mi': '1Gi', 'requests.hugepages-1Gi': '2Gi', 'requests.nvidia.com/gpu': '4', 'example.com/widgets': '2',
        },
      },
      [],
    ],
    [
      'a name quota does not know',
      { hard: { foo: '1' } },
      [
        'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
        'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota',
      ],
    ],
    ['a standard resource that is no quota resource', { hard: { storage: '1Gi' } }, ['spec.hard[storage]: Invalid value: "storage": must be a standard resource for quota']],
    ['not a qualified name', { hard: { 'a/b/c': '1' } }, [
      `spec.hard[a/b/c]: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]],
    ['negative', { hard: { 'requests.cpu': '-1' } }, ['spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0']],
    ['object counts are whole', { hard: { pods: '1500m', 'count/configmaps': '0.5', cpu: '1500m' } }, [
      'spec.hard[count/configmaps]: Invalid value: "500m": must be an integer',
      'spec.hard[pods]: Invalid value: "1500m": must be an integer',
    ]],
    ['a quantity that does not parse', { hard: { cpu: 'lots' } }, [
      `spec.hard[cpu]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ]],
    ['scopes that fit their resources', { hard: { pods: '2', 'requests.cpu': '1' }, scopes: ['NotTerminating', 'NotBestEffort'] }, []],
    ['an unknown scope', { hard: { pods: '2' }, scopes: ['Weekend'] }, ['spec.scopes: Invalid value: ["Weekend"]: unsupported scope']],
    ['BestEffort pods have no compute to count', { hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] }, [
      'spec.scopes: Invalid value: ["BestEffort"]: unsupported scope applied to resource',
    ]],
    ['a scoped quota on services', { hard: { services: '1' }, scopes: ['Terminating'] }, [
      'spec.scopes: Invalid value: ["Terminating"]: unsupported scope applied to resource',
    ]],
    ['contradictory scopes', { hard: { pods: '1' }, scopes: ['Terminating', 'NotTerminating'] }, [
      'spec.scopes: Invalid value: ["Terminating","NotTerminating"]: conflicting scopes',
    ]],
    [
      'a priority class selector',
      { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
      [],
    ],
    [
      'selector terms: operators and values',
      {
        hard: { pods: '1' },
        scopeSelector: {
          matchExpressions: [
            { scopeName: 'BestEffort', operator: 'In', values: ['x'] },
            { scopeName: 'PriorityClass', operator: 'NotIn' },
            { scopeName: 'PriorityClass', operator: 'Exists', values: ['x'] },
            { scopeName: 'PriorityClass', operator: 'Gt', values: ['1'] },
            { scopeName: 'Sometimes', operator: 'Exists' },
          ],
        },
      },
      [
        `spec.scopeSelector.matchExpressions.operator: Invalid value: "In": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity`,
        "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
        `spec.scopeSelector.matchExpressions.values: Invalid value: ["x"]: must be no value when \`operator\` is 'Exist' or 'DoesNotExist' for scope selector`,
        'spec.scopeSelector.matchExpressions.operator: Invalid value: "Gt": not a valid selector operator',
        'spec.scopeSelector.matchExpressions.scopeName: Invalid value: "Sometimes": unsupported scope',
      ],
    ],
    [
      'contradictory selector terms',
      { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'BestEffort', operator: 'Exists' }, { scopeName: 'NotBestEffort', operator: 'Exists' }] } },
      ['spec.scopeSelector.matchExpressions: Invalid value: null: conflicting scopes'],
    ],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () => assert.deepEqual(errors(quota(spec)), want));
  }

  it('status is held to the same rules', () => {
    assert.deepEqual(errors(quota({ hard: { pods: '1' } }, { hard: { pods: '1' }, used: { pods: '-1', nope: '1' } })), [
      'status.used[nope]: Invalid value: "nope": must be a standard resource type or fully qualified',
      'status.used[nope]: Invalid value: "nope": must be a standard resource for quota',
      'status.used[pods]: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });

  it('scopes cannot change on update; limits can', () => {
    const old = quota({ hard: { pods: '1' }, scopes: ['NotTerminating', 'BestEffort'] });
    assert.deepEqual(errors(quota({ hard: { pods: '5' }, scopes: ['BestEffort', 'NotTerminating'] }), old), []);
    assert.deepEqual(errors(quota({ hard: { pods: '1' }, scopes: ['BestEffort'] }), old), ['spec.scopes: Invalid value: ["BestEffort"]: field is immutable']);
  });
});

describe('resourcequota defaults', () => {
  it('quantities are stored as Kubernetes serializes them', () => {
    const q = quota({ hard: { cpu: '1.5', pods: 2, memory: '1024Mi', bad: 'x' } }, { used: { cpu: '0.25' } });
    resourcequotas.defaults(q);
    assert.deepEqual(q.spec.hard, { cpu: '1500m', pods: '2', memory: '1Gi', bad: 'x' });
    assert.deepEqual(q.status.used, { cpu: '250m' });
  });
});

describe('resourcequota table', () => {
  it('columns are kube-apiserver\'s: AGE before REQUEST and LIMIT', () => {
    assert.deepEqual(resourcequotas.columns.map((c) => c.name), ['Age', 'Request', 'Limit']);
  });
  it('REQUEST and LIMIT list status.hard sorted, used/hard each, limits.* apart', () => {
    const q = quota(
      { hard: { pods: '2' } },
      {
        hard: { 'requests.cpu': '1', pods: '2', 'limits.memory': '2Gi', 'count/configmaps': '5', 'limits.cpu': '2' },
        used: { 'requests.cpu': '500m', pods: '1', 'limits.cpu': '1' },
      },
    );
    assert.deepEqual(quotaColumns(q), ['count/configmaps: 0/5, pods: 1/2, requests.cpu: 500m/1', 'limits.cpu: 1/2, limits.memory: 0/2Gi']);
  });
  it('a quota the controller has not seen yet shows nothing', () => {
    assert.deepEqual(quotaColumns(quota({ hard: { pods: '2' } })), ['', '']);
  });
});
