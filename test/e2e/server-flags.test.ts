/** `peapod server` flags: bad values get a message that says what to fix; good ones take effect. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFor, peapodBin, removeDir, startServer } from '../util/cluster.js';
import { waitFor } from '../util/wait.js';

describe('peapod server flags', () => {
  it('refuses a --max-requests-inflight that is not a positive integer, saying so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-flags-'));
    try {
      for (const bad of ['0', 'many', '-3']) {
        const r = spawnSync(process.execPath, [peapodBin, 'server', '--data-dir', dir, '--port', '0', `--max-requests-inflight=${bad}`], { encoding: 'utf8', timeout: 20_000 });
        assert.notEqual(r.status, 0, bad);
        assert.match(r.stderr, /--max-requests-inflight must be an integer >= 1/, bad);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${bad}`);
      }
    } finally {
      removeDir(dir);
    }
  });

  it('refuses a --max-endpoints-per-slice outside 1-1000, saying so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-flags-'));
    try {
      for (const [bad, want] of [['0', />= 1/], ['1001', /at most 1000/]] as const) {
        const r = spawnSync(process.execPath, [peapodBin, 'server', '--data-dir', dir, '--port', '0', `--max-endpoints-per-slice=${bad}`], { encoding: 'utf8', timeout: 20_000 });
        assert.notEqual(r.status, 0, bad);
        assert.match(r.stderr, want, bad);
      }
    } finally {
      removeDir(dir);
    }
  });

  it('refuses a --resource-quota-sync-period that is no positive duration, saying so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-flags-'));
    try {
      for (const [bad, want] of [['0', /--resource-quota-sync-period must be longer than 0/], ['soon', /--resource-quota-sync-period: /]] as const) {
        const r = spawnSync(process.execPath, [peapodBin, 'server', '--data-dir', dir, '--port', '0', `--resource-quota-sync-period=${bad}`], { encoding: 'utf8', timeout: 20_000 });
        assert.notEqual(r.status, 0, bad);
        assert.match(r.stderr, want, bad);
      }
    } finally {
      removeDir(dir);
    }
  });

  it('a short --node-monitor-grace-period makes its own simulated nodes heartbeat faster, so they stay Ready', async () => {
    const server = await startServer({ extraArgs: ['--sim-nodes', '1', '--node-monitor-grace-period', '2s'] });
    const k = kubectlFor(server.kubeconfig);
    try {
      const renewTime = async () => (await k.ok(['get', 'lease', 'sim-node-0', '-n', 'kube-node-lease', '-o', 'jsonpath={.spec.renewTime}'])).trim();
      // A quarter of the grace period: renewed twice within a few seconds (the default is every 10 s).
      const seen = new Set<string>();
      await waitFor(async () => seen.add(await renewTime()).size >= 3, { timeoutMs: 4_000, intervalMs: 100, message: 'the node Lease renewed twice' });
      assert.match(await k.ok(['get', 'node', 'sim-node-0', '--no-headers']), /\sReady\s/);
    } finally {
      await server.stop();
      k.cleanup();
      removeDir(server.dataDir);
    }
  });

  it('--terminated-pod-gc-threshold: finished pods beyond it are deleted, oldest first; a bad value is refused', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-flags-'));
    try {
      const r = spawnSync(process.execPath, [peapodBin, 'server', '--data-dir', dir, '--port', '0', '--terminated-pod-gc-threshold=-1'], { encoding: 'utf8', timeout: 20_000 });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /--terminated-pod-gc-threshold must be an integer >= 0/);
    } finally {
      removeDir(dir);
    }
    const server = await startServer({ extraArgs: ['--sim-nodes', '1', '--terminated-pod-gc-threshold', '1'] });
    const k = kubectlFor(server.kubeconfig);
    try {
      for (const name of ['first', 'second']) {
        await k.ok(['run', name, '--image=busybox', '--restart=Never', '--annotations=sim.peapod.io/exit-after=0']);
        await waitFor(async () => (await k.ok(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])) === 'Succeeded', { timeoutMs: 20_000, message: `${name} Succeeded` });
      }
      // The pod GC counts every 20 s, as Kubernetes' does.
      await waitFor(async () => (await k.ok(['get', 'pods', '-o', 'name'])).trim() === 'pod/second', { timeoutMs: 60_000, intervalMs: 500, message: 'only the newest finished pod left' });
    } finally {
      await server.stop();
      k.cleanup();
      removeDir(server.dataDir);
    }
  });

  it('serves with a single request seat', async () => {
    const server = await startServer({ extraArgs: ['--max-requests-inflight', '1', '--no-controllers', '--no-scheduler'] });
    const k = kubectlFor(server.kubeconfig);
    try {
      // kubectl create runs several requests (discovery, openapi, the create) one after another.
      await k.ok(['create', 'configmap', 'one-seat', '--from-literal=a=b']);
      assert.match(await k.ok(['get', 'configmap', 'one-seat', '-o', 'jsonpath={.data.a}']), /^b$/);
    } finally {
      await server.stop();
      k.cleanup();
      removeDir(server.dataDir);
    }
  });
});
