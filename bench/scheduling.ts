/**
 * The scheduling benchmark (issue 3): a `peapod server` (SQLite) running the controller manager
 * and scheduler on threads of its own, as it does by default (or, with
 * BENCH_SIM_COMPONENTS=processes, `peapod controller-manager` and `peapod scheduler` as
 * processes of their own), a separate `peapod sim` process with 1,000 simulated nodes, and
 * 10,000 pods, half made by Deployments and half POSTed as bare pods:
 *
 *   1. Deployments: 50 Deployments × 100 replicas, all POSTed at once; the ReplicaSet controller
 *      creates the pods, the scheduler binds them, the sim runs them. Startup is measured from
 *      the moment this process's watch sees the pod ADDED (creationTimestamp has whole seconds);
 *   2. once all of those run, 5,000 bare pods POSTed with 50 in flight; startup is measured from
 *      the moment each POST was sent.
 *
 * One watch on the namespace's pods stamps ADDED, bound (spec.nodeName set) and Running
 * (status.phase) per pod. Scheduling throughput is pods bound per second from the first bind
 * to the last, per set. A side loop GETs a namespace and LISTs nodes (limit=100) every 100 ms
 * over its own connection, for the API latency a user sees meanwhile. The server's VmRSS is
 * sampled every 500 ms and its VmHWM read at the end. The CPU and peak RSS of the server, the
 * sim, the controller manager and scheduler processes and this process are measured apart.
 *
 * Knobs (environment): BENCH_SIM_NODES (1000), BENCH_SIM_PODS (10000; half each way),
 * BENCH_SIM_REPLICAS (100 per Deployment), BENCH_SIM_CLIENTS (50 bare POSTs in flight),
 * BENCH_SIM_COMPONENTS (server: the controller manager and scheduler inside the server, the default;
 * processes: each its own process); BENCH_SIM_STORE (sqlite, or etcd: a one-member etcd started here);
 * BENCH_SIM_TIMES=FILE writes every pod's ADDED / bound / Running stamps there as CSV.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../src/client/rest-client.js';
import type { KubeObject } from '../src/api/object.js';
import { ApiClient, describeFailure } from './api-client.js';
import { benchPod } from './pod-fixture.js';
import { cell, judged, type Cell } from './report.js';
import { machineCpuMs } from './proc.js';
import { startPeapodServer, type PeapodServer } from './server-process.js';
import { ApiProbe, type ProbeSamples } from './sched-api-probe.js';
import { PodWatch, SET_LABEL, wallNow, type PodTimes } from './sched-pod-watch.js';
import { startComponentProcess, startSimProcess, type PeapodProcess, type SimProcess } from './sched-sim-process.js';
import { startEtcd } from '../test/util/etcd.js';
import { envInt, fmtInt, fmtMB, fmtMs, summarize, type LatencySummary } from './stats.js';

const TARGET = {
  nodes: 1000,
  pods: 10_000,
  bindsPerSec: 1000,
  startupP99Ms: 1000,
  rssBytes: 1024 * 1024 * 1024,
};

const NAMESPACE = 'sched-bench';
const NODE_PREFIX = 'bench-node';
/** A set that makes no progress (nothing added, bound or running) for this long is given up on. */
const STALL_MS = 60_000;

interface Config {
  nodes: number;
  pods: number;
  deployments: number[];
  barePods: number;
  clients: number;
  /** The controller manager and scheduler run inside the server rather than as processes. */
  componentsInServer: boolean;
  store: 'sqlite' | 'etcd';
}

function readConfig(): Config {
  const nodes = envInt('BENCH_SIM_NODES', TARGET.nodes);
  const pods = envInt('BENCH_SIM_PODS', TARGET.pods, 2);
  const replicas = envInt('BENCH_SIM_REPLICAS', 100);
  const deploymentPods = Math.floor(pods / 2);
  const count = Math.max(1, Math.ceil(deploymentPods / replicas));
  // Replicas spread evenly, so the Deployments add up to exactly deploymentPods.
  const deployments = Array.from({ length: count }, (_, i) => Math.floor(deploymentPods / count) + (i < deploymentPods % count ? 1 : 0));
  const where = process.env.BENCH_SIM_COMPONENTS ?? 'server';
  if (where !== 'processes' && where !== 'server') throw new Error(`BENCH_SIM_COMPONENTS must be "processes" or "server", got ${JSON.stringify(where)}`);
  const store = process.env.BENCH_SIM_STORE ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'etcd') throw new Error(`BENCH_SIM_STORE must be "sqlite" or "etcd", got ${JSON.stringify(store)}`);
  return { nodes, pods, deployments, barePods: pods - deploymentPods, clients: envInt('BENCH_SIM_CLIENTS', 50), componentsInServer: where === 'server', store };
}

