/**
 * The resource quota controller (kube-controller-manager's resourcequota-controller,
 * pkg/controller/resourcequota): keeps every ResourceQuota's status.hard equal to spec.hard and
 * status.used equal to what the objects in its namespace really use, counted from informer
 * caches with the same evaluators quota admission charges with.
 *
 * A quota is recounted when it is added or its spec changes, when an object it counts is
 * deleted or stops counting (a pod turning Succeeded/Failed, a Service leaving NodePort or
 * LoadBalancer), and in a full pass every resync period (5 min, --resource-quota-sync-period),
 * which catches what admission charged for writes that then failed. Charges admission makes
 * between recounts are not undone: a recount only ever runs on objects the caches have.
 *
 * Informers for the counted resources ("monitors") are made when a quota first needs one, so
 * a cluster without quotas, or with quotas on pods alone, watches nothing more than it did.
 * The status is written only when it differs.
 */
import type { KubeObject } from '../../api/object.js';
import { allResourceTypes } from '../../api/registry.js';
import { resourcequotas } from '../../api/kinds/resourcequotas.js';
import {
  evaluatorFor,
  persistentVolumeClaimEvaluator,
  scopeRequirementsOf,
  usageOf,
  type QuotaEvaluator,
} from '../../api/quota/evaluators.js';
import { addLists, listsEqual, mask, parseResourceList, resourceListJSON, type ResourceList } from '../../api/quota/resources.js';
import { runController, type ControllerHandle } from '../../client/controller.js';
import { objectKey, type Informer, type InformerFactory, type KubeClient, type ResourceRef } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

/** kube-controller-manager's --resource-quota-sync-period default. */
export const defaultResyncPeriodMs = 5 * 60_000;

export interface ResourceQuotaControllerOptions {
  client: KubeClient;
  informers: InformerFactory;
  clock?: Clock;
  logger: Logger;
  /** How often every quota is recounted (--resource-quota-sync-period, default 5 min). */
  resyncPeriodMs?: number;
  /** Quotas synced concurrently (--concurrent-resource-quota-syncs, default 5). */
  workers?: number;
  /** The resources that can be counted (default: every served kind). */
  resources?: readonly ResourceRef[];
}

/** A counted resource: its evaluator, and the resource to watch (none for kinds not served). */
interface Counted {
  ev: QuotaEvaluator;
  res?: ResourceRef;
}

export class ResourceQuotaController {
  private readonly client: KubeClient;
  private readonly informers: InformerFactory;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly resyncPeriodMs: number;
  private readonly workers: number;
  private readonly counted: Counted[];
  private readonly quotaInformer: Informer;
  private readonly queue: RateLimitedQueue;
  /** Informers of counted resources, by plural.group, once a quota has needed them. */
  private readonly monitors = new Map<string, Informer>();
  private handle?: ControllerHandle;
  private cancelResync?: () => void;
  private stopped = false;
  private readonly stopping: Promise<void>;
  private signalStop: () => void = () => {};

