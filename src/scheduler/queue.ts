/**
 * The scheduling queue (kube-scheduler's PriorityQueue), holding pod keys in one of three places:
 *
 * - activeQ: pods to try now, highest priority first, then oldest first;
 * - backoffQ: pods that failed and wait out their back-off (1 s doubling to 10 s by default)
 *   before going back to activeQ;
 * - unschedulable: pods no node fits. They stay until a cluster event that might make room
 *   (node added or changed, pod deleted) moves them back to activeQ (or backoffQ if still
 *   backing off), or until they have waited the maximum (5 minutes by default) anyway.
 *
 * A pod popped for a cycle is "in flight". If a move request arrives during its cycle, a
 * failure at the end of the cycle sends it to backoffQ instead of unschedulable: the event
 * might have made it fit, and it would otherwise wait for the next one.
 */
import type { Clock } from '../util/clock.js';

export interface QueuedPod {
  key: string;
  /** pod.spec.priority; higher goes first. */
  priority: number;
  /** When it was (re)added to activeQ; earlier goes first among equal priorities. */
  timestamp: number;
  /** Scheduling attempts so far (counted at pop). */
  attempts: number;
  /** First time it was queued, for latency metrics. */
  initialTimestamp: number;
  /** Until when the pod is backing off. */
  backoffExpiry: number;
  /** When it entered the unschedulable set. */
  unschedulableSince: number;
  /** The scheduling cycle that popped it last. */
  cycle: number;
}

export interface SchedulingQueueOptions {
  clock: Clock;
  /** First back-off after a failure (default 1 s); doubles per attempt. */
  podInitialBackoffMs?: number;
  /** Longest back-off (default 10 s). */
  podMaxBackoffMs?: number;
  /** Unschedulable pods are retried at the latest after this (default 5 min). */
  podMaxInUnschedulablePodsDurationMs?: number;
  /** How often backoffQ is checked for pods done backing off (default 1 s). */
  backoffFlushIntervalMs?: number;
  /** How often the unschedulable set is checked for pods waiting too long (default 30 s). */
  unschedulableFlushIntervalMs?: number;
}

/** A binary min-heap with lazy deletion: entries not current in `live` are skipped. */
class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

