/**
 * EtcdStore: the Store on an etcd v3 cluster, the way the Kubernetes API server uses etcd.
 *
 * Creates and conditional writes are single transactions (compare CreateRevision == 0, or
 * ModRevision == expected); lists are range requests (with limit, a start key and a read
 * revision); watches are etcd prefix watches from revision+1 with previous values, one per
 * prefix shared by all its watchers where it can be (shared-watches.ts). etcd's
 * revisions are the store's revisions. An optional `prefix` puts a whole cluster's keys under
 * one etcd namespace so several clusters (or tests) can share an etcd.
 */
import {
  Etcd3,
  EtcdError,
  GRPCResourceExhastedError,
  isRecoverableError,
  type IKeyValue,
  type IOptions,
  type IRangeRequest,
  type IWatchResponse,
  type Watcher as EtcdWatcher,
} from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, Watcher, WatchOptions } from '../interface.js';
import { AlreadyExistsError, ConflictError, GoneError, NotFoundError, UnavailableError } from '../errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { SharedWatches } from './shared-watches.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** Namespace for every key of this cluster inside etcd (default ""). */
  prefix?: string;
  /** Deadline for one unary request (default 15 s). */
  requestTimeoutMs?: number;
  logger?: Logger;
}

/** etcd refuses requests over 1.5 MiB; refusing here keeps the client's fault handling calm. */
const MAX_VALUE_BYTES = 1.5 * 1024 * 1024 - 1024;
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';

/** Transient failures worth retrying; a too-large request is never transient. */
function transient(err: Error): boolean {
  return isRecoverableError(err) && !(err instanceof GRPCResourceExhastedError);
}

function endOfPrefix(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff (or empty): the range runs to the end of the keyspace.
  return Buffer.from([0]);
}

