/**
 * client-go's EventCorrelator (tools/record/events_cache.go), which decides what the event
 * recorder writes, so that a busy controller does not turn into an event storm:
 *
 * - aggregation: once 10 events about one object that differ only in their message (same
 *   source, type and reason) come within 10 minutes, the rest are written as one Event whose
 *   message is "(combined from similar events): <latest message>", counted up;
 * - de-duplication: a repeat of an Event already written (same key) bumps its count instead
 *   of writing another one (the recorder does that part, by the key given here);
 * - spam filter: every source may write 25 events about one object at once, then one per
 *   5 minutes (a token bucket per source and object); events beyond that are dropped.
 *
 * So a ReplicaSet scaled to 100 gets 9 "Created pod" Events, a combined one counted up, and no
 * more than 25 writes, as in Kubernetes. Pure apart from the clock; LRU-bounded.
 */
import type { KubeObject } from '../api/object.js';

/** Similar events (differing only in message) beyond this many are combined. */
export const maxSimilarEvents = 10;
/** Similar events further apart than this start counting again. */
export const similarEventsWindowMs = 600_000;
/** Events one source may write about one object at once. */
export const spamBurst = 25;
/** Then one more per this long. */
export const spamRefillMs = 300_000;
/** Keys remembered per cache; the least recently used are dropped beyond this. */
export const maxCacheEntries = 4096;

export const combinedMessagePrefix = '(combined from similar events): ';

export interface CorrelatedEvent {
  /** False: drop the event (spam filter). */
  write: boolean;
  /** The message to write (the combined one once similar events are aggregated). */
  message: string;
  /** The de-duplication key: events with the same key are one Event, counted up. */
  key: string;
}

/** A Map used as an LRU: get() refreshes, set() evicts the oldest beyond the bound. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

interface SimilarRecord {
  messages: Set<string>;
  lastAt: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class EventCorrelator {
  private readonly similar = new Lru<SimilarRecord>(maxCacheEntries);
  private readonly buckets = new Lru<Bucket>(maxCacheEntries);

  constructor(
    /** Source component and host, part of every key. */
    private readonly source: string,
  ) {}

  /** What to do with an event about obj at time `now` (ms). */
  correlate(obj: KubeObject, type: string, reason: string, message: string, now: number): CorrelatedEvent {
    const meta = obj.metadata;
    // NUL cannot occur in names, kinds or reasons, so joined fields cannot run into each other.
    const objectKey = `${this.source}\0${obj.kind ?? ''}\0${meta.namespace ?? ''}\0${meta.name ?? ''}\0${meta.uid ?? ''}\0${obj.apiVersion ?? ''}`;
    const aggregateKey = `${objectKey}\0${type}\0${reason}`;

    let out: CorrelatedEvent;
    let rec = this.similar.get(aggregateKey);
    if (!rec || now - rec.lastAt > similarEventsWindowMs) rec = { messages: new Set(), lastAt: now };
    rec.lastAt = now;
    rec.messages.add(message);
    if (rec.messages.size < maxSimilarEvents) {
      out = { write: true, message, key: `${aggregateKey}\0${message}` };
    } else {
      // Keep the set at its bound: one more distinct message keeps it combined.
      rec.messages.delete(rec.messages.values().next().value!);
      out = { write: true, message: combinedMessagePrefix + message, key: aggregateKey };
    }
    this.similar.set(aggregateKey, rec);

    let bucket = this.buckets.get(objectKey);
    if (!bucket) bucket = { tokens: spamBurst, at: now };
    bucket.tokens = Math.min(spamBurst, bucket.tokens + (now - bucket.at) / spamRefillMs);
    bucket.at = now;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else out.write = false;
    this.buckets.set(objectKey, bucket);
    return out;
  }
}
