/**
 * The ClusterRole aggregation controller (kube-controller-manager's clusterrole-aggregation,
 * pkg/controller/clusterroleaggregation): a ClusterRole with an aggregationRule holds the union
 * of the rules of the ClusterRoles its selectors match (api/rbac/aggregation.ts). Any change to
 * any ClusterRole queues every aggregated one, since which roles feed which is only known by
 * looking; a role whose rules are already right is not written. Rules are written by
 * server-side apply, forced, as field manager clusterrole-aggregation-controller.
 */
import type { KubeObject } from '../../api/object.js';
import { RBAC_GROUP } from '../../api/rbac/policy-rule.js';
import { aggregatedRules, aggregationSelectors, holdsRules, wireRules } from '../../api/rbac/aggregation.js';
import { runController, type ControllerHandle } from '../../client/controller.js';
import type { Informer, InformerFactory, KubeClient, ResourceRef } from '../../client/interfaces.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

export const FIELD_MANAGER = 'clusterrole-aggregation-controller';

const clusterRolesRef: ResourceRef = { group: RBAC_GROUP, version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false };

export interface ClusterRoleAggregationOptions {
  client: KubeClient;
  informers: InformerFactory;
  clock?: Clock;
  logger: Logger;
}

export class ClusterRoleAggregationController {
  private readonly clusterRoles: Informer;
  private readonly queue: RateLimitedQueue;
  private handle?: ControllerHandle;

  constructor(private readonly opts: ClusterRoleAggregationOptions) {
    this.queue = new RateLimitedQueue({ clock: opts.clock ?? realClock, baseDelayMs: 5, maxDelayMs: 30_000 });
    this.clusterRoles = opts.informers.informerFor(clusterRolesRef);
    const enqueueAll = () => {
      for (const role of this.clusterRoles.lister.list()) if (aggregationSelectors(role)) this.queue.add(role.metadata.name!);
    };
    this.clusterRoles.addHandlers({ onAdd: enqueueAll, onUpdate: enqueueAll, onDelete: enqueueAll });
  }

  async start(): Promise<void> {
    // kube runs it with a single worker: syncs read each other's results through the cache.
    this.handle = runController({ name: 'clusterrole-aggregation', queue: this.queue, workers: 1, reconcile: (name) => this.sync(name), logger: this.opts.logger });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  /** Brings one ClusterRole's rules in line with its aggregationRule (or does nothing: gone, or not aggregated). */
  async sync(name: string): Promise<void> {
    const role = this.clusterRoles.lister.get(name);
    if (!role) return;
    const rules = aggregatedRules(role, this.clusterRoles.lister.list());
    if (!rules || holdsRules(role, rules)) return;
    const apply: KubeObject = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name }, rules: wireRules(rules) };
    await this.opts.client.patch(clusterRolesRef, undefined, name, 'apply', apply, { fieldManager: FIELD_MANAGER, force: true });
  }
}
