/**
 * Store throughput, side by side with the raw engines underneath:
 *   sqlite.raw.insertsPerSec   better-sqlite3, WAL, synchronous=FULL, one row per transaction
 *   sqlite.store.createsPerSec SqliteStore.create with 50 concurrent callers (group commit)
 *   etcd.raw.putsPerSec        etcd3 put with 50 in flight
 *   etcd.raw.etcdCpuMsPerPut   CPU the etcd process spent per timed put
 *   etcd.raw.clientCpuMsPerPut CPU this process (the etcd3 client) spent per timed put
 *   etcd.store.createsPerSec   EtcdStore.create with 50 in flight
 * Values are ~1 KB JSON, like small Kubernetes objects. Each timed run follows `warmUp` untimed
 * operations of the same kind on other keys, as the API measurement does, so both sides are
 * measured in the steady state of a process that has been up a while (JIT-compiled, connected).
 */
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { EtcdStore } from '../src/storage/etcd/etcd-store.js';
import { startEtcd } from '../test/util/etcd.js';
import { procCpuMs } from './proc.js';

const VALUE = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', data: { blob: 'x'.repeat(900) } });
const IN_FLIGHT = 50;

/** Runs op(i) for i = from..from+n-1 with `inFlight` callers. */
async function runAll(from: number, n: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  const end = from + n;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < end; i = next++) await op(i);
    }),
  );
}

/**
 * Runs op(i) for i = 0..n-1 with `inFlight` callers, after `warmUp` untimed calls with
 * i = n..n+warmUp-1; returns timed operations per second. onStart runs as the clock starts.
 */
async function rate(n: number, inFlight: number, warmUp: number, op: (i: number) => Promise<unknown>, onStart?: () => void): Promise<number> {
  await runAll(n, warmUp, inFlight, op);
  onStart?.();
  const t0 = performance.now();
  await runAll(0, n, inFlight, op);
  return Math.round(n / ((performance.now() - t0) / 1000));
}

function rawSqlite(dir: string, n: number, warmUp: number): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL)');
  db.exec('CREATE INDEX t_name_id ON t (name, id)');
  const ins = db.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
  const one = db.transaction((i: number) => ins.run(`/registry/configmaps/default/c${i}`, VALUE));
  for (let i = n; i < n + warmUp; i++) one.immediate(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) one.immediate(i);
  const perSec = Math.round(n / ((performance.now() - t0) / 1000));
  db.close();
  return perSec;
}

export async function benchStores(opts: { n?: number; warmUp?: number } = {}): Promise<Record<string, number>> {
  const n = opts.n ?? 20_000;
  const warmUp = opts.warmUp ?? 5000;
  const out: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-'));
  try {
    out['sqlite.raw.insertsPerSec'] = rawSqlite(dir, Math.min(n, 10_000), warmUp);
    const store = SqliteStore.open({ path: join(dir, 'store.db') });
    try {
      out['sqlite.store.createsPerSec'] = await rate(n, IN_FLIGHT, warmUp, (i) =>
        store.create(`/registry/configmaps/default/c${i}`, VALUE),
      );
      out['sqlite.store.getsPerSec'] = await rate(n, IN_FLIGHT, warmUp, (i) => store.get(`/registry/configmaps/default/c${i}`));
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const etcd = await startEtcd();
  try {
    const raw = new Etcd3({ hosts: etcd.endpoints });
    try {
      // The CPU both sides spend per put, so the API run's machine-wide cost per write can be set
      // beside it: what the store itself costs is the part no API server on top can give back.
      const etcdPid = etcd.members[0]!.pid()!;
      let cpu0 = { etcd: 0, client: process.cpuUsage() };
      out['etcd.raw.putsPerSec'] = await rate(n / 2, IN_FLIGHT, warmUp, (i) => raw.put(`/raw/c${i}`).value(VALUE).exec(), () => {
        cpu0 = { etcd: procCpuMs(etcdPid), client: process.cpuUsage() };
      });
      const client = process.cpuUsage(cpu0.client);
      out['etcd.raw.etcdCpuMsPerPut'] = (procCpuMs(etcdPid) - cpu0.etcd) / (n / 2);
      out['etcd.raw.clientCpuMsPerPut'] = (client.user + client.system) / 1000 / (n / 2);
    } finally {
      raw.close();
    }
    const store = new EtcdStore({ endpoints: etcd.endpoints });
    try {
      out['etcd.store.createsPerSec'] = await rate(n / 2, IN_FLIGHT, warmUp, (i) =>
        store.create(`/registry/configmaps/default/c${i}`, VALUE),
      );
    } finally {
      await store.close();
    }
  } finally {
    await etcd.stop();
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchStores();
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(28)} ${String(v).padStart(8)}`);
}
