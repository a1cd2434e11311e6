/**
 * Records core/v1 Events about objects, the way client-go's event broadcaster does: the
 * caller never waits and never sees an error (events are advisory; a failure is logged),
 * and a repeat of the same event within ten minutes bumps the count of the Event already
 * written instead of writing another one, so a crash-looping thing does not flood the store.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { realClock, rfc3339, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
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
}

export class EventRecorder {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recent = new Map<string, Written>();
  /** Writes run one after another, so a repeat never races the create it aggregates into. */
  private tail: Promise<void> = Promise.resolve();
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ eventRecorder: opts.component });
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
    const at = this.clock.now();
    const seq = this.seq++;
    this.tail = this.tail.then(() => this.write(obj, type, reason, message, at, seq));
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.tail;
  }

  /** Writes what is pending; later events are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string, at: number, seq: number): Promise<void> {
    const { client, component } = this.opts;
    const host = this.opts.host ?? '';
    const meta = obj.metadata;
    const key = JSON.stringify([meta.uid ?? `${meta.namespace}/${meta.name}`, type, reason, message, component, host]);
    const now = rfc3339(at);
    const prior = this.recent.get(key);
    try {
      if (prior && at - prior.lastAt <= aggregationWindowMs) {
        try {
          await client.patch(eventsResource, prior.namespace, prior.name, 'merge', { count: prior.count + 1, lastTimestamp: now });
          prior.count++;
          prior.lastAt = at;
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
      this.recent.set(key, { namespace, name, count: 1, lastAt: at });
      if (this.recent.size > maxRemembered) this.recent.delete(this.recent.keys().next().value!);
    } catch (err) {
      this.log.warn('writing event failed', { err, reason, object: `${meta.namespace ?? ''}/${meta.name}` });
    }
  }
}
