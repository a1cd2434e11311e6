import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelSelectorCell, replicaCells, validateMapSelectorAndTemplate, validateSelectorAndTemplate } from './workloads.js';

const template = { metadata: { labels: { app: 'a', tier: 'b' } }, spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }] } };

test('selector must select the template', () => {
  const cases: [unknown, string[]][] = [
    [{ matchLabels: { app: 'a' } }, []],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, []],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, ['spec.template.metadata.labels']],
    [{ matchExpressions: [{ key: 'tier', operator: 'In' }] }, ['spec.selector.matchExpressions[0].values']],
  ];
  for (const [selector, want] of cases) {
    const obj = { metadata: { name: 'x' }, spec: { replicas: 1, selector, template } };
    assert.deepEqual(validateSelectorAndTemplate(obj, undefined).map((e) => e.field), want, JSON.stringify(selector));
  }
  const rc = { metadata: { name: 'x' }, spec: { selector: { app: 'a' }, template } };
  assert.deepEqual(validateMapSelectorAndTemplate(rc), []);
});

test('replica cells', () => {
  const obj = { metadata: { name: 'x' }, spec: { replicas: 3, template }, status: { replicas: 2, readyReplicas: 1 } };
  assert.deepEqual(replicaCells(obj, 0, 'app=a'), [3, 2, 1, '<unknown>', 'c', 'i', 'app=a']);
  assert.equal(labelSelectorCell(undefined), '<none>');
  assert.equal(labelSelectorCell({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
});