/** The writable parts of etcd3's Watcher request that a resume needs. */
interface ResumableRequest {
  start_revision?: string | number;
}

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly log: Logger;
  private readonly watchers = new Set<{ close(): void }>();
  private readonly shared = new SharedWatches((prefix, from, hooks) =>
    this.openWatch(prefix, hooks.onEvent, { fromRevision: from, onError: hooks.onError }, hooks.onDelivered),
  );
  /** Highest compaction revision this client has seen; a lower bound for compactedRevision(). */
  private knownCompacted = 0;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new UnavailableError('no etcd endpoints given', '');
    this.prefix = opts.prefix ?? '';
    this.log = (opts.logger ?? silentLogger).child({ component: 'etcd-store' });
    const timeout = opts.requestTimeoutMs ?? 15_000;
    const options: IOptions = {
      hosts: opts.endpoints,
      grpcOptions: {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        // HTTP/2's default 64 KiB window let etcd send a watch only as fast as this (busy) event
        // loop returned WINDOW_UPDATEs: under load, watchers fell seconds behind the writes.
        'grpc-node.flow_control_window': 16 * 1024 * 1024,
      },
      // Watches are long-lived streams: only unary calls get a deadline.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: {
        // With one endpoint there is nothing to fail over to, so a breaker would only turn a
        // blip into seconds of refused calls. With several, skip a member after repeated failures.
        host: () =>
          opts.endpoints.length === 1
            ? noop
            : circuitBreaker(handleWhen(transient), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(5) }),
        global: retry(handleWhen(transient), {
          maxAttempts: 8,
          backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }),
        }),
        // etcd3 types this as a backoff step but calls next() on it first: give it one.
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }).next(),
      },
    };
    this.client = new Etcd3(options);
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  /** A key that is never empty (etcd rejects ranges on ""), used only to read revision headers. */
  private probeKey(): Buffer {
    return Buffer.from(this.prefix + '/.peapod-probe');
  }

  private strip(key: Buffer): string {
    return key.toString().slice(this.prefix.length);
  }

  private toKv(kv: IKeyValue): KeyValue {
    return {
      key: this.strip(kv.key),
      value: kv.value.toString(),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /** Turns an etcd3/grpc error into one of the Store's errors. */
  private async mapError(err: unknown, key: string): Promise<Error> {
    const e = err instanceof Error ? err : new Error(String(err));
    if (e.message.includes(COMPACTED)) {
      const compacted = await this.compactedRevision().catch(() => this.knownCompacted);
      return new GoneError(`etcd: ${e.message}`, compacted, { cause: e });
    }
    if (e instanceof GRPCResourceExhastedError) {
      return new UnavailableError(`etcd refused the request as too large: ${e.message}`, key, { cause: e });
    }
    return new UnavailableError(`etcd: ${e.message}`, key, { cause: e });
  }

  private async call<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new UnavailableError('store is closed', key);
    try {
      return await fn();
    } catch (err) {
      throw await this.mapError(err, key);
    }
  }

  private checkSize(key: string, value: string): void {
    const size = Buffer.byteLength(key) + Buffer.byteLength(value);
    if (size > MAX_VALUE_BYTES) {
      throw new UnavailableError(`object ${key} is ${size} bytes, over etcd's request limit`, key);
    }
  }

  // ---- writes -------------------------------------------------------------------------------

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkSize(key, value);
    const k = this.full(key);
    const res = await this.call(key, () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) {
      // The client retries a request whose answer was lost (e.g. in a leader change); if the
      // first try did land, the key holds exactly our value: that is our create, not a clash.
      const cur = res.responses[0]?.response_range?.kvs[0];
      if (cur && cur.value.toString() === value && cur.version === '1') {
        return { key, value, createRevision: Number(cur.create_revision), modRevision: Number(cur.mod_revision) };
      }
      throw new AlreadyExistsError(`key ${key} already exists`, key);
    }
    const rev = Number(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkSize(key, value);
    const k = this.full(key);
    const res = await this.call(key, () =>
      this.client.kv.txn({
        // Version > 0 keeps expected == 0 from creating a missing key.
        compare: [
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
          { key: k, target: 'Version', result: 'Greater', version: 0 },
        ],
        success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) {
      const cur = res.responses[0]?.response_range?.kvs[0];
      if (!cur) throw new NotFoundError(`key ${key} not found`, key);
      throw new ConflictError(
        `key ${key} was modified at revision ${cur.mod_revision}, expected ${expectedModRevision}`,
        key,
      );
    }
    const prev = res.responses[0]?.response_put?.prev_kv;
    const rev = Number(res.header.revision);
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const k = this.full(key);
    if (expectedModRevision === undefined) {
      const res = await this.call(key, () => this.client.kv.deleteRange({ key: k, prev_kv: true }));
      const prev = res.prev_kvs[0];
      if (!prev) throw new NotFoundError(`key ${key} not found`, key);
      return { ...this.toKv(prev), modRevision: Number(res.header.revision) };
    }
    const res = await this.call(key, () =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
          { key: k, target: 'Version', result: 'Greater', version: 0 },
        ],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k, keys_only: true } }],
      }),
    );
    if (!res.succeeded) {
      const cur = res.responses[0]?.response_range?.kvs[0];
      if (!cur) throw new NotFoundError(`key ${key} not found`, key);
      throw new ConflictError(
        `key ${key} was modified at revision ${cur.mod_revision}, expected ${expectedModRevision}`,
        key,
      );
    }
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev) throw new NotFoundError(`key ${key} not found`, key);
    return { ...this.toKv(prev), modRevision: Number(res.header.revision) };
  }

  // ---- reads --------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(key, () => this.client.kv.range({ key: this.full(key) }));
    const kv = res.kvs[0];
    return kv ? this.toKv(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const base = this.full(prefix);
    const start = opts.startAfter !== undefined ? Buffer.concat([this.full(opts.startAfter), Buffer.from([0])]) : base;
    const req: IRangeRequest = {
      key: Buffer.compare(start, base) > 0 ? start : base,
      range_end: endOfPrefix(base),
    };
    if (opts.limit && opts.limit > 0) req.limit = opts.limit;
    if (opts.revision) req.revision = opts.revision;
    const res = await this.call(prefix, () => this.client.kv.range(req));
    const items = res.kvs.map((kv) => this.toKv(kv));
    const revision = opts.revision || Number(res.header.revision);
    const result: ListResult = { items, revision, more: res.more };
    if (res.more) result.remaining = Number(res.count) - items.length;
    return result;
  }

  async count(prefix: string): Promise<number> {
    const base = this.full(prefix);
    const res = await this.call(prefix, () =>
      this.client.kv.range({ key: base, range_end: endOfPrefix(base), count_only: true }),
    );
    return Number(res.count);
  }

  async currentRevision(): Promise<number> {
    const res = await this.call('', () => this.client.kv.range({ key: this.probeKey(), count_only: true }));
    return Number(res.header.revision);
  }

  /** Can the state at `revision` still be read? (etcd keeps no other record of its compaction point.) */
  private async readableAt(revision: number): Promise<boolean> {
    if (this.closed) throw new UnavailableError('store is closed', '');
    try {
      await this.client.kv.range({ key: this.probeKey(), count_only: true, revision });
      return true;
    } catch (err) {
      if (err instanceof Error && err.message.includes(COMPACTED)) return false;
      if (err instanceof Error && err.message.includes(FUTURE)) return true;
      throw new UnavailableError(`etcd: ${(err as Error).message}`, '', { cause: err });
    }
  }

  async compactedRevision(): Promise<number> {
    // etcd does not report its compaction point, so find the oldest readable revision by
    // bisection: O(log n) tiny count-only requests, and rarely needed.
    const current = await this.currentRevision();
    let lo = Math.max(this.knownCompacted, 1);
    if (await this.readableAt(lo)) return lo === 1 ? 0 : lo;
    let hi = current; // invariant: lo unreadable, hi readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.readableAt(mid)) hi = mid;
      else lo = mid;
    }
    this.knownCompacted = Math.max(this.knownCompacted, hi);
    return hi;
  }

  // ---- watch --------------------------------------------------------------------------------

  async watch(prefix: string, handler: (ev: WatchEvent) => void, opts: WatchOptions = {}): Promise<Watcher> {
    if (this.closed) throw new UnavailableError('store is closed', prefix);
    const from = opts.fromRevision ?? 0;
    // etcd only refuses a watch whose start is below its compaction point, which would let a
    // watch from exactly one below it miss the compacted event: check readability ourselves.
    if (from > 0 && !(await this.readableAt(from))) {
      const compacted = await this.compactedRevision();
      throw new GoneError(`revision ${from} has been compacted (oldest kept: ${compacted})`, compacted);
    }
    // One etcd watch per prefix serves every watcher it can (see shared-watches.ts); one that
    // wants older history than the shared watch holds gets an etcd watch of its own.
    return (await this.shared.watch(prefix, handler, opts)) ?? this.openWatch(prefix, handler, opts);
  }

  /**
   * An etcd watch of `prefix` delivering to `handler`; `onDelivered(delivered, head)` hears,
   * after every response, up to which revision events have been handed over and the newest
   * revision etcd reported.
   */
  private async openWatch(
    prefix: string,
    handler: (ev: WatchEvent) => void,
    opts: WatchOptions,
    onDelivered?: (delivered: number, head: number) => void,
  ): Promise<Watcher> {
    const from = opts.fromRevision ?? 0;
    const base = this.full(prefix);
    const builder = this.client.watch().inRange({ start: base, end: endOfPrefix(base) }).withPreviousKV();
    if (from > 0) builder.startRevision(String(from + 1));
    const w: EtcdWatcher = builder.watcher();

    let delivered = from; // every event at or below this revision has been handed to handler
    let createdAt = 0; // the store revision when the watch was established
    let caughtUp = false;
    let closed = false;
    let started = false;

    const progress = (rev: number) => {
      if (closed) return;
      if (!caughtUp && createdAt > 0 && rev >= createdAt) {
        caughtUp = true;
        opts.onProgress?.(rev);
      }
    };

    const close = () => {
      if (closed) return;
      closed = true;
      this.watchers.delete(handle);
      w.removeAllListeners('data');
      w.cancel().catch((err: unknown) => this.log.debug('watch cancel failed', { error: err as Error }));
    };
    const fail = (err: Error) => {
      if (closed) return;
      close();
      this.log.warn('watch failed', { prefix, error: err });
      opts.onError?.(err);
    };
    const handle = { close };

    w.on('data', (res: IWatchResponse) => {
      if (closed) return;
      // Events of one response share the resume point: after a reconnect etcd may resend some.
      const floor = delivered;
      for (const ev of res.events) {
        const rev = Number(ev.kv.mod_revision);
        if (rev <= floor) continue;
        const out = this.toEvent(ev.type, ev.kv, ev.prev_kv);
        try {
          handler(out);
        } catch (err) {
          fail(new UnavailableError(`watch handler failed: ${(err as Error).message}`, out.kv.key, { cause: err }));
          return;
        }
        if (closed) return;
        delivered = Math.max(delivered, rev);
      }
      if (res.events.length === 0) {
        // A progress notification: the watcher has seen everything up to the header revision.
        delivered = Math.max(delivered, Number(res.header.revision));
      }
      progress(delivered);
      onDelivered?.(delivered, Number(res.header.revision));
    });
    w.on('connected', (res: IWatchResponse) => {
      if (createdAt === 0) {
        createdAt = Number(res.header.revision);
        if (from === 0) delivered = createdAt;
        progress(delivered);
        onDelivered?.(delivered, createdAt);
      }
    });
    w.on('disconnected', (err: Error) => {
      this.log.debug('watch disconnected, resuming', { prefix, delivered, error: err });
      // etcd3 would resume after the last response's header revision, which can skip history
      // not yet sent; resume after the last event we actually delivered instead.
      if (createdAt > 0) (w.request as ResumableRequest).start_revision = String(delivered + 1);
    });

    await new Promise<void>((resolve, reject) => {
      w.once('connected', () => {
        started = true;
        resolve();
      });
      w.on('error', (err: Error) => {
        const mapped =
          err instanceof EtcdError && /Watcher canceled/.test(err.message)
            ? new GoneError(`etcd watch from ${delivered} canceled (compacted): ${err.message}`, this.knownCompacted, {
                cause: err,
              })
            : new UnavailableError(`etcd watch failed: ${err.message}`, prefix, { cause: err });
        if (!started) {
          closed = true;
          reject(mapped);
        } else {
          fail(mapped);
        }
      });
    });
    this.watchers.add(handle);
    return handle;
  }

  private toEvent(type: string, kv: IKeyValue, prev: IKeyValue | undefined): WatchEvent {
    const prevKv = prev ? this.toKv(prev) : undefined;
    if (type === 'Delete' || type === 'DELETE') {
      // etcd's delete event has an empty value; the Store's carries the last one.
      const key = this.strip(kv.key);
      return {
        type: 'DELETED',
        kv: {
          key,
          value: prevKv?.value ?? '',
          createRevision: prevKv?.createRevision ?? 0,
          modRevision: Number(kv.mod_revision),
        },
        ...(prevKv ? { prevKv } : {}),
      };
    }
    const cur = this.toKv(kv);
    if (cur.createRevision === cur.modRevision) return { type: 'ADDED', kv: cur };
    return { type: 'MODIFIED', kv: cur, ...(prevKv ? { prevKv } : {}) };
  }

  // ---- maintenance --------------------------------------------------------------------------

  async compact(revision: number): Promise<void> {
    const target = Math.min(revision, await this.currentRevision());
    if (target <= this.knownCompacted) return;
    try {
      // physical: wait until etcd has applied it, so reads below it fail as soon as we return.
      await this.call('', () => this.client.kv.compact({ revision: target, physical: true }));
    } catch (err) {
      // Already compacted at or past target: nothing to do.
      if (!(err instanceof GoneError)) throw err;
    }
    this.knownCompacted = Math.max(this.knownCompacted, target);
  }

  async check(): Promise<void> {
    // A linearizable read needs a quorum, which is what a write needs too.
    await this.currentRevision();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shared.close();
    for (const w of [...this.watchers]) w.close();
    this.closed = true;
    this.client.close();
  }
}
