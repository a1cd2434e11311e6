/**
 * An in-memory view of one kind, by namespace ('' for a cluster-scoped kind), for admission
 * plugins (LimitRanges, ResourceQuotas) and the RBAC authorizer (roles and bindings): listed
 * once, then kept by a watch (writes by other API servers sharing the store) and by this
 * registry's own writes, which reach it before their callers get an answer, so an object
 * written here applies to the very next request even where the watch lags (etcd). A create in
 * a namespace without any of them costs one map lookup.
 *
 * Every object keeps the newest revision seen from either source, and a delete stays as a
 * tombstone until the watch has passed it, so older news arriving late never brings back a
 * version or a deleted object.
 */
import type { KubeObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import type { Watcher } from '../../storage/interface.js';
import type { Logger } from '../../util/logger.js';
import type { ObjectRegistry } from '../registry.js';

interface Known<T> {
  rev: number;
  /** Absent: deleted at rev (a tombstone). */
  view?: T;
}

/** How long a failed watch waits before it lists and watches again. */
const restartDelayMs = 1000;

export class NamespacedObjectCache<T> {
  /** namespace → name → newest known state. */
  private known = new Map<string, Map<string, Known<T>>>();
  /** The namespace's views in name order, made on first read after a change. */
  private readonly sorted = new Map<string, readonly T[]>();
  private watcher?: Watcher;
  private retry?: NodeJS.Timeout;
  private inStep = false;
  private closed = false;

  /**
   * @param view what the plugin keeps of each object (parsed once per version); it must not
   *   throw for an object the store holds.
   */
  constructor(
    private readonly registry: ObjectRegistry,
    private readonly rt: ResourceType,
    private readonly view: (obj: KubeObject) => T,
    private readonly log: Logger,
  ) {
    registry.observeWrites((type, written, obj) => {
      if (written !== rt || this.closed) return;
      try {
        this.observe(type, obj);
      } catch (err) {
        // The write itself succeeded; the watch brings the object in a moment.
        this.log.error(`could not take in a ${rt.kind} write`, { err: (err as Error).message });
      }
    });
  }

  /**
   * The views of the namespace's objects in name order (shared: never modify them), an empty
   * list when it has none, or undefined while the cache is not in step with the store (before
   * start(), and while a failed watch is being restarted): then read() asks the store.
   */
  cached(namespace: string): readonly T[] | undefined {
    if (!this.inStep) return undefined;
    return this.sorted.get(namespace) ?? this.collect(namespace);
  }

  /**
   * The views of the namespace's objects in name order as last known, in step or not: what an
   * informer's lister serves while it lists again (the RBAC authorizer, which must answer every
   * request without a look at the store, reads this).
   */
  current(namespace: string): readonly T[] {
    return this.sorted.get(namespace) ?? this.collect(namespace);
  }

  /** The view of one object as last known (in step or not), or undefined. */
  get(namespace: string, name: string): T | undefined {
    return this.known.get(namespace)?.get(name)?.view;
  }

  /** The views of the namespace's objects in name order, straight from the store. */
  async read(namespace: string): Promise<readonly T[]> {
    const { items } = await this.registry.list(this.rt, namespace);
    return items.sort(byName).map(this.view);
  }

  /** Lists the objects and watches them from there; resolves once the list is in. */
  async start(): Promise<void> {
    this.inStep = false;
    const listed = await this.registry.list(this.rt, undefined);
    const rev = Number(listed.resourceVersion);
    const fresh = new Map<string, Map<string, Known<T>>>();
    for (const obj of listed.items) put(fresh, obj, { rev: Number(obj.metadata.resourceVersion), view: this.view(obj) });
    // What this registry wrote after the list's revision stays (a delete, too).
    for (const [ns, names] of this.known) {
      for (const [name, k] of names) if (k.rev > rev) put(fresh, { metadata: { namespace: ns, name } }, k);
    }
    this.known = fresh;
    this.sorted.clear();
    if (this.closed) return;
    this.watcher = await this.registry.watch(this.rt, undefined, { resourceVersion: String(rev), onError: (err) => this.restart(err) }, (type, obj) => {
      this.observe(type, obj);
      // The watch has passed this delete: no older news about the object can come any more.
      if (type === 'DELETED') this.forgetTombstone(obj);
    });
    if (this.closed) {
      this.watcher.close();
      return;
    }
    this.inStep = true;
  }

  close(): void {
    this.closed = true;
    this.inStep = false;
    clearTimeout(this.retry);
    this.watcher?.close();
  }

  private restart(err: Error): void {
    this.inStep = false;
    if (this.closed) return;
    this.log.error(`${this.rt.kind} watch failed; listing again`, { err: err.message });
    this.watcher?.close();
    this.retry = setTimeout(() => {
      if (!this.closed) this.start().catch((e: Error) => this.restart(e));
    }, restartDelayMs);
    this.retry.unref();
  }

  /** An event from the watch or from this registry's own write; older news is ignored. */
  private observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const ns = obj.metadata.namespace ?? '';
    const rev = Number(obj.metadata.resourceVersion);
    const cur = this.known.get(ns)?.get(obj.metadata.name ?? '');
    if (cur && cur.rev >= rev) return;
    put(this.known, obj, type === 'DELETED' ? { rev } : { rev, view: this.view(obj) });
    this.sorted.delete(ns);
  }

  private forgetTombstone(obj: KubeObject): void {
    const ns = obj.metadata.namespace ?? '';
    const names = this.known.get(ns);
    const k = names?.get(obj.metadata.name ?? '');
    if (!names || !k || k.view !== undefined || k.rev > Number(obj.metadata.resourceVersion)) return;
    names.delete(obj.metadata.name ?? '');
    if (names.size === 0) this.known.delete(ns);
  }

  private collect(namespace: string): readonly T[] {
    const names = this.known.get(namespace);
    const views = names ? [...names.keys()].sort().flatMap((name) => (names.get(name)!.view !== undefined ? [names.get(name)!.view!] : [])) : [];
    this.sorted.set(namespace, views);
    return views;
  }
}

function put<T>(into: Map<string, Map<string, Known<T>>>, obj: KubeObject, k: Known<T>): void {
  const ns = obj.metadata.namespace ?? '';
  let names = into.get(ns);
  if (!names) into.set(ns, (names = new Map()));
  names.set(obj.metadata.name ?? '', k);
}

function byName(a: KubeObject, b: KubeObject): number {
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
