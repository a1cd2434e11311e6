/**
 * The disruption controller (kube-controller-manager's disruption controller,
 * pkg/controller/disruption): keeps every PodDisruptionBudget's status saying how many of its
 * pods are expected, must be healthy and are healthy, and so how many may be disrupted now,
 * which the eviction subresource spends.
 *
 * Budget events, and events of pods a budget selects, queue the budget's key; a worker re-reads
 * the budget and its pods from the caches (the pods' controllers too, for scale-based budgets:
 * Deployment through its ReplicaSet, ReplicaSet, ReplicationController) and writes the status
 * when it differs (budget.ts has the arithmetic). Evictions the apiserver allowed but whose pod
 * is not yet seen being deleted stay in status.disruptedPods, out of the healthy count, for two
 * minutes; the budget is looked at again when the first of them expires. When a budget cannot
 * be worked out (a pod whose controller is unknown), it fails safe: no disruptions allowed,
 * condition reason SyncFailed.
 *
 * A second loop resets DisruptionTarget conditions that went stale: set True (by an eviction
 * whose delete then failed, say) on a pod that is still not being deleted two minutes later.
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { allResourceTypes } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import { deployments } from '../../api/kinds/deployments.js';
import { pods as podsResource } from '../../api/kinds/pods.js';
import { budgetSelector, poddisruptionbudgets } from '../../api/kinds/poddisruptionbudgets.js';
import { replicasets } from '../../api/kinds/replicasets.js';
import { replicationcontrollers } from '../../api/kinds/replicationcontrollers.js';
import { matchesLabels, type Selector } from '../../api/labels.js';
import { runController, type ControllerHandle, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { objectKey, type Informer, type InformerFactory, type KubeClient } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { ApiError } from '../../api/errors.js';
import { realClock, rfc3339, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { controllerRefOf } from '../replicaset/pod-utils.js';
import {
  buildDisruptedPodMap,
  countHealthyPods,
  desiredStatus,
  expectedPodCount,
  failSafeStatus,
  podsForBudget,
  staleDisruptionWait,
  type ControllerScale,
  type ScaleFinder,
} from './budget.js';

/** How long a pod's DisruptionTarget condition may stand without the pod being deleted (kube's stalePodDisruptionTimeout). */
export const stalePodDisruptionTimeoutMs = 2 * 60_000;

export interface DisruptionControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  /** Where NoPods, UnmanagedPods, NotDeleted ... go (source "controllermanager", as in Kubernetes). */
  recorder?: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  logger: Logger;
  /** Budgets synced concurrently (Kubernetes runs one worker). */
  workers?: number;
  /** Override of stalePodDisruptionTimeoutMs (tests). */
  stalePodDisruptionTimeoutMs?: number;
}

/** The group of an apiVersion ("apps/v1" → "apps", "v1" → ""). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** verifyGroupKind: the reference is to this kind in one of these groups. */
function refersTo(ref: OwnerReference, kind: string, groups: readonly string[]): boolean {
  return ref.kind === kind && groups.includes(groupOf(ref.apiVersion));
}

const appsGroups = ['apps', 'extensions'];

export class DisruptionController {
  private readonly client: KubeClient;
  private readonly recorder?: Pick<EventRecorder, 'event'>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly staleTimeoutMs: number;
  private readonly pdbInformer: Informer;
  private readonly podInformer: Informer;
  private readonly rsInformer: Informer;
  private readonly deploymentInformer: Informer;
  private readonly rcInformer: Informer;
  private readonly queue: RateLimitedQueue;
  private readonly staleQueue: RateLimitedQueue;
  /** Compiled budget selectors by budget key, valid for one resourceVersion. */
  private readonly selectors = new Map<string, { rv?: string; sel?: Selector }>();
  private readonly finders: ScaleFinder[];
  private handles: ControllerHandle[] = [];
  private stopped = false;

