import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { fieldErrorText } from '../errors.js';
import {
  conditionsAreUpToDate,
  poddisruptionbudgets,
  scaledValue,
  updateDisruptionAllowedCondition,
} from './poddisruptionbudgets.js';

const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web', namespace: 'default', generation: 1 },
  spec,
  ...(status ? { status } : {}),
});

/** Validation messages after defaulting, as the Status would list them. */
function errors(obj: KubeObject): string[] {
  poddisruptionbudgets.defaults(obj);
  return poddisruptionbudgets.validate(obj).map(fieldErrorText);
}

const selector = { matchLabels: { app: 'web' } };
const condition = (over: Record<string, unknown> = {}) => ({
  type: 'DisruptionAllowed',
  status: 'True',
  reason: 'SufficientPods',
  message: '',
  lastTransitionTime: '2026-01-01T00:00:00Z',
  ...over,
});

describe('poddisruptionbudget validation (ValidatePodDisruptionBudget and its status update)', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, string[]][] = [
    ['minAvailable as an int', { minAvailable: 2, selector }, undefined, []],
    ['maxUnavailable as a percentage', { maxUnavailable: '25%', selector }, undefined, []],
    ['neither: allowed, as in Kubernetes (nothing may be disrupted)', { selector }, undefined, []],
    ['an empty selector selects every pod of the namespace', { minAvailable: '100%', selector: {} }, undefined, []],
    ['the unhealthy pod eviction policies', { minAvailable: 1, selector, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, undefined, []],
    [
      'both set',
      { minAvailable: 1, maxUnavailable: 1, selector },
      undefined,
      ['spec: Invalid value: {"minAvailable":1,"maxUnavailable":1,"selector":{"matchLabels":{"app":"web"}}}: minAvailable and maxUnavailable cannot be both set'],
    ],
    ['a negative int', { minAvailable: -1, selector }, undefined, ['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']],
    [
      'a string that is no percentage',
      { maxUnavailable: 'half', selector },
      undefined,
      [
        `spec.maxUnavailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      ],
    ],
    ['more than 100%', { minAvailable: '101%', selector }, undefined, ['spec.minAvailable: Invalid value: "101%": must not be greater than 100%']],
    ['exactly 100%', { maxUnavailable: '100%', selector }, undefined, []],
    ['neither int nor string', { minAvailable: true, selector }, undefined, [`spec.minAvailable: Invalid value: true: must be an integer or percentage (e.g '5%')`]],
    [
      'a selector operator Kubernetes does not know',
      { minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['x'] }] } },
      undefined,
      ['spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'],
    ],
    [
      'an unknown unhealthy pod eviction policy',
      { minAvailable: 1, selector, unhealthyPodEvictionPolicy: 'Sometimes' },
      undefined,
      ['spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"'],
    ],
    ['a status the controller writes', { minAvailable: 1, selector }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 1, conditions: [condition()] }, []],
    ['negative counts', { minAvailable: 1, selector }, { disruptionsAllowed: -1, expectedPods: -2 }, [
      'status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0',
      'status.expectedPods: Invalid value: -2: must be greater than or equal to 0',
    ]],
    ['conditions as ValidateConditions checks them', { minAvailable: 1, selector }, {
      conditions: [condition({ status: 'Maybe', reason: '', lastTransitionTime: undefined }), condition({ reason: 'not a reason' })],
    }, [
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
      'status.conditions[0].lastTransitionTime: Required value: must be set',
      'status.conditions[0].reason: Required value: must be set',
      'status.conditions[1].type: Duplicate value: "DisruptionAllowed"',
      `status.conditions[1].reason: Invalid value: "not a reason": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'ReasonA',  or 'Reason_B',  or 'ReasonC,ReasonD', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')`,
    ]],
  ];
  for (const [name, spec, status, want] of cases) {
    it(name, () => assert.deepEqual(errors(pdb(spec, status)), want));
  }
});

describe('poddisruptionbudget defaults and table', () => {
  it('status carries the four counts and drops empty optional fields', () => {
    const obj = pdb({ minAvailable: 1, selector }, { observedGeneration: 0, disruptedPods: {}, conditions: [] });
    poddisruptionbudgets.defaults(obj);
    assert.deepEqual(obj.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });

  it('MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE as kube prints them', () => {
    assert.deepEqual(poddisruptionbudgets.columns.map((c) => c.name), ['Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
    const now = Date.parse('2026-01-01T00:01:00Z');
    const obj = pdb({ minAvailable: 2, selector }, { disruptionsAllowed: 1 });
    obj.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
    assert.deepEqual(poddisruptionbudgets.cells(obj, now), ['2', 'N/A', 1, '60s']);
    assert.deepEqual(poddisruptionbudgets.cells(pdb({ maxUnavailable: '10%' }), now).slice(0, 3), ['N/A', '10%', 0]);
  });
});

describe('poddisruptionbudget helpers', () => {
  it('scaledValue: ints as they are, percentages of the total rounded as asked', () => {
    assert.equal(scaledValue(3, 10, true), 3);
    assert.equal(scaledValue('25%', 10, true), 3);
    assert.equal(scaledValue('25%', 10, false), 2);
    assert.equal(scaledValue('100%', 0, true), 0);
    assert.throws(() => scaledValue('3', 10, true), /not a percentage/);
  });

  it('the DisruptionAllowed condition follows disruptionsAllowed; its transition time only moves with its status', () => {
    const status: Record<string, any> = { disruptionsAllowed: 1, observedGeneration: 2 };
    updateDisruptionAllowedCondition(status, 't1');
    assert.deepEqual(status.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 2, lastTransitionTime: 't1' }]);
    updateDisruptionAllowedCondition(status, 't2');
    assert.equal(status.conditions[0].lastTransitionTime, 't1', 'unchanged status keeps its time');
    status.disruptionsAllowed = 0;
    updateDisruptionAllowedCondition(status, 't3');
    assert.deepEqual(status.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 2, lastTransitionTime: 't3' }]);
  });

  it('conditionsAreUpToDate: the right condition for the current generation', () => {
    const up = pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, observedGeneration: 1, conditions: [condition()] });
    assert.equal(conditionsAreUpToDate(up), true);
    assert.equal(conditionsAreUpToDate({ ...up, metadata: { ...up.metadata, generation: 2 } }), false, 'older generation');
    assert.equal(conditionsAreUpToDate(pdb({}, { disruptionsAllowed: 0, observedGeneration: 1, conditions: [condition()] })), false, 'says True while none are allowed');
    assert.equal(conditionsAreUpToDate(pdb({}, { disruptionsAllowed: 0, observedGeneration: 1 })), false, 'no condition');
  });
});