const started = performance.now();
function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] [sched] ${line}\n`);
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

// --- one set of pods ----------------------------------------------------------------------------

interface SetResult {
  want: number;
  added: number;
  bound: number;
  running: number;
  /** Why waiting for the set ended before every pod ran, if it did. */
  incomplete?: string;
  createFailures: number;
  firstCreateFailure?: string;
  /** Pods bound per second, first bind to last. */
  bindsPerSec: number;
  bindWindowMs: number;
  /** Pods created per second: POSTs answered (bare) or ADDED seen (Deployments), first to last. */
  createsPerSec: number;
  /** Origin (POST sent, or ADDED) → Running, of the pods that ran. */
  startup: LatencySummary;
  startupSamples: number[];
  /** ADDED → bound: how long pods waited for the scheduler (and its binding write). */
  addedToBound: LatencySummary;
  /** bound → Running: the sim's part, through the API. */
  boundToRunning: LatencySummary;
  /** From the set's first POST to its last pod Running. */
  makespanMs: number;
}

/**
 * Waits until `want` pods of the set run, printing progress; gives up when nothing moves for
 * STALL_MS or the watch fails, and says so in the answer rather than throwing.
 */
async function waitForSet(watch: PodWatch, set: string, want: number, signal: AbortSignal): Promise<string | undefined> {
  let last = '';
  let lastChange = performance.now();
  let lastPrint = 0;
  for (;;) {
    if (signal.aborted) throw new Interrupted();
    if (watch.failure) return `pod watch failed: ${watch.failure}`;
    const c = watch.countsFor(set);
    const now = performance.now();
    const state = `${c.added}/${c.bound}/${c.running}`;
    if (state !== last) {
      last = state;
      lastChange = now;
    }
    if (now - lastPrint >= 2000 || c.running >= want) {
      lastPrint = now;
      progress(`[${set}] added ${fmtInt(c.added)}, bound ${fmtInt(c.bound)}, running ${fmtInt(c.running)} of ${fmtInt(want)}`);
    }
    if (c.running >= want) return undefined;
    if (now - lastChange > STALL_MS) {
      return `stalled: no pod added, bound or started for ${STALL_MS / 1000} s (added ${c.added}, bound ${c.bound}, running ${c.running} of ${want})`;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function summarizeSet(
  watch: PodWatch,
  set: string,
  want: number,
  origin: (name: string, t: PodTimes) => number | undefined,
  phaseStart: number,
  creates: { failures: number; firstFailure?: string; perSec?: number },
  incomplete: string | undefined,
): SetResult {
  const startup: number[] = [];
  const addedToBound: number[] = [];
  const boundToRunning: number[] = [];
  const binds: number[] = [];
  const adds: number[] = [];
  let lastRunning = NaN;
  for (const [name, t] of watch.pods) {
    if (t.set !== set) continue;
    if (t.added !== undefined) adds.push(t.added);
    if (t.bound !== undefined) binds.push(t.bound);
    if (t.added !== undefined && t.bound !== undefined) addedToBound.push(t.bound - t.added);
    if (t.bound !== undefined && t.running !== undefined) boundToRunning.push(t.running - t.bound);
    if (t.running !== undefined) {
      const o = origin(name, t);
      if (o !== undefined) startup.push(t.running - o);
      if (!(t.running <= lastRunning)) lastRunning = t.running;
    }
  }
  const rate = (stamps: number[]) => {
    if (stamps.length < 2) return NaN;
    const window = Math.max(...stamps) - Math.min(...stamps);
    return window > 0 ? (stamps.length / window) * 1000 : NaN;
  };
  const c = watch.countsFor(set);
  return {
    want,
    added: c.added,
    bound: c.bound,
    running: c.running,
    incomplete,
    createFailures: creates.failures,
    firstCreateFailure: creates.firstFailure,
    bindsPerSec: rate(binds),
    bindWindowMs: binds.length ? Math.max(...binds) - Math.min(...binds) : NaN,
    createsPerSec: creates.perSec ?? rate(adds),
    startup: summarize(startup),
    startupSamples: startup,
    addedToBound: summarize(addedToBound),
    boundToRunning: summarize(boundToRunning),
    makespanMs: lastRunning - phaseStart,
  };
}

/** Runs fn(0..count-1) with at most `limit` calls pending at once; stops early on abort. */
async function forEachLimit(count: number, limit: number, signal: AbortSignal, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count && !signal.aborted; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
  if (signal.aborted) throw new Interrupted();
}

async function runDeployments(api: ApiClient, watch: PodWatch, cfg: Config, signal: AbortSignal): Promise<SetResult> {
  const set = 'deployments';
  const want = cfg.deployments.reduce((a, b) => a + b, 0);
  let failures = 0;
  let firstFailure: string | undefined;
  progress(`[${set}] POSTing ${cfg.deployments.length} Deployments (${want} replicas in all)`);
  const t0 = wallNow();
  await forEachLimit(cfg.deployments.length, cfg.clients, signal, async (d) => {
    const name = `sched-web-${d}`;
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NAMESPACE },
      spec: {
        replicas: cfg.deployments[d],
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name, [SET_LABEL]: set } }, spec: benchPod(d).spec },
      },
    };
    try {
      const res = await api.request('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, body);
      if (res.status !== 201) throw new Error(describeFailure(res));
    } catch (err) {
      failures++;
      firstFailure ??= `Deployment ${name}: ${(err as Error).message}`;
    }
  });
  const incomplete = failures ? `${failures} Deployment POSTs failed` : await waitForSet(watch, set, want, signal);
  return summarizeSet(watch, set, want, (_, t) => t.added, t0, { failures, firstFailure }, incomplete);
}

async function runBarePods(api: ApiClient, watch: PodWatch, cfg: Config, signal: AbortSignal): Promise<SetResult> {
  const set = 'bare';
  const postedAt = new Map<string, number>();
  let failures = 0;
  let firstFailure: string | undefined;
  const names = Array.from({ length: cfg.barePods }, (_, i) => `bare-${String(i).padStart(6, '0')}`);
  const bodies = names.map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: `bare-${i % 20}`, [SET_LABEL]: set } },
    spec: benchPod(i).spec,
  }));
  progress(`[${set}] POSTing ${cfg.barePods} pods, ${cfg.clients} in flight`);
  const t0 = wallNow();
  let lastAnswer = t0;
  await forEachLimit(cfg.barePods, cfg.clients, signal, async (i) => {
    const t = wallNow();
    try {
      const res = await api.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, bodies[i]);
      if (res.status !== 201) throw new Error(describeFailure(res));
      postedAt.set(names[i], t);
    } catch (err) {
      failures++;
      firstFailure ??= `pod ${names[i]}: ${(err as Error).message}`;
    }
    lastAnswer = wallNow();
  });
  const created = cfg.barePods - failures;
  const perSec = (created / (lastAnswer - t0)) * 1000;
  progress(`[${set}] ${fmtInt(created)} created at ${fmtInt(perSec)}/s, ${failures} failed`);
  const incomplete = await waitForSet(watch, set, created, signal);
  return summarizeSet(watch, set, cfg.barePods, (name) => postedAt.get(name), t0, { failures, firstFailure, perSec }, incomplete);
}

// --- the run ------------------------------------------------------------------------------------

interface Usage {
  wallMs: number;
  serverCpuMs: number;
  /** Of serverCpuMs, the main thread's: the event loop serving the API. */
  serverMainCpuMs: number;
  /** Every CPU of the machine over the same time, summed: busy, and busy + idle. */
  machineBusyMs: number;
  machineTotalMs: number;
  cpus: number;
  /** By process ("sim", "controller-manager", "scheduler"). */
  cpuMs: Record<string, number>;
  benchCpuMs: number;
}

interface SchedRun {
  deployments?: SetResult;
  bare?: SetResult;
  baseline?: ProbeSamples;
  probe?: ProbeSamples;
  usage?: Usage;
  serverRssMax?: number;
  serverRssEnd?: number;
  serverPeak?: number;
  /** Peak RSS (VmHWM) by process other than the server. */
  peaks: Record<string, number>;
  nodesReadyMs?: number;
  /** CPU used while only the nodes heartbeat (during the 3 s probe baseline), in cores, by process. */
  idleCores?: Record<string, number>;
  watchReconnects?: number;
  serverProblems: string[];
  /** Warn and error lines by process other than the server. */
  problems: Record<string, { count: number; first: string[] }>;
  error?: string;
}

/** BENCH_SIM_TIMES=FILE: every pod's stamps (ms since the first ADDED) as CSV, for looking at the pipeline. */
function writeTimes(file: string, watch: PodWatch): void {
  const all = [...watch.pods.values()];
  const t0 = Math.min(...all.map((t) => t.added ?? Infinity));
  const rel = (v: number | undefined) => (v === undefined ? '' : (v - t0).toFixed(1));
  const rows = [...watch.pods].map(([name, t]) => `${name},${t.set},${rel(t.added)},${rel(t.bound)},${rel(t.running)}`);
  writeFileSync(file, `name,set,added,bound,running\n${rows.join('\n')}\n`);
}

async function waitForNodes(client: RestClient, want: number, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + 120_000;
  let ready = 0;
  for (;;) {
    if (signal.aborted) throw new Interrupted();
    ready = 0;
    let cont: string | undefined;
    do {
      const page = await client.list<KubeObject>({ group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false }, undefined, { limit: 500, continue: cont });
      for (const n of page.items) {
        const conds = (n.status?.conditions ?? []) as Array<{ type: string; status: string }>;
        if (n.metadata.name?.startsWith(`${NODE_PREFIX}-`) && conds.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
      }
      cont = page.metadata.continue;
    } while (cont);
    if (ready >= want) return;
    if (performance.now() > deadline) throw new Error(`only ${ready} of ${want} simulated nodes are Ready after 120 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Warn and error lines in the tail of a JSON log. */
