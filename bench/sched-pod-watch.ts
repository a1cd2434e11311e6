/**
 * The scheduling benchmark's eyes: one watch on the pods of the benchmark namespace that
 * stamps, per pod, when this process first saw it (ADDED), bound (spec.nodeName set) and
 * Running (status.phase). Times are wall-clock milliseconds with sub-millisecond precision
 * (`wallNow`), the same clock the benchmark stamps its POSTs with.
 *
 * A watch the server ends is resumed from the last resourceVersion seen (bookmarks keep it
 * fresh); a 410 cannot be resumed without missing events, so it is recorded as a failure.
 */
import type { KubeObject } from '../src/api/object.js';
import type { ResourceRef, WatchEvent, WatchHandle } from '../src/client/interfaces.js';
import type { RestClient } from '../src/client/rest-client.js';

const podsResource: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };

/** Label on every benchmark pod naming the set it belongs to ("deployments" or "bare"). */
export const SET_LABEL = 'bench.peapod.io/set';

/** Wall-clock ms, sub-millisecond: comparable across the POST stamps and the watch stamps. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface PodTimes {
  set: string;
  added?: number;
  bound?: number;
  running?: number;
}

export interface SetCounts {
  added: number;
  bound: number;
  running: number;
}

export class PodWatch {
  /** By pod name. */
  readonly pods = new Map<string, PodTimes>();
  private readonly counts = new Map<string, SetCounts>();
  private handle?: WatchHandle;
  private lastRV = '';
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  /** Why the watch could not go on, if it could not. */
  failure?: string;
  /** How often the watch had to be re-opened. */
  reconnects = 0;

  constructor(
    private readonly client: RestClient,
    private readonly namespace: string,
  ) {}

  /** Lists (to learn the current resourceVersion) and watches from there. */
  async start(): Promise<void> {
    const list = await this.client.list(podsResource, this.namespace, { limit: 1 });
    this.lastRV = list.metadata.resourceVersion;
    this.open();
  }

  countsFor(set: string): SetCounts {
    return this.counts.get(set) ?? { added: 0, bound: 0, running: 0 };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.handle?.close();
  }

  private open(): void {
    this.handle = this.client.watch<KubeObject>(
      podsResource,
      this.namespace,
      { resourceVersion: this.lastRV, allowWatchBookmarks: true },
      (ev) => this.onEvent(ev),
      (err) => {
        if (this.stopped || this.failure) return;
        this.reconnects++;
        // A clean end (server timeout) re-opens at once; an error after a short pause.
        this.retryTimer = setTimeout(() => this.open(), err ? 1000 : 0);
      },
    );
  }

  private onEvent(ev: WatchEvent<KubeObject>): void {
    const t = wallNow();
    if (ev.type === 'ERROR') {
      const st = ev.object as unknown as { code?: number; message?: string };
      this.failure = `watch ERROR ${st.code ?? '?'}: ${st.message ?? ''}`;
      this.handle?.close();
      return;
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.lastRV = rv;
    if (ev.type === 'BOOKMARK' || ev.type === 'DELETED') return;
    const pod = ev.object;
    const name = pod.metadata.name ?? '';
    let times = this.pods.get(name);
    if (!times) {
      times = { set: pod.metadata.labels?.[SET_LABEL] ?? 'other', added: t };
      this.pods.set(name, times);
      this.bump(times.set, 'added');
    }
    const spec = pod.spec as { nodeName?: string } | undefined;
    if (times.bound === undefined && spec?.nodeName) {
      times.bound = t;
      this.bump(times.set, 'bound');
    }
    const status = pod.status as { phase?: string } | undefined;
    if (times.running === undefined && status?.phase === 'Running') {
      times.running = t;
      this.bump(times.set, 'running');
    }
  }

  private bump(set: string, what: keyof SetCounts): void {
    let c = this.counts.get(set);
    if (!c) this.counts.set(set, (c = { added: 0, bound: 0, running: 0 }));
    c[what]++;
  }
}
