/**
 * `npm run bench`: peapod's API server measured against the stores underneath it, in one run.
 *
 *   1. raw store write rates (bench/store-bench.ts): better-sqlite3 with the SQLite store's
 *      durability, and etcd3 puts with 50 in flight against a one-member etcd;
 *   2. pod creates over HTTPS with 50 keep-alive clients, on SQLite and on etcd;
 *   3. GET and LIST latency with those pods stored;
 *   4. the server's resident memory.
 *
 * Every server and etcd runs as a child process of this one and is stopped at the end, also on
 * error and Ctrl-C. Misses are reported, not turned into a failing exit code; the exit code is
 * non-zero only when a phase could not run at all.
 *
 * Knobs (environment): BENCH_PODS (10000), BENCH_CLIENTS (50), BENCH_GETS (2000),
 * BENCH_LISTS (10), BENCH_PAGE_LIMIT (500), BENCH_PAGE_WALKS (3), BENCH_STORE_OPS (2 × pods, at least 10000),
 * BENCH_STORES (sqlite,etcd), BENCH_ETCD_PREFIX (unset: the server's default, no prefix),
 * BENCH_WARMUP (5000 untimed writes before each timed write run, on every side; 0 for none).
 *
 * `node dist/bench/run.js api` runs only this; `scheduling` only bench/scheduling.ts; no argument, both.
 */
import { benchNoop } from './api-bench.js';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { benchStores } from './store-bench.js';
import { startEtcd } from '../test/util/etcd.js';
import { ApiClient, describeFailure } from './api-client.js';
import { benchCreates, benchFullLists, benchGets, benchPagedLists, type CreateResult, type GetResult, type ListResult } from './api-bench.js';
import { machineCpuMs, procCpuMs } from './proc.js';
import { startPeapodServer } from './server-process.js';
import { cell, judged, renderTable, type Cell, type Row, type Section } from './report.js';
import { envInt, fmtInt, fmtMB, fmtMs } from './stats.js';
import { runSchedulingBench } from './scheduling.js';

type StoreKind = 'sqlite' | 'etcd';

const WARMUP_NAMESPACE = 'bench-warmup';

const TARGET = {
  pods: 10_000,
  createRatio: { sqlite: 1.0, etcd: 0.7 } as Record<StoreKind, number>,
  getP99Ms: 10,
  rssBytes: 300 * 1024 * 1024,
};

interface Config {
  pods: number;
  clients: number;
  gets: number;
  lists: number;
  pageLimit: number;
  pageWalks: number;
  storeOps: number;
  stores: StoreKind[];
  etcdPrefix?: string;
  /**
   * Untimed writes before each timed write run, raw stores and API alike: every side is measured
   * as a process that has been up a while (JIT-compiled hot paths, open connections).
   */
  warmUp: number;
}

function readConfig(): Config {
  const pods = envInt('BENCH_PODS', TARGET.pods);
  const stores = (process.env.BENCH_STORES ?? 'sqlite,etcd').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of stores) if (s !== 'sqlite' && s !== 'etcd') throw new Error(`BENCH_STORES: unknown store ${JSON.stringify(s)}`);
  return {
    pods,
    clients: envInt('BENCH_CLIENTS', 50),
    gets: envInt('BENCH_GETS', 2000),
    lists: envInt('BENCH_LISTS', 10),
    pageLimit: envInt('BENCH_PAGE_LIMIT', 500),
    pageWalks: envInt('BENCH_PAGE_WALKS', 3),
    // benchStores gives etcd half of n: 2 × pods puts the raw etcd rate on as many writes as the API
    // run. The floor keeps a reduced run honest: etcd's rate climbs over its first few thousand puts.
    storeOps: envInt('BENCH_STORE_OPS', Math.max(2 * pods, 10_000), 2),
    stores: stores as StoreKind[],
    etcdPrefix: process.env.BENCH_ETCD_PREFIX,
    warmUp: envInt('BENCH_WARMUP', 5000, 0),
  };
}

// --- progress and cleanup ----------------------------------------------------------------------

const started = performance.now();
function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
}

/**
 * Everything that must be stopped, newest first. Each closer runs once; whoever asks for it
 * later (the phase's own finally, or closeAll on Ctrl-C) waits for that same run to finish.
 */
