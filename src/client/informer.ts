/**
 * The list-watch informer: list (in pages), then watch from the list's resourceVersion,
 * keeping a local cache with indexes and telling handlers about every change, in order.
 * A watch that ends is resumed from the last resourceVersion seen (bookmarks included);
 * one that answers 410 Gone means history was compacted away, so the informer relists and
 * turns the difference between cache and list into adds, updates and deletes.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { realClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  objectKey,
  type EventHandlers,
  type Informer,
  type InformerFactory,
  type KubeClient,
  type Lister,
  type ResourceRef,
  type WatchEvent,
  type WatchHandle,
} from './interfaces.js';
import { errorFromStatus } from './rest-client.js';

export interface SharedInformerOptions {
  /** Only this namespace (all namespaces when unset). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock?: Clock;
  logger?: Logger;
  /** Page size of lists (default 500). */
  pageSize?: number;
  /** Longest wait between reconnect attempts (default 5 s); the first is 100 ms. */
  maxBackoffMs?: number;
  /**
   * Applied to every object from a list or watch before it is cached or handed to handlers
   * (client-go's TransformFunc); it may change the object in place and must return it.
   */
  transform?: (obj: KubeObject) => KubeObject;
}

/**
 * The transform kube-controller-manager and kube-scheduler give their informers: managedFields
 * are for server-side apply and people, not for controllers, and make up a large part of every
 * object. An update sent without them keeps the stored ones, so a cached object is still
 * fine to write back.
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

const namespaceIndex = '__namespace';

interface Index<T> {
  fn: (obj: T) => string[];
  byValue: Map<string, Set<string>>;
}

/** How a watch ended, which decides what the informer does next. */
type WatchEnd = { kind: 'ended'; events: number } | { kind: 'expired' } | { kind: 'failed'; err: Error; events: number };

function isGone(err: unknown): boolean {
  return err instanceof ApiError && err.code === 410;
}

