/**
 * SqliteStore: the embedded Store, an etcd-shaped revision log in one SQLite table.
 *
 * Every write appends a row whose id is the new revision (the shape kine uses): a create, an
 * update, or a tombstone for a delete that also carries the last value. The current value of a
 * key is its newest row, unless that row is a tombstone; the value at revision R is its newest
 * row with id <= R. Compaction removes rows superseded at or below a revision.
 *
 * Writes are group-committed: all writes that arrive while a flush is pending are applied in
 * order in one transaction, each checked exactly as if it ran alone, and every caller's promise
 * settles only after that transaction is durable. With FULL durability the commit itself only
 * writes the WAL (synchronous=NORMAL) and the WAL is then fdatasync'ed on libuv's thread pool,
 * so the event loop keeps serving while the disk flushes and the next transactions pile up
 * behind it. A commit becomes visible (reads, lists, watch events, its caller's answer) only
 * once it is durable: readers never see a write a power cut could still take back. A watch
 * from an old revision first replays rows from the table.
 *
 * Exactly one process may open a database file: the in-memory revision counter and watch
 * fan-out assume no other writer, so the file is opened with an exclusive lock.
 */
import Database from 'better-sqlite3';
import { closeSync, fdatasync, openSync, statSync } from 'node:fs';
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, Watcher, WatchOptions } from '../interface.js';
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  NotFoundError,
  StorageError,
  UnavailableError,
} from '../errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';

export interface SqliteStoreOptions {
  /** Database file; created if missing. */
  path: string;
  /**
   * FULL (default): an acknowledged write survives a crash and power loss.
   * NORMAL: survives a process crash, may lose the last commits on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Most writes applied in one transaction (default 1000). */
  maxBatch?: number;
  logger?: Logger;
}

/** Rows replayed per synchronous step of a watch catch-up, so a big replay does not block the loop. */
const REPLAY_PAGE = 500;
/** Revisions compacted per transaction, for the same reason. */
const COMPACT_CHUNK = 2000;

interface LogRow {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
}

interface HistoryRow extends LogRow {
  prev_value: string | null;
  prev_create_revision: number | null;
}

type WriteOp =
  | { kind: 'create'; key: string; value: string }
  | { kind: 'update'; key: string; value: string; expected: number }
  | { kind: 'delete'; key: string; expected?: number };

interface PendingWrite {
  op: WriteOp;
  resolve: (kv: KeyValue) => void;
  reject: (err: Error) => void;
}

type Outcome = { kv: KeyValue; event: WatchEvent } | Error;

interface SqliteWatch {
  prefix: string;
  handler: (ev: WatchEvent) => void;
  opts: WatchOptions;
  /** Every event with a revision <= this has been delivered (or skipped as before the start). */
  delivered: number;
  /** Caught up with the table: receives events straight from commits. */
  live: boolean;
  closed: boolean;
}

/** The smallest string greater than every string starting with prefix, or undefined if none. */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}

function toKv(row: LogRow): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function historyEvent(row: HistoryRow): WatchEvent {
  if (row.created) return { type: 'ADDED', kv: toKv(row) };
  if (row.deleted) {
    // A tombstone carries the last value, so its prevKv needs no join.
    return {
      type: 'DELETED',
      kv: toKv(row),
      prevKv: { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.prev_revision },
    };
  }
  const ev: WatchEvent = { type: 'MODIFIED', kv: toKv(row) };
  if (row.prev_value !== null) {
    ev.prevKv = {
      key: row.name,
      value: row.prev_value,
      createRevision: row.prev_create_revision ?? row.create_revision,
      modRevision: row.prev_revision,
    };
  }
  return ev;
}

