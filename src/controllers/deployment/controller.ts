/**
 * The Deployment controller (kube-controller-manager's, in TypeScript). It owns ReplicaSets:
 * one per pod template, named <deployment>-<pod-template-hash>; a rollout moves replicas from
 * the old ones to the new one (RollingUpdate within maxSurge/maxUnavailable, or Recreate),
 * numbers them with revisions, prunes the history and reports status and conditions. Pods are
 * the ReplicaSet controller's business; this one only looks at them to let Recreate proceed.
 *
 * Event handlers only map events to deployment keys; a worker re-reads the deployment from
 * the cache and reconciles. Every ReplicaSet write is a PUT with the cached resourceVersion,
 * so a stale cache makes a write fail with a conflict (and the key retried) instead of acting twice.
 */
import { ApiError } from '../../api/errors.js';
import { labelSelectorAsSelector, matchesLabels, type Selector } from '../../api/labels.js';
import { clone, type KubeObject, type OwnerReference } from '../../api/object.js';
import { resourceTypeFor } from '../../api/registry.js';
import { runController, TerminalError, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { objectKey, type Informer, type InformerFactory, type KubeClient, type ResourceRef } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { computePodTemplateHash, equalIgnoreHash } from './hash.js';
import {
  activeReplicaSets,
  actualReplicaCount,
  compareByCreation,
  compareByRevision,
  findActiveOrLatest,
  isSaturated,
  maxSurge,
  newReplicaSetReplicas,
  planOldReplicaSetsScaleDown,
  proportionalScale,
  specReplicaCount,
} from './replicas.js';
import { maxRevision, replicasAnnotationsNeedUpdate, setNewReplicaSetAnnotations, setReplicasAnnotations } from './revision.js';
import {
  applyPausedCondition,
  calculateStatus,
  deploymentComplete,
  getCondition,
  hasProgressDeadline,
  newCondition,
  progressCheckDelay,
  rolloutStatus,
  setCondition,
  statusEqual,
} from './status.js';
import {
  desiredReplicasAnnotation,
  isRollingUpdate,
  podTemplateHashLabel,
  reasons,
  replicasOf,
  revisionAnnotation,
  type Deployment,
  type ReplicaSet,
} from './types.js';

function mustResource(group: string, plural: string): ResourceRef {
  const rt = resourceTypeFor(group, 'v1', plural);
  if (!rt) throw new Error(`resource ${plural}.${group} is not registered`);
  return rt;
}

const deploymentsRes = mustResource('apps', 'deployments');
const replicaSetsRes = mustResource('apps', 'replicasets');
const podsRes = mustResource('', 'pods');

interface Pod {
  metadata: { namespace?: string; name?: string; uid?: string; labels?: Record<string, string>; ownerReferences?: OwnerReference[]; resourceVersion?: string };
  status?: { phase?: string };
}

export interface DeploymentControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  logger: Logger;
  /** Deployments reconciled at once (default 5). */
  workers?: number;
}