class Resources {
  private readonly pending: Array<{ name: string; run: () => Promise<void> }> = [];

  /** Registers a closer and returns a function that runs it (once) and waits for it. */
  add(name: string, close: () => Promise<void> | void): () => Promise<void> {
    let done: Promise<void> | undefined;
    const entry = {
      name,
      run: () =>
        (done ??= (async () => {
          const i = this.pending.indexOf(entry);
          if (i >= 0) this.pending.splice(i, 1);
          try {
            await close();
          } catch (err) {
            progress(`cleanup of ${name} failed: ${(err as Error).message}`);
          }
        })()),
    };
    this.pending.push(entry);
    return entry.run;
  }

  async closeAll(): Promise<void> {
    while (this.pending.length) await this.pending[this.pending.length - 1].run();
  }
}

/**
 * PIDs whose parent is this process. benchStores starts its own etcd and cannot be reached from
 * here on Ctrl-C, so an interrupt ends whatever children remain, by PID, after the orderly stop.
 */
function ownChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

// --- one store under the API server --------------------------------------------------------------

interface ApiRun {
  creates?: CreateResult;
  gets?: GetResult;
  fullLists?: ListResult;
  pages?: ListResult;
  /** CPU the server and this process spent per create: shows which side of the wire is the limit. */
  serverCpuMsPerCreate?: number;
  noopPerSec?: number;
  /** Creates/s of the untimed warm-up run (a server fresh from start). */
  warmUpPerSec?: number;
  clientCpuMsPerCreate?: number;
  /** CPU the etcd process spent per create (etcd runs only). */
  storeCpuMsPerCreate?: number;
  /** CPU of the server's main thread per create: 1000 ÷ this is the most one event loop can serve. */
  serverMainMsPerCreate?: number;
  /** Over the timed creates, in cores: the server's main thread, and the whole machine busy (of cpus). */
  serverMainCores?: number;
  machineBusyCores?: number;
  cpus?: number;
  rssAfterCreates?: number;
  rssAfterReads?: number;
  peakRss?: number;
  error?: string;
}

