/**
 * Garbage collection by ownerReferences, the three cascade policies of a delete:
 * - Background: once an owner is gone, dependents whose owners are all gone are deleted.
 * - Orphan: the owner waits (finalizer "orphan") until its dependents no longer reference it.
 * - Foreground: the owner waits (finalizer "foregroundDeletion") until its dependents are gone.
 *
 * In Kubernetes this is kube-controller-manager's garbage collector. Until peapod has a
 * controller manager (and the client/informer layer it needs) it runs in the API server
 * process and works only through the ObjectRegistry, like the namespace lifecycle loop.
 * Handlers only turn events into uids to look at; the worker re-reads state before acting.
 */
import type { ResourceType } from '../api/resource.js';
import type { KubeObject, OwnerReference } from '../api/object.js';
import { ApiError } from '../api/errors.js';
import { resourceTypeForKind } from '../api/registry.js';
import type { Watcher } from '../storage/interface.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ObjectRegistry } from './registry.js';

interface Node {
  rt: ResourceType;
  namespace?: string;
  name: string;
  owners: OwnerReference[];
}

export const orphanFinalizer = 'orphan';
export const foregroundFinalizer = 'foregroundDeletion';

export class GarbageCollector {
  /** Every object seen, by uid. */
  private readonly nodes = new Map<string, Node>();
  /** owner uid -> dependent uids. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly queue = new Set<string>();
  private readonly watchers: Watcher[] = [];
  private running = false;
  private closed = false;
  private readonly retryTimers = new Set<() => void>();

  constructor(
    private readonly registry: ObjectRegistry,
    private readonly types: readonly ResourceType[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly retryMs = 500,
  ) {}

  async start(): Promise<void> {
    for (const rt of this.types) await this.watchType(rt);
  }

  private async watchType(rt: ResourceType): Promise<void> {
    const w = await this.registry.watch(
      rt,
      undefined,
      {
        onError: (err) => {
          if (this.closed) return;
          this.log.warn('watch failed; restarting', { resource: rt.plural, err: err.message });
          void this.watchType(rt);
        },
      },
      (type, obj) => this.observe(rt, type, obj),
    );
    if (this.closed) w.close();
    else this.watchers.push(w);
  }

  private observe(rt: ResourceType, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const before = this.nodes.get(uid);
    for (const o of before?.owners ?? []) this.dependents.get(o.uid)?.delete(uid);
    if (type === 'DELETED') {
      this.nodes.delete(uid);
      // Its dependents may now be orphans; owners waiting in the foreground may be done.
      for (const d of this.dependents.get(uid) ?? []) this.enqueue(d);
      for (const o of obj.metadata.ownerReferences ?? []) if (this.nodes.has(o.uid)) this.enqueue(o.uid);
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
    if (obj.metadata.deletionTimestamp && (fin.includes(orphanFinalizer) || fin.includes(foregroundFinalizer))) this.enqueue(uid);
    if (owners.length && (!before || before.owners.length !== owners.length)) this.enqueue(uid);
  }

  private enqueue(uid: string): void {
    if (this.closed) return;
    this.queue.add(uid);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.size && !this.closed) {
        const [uid] = this.queue;
        this.queue.delete(uid);
        try {
          const again = await this.sync(uid);
          if (again) this.retry(uid);
        } catch (err) {
          this.log.warn('garbage collection failed; will retry', { uid, err: (err as Error).message });
          this.retry(uid);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private retry(uid: string): void {
    const cancel = this.clock.setTimeout(() => {
      this.retryTimers.delete(cancel);
      this.enqueue(uid);
    }, this.retryMs);
    this.retryTimers.add(cancel);
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
      await this.removeFinalizer(node, orphanFinalizer);
      return false;
    }
    if (obj.metadata.deletionTimestamp && fin.includes(foregroundFinalizer)) {
      const remaining = [...(this.dependents.get(uid) ?? [])].filter((d) => this.nodes.has(d));
      if (remaining.length === 0) {
        await this.removeFinalizer(node, foregroundFinalizer);
        return false;
      }
      for (const d of remaining) {
        const dn = this.nodes.get(d)!;
        await this.ignoreNotFound(this.registry.delete(dn.rt, dn.namespace, dn.name, { propagationPolicy: 'Foreground', preconditions: { uid: d } }));
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
      await this.ignoreNotFound(this.registry.delete(node.rt, node.namespace, node.name, { propagationPolicy: 'Background', preconditions: { uid } }));
    } else if (dangling.length) {
      await this.ignoreNotFound(
        this.registry.update(node.rt, node.namespace, node.name, (cur) => {
          cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r) => !dangling.includes(r.uid));
          return cur;
        }),
      );
    }
    return false;
  }

  private async ownerExists(ref: OwnerReference, dependent: Node): Promise<boolean> {
    const ownerType = resourceTypeForKind(ref.apiVersion, ref.kind);
    if (!ownerType) return true; // an owner kind peapod does not serve: leave it alone
    if (ownerType.namespaced && !dependent.namespace) return false;
    const owner = await this.fetch(ownerType, ownerType.namespaced ? dependent.namespace : undefined, ref.name, ref.uid);
    return owner !== undefined;
  }

  private async orphanDependents(ownerUid: string): Promise<void> {
    for (const d of [...(this.dependents.get(ownerUid) ?? [])]) {
      const dn = this.nodes.get(d);
      if (!dn) continue;
      await this.ignoreNotFound(
        this.registry.update(dn.rt, dn.namespace, dn.name, (cur) => {
          const refs = (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
          if (refs.length) cur.metadata.ownerReferences = refs;
          else delete cur.metadata.ownerReferences;
          return cur;
        }),
      );
    }
  }

  private async removeFinalizer(node: Node, finalizer: string): Promise<void> {
    await this.ignoreNotFound(
      this.registry.update(node.rt, node.namespace, node.name, (cur) => {
        const fin = (cur.metadata.finalizers ?? []).filter((f) => f !== finalizer);
        if (fin.length) cur.metadata.finalizers = fin;
        else delete cur.metadata.finalizers;
        return cur;
      }),
    );
  }

  /** The object if it exists with this uid. */
  private async fetch(rt: ResourceType, ns: string | undefined, name: string, uid: string): Promise<KubeObject | undefined> {
    try {
      const obj = await this.registry.get(rt, ns, name);
      return obj.metadata.uid === uid ? obj : undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || (err.code === 409 && /Precondition failed: UID/.test(err.message)))) return;
      throw err;
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.close();
    for (const cancel of this.retryTimers) cancel();
    this.retryTimers.clear();
  }
}