function problemLines(log: string): string[] {
  return log.split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).map((l) => l.slice(0, 500));
}

async function run(cfg: Config, signal: AbortSignal, onChildren: (pids: number[]) => void): Promise<SchedRun> {
  const result: SchedRun = { serverProblems: [], peaks: {}, problems: {} };
  let server: PeapodServer | undefined;
  let sim: SimProcess | undefined;
  /** The sim and, unless they run in the server, the controller manager and scheduler. */
  const others: PeapodProcess[] = [];
  let rest: RestClient | undefined;
  let api: ApiClient | undefined;
  let probeClient: ApiClient | undefined;
  let watch: PodWatch | undefined;
  let probe: ApiProbe | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let stopEtcd: (() => Promise<void>) | undefined;
  try {
    let etcdEndpoints: string[] | undefined;
    if (cfg.store === 'etcd') {
      progress('starting a one-member etcd');
      const etcd = await startEtcd();
      stopEtcd = () => etcd.stop();
      etcdEndpoints = etcd.endpoints;
    }
    progress(`starting peapod server (${storeName(cfg)}${cfg.componentsInServer ? ', controllers and scheduler on its threads' : ''})`);
    server = await startPeapodServer({ store: cfg.store, etcdEndpoints, extraArgs: cfg.componentsInServer ? [] : ['--no-controllers', '--no-scheduler'] });
    onChildren([server.pid]);
    progress(`server up at ${server.url} (pid ${server.pid})`);
    if (signal.aborted) throw new Interrupted();
    const kubeconfig = join(server.dataDir, 'kubeconfig.yaml');
    if (!cfg.componentsInServer) {
      for (const what of ['controller-manager', 'scheduler'] as const) {
        const p = await startComponentProcess(what, kubeconfig);
        others.push(p);
        onChildren([server.pid, ...others.map((o) => o.pid)]);
        progress(`peapod ${what} running (pid ${p.pid})`);
      }
    }

    const t0 = performance.now();
    progress(`starting peapod sim with ${cfg.nodes} nodes (its own process)`);
    sim = await startSimProcess({ kubeconfig, nodes: cfg.nodes, prefix: NODE_PREFIX });
    others.unshift(sim);
    onChildren([server.pid, ...others.map((o) => o.pid)]);
    rest = new RestClient({ server: server.url, caCert: server.ca, token: server.token, userAgent: 'peapod-bench-watch' });
    await waitForNodes(rest, cfg.nodes, signal);
    result.nodesReadyMs = performance.now() - t0;
    progress(`${cfg.nodes} nodes Ready after ${(result.nodesReadyMs / 1000).toFixed(1)} s (sim pid ${sim.pid})`);

    api = new ApiClient({ url: server.url, token: server.token, ca: server.ca, maxSockets: cfg.clients });
    probeClient = new ApiClient({ url: server.url, token: server.token, ca: server.ca, maxSockets: 1 });
    const ns = await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    if (ns.status !== 201) throw new Error(`creating namespace ${NAMESPACE}: ${describeFailure(ns)}`);
    // Open the bulk client's sockets (TLS handshakes) before any clock starts.
    await Promise.all(Array.from({ length: cfg.clients }, () => api!.request('GET', `/api/v1/namespaces/${NAMESPACE}`)));

    watch = new PodWatch(rest, NAMESPACE);
    await watch.start();
    probe = new ApiProbe(probeClient, NAMESPACE);
    probe.start();
    progress('API latency baseline: 3 s of the probe on the idle cluster');
    const cpuNow = () => Object.fromEntries([['server', server!.cpuMs()], ...others.map((o) => [o.what, o.cpuMs()])]) as Record<string, number>;
    const idle0 = { wall: performance.now(), cpu: cpuNow() };
    await new Promise((r) => setTimeout(r, 3000));
    result.baseline = probe.take();
    const idleWall = performance.now() - idle0.wall;
    const idle1 = cpuNow();
    result.idleCores = Object.fromEntries(Object.entries(idle1).map(([k, v]) => [k, (v - idle0.cpu[k]!) / idleWall]));

    let rssMax = 0;
    const sample = () => {
      const rss = server!.memory().rss;
      if (rss > rssMax) rssMax = rss;
    };
    sampler = setInterval(sample, 500);
    const usage0 = { wall: performance.now(), cpu: cpuNow(), main: server.mainThreadCpuMs(), machine: machineCpuMs(), bench: process.cpuUsage() };

    result.deployments = await runDeployments(api, watch, cfg, signal);
    if (result.deployments.incomplete) progress(`[deployments] ${result.deployments.incomplete}`);
    result.bare = await runBarePods(api, watch, cfg, signal);
    if (result.bare.incomplete) progress(`[bare] ${result.bare.incomplete}`);

    const bench = process.cpuUsage(usage0.bench);
    const usage1 = cpuNow();
    const machine1 = machineCpuMs();
    result.usage = {
      wallMs: performance.now() - usage0.wall,
      serverCpuMs: usage1.server! - usage0.cpu.server!,
      serverMainCpuMs: server.mainThreadCpuMs() - usage0.main,
      machineBusyMs: machine1.busy - usage0.machine.busy,
      machineTotalMs: machine1.total - usage0.machine.total,
      cpus: machine1.cpus,
      cpuMs: Object.fromEntries(others.map((o) => [o.what, usage1[o.what]! - usage0.cpu[o.what]!])),
      benchCpuMs: (bench.user + bench.system) / 1000,
    };
    result.probe = await probe.stop();
    sample();
    result.serverRssMax = rssMax;
    const mem = server.memory();
    result.serverRssEnd = mem.rss;
    result.serverPeak = mem.peak;
    for (const o of others) result.peaks[o.what] = o.memory().peak;
    result.watchReconnects = watch.reconnects;
    const timesFile = process.env.BENCH_SIM_TIMES;
    if (timesFile) writeTimes(timesFile, watch);
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    result.error = (err as Error).message;
    progress(`ERROR: ${result.error}`);
  } finally {
    clearInterval(sampler);
    await probe?.stop();
    watch?.stop();
    rest?.close();
    api?.close();
    probeClient?.close();
    // The sim first (its nodes stop), then the controllers and scheduler, then the server.
    for (const o of others) {
      result.problems[o.what] = o.problems();
      const how = await o.stop();
      if (how !== '0') progress(`note: peapod ${o.what} exited with ${how} on SIGTERM (expected 0)`);
    }
    if (server) {
      result.serverProblems = problemLines(server.logTail());
      const how = await server.stop();
      if (how !== '0') progress(`note: server exited with ${how} on SIGTERM (expected 0)`);
    }
    await stopEtcd?.();
  }
  return result;
}

