import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceTypeFor } from '../../api/registry.js';
import type { KubeObject } from '../../api/object.js';
import { defaultTolerationSeconds } from './default-tolerations.js';

const podsType = resourceTypeFor('', 'v1', 'pods')!;
const nodesType = resourceTypeFor('', 'v1', 'nodes')!;

const notReady = (s: number) => ({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });
const unreachable = (s: number) => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });

function pod(tolerations?: unknown[]): KubeObject {
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'nginx' }] };
  if (tolerations) spec.tolerations = tolerations;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
}

const cases: { name: string; given?: unknown[]; want: unknown[]; opts?: { notReadySeconds?: number; unreachableSeconds?: number } }[] = [
  { name: 'no tolerations: both added with 300 s', want: [notReady(300), unreachable(300)] },
  { name: 'configured seconds', opts: { notReadySeconds: 7, unreachableSeconds: 9 }, want: [notReady(7), unreachable(9)] },
  {
    name: 'unrelated toleration kept, defaults appended',
    given: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
    want: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, notReady(300), unreachable(300)],
  },
  {
    name: 'own unreachable toleration kept (even without seconds)',
    given: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
    want: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, notReady(300)],
  },
  {
    name: 'empty effect covers NoExecute',
    given: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }],
    want: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, unreachable(300)],
  },
  { name: 'empty key with Exists tolerates everything', given: [{ operator: 'Exists' }], want: [{ operator: 'Exists' }] },
  {
    name: 'empty key with NoSchedule effect does not cover NoExecute',
    given: [{ operator: 'Exists', effect: 'NoSchedule' }],
    want: [{ operator: 'Exists', effect: 'NoSchedule' }, notReady(300), unreachable(300)],
  },
  {
    name: 'matching key with another effect does not count',
    given: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }],
    want: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, notReady(300), unreachable(300)],
  },
  { name: 'both already tolerated: untouched', given: [notReady(5), unreachable(6)], want: [notReady(5), unreachable(6)] },
];

for (const c of cases) {
  test(`defaultTolerationSeconds: ${c.name}`, async () => {
    const obj = pod(c.given);
    await defaultTolerationSeconds(c.opts ?? {})('create', podsType, obj, undefined);
    assert.deepEqual(obj.spec.tolerations, c.want);
  });
}

test('defaultTolerationSeconds: leaves updates and other kinds alone', async () => {
  const hook = defaultTolerationSeconds();
  const updated = pod();
  await hook('update', podsType, updated, pod());
  assert.equal(updated.spec.tolerations, undefined);
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: {} };
  await hook('create', nodesType, node, undefined);
  assert.deepEqual(node.spec, {});
});
