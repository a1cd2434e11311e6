/**
 * The ReplicaSet controller (kube-controller-manager's pkg/controller/replicaset): keeps
 * spec.replicas active pods for every ReplicaSet, and, parameterised by kind, for every
 * ReplicationController (Kubernetes' ReplicationManager is the same controller).
 *
 * Event handlers only turn pod and ReplicaSet events into ReplicaSet keys. A worker re-reads
 * the ReplicaSet from the informer cache, claims pods (adopting matching orphans, releasing
 * owned pods that stopped matching), creates or deletes the difference, and writes status.
 * Expectations remember the creations and deletions not yet seen in the cache, so a sync
 * before the cache catches up does not act twice.
 */
import { ApiError } from '../../api/errors.js';
import { labelSelectorAsSelector, matchesLabels, selectorFromMap, type Selector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { clone } from '../../api/object.js';
import { pods as podsResource } from '../../api/kinds/pods.js';
import { replicasets } from '../../api/kinds/replicasets.js';
import { replicationcontrollers } from '../../api/kinds/replicationcontrollers.js';
import { Expectations, runController, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { objectKey, type Informer, type InformerFactory, type KubeClient, type ResourceRef } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { claimPods } from './claim.js';
import { controllerRefFor, isPodGone, RealPodControl, type PodControl } from './pod-control.js';
import { controllerRefOf, isPodActive, isPodReady, msUntilAvailable, podsToDelete } from './pod-utils.js';
import { slowStartBatch } from './slow-start.js';
import { calculateStatus, desiredReplicas, minReadySecondsOf, statusNeedsUpdate, type ReplicaSetStatus } from './status.js';

/** Kubernetes' BurstReplicas: the most pods one sync creates or deletes. */
export const burstReplicas = 500;

/** Pods index: the uid of a pod's controller owner. */
export const podsByControllerUidIndex = 'controllerUid';
/** Pods index: the namespace of every pod without a controller, the candidates for adoption. */
export const orphanPodsByNamespaceIndex = 'orphansByNamespace';
/** ReplicaSets index: the uid of their controller (a Deployment), to find sibling ReplicaSets. */
export const replicaSetsByControllerUidIndex = 'controllerUid';

/** What differs between ReplicaSet and ReplicationController. */
export interface ReplicaKind {
  resource: ResourceRef;
  apiVersion: string;
  kind: string;
  /** Name used in logs and for the controller runner. */
  controllerName: string;
  /** The compiled pod selector; throws when it is invalid. */
  selector(obj: KubeObject): Selector;
}

export const replicaSetKind: ReplicaKind = {
  resource: replicasets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  controllerName: 'replicaset',
  selector: (rs) => labelSelectorAsSelector(rs.spec?.selector),
};

export const replicationControllerKind: ReplicaKind = {
  resource: replicationcontrollers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  controllerName: 'replicationcontroller',
  selector: (rc) => selectorFromMap(rc.spec?.selector),
};

export interface ReplicaSetControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  logger: Logger;
  /** ReplicaSets synced concurrently (kube-controller-manager's --concurrent-replicaset-syncs, default 5). */
  workers?: number;
  /** Most pods created or deleted per sync (default 500). */
  burstReplicas?: number;
  /** How pods are written; defaults to the API with events (a seam for tests). */
  podControl?: PodControl;
  /** How long unmet expectations hold back a sync (default 5 minutes, as Kubernetes). */
  expectationsTtlMs?: number;
}

/** Adds an index to a shared informer unless an earlier component already declared it. */
function ensureIndex<T extends KubeObject>(inf: Informer<T>, name: string, fn: (obj: T) => string[]): void {
  try {
    inf.lister.byIndex(name, '');
    return;
  } catch {
    inf.addIndex(name, fn);
  }
}

function controllerUidOf(obj: KubeObject): string[] {
  const ref = controllerRefOf(obj);
  return ref ? [ref.uid] : [];
}

export class ReplicaSetController {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly burst: number;
  private readonly rsInformer: Informer;
  private readonly podInformer: Informer;
  private readonly queue: RateLimitedQueue;
  private handle?: ControllerHandle;
  private stopped = false;
  private readonly selectors = new WeakMap<KubeObject, Selector>();
  /** Creations and deletions made but not yet seen in the pod cache, per ReplicaSet key. */
  readonly expectations: Expectations;
  /** How pods are written (replaceable in tests). */
  podControl: PodControl;

  constructor(
    opts: ReplicaSetControllerOptions,
    private readonly kind: ReplicaKind = replicaSetKind,
  ) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ controller: kind.controllerName });
    this.workers = opts.workers ?? 5;
    this.burst = opts.burstReplicas ?? burstReplicas;
    this.podControl = opts.podControl ?? new RealPodControl(opts.client, opts.recorder);
    this.expectations = new Expectations({ clock: this.clock, ttlMs: opts.expectationsTtlMs });
    this.queue = new RateLimitedQueue({ clock: this.clock });

    this.rsInformer = opts.informers.informerFor(kind.resource);
    this.podInformer = opts.informers.informerFor(podsResource);
    ensureIndex(this.rsInformer, replicaSetsByControllerUidIndex, controllerUidOf);
    ensureIndex(this.podInformer, podsByControllerUidIndex, controllerUidOf);
    ensureIndex(this.podInformer, orphanPodsByNamespaceIndex, (p) => (controllerRefOf(p) ? [] : [p.metadata.namespace ?? '']));

    this.rsInformer.addHandlers({
      onAdd: (rs) => this.queue.add(objectKey(rs)),
      onUpdate: (old, cur) => {
        // A ReplicaSet deleted and recreated under the same name between two events.
        if (old.metadata.uid !== cur.metadata.uid) this.expectations.delete(objectKey(old));
        this.queue.add(objectKey(cur));
      },
      onDelete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.queue.add(objectKey(rs));
      },
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, cur) => this.updatePod(old, cur),
      onDelete: (pod) => this.deletePod(pod),
    });
  }

  /** Starts the workers once both caches hold their initial lists. */
  async start(): Promise<void> {
    if (this.handle || this.stopped) return;
    // Idempotent on shared informers: waits for the caches the factory (or we) started, so a
    // worker never mistakes an empty cache for a ReplicaSet without pods.
    await Promise.all([this.rsInformer.start(), this.podInformer.start()]);
    if (this.stopped) return;
    this.handle = runController({
      name: this.kind.controllerName,
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.syncHandler(key),
      logger: this.log,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.shutDown();
    await this.handle?.stop();
  }

  // --- event handlers: events to keys ----------------------------------------------------------

  /** The ReplicaSet a controller reference points at, if it is one of ours and still the same object. */
  private resolveControllerRef(namespace: string | undefined, ref: { kind: string; name: string; uid: string }): KubeObject | undefined {
    if (ref.kind !== this.kind.kind) return undefined;
    const rs = this.rsInformer.lister.get(namespace ? `${namespace}/${ref.name}` : ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /**
   * The compiled selector of a cached ReplicaSet. Every orphan pod's event is matched against
   * every ReplicaSet of its namespace, so each cached object's selector is compiled once (an
   * update brings a new object, hence a fresh compile).
   */
  private selectorOf(rs: KubeObject): Selector {
    let sel = this.selectors.get(rs);
    if (!sel) {
      sel = this.kind.selector(rs);
      this.selectors.set(rs, sel);
    }
    return sel;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (for orphans). */
  private replicaSetsSelecting(pod: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const rs of this.rsInformer.lister.list(pod.metadata.namespace ?? '')) {
      let sel: Selector;
      try {
        sel = this.selectorOf(rs);
      } catch {
        continue;
      }
      if (sel.requirements.length === 0) continue; // an empty selector selects nothing here
      if (matchesLabels(sel, pod.metadata.labels)) out.push(rs);
    }
    return out;
  }

  private addPod(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) {
      // Seen for the first time already terminating (e.g. after a restart): not a creation.
      this.deletePod(pod);
      return;
    }
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.replicaSetsSelecting(pod)) this.queue.add(objectKey(rs));
  }

  private updatePod(old: KubeObject, cur: KubeObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      // A graceful deletion began: replace the pod now rather than when it is finally gone.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(curRef) !== JSON.stringify(oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(old.metadata.namespace, oldRef);
      if (rs) this.queue.add(objectKey(rs));
    }
    if (curRef) {
      const rs = this.resolveControllerRef(cur.metadata.namespace, curRef);
      // Availability after minReadySeconds is requeued by the sync itself (see syncHandler).
      if (rs) this.queue.add(objectKey(rs));
      return;
    }
    if (labelsChanged || refChanged) {
      for (const rs of this.replicaSetsSelecting(cur)) this.queue.add(objectKey(rs));
    }
  }

  private deletePod(pod: KubeObject): void {
    const ref = controllerRefOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata.namespace, ref);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, pod.metadata.uid ?? '');
    this.queue.add(key);
  }

  // --- the sync ----------------------------------------------------------------------------------

  /**
   * Brings one ReplicaSet (by "namespace/name" key) to its desired state from the informer
   * caches. Rejects to be retried with back-off; resolves with a requeue time while some
   * ready pods are still waiting out minReadySeconds.
   */
  async syncHandler(key: string): Promise<ReconcileResult | void> {
    const rs = this.rsInformer.lister.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector: Selector;
    try {
      selector = this.selectorOf(rs);
    } catch (err) {
      // Validation should have refused it; retrying cannot help until the object changes.
      this.log.error('invalid pod selector; not syncing', { key, err });
      return;
    }

    const ns = rs.metadata.namespace ?? '';
    const candidates = [
      ...this.podInformer.lister.byIndex(podsByControllerUidIndex, rs.metadata.uid ?? ''),
      ...this.podInformer.lister.byIndex(orphanPodsByNamespaceIndex, ns),
    ].filter((p) => p.metadata.namespace === ns && isPodActive(p));

    const controllerRef = controllerRefFor(rs, this.kind.apiVersion, this.kind.kind);
    const owned = await claimPods(
      { owner: rs, controllerRef, selector, podControl: this.podControl, canAdopt: () => this.recheckOwner(rs) },
      candidates,
    );

    let manageError: Error | undefined;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        // Events name the owner by kind, which list items may leave out.
        await this.manageReplicas(key, { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind }, owned);
      } catch (err) {
        manageError = err instanceof Error ? err : new Error(String(err));
      }
    }

    const now = this.clock.now();
    const status = calculateStatus(rs, owned, manageError, now);
    await this.writeStatus(rs, status);
    if (manageError) throw manageError;

    // Come back when the next ready pod has been ready for minReadySeconds, to count it available.
    const minReady = minReadySecondsOf(rs);
    let wait: number | undefined;
    for (const pod of owned) {
      if (!isPodReady(pod)) continue;
      const ms = msUntilAvailable(pod, minReady, now);
      if (ms !== undefined && (wait === undefined || ms < wait)) wait = ms;
    }
    if (wait !== undefined) return { requeueAfterMs: wait };
  }

  /** Adoption needs proof, from the API rather than the cache, that the owner is alive and the same. */
  private async recheckOwner(rs: KubeObject): Promise<void> {
    const fresh = await this.client.get(this.kind.resource, rs.metadata.namespace, rs.metadata.name ?? '');
    if (fresh.metadata.uid !== rs.metadata.uid) {
      throw new Error(
        `original ${this.kind.kind} ${rs.metadata.namespace}/${rs.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${rs.metadata.uid}`,
      );
    }
    if (fresh.metadata.deletionTimestamp) {
      throw new Error(`${rs.metadata.namespace}/${rs.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  }

  /** Creates or deletes pods so that `owned` (active, claimed) moves toward spec.replicas. */
  private async manageReplicas(key: string, rs: KubeObject, owned: KubeObject[]): Promise<void> {
    const diff = owned.length - desiredReplicas(rs);
    if (diff < 0) {
      const n = Math.min(-diff, this.burst);
      this.expectations.expectCreations(key, n);
      this.log.debug('too few replicas', { key, need: desiredReplicas(rs), creating: n });
      const controllerRef = controllerRefFor(rs, this.kind.apiVersion, this.kind.kind);
      const { successes, error } = await slowStartBatch(n, 1, async () => {
        try {
          await this.podControl.createPod(rs, rs.spec?.template, controllerRef);
        } catch (err) {
          // Creations in a terminating namespace can never succeed: nothing to retry.
          const causes = err instanceof ApiError ? err.details?.causes ?? [] : [];
          if (causes.some((c) => c.reason === 'NamespaceTerminating')) return;
          throw err;
        }
      });
      // Pods never created (failed, or skipped after a failed batch) will never be observed.
      for (let i = successes; i < n; i++) this.expectations.creationObserved(key);
      if (error) throw error;
      return;
    }
    if (diff > 0) {
      const n = Math.min(diff, this.burst);
      this.log.debug('too many replicas', { key, need: desiredReplicas(rs), deleting: n });
      const victims = podsToDelete(owned, this.relatedPods(rs, owned), n, this.clock.now());
      this.expectations.expectDeletions(
        key,
        victims.map((p) => p.metadata.uid ?? ''),
      );
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.podControl.deletePod(rs, pod);
          } catch (err) {
            // The informer will not see a deletion that did not happen.
            this.expectations.deletionObserved(key, pod.metadata.uid ?? '');
            if (!isPodGone(err)) errors.push(err);
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
    }
  }

  /**
   * The active pods of every ReplicaSet under the same controller (a Deployment's old and new
   * ReplicaSets): scale-down prefers nodes where they are doubled up. Just `owned` without one.
   */
  private relatedPods(rs: KubeObject, owned: KubeObject[]): KubeObject[] {
    const ref = controllerRefOf(rs);
    if (!ref) return owned;
    const seen = new Set<string>();
    const out: KubeObject[] = [];
    for (const sibling of this.rsInformer.lister.byIndex(replicaSetsByControllerUidIndex, ref.uid)) {
      for (const pod of this.podInformer.lister.byIndex(podsByControllerUidIndex, sibling.metadata.uid ?? '')) {
        const uid = pod.metadata.uid ?? '';
        if (seen.has(uid)) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  /** Writes status through the status subresource when it changed; one retry on a conflict. */
  private async writeStatus(rs: KubeObject, status: ReplicaSetStatus): Promise<void> {
    if (!statusNeedsUpdate(rs, status)) return;
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      const next = clone(current);
      next.status = { ...status, observedGeneration: current.metadata.generation };
      try {
        await this.client.update(this.kind.resource, next, { subresource: 'status' });
        return;
      } catch (err) {
        if (attempt >= 1 || !(err instanceof ApiError && err.code === 409)) throw err;
        current = await this.client.get(this.kind.resource, rs.metadata.namespace, rs.metadata.name ?? '');
        if (current.metadata.uid !== rs.metadata.uid) return;
      }
    }
  }
}

/**
 * The ReplicationController controller: the ReplicaSet controller with a plain-map selector
 * (Kubernetes' ReplicationManager).
 */
export class ReplicationManager extends ReplicaSetController {
  constructor(opts: ReplicaSetControllerOptions) {
    super(opts, replicationControllerKind);
  }
}
