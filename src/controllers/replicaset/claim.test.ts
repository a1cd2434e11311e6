import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { selectorFromMap } from '../../api/labels.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { claimPods } from './claim.js';
import type { JsonPatchOp, PodControl } from './pod-control.js';

const owner: KubeObject = { metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid' } };
const ref: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true };
const otherRef: OwnerReference = { ...ref, name: 'other', uid: 'other-uid' };
const selector = selectorFromMap({ app: 'web' });

function pod(name: string, labels: Record<string, string>, refs?: OwnerReference[], extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '7', labels, ownerReferences: refs, ...extra } };
}

/** Records patches; fails those named in `failures`. */
class RecordingPodControl implements PodControl {
  patches = new Map<string, JsonPatchOp[]>();
  constructor(private readonly failures: Record<string, ApiError> = {}) {}
  async createPod(): Promise<KubeObject> {
    throw new Error('not used');
  }
  async deletePod(): Promise<void> {
    throw new Error('not used');
  }
  async patchPod(_ns: string, name: string, patch: JsonPatchOp[]): Promise<KubeObject> {
    this.patches.set(name, patch);
    if (this.failures[name]) throw this.failures[name];
    return { metadata: { name, patched: true } };
  }
}

const names = (ps: KubeObject[]) => ps.map((p) => p.metadata.name).sort();

describe('claimPods', () => {
  it('keeps matching owned pods, adopts matching orphans, releases owned pods that stopped matching', async () => {
    const pc = new RecordingPodControl();
    let rechecks = 0;
    const claimed = await claimPods(
      { owner, controllerRef: ref, selector, podControl: pc, canAdopt: async () => void rechecks++ },
      [
        pod('owned', { app: 'web' }, [ref]),
        pod('orphan', { app: 'web' }),
        pod('orphan-2', { app: 'web' }, [{ ...otherRef, controller: false }]),
        pod('stranger', { app: 'db' }),
        pod('theirs', { app: 'web' }, [otherRef]),
        pod('relabelled', { app: 'db' }, [ref]),
        pod('orphan-terminating', { app: 'web' }, undefined, { deletionTimestamp: '2024-01-01T00:00:00Z' }),
      ],
    );
    assert.deepEqual(names(claimed), ['orphan', 'orphan-2', 'owned']);
    assert.deepEqual([...pc.patches.keys()].sort(), ['orphan', 'orphan-2', 'relabelled']);
    assert.equal(rechecks, 1, 'the owner is re-read once, before the first adoption');
    assert.deepEqual(pc.patches.get('orphan'), [
      { op: 'test', path: '/metadata/uid', value: 'uid-orphan' },
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'add', path: '/metadata/ownerReferences', value: [ref] },
    ]);
    assert.deepEqual(pc.patches.get('orphan-2'), [
      { op: 'test', path: '/metadata/uid', value: 'uid-orphan-2' },
      { op: 'test', path: '/metadata/ownerReferences', value: [{ ...otherRef, controller: false }] },
      { op: 'add', path: '/metadata/ownerReferences/-', value: ref },
    ]);
    assert.deepEqual(pc.patches.get('relabelled'), [
      { op: 'test', path: '/metadata/uid', value: 'uid-relabelled' },
      { op: 'test', path: '/metadata/ownerReferences', value: [ref] },
      { op: 'remove', path: '/metadata/ownerReferences' },
    ]);
  });

  it('an owner being deleted neither adopts nor releases', async () => {
    const pc = new RecordingPodControl();
    const deleting = { metadata: { ...owner.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
    const claimed = await claimPods({ owner: deleting, controllerRef: ref, selector, podControl: pc, canAdopt: async () => {} }, [
      pod('owned', { app: 'web' }, [ref]),
      pod('orphan', { app: 'web' }),
      pod('relabelled', { app: 'db' }, [ref]),
    ]);
    assert.deepEqual(names(claimed), ['owned']);
    assert.equal(pc.patches.size, 0);
  });

  it('does not adopt when the recheck fails, and reports it', async () => {
    const pc = new RecordingPodControl();
    await assert.rejects(
      claimPods({ owner, controllerRef: ref, selector, podControl: pc, canAdopt: async () => Promise.reject(new Error('web has just been deleted')) }, [
        pod('orphan', { app: 'web' }),
      ]),
      /has just been deleted/,
    );
    assert.equal(pc.patches.size, 0);
  });

  it('ignores pods that vanished or changed while releasing, and fails on other errors', async () => {
    const gone = new ApiError(404, 'NotFound', 'pods "a" not found');
    const changed = new ApiError(422, 'Invalid', 'test failed');
    const broken = new ApiError(500, 'InternalError', 'boom');
    const pc = new RecordingPodControl({ a: gone, b: changed, orphan: gone });
    const claimed = await claimPods({ owner, controllerRef: ref, selector, podControl: pc, canAdopt: async () => {} }, [
      pod('a', { app: 'db' }, [ref]),
      pod('b', { app: 'db' }, [ref]),
      pod('orphan', { app: 'web' }),
    ]);
    assert.deepEqual(claimed, []);
    const failing = new RecordingPodControl({ c: broken });
    await assert.rejects(
      claimPods({ owner, controllerRef: ref, selector, podControl: failing, canAdopt: async () => {} }, [pod('c', { app: 'db' }, [ref])]),
      /boom/,
    );
  });
});
