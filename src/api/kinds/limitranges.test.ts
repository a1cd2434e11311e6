import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { fieldErrorText } from '../errors.js';
import { limitranges } from './limitranges.js';

const limitRange = (...limits: Record<string, unknown>[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name: 'limits', namespace: 'default' },
  spec: { limits },
});

/** Validation messages after defaulting, as the Status would list them. */
function errors(obj: KubeObject): string[] {
  limitranges.defaults(obj);
  return limitranges.validate(obj).map(fieldErrorText);
}

/** What field.Invalid shows for a Quantity parsed from `text` (int64 form). */
const dump = (value: number, scale: number, s: string, format = 'DecimalSI') =>
  `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"${s}", Format:"${format}"}`;

describe('limitrange defaults', () => {
  it('a Container item defaults its limit to max, its request to the limit, then to min', () => {
    const lr = limitRange({ type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m', 'ephemeral-storage': '1Gi' }, default: { memory: '512Mi' } });
    limitranges.defaults(lr);
    assert.deepEqual(lr.spec.limits[0], {
      type: 'Container',
      max: { cpu: '2', memory: '1Gi' },
      min: { cpu: '100m', 'ephemeral-storage': '1Gi' },
      default: { memory: '512Mi', cpu: '2' },
      defaultRequest: { memory: '512Mi', cpu: '2', 'ephemeral-storage': '1Gi' },
    });
  });
  it('what is given stays; Pod items and empty maps are left alone', () => {
    const lr = limitRange(
      { type: 'Container', max: { cpu: '2' }, default: { cpu: '1' }, defaultRequest: { cpu: '500m' } },
      { type: 'Pod', max: { cpu: '4' } },
      { type: 'Container' },
    );
    limitranges.defaults(lr);
    assert.deepEqual(lr.spec.limits, [
      { type: 'Container', max: { cpu: '2' }, default: { cpu: '1' }, defaultRequest: { cpu: '500m' } },
      { type: 'Pod', max: { cpu: '4' } },
      { type: 'Container' },
    ]);
  });
});

describe('limitrange validation', () => {
  const qualified =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: [string, KubeObject, string[]][] = [
    [
      'a valid LimitRange of each type',
      limitRange(
        { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' }, default: { cpu: '500m' }, defaultRequest: { cpu: '200m' }, maxLimitRequestRatio: { cpu: '4' } },
        { type: 'Pod', max: { cpu: '4', 'hugepages-2Mi': '1Gi' } },
        { type: 'PersistentVolumeClaim', min: { storage: '1Gi' } },
        { type: 'example.com/Thing', max: { 'example.com/widgets': '3' } },
      ),
      [],
    ],
    ['no limits at all', limitRange(), []],
    [
      'type must be a standard one or qualified',
      limitRange({ type: 'Nodes' }, { type: 'bad type!' }, {}),
      [
        'spec.limits[0].type: Invalid value: "Nodes": must be a standard limit type or fully qualified',
        `spec.limits[1].type: Invalid value: "bad type!": ${qualified}`,
        'spec.limits[2].type: Invalid value: "": name part must be non-empty',
        `spec.limits[2].type: Invalid value: "": ${qualified}`,
      ],
    ],
    ['a type twice', limitRange({ type: 'Container' }, { type: 'Container' }), ['spec.limits[1].type: Duplicate value: "Container"']],
    [
      'resource names: pods and containers take cpu, memory, ephemeral-storage, hugepages and extended resources',
      limitRange({ type: 'Pod', max: { pods: '3', gpu: '1', 'example.com/gpu': '1', 'kubernetes.io/thing': '1' } }),
      [
        'spec.limits[0].max[pods]: Invalid value: "pods": must be a standard resource for containers',
        'spec.limits[0].max[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.limits[0].max[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      ],
    ],
    [
      'a Pod item has no defaults',
      limitRange({ type: 'Pod', default: { cpu: '1' }, defaultRequest: { cpu: '1' }, max: { cpu: '2' } }),
      [
        "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
        "spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
      ],
    ],
    [
      'a PersistentVolumeClaim item bounds storage',
      limitRange({ type: 'PersistentVolumeClaim', max: { cpu: '1' } }),
      ['spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided'],
    ],
    [
      'min above max',
      limitRange({ type: 'Pod', min: { cpu: '200m' }, max: { cpu: '100m' } }),
      [`spec.limits[0].min[cpu]: Invalid value: ${dump(200, -3, '200m')}: min value 200m is greater than max value 100m`],
    ],
    [
      'default request below min, above max, above the default limit (a non-canonical value shows canonically)',
      limitRange(
        { type: 'Container', min: { cpu: '500m' }, max: { cpu: '1' }, default: { cpu: '800m' }, defaultRequest: { cpu: '0.4' } },
        { type: 'Container', max: { memory: '1Gi' }, default: { memory: '512Mi' }, defaultRequest: { memory: '2Gi' } },
      ),
      [
        `spec.limits[0].defaultRequest[cpu]: Invalid value: ${dump(4, -1, '400m')}: min value 500m is greater than default request value 400m`,
        'spec.limits[1].type: Duplicate value: "Container"',
        `spec.limits[1].defaultRequest[memory]: Invalid value: ${dump(2147483648, 0, '2Gi', 'BinarySI')}: default request value 2Gi is greater than max value 1Gi`,
        `spec.limits[1].defaultRequest[memory]: Invalid value: ${dump(2147483648, 0, '2Gi', 'BinarySI')}: default request value 2Gi is greater than default limit value 512Mi`,
      ],
    ],
    [
      'default limit outside min and max (Kubernetes shows the bound as the value)',
      limitRange(
        { type: 'Container', min: { cpu: '1' }, max: { cpu: '2' }, default: { cpu: '3' }, defaultRequest: { cpu: '1' } },
        { type: 'PersistentVolumeClaim', min: { storage: '1Gi' } },
        { type: 'example.com/x', min: { memory: '1000' }, default: { memory: '1' }, defaultRequest: { memory: '1' } },
      ),
      [
        `spec.limits[0].default[cpu]: Invalid value: ${dump(2, 0, '2')}: default value 3 is greater than max value 2`,
        `spec.limits[2].defaultRequest[memory]: Invalid value: ${dump(1, 0, '1')}: min value 1k is greater than default request value 1`,
        `spec.limits[2].default[memory]: Invalid value: ${dump(1000, 0, '1k')}: min value 1k is greater than default value 1`,
      ],
    ],
    [
      'ratio below 1, and above max/min',
      limitRange({ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }, { type: 'Pod', min: { memory: '1Gi' }, max: { memory: '3Gi' }, maxLimitRequestRatio: { memory: '4' } }),
      [
        `spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: ${dump(500, -3, '500m')}: ratio 500m is less than 1`,
        `spec.limits[1].maxLimitRequestRatio[memory]: Invalid value: ${dump(4, 0, '4')}: ratio 4 is greater than max/min = 3.000000`,
      ],
    ],
    [
      'hugepages and extended resources request what they limit',
      limitRange({ type: 'Container', default: { 'hugepages-2Mi': '4Mi', 'example.com/gpu': '2' }, defaultRequest: { 'hugepages-2Mi': '2Mi', 'example.com/gpu': '1' } }),
      [
        `spec.limits[0].defaultRequest[example.com/gpu]: Invalid value: ${dump(1, 0, '1')}: default value 2 must equal to defaultRequest value 1 in example.com/gpu`,
        `spec.limits[0].defaultRequest[hugepages-2Mi]: Invalid value: ${dump(2097152, 0, '2Mi', 'BinarySI')}: default value 4Mi must equal to defaultRequest value 2Mi in hugepages-2Mi`,
      ],
    ],
  ];
  for (const [name, obj, want] of cases) {
    it(name, () => {
      assert.deepEqual(errors(obj), want);
    });
  }
});

describe('limitrange table', () => {
  it('prints NAME and CREATED AT, the time itself', () => {
    assert.deepEqual(limitranges.columns.map((c) => [c.name, c.type]), [['Created At', 'date']]);
    const lr = limitRange();
    lr.metadata.creationTimestamp = '2026-01-02T03:04:05Z';
    assert.deepEqual(limitranges.cells(lr, Date.parse('2026-02-01T00:00:00Z')), ['2026-01-02T03:04:05Z']);
    assert.deepEqual(limitranges.shortNames, ['limits']);
  });
});
