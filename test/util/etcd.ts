/**
 * Starts real etcd servers for tests: free 127.0.0.1 ports, a temp data dir per member, and a
 * stop() that kills exactly the PIDs it started and removes the dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export const ETCD_BINARY = process.env.ETCD_BINARY ?? '/usr/bin/etcd';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  /** PID of the running process, or undefined after kill(). */
  pid(): number | undefined;
  /** SIGKILLs this member (for failover tests); start() brings it back with the same data dir. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface EtcdCluster {
  /** Client URLs of all members, e.g. ["http://127.0.0.1:40123"]. */
  endpoints: string[];
  members: EtcdMember[];
  /** Kills every process this helper started and removes the data dirs; idempotent. */
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts an etcd cluster of `size` members (default 1) and waits until every member is healthy. */
export async function startEtcd(opts: { size?: number; timeoutMs?: number } = {}): Promise<EtcdCluster> {
  const size = opts.size ?? 1;
  const root = mkdtempSync(join(tmpdir(), 'peapod-etcd-'));
  const specs: Array<{ name: string; clientUrl: string; peerUrl: string; dir: string }> = [];
  for (let i = 0; i < size; i++) {
    const [cp, pp] = [await freePort(), await freePort()];
    specs.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${cp}`,
      peerUrl: `http://127.0.0.1:${pp}`,
      dir: join(root, `m${i}`),
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const children = new Map<string, ChildProcess>();

  const launch = (s: (typeof specs)[number]) => {
    const logFd = openSync(join(root, `${s.name}.log`), 'a');
    const child = spawn(
      ETCD_BINARY,
      [
        '--name', s.name,
        '--data-dir', s.dir,
        '--listen-client-urls', s.clientUrl,
        '--advertise-client-urls', s.clientUrl,
        '--listen-peer-urls', s.peerUrl,
        '--initial-advertise-peer-urls', s.peerUrl,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `peapod-test-${process.pid}`,
        '--logger=zap',
        '--log-level=error',
        '--heartbeat-interval=50',
        '--election-timeout=500',
      ],
      // Output goes to a file: a pipe nobody drains would eventually block etcd.
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    children.set(s.name, child);
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      [...children.values()].map(async (child) => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited(child);
      }),
    );
    children.clear();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    for (const s of specs) launch(s);
    await waitFor(async () => (await Promise.all(specs.map((s) => healthy(s.clientUrl)))).every(Boolean), {
      timeoutMs: opts.timeoutMs ?? 20_000,
      intervalMs: 50,
      message: `etcd cluster of ${size} to become healthy`,
    });
  } catch (err) {
    const logs = specs.map((s) => {
      try {
        return readFileSync(join(root, `${s.name}.log`), 'utf8').slice(-2000);
      } catch {
        return '';
      }
    });
    await stop();
    throw new Error(`etcd did not start: ${logs.join('\n')}`, { cause: err });
  }

  const members: EtcdMember[] = specs.map((s) => ({
    name: s.name,
    clientUrl: s.clientUrl,
    peerUrl: s.peerUrl,
    pid: () => {
      const c = children.get(s.name);
      return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
    },
    kill: async () => {
      const c = children.get(s.name);
      if (!c) return;
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    },
    start: async () => {
      const c = children.get(s.name);
      if (c && c.exitCode === null && c.signalCode === null) return;
      launch(s);
      await waitFor(() => healthy(s.clientUrl), { timeoutMs: 20_000, intervalMs: 50, message: `${s.name} healthy` });
    },
  }));

  return { endpoints: specs.map((s) => s.clientUrl), members, stop };
}