type Where = 'active' | 'backoff' | 'unschedulable';

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly backoffFlushMs: number;
  private readonly unschedulableFlushMs: number;

  /** Every queued pod and where it is; heaps hold entries only while they match this map. */
  private readonly where = new Map<string, { pod: QueuedPod; in: Where }>();
  private readonly activeQ = new Heap<QueuedPod>((a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp));
  private readonly backoffQ = new Heap<QueuedPod>((a, b) => a.backoffExpiry < b.backoffExpiry);
  private activeCount = 0;
  /** The unschedulable set on its own, so a cluster event does not walk the whole queue. */
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Popped and not yet finished; the value says whether it changed meanwhile. */
  private readonly inFlight = new Map<string, QueuedPod>();
  private readonly updatedInFlight = new Set<string>();
  private schedulingCycle = 0;
  /** The cycle during which the last move request came. */
  private moveRequestCycle = -1;
  private waiters: Array<(p: QueuedPod | undefined) => void> = [];
  private closed = false;
  private cancelTimers: Array<() => void> = [];

  constructor(opts: SchedulingQueueOptions) {
    this.clock = opts.clock;
    this.initialBackoffMs = opts.podInitialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.podMaxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
    this.backoffFlushMs = opts.backoffFlushIntervalMs ?? 1000;
    this.unschedulableFlushMs = opts.unschedulableFlushIntervalMs ?? 30_000;
  }

  /** Starts the periodic flushes of backoffQ and of pods unschedulable for too long. */
  run(): void {
    const every = (ms: number, fn: () => void) => {
      let cancel = () => {};
      const tick = () => {
        if (this.closed) return;
        fn();
        cancel = this.clock.setTimeout(tick, ms);
      };
      cancel = this.clock.setTimeout(tick, ms);
      this.cancelTimers.push(() => cancel());
    };
    every(this.backoffFlushMs, () => this.flushBackoffCompleted());
    every(this.unschedulableFlushMs, () => this.flushUnschedulableLeftover());
  }

  /** A new pending pod: straight to activeQ (or where it already is). */
  add(key: string, priority: number): void {
    if (this.closed) return;
    if (this.inFlight.has(key)) {
      this.updatedInFlight.add(key);
      return;
    }
    const cur = this.where.get(key);
    if (cur) {
      this.update(key, priority, true);
      return;
    }
    const now = this.clock.now();
    this.pushActive({ key, priority, timestamp: now, attempts: 0, initialTimestamp: now, backoffExpiry: 0, unschedulableSince: 0, cycle: 0 });
  }

  /**
   * The pending pod changed. `mayNowFit` (its spec, labels or annotations changed, not only its
   * status) moves it out of the unschedulable set, as kube-scheduler does on a pod update.
   */
  update(key: string, priority: number, mayNowFit: boolean): void {
    if (this.closed) return;
    if (this.inFlight.has(key)) {
      if (mayNowFit) this.updatedInFlight.add(key);
      return;
    }
    const cur = this.where.get(key);
    if (!cur) {
      this.add(key, priority);
      return;
    }
    const p = cur.pod;
    if (cur.in === 'active') {
      if (p.priority !== priority) {
        // Re-push with the new priority; the old heap entry is skipped as stale.
        const fresh = { ...p, priority };
        this.where.set(key, { pod: fresh, in: 'active' });
        this.activeQ.push(fresh);
      }
      return;
    }
    p.priority = priority;
    if (cur.in === 'unschedulable' && mayNowFit) this.requeue(p);
  }

  /** The pod is gone, bound by someone else, or no longer ours. */
  delete(key: string): void {
    const cur = this.where.get(key);
    if (!cur) return;
    this.where.delete(key);
    this.unschedulable.delete(key);
    if (cur.in === 'active') this.activeCount--;
  }

  /** The next pod to schedule, waiting for one; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const p = this.takeActive();
    if (p) return Promise.resolve(p);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The cycle of the pod is over and it was placed (or dropped). */
  done(key: string): void {
    this.inFlight.delete(key);
    this.updatedInFlight.delete(key);
  }

  /**
   * No node fits the pod: park it in the unschedulable set, unless a cluster event (or an
   * update of the pod) came during its cycle, in which case it backs off and retries.
   */
  addUnschedulable(pod: QueuedPod): void {
    const changed = this.updatedInFlight.has(pod.key);
    this.done(pod.key);
    if (this.closed || this.where.has(pod.key)) return;
    pod.backoffExpiry = this.clock.now() + this.backoffDuration(pod.attempts);
    if (changed || this.moveRequestCycle >= pod.cycle) {
      this.pushBackoff(pod);
    } else {
      pod.unschedulableSince = this.clock.now();
      this.where.set(pod.key, { pod, in: 'unschedulable' });
      this.unschedulable.set(pod.key, pod);
    }
  }

  /** The cycle failed with an error (not a fit problem): retry after back-off. */
  addBackoff(pod: QueuedPod): void {
    this.done(pod.key);
    if (this.closed || this.where.has(pod.key)) return;
    pod.backoffExpiry = this.clock.now() + this.backoffDuration(pod.attempts);
    this.pushBackoff(pod);
  }

  /**
   * A cluster event that may make unschedulable pods fit (kube-scheduler's
   * MoveAllToActiveOrBackoffQueue): every one goes to activeQ, or backoffQ if still backing off.
   */
  moveAllToActiveOrBackoff(): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const pod of [...this.unschedulable.values()]) this.requeue(pod);
  }

  /** Counts per place, for tests and metrics. */
  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    const unschedulable = this.unschedulable.size;
    const backoff = this.where.size - this.activeCount - unschedulable;
    return { active: this.activeCount, backoff, unschedulable, inFlight: this.inFlight.size };
  }

  /** Where the pod is queued, if it is. */
  location(key: string): Where | 'inFlight' | undefined {
    if (this.inFlight.has(key)) return 'inFlight';
    return this.where.get(key)?.in;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.cancelTimers) c();
    this.cancelTimers = [];
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Moves pods whose back-off is over to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const top = this.backoffQ.peek();
      if (!top) return;
      const cur = this.where.get(top.key);
      if (!cur || cur.pod !== top || cur.in !== 'backoff') {
        this.backoffQ.pop();
        continue;
      }
      if (top.backoffExpiry > now) return;
      this.backoffQ.pop();
      this.where.delete(top.key);
      top.timestamp = now;
      this.pushActive(top);
    }
  }

  /** Moves pods unschedulable for longer than the maximum back to the queues. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const pod of [...this.unschedulable.values()]) {
      if (now - pod.unschedulableSince > this.maxUnschedulableMs) this.requeue(pod);
    }
  }

  private requeue(p: QueuedPod): void {
    this.where.delete(p.key);
    this.unschedulable.delete(p.key);
    if (p.backoffExpiry > this.clock.now()) {
      this.pushBackoff(p);
    } else {
      p.timestamp = this.clock.now();
      this.pushActive(p);
    }
  }

  private backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts && d < this.maxBackoffMs; i++) d *= 2;
    return Math.min(d, this.maxBackoffMs);
  }

  private pushBackoff(p: QueuedPod): void {
    this.where.set(p.key, { pod: p, in: 'backoff' });
    this.backoffQ.push(p);
  }

  private pushActive(p: QueuedPod): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.startCycle(p));
      return;
    }
    this.where.set(p.key, { pod: p, in: 'active' });
    this.activeQ.push(p);
    this.activeCount++;
  }

  private takeActive(): QueuedPod | undefined {
    for (;;) {
      const p = this.activeQ.pop();
      if (!p) return undefined;
      const cur = this.where.get(p.key);
      if (!cur || cur.pod !== p || cur.in !== 'active') continue;
      this.where.delete(p.key);
      this.activeCount--;
      return this.startCycle(p);
    }
  }

  private startCycle(p: QueuedPod): QueuedPod {
    this.schedulingCycle++;
    p.cycle = this.schedulingCycle;
    p.attempts++;
    this.inFlight.set(p.key, p);
    return p;
  }
}