function storeName(cfg: Config): string {
  return cfg.store === 'etcd' ? 'etcd (one member)' : 'SQLite';
}

// --- the report ---------------------------------------------------------------------------------

interface Line {
  metric: string;
  value: Cell;
  target?: string;
}

function render(rows: ReadonlyArray<Line | { section: string }>): string {
  const show = (c: Cell) => (c.verdict ? `${c.text}  ${c.verdict}` : c.text);
  const body = rows.map((r) => ('section' in r ? null : [r.metric, show(r.value), r.target ?? '']));
  const header = ['', 'value', 'target'];
  const widths = header.map((h, col) => Math.max(h.length, ...body.map((cells) => (cells ? cells[col].length : 0))));
  const line = (cells: string[]) => cells.map((c, col) => (col === 1 ? c.padStart(widths[col]) : c.padEnd(widths[col]))).join('   ').trimEnd();
  const out = [line(header), '-'.repeat(widths.reduce((a, b) => a + b, 0) + 6)];
  rows.forEach((r, i) => {
    if ('section' in r) out.push(`${out.length > 2 ? '\n' : ''}${r.section}`);
    else out.push(line(body[i]!));
  });
  return out.join('\n');
}

const pair = (l: LatencySummary) => `${fmtMs(l.p50)} / ${fmtMs(l.p99)}`;
const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a');