async function benchApi(store: StoreKind, cfg: Config, resources: Resources, signal: AbortSignal): Promise<ApiRun> {
  const run: ApiRun = {};
  let endpoints: string[] | undefined;
  let etcdPid: number | undefined;
  let stopEtcd: (() => Promise<void>) | undefined;
  let stopServer: (() => Promise<void>) | undefined;
  let closeClient: (() => Promise<void>) | undefined;
  try {
    if (store === 'etcd') {
      progress('[etcd] starting a one-member etcd');
      const etcd = await startEtcd();
      stopEtcd = resources.add('etcd', () => etcd.stop());
      endpoints = etcd.endpoints;
      etcdPid = etcd.members[0]!.pid();
    }
    signal.throwIfAborted();
    progress(`[${store}] starting peapod server`);
    // The API server alone, as the issue compares it with the raw store: no controllers or
    // scheduler reacting to the created pods in the same process.
    const server = await startPeapodServer({ store, etcdEndpoints: endpoints, etcdPrefix: cfg.etcdPrefix, extraArgs: ['--no-controllers', '--no-scheduler'] });
    stopServer = resources.add(`peapod server (${store})`, async () => {
      const how = await server.stop();
      if (how !== '0') progress(`[${store}] note: server exited with ${how} on SIGTERM (expected 0)`);
    });
    progress(`[${store}] server up at ${server.url} (pid ${server.pid})`);
    const client = new ApiClient({ url: server.url, token: server.token, ca: server.ca, maxSockets: cfg.clients });
    closeClient = resources.add('https agent', () => client.close());

    // Open every socket (TLS handshakes) before the clock starts: the figure is steady-state throughput.
    const warm = await Promise.all(Array.from({ length: cfg.clients }, () => client.request('GET', '/api/v1/namespaces/default')));
    const refused = warm.find((r) => r.status !== 200);
    if (refused) throw new Error(`warm-up GET of namespace default failed: ${describeFailure(refused)}`);

    progress(`[${store}] HTTPS ceiling: GET /version with ${cfg.clients} clients`);
    run.noopPerSec = await benchNoop(client, Math.min(5000, Math.max(1000, cfg.pods)), cfg.clients, signal);
    progress(`[${store}] ${fmtInt(run.noopPerSec)} GET /version/s`);

    if (cfg.warmUp > 0) {
      // In a namespace of its own, so the reads below see exactly the timed run's pods.
      progress(`[${store}] warm-up: ${cfg.warmUp} untimed creates in namespace ${WARMUP_NAMESPACE}`);
      const ns = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WARMUP_NAMESPACE } });
      if (ns.status !== 201) throw new Error(`creating namespace ${WARMUP_NAMESPACE}: ${describeFailure(ns)}`);
      const warm = await benchCreates(client, cfg.warmUp, cfg.clients, () => {}, signal, WARMUP_NAMESPACE);
      if (warm.failed) throw new Error(`warm-up creates failed: ${warm.firstFailure}`);
      run.warmUpPerSec = warm.perSec;
      progress(`[${store}] warm-up: ${fmtInt(warm.perSec)} creates/s`);
    }
    progress(`[${store}] creating ${cfg.pods} pods with ${cfg.clients} concurrent clients`);
    const [serverCpu0, clientCpu0, main0, machine0] = [server.cpuMs(), process.cpuUsage(), server.mainThreadCpuMs(), machineCpuMs()];
    const storeCpu0 = etcdPid === undefined ? NaN : procCpuMs(etcdPid);
    run.creates = await benchCreates(client, cfg.pods, cfg.clients, progress, signal);
    const clientCpu = process.cpuUsage(clientCpu0);
    const machine1 = machineCpuMs();
    run.serverMainCores = (server.mainThreadCpuMs() - main0) / (run.creates.seconds * 1000);
    run.machineBusyCores = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * machine1.cpus;
    run.cpus = machine1.cpus;
    run.serverCpuMsPerCreate = (server.cpuMs() - serverCpu0) / Math.max(1, run.creates.attempted);
    run.serverMainMsPerCreate = (server.mainThreadCpuMs() - main0) / Math.max(1, run.creates.attempted);
    if (etcdPid !== undefined) run.storeCpuMsPerCreate = (procCpuMs(etcdPid) - storeCpu0) / Math.max(1, run.creates.attempted);
    run.clientCpuMsPerCreate = (clientCpu.user + clientCpu.system) / 1000 / Math.max(1, run.creates.attempted);
    run.rssAfterCreates = server.memory().rss;
    progress(`[${store}] ${fmtInt(run.creates.perSec)} creates/s, ${run.creates.failed} failed, RSS ${fmtMB(run.rssAfterCreates)}`);
    if (run.creates.firstFailure) progress(`[${store}] first failure: ${run.creates.firstFailure}`);
    if (run.creates.created === 0) throw new Error(`no pod was created: ${run.creates.firstFailure ?? 'unknown error'}`);

    signal.throwIfAborted();
    progress(`[${store}] ${cfg.gets} sequential GETs of random pods`);
    run.gets = await benchGets(client, run.creates.createdIndexes, cfg.gets, signal);
    progress(`[${store}] GET p50 ${fmtMs(run.gets.latency.p50)} ms, p99 ${fmtMs(run.gets.latency.p99)} ms`);

    signal.throwIfAborted();
    progress(`[${store}] ${cfg.lists} full LISTs`);
    run.fullLists = await benchFullLists(client, cfg.lists, progress, signal);

    signal.throwIfAborted();
    progress(`[${store}] ${cfg.pageWalks} walks with limit=${cfg.pageLimit}`);
    run.pages = await benchPagedLists(client, cfg.pageLimit, cfg.pageWalks, signal);
    progress(`[${store}] page p50 ${fmtMs(run.pages.latency.p50)} ms, p99 ${fmtMs(run.pages.latency.p99)} ms`);

    const mem = server.memory();
    run.rssAfterReads = mem.rss;
    run.peakRss = mem.peak;
  } catch (err) {
    run.error = (err as Error).message;
    progress(`[${store}] ERROR: ${run.error}`);
  } finally {
    await closeClient?.();
    await stopServer?.();
    await stopEtcd?.();
  }
  return run;
}

// --- the table -----------------------------------------------------------------------------------

/** CPU ms per create summed over every process taking part: etcd (if any), the server and this client. */
function machineMsPerCreate(r: ApiRun): number | undefined {
  if (r.serverCpuMsPerCreate === undefined || r.clientCpuMsPerCreate === undefined) return undefined;
  return r.serverCpuMsPerCreate + r.clientCpuMsPerCreate + (r.storeCpuMsPerCreate ?? 0);
}

