/**
 * A Clock for tests: time stands still until `step` moves it, firing every timer that falls
 * due on the way, in due order (timers a callback schedules inside the window fire too).
 */
import type { Clock } from './clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = Date.parse('2024-01-01T00:00:00Z')) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const t: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  /** Advances time by ms, running due timers one by one with `now()` at each one's due time. */
  step(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }

  /** Number of timers not yet fired or cancelled. */
  pending(): number {
    return this.timers.length;
  }
}
