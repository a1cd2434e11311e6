/**
 * End-to-end test harness: runs the real `peapod server` binary as a child process on a free
 * port with its own data dir, and the real kubectl against it with its own discovery cache.
 * stop() ends exactly the process it started and removes what it made.
 */
import https from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './wait.js';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const peapodBin = join(repoRoot, 'bin/peapod.js');
export const kubectlDefault = '/usr/bin/kubectl';
export const kubectlVersioned = (minor: number) => `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;

export interface ServerOptions {
  store?: 'sqlite' | 'etcd';
  etcdEndpoints?: string[];
  etcdPrefix?: string;
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  port?: number;
  extraArgs?: string[];
}

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  kubeconfig: string;
  proc: ChildProcess;
  /** stderr collected so far (JSON log lines), for failure messages. */
  logs(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (crash tests). */
  kill(): Promise<void>;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'peapod-e2e-'));
  const args = [peapodBin, 'server', '--data-dir', dataDir, '--port', String(opts.port ?? 0)];
  if (opts.store === 'etcd') {
    args.push('--store', 'etcd', '--etcd-endpoints', (opts.etcdEndpoints ?? []).join(','));
    if (opts.etcdPrefix) args.push('--etcd-prefix', opts.etcdPrefix);
  }
  args.push(...(opts.extraArgs ?? []));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => {
    err += d;
    // PEAPOD_TEST_SERVER_LOGS=DIR keeps every test server's log lines for debugging.
    if (process.env.PEAPOD_TEST_SERVER_LOGS) appendFileSync(join(process.env.PEAPOD_TEST_SERVER_LOGS, `server-${proc.pid}.log`), d);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let url: string;
  try {
    url = await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`peapod server exited with ${proc.exitCode}: ${err.slice(-2000)}`);
        return /up at (https:\/\/\S+)/.exec(out)?.[1];
      },
      { timeoutMs: 30_000, message: 'peapod server to start' },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    await exited;
    // A data dir this call made for a server that never came up is nobody else's to remove.
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const port = Number(new URL(url).port);
  const end = async (sig: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    await exited;
  };
  return {
    url,
    port,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig.yaml'),
    proc,
    logs: () => err,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlRunOptions {
  input?: string;
  bin?: string;
  timeoutMs?: number;
  /** Extra environment for this run (KUBE_EDITOR for kubectl edit). */
  env?: Record<string, string>;
}

export interface Kubectl {
  (args: string[], opts?: KubectlRunOptions): Promise<KubectlResult>;
  /** Like calling it, but throws with stderr when kubectl fails. */
  ok(args: string[], opts?: KubectlRunOptions): Promise<string>;
  /** Starts a long-running kubectl (get -w); returns the process and its growing stdout. */
  spawn(args: string[], opts?: { bin?: string }): { proc: ChildProcess; output(): string; stop(): Promise<void> };
  cacheDir: string;
  cleanup(): void;
}

/** kubectl bound to a kubeconfig, with a private discovery cache so no test sees stale discovery. */
export function kubectlFor(kubeconfig: string): Kubectl {
  const cacheDir = mkdtempSync(join(tmpdir(), 'peapod-kubectl-cache-'));
  const base = (bin: string, args: string[]) => ({ bin, argv: ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args] });
  const run = (args: string[], opts: KubectlRunOptions = {}): Promise<KubectlResult> => {
    const { bin, argv } = base(opts.bin ?? kubectlDefault, args);
    return new Promise((resolvePromise, reject) => {
      const p = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env, KUBECONFIG: kubeconfig, HOME: cacheDir } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      p.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(opts.input ?? '');
    });
  };
  const k = run as Kubectl;
  k.ok = async (args, opts) => {
    const r = await run(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  k.spawn = (args, opts = {}) => {
    const { bin, argv } = base(opts.bin ?? kubectlDefault, args);
    const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: cacheDir } });
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    return {
      proc,
      output: () => output,
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        await exited;
      },
    };
  };
  k.cacheDir = cacheDir;
  k.cleanup = () => rmSync(cacheDir, { recursive: true, force: true });
  return k;
}

/** Reads the admin token and CA from a server's data dir, for direct HTTPS requests in tests. */
export function adminCredentials(dataDir: string): { token: string; ca: string } {
  const token = readFileSync(join(dataDir, 'tokens'), 'utf8').split('\n')[0].split(',')[0];
  const ca = readFileSync(join(dataDir, 'pki/ca.crt'), 'utf8');
  return { token, ca };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTPS request to the server exactly as given (path, headers, body), with the admin token
 * unless `auth` is false, for tests of the wire protocol itself.
 */
export function rawRequest(
  server: RunningServer,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  auth = true,
): Promise<RawResponse> {
  const { token, ca } = adminCredentials(server.dataDir);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        ca,
        headers: { ...(auth ? { Authorization: `Bearer ${token}` } : {}), ...headers },
      },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function removeDir(dir: string): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

export interface RunningProcess {
  proc: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGTERM (the process shuts down cleanly) and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

/**
 * Runs another `peapod` subcommand (controller-manager, scheduler, sim) until stopped. Unless
 * `args` name a --health-port, it gets `--health-port 0`: the fixed default ports (10257,
 * 10259, 10260) would collide between copies and with tests running side by side.
 */
export async function startPeapod(args: string[], opts: { ready?: RegExp; timeoutMs?: number } = {}): Promise<RunningProcess> {
  if (!args.some((a) => a === '--health-port' || a.startsWith('--health-port='))) args = [...args, '--health-port', '0'];
  const proc = spawn(process.execPath, [peapodBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => {
    out += d;
    if (process.env.PEAPOD_TEST_SERVER_LOGS) appendFileSync(join(process.env.PEAPOD_TEST_SERVER_LOGS, `${args[0]}-${proc.pid}.log`), d);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const end = async (sig: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    await exited;
  };
  if (opts.ready) {
    try {
      await waitFor(
        () => {
          if (proc.exitCode !== null) throw new Error(`peapod ${args[0]} exited with ${proc.exitCode}: ${out.slice(-2000)}`);
          return opts.ready!.test(out);
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, message: `peapod ${args[0]} to start` },
      );
    } catch (e) {
      await end('SIGKILL');
      throw e;
    }
  }
  return { proc, output: () => out, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
