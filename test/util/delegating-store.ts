/**
 * A Store that hands every call to another one: tests subclass it to watch or hold back what
 * passes (a lagging watch, counted reads) without a real store of their own.
 */
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions, Watcher } from '../../src/storage/interface.js';

export class DelegatingStore implements Store {
  constructor(protected readonly inner: Store) {}

  create(key: string, value: string): Promise<KeyValue> {
    return this.inner.create(key, value);
  }
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    return this.inner.update(key, value, expectedModRevision);
  }
  delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.inner.delete(key, expectedModRevision);
  }
  get(key: string): Promise<KeyValue | undefined> {
    return this.inner.get(key);
  }
  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.inner.list(prefix, opts);
  }
  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }
  watch(prefix: string, handler: (ev: WatchEvent) => void, opts?: WatchOptions): Promise<Watcher> {
    return this.inner.watch(prefix, handler, opts);
  }
  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }
  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }
  check(): Promise<void> {
    return this.inner.check();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Holds watch events back while `holding`, until release() delivers them and stops holding: a watch that lags, as etcd's may. */
export class HeldWatchStore extends DelegatingStore {
  readonly held: (() => void)[] = [];
  holding = true;
  override watch(prefix: string, handler: (ev: WatchEvent) => void, opts?: WatchOptions): Promise<Watcher> {
    return super.watch(prefix, (ev) => (this.holding ? this.held.push(() => handler(ev)) : handler(ev)), opts);
  }
  release(): void {
    this.holding = false;
    for (const deliver of this.held.splice(0)) deliver();
  }
}