  constructor(opts: ResourceQuotaControllerOptions) {
    this.client = opts.client;
    this.informers = opts.informers;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ controller: 'resourcequota' });
    this.resyncPeriodMs = opts.resyncPeriodMs ?? defaultResyncPeriodMs;
    this.workers = opts.workers ?? 5;
    this.queue = new RateLimitedQueue({ clock: this.clock });
    this.stopping = new Promise((resolve) => (this.signalStop = resolve));
    this.counted = [];
    for (const res of opts.resources ?? allResourceTypes) {
      const ev = evaluatorFor(res);
      if (ev) this.counted.push({ ev, res });
    }
    this.counted.push({ ev: persistentVolumeClaimEvaluator });

    this.quotaInformer = opts.informers.informerFor(resourcequotas);
    this.quotaInformer.addHandlers({
      onAdd: (q) => this.queue.add(objectKey(q)),
      // Status writes (this controller's, admission's charges) need no recount; spec changes do.
      onUpdate: (old, cur) => {
        if (JSON.stringify(old.spec ?? null) !== JSON.stringify(cur.spec ?? null)) this.queue.add(objectKey(cur));
      },
    });
  }

  /** Starts the workers and the periodic full recount once the quota cache holds its list. */
  async start(): Promise<void> {
    if (this.handle || this.stopped) return;
    await Promise.race([this.quotaInformer.start(), this.stopping]);
    if (this.stopped) return;
    this.handle = runController({
      name: 'resourcequota',
      queue: this.queue,
      workers: this.workers,
      reconcile: (key) => this.syncQuota(key),
      logger: this.log,
    });
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.cancelResync?.();
    this.queue.shutDown();
    await this.handle?.stop();
  }

  private scheduleResync(): void {
    this.cancelResync = this.clock.setTimeout(() => {
      if (this.stopped) return;
      for (const q of this.quotaInformer.lister.list()) this.queue.add(objectKey(q));
      this.scheduleResync();
    }, this.resyncPeriodMs);
  }

  // --- monitors: informers of counted resources, and replenishment ----------------------------

  /** The synced informer of a counted resource, made (with its replenishment handlers) on first use. */
  private async monitor(res: ResourceRef, ev: QuotaEvaluator): Promise<Informer | undefined> {
    const id = `${res.plural}.${res.group}`;
    let informer = this.monitors.get(id);
    if (!informer) {
      informer = this.informers.informerFor(res);
      this.monitors.set(id, informer);
      informer.addHandlers({
        onDelete: (obj) => this.replenish(obj, ev),
        onUpdate: (old, cur) => {
          if (ev.releasesOnUpdate(old, cur, this.clock.now())) this.replenish(cur, ev);
        },
      });
    }
    if (!informer.hasSynced()) await Promise.race([informer.start(), this.stopping]);
    return this.stopped ? undefined : informer;
  }

  /** Queues the quotas of obj's namespace that count its resource: it freed some of their usage. */
  private replenish(obj: KubeObject, ev: QuotaEvaluator): void {
    const ns = obj.metadata.namespace;
    if (!ns) return;
    for (const q of this.quotaInformer.lister.list(ns)) {
      if (ev.matchingResources(Object.keys(q.status?.hard ?? {})).length > 0) this.queue.add(objectKey(q));
    }
  }

  // --- the sync ----------------------------------------------------------------------------------

  /** Recounts one quota (by "namespace/name") and writes its status if it changed. */
  async syncQuota(key: string): Promise<void> {
    const quota = this.quotaInformer.lister.get(key);
    if (!quota) return;
    const ns = quota.metadata.namespace ?? '';
    const hard = parseResourceList(quota.spec?.hard);
    const hardNames = [...hard.keys()];
    const scopes = scopeRequirementsOf(quota);
    const now = this.clock.now();

    let counted: ResourceList = new Map();
    for (const { ev, res } of this.counted) {
      const names = ev.matchingResources(hardNames);
      if (names.length === 0) continue;
      let objects: readonly KubeObject[] = [];
      if (res) {
        const informer = await this.monitor(res, ev);
        if (!informer) return; // stopping
        objects = informer.lister.list(ns);
      }
      counted = addLists(counted, usageOf(ev, objects, scopes, names, now));
    }

    // Usage of resources no evaluator counts stays as it was; nothing outside spec.hard stays.
    const previous = parseResourceList(quota.status?.used);
    const used = mask(new Map([...previous, ...counted]), hardNames);
    const status = quota.status ?? {};
    const dirty =
      status.hard === undefined ||
      status.used === undefined ||
      !listsEqual(hard, parseResourceList(status.hard)) ||
      !listsEqual(used, previous);
    if (!dirty) return;
    await this.client.update(
      resourcequotas,
      { ...quota, status: { ...status, hard: resourceListJSON(hard), used: resourceListJSON(used) } },
      { subresource: 'status' },
    );
  }
}