function setRows(r: SetResult, originText: string): Line[] {
  return [
    { metric: 'pods Running / wanted', value: cell(`${fmtInt(r.running)} / ${fmtInt(r.want)}`, r.running === r.want ? 'PASS' : 'MISS'), target: 'all' },
    { metric: 'failed creates', value: judged(fmtInt(r.createFailures), r.createFailures, (v) => v === 0), target: '0' },
    { metric: 'pods created/s', value: cell(fmtInt(r.createsPerSec)), target: 'info' },
    {
      metric: `scheduling throughput (binds/s over ${seconds(r.bindWindowMs)})`,
      value: judged(fmtInt(r.bindsPerSec), r.bindsPerSec, (v) => v >= TARGET.bindsPerSec),
      target: `≥ ${fmtInt(TARGET.bindsPerSec)} pods/s`,
    },
    { metric: 'ADDED → bound p50 / p99 (ms)', value: cell(pair(r.addedToBound)), target: 'info' },
    { metric: 'bound → Running p50 / p99 (ms)', value: cell(pair(r.boundToRunning)), target: 'info' },
    { metric: `startup ${originText} → Running p50 (ms)`, value: cell(fmtMs(r.startup.p50)), target: 'info' },
    {
      metric: `startup ${originText} → Running p99 (ms)`,
      value: judged(fmtMs(r.startup.p99), r.startup.p99, (v) => v < TARGET.startupP99Ms),
      target: `< ${fmtInt(TARGET.startupP99Ms)} ms`,
    },
    { metric: 'first POST → last pod Running', value: cell(seconds(r.makespanMs)), target: 'info' },
  ];
}

