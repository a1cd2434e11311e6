import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { events } from './events.js';

function event(extra: Record<string, unknown>): KubeObject {
  return {
    metadata: { name: 'web.17a', namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled',
    message: ' Successfully pulled image \n',
    type: 'Normal',
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:04:00Z',
    count: 3,
    ...extra,
  };
}

test('event table', () => {
  const now = Date.parse('2024-01-01T00:05:00Z');
  assert.deepEqual(events.cells(event({}), now), [
    '60s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'kubelet, n1', 'Successfully pulled image', '5m', 3, 'web.17a',
  ]);
  const fresh = event({ firstTimestamp: undefined, lastTimestamp: undefined, count: undefined, eventTime: '2024-01-01T00:04:50.000000Z', source: {}, reportingComponent: 'scheduler' });
  assert.deepEqual(events.cells(fresh, now).slice(0, 6), ['10s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'scheduler']);
  assert.equal(events.cells(fresh, now)[8], 1);
  assert.equal(events.ownNameColumn, true);
  assert.deepEqual(events.columns.filter((c) => c.priority === 0).map((c) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
});

test('event validation and fields', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['valid', {}, []],
    ['no involved object', { involvedObject: undefined }, ['involvedObject']],
    ['namespace mismatch', { involvedObject: { kind: 'Pod', namespace: 'other', name: 'x' } }, ['involvedObject.namespace']],
    ['node event in default', { involvedObject: { kind: 'Node', name: 'n1' } }, []],
    ['new style needs reporting fields', { eventTime: '2024-01-01T00:00:00.000000Z', type: 'Odd' }, ['reportingComponent', 'reportingInstance', 'action', 'type']],
  ];
  for (const [name, extra, want] of cases) assert.deepEqual(events.validate(event(extra)).map((e) => e.field), want, name);
  const fields = events.selectableFields(event({}));
  assert.equal(fields['involvedObject.name'], 'web');
  assert.equal(fields.source, 'kubelet');
  assert.equal(fields.type, 'Normal');
  assert.equal(Object.keys(fields).length, 11);
});
