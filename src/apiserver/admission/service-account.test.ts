import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { resourceTypeFor } from '../../api/registry.js';
import type { NamespacedObjectCache } from './namespaced-cache.js';
import { serviceAccountAdmission } from './service-account.js';

const pods = resourceTypeFor('', 'v1', 'pods')!;
const pod = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>): KubeObject => ({
  metadata: { name: 'p', namespace: 'team', ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

/** A cache of service account names: `inStep` false makes the hook ask the store (`stored`). */
function names(cached: string[], opts: { inStep?: boolean; stored?: string[] } = {}) {
  const reads: string[] = [];
  const cache = {
    cached: (ns: string) => (opts.inStep === false ? undefined : ns === 'team' ? cached : []),
    read: async (ns: string) => (reads.push(ns), opts.stored ?? cached),
  } as unknown as NamespacedObjectCache<string>;
  return { cache, reads };
}

test('a pod runs as default unless it names a service account; the deprecated field follows', async () => {
  const hook = serviceAccountAdmission(names([]).cache);
  const p = pod();
  await hook('create', pods, p, undefined);
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.equal(p.spec.serviceAccount, 'default');
});

test('a pod naming a service account that is not there is refused, in kube words; one that is there passes', async () => {
  const { cache, reads } = names(['builder']);
  const hook = serviceAccountAdmission(cache);
  assert.equal(await hook('create', pods, pod({ serviceAccountName: 'builder' }), undefined), undefined);
  assert.deepEqual(reads, [], 'found in memory: no store read');
  await assert.rejects(
    async () => hook('create', pods, pod({ serviceAccountName: 'ghost' }), undefined),
    (e: ApiError) => e.code === 403 && e.message === 'pods "p" is forbidden: error looking up service account team/ghost: serviceaccount "ghost" not found',
  );
  // Mirror pods (a kubelet's static pods) and updates are not looked at.
  await hook('create', pods, pod({ serviceAccountName: 'ghost' }, { 'kubernetes.io/config.mirror': 'x' }), undefined);
  await hook('update', pods, pod({ serviceAccountName: 'ghost' }), pod({ serviceAccountName: 'ghost' }));
});

test('a service account the cache has not seen yet is looked up in the store', async () => {
  const { cache, reads } = names([], { stored: ['fresh'] });
  await serviceAccountAdmission(cache)('create', pods, pod({ serviceAccountName: 'fresh' }), undefined);
  assert.deepEqual(reads, ['team']);
  const out = names([], { inStep: false, stored: [] });
  await assert.rejects(async () => serviceAccountAdmission(out.cache)('create', pods, pod({ serviceAccountName: 'x' }), undefined), (e: ApiError) => e.code === 403);
});
