/**
 * The health endpoints of the component processes: the real `peapod controller-manager`,
 * `peapod scheduler` and `peapod sim` against a real `peapod server`, probed over HTTP on
 * 127.0.0.1 at the port each one says it picked (--health-port 0).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { kubectlFor, peapodBin, removeDir, startPeapod, startServer, type Kubectl, type RunningProcess, type RunningServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

/** The health URL a component printed in its "running" line; checks its structured log line says the same port. */
function healthURL(p: RunningProcess): string {
  const m = /running.*, health checks at (http:\/\/127\.0\.0\.1:(\d+))\n/.exec(p.output());
  assert.ok(m, `no health URL in:\n${p.output().slice(-2000)}`);
  const logged = p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; port?: number; url?: string })
    .find((l) => l.msg === 'serving health checks');
  assert.deepEqual({ port: logged?.port, url: logged?.url }, { port: Number(m[2]), url: m[1] });
  return m[1];
}

async function get(url: string): Promise<{ code: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { code: res.status, body: await res.text() };
}

/** Waits until `url` answers 200 and returns its body. */
function until200(url: string, what: string): Promise<string> {
  return waitFor(
    async () => {
      const r = await get(url);
      return r.code === 200 ? r.body : undefined;
    },
    { timeoutMs: 30_000, message: what },
  );
}

/** A listener on 127.0.0.1 that drops every connection: a port in use, or an API server that never answers. */
async function blackhole(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return { server, port: addr.port };
}

