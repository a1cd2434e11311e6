/**
 * The controller runner (controller-runtime's shape): a controller is `reconcile(key)`, and
 * queueing, retries and logging of outcomes live here, once. Also the ReplicaSet controller's
 * "expectations", which keep a stale informer cache from making a controller act twice.
 */
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { WorkQueue } from './interfaces.js';

export interface ReconcileResult {
  /** Reconcile the key again after this long, even if nothing changes. */
  requeueAfterMs?: number;
  /** Reconcile the key again after its rate-limited back-off, without counting as an error. */
  requeue?: boolean;
}

/** Thrown by a reconcile to say retrying cannot help: the error is logged and the key dropped. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  /** Number of keys reconciled concurrently (never the same key twice at once). */
  workers: number;
  reconcile: (key: string) => Promise<ReconcileResult | void>;
  logger: Logger;
  /** Aborting it stops the controller, as stop() does. */
  signal?: AbortSignal;
}

export interface ControllerHandle {
  /** Shuts the queue down and resolves when every worker has finished its current key. */
  stop(): Promise<void>;
  /** Resolves when all workers have exited (after stop or a shut-down queue). */
  readonly done: Promise<void>;
}

export function runController(opts: ControllerOptions): ControllerHandle {
  const { queue, name } = opts;
  const log = opts.logger.child({ controller: name });

  const processOne = async (key: string): Promise<void> => {
    try {
      const result = await opts.reconcile(key);
      if (result?.requeue) {
        queue.addRateLimited(key);
      } else {
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (err) {
      if (err instanceof TerminalError) {
        log.error('reconcile failed permanently; not retrying', { key, err });
        queue.forget(key);
      } else {
        log.error('reconcile failed; will retry', { key, err });
        queue.addRateLimited(key);
      }
    } finally {
      queue.done(key);
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      await processOne(key);
    }
  };

  log.info('starting workers', { workers: opts.workers });
  const done = Promise.all(Array.from({ length: Math.max(1, opts.workers) }, worker)).then(() => {
    log.info('workers stopped');
  });
  const stop = async () => {
    queue.shutDown();
    await done;
  };
  if (opts.signal) {
    if (opts.signal.aborted) queue.shutDown();
    else opts.signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  }
  return { stop, done };
}

interface Expectation {
  adds: number;
  deletes: Set<string>;
  setAt: number;
}

/**
 * What a controller is waiting to see in its cache after acting, per controller key. Until
 * the creations and deletions it made show up (or the TTL passes, in case a watch event was
 * lost), `satisfied` says no, and the controller should not trust counts from the cache.
 */
export class Expectations {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly byKey = new Map<string, Expectation>();

  constructor(opts: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
  }

  /** Expects n creations for key, replacing what was expected before. */
  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { adds: n, deletes: new Set(), setAt: this.clock.now() });
  }

  /** Expects the deletion of these objects (by uid), replacing what was expected before. */
  expectDeletions(key: string, uids: string[]): void {
    this.byKey.set(key, { adds: 0, deletes: new Set(uids), setAt: this.clock.now() });
  }

  /** One expected creation was seen (or failed, so it will never be seen). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  /** The object with uid was seen deleted (or its deletion failed). */
  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  /** True when nothing is outstanding for key, nothing was ever expected, or the wait expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.setAt > this.ttlMs;
  }

  /** Forgets key (its controller object is gone). */
  delete(key: string): void {
    this.byKey.delete(key);
  }
}
