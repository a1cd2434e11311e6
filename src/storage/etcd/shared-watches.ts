/**
 * One backend watch per key prefix, shared by every watcher of that prefix (or of a narrower
 * one), the way kube-apiserver's watch cache keeps one etcd watch per resource. Without it each
 * API watch is its own etcd watch, and every event crosses the gRPC stream and is decoded once
 * per watcher: with the scheduler, the controller manager, the nodes and a user all watching
 * pods, the server did that work four or five times over.
 *
 * A shared watch keeps its most recent events, so a watcher starting from a revision it still
 * holds (an informer re-watching after a list) replays them and goes live. A watcher asking for
 * history the shared watch no longer holds gets `undefined`, and the store opens it a watch of
 * its own, as before.
 */
import { GoneError, UnavailableError } from '../errors.js';
import type { WatchEvent, Watcher, WatchOptions } from '../interface.js';

/** What a backend watch reports to the shared watch built on it. */
export interface SourceHooks {
  onEvent(ev: WatchEvent): void;
  /**
   * Every event at or below `delivered` has gone to onEvent; `head` is the newest store
   * revision the backend has reported (at least `delivered`).
   */
  onDelivered(delivered: number, head: number): void;
  /** The backend watch failed and is closed. */
  onError(err: Error): void;
}

/** Opens the backend watch of `prefix` for events after `fromRevision` (0: from now). */
export type OpenSource = (prefix: string, fromRevision: number, hooks: SourceHooks) => Promise<Watcher>;

export interface SharedWatchesOptions {
  /** Events each shared watch keeps for watchers that start a little in the past (default 1024). */
  bufferEvents?: number;
  /** How long a shared watch with no watchers is kept open for the next one (default 30 s). */
  idleMs?: number;
}

interface Subscriber {
  prefix: string;
  handler: (ev: WatchEvent) => void;
  opts: WatchOptions;
  /** Every event at or below this revision has been handed over (or was not wanted). */
  floor: number;
  /** onProgress fires once `floor` reaches this: the store's revision when the watch began. */
  target: number;
  live: boolean;
  caughtUp: boolean;
  closed: boolean;
}

class SharedWatch {
  source?: Watcher;
  delivered = 0;
  head = 0;
  /** Every event after this revision is in `buffer` (or still to come). */
  oldest: number;
  buffer: WatchEvent[] = [];
  readonly subs = new Set<Subscriber>();
  failed = false;
  idleTimer?: NodeJS.Timeout;

  constructor(
    readonly prefix: string,
    from: number,
    private readonly bufferEvents: number,
  ) {
    this.delivered = from;
    this.oldest = from;
  }

  onEvent(ev: WatchEvent): void {
    const rev = ev.kv.modRevision;
    this.buffer.push(ev);
    if (this.buffer.length >= 2 * this.bufferEvents) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.bufferEvents);
      this.oldest = dropped[dropped.length - 1]!.kv.modRevision;
    }
    for (const s of this.subs) {
      if (!s.live || rev <= s.floor) continue;
      s.floor = rev;
      if (ev.kv.key.startsWith(s.prefix)) deliver(s, ev);
    }
  }

  onDelivered(delivered: number, head: number): void {
    // A watch from now learns where "now" is when it connects.
    if (this.oldest === 0) this.oldest = delivered;
    this.delivered = Math.max(this.delivered, delivered);
    this.head = Math.max(this.head, head, this.delivered);
    for (const s of this.subs) {
      if (!s.live) continue;
      s.floor = Math.max(s.floor, this.delivered);
      progress(s);
    }
  }

  /** Replays the kept events after the subscriber's floor, then hands it live ones. */
  start(s: Subscriber): void {
    if (s.closed) return;
    if (s.floor < this.oldest) {
      // Only when more than a buffer's worth arrived between subscribe and this turn.
      fail(s, new GoneError(`shared watch of ${this.prefix} no longer holds events after revision ${s.floor}`, this.oldest));
      return;
    }
    for (const ev of this.buffer) {
      if (s.closed) return;
      const rev = ev.kv.modRevision;
      if (rev <= s.floor) continue;
      s.floor = rev;
      if (ev.kv.key.startsWith(s.prefix)) deliver(s, ev);
    }
    if (s.closed) return;
    s.floor = Math.max(s.floor, this.delivered);
    s.live = true;
    progress(s);
  }
}

function deliver(s: Subscriber, ev: WatchEvent): void {
  if (s.closed) return;
  try {
    s.handler(ev);
  } catch (err) {
    fail(s, new UnavailableError(`watch handler failed: ${(err as Error).message}`, ev.kv.key, { cause: err }));
  }
}