export class SharedInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly lister: Lister<T>;
  private readonly cache = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  /** Each key's index values, so an update can take the old ones out. */
  private readonly indexed = new Map<string, Map<string, string[]>>();
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly maxBackoffMs: number;
  private readonly transform?: (obj: T) => T;
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private started?: Promise<void>;
  private markSynced: () => void = () => {};
  private currentWatch?: WatchHandle;
  private wakeSleep?: () => void;

  constructor(
    private readonly client: KubeClient,
    private readonly res: ResourceRef,
    private readonly opts: SharedInformerOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ informer: res.group ? `${res.plural}.${res.group}` : res.plural });
    this.pageSize = opts.pageSize ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
    this.transform = opts.transform as ((obj: T) => T) | undefined;
    this.indexes.set(namespaceIndex, { fn: (o) => [o.metadata.namespace ?? ''], byValue: new Map() });
    this.lister = {
      get: (key) => this.cache.get(key),
      list: (namespace) =>
        namespace === undefined ? [...this.cache.values()] : this.byIndex(namespaceIndex, namespace),
      byIndex: (index, value) => {
        if (!this.indexes.has(index)) throw new Error(`informer ${this.res.plural}: no index "${index}"`);
        return this.byIndex(index, value);
      },
    };
  }

  addHandlers(h: EventHandlers<T>): void {
    this.handlers.push(h);
    if (this.synced) for (const obj of this.cache.values()) this.call(() => h.onAdd?.(obj));
  }

  addIndex(name: string, fn: (obj: T) => string[]): void {
    if (this.started) throw new Error(`informer ${this.res.plural}: addIndex("${name}") after start()`);
    if (this.indexes.has(name)) throw new Error(`informer ${this.res.plural}: index "${name}" declared twice`);
    this.indexes.set(name, { fn, byValue: new Map() });
  }

  start(): Promise<void> {
    if (!this.started) {
      this.started = new Promise<void>((resolve) => (this.markSynced = resolve));
      void this.run();
    }
    return this.started;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is at: of the last list, event or bookmark. */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Stops watching; the cache keeps its contents. A start() that has not synced resolves. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.currentWatch?.close();
    this.wakeSleep?.();
    this.markSynced();
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.relist();
          if (this.stopped) return;
          needList = false;
          failures = 0;
          if (!this.synced) {
            this.synced = true;
            this.markSynced();
          }
        } catch (err) {
          if (this.stopped) return;
          this.log.warn('list failed; retrying', { err, attempt: failures + 1 });
          await this.sleep(this.backoff(failures++));
          continue;
        }
      }
      const end = await this.watchOnce();
      if (this.stopped) return;
      if (end.kind === 'expired') {
        // Our resourceVersion was compacted away: only a fresh list can say what changed.
        this.log.info('watch expired (410 Gone); relisting', { resourceVersion: this.resourceVersion });
        needList = true;
        continue;
      }
      if (end.kind === 'failed') {
        if (end.err instanceof ApiError && end.err.code !== 503 && end.err.code !== 504 && end.err.code !== 500) {
          // The server refused the watch itself (e.g. 403, 400): a list shows whether it still can be served.
          needList = true;
        }
        if (end.events > 0) failures = 0;
        this.log.warn('watch failed; reconnecting', { err: end.err, attempt: failures + 1 });
        await this.sleep(this.backoff(failures++));
        continue;
      }
      // A watch the server ended (its timeout) resumes at once, unless it ended without any
      // event, which may mean the server keeps closing immediately: do not spin on that.
      if (end.events === 0) await this.sleep(this.backoff(failures++));
      else failures = 0;
    }
  }

  private backoff(failures: number): number {
    return Math.min(100 * 2 ** Math.min(failures, 10), this.maxBackoffMs);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(() => {
        this.wakeSleep = undefined;
        resolve();
      }, ms);
      this.wakeSleep = () => {
        cancel();
        this.wakeSleep = undefined;
        resolve();
      };
    });
  }

  /** Lists everything (in pages) and brings the cache and the handlers in line with it. */
  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let rv = '';
    let cont: string | undefined;
    let limit: number | undefined = this.pageSize;
    do {
      let page;
      try {
        page = await this.client.list<T>(this.res, this.opts.namespace, {
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          limit,
          continue: cont,
        });
      } catch (err) {
        if (cont && isGone(err)) {
          // The continue token outlived its snapshot: start over with one unpaged list.
          fresh.clear();
          cont = undefined;
          limit = undefined;
          continue;
        }
        throw err;
      }
      if (this.stopped) return;
      if (!rv) rv = page.metadata.resourceVersion;
      for (const item of page.items) fresh.set(objectKey(item), this.transform ? this.transform(item) : item);
      cont = page.metadata.continue || undefined;
    } while (cont);

    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      this.store(key, obj);
      if (!old) this.dispatch((h) => h.onAdd?.(obj));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.dispatch((h) => h.onUpdate?.(old, obj));
    }
    for (const [key, old] of [...this.cache]) {
      if (fresh.has(key)) continue;
      this.remove(key);
      this.dispatch((h) => h.onDelete?.(old));
    }
    this.resourceVersion = rv;
    this.log.debug('listed', { items: fresh.size, resourceVersion: rv });
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise((resolve) => {
      let events = 0;
      let expired = false;
      let failure: Error | undefined;
      this.currentWatch = this.client.watch<T>(
        this.res,
        this.opts.namespace,
        {
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
        },
        (ev) => {
          if (ev.type === 'ERROR') {
            const err = errorFromStatus(ev.object as never);
            if (err.code === 410) expired = true;
            else failure = err;
            this.currentWatch?.close();
            return;
          }
          events++;
          this.apply(ev);
        },
        (err) => {
          this.currentWatch = undefined;
          if (expired || isGone(err)) resolve({ kind: 'expired' });
          else if (failure ?? err) resolve({ kind: 'failed', err: (failure ?? err)!, events });
          else resolve({ kind: 'ended', events });
        },
      );
      if (this.stopped) this.currentWatch?.close();
    });
  }

  private apply(ev: WatchEvent<T>): void {
    if (ev.object?.metadata?.resourceVersion) this.resourceVersion = ev.object.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    const obj = this.transform ? this.transform(ev.object) : ev.object;
    const key = objectKey(obj);
    const old = this.cache.get(key);
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.store(key, obj);
        if (old) this.dispatch((h) => h.onUpdate?.(old, obj));
        else this.dispatch((h) => h.onAdd?.(obj));
        break;
      case 'DELETED':
        this.remove(key);
        this.dispatch((h) => h.onDelete?.(obj));
        break;
      default:
        this.log.warn('unknown watch event type', { type: ev.type });
    }
  }

  private store(key: string, obj: T): void {
    this.unindex(key);
    this.cache.set(key, obj);
    const values = new Map<string, string[]>();
    for (const [name, idx] of this.indexes) {
      let vs: string[];
      try {
        vs = idx.fn(obj);
      } catch (err) {
        this.log.error('index function threw; object not indexed', { index: name, key, err });
        vs = [];
      }
      values.set(name, vs);
      for (const v of vs) {
        let set = idx.byValue.get(v);
        if (!set) idx.byValue.set(v, (set = new Set()));
        set.add(key);
      }
    }
    this.indexed.set(key, values);
  }

  private remove(key: string): void {
    this.unindex(key);
    this.cache.delete(key);
  }

  private unindex(key: string): void {
    const values = this.indexed.get(key);
    if (!values) return;
    for (const [name, vs] of values) {
      const idx = this.indexes.get(name)!;
      for (const v of vs) {
        const set = idx.byValue.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.byValue.delete(v);
      }
    }
    this.indexed.delete(key);
  }

  private byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.byValue.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) out.push(this.cache.get(k)!);
    return out;
  }

  private dispatch(fn: (h: EventHandlers<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('event handler threw', { err });
    }
  }
}

export interface SharedInformerFactoryOptions {
  clock?: Clock;
  logger?: Logger;
  pageSize?: number;
  /** Given to every informer of the factory (see SharedInformerOptions.transform). */
  transform?: (obj: KubeObject) => KubeObject;
}

/**
 * One informer per (resource, namespace, selectors), shared by every controller that asks.
 * Like client-go's factory, start() starts the informers not yet started, so call it again
 * after asking for more.
 */
export class SharedInformerFactory implements InformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: SharedInformerFactoryOptions = {},
  ) {}

  informerFor<T extends KubeObject = KubeObject>(
    res: ResourceRef,
    opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Informer<T> {
    const key = [res.group, res.version, res.plural, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new SharedInformer<KubeObject>(this.client, res, { ...opts, ...this.opts });
      this.informers.set(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error('SharedInformerFactory: start() after stop()');
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.informers.values()) i.stop();
  }
}