function buildReport(cfg: Config, r: SchedRun): string {
  const rows: Array<Line | { section: string }> = [];
  const replicas = [...new Set(cfg.deployments)].join('/');
  const layout = cfg.componentsInServer ? 'controller manager and scheduler on threads of the server' : 'controller manager and scheduler as processes';
  rows.push({
    section: `Cluster: ${fmtInt(cfg.nodes)} simulated nodes in one \`peapod sim\` process; server on ${storeName(cfg)}; ${layout}; ${availableParallelism()} cores shared by all of them and this client`,
  });
  if (r.nodesReadyMs !== undefined) rows.push({ metric: 'sim start → all nodes Ready', value: cell(seconds(r.nodesReadyMs)), target: 'info' });
  if (r.deployments) {
    rows.push({ section: `Deployments: ${cfg.deployments.length} × ${replicas} replicas = ${fmtInt(r.deployments.want)} pods, all POSTed at once (startup from the watch's ADDED)` });
    rows.push(...setRows(r.deployments, 'ADDED'));
  }
  if (r.bare) {
    rows.push({ section: `Bare pods: ${fmtInt(r.bare.want)} POSTs, ${cfg.clients} in flight, after the Deployments' pods run (startup from the POST)` });
    rows.push(...setRows(r.bare, 'POST'));
  }
  if (r.deployments && r.bare) {
    const sets = [r.deployments, r.bare];
    const bound = sets.reduce((a, s) => a + s.bound, 0);
    const windowMs = sets.reduce((a, s) => a + (Number.isFinite(s.bindWindowMs) ? s.bindWindowMs : 0), 0);
    const perSec = windowMs > 0 ? (bound / windowMs) * 1000 : NaN;
    const all = summarize(sets.flatMap((s) => s.startupSamples));
    rows.push(
      { section: `All ${fmtInt(cfg.pods)} pods` },
      {
        metric: 'scheduling throughput (binds ÷ both bind windows)',
        value: judged(fmtInt(perSec), perSec, (v) => v >= TARGET.bindsPerSec),
        target: `≥ ${fmtInt(TARGET.bindsPerSec)} pods/s`,
      },
      { metric: 'startup p50 (ms)', value: cell(fmtMs(all.p50)), target: 'info' },
      { metric: 'startup p99 (ms)', value: judged(fmtMs(all.p99), all.p99, (v) => v < TARGET.startupP99Ms), target: `< ${fmtInt(TARGET.startupP99Ms)} ms` },
      { metric: 'startup max (ms)', value: cell(fmtMs(all.max)), target: 'info' },
    );
  }
  if (r.probe && r.baseline) {
    const get = summarize(r.probe.getMs);
    const list = summarize(r.probe.listMs);
    const get0 = summarize(r.baseline.getMs);
    const list0 = summarize(r.baseline.listMs);
    rows.push(
      { section: `API latency during the run: every 100 ms a GET of a namespace and a LIST of nodes (limit=100), own connection` },
      { metric: `GET namespace p50 / p99 / max (ms), ${fmtInt(get.n)}×`, value: cell(`${pair(get)} / ${fmtMs(get.max)}`), target: 'info (k8s SLO: p99 ≤ 1 s)' },
      { metric: `LIST nodes limit=100 p50 / p99 / max (ms), ${fmtInt(list.n)}×`, value: cell(`${pair(list)} / ${fmtMs(list.max)}`), target: 'info (k8s SLO: p99 ≤ 30 s)' },
      { metric: 'same on the idle cluster before: GET / LIST p99 (ms)', value: cell(`${fmtMs(get0.p99)} / ${fmtMs(list0.p99)}`), target: 'info' },
      { metric: 'failed probe requests', value: judged(fmtInt(r.probe.failures), r.probe.failures, (v) => v === 0), target: '0' },
    );
  }
  if (r.serverPeak !== undefined) {
    rows.push(
      { section: 'Resources' },
      { metric: 'server peak RSS (VmHWM)', value: judged(fmtMB(r.serverPeak), r.serverPeak, (v) => v < TARGET.rssBytes), target: `< ${fmtMB(TARGET.rssBytes)}` },
      { metric: 'server RSS: max sampled / at end', value: cell(`${fmtMB(r.serverRssMax ?? NaN)} / ${fmtMB(r.serverRssEnd ?? NaN)}`), target: 'info' },
      ...Object.entries(r.peaks).map(([what, peak]) => ({ metric: `${what} process peak RSS (VmHWM)`, value: cell(fmtMB(peak)), target: 'info' })),
    );
    if (r.usage) {
      const cores = (ms: number) => `${(ms / r.usage!.wallMs).toFixed(2)} cores`;
      const u = r.usage;
      const podsDone = (r.deployments?.running ?? 0) + (r.bare?.running ?? 0);
      const allMs = u.serverCpuMs + Object.values(u.cpuMs).reduce((a, b) => a + b, 0) + u.benchCpuMs;
      rows.push(
        { metric: `CPU during the ${seconds(u.wallMs)} of pods: server`, value: cell(cores(u.serverCpuMs)), target: 'info' },
        { metric: '  of which its main thread (the API event loop)', value: cell(cores(u.serverMainCpuMs)), target: 'info' },
        ...Object.entries(u.cpuMs).map(([what, ms]) => ({ metric: `  ${what} process`, value: cell(cores(ms)), target: 'info' })),
        { metric: '  this client (POSTs, watch, probe)', value: cell(cores(u.benchCpuMs)), target: 'info' },
        // Busy near all CPUs means the run is bound by the machine's CPU as a whole, not by one
        // thread: only less work per pod (anywhere) makes it faster.
        { metric: `  the whole machine busy (of ${u.cpus} CPUs)`, value: cell(`${((u.machineBusyMs / u.machineTotalMs) * u.cpus).toFixed(2)} cores`), target: 'info' },
        { metric: 'CPU ms per pod Running, these processes together', value: cell(podsDone > 0 ? (allMs / podsDone).toFixed(2) : '-'), target: 'info' },
        // Arithmetic on the row above: at the target rate every pod may cost at most cpus × 1000 ÷
        // target ms of CPU, all processes together, even with every core busy on nothing else.
        {
          metric: `${u.cpus} CPUs all busy: most pods/s at this CPU per pod / CPU ms a pod may cost at the target`,
          value: cell(podsDone > 0 ? `${fmtInt((u.cpus * 1000 * podsDone) / allMs)} / ${((u.cpus * 1000) / TARGET.bindsPerSec).toFixed(2)}` : '-'),
          target: 'info',
        },
      );
    }
    if (r.idleCores) {
      const idle = Object.entries(r.idleCores);
      rows.push({
        metric: `CPU before any pod (heartbeats only): ${idle.map(([k]) => k).join(' / ')}`,
        value: cell(`${idle.map(([, v]) => v.toFixed(2)).join(' / ')} cores`),
        target: 'info',
      });
    }
  }
  let text = `\npeapod scheduling bench — ${fmtInt(cfg.nodes)} nodes, ${fmtInt(cfg.pods)} pods` +
    (cfg.nodes !== TARGET.nodes || cfg.pods !== TARGET.pods ? ` (reduced: targets assume ${fmtInt(TARGET.nodes)} nodes, ${fmtInt(TARGET.pods)} pods)` : '') +
    `\n\n${render(rows)}\n`;
  const notes: string[] = [];
  for (const [name, s] of [['deployments', r.deployments], ['bare pods', r.bare]] as const) {
    if (s?.incomplete) notes.push(`${name}: ${s.incomplete}`);
    if (s?.firstCreateFailure) notes.push(`${name}: first failed create: ${s.firstCreateFailure}`);
  }
  if (r.probe?.firstFailure) notes.push(`probe: first failure: ${r.probe.firstFailure}`);
  if (r.watchReconnects) notes.push(`the pod watch was re-opened ${r.watchReconnects} time(s)`);
  for (const [what, p] of Object.entries(r.problems)) {
    if (p.count) notes.push(`peapod ${what} logged ${p.count} warn/error line(s); first:\n      ${p.first.join('\n      ')}`);
  }
  if (r.serverProblems.length) notes.push(`server log tail has ${r.serverProblems.length} warn/error line(s); last:\n      ${r.serverProblems.slice(-5).join('\n      ')}`);
  if (r.error) notes.push(`the run stopped early: ${r.error}`);
  if (notes.length) text += `\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}\n`;
  return text;
}

// --- entry --------------------------------------------------------------------------------------

/** Runs the scheduling benchmark and prints its table; resolves with the exit code (0, 1, 130). */
export async function runSchedulingBench(): Promise<number> {
  const cfg = readConfig();
  const abort = new AbortController();
  let children: number[] = [];
  // Ctrl-C: the run unwinds through its own cleanup (stops sim, components and server); again: kill at once.
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      progress(`${sig} again: killing the server, sim and components now`);
      for (const pid of children) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      process.exit(130);
    }
    progress(`${sig}: stopping the sim and the server (again to exit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    progress(
      `scheduling bench: ${cfg.nodes} nodes, ${cfg.pods} pods = ${cfg.deployments.length} Deployments (${cfg.deployments.reduce((a, b) => a + b, 0)} replicas) + ${cfg.barePods} bare pods`,
    );
    let result: SchedRun;
    try {
      result = await run(cfg, abort.signal, (pids) => (children = pids));
    } catch (err) {
      if (err instanceof Interrupted) {
        progress('interrupted: no report');
        return 130;
      }
      throw err;
    }
    process.stdout.write(buildReport(cfg, result));
    return result.error ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