function controllerRefOf(obj: { metadata: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

export class DeploymentController {
  private readonly client: KubeClient;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly queue: RateLimitedQueue;
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod & KubeObject>;
  private handle?: ControllerHandle;

  constructor(opts: DeploymentControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ component: 'deployment-controller' });
    this.workers = opts.workers ?? 5;
    this.queue = new RateLimitedQueue({ clock: this.clock });
    this.deployments = opts.informers.informerFor<Deployment>(deploymentsRes);
    this.replicaSets = opts.informers.informerFor<ReplicaSet>(replicaSetsRes);
    this.pods = opts.informers.informerFor<Pod & KubeObject>(podsRes);

    this.deployments.addHandlers({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    this.replicaSets.addHandlers({
      onAdd: (rs) => this.replicaSetAdded(rs),
      onUpdate: (old, rs) => this.replicaSetUpdated(old, rs),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.pods.addHandlers({ onDelete: (pod) => this.podDeleted(pod) });
  }

  /** Waits for the caches to fill, then starts the workers. Informers stay the factory's to stop. */
  async start(): Promise<void> {
    if (this.handle) return;
    await Promise.all([this.deployments.start(), this.replicaSets.start(), this.pods.start()]);
    this.handle = runController({
      name: 'deployment',
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.reconcile(key),
      logger: this.log,
    });
  }

  /** Stops taking keys and waits for the deployments being reconciled. */
  async stop(): Promise<void> {
    if (this.handle) await this.handle.stop();
    else this.queue.shutDown();
  }

  // ---- event handlers: events to keys, nothing else ----

  private enqueue(d: Deployment): void {
    this.queue.add(objectKey(d));
  }

  /** The deployment that controls obj, if the cache has it with the referenced uid. */
  private owningDeployment(obj: { metadata: { namespace?: string; ownerReferences?: OwnerReference[] } }): Deployment | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== 'Deployment' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const d = this.deployments.lister.get(`${obj.metadata.namespace}/${ref.name}`);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.owningDeployment(rs);
    if (d) this.enqueue(d);
  }

  /** Deployments whose selector matches an orphan ReplicaSet's labels: candidates to adopt it. */
  private enqueueMatching(rs: ReplicaSet): void {
    for (const d of this.deployments.lister.list(rs.metadata.namespace)) {
      try {
        const sel = labelSelectorAsSelector(d.spec.selector);
        if (sel.requirements.length > 0 && matchesLabels(sel, rs.metadata.labels)) this.enqueue(d);
      } catch {
        // An invalid selector adopts nothing; the deployment's own sync reports it.
      }
    }
  }

  private replicaSetAdded(rs: ReplicaSet): void {
    if (controllerRefOf(rs)) this.enqueueOwner(rs);
    else this.enqueueMatching(rs);
  }

  private replicaSetUpdated(old: ReplicaSet, rs: ReplicaSet): void {
    if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const oldRef = controllerRefOf(old);
    const curRef = controllerRefOf(rs);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) this.enqueueOwner(old);
    if (curRef) {
      this.enqueueOwner(rs);
      return;
    }
    if (refChanged || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {})) this.enqueueMatching(rs);
  }

  /** A Recreate rollout waits for old pods to go; their deletion may let it proceed. */
  private podDeleted(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.lister.get(`${pod.metadata.namespace}/${ref.name}`);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.owningDeployment(rs);
    if (d && !isRollingUpdate(d)) this.enqueue(d);
  }

  // ---- reconcile ----

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    try {
      return await this.syncDeployment(key);
    } catch (err) {
      // A stale cache loses the race for a write; the next sync sees the newer state.
      if (isConflict(err)) {
        this.log.debug('conflict; retrying', { key, err });
        return { requeue: true };
      }
      throw err;
    }
  }

  private async syncDeployment(key: string): Promise<ReconcileResult | void> {
    const cached = this.deployments.lister.get(key);
    if (!cached) {
      this.log.debug('deployment has been deleted', { key });
      return;
    }
    // Everything below works on private copies: cached objects are shared.
    const d = clone(cached);
    d.status ??= {};
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(d.spec.selector);
    } catch (err) {
      throw new TerminalError(`deployment ${key}: invalid selector`, { cause: err });
    }
    if (selector.requirements.length === 0 && !selector.matchesNothing) {
      this.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status.observedGeneration = d.metadata.generation;
        await this.writeStatus(d);
      }
      return;
    }

    const rsList = await this.claimReplicaSets(d, selector);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
      return this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
    }
    await this.checkPausedConditions(d);
    if (d.spec.paused || (await this.isScalingEvent(d, rsList))) return this.syncScale(d, rsList);
    if (isRollingUpdate(d)) return this.rolloutRolling(d, rsList);
    return this.rolloutRecreate(d, rsList, selector);
  }

  /**
   * The ReplicaSets this deployment controls, after adopting matching orphans and releasing
   * owned ones that no longer match (Kubernetes' ControllerRefManager). Returned as copies.
   */
  private async claimReplicaSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const out: ReplicaSet[] = [];
    let adoptable: boolean | undefined;
    const canAdopt = async () => {
      // Adoption needs the live deployment: the cached one may be a deleted namesake.
      if (adoptable === undefined) {
        const fresh = await this.client.get<Deployment>(deploymentsRes, d.metadata.namespace, d.metadata.name!);
        if (fresh.metadata.uid !== d.metadata.uid) {
          throw new Error(`original Deployment ${objectKey(d)} is gone: got uid ${fresh.metadata.uid}, wanted ${d.metadata.uid}`);
        }
        adoptable = !fresh.metadata.deletionTimestamp;
      }
      return adoptable;
    };
    for (const cachedRS of this.replicaSets.lister.list(d.metadata.namespace)) {
      const ref = controllerRefOf(cachedRS);
      // Other deployments' ReplicaSets are skipped before copying: a namespace may hold many.
      if (ref && ref.uid !== d.metadata.uid) continue;
      const matches = matchesLabels(selector, cachedRS.metadata.labels);
      if (!ref && (d.metadata.deletionTimestamp || !matches || cachedRS.metadata.deletionTimestamp)) continue;
      const rs = clone(cachedRS);
      if (ref) {
        if (matches) out.push(rs);
        else if (!d.metadata.deletionTimestamp) await this.releaseReplicaSet(d, rs);
        continue;
      }
      if (!(await canAdopt())) continue;
      rs.metadata.ownerReferences = [...(rs.metadata.ownerReferences ?? []), this.controllerRef(d)];
      try {
        out.push(await this.client.update(replicaSetsRes, rs));
        this.log.info('adopted replica set', { deployment: objectKey(d), replicaSet: rs.metadata.name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }

  private async releaseReplicaSet(d: Deployment, rs: ReplicaSet): Promise<void> {
    rs.metadata.ownerReferences = (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid);
    try {
      await this.client.update(replicaSetsRes, rs);
      this.log.info('released replica set', { deployment: objectKey(d), replicaSet: rs.metadata.name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private controllerRef(d: Deployment): OwnerReference {
    return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true };
  }

  /** The oldest ReplicaSet whose template is the deployment's (hash label aside). */
  private findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
    return [...rsList].sort(compareByCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
  }

  /**
   * Splits the ReplicaSets into the new one and the old ones, bringing the new one's revision
   * and annotations up to date (creating it when `create` and it does not exist yet).
   */
  private async getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const found = this.findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== found);
    const newRS = await this.getNewReplicaSet(d, rsList, oldRSs, found, create);
    return { newRS, oldRSs };
  }

  private async getNewReplicaSet(
    d: Deployment,
    rsList: ReplicaSet[],
    oldRSs: ReplicaSet[],
    existing: ReplicaSet | undefined,
    create: boolean,
  ): Promise<ReplicaSet | undefined> {
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = clone(existing);
      copy.metadata.annotations ??= {};
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy.metadata.annotations, newRevision, true);
      const minReady = d.spec.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== minReady) {
        copy.spec.minReadySeconds = minReady;
        await this.updateReplicaSet(existing, copy);
        // The deployment's revision follows on the next sync, from the updated RS.
        return existing;
      }
      await this.setDeploymentRevision(d, existing.metadata.annotations?.[revisionAnnotation] ?? String(newRevision));
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition(d.status!, newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${existing.metadata.name}"`, this.clock.now()));
        await this.writeStatus(d);
      }
      return existing;
    }
    if (!create) return undefined;

    const hash = computePodTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = clone(d.spec.template);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [podTemplateHashLabel]: hash };
    const selector = clone(d.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const fresh: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [this.controllerRef(d)],
        annotations: {},
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newReplicaSetReplicas(d, [...oldRSs, fresh], fresh);
    fresh.spec.replicas = replicas;
    setNewReplicaSetAnnotations(d, fresh.metadata.annotations!, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.client.create(replicaSetsRes, d.metadata.namespace, fresh);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const other = await this.client.get<ReplicaSet>(replicaSetsRes, d.metadata.namespace, name);
        // Ours from an earlier sync the cache has not shown yet: use it.
        if (controllerRefOf(other)?.uid === d.metadata.uid && equalIgnoreHash(other.spec.template, d.spec.template)) {
          created = other;
          alreadyExists = true;
        } else {
          // A foreign ReplicaSet holds the name: bump the collision count so the next hash differs.
          d.status!.collisionCount = (d.status!.collisionCount ?? 0) + 1;
          await this.writeStatus(d);
          this.log.info('pod-template-hash collision; retrying with a new collision count', { deployment: objectKey(d), name, collisionCount: d.status!.collisionCount });
          throw err;
        }
      } else if (isNamespaceTerminating(err)) {
        // Every later create fails as well: nothing worth a condition or an event.
        throw err;
      } else {
        const message = `Failed to create new replica set "${name}": ${(err as Error).message}`;
        if (hasProgressDeadline(d)) {
          setCondition(d.status!, newCondition('Progressing', 'False', reasons.failedRSCreate, message, this.clock.now()));
          await this.writeStatus(d).catch((e) => this.log.warn('cannot record ReplicaSetCreateError', { err: e }));
        }
        this.event(d, 'Warning', reasons.failedRSCreate, message);
        throw err;
      }
    }
    if (!alreadyExists && replicas > 0) {
      this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
    }
    rsList.push(created);
    await this.setDeploymentRevision(d, created.metadata.annotations?.[revisionAnnotation] ?? String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(d.status!, newCondition('Progressing', 'True', reasons.newReplicaSet, `Created new replica set "${name}"`, this.clock.now()));
      await this.writeStatus(d);
    }
    return created;
  }

  /** A change of spec.replicas that a rollout did not cause: some active RS was sized for another count. */
  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const v = rs.metadata.annotations?.[desiredReplicasAnnotation];
      return v !== undefined && /^[0-9]+$/.test(v) && Number(v) !== replicasOf(d);
    });
  }

  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (applyPausedCondition(d, d.status!, this.clock.now())) await this.writeStatus(d);
  }

  /** Scaling and paused deployments: resize without rolling, then report status. */
  private async syncScale(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.scale(d, newRS, oldRSs);
    if (d.spec.paused) await this.cleanupDeployment(oldRSs, d);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  private async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const only = findActiveOrLatest(newRS, oldRSs);
    if (only) {
      if (replicasOf(only) !== replicasOf(d)) await this.scaleReplicaSetAndRecordEvent(only, replicasOf(d), d);
      return;
    }
    // The new RS runs everything: old ones with pods left (say after a scale-down) go to 0.
    if (isSaturated(d, newRS)) {
      for (const rs of activeReplicaSets(oldRSs)) await this.scaleReplicaSetAndRecordEvent(rs, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const active = activeReplicaSets([...oldRSs, newRS]);
    const sizes = proportionalScale(d, newRS, oldRSs);
    const toAdd = (replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0) - specReplicaCount(active);
    for (const rs of active) {
      await this.scaleReplicaSet(rs, sizes.get(rs.metadata.name!) ?? replicasOf(rs), d, toAdd > 0 ? 'up' : 'down');
    }
  }

  private async scaleReplicaSetAndRecordEvent(rs: ReplicaSet, size: number, d: Deployment): Promise<boolean> {
    if (replicasOf(rs) === size) return false;
    return this.scaleReplicaSet(rs, size, d, replicasOf(rs) < size ? 'up' : 'down');
  }

  /** Sets rs's size and replica annotations; true if the size changed. */
  private async scaleReplicaSet(rs: ReplicaSet, size: number, d: Deployment, op: 'up' | 'down'): Promise<boolean> {
    const sizeChanged = replicasOf(rs) !== size;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, d)) return false;
    const from = replicasOf(rs);
    const copy = clone(rs);
    copy.spec.replicas = size;
    copy.metadata.annotations ??= {};
    setReplicasAnnotations(copy.metadata.annotations, replicasOf(d), replicasOf(d) + maxSurge(d));
    await this.updateReplicaSet(rs, copy);
    if (sizeChanged) this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} from ${from} to ${size}`);
    return sizeChanged;
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult | void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, newRS!];
    // One direction per sync: grow the new RS if the surge allows, else shrink old ones.
    if (await this.reconcileNewReplicaSet(allRSs, newRS!, d)) return this.syncRolloutStatus(allRSs, newRS, d);
    if (await this.reconcileOldReplicaSets(allRSs, activeReplicaSets(oldRSs), newRS!, d)) return this.syncRolloutStatus(allRSs, newRS, d);
    if (deploymentComplete(d, d.status!)) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(allRSs, newRS, d);
  }

  private async reconcileNewReplicaSet(allRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
    if (replicasOf(newRS) === replicasOf(d)) return false;
    if (replicasOf(newRS) > replicasOf(d)) return this.scaleReplicaSetAndRecordEvent(newRS, replicasOf(d), d);
    return this.scaleReplicaSetAndRecordEvent(newRS, newReplicaSetReplicas(d, allRSs, newRS), d);
  }

  private async reconcileOldReplicaSets(allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
    const plan = planOldReplicaSetsScaleDown(d, allRSs, oldRSs, newRS);
    let scaled = false;
    for (const rs of [...oldRSs].sort(compareByCreation)) {
      const size = plan.get(rs.metadata.name!);
      if (size !== undefined && size < replicasOf(rs)) scaled = (await this.scaleReplicaSetAndRecordEvent(rs, size, d)) || scaled;
    }
    return scaled;
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[], selector: Selector): Promise<ReconcileResult | void> {
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let allRSs: (ReplicaSet | undefined)[] = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) scaledDown = (await this.scaleReplicaSetAndRecordEvent(rs, 0, d)) || scaledDown;
    if (scaledDown) return this.syncRolloutStatus(allRSs, newRS, d);
    // New pods must not start while old ones still run (Recreate's whole promise).
    if (this.oldPodsRunning(d, newRS, oldRSs, selector)) return this.syncRolloutStatus(allRSs, newRS, d);
    if (!newRS) {
      ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true));
      allRSs = [...oldRSs, newRS];
    }
    await this.scaleReplicaSetAndRecordEvent(newRS!, replicasOf(d), d);
    if (deploymentComplete(d, d.status!)) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(allRSs, newRS, d);
  }

  private oldPodsRunning(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], selector: Selector): boolean {
    if (actualReplicaCount(oldRSs) > 0) return true;
    const oldUIDs = new Set(oldRSs.map((rs) => rs.metadata.uid));
    for (const pod of this.pods.lister.list(d.metadata.namespace)) {
      const ref = controllerRefOf(pod);
      if (!ref || !oldUIDs.has(ref.uid) || ref.uid === newRS?.metadata.uid) continue;
      if (!matchesLabels(selector, pod.metadata.labels)) continue;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
    return false;
  }

  /**
   * Deletes the oldest old ReplicaSets beyond revisionHistoryLimit, but only ones that are
   * scaled to 0, have no pods, and whose latest spec their controller has seen.
   */
  private async cleanupDeployment(oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
    const limit = d.spec.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(compareByRevision);
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i];
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.client.delete(replicaSetsRes, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
        this.log.debug('deleted old replica set', { deployment: objectKey(d), replicaSet: rs.metadata.name });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** Writes calculated status when it changed (scaling, paused and deleting deployments). */
  private async syncDeploymentStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const status = calculateStatus(allRSs, newRS, d, this.clock.now());
    if (statusEqual(d.status, status)) return;
    d.status = status;
    await this.writeStatus(d);
  }

  /**
   * Writes the rollout status; when nothing changed, asks to be run again when the progress
   * deadline would pass, so a stuck rollout gets ProgressDeadlineExceeded on time.
   */
  private async syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<ReconcileResult | void> {
    const now = this.clock.now();
    const status = rolloutStatus(allRSs, newRS, d, now);
    if (!statusEqual(d.status, status)) {
      d.status = status;
      await this.writeStatus(d);
      return;
    }
    const delay = progressCheckDelay(d, status, now);
    if (delay === undefined) return;
    // Under a second: back off briefly; else a second late, so clock skew cannot make it early.
    return delay < 1000 ? { requeue: true } : { requeueAfterMs: delay + 1000 };
  }

  /** Events name the deployment with its kind, which cached list items may lack. */
  private event(d: Deployment, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, type, reason, message);
  }

  // ---- writes ----

  /** PUTs `next` (a changed copy of rs) and folds the answer back into rs, our working copy. */
  private async updateReplicaSet(rs: ReplicaSet, next: ReplicaSet): Promise<void> {
    const out = await this.client.update(replicaSetsRes, next);
    rs.metadata = out.metadata;
    rs.spec = out.spec;
    rs.status = out.status;
  }

  private async writeStatus(d: Deployment): Promise<void> {
    const out = await this.client.update(deploymentsRes, d, { subresource: 'status' });
    d.metadata.resourceVersion = out.metadata.resourceVersion;
  }

  /** The deployment mirrors its new RS's revision (kubectl describe shows it). */
  private async setDeploymentRevision(d: Deployment, revision: string): Promise<void> {
    if (d.metadata.annotations?.[revisionAnnotation] === revision) return;
    // Through the status subresource, as Kubernetes' controller does: a Deployment's status
    // writes carry annotations and leave metadata.generation alone.
    const out = await this.client.patch<Deployment>(
      deploymentsRes,
      d.metadata.namespace,
      d.metadata.name!,
      'merge',
      { metadata: { resourceVersion: d.metadata.resourceVersion, annotations: { [revisionAnnotation]: revision } } },
      { subresource: 'status' },
    );
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [revisionAnnotation]: revision };
    d.metadata.resourceVersion = out.metadata.resourceVersion;
  }
}
