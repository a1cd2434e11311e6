/**
 * Runs the parts of the cluster other than the API server as their own processes for the
 * scheduling benchmark, like a real cluster does: `peapod sim` (the simulated nodes), and,
 * unless the benchmark runs them inside the server, `peapod controller-manager` and
 * `peapod scheduler`. Their CPU and memory are thus measured apart from the server's, and
 * they run on the cores the server's event loop does not use. stop() ends exactly the
 * process it started; nothing is left on disk (the kubeconfig belongs to the server's data dir).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { procCpuMs, procMemory } from './proc.js';
import { stopper } from './server-process.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const peapodBin = join(repoRoot, 'bin/peapod.js');

export interface SimProcessOptions {
  kubeconfig: string;
  nodes: number;
  /** Nodes are named <prefix>-0 .. <prefix>-<n-1>. */
  prefix: string;
  /** --heartbeat-interval; the sim's default (10 s) when undefined. */
  heartbeatInterval?: string;
}

export interface PeapodProcess {
  /** What runs, e.g. "sim" or "scheduler". */
  what: string;
  pid: number;
  /** Current and peak resident set size, in bytes. */
  memory(): { rss: number; peak: number };
  /** CPU time (user + system) used so far, in milliseconds. */
  cpuMs(): number;
  /** Log lines at level warn or error written so far (the first few, and how many in all). */
  problems(): { count: number; first: string[] };
  logTail(): string;
  /** SIGTERM, SIGKILL after a grace period; idempotent. Resolves with how the process ended. */
  stop(): Promise<string>;
}

export type SimProcess = PeapodProcess;

/** Starts the sim and resolves once it says every node is registered. */
export function startSimProcess(opts: SimProcessOptions, timeoutMs = 180_000): Promise<SimProcess> {
  // --health-port 0: the benchmark reads no health endpoint, and a fixed port could be taken.
  const args = ['sim', '--kubeconfig', opts.kubeconfig, '--nodes', String(opts.nodes), '--prefix', opts.prefix, '--health-port', '0'];
  if (opts.heartbeatInterval !== undefined) args.push('--heartbeat-interval', opts.heartbeatInterval);
  return startPeapodProcess('sim', args, /peapod sim running/, 'register its nodes', timeoutMs);
}

/**
 * Starts `peapod controller-manager` or `peapod scheduler` against the kubeconfig, with their
 * default leader election (as in a cluster), and resolves once the process says it runs.
 */
export function startComponentProcess(what: 'controller-manager' | 'scheduler', kubeconfig: string, timeoutMs = 60_000): Promise<PeapodProcess> {
  return startPeapodProcess(what, [what, '--kubeconfig', kubeconfig, '--health-port', '0'], new RegExp(`peapod ${what} running`), 'start', timeoutMs);
}

async function startPeapodProcess(what: string, args: string[], ready: RegExp, doing: string, timeoutMs: number): Promise<PeapodProcess> {
  // BENCH_COMPONENT_CPU_PROF=DIR: the sim, controller-manager and scheduler processes write V8 CPU profiles there when they stop.
  const prof = process.env.BENCH_COMPONENT_CPU_PROF;
  const child = spawn(process.execPath, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), peapodBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let partial = '';
  const problems = { count: 0, first: [] as string[] };
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8192)));
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    err = (err + text).slice(-16384);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!/"level":"(warn|error)"/.test(line)) continue;
      problems.count++;
      if (problems.first.length < 5) problems.first.push(line.slice(0, 500));
    }
  });
  const stop = stopper(child);

  try {
    await new Promise<void>((resolveUp, reject) => {
      const timer = setTimeout(() => reject(new Error(`peapod ${what} did not ${doing} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (!ready.test(out)) return;
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolveUp();
      };
      child.stdout.on('data', check);
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`peapod ${what} exited (${code ?? sig}) before it was up`));
      });
    });
  } catch (e) {
    const tail = err.slice(-3000);
    await stop();
    throw new Error(`${(e as Error).message}\n--- ${what} stderr (tail) ---\n${tail}`, { cause: e });
  }
  return {
    what,
    pid: child.pid!,
    memory: () => procMemory(child.pid!),
    cpuMs: () => procCpuMs(child.pid!),
    problems: () => ({ count: problems.count, first: [...problems.first] }),
    logTail: () => err.slice(-4000),
    stop,
  };
}
