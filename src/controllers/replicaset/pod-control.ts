/**
 * How the ReplicaSet controller writes pods (Kubernetes' `controller.PodControlInterface`):
 * create from a template, delete, and patch ownerReferences. A seam for tests, which wrap the
 * real one to count calls or inject failures.
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { clone } from '../../api/object.js';
import { ApiError } from '../../api/errors.js';
import { pods } from '../../api/kinds/pods.js';
import type { EventRecorder } from '../../client/events.js';
import type { KubeClient } from '../../client/interfaces.js';

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

export interface PodControl {
  /**
   * Creates one pod from `template` in owner's namespace, owned through `controllerRef`;
   * records SuccessfulCreate or FailedCreate on owner. Rejects with the API error.
   */
  createPod(owner: KubeObject, template: KubeObject['spec'], controllerRef: OwnerReference): Promise<KubeObject>;
  /** Deletes the pod (only this incarnation of it, by uid); records SuccessfulDelete or FailedDelete on owner. */
  deletePod(owner: KubeObject, pod: KubeObject): Promise<void>;
  /** Applies a JSON patch to the pod's metadata (adoption and release). */
  patchPod(namespace: string, name: string, patch: JsonPatchOp[]): Promise<KubeObject>;
}

/** The ownerReference a controller puts on what it creates or adopts. */
export function controllerRefFor(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The pod a template stands for (Kubernetes' GetPodFromTemplate): the template's labels,
 * annotations and finalizers, its spec, a generated name after the owner, the owner's namespace.
 */
export function podFromTemplate(template: KubeObject['spec'], owner: KubeObject, controllerRef: OwnerReference): KubeObject {
  const meta = (template?.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  const labels = { ...(meta.labels ?? {}) };
  if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels,
      ownerReferences: [controllerRef],
    },
    spec: clone(template?.spec ?? {}),
  };
  if (meta.annotations && Object.keys(meta.annotations).length > 0) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers?.length) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** 404, or 409 from the uid precondition: the pod we meant no longer exists. */
export function isPodGone(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 404 || err.code === 409);
}

/** PodControl through the API, with Kubernetes' events. */
export class RealPodControl implements PodControl {
  constructor(
    private readonly client: KubeClient,
    private readonly recorder: EventRecorder,
  ) {}

  async createPod(owner: KubeObject, template: KubeObject['spec'], controllerRef: OwnerReference): Promise<KubeObject> {
    let created: KubeObject;
    try {
      const pod = podFromTemplate(template, owner, controllerRef);
      created = await this.client.create(pods, owner.metadata.namespace, pod);
    } catch (err) {
      this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
    this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  }

  async deletePod(owner: KubeObject, pod: KubeObject): Promise<void> {
    const name = pod.metadata.name ?? '';
    try {
      await this.client.delete(pods, pod.metadata.namespace, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      // A pod already gone (or replaced by a namesake) is no failure worth an event.
      if (!isPodGone(err)) this.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
    this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }

  patchPod(namespace: string, name: string, patch: JsonPatchOp[]): Promise<KubeObject> {
    return this.client.patch(pods, namespace, name, 'json', patch);
  }
}