/** Prefixes whose live keys a store keeps counting (liveCount). */
const maxCountedPrefixes = 1024;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly log: Logger;
  private readonly maxBatch: number;
  private readonly stmt: ReturnType<SqliteStore['prepare']>;
  /** applyWrites as one transaction, wrapped once rather than per flush. */
  private readonly applyBatch: Database.Transaction<(batch: PendingWrite[], outcomes: Outcome[]) => number>;

  /** The newest durable revision: what reads, lists and watches see. */
  private rev: number;
  /** The newest committed revision; ahead of `rev` while the WAL is being synced. */
  private head: number;
  private compactRev: number;
  /** FULL durability by an explicit fdatasync of the WAL (see the file comment). */
  private readonly syncWal: boolean;
  private readonly walPath: string;
  private wal?: { fd: number; ino: number };
  /** Committed batches waiting for the WAL sync that makes them durable, oldest first. */
  private unsynced: { batch: PendingWrite[]; outcomes: Outcome[]; rev: number }[] = [];
  private syncing = false;
  /** Called once nothing is committed but not yet durable (close waits on this). */
  private drained: (() => void)[] = [];
  private failure?: Error;
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly watchers = new Set<SqliteWatch>();
  /** Live keys by prefix at `rev`, for the prefixes lists have asked about (liveCount). */
  private readonly liveCounts = new Map<string, number>();
  private compacting: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(db: Database.Database, opts: SqliteStoreOptions) {
    this.db = db;
    this.log = (opts.logger ?? silentLogger).child({ component: 'sqlite-store' });
    this.maxBatch = opts.maxBatch ?? 1000;
    this.stmt = this.prepare();
    this.applyBatch = db.transaction((batch: PendingWrite[], outcomes: Outcome[]) => this.applyWrites(batch, outcomes));
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv_log'`).pluck().get() as number | undefined;
    this.rev = seq ?? 0;
    this.head = this.rev;
    this.syncWal = (opts.synchronous ?? 'FULL') === 'FULL';
    this.walPath = `${opts.path}-wal`;
    this.compactRev = (this.stmt.getMeta.get('compact_rev') as number | undefined) ?? 0;
  }

  /** Opens (creating if needed) the database at opts.path. */
  static open(opts: SqliteStoreOptions): SqliteStore {
    let db: Database.Database;
    try {
      db = new Database(opts.path);
    } catch (err) {
      throw new UnavailableError(`cannot open sqlite database ${opts.path}: ${(err as Error).message}`, '', { cause: err });
    }
    try {
      db.pragma('journal_mode = WAL');
      // FULL is kept by syncing the WAL ourselves after each commit, off the event loop.
      db.pragma('synchronous = NORMAL');
      // The exclusive lock keeps a second process (a second API server) out of the file,
      // since revisions and watch fan-out live in this process's memory.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec(`
        CREATE TABLE IF NOT EXISTS kv_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL,
          created INTEGER NOT NULL,
          deleted INTEGER NOT NULL,
          create_revision INTEGER NOT NULL,
          prev_revision INTEGER NOT NULL,
          value TEXT NOT NULL
        );
        -- (name, id, deleted): every read finds a key's newest row, and whether it is a
        -- tombstone, in the index alone. Replaces the (name, id) index of earlier versions.
        CREATE INDEX IF NOT EXISTS kv_log_name_id_deleted ON kv_log (name, id, deleted);
        DROP INDEX IF EXISTS kv_log_name_id;
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      `);
      // Take the write lock now so a second opener fails here, not on its first write.
      db.exec('BEGIN IMMEDIATE; COMMIT');
      return new SqliteStore(db, opts);
    } catch (err) {
      db.close();
      throw new UnavailableError(`cannot initialise sqlite database ${opts.path}: ${(err as Error).message}`, '', {
        cause: err,
      });
    }
  }

  private prepare() {
    const db = this.db;
    // A key's value at a revision is its newest row at or below it. A list walks the covering
    // (name, id, deleted) index in name order, one group per key: MAX(id) picks the newest row at
    // @rev and SQLite takes the bare column `deleted` from that row, so tombstoned keys drop out
    // in the index alone and LIMIT stops the walk early; only the rows kept are read for values.
    // (A correlated MAX per row read every historical row of every key in the page instead.)
    const latestPerKey = `
      SELECT MAX(id) AS id, deleted FROM kv_log
      WHERE name >= @lo AND (@hi IS NULL OR name < @hi) AND name > @after AND id <= @rev
      GROUP BY name HAVING deleted = 0 ORDER BY name LIMIT @limit`;
    return {
      latestAt: db.prepare<[string, number], LogRow>(
        'SELECT id, name, created, deleted, create_revision, prev_revision, value FROM kv_log WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1',
      ),
      latest: db.prepare<[string], LogRow>(
        'SELECT id, name, created, deleted, create_revision, prev_revision, value FROM kv_log WHERE name = ? ORDER BY id DESC LIMIT 1',
      ),
      insert: db.prepare(
        'INSERT INTO kv_log (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      list: db.prepare<Record<string, unknown>, LogRow>(
        `SELECT a.id, a.name, a.created, a.deleted, a.create_revision, a.prev_revision, a.value
         FROM (${latestPerKey}) m JOIN kv_log a ON a.id = m.id`,
      ),
      // The same walk as `list` over the rest of the range, counted in the index alone.
      count: db
        .prepare<Record<string, unknown>, number>(
          `SELECT COUNT(*) FROM (
             SELECT MAX(id) AS id, deleted FROM kv_log
             WHERE name >= @lo AND (@hi IS NULL OR name < @hi) AND name > @after AND id <= @rev
             GROUP BY name
           ) WHERE deleted = 0`,
        )
        .pluck(),
      history: db.prepare<Record<string, unknown>, HistoryRow>(
        `SELECT a.id, a.name, a.created, a.deleted, a.create_revision, a.prev_revision, a.value,
                p.value AS prev_value, p.create_revision AS prev_create_revision
         FROM kv_log a LEFT JOIN kv_log p ON p.id = a.prev_revision
         WHERE a.id > @after AND a.id <= @upto AND a.name >= @lo AND (@hi IS NULL OR a.name < @hi)
         ORDER BY a.id LIMIT @limit`,
      ),
      getMeta: db.prepare<[string], number>('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      compactSuperseded: db.prepare(
        'DELETE FROM kv_log WHERE id IN (SELECT prev_revision FROM kv_log WHERE id > ? AND id <= ? AND prev_revision > 0)',
      ),
      compactTombstones: db.prepare('DELETE FROM kv_log WHERE id > ? AND id <= ? AND deleted = 1'),
    };
  }

  // ---- writes -------------------------------------------------------------------------------

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue({ kind: 'create', key, value });
  }

  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    return this.enqueue({ kind: 'update', key, value, expected: expectedModRevision });
  }

  delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.enqueue({ kind: 'delete', key, expected: expectedModRevision });
  }

  private enqueue(op: WriteOp): Promise<KeyValue> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new UnavailableError('store is closed', op.key));
    return new Promise<KeyValue>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Writes issued in this turn of the event loop (and by callers woken by the previous
        // commit) join the same transaction.
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Applies a batch inside the open transaction (applyBatch), recording each write's outcome;
   * returns the revision reached.
   */
  private applyWrites(batch: PendingWrite[], outcomes: Outcome[]): number {
    let rev = this.head;
    for (const w of batch) {
      try {
        outcomes.push(this.apply(w.op, rev + 1));
        rev++;
      } catch (err) {
        // A failed check only fails that write; anything else aborts the transaction.
        if (!(err instanceof StorageError)) throw err;
        outcomes.push(err);
      }
    }
    return rev;
  }

  /** Applies one write inside the open transaction; throws a StorageError if its check fails. */
  private apply(op: WriteOp, rev: number): { kv: KeyValue; event: WatchEvent } {
    const cur = this.stmt.latest.get(op.key);
    const live = cur && !cur.deleted ? cur : undefined;
    const prevRevision = cur?.id ?? 0;
    switch (op.kind) {
      case 'create': {
        if (live) throw new AlreadyExistsError(`key ${op.key} already exists`, op.key);
        this.stmt.insert.run(rev, op.key, 1, 0, rev, prevRevision, op.value);
        const kv = { key: op.key, value: op.value, createRevision: rev, modRevision: rev };
        return { kv, event: { type: 'ADDED', kv } };
      }
      case 'update': {
        if (!live) throw new NotFoundError(`key ${op.key} not found`, op.key);
        if (live.id !== op.expected) {
          throw new ConflictError(
            `key ${op.key} was modified at revision ${live.id}, expected ${op.expected}`,
            op.key,
          );
        }
        this.stmt.insert.run(rev, op.key, 0, 0, live.create_revision, live.id, op.value);
        const kv = { key: op.key, value: op.value, createRevision: live.create_revision, modRevision: rev };
        return { kv, event: { type: 'MODIFIED', kv, prevKv: toKv(live) } };
      }
      case 'delete': {
        if (!live) throw new NotFoundError(`key ${op.key} not found`, op.key);
        if (op.expected !== undefined && live.id !== op.expected) {
          throw new ConflictError(
            `key ${op.key} was modified at revision ${live.id}, expected ${op.expected}`,
            op.key,
          );
        }
        this.stmt.insert.run(rev, op.key, 0, 1, live.create_revision, live.id, live.value);
        const kv = { key: op.key, value: live.value, createRevision: live.create_revision, modRevision: rev };
        return { kv, event: { type: 'DELETED', kv, prevKv: toKv(live) } };
      }
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0 || !this.db.open) return;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }

    const outcomes: Outcome[] = [];
    let rev: number;
    try {
      rev = this.applyBatch.immediate(batch, outcomes);
    } catch (err) {
      this.log.error('commit failed', { error: err as Error, writes: batch.length });
      const cause = err as Error;
      for (const w of batch) {
        w.reject(new UnavailableError(`sqlite commit failed: ${cause.message}`, w.op.key, { cause }));
      }
      return;
    }
    this.head = rev;
    if (!this.syncWal) {
      this.settle(batch, outcomes, rev);
      return;
    }
    this.unsynced.push({ batch, outcomes, rev });
    this.syncCommitted();
  }

  /** Makes every committed batch durable with one fdatasync of the WAL, then settles them in order. */
  private syncCommitted(): void {
    if (this.syncing) return;
    if (this.unsynced.length === 0) {
      for (const done of this.drained.splice(0)) done();
      return;
    }
    const pending = this.unsynced;
    this.unsynced = [];
    let fd: number;
    try {
      fd = this.walFd();
    } catch (err) {
      this.failDurability(pending, err as Error);
      return;
    }
    this.syncing = true;
    fdatasync(fd, (err) => {
      this.syncing = false;
      if (err) {
        this.failDurability(pending, err);
        return;
      }
      for (const p of pending) this.settle(p.batch, p.outcomes, p.rev);
      this.syncCommitted();
    });
  }

  /**
   * The WAL's descriptor. SQLite keeps one WAL file for the life of the connection and resets
   * it in place after a checkpoint; the inode check guards against it being replaced anyway.
   */
  private walFd(): number {
    const ino = statSync(this.walPath).ino;
    if (this.wal?.ino !== ino) {
      if (this.wal) closeSync(this.wal.fd);
      this.wal = undefined;
      this.wal = { fd: openSync(this.walPath, 'r'), ino };
    }
    return this.wal.fd;
  }

  /**
   * A failed sync leaves committed writes of unknown durability: none of them is acknowledged
   * and the store stops taking requests, as a disk that loses writes can't be trusted further.
   */
  private failDurability(pending: { batch: PendingWrite[] }[], err: Error): void {
    this.failure ??= new UnavailableError(`sqlite WAL sync failed: ${err.message}`, '', { cause: err });
    this.log.error('WAL sync failed; the store refuses further requests', { error: err });
    for (const p of [...pending, ...this.unsynced]) for (const w of p.batch) w.reject(this.failure);
    this.unsynced = [];
    for (const done of this.drained.splice(0)) done();
  }

  /** Publishes a durable batch: its revision becomes readable, callers get answers, watchers events. */
  private settle(batch: PendingWrite[], outcomes: Outcome[], rev: number): void {
    this.rev = rev;
    const events: WatchEvent[] = [];
    const counting = this.liveCounts.size > 0;
    batch.forEach((w, i) => {
      const out = outcomes[i]!;
      if (out instanceof Error) {
        w.reject(out);
      } else {
        events.push(out.event);
        if (counting && out.event.type !== 'MODIFIED') this.countLive(out.kv.key, out.event.type === 'ADDED' ? 1 : -1);
        w.resolve(out.kv);
      }
    });
    if (events.length > 0) this.fanOut(events);
  }

  // ---- reads --------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen(key);
    const row = this.stmt.latestAt.get(key, this.rev);
    return row && !row.deleted ? toKv(row) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen(prefix);
    const rev = this.readRevision(opts.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const params = { lo: prefix, hi: prefixEnd(prefix) ?? null, after: opts.startAfter ?? '', rev };
    const rows = this.stmt.list.all({ ...params, limit: limit < 0 ? -1 : limit + 1 });
    // The join walks the grouped keys in name order, so rows come sorted; an ORDER BY would copy
    // every value through a sorter. Should a planner ever choose another order, sort here.
    for (let i = 1; i < rows.length; i++) {
      if (rows[i - 1]!.name >= rows[i]!.name) {
        rows.sort((x, y) => (x.name < y.name ? -1 : 1));
        break;
      }
    }
    const more = limit > 0 && rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toKv);
    const result: ListResult = { items, revision: rev, more };
    if (more && opts.count !== false) {
      // A first page of the latest state: what follows is the prefix's live count less the page.
      const counted = !opts.startAfter && rev === this.rev ? this.liveCount(prefix) : undefined;
      result.remaining = counted !== undefined ? counted - items.length : (this.stmt.count.get({ ...params, after: items[items.length - 1]!.key }) ?? 0);
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    this.assertOpen(prefix);
    return this.liveCount(prefix) ?? this.stmt.count.get({ lo: prefix, hi: prefixEnd(prefix) ?? null, after: '', rev: this.rev }) ?? 0;
  }

  /**
   * Live keys under `prefix` at the durable revision: counted in the index once, then kept
   * current as writes become durable (settle), so the first page of every list knows how many
   * items follow without walking the range again. Only for prefixes ending in "/", whose keys
   * settle() can find by cutting a key at each "/"; undefined for others.
   */
  private liveCount(prefix: string): number | undefined {
    if (!prefix.endsWith('/')) return undefined;
    let n = this.liveCounts.get(prefix);
    if (n === undefined) {
      n = this.stmt.count.get({ lo: prefix, hi: prefixEnd(prefix) ?? null, after: '', rev: this.rev }) ?? 0;
      // Namespaces come and go: start over rather than keep counting every prefix ever listed.
      if (this.liveCounts.size >= maxCountedPrefixes) this.liveCounts.clear();
      this.liveCounts.set(prefix, n);
    }
    return n;
  }

  /** A key came to life (+1) or was deleted (-1): every counted prefix of it changes. */
  private countLive(key: string, delta: number): void {
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
      const prefix = key.slice(0, i + 1);
      const n = this.liveCounts.get(prefix);
      if (n !== undefined) this.liveCounts.set(prefix, n + delta);
    }
  }

  /** The revision a read at `requested` sees; throws GoneError/UnavailableError when it cannot. */
  private readRevision(requested: number | undefined): number {
    if (!requested) return this.rev;
    if (requested < this.compactRev) {
      throw new GoneError(
        `revision ${requested} has been compacted (oldest kept: ${this.compactRev})`,
        this.compactRev,
      );
    }
    if (requested > this.rev) {
      throw new UnavailableError(`revision ${requested} is newer than the current revision ${this.rev}`, '');
    }
    return requested;
  }

  async currentRevision(): Promise<number> {
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    return this.compactRev;
  }

  // ---- watch --------------------------------------------------------------------------------

  async watch(prefix: string, handler: (ev: WatchEvent) => void, opts: WatchOptions = {}): Promise<Watcher> {
    this.assertOpen(prefix);
    const from = opts.fromRevision ?? 0;
    if (from > 0 && from < this.compactRev) {
      throw new GoneError(`revision ${from} has been compacted (oldest kept: ${this.compactRev})`, this.compactRev);
    }
    const w: SqliteWatch = {
      prefix,
      handler,
      opts,
      delivered: from > 0 ? from : this.rev,
      live: false,
      closed: false,
    };
    this.watchers.add(w);
    if (w.delivered >= this.rev) {
      // Nothing to replay: from here on every commit reaches it directly, with no gap.
      w.live = true;
      const rev = this.rev;
      setImmediate(() => !w.closed && opts.onProgress?.(rev));
    } else {
      // Start after the caller has its Watcher; commits in between are read back from the table.
      setImmediate(() => void this.catchUp(w));
    }
    return { close: () => this.closeWatch(w) };
  }

  /** Replays history from the table page by page until the watcher reaches the head, then goes live. */
  private async catchUp(w: SqliteWatch): Promise<void> {
    const hi = prefixEnd(w.prefix) ?? null;
    while (!w.closed && this.db.open) {
      if (this.compactRev > w.delivered) {
        this.failWatch(
          w,
          new GoneError(
            `watch fell behind compaction at revision ${this.compactRev} while replaying from ${w.delivered}`,
            this.compactRev,
          ),
        );
        return;
      }
      const upto = this.rev;
      const rows = this.stmt.history.all({ after: w.delivered, upto, lo: w.prefix, hi, limit: REPLAY_PAGE });
      for (const row of rows) {
        if (w.closed) return;
        this.deliver(w, historyEvent(row));
      }
      if (w.closed) return;
      w.delivered = rows.length < REPLAY_PAGE ? upto : rows[rows.length - 1]!.id;
      if (w.delivered >= this.rev) {
        // Same synchronous step as the read above: no commit can slip between replay and live.
        w.live = true;
        w.opts.onProgress?.(w.delivered);
        return;
      }
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private fanOut(events: WatchEvent[]): void {
    for (const w of this.watchers) {
      if (!w.live) continue;
      for (const ev of events) {
        if (w.closed) break;
        const rev = ev.kv.modRevision;
        if (rev <= w.delivered || !ev.kv.key.startsWith(w.prefix)) continue;
        this.deliver(w, ev);
      }
      if (!w.closed) w.delivered = Math.max(w.delivered, events[events.length - 1]!.kv.modRevision);
    }
  }

  private deliver(w: SqliteWatch, ev: WatchEvent): void {
    try {
      w.handler(ev);
    } catch (err) {
      // A throwing handler would otherwise miss this event silently; stop the watch instead.
      this.failWatch(w, new UnavailableError(`watch handler failed: ${(err as Error).message}`, ev.kv.key, { cause: err }));
    }
  }

  private failWatch(w: SqliteWatch, err: Error): void {
    if (w.closed) return;
    this.closeWatch(w);
    this.log.warn('watch closed with error', { prefix: w.prefix, error: err });
    w.opts.onError?.(err);
  }

  private closeWatch(w: SqliteWatch): void {
    w.closed = true;
    this.watchers.delete(w);
  }

  // ---- maintenance --------------------------------------------------------------------------

  compact(revision: number): Promise<void> {
    // Compactions run one after another; each deletes in chunks so writes and reads interleave.
    const run = this.compacting.then(() => this.compactNow(revision));
    this.compacting = run.catch(() => undefined);
    return run;
  }

  private async compactNow(revision: number): Promise<void> {
    const target = Math.min(revision, this.rev);
    while (this.compactRev < target) {
      this.assertOpen('');
      const lo = this.compactRev;
      const hi = Math.min(target, lo + COMPACT_CHUNK);
      try {
        this.db.transaction(() => {
          this.stmt.compactSuperseded.run(lo, hi);
          this.stmt.compactTombstones.run(lo, hi);
          this.stmt.setMeta.run('compact_rev', hi);
        }).immediate();
      } catch (err) {
        throw new UnavailableError(`compaction to ${hi} failed: ${(err as Error).message}`, '', { cause: err });
      }
      this.compactRev = hi;
      if (hi < target) await new Promise<void>((r) => setImmediate(r));
    }
  }

  async check(): Promise<void> {
    this.assertOpen('');
    try {
      // Taking and releasing the write lock proves the file is still writable by us.
      this.db.exec('BEGIN IMMEDIATE; ROLLBACK');
    } catch (err) {
      throw new UnavailableError(`sqlite not writable: ${(err as Error).message}`, '', { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes already accepted still commit, and become durable before the file closes.
    while (this.queue.length > 0) this.flush();
    if (this.syncing || this.unsynced.length > 0) await new Promise<void>((r) => this.drained.push(r));
    await this.compacting;
    for (const w of this.watchers) this.closeWatch(w);
    this.db.close();
    if (this.wal) closeSync(this.wal.fd);
    this.wal = undefined;
  }

  private assertOpen(key: string): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new UnavailableError('store is closed', key);
  }
}