function progress(s: Subscriber): void {
  if (s.caughtUp || s.closed || s.floor < s.target) return;
  s.caughtUp = true;
  s.opts.onProgress?.(s.floor);
}

function fail(s: Subscriber, err: Error): void {
  if (s.closed) return;
  s.closed = true;
  s.opts.onError?.(err);
}

export class SharedWatches {
  private readonly bufferEvents: number;
  private readonly idleMs: number;
  /** Shared watches being opened or open, by prefix. */
  private readonly watches = new Map<string, Promise<SharedWatch | undefined>>();
  private readonly open = new Map<string, SharedWatch>();
  private closed = false;

  constructor(
    private readonly openSource: OpenSource,
    opts: SharedWatchesOptions = {},
  ) {
    this.bufferEvents = opts.bufferEvents ?? 1024;
    this.idleMs = opts.idleMs ?? 30_000;
  }

  /** Shared watches open now (for tests and diagnostics). */
  get size(): number {
    return this.open.size;
  }

  /**
   * Watches `prefix` through a shared watch of it or of a prefix of it, opening one if there
   * is none; undefined when none can deliver everything after `opts.fromRevision` (the caller
   * then opens its own). Errors of opening a new shared watch (GoneError…) are thrown.
   */
  async watch(prefix: string, handler: (ev: WatchEvent) => void, opts: WatchOptions = {}): Promise<Watcher | undefined> {
    if (this.closed) return undefined;
    const from = opts.fromRevision ?? 0;
    let shared = this.covering(prefix);
    if (!shared) {
      let opening = this.watches.get(prefix);
      if (!opening) {
        opening = this.start(prefix, from);
        this.watches.set(prefix, opening);
        // The one who opens it hears why it failed; others fall back to a watch of their own.
        shared = await opening;
      } else {
        shared = await opening.catch(() => undefined);
      }
    }
    if (!shared || shared.failed || (from > 0 && from < shared.oldest)) return undefined;
    return this.subscribe(shared, prefix, handler, opts, from);
  }

  /** Ends every shared watch; their watchers get no more events. */
  close(): void {
    this.closed = true;
    for (const w of this.open.values()) this.end(w);
  }

  private covering(prefix: string): SharedWatch | undefined {
    const exact = this.open.get(prefix);
    if (exact && !exact.failed) return exact;
    for (const w of this.open.values()) if (!w.failed && prefix.startsWith(w.prefix)) return w;
    return undefined;
  }

  private async start(prefix: string, from: number): Promise<SharedWatch | undefined> {
    const w = new SharedWatch(prefix, from, this.bufferEvents);
    try {
      w.source = await this.openSource(prefix, from, {
        onEvent: (ev) => w.onEvent(ev),
        onDelivered: (delivered, head) => w.onDelivered(delivered, head),
        onError: (err) => this.failed(w, err),
      });
    } catch (err) {
      this.watches.delete(prefix);
      throw err;
    }
    if (this.closed || w.failed) {
      w.source.close();
      this.watches.delete(prefix);
      return undefined;
    }
    this.open.set(prefix, w);
    return w;
  }

  private subscribe(w: SharedWatch, prefix: string, handler: (ev: WatchEvent) => void, opts: WatchOptions, from: number): Watcher {
    clearTimeout(w.idleTimer);
    w.idleTimer = undefined;
    const s: Subscriber = {
      prefix,
      handler,
      opts,
      // From now: everything the shared watch has delivered so far is the past.
      floor: from > 0 ? from : w.delivered,
      target: Math.max(from, w.head, w.delivered),
      live: false,
      caughtUp: false,
      closed: false,
    };
    w.subs.add(s);
    // After the caller has its Watcher, as every Store watch starts.
    setImmediate(() => w.start(s));
    return {
      close: () => {
        s.closed = true;
        w.subs.delete(s);
        if (w.subs.size > 0 || w.failed || w.idleTimer) return;
        w.idleTimer = setTimeout(() => {
          if (w.subs.size === 0) this.end(w);
        }, this.idleMs);
        w.idleTimer.unref();
      },
    };
  }

  private end(w: SharedWatch): void {
    clearTimeout(w.idleTimer);
    w.failed = true;
    if (this.open.get(w.prefix) === w) this.open.delete(w.prefix);
    this.watches.delete(w.prefix);
    w.source?.close();
    for (const s of w.subs) s.closed = true;
    w.subs.clear();
  }

  private failed(w: SharedWatch, err: Error): void {
    // Failed first, so watchers closing in their onError do not start an idle timer; fail()
    // skips those that already failed on their own (a throwing handler) and heard why.
    w.failed = true;
    for (const s of [...w.subs]) fail(s, err);
    this.end(w);
  }
}
