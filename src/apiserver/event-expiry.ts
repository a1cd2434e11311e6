/**
 * Events expire: kube-apiserver stores them with an etcd lease of --event-ttl (1 h), so old
 * ones vanish by themselves. peapod's stores have no leases, so this loop deletes events whose
 * last occurrence is older than the TTL, once a minute.
 */
import type { ResourceType } from '../api/resource.js';
import type { KubeObject } from '../api/object.js';
import { ApiError } from '../api/errors.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ObjectRegistry } from './registry.js';

/** When an event last happened: lastTimestamp, else eventTime, else creation. */
export function lastSeen(ev: KubeObject): number {
  const t = ev.lastTimestamp ?? ev.series?.lastObservedTime ?? ev.eventTime ?? ev.metadata.creationTimestamp;
  const ms = typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

export class EventExpiry {
  private cancel?: () => void;
  private closed = false;

  constructor(
    private readonly registry: ObjectRegistry,
    private readonly eventsType: ResourceType,
    private readonly opts: { ttlMs: number; intervalMs?: number; clock: Clock; logger: Logger },
  ) {}

  start(): void {
    const interval = this.opts.intervalMs ?? 60_000;
    const tick = () => {
      if (this.closed) return;
      this.sweep()
        .catch((err) => this.opts.logger.warn('event expiry failed', { err: (err as Error).message }))
        .finally(() => {
          if (!this.closed) this.cancel = this.opts.clock.setTimeout(tick, interval);
        });
    };
    this.cancel = this.opts.clock.setTimeout(tick, interval);
  }

  /** Deletes every expired event; returns how many went. */
  async sweep(): Promise<number> {
    const cutoff = this.opts.clock.now() - this.opts.ttlMs;
    const { items } = await this.registry.list(this.eventsType, undefined);
    let n = 0;
    for (const ev of items) {
      if (lastSeen(ev) >= cutoff) continue;
      try {
        await this.registry.delete(this.eventsType, ev.metadata.namespace, ev.metadata.name!, { preconditions: { uid: ev.metadata.uid } });
        n++;
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
    if (n) this.opts.logger.info('expired events deleted', { count: n });
    return n;
  }

  close(): void {
    this.closed = true;
    this.cancel?.();
  }
}
