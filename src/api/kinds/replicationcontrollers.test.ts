import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../errors.js';
import type { KubeObject } from '../object.js';
import { replicationcontrollers as rcs } from './replicationcontrollers.js';

function rc(spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'default', labels },
    spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } }, ...spec },
  };
}

test('selector and labels default from the template', () => {
  const r = rc();
  rcs.defaults(r);
  assert.deepEqual(r.spec.selector, { app: 'web' });
  assert.deepEqual(r.metadata.labels, { app: 'web' });
  assert.equal(r.spec.replicas, 1);
  const own = rc({ selector: { app: 'web' } }, { mine: 'yes' });
  rcs.defaults(own);
  assert.deepEqual(own.metadata.labels, { mine: 'yes' });
  assert.deepEqual(rcs.validate(r), []);
});

test('rc validation and table', () => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    {
      name: 'mismatch',
      obj: rc({ selector: { app: 'db' } }),
      want: ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    },
    { name: 'no template', obj: { metadata: { name: 'x' }, spec: { selector: { a: 'b' } } }, want: ['spec.template: Required value'] },
    { name: 'no selector or template', obj: { metadata: { name: 'x' }, spec: {} }, want: ['spec.selector: Required value', 'spec.template: Required value'] },
  ];
  for (const c of cases) {
    rcs.defaults(c.obj);
    assert.deepEqual(rcs.validate(c.obj).map(fieldErrorText), c.want, c.name);
  }
  const r = rc();
  rcs.defaults(r);
  assert.deepEqual(rcs.cells(r, 0).slice(4), ['c', 'x', 'app=web']);
  assert.deepEqual(rcs.shortNames, ['rc']);
  assert.deepEqual(rcs.scale, { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', selectorPath: 'spec.selector' });
});
