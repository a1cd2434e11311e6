/**
 * Adoption and release (Kubernetes' PodControllerRefManager.ClaimPods): a controller owns the
 * pods whose controller reference names it; it adopts matching orphans and releases owned pods
 * whose labels no longer match its selector. The patches are JSON patches that first test the
 * pod's uid and the ownerReferences they were computed from, so a stale cache can neither
 * adopt a namesake pod nor overwrite an owner someone else just set.
 */
import { ApiError } from '../../api/errors.js';
import { matchesLabels, type Selector } from '../../api/labels.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { JsonPatchOp, PodControl } from './pod-control.js';
import { controllerRefOf } from './pod-utils.js';

export interface ClaimOptions {
  owner: KubeObject;
  /** The reference adopted pods get (controller=true, blockOwnerDeletion=true). */
  controllerRef: OwnerReference;
  selector: Selector;
  podControl: PodControl;
  /**
   * Rejects if the owner may not adopt: it is gone, was replaced, or is being deleted. Called
   * at most once per claim, and only when there is something to adopt, with a fresh read.
   */
  canAdopt(): Promise<void>;
}

function adoptPatch(pod: KubeObject, ref: OwnerReference): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/uid', value: pod.metadata.uid }];
  const refs = pod.metadata.ownerReferences;
  if (refs && refs.length > 0) {
    ops.push({ op: 'test', path: '/metadata/ownerReferences', value: refs });
    ops.push({ op: 'add', path: '/metadata/ownerReferences/-', value: ref });
  } else {
    // No list to test against: the pod's version guards against a reference added meanwhile.
    ops.push({ op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion });
    ops.push({ op: 'add', path: '/metadata/ownerReferences', value: [ref] });
  }
  return ops;
}

function releasePatch(pod: KubeObject, ownerUid: string): JsonPatchOp[] {
  const refs = pod.metadata.ownerReferences ?? [];
  const rest = refs.filter((r) => r.uid !== ownerUid);
  return [
    { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
    { op: 'test', path: '/metadata/ownerReferences', value: refs },
    rest.length > 0 ? { op: 'replace', path: '/metadata/ownerReferences', value: rest } : { op: 'remove', path: '/metadata/ownerReferences' },
  ];
}

function isCode(err: unknown, ...codes: number[]): boolean {
  return err instanceof ApiError && codes.includes(err.code);
}

/**
 * The pods (out of `pods`, all in the owner's namespace) the owner controls after adopting and
 * releasing. Every pod is tried; if any adoption or release failed, rejects with the first
 * error after the others are done, so the caller retries the whole sync.
 */
export async function claimPods(opts: ClaimOptions, pods: KubeObject[]): Promise<KubeObject[]> {
  const { owner, selector, podControl } = opts;
  const ownerUid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  let adoptable: Promise<void> | undefined;
  const claimed: KubeObject[] = [];
  const errors: unknown[] = [];

  const claimOne = async (pod: KubeObject): Promise<void> => {
    const ref = controllerRefOf(pod);
    const matches = matchesLabels(selector, pod.metadata.labels);
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    if (ref) {
      if (ref.uid !== ownerUid) return; // someone else's
      if (matches) {
        claimed.push(pod);
        return;
      }
      // An owner being deleted keeps what it has: the garbage collector decides their fate.
      if (ownerDeleting) return;
      try {
        await podControl.patchPod(ns, name, releasePatch(pod, ownerUid!));
      } catch (err) {
        // Gone, or changed under us (a failed test): either way not ours to release now.
        if (!isCode(err, 404, 422)) errors.push(err);
      }
      return;
    }
    if (ownerDeleting || !matches || pod.metadata.deletionTimestamp || ns !== owner.metadata.namespace) return;
    try {
      adoptable ??= opts.canAdopt();
      await adoptable;
      claimed.push(await podControl.patchPod(ns, name, adoptPatch(pod, opts.controllerRef)));
    } catch (err) {
      if (!isCode(err, 404)) errors.push(err);
    }
  };

  await Promise.all(pods.map(claimOne));
  if (errors.length > 0) {
    const first = errors[0] as Error;
    if (errors.length === 1) throw first;
    throw new Error(`${errors.length} pods could not be claimed; first: ${first.message}`, { cause: first });
  }
  return claimed;
}