function buildRows(cfg: Config, raw: Record<string, number> | undefined, api: Partial<Record<StoreKind, ApiRun>>): Array<Row | Section> {
  const rawEtcd = raw?.['etcd.raw.putsPerSec'] ?? NaN;
  const rawSqlite = raw?.['sqlite.raw.insertsPerSec'] ?? NaN;
  const num = (v: number | undefined) => cell(v === undefined || !Number.isFinite(v) ? 'n/a' : fmtInt(v));
  const perStore = (f: (r: ApiRun, s: StoreKind) => Cell | undefined): Pick<Row, 'sqlite' | 'etcd'> => {
    const pick = (s: StoreKind) => {
      const r = api[s];
      if (!r) return undefined;
      return f(r, s) ?? cell(r.error ? 'error' : 'n/a');
    };
    return { sqlite: pick('sqlite'), etcd: pick('etcd') };
  };
  const pair = (l?: { p50: number; p99: number }) => (l ? cell(`${fmtMs(l.p50)} / ${fmtMs(l.p99)}`) : undefined);
  const N = fmtInt(cfg.pods);

  const rows: Array<Row | Section> = [
    {
      section: `Raw stores, this run (bench/store-bench.ts; ~1 KB values; SQLite WAL, synchronous=FULL, 1 row/txn; etcd 50 in flight${cfg.warmUp ? `; after ${fmtInt(cfg.warmUp)} untimed writes` : ''})`,
    },
    { metric: 'raw writes/s', sqlite: num(rawSqlite), etcd: num(rawEtcd), target: 'info' },
  ];
  if (raw?.['etcd.raw.etcdCpuMsPerPut'] !== undefined) {
    rows.push({
      metric: 'raw etcd put: CPU ms in etcd / in the etcd3 client',
      etcd: cell(`${raw['etcd.raw.etcdCpuMsPerPut'].toFixed(2)} / ${(raw['etcd.raw.clientCpuMsPerPut'] ?? NaN).toFixed(2)}`),
      target: 'info',
    });
  }
  if (raw?.['sqlite.store.createsPerSec'] !== undefined || raw?.['etcd.store.createsPerSec'] !== undefined) {
    rows.push({
      metric: 'store layer creates/s (50 callers)',
      sqlite: num(raw['sqlite.store.createsPerSec']),
      etcd: num(raw['etcd.store.createsPerSec']),
      target: 'info',
    });
  }

  rows.push(
    { section: `API over HTTPS, ${cfg.clients} keep-alive clients, ${N} pods${cfg.warmUp ? ` (after ${fmtInt(cfg.warmUp)} untimed creates in another namespace)` : ''}` },
    { metric: 'pod creates/s', ...perStore((r) => r.creates && num(r.creates.perSec)), target: 'info' },
    ...(cfg.warmUp
      ? [{ metric: `the untimed warm-up: creates/s of a server fresh from start`, ...perStore((r) => (r.warmUpPerSec !== undefined ? num(r.warmUpPerSec) : undefined)), target: 'info' }]
      : []),
    { metric: 'HTTPS ceiling: GET /version/s, same clients', ...perStore((r) => r.noopPerSec !== undefined ? num(r.noopPerSec) : undefined), target: 'info' },
    {
      metric: 'creates/s ÷ raw etcd puts/s',
      ...perStore((r, s) => {
        if (!r.creates) return undefined;
        const ratio = r.creates.perSec / rawEtcd;
        return judged(Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a', ratio, (v) => v >= TARGET.createRatio[s]);
      }),
      target: `sqlite ≥ ${TARGET.createRatio.sqlite.toFixed(1)}×, etcd ≥ ${TARGET.createRatio.etcd.toFixed(1)}×`,
    },
    {
      metric: 'creates/s ÷ raw SQLite inserts/s',
      sqlite: api.sqlite?.creates ? cell(`${(api.sqlite.creates.perSec / rawSqlite).toFixed(2)}×`) : undefined,
      target: 'info',
    },
    { metric: 'create latency p50 / p99 (ms)', ...perStore((r) => pair(r.creates?.latency)), target: 'info' },
    {
      metric: 'CPU ms per create: server / bench client',
      ...perStore((r) =>
        r.serverCpuMsPerCreate !== undefined
          ? cell(`${r.serverCpuMsPerCreate.toFixed(2)} / ${(r.clientCpuMsPerCreate ?? NaN).toFixed(2)}`)
          : undefined,
      ),
      target: `info (${availableParallelism()} cores shared)`,
    },
    {
      // A main thread near 1 core with the machine not all busy: the server's event loop is the limit.
      metric: 'cores busy while creating: server main thread / machine',
      ...perStore((r) =>
        r.serverMainCores !== undefined ? cell(`${r.serverMainCores.toFixed(2)} / ${(r.machineBusyCores ?? NaN).toFixed(2)} of ${r.cpus}`) : undefined,
      ),
      target: 'info',
    },
    {
      metric: 'CPU ms per create, all processes: etcd + server + bench client',
      ...perStore((r) => {
        const total = machineMsPerCreate(r);
        if (total === undefined) return undefined;
        return cell(`${total.toFixed(2)}${r.storeCpuMsPerCreate !== undefined ? ` (${r.storeCpuMsPerCreate.toFixed(2)} in etcd)` : ''}`);
      }),
      target: 'info',
    },
    {
      // Arithmetic on the two rows above: what this run's CPU per create would allow if every core
      // (or the server's one event loop) did nothing else. A target above it cannot be met on this
      // machine without spending less CPU per create.
      metric: `ceiling ÷ raw etcd: all ${availableParallelism()} cores / the server main thread at 100%`,
      ...perStore((r) => {
        const total = machineMsPerCreate(r);
        if (total === undefined || r.serverMainMsPerCreate === undefined) return undefined;
        const machine = (availableParallelism() * 1000) / total / rawEtcd;
        const main = 1000 / r.serverMainMsPerCreate / rawEtcd;
        return cell(`${machine.toFixed(2)}× / ${main.toFixed(2)}×`);
      }),
      target: 'info',
    },
    {
      metric: 'failed creates',
      ...perStore((r) => r.creates && judged(fmtInt(r.creates.failed), r.creates.failed, (v) => v === 0)),
      target: '0',
    },
    { section: `Reads with ${N} pods stored` },
    { metric: `GET p50 (ms), ${fmtInt(cfg.gets)} sequential`, ...perStore((r) => r.gets && cell(fmtMs(r.gets.latency.p50))), target: 'info' },
    {
      metric: 'GET p99 (ms)',
      ...perStore((r) => r.gets && judged(fmtMs(r.gets.latency.p99), r.gets.latency.p99, (v) => v < TARGET.getP99Ms)),
      target: `< ${TARGET.getP99Ms} ms`,
    },
    { metric: `LIST all p50 / p99 (ms), ${cfg.lists}×`, ...perStore((r) => pair(r.fullLists?.latency)), target: 'info' },
    {
      metric: `LIST limit=${cfg.pageLimit} page p50 / p99 (ms)`,
      ...perStore((r) => pair(r.pages?.latency)),
      target: 'info',
    },
    {
      metric: 'items per full LIST / paged walk',
      ...perStore((r) => {
        if (!r.fullLists || !r.pages || !r.creates) return undefined;
        const want = r.creates.created;
        const counts = [...r.fullLists.itemCounts, ...r.pages.itemCounts];
        const ok = counts.length > 0 && counts.every((c) => c === want) && !r.fullLists.failed && !r.pages.failed;
        const seen = [...new Set(counts)].map(fmtInt).join(',');
        return cell(`${seen || 'none'}`, ok ? 'PASS' : 'MISS');
      }),
      target: '= pods created',
    },
    { section: 'Server memory (VmRSS of the peapod server process)' },
    {
      metric: `RSS after ${N} creates`,
      ...perStore((r) => r.rssAfterCreates !== undefined ? judged(fmtMB(r.rssAfterCreates), r.rssAfterCreates, (v) => v < TARGET.rssBytes) : undefined),
      target: `< ${TARGET.rssBytes / (1024 * 1024)} MB`,
    },
    {
      metric: 'RSS after reads / peak (VmHWM)',
      ...perStore((r) => (r.rssAfterReads !== undefined ? cell(`${fmtMB(r.rssAfterReads)} / ${fmtMB(r.peakRss ?? NaN)}`) : undefined)),
      target: 'info',
    },
  );
  return rows;
}

// --- main ----------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const cfg = readConfig();
  const resources = new Resources();
  // Ctrl-C: stop what is running, let the current phase unwind through its own cleanup, then
  // exit. benchStores owns its etcd and cannot be told to stop, so its children are killed by
  // PID, which makes it fail fast and run its own finally. A second signal exits at once.
  const abort = new AbortController();
  let phase: 'raw' | 'api' = 'raw';
  const killChildren = () => {
    for (const pid of ownChildren()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      progress(`${sig} again: exiting now`);
      killChildren();
      process.exit(130);
    }
    abort.abort();
    progress(`${sig}: stopping servers and etcd (again to exit at once)`);
    if (phase === 'raw') {
      // Also any etcd benchStores starts after this moment: its startup then fails and cleans up.
      killChildren();
      const sweeper = setInterval(() => (phase === 'raw' ? killChildren() : clearInterval(sweeper)), 100);
      sweeper.unref();
    }
    void resources.closeAll();
    // Last resort if a phase does not unwind: never leave children behind.
    setTimeout(() => {
      progress('cleanup is taking too long; killing child processes');
      killChildren();
      process.exit(130);
    }, 30_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  progress(
    `peapod bench: ${cfg.pods} pods, ${cfg.clients} clients, stores ${cfg.stores.join('+')}` +
      (cfg.pods !== TARGET.pods ? ` (reduced: targets are set for ${TARGET.pods} pods)` : ''),
  );
  const errors: string[] = [];

  let raw: Record<string, number> | undefined;
  progress(`[raw] benchStores(n=${cfg.storeOps}): raw SQLite, store layers, raw etcd (this takes a while)`);
  try {
    raw = await benchStores({ n: cfg.storeOps, warmUp: cfg.warmUp });
    for (const [k, v] of Object.entries(raw)) progress(`[raw] ${k} = ${v < 10 ? v.toFixed(3) : fmtInt(v)}`);
    for (const k of ['sqlite.raw.insertsPerSec', 'etcd.raw.putsPerSec']) {
      if (typeof raw[k] !== 'number') errors.push(`benchStores() did not report ${k}`);
    }
  } catch (err) {
    errors.push(`raw store bench: ${(err as Error).message}`);
    progress(`[raw] ERROR: ${(err as Error).message}`);
  }

  const api: Partial<Record<StoreKind, ApiRun>> = {};
  phase = 'api';
  try {
    for (const store of cfg.stores) {
      if (abort.signal.aborted) break;
      api[store] = await benchApi(store, cfg, resources, abort.signal);
      if (api[store]!.error) errors.push(`${store}: ${api[store]!.error}`);
    }
  } finally {
    await resources.closeAll();
  }
  if (abort.signal.aborted) {
    progress('interrupted: no report');
    return 130;
  }

  const title = `peapod bench — ${fmtInt(cfg.pods)} pods${cfg.pods !== TARGET.pods ? ` (BENCH_PODS; targets assume ${fmtInt(TARGET.pods)})` : ''}`;
  process.stdout.write(`\n${title}\n\n${renderTable(buildRows(cfg, raw, api))}\n`);
  for (const s of cfg.stores) {
    const c = api[s]?.creates;
    if (c?.firstFailure) process.stdout.write(`\n${s}: first failed create: ${c.firstFailure}`);
    const lists = [api[s]?.gets, api[s]?.fullLists, api[s]?.pages];
    for (const l of lists) if (l?.firstFailure) process.stdout.write(`\n${s}: first failed read: ${l.firstFailure}`);
  }
  if (errors.length) process.stdout.write(`\n\nPhases that could not run:\n${errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.stdout.write('\n');
  return errors.length ? 1 : 0;
}

// `node dist/bench/run.js [api|scheduling]`: one benchmark, or both (API first) when none is named.
async function dispatch(which: string | undefined): Promise<number> {
  if (which !== undefined && which !== 'api' && which !== 'scheduling') {
    process.stderr.write(`bench: unknown benchmark ${JSON.stringify(which)}; use "api", "scheduling" or nothing for both\n`);
    return 2;
  }
  const code = which === 'scheduling' ? 0 : await main();
  if (which === 'api' || code === 130) return code;
  return Math.max(code, await runSchedulingBench());
}

dispatch(process.argv[2]).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
