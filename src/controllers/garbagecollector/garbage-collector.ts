/**
 * GarbageCollector: deletes objects by ownerReferences, the three cascade policies of a delete.
 * - Background: once an owner is gone, dependents whose owners are all gone are deleted.
 * - Orphan: the owner waits (finalizer "orphan") until its dependents no longer reference it.
 * - Foreground: the owner waits (finalizer "foregroundDeletion") until its dependents are gone.
 *
 * Informers on every served resource keep a graph of owners and dependents (uid -> node).
 * Handlers only update the graph and enqueue uids; the worker re-reads the object from the API
 * before acting, so a stale cache never deletes something that came back.
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { ApiError } from '../../api/errors.js';
import { allResourceTypes, resourceTypeForKind } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import type { InformerFactory, KubeClient } from '../../client/interfaces.js';
import { runController, type ControllerHandle } from '../../client/controller.js';
import { RateLimitedQueue } from '../../client/workqueue.js';
import type { EventRecorder } from '../../client/events.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

interface GraphNode {
  rt: ResourceType;
  namespace?: string;
  name: string;
  owners: OwnerReference[];
}

export const orphanFinalizer = 'orphan';
export const foregroundFinalizer = 'foregroundDeletion';

export interface GarbageCollectorOptions {
  client: KubeClient;
  informers: InformerFactory;
  recorder?: EventRecorder;
  clock?: Clock;
  logger: Logger;
  workers?: number;
  /** Which kinds to follow (default: every served resource). */
  types?: readonly ResourceType[];
}

