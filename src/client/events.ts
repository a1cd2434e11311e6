/**
 * Records core/v1 Events about objects, the way client-go's event broadcaster does: the
 * caller never waits and never sees an error (events are advisory; a failure is logged).
 * What gets written is decided by client-go's correlator (see event-correlator.ts): a repeat
 * of the same event within ten minutes bumps the count of the Event already written, similar
 * events beyond ten are combined into one, and a source writes at most 25 events about one
 * object at once (then one per 5 minutes), so neither a crash-looping thing nor a ReplicaSet
 * creating hundreds of pods floods the store.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { realClock, rfc3339, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { EventCorrelator } from './event-correlator.js';
import type { KubeClient, ResourceRef } from './interfaces.js';

export const eventsResource: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: KubeClient;
  /** Who reports, e.g. "replicaset-controller"; goes to source.component and reportingComponent. */
  component: string;
  /** The reporting host (source.host, reportingInstance). */
  host?: string;
  clock?: Clock;
  logger?: Logger;
}

/** Repeats further apart than this start a new Event. */
const aggregationWindowMs = 10 * 60_000;
/** Remembered aggregation keys; the oldest are dropped beyond this. */
const maxRemembered = 4096;

interface Written {
  namespace: string;
  name: string;
  count: number;
  lastAt: number;
  message: string;
}

/**
 * Event writes in flight at once; repeats of one event still go one after another. Enough to
 * keep up with a scheduler binding hundreds of pods a second on a loaded server (kube-scheduler's
 * event library writes each event in a goroutine of its own); the backlog bound below drops
 * the excess when even that is not enough.
 */
export const maxEventWritesInFlight = 64;
/**
 * Events waiting beyond this are dropped (and logged): events are advisory, memory is not.
 * client-go's broadcaster queues 1,000 (maxQueuedEvents) and drops when full, too.
 */
const maxPending = 1000;
/** How long close() waits for pending writes before dropping the rest. */
const closeDeadlineMs = 5_000;

export class EventRecorder {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recent = new Map<string, Written>();
  private readonly correlator: EventCorrelator;
  /** Per aggregation key, the last write queued: a repeat never races the create it aggregates into. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private inFlight = 0;
  private pending = 0;
  private dropped = 0;
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ eventRecorder: opts.component });
    this.correlator = new EventCorrelator(`${opts.component}|${opts.host ?? ''}`);
  }

  /** Records an event about obj in the background. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.closed) {
      this.log.debug('event after close dropped', { reason, object: obj.metadata.name });
      return;
    }
    if (!obj.metadata.name) {
      this.log.warn('event about an object without a name dropped', { reason, kind: obj.kind });
      return;
    }
    if (this.pending >= maxPending) {
      if (this.dropped++ % 1000 === 0) this.log.warn('too many events waiting to be written; dropping', { reason, dropped: this.dropped });
      return;
    }
    const at = this.clock.now();
    const correlated = this.correlator.correlate(obj, type, reason, message, at);
    if (!correlated.write) {
      this.log.debug('event dropped by the spam filter', { reason, object: `${obj.metadata.namespace ?? ''}/${obj.metadata.name}` });
      return;
    }
    const seq = this.seq++;
    const key = correlated.key;
    const text = correlated.message;
    this.pending++;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(() => this.slot())
      .then(async (release) => {
        try {
          await this.write(key, obj, type, reason, text, at, seq);
        } finally {
          release();
          this.pending--;
        }
      });
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.chains.size) await Promise.all([...this.chains.values()]);
  }

  /** Writes what is pending for up to a few seconds, then drops the rest; later events are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    let cancel: (() => void) | undefined;
    const deadline = new Promise<void>((resolve) => {
      cancel = this.clock.setTimeout(resolve, closeDeadlineMs);
    });
    await Promise.race([this.flush(), deadline]);
    cancel?.();
    if (this.pending) this.log.warn('events still pending at close were dropped', { count: this.pending });
  }

  /** Waits for one of the in-flight slots; the returned function gives it back. */
  private async slot(): Promise<() => void> {
    if (this.inFlight >= maxEventWritesInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    return () => {
      this.inFlight--;
      this.waiting.shift()?.();
    };
  }

  private async write(key: string, obj: KubeObject, type: EventType, reason: string, message: string, at: number, seq: number): Promise<void> {
    const { client, component } = this.opts;
    const host = this.opts.host ?? '';
    const meta = obj.metadata;
    const now = rfc3339(at);
    const prior = this.recent.get(key);
    try {
      if (prior && at - prior.lastAt <= aggregationWindowMs) {
        try {
          // A combined event carries the latest of the messages it stands for.
          const patch: Record<string, unknown> = { count: prior.count + 1, lastTimestamp: now };
          if (message !== prior.message) patch.message = message;
          await client.patch(eventsResource, prior.namespace, prior.name, 'merge', patch);
          prior.count++;
          prior.lastAt = at;
          prior.message = message;
          return;
        } catch (err) {
          // The Event expired or was deleted: write a fresh one below.
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      const namespace = meta.namespace || 'default';
      // "<object>.<hex nanoseconds>" like client-go; the sequence keeps names unique within a millisecond.
      const name = `${meta.name}.${(BigInt(at) * 1_000_000n + BigInt(seq % 1_000_000)).toString(16)}`;
      await client.create(eventsResource, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          kind: obj.kind,
          namespace: meta.namespace,
          name: meta.name,
          uid: meta.uid,
          apiVersion: obj.apiVersion,
          resourceVersion: meta.resourceVersion,
        },
        reason,
        message,
        type,
        source: host ? { component, host } : { component },
        reportingComponent: component,
        reportingInstance: host,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      this.recent.delete(key);
      this.recent.set(key, { namespace, name, count: 1, lastAt: at, message });
      if (this.recent.size > maxRemembered) this.recent.delete(this.recent.keys().next().value!);
    } catch (err) {
      this.log.warn('writing event failed', { err, reason, object: `${meta.namespace ?? ''}/${meta.name}` });
    }
  }
}
