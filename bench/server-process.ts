/**
 * Runs the real `peapod server` binary for a benchmark: a fresh data dir, port 0, and the
 * credentials it writes there. stop() ends exactly the process it started and removes the dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mainThreadCpuMs, procCpuMs, procMemory } from './proc.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const peapodBin = join(repoRoot, 'bin/peapod.js');
const UP_LINE = /peapod control plane is up at (https:\/\/\S+)/;

export interface ServerStoreOptions {
  store: 'sqlite' | 'etcd';
  etcdEndpoints?: string[];
  /** --etcd-prefix; omitted when undefined, so the server's default is what gets measured. */
  etcdPrefix?: string;
  /** Extra `peapod server` flags (the API benchmark passes --no-controllers --no-scheduler). */
  extraArgs?: string[];
}

export interface PeapodServer {
  url: string;
  pid: number;
  dataDir: string;
  token: string;
  ca: string;
  /** Current and peak resident set size of the server process, in bytes (from /proc/PID/status). */
  memory(): { rss: number; peak: number };
  /** CPU time (user + system) the server process has used so far, in milliseconds. */
  cpuMs(): number;
  /** The same for its main thread alone: the event loop that serves the API. */
  mainThreadCpuMs(): number;
  /** Log lines the server wrote to stderr so far (tail), for error reports. */
  logTail(): string;
  /**
   * SIGTERM, SIGKILL after a grace period, then removes the data dir; idempotent. Resolves with
   * how the process ended ("0", "1", "SIGKILL"), so an unclean shutdown can be reported.
   */
  stop(): Promise<string>;
}

export async function startPeapodServer(opts: ServerStoreOptions, timeoutMs = 60_000): Promise<PeapodServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'peapod-bench-server-'));
  // BENCH_SERVER_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops.
  const prof = process.env.BENCH_SERVER_CPU_PROF;
  const args = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), peapodBin, 'server', '--data-dir', dataDir, '--port', '0'];
  if (opts.store === 'etcd') {
    args.push('--store', 'etcd', '--etcd-endpoints', (opts.etcdEndpoints ?? []).join(','));
    if (opts.etcdPrefix !== undefined) args.push('--etcd-prefix', opts.etcdPrefix);
  }
  args.push(...(opts.extraArgs ?? []));
  // BENCH_SERVER_ARGS="--flag value ...": more `peapod server` flags, for trying settings.
  args.push(...(process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  // Keep only a tail: a long run must not grow these buffers without bound.
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8192)));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-16384)));
  // BENCH_SERVER_LOG=FILE: the server's whole log (stderr) goes there too.
  const logFile = process.env.BENCH_SERVER_LOG;
  if (logFile) child.stderr.pipe(createWriteStream(logFile));
  const stopChild = stopper(child);
  let stopping: Promise<string> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const how = await stopChild();
      rmSync(dataDir, { recursive: true, force: true });
      return how;
    })());

  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`peapod server did not come up within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const m = UP_LINE.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolveUrl(m[1]);
        }
      };
      child.stdout.on('data', check);
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`peapod server exited (${code ?? sig}) before it was up`));
      });
    });
    const token = readFileSync(join(dataDir, 'tokens'), 'utf8').split('\n')[0].split(',')[0].trim();
    const ca = readFileSync(join(dataDir, 'pki/ca.crt'), 'utf8');
    return {
      url,
      pid: child.pid!,
      dataDir,
      token,
      ca,
      memory: () => procMemory(child.pid!),
      cpuMs: () => procCpuMs(child.pid!),
      mainThreadCpuMs: () => mainThreadCpuMs(child.pid!),
      logTail: () => err.slice(-4000),
      stop,
    };
  } catch (e) {
    const tail = err.slice(-3000);
    await stop();
    throw new Error(`${(e as Error).message}\n--- server stderr (tail) ---\n${tail}`, { cause: e });
  }
}

/**
 * Stops a child process once, however often it is asked: SIGTERM, SIGKILL after 10 s.
 * Resolves with how it ended ("0", "1", "SIGKILL"), so an unclean shutdown can be reported.
 */
export function stopper(child: ChildProcess): () => Promise<string> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  let stopping: Promise<string> | undefined;
  return () =>
    (stopping ??= (async () => {
      if (alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => alive() && child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      return String(child.exitCode ?? child.signalCode);
    })());
}
