import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/util/wait.js';
import type { KubeObject } from '../api/object.js';
import { createLogger } from '../util/logger.js';
import { startComponentThread, type ComponentThread } from './component-thread.js';
import { startControlPlane } from './controlplane.js';

test('components on their own threads schedule and run pods, come back after their thread dies, and stop cleanly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-threads-'));
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({}, { level: 'info', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const cp = await startControlPlane({ dataDir: dir, port: 0, logger });
  const threads: ComponentThread[] = [];
  t.after(async () => {
    for (const th of threads) await th.stop();
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const credentials = { server: cp.url, caCert: cp.caCert, token: cp.adminToken, socketPath: join(dir, 'apiserver.sock') };
  const sim = await startComponentThread({ kind: 'sim', nodes: 1, prefix: 'thread-node' }, credentials, logger);
  threads.push(sim);
  const scheduler = await startComponentThread({ kind: 'scheduler' }, credentials, logger);
  threads.push(scheduler);

  const podsType = cp.server.resourceType('', 'v1', 'pods')!;
  const createPod = (name: string) =>
    cp.server.registry.create(podsType, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  const running = (name: string) =>
    waitFor(
      async () => {
        const pod: KubeObject = await cp.server.registry.get(podsType, 'default', name);
        return pod.spec?.nodeName === 'thread-node-0' && pod.status?.phase === 'Running';
      },
      { timeoutMs: 20_000, message: `pod ${name} bound to thread-node-0 and Running` },
    );

  await createPod('before');
  await running('before');
  // The component's own log lines come out through the server's logger.
  assert.ok(lines.some((l) => l.component === 'kube-scheduler' && l.msg === 'started'), 'the scheduler thread logs through the given logger');

  // A thread that dies is started again, and the new one does the work.
  await scheduler.current().terminate();
  await waitFor(() => scheduler.restarts() === 1 && scheduler.running(), { timeoutMs: 20_000, message: 'the scheduler thread started again' });
  assert.ok(lines.some((l) => l.msg === 'component thread ended; starting it again' && l.thread === 'scheduler'));
  await createPod('after');
  await running('after');

  // stop() ends the threads: nothing of them is left running.
  const worker = scheduler.current();
  let exited = false;
  worker.once('exit', () => (exited = true));
  await scheduler.stop();
  assert.equal(exited, true, 'the scheduler thread has ended when stop() resolves');
  assert.equal(scheduler.running(), false);
});
