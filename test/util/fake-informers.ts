/**
 * Informers for unit tests of controllers and the scheduler: caches the test fills itself and
 * whose event handlers it calls, with no server behind them.
 */
import type { KubeObject } from '../../src/api/object.js';
import type { EventHandlers, Informer, InformerFactory, ResourceRef } from '../../src/client/interfaces.js';
import { objectKey } from '../../src/client/interfaces.js';

export class FakeInformer implements Informer {
  readonly items = new Map<string, KubeObject>();
  private readonly handlers: EventHandlers<KubeObject>[] = [];
  readonly lister = {
    get: (k: string) => this.items.get(k),
    list: (ns?: string) => [...this.items.values()].filter((o) => ns === undefined || o.metadata.namespace === ns),
    byIndex: () => [],
  };
  addHandlers(h: EventHandlers<KubeObject>): void {
    this.handlers.push(h);
  }
  addIndex(): void {}
  async start(): Promise<void> {}
  hasSynced(): boolean {
    return true;
  }
  stop(): void {}
  /** Puts `obj` in the cache and tells the handlers it was added. */
  add(obj: KubeObject): void {
    this.items.set(objectKey(obj), obj);
    for (const h of this.handlers) h.onAdd?.(obj);
  }
  /** Replaces the cached object of that key and tells the handlers. */
  update(obj: KubeObject): void {
    const old = this.items.get(objectKey(obj))!;
    this.items.set(objectKey(obj), obj);
    for (const h of this.handlers) h.onUpdate?.(old, obj);
  }
  /** Drops the object of `key` and tells the handlers it was deleted. */
  remove(key: string): void {
    const old = this.items.get(key)!;
    this.items.delete(key);
    for (const h of this.handlers) h.onDelete?.(old);
  }
}

/** One FakeInformer per resource plural, made on first use by either side. */
export class FakeInformerFactory implements InformerFactory {
  private readonly informers = new Map<string, FakeInformer>();
  informerFor<T extends KubeObject>(res: ResourceRef): Informer<T> {
    return this.get(res.plural) as unknown as Informer<T>;
  }
  async start(): Promise<void> {}
  stop(): void {}
  get(plural: string): FakeInformer {
    let informer = this.informers.get(plural);
    if (!informer) this.informers.set(plural, (informer = new FakeInformer()));
    return informer;
  }
}