/** Runs a peapod command that is expected to exit by itself; kills it if it does not within the deadline. */
function runToExit(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [peapodBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`peapod ${args.join(' ')} did not exit within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('component health endpoints', { concurrency: false }, () => {
  let server: RunningServer;
  let k: Kubectl;
  const procs: RunningProcess[] = [];
  const listeners: Server[] = [];
  const lease = ['--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '500ms'];
  const start = async (args: string[]) => {
    const p = await startPeapod(args, { ready: /peapod \S+ running/ });
    procs.push(p);
    return p;
  };

  before(async () => {
    // No components in the server: the Leases are free for the processes under test.
    server = await startServer({ extraArgs: ['--no-controllers', '--no-scheduler'] });
    k = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    // SIGTERM, and SIGKILL for any copy still there after a deadline (a test that failed midway).
    for (const p of procs.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([p.stop(), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      await p.kill();
    }
    for (const l of listeners) await new Promise((r) => l.close(r));
    await server?.stop();
    k?.cleanup();
    if (server) removeDir(server.dataDir);
  });

  it('controller-manager, scheduler and sim serve /livez, /healthz and /readyz', async () => {
    const cm = await start(['controller-manager', '--kubeconfig', server.kubeconfig, '--id', 'cm-1', ...lease]);
    const sched = await start(['scheduler', '--kubeconfig', server.kubeconfig, '--id', 'sched-1', ...lease]);
    const sim = await start(['sim', '--kubeconfig', server.kubeconfig, '--nodes', '1', '--prefix', 'health']);
    const components = [
      { name: 'controller-manager', p: cm, readyCheck: 'informer-sync', healthz: '[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n' },
      { name: 'scheduler', p: sched, readyCheck: 'informer-sync', healthz: '[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n' },
      { name: 'sim', p: sim, readyCheck: 'node-registration', healthz: '[+]ping ok\nhealthz check passed\n' },
    ];
    for (const c of components) {
      const url = healthURL(c.p);
      assert.deepEqual(await get(`${url}/livez`), { code: 200, body: 'ok' }, c.name);
      assert.equal(await until200(`${url}/readyz`, `${c.name} to be ready`), 'ok');
      assert.deepEqual(await get(`${url}/readyz?verbose`), { code: 200, body: `[+]ping ok\n[+]${c.readyCheck} ok\nreadyz check passed\n` }, c.name);
      assert.deepEqual(await get(`${url}/healthz?verbose`), { code: 200, body: c.healthz }, c.name);
      assert.equal((await get(`${url}/metrics`)).code, 404);
      assert.equal((await fetch(`${url}/livez`, { method: 'POST' })).status, 405);
    }
    // Ready means started: the leaders hold their Leases.
    const holder = async (name: string) => (await k.ok(['get', 'lease', name, '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
    assert.equal(await holder('kube-controller-manager'), 'cm-1');
    assert.equal(await holder('kube-scheduler'), 'sched-1');
  });

  it('a standby controller-manager, waiting for the Lease, is ready too', async () => {
    const standby = await start(['controller-manager', '--kubeconfig', server.kubeconfig, '--id', 'cm-2', ...lease]);
    const url = healthURL(standby);
    assert.equal(await until200(`${url}/readyz?verbose`, 'the standby to be ready'), '[+]ping ok\n[+]informer-sync ok\nreadyz check passed\n');
    assert.deepEqual(await get(`${url}/healthz?verbose`), { code: 200, body: '[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n' });
    const holder = (await k.ok(['get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
    assert.equal(holder, 'cm-1', 'the second copy stands by');
    assert.doesNotMatch(standby.output(), /became leader/);
  });

  it('is not ready while its informers cannot sync', async () => {
    // A copy of the kubeconfig whose server drops every connection: without leader election, the
    // controller manager starts its informers at once, and they never sync.
    const dead = await blackhole();
    listeners.push(dead.server);
    const kubeconfig = join(server.dataDir, 'unreachable-kubeconfig.yaml');
    const text = readFileSync(server.kubeconfig, 'utf8');
    assert.ok(text.includes(server.url));
    writeFileSync(kubeconfig, text.replace(server.url, `https://127.0.0.1:${dead.port}`));
    // --leader-elect=false as Kubernetes' components take it (and the usage text says).
    const cm = await start(['controller-manager', '--kubeconfig', kubeconfig, '--leader-elect=false']);
    const url = healthURL(cm);
    assert.deepEqual(await get(`${url}/livez`), { code: 200, body: 'ok' });
    assert.deepEqual(await get(`${url}/readyz`), { code: 500, body: '[+]ping ok\n[-]informer-sync failed: informers not synced yet\n' });
    assert.deepEqual(await get(`${url}/readyz?verbose`), {
      code: 500,
      body: '[+]ping ok\n[-]informer-sync failed: informers not synced yet\nreadyz check failed\n',
    });
    // Without leader election there is no leaderElection check.
    assert.deepEqual(await get(`${url}/healthz?verbose`), { code: 200, body: '[+]ping ok\nhealthz check passed\n' });
    // SIGTERM still stops it: a start waiting for caches that never sync is cut short.
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      cm.stop().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
    ]);
    clearTimeout(timer);
    assert.ok(exited, 'the controller manager exits on SIGTERM within 10 s although its informers never synced');
    assert.equal(cm.proc.exitCode, 0, cm.output().slice(-2000));
  });

  it('says which port and flag when the health port is in use, before doing anything', async () => {
    const busy = await blackhole();
    listeners.push(busy.server);
    for (const args of [
      ['controller-manager', '--kubeconfig', server.kubeconfig, '--id', 'busy'],
      ['scheduler', '--kubeconfig', server.kubeconfig, '--id', 'busy'],
      ['sim', '--kubeconfig', server.kubeconfig, '--nodes', '1', '--prefix', 'busy'],
    ]) {
      const r = await runToExit([...args, '--health-port', String(busy.port)]);
      assert.notEqual(r.code, 0, args[0]);
      assert.match(r.stderr, new RegExp(`^peapod: --health-port ${busy.port}: 127\\.0\\.0\\.1:${busy.port} is already in use`, 'm'), args[0]);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(r.stdout, /running/);
    }
    // The sim gave up before registering its node.
    const node = await k(['get', 'node', 'busy-0']);
    assert.match(node.stderr, /NotFound/);
  });

  it('rejects a --health-port that is not a port number', async () => {
    for (const bad of ['65536', '-1', 'abc', '1.5', '']) {
      const r = await runToExit(['scheduler', '--kubeconfig', server.kubeconfig, `--health-port=${bad}`]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--health-port must be an integer from 0 to 65535/, bad);
    }
  });
});