  constructor(opts: DisruptionControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ controller: 'disruption' });
    this.workers = opts.workers ?? 1;
    this.staleTimeoutMs = opts.stalePodDisruptionTimeoutMs ?? stalePodDisruptionTimeoutMs;
    this.queue = new RateLimitedQueue({ clock: this.clock });
    this.staleQueue = new RateLimitedQueue({ clock: this.clock });

    this.pdbInformer = opts.informers.informerFor(poddisruptionbudgets);
    this.podInformer = opts.informers.informerFor(podsResource);
    this.rsInformer = opts.informers.informerFor(replicasets);
    this.deploymentInformer = opts.informers.informerFor(deployments);
    this.rcInformer = opts.informers.informerFor(replicationcontrollers);
    // Kubernetes' order: ReplicationController, Deployment (through its ReplicaSet), ReplicaSet, then any scalable kind.
    this.finders = [
      (ref, ns) => this.replicationControllerScale(ref, ns),
      (ref, ns) => this.deploymentScale(ref, ns),
      (ref, ns) => this.replicaSetScale(ref, ns),
      (ref, ns) => this.scaleOf(ref, ns),
    ];

    this.pdbInformer.addHandlers({
      onAdd: (pdb) => this.queue.add(objectKey(pdb)),
      onUpdate: (_old, pdb) => this.queue.add(objectKey(pdb)),
      onDelete: (pdb) => {
        this.selectors.delete(objectKey(pdb));
        this.queue.add(objectKey(pdb));
      },
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (_old, pod) => this.podChanged(pod),
      onDelete: (pod) => this.enqueueBudgetsOf(pod),
    });
  }

  /** Starts the workers once the caches hold their initial lists. */
  async start(): Promise<void> {
    if (this.handles.length || this.stopped) return;
    await Promise.all([this.pdbInformer, this.podInformer, this.rsInformer, this.deploymentInformer, this.rcInformer].map((i) => i.start()));
    if (this.stopped) return;
    this.handles = [
      runController({ name: 'disruption', queue: this.queue, workers: this.workers, reconcile: (key) => this.syncBudget(key), logger: this.log }),
      runController({ name: 'disruption-stale-pods', queue: this.staleQueue, workers: 1, reconcile: (key) => this.syncStalePodDisruption(key), logger: this.log }),
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.shutDown();
    this.staleQueue.shutDown();
    await Promise.all(this.handles.map((h) => h.stop()));
  }

  // --- event handlers: events to keys ----------------------------------------------------------

  private podChanged(pod: KubeObject): void {
    this.enqueueBudgetsOf(pod);
    const wait = staleDisruptionWait(pod, this.clock.now(), this.staleTimeoutMs);
    if (wait !== undefined) this.staleQueue.addAfter(objectKey(pod), wait);
  }

  /** GetPodPodDisruptionBudgets, each queued (Kubernetes queues one, and warns when there are more). */
  private enqueueBudgetsOf(pod: KubeObject): void {
    const budgets = this.budgetsOf(pod);
    if (budgets.length > 1 && !pod.metadata.deletionTimestamp) {
      this.recorder?.event(
        pod,
        'Warning',
        'MultiplePodDisruptionBudgets',
        `Pod ${JSON.stringify(pod.metadata.namespace)}/${JSON.stringify(pod.metadata.name)} matches multiple PodDisruptionBudgets.  Chose ${JSON.stringify(budgets[0]!.metadata.name)} arbitrarily.`,
      );
    }
    for (const pdb of budgets) this.queue.add(objectKey(pdb));
  }

  /** The budgets of the pod's namespace whose selector matches it ({} matches every pod). */
  private budgetsOf(pod: KubeObject): KubeObject[] {
    return this.pdbInformer.lister.list(pod.metadata.namespace).filter((pdb) => {
      const sel = this.selectorOf(pdb);
      return sel !== undefined && matchesLabels(sel, pod.metadata.labels);
    });
  }

  private selectorOf(pdb: KubeObject): Selector | undefined {
    const key = objectKey(pdb);
    const cached = this.selectors.get(key);
    if (cached && cached.rv === pdb.metadata.resourceVersion) return cached.sel;
    const sel = budgetSelector(pdb);
    this.selectors.set(key, { rv: pdb.metadata.resourceVersion, sel });
    return sel;
  }

  // --- controller scale finders ----------------------------------------------------------------

  private cached(informer: Informer, ref: OwnerReference, ns: string): KubeObject | undefined {
    const obj = informer.lister.get(`${ns}/${ref.name}`);
    return obj && obj.metadata.uid === ref.uid ? obj : undefined;
  }

  private replicationControllerScale(ref: OwnerReference, ns: string): ControllerScale | undefined {
    if (!refersTo(ref, 'ReplicationController', [''])) return undefined;
    const rc = this.cached(this.rcInformer, ref, ns);
    return rc && { uid: rc.metadata.uid!, replicas: replicasOf(rc) };
  }

  private deploymentScale(ref: OwnerReference, ns: string): ControllerScale | undefined {
    if (!refersTo(ref, 'ReplicaSet', appsGroups)) return undefined;
    const rs = this.cached(this.rsInformer, ref, ns);
    const owner = rs && controllerRefOf(rs);
    if (!owner || !refersTo(owner, 'Deployment', appsGroups)) return undefined;
    const d = this.cached(this.deploymentInformer, owner, ns);
    return d && { uid: d.metadata.uid!, replicas: replicasOf(d) };
  }

  /** A ReplicaSet no Deployment controls. */
  private replicaSetScale(ref: OwnerReference, ns: string): ControllerScale | undefined {
    if (!refersTo(ref, 'ReplicaSet', appsGroups)) return undefined;
    const rs = this.cached(this.rsInformer, ref, ns);
    if (!rs || controllerRefOf(rs)?.kind === 'Deployment') return undefined;
    return { uid: rs.metadata.uid!, replicas: replicasOf(rs) };
  }

  /**
   * getScaleController: any other served kind with a scale subresource (a ReplicaSet whose
   * Deployment is not cached, say); a kind without one, or one not served, cannot be worked out.
   */
  private scaleOf(ref: OwnerReference, ns: string): ControllerScale | undefined {
    const group = groupOf(ref.apiVersion);
    const rt = allResourceTypes.find((t) => t.group === group && t.kind === ref.kind);
    if (!rt) throw new Error(`no matches for kind ${JSON.stringify(ref.kind)} in version ${JSON.stringify(ref.apiVersion)}`);
    if (!rt.scale) throw new Error(`${qualifiedResource(rt)} does not implement the scale subresource`);
    const informer = { ReplicaSet: this.rsInformer, Deployment: this.deploymentInformer, ReplicationController: this.rcInformer }[rt.kind];
    const obj = informer && this.cached(informer, ref, ns);
    return obj && { uid: obj.metadata.uid!, replicas: replicasOf(obj) };
  }

  // --- the syncs ---------------------------------------------------------------------------------

  /**
   * Works out one budget's status (by "namespace/name") and writes it when it differs. A
   * conflict is retried; any other failure writes the fail-safe status instead.
   */
  async syncBudget(key: string): Promise<ReconcileResult | void> {
    const pdb = this.pdbInformer.lister.get(key);
    if (!pdb) return;
    try {
      return await this.trySync(pdb);
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) throw err;
      this.log.warn('failed to sync PodDisruptionBudget', { key, err: (err as Error).message });
      const status = failSafeStatus(pdb, (err as Error).message, rfc3339(this.clock.now()));
      if (status) await this.writeStatus(pdb, status);
    }
  }

  private async trySync(pdb: KubeObject): Promise<ReconcileResult | void> {
    const selected = podsForBudget(pdb, this.podInformer.lister.list(pdb.metadata.namespace));
    if (selected.length === 0) this.recorder?.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let counted;
    try {
      counted = expectedPodCount(pdb, selected, this.finders);
    } catch (err) {
      this.recorder?.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(err as Error).message}`);
      throw err;
    }
    if (counted.unmanagedPods.length) {
      this.log.debug('found unmanaged pods associated with this PDB', { pdb: objectKey(pdb), pods: counted.unmanagedPods });
      this.recorder?.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${selectorText(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.clock.now();
    const disrupted = buildDisruptedPodMap(pdb, selected, now);
    for (const pod of disrupted.notDeleted) {
      this.log.info("pod was expected to be deleted but it wasn't, updating PDB", { pod: objectKey(pod), pdb: objectKey(pdb) });
      this.recorder?.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${objectKey(pdb)} to be deleted but it wasn't`);
    }
    const status = desiredStatus(
      pdb,
      {
        currentHealthy: countHealthyPods(selected, disrupted.disruptedPods, now),
        desiredHealthy: counted.desiredHealthy,
        expectedCount: counted.expectedCount,
        disruptedPods: disrupted.disruptedPods,
      },
      rfc3339(now),
    );
    if (status) await this.writeStatus(pdb, status);
    if (disrupted.recheckAt !== undefined) return { requeueAfterMs: Math.max(0, disrupted.recheckAt - now) };
  }

  /** One status write at the cached resourceVersion: a conflict goes back to the queue. */
  private async writeStatus(pdb: KubeObject, status: Record<string, any>): Promise<void> {
    await this.client.update(poddisruptionbudgets, { ...pdb, status }, { subresource: 'status' });
  }

  /** Sets a stale DisruptionTarget condition of one pod (by "namespace/name") to False. */
  async syncStalePodDisruption(key: string): Promise<ReconcileResult | void> {
    const pod = this.podInformer.lister.get(key);
    if (!pod) return;
    const wait = staleDisruptionWait(pod, this.clock.now(), this.staleTimeoutMs);
    if (wait === undefined) return;
    if (wait > 0) return { requeueAfterMs: wait };
    const conditions = (pod.status?.conditions ?? []).map((c: Record<string, unknown>) =>
      c.type === 'DisruptionTarget' ? { type: 'DisruptionTarget', status: 'False', lastProbeTime: null, lastTransitionTime: rfc3339(this.clock.now()) } : c,
    );
    await this.client.update(podsResource, { ...pod, status: { ...pod.status, conditions } }, { subresource: 'status' });
    this.log.info('reset stale DisruptionTarget condition to False', { pod: key });
  }
}

function replicasOf(obj: KubeObject): number {
  const r = obj.spec?.replicas;
  return typeof r === 'number' ? r : 1;
}

/** GroupResource.String(): "replicasets.apps", "pods". */
function qualifiedResource(rt: ResourceType): string {
  return rt.group ? `${rt.plural}.${rt.group}` : rt.plural;
}

/** How Go prints the *LabelSelector in the UnmanagedPods event (close enough: its fields). */
function selectorText(selector: unknown): string {
  return JSON.stringify(selector ?? null);
}
