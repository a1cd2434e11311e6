/**
 * Compactor: periodically forgets old history so the store does not grow without bound, while
 * keeping enough for watchers that reconnect (a window of time and/or of revisions), like the
 * API server's etcd compactor.
 */
import type { Store } from './interface.js';
import { realClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface CompactorOptions {
  /** How often to consider compacting (default 5 minutes). */
  intervalMs?: number;
  /** Keep history of at least this long (default 5 minutes); 0 disables the time window. */
  keepMs?: number;
  /** Keep at least this many revisions of history (default 0: no revision window). */
  keepRevisions?: number;
  clock?: Clock;
  logger?: Logger;
}

export class Compactor {
  private readonly intervalMs: number;
  private readonly keepMs: number;
  private readonly keepRevisions: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Revisions seen at past ticks, oldest first: the time window maps a time to a revision. */
  private samples: Array<{ at: number; revision: number }> = [];
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly store: Store, opts: CompactorOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 5 * 60_000;
    this.keepMs = opts.keepMs ?? 5 * 60_000;
    this.keepRevisions = opts.keepRevisions ?? 0;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'compactor' });
  }

  /** Starts the periodic loop; the first pass runs after one interval. */
  start(): this {
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.closed) return;
    this.cancelTimer = this.clock.setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn('compaction failed', { error: err as Error }))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.intervalMs);
  }

  /**
   * One pass: compacts at the newest revision that is both older than keepMs and at least
   * keepRevisions behind the head. Returns the revision compacted at, or undefined.
   */
  async tick(): Promise<number | undefined> {
    const now = this.clock.now();
    const current = await this.store.currentRevision();
    this.samples.push({ at: now, revision: current });

    let target = current;
    if (this.keepMs > 0) {
      const old = this.samples.filter((s) => s.at <= now - this.keepMs);
      if (old.length === 0) return undefined;
      target = Math.min(target, old[old.length - 1]!.revision);
      // Older samples can never be the answer again.
      this.samples = this.samples.slice(old.length - 1);
    }
    if (this.keepRevisions > 0) target = Math.min(target, current - this.keepRevisions);
    if (target <= 0 || target <= (await this.store.compactedRevision())) return undefined;
    await this.store.compact(target);
    this.log.info('compacted', { revision: target, current });
    return target;
  }

  /** Stops the loop and waits for a running pass; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    await this.running;
  }
}
