/**
 * client-go's rate-limited work queue. A key is in at most one of three places: queued
 * (waiting for a worker), processing (a worker has it), or both "processing" and "dirty"
 * (re-added while a worker had it: it goes back in the queue when that worker calls done()).
 * So one key is never worked on by two workers at once, and bursts of adds collapse into one.
 */
import { realClock, type Clock } from '../util/clock.js';
import type { WorkQueue } from './interfaces.js';

export interface RateLimitedQueueOptions {
  clock?: Clock;
  /** First retry delay of a failing key (default 5 ms); it doubles with every failure. */
  baseDelayMs?: number;
  /** Longest retry delay (default 1000 s). */
  maxDelayMs?: number;
}

export class RateLimitedQueue implements WorkQueue {
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Keys waiting for a worker, in arrival order (a Set iterates in insertion order). */
  private readonly queue = new Set<string>();
  /** Keys that need processing: queued ones, and processing ones added again. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** addAfter timers: only the earliest pending one per key is kept, as client-go does. */
  private readonly waiting = new Map<string, { at: number; cancel: () => void }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(opts: RateLimitedQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.add(key);
    this.handOut();
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.when(key));
  }

  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, cancel });
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times the key failed since its last forget(). */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.add(key);
      this.handOut();
    }
  }

  len(): number {
    return this.queue.size;
  }

  /**
   * Stops taking keys: add() is ignored, delayed adds are dropped, and get() returns the keys
   * still queued, then undefined (client-go's ShutDown: workers drain what is queued).
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.cancel();
    this.waiting.clear();
    // Getters only wait while the queue is empty, so every one of them now gets undefined.
    for (const g of this.getters.splice(0)) g(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** client-go's ItemExponentialFailureRateLimiter: base * 2^failures, capped. */
  private when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // Past 2^60 the product is past any sane cap; avoid overflow to Infinity arithmetic.
    const delay = n > 60 ? this.maxDelayMs : this.baseDelayMs * 2 ** n;
    return Math.min(delay, this.maxDelayMs);
  }

  private take(): string | undefined {
    const first = this.queue.values().next();
    if (first.done) return undefined;
    const key = first.value;
    this.queue.delete(key);
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private handOut(): void {
    while (this.getters.length > 0 && this.queue.size > 0) {
      this.getters.shift()!(this.take());
    }
  }
}