export class GarbageCollector {
  private readonly nodes = new Map<string, GraphNode>();
  /** owner uid -> dependent uids. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly queue: RateLimitedQueue;
  private readonly log: Logger;
  private handle?: ControllerHandle;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.log = opts.logger.child({ controller: 'garbage-collector' });
    this.queue = new RateLimitedQueue({ clock: opts.clock ?? realClock, baseDelayMs: 50, maxDelayMs: 5000 });
    // Events are the busiest kind and never own or are owned in practice; following them would
    // cost a decode per event for nothing.
    for (const rt of opts.types ?? allResourceTypes.filter((t) => t.plural !== 'events')) {
      const inf = opts.informers.informerFor(rt);
      inf.addHandlers({
        onAdd: (o) => this.observe(rt, 'ADDED', o),
        onUpdate: (_old, o) => this.observe(rt, 'MODIFIED', o),
        onDelete: (o) => this.observe(rt, 'DELETED', o),
      });
    }
  }

  async start(): Promise<void> {
    this.handle = runController({
      name: 'garbage-collector',
      queue: this.queue,
      workers: this.opts.workers ?? 4,
      reconcile: async (uid) => ((await this.sync(uid)) ? { requeue: true } : undefined),
      logger: this.opts.logger,
    });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
    this.queue.shutDown();
  }

  private observe(rt: ResourceType, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const before = this.nodes.get(uid);
    for (const o of before?.owners ?? []) this.dependents.get(o.uid)?.delete(uid);
    if (type === 'DELETED') {
      this.nodes.delete(uid);
      // Its dependents may now be orphans; an owner waiting in the foreground may be done.
      for (const d of this.dependents.get(uid) ?? []) this.queue.add(d);
      for (const o of obj.metadata.ownerReferences ?? []) if (this.nodes.has(o.uid)) this.queue.add(o.uid);
      return;
    }
    const owners = obj.metadata.ownerReferences ?? [];
    this.nodes.set(uid, { rt, namespace: obj.metadata.namespace, name: obj.metadata.name!, owners });
    for (const o of owners) {
      let set = this.dependents.get(o.uid);
      if (!set) this.dependents.set(o.uid, (set = new Set()));
      set.add(uid);
    }
    const fin = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && (fin.includes(orphanFinalizer) || fin.includes(foregroundFinalizer))) this.queue.add(uid);
    const oldOwners = before?.owners ?? [];
    if (!sameOwners(oldOwners, owners)) {
      // As Kubernetes' graph builder: an owner the graph has not seen may be gone, so the object
      // is checked (with a live read); one whose owners are all known waits for their deletion,
      // which enqueues it. Every pod a ReplicaSet makes thus costs the collector no request.
      if (owners.some((o) => !this.nodes.has(o.uid))) this.queue.add(uid);
      // An owner waiting in the foreground for its dependents may have just lost its last one.
      for (const o of oldOwners) if (!owners.some((r) => r.uid === o.uid) && this.nodes.has(o.uid)) this.queue.add(o.uid);
    }
  }

  /** Reads the object fresh and does what its state asks; true means "look again later". */
  private async sync(uid: string): Promise<boolean> {
    const node = this.nodes.get(uid);
    if (!node) return false;
    const obj = await this.fetch(node.rt, node.namespace, node.name, uid);
    if (!obj) return false;
    const fin = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && fin.includes(orphanFinalizer)) {
      await this.orphanDependents(uid);
      await this.removeFinalizer(node, obj, orphanFinalizer);
      return false;
    }
    if (obj.metadata.deletionTimestamp && fin.includes(foregroundFinalizer)) {
      const remaining = [...(this.dependents.get(uid) ?? [])].filter((d) => this.nodes.has(d));
      if (remaining.length === 0) {
        await this.removeFinalizer(node, obj, foregroundFinalizer);
        return false;
      }
      for (const d of remaining) {
        const dn = this.nodes.get(d)!;
        await ignoreGone(this.opts.client.delete(dn.rt, dn.namespace, dn.name, { propagationPolicy: 'Foreground', preconditions: { uid: d } }));
      }
      return true;
    }
    const owners = obj.metadata.ownerReferences ?? [];
    if (!owners.length || obj.metadata.deletionTimestamp) return false;
    const dangling: string[] = [];
    for (const ref of owners) {
      if (!(await this.ownerExists(ref, node))) dangling.push(ref.uid);
    }
    if (dangling.length === owners.length) {
      this.log.info('deleting object whose owners are gone', { resource: node.rt.plural, namespace: node.namespace, name: node.name });
      await ignoreGone(this.opts.client.delete(node.rt, node.namespace, node.name, { propagationPolicy: 'Background', preconditions: { uid } }));
    } else if (dangling.length) {
      const refs = owners.filter((r) => !dangling.includes(r.uid));
      await ignoreGone(
        this.opts.client.patch(node.rt, node.namespace, node.name, 'merge', {
          metadata: { ownerReferences: refs, resourceVersion: obj.metadata.resourceVersion },
        }),
      );
    }
    return false;
  }

  private async ownerExists(ref: OwnerReference, dependent: GraphNode): Promise<boolean> {
    const ownerType = resourceTypeForKind(ref.apiVersion, ref.kind);
    if (!ownerType) return true; // an owner kind peapod does not serve: leave it alone
    if (ownerType.namespaced && !dependent.namespace) return false;
    // The graph answers for owners it has seen; the API answers for the rest.
    if (this.nodes.has(ref.uid)) return true;
    return (await this.fetch(ownerType, ownerType.namespaced ? dependent.namespace : undefined, ref.name, ref.uid)) !== undefined;
  }

  private async orphanDependents(ownerUid: string): Promise<void> {
    for (const d of [...(this.dependents.get(ownerUid) ?? [])]) {
      const dn = this.nodes.get(d);
      if (!dn) continue;
      const live = await this.fetch(dn.rt, dn.namespace, dn.name, d);
      if (!live) continue;
      const refs = (live.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
      await ignoreGone(
        this.opts.client.patch(dn.rt, dn.namespace, dn.name, 'merge', {
          metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: live.metadata.resourceVersion },
        }),
      );
    }
  }

  private async removeFinalizer(node: GraphNode, obj: KubeObject, finalizer: string): Promise<void> {
    const fin = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await ignoreGone(
      this.opts.client.patch(node.rt, node.namespace, node.name, 'merge', {
        metadata: { finalizers: fin.length ? fin : null, resourceVersion: obj.metadata.resourceVersion },
      }),
    );
  }

  /** The object if it exists with this uid. */
  private async fetch(rt: ResourceType, ns: string | undefined, name: string, uid: string): Promise<KubeObject | undefined> {
    try {
      const obj = await this.opts.client.get(rt, ns, name);
      return obj.metadata.uid === uid ? obj : undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }
}

function sameOwners(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  return a.length === b.length && a.every((r, i) => r.uid === b[i]!.uid);
}

/** 404 (already gone) and a uid precondition failure (replaced by a namesake) are done, not errors. */
async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError && (err.code === 404 || (err.code === 409 && /Precondition failed: UID/.test(err.message)))) return;
    throw err;
  }
}
