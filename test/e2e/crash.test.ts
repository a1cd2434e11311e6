/**
 * Acknowledged writes survive a crash: clients create objects through the API as fast as they
 * can, the server is SIGKILLed mid-stream, and after a restart on the same data every create
 * that was answered 201 is there, whole.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { adminCredentials, removeDir, startServer, type RunningServer } from '../util/cluster.js';
import { startEtcd, type EtcdCluster } from '../util/etcd.js';
import { waitFor } from '../util/wait.js';

function request(server: RunningServer, agent: https.Agent, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const { token, ca } = adminCredentials(server.dataDir);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: server.port, method, path, ca, agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

for (const storeKind of ['sqlite', 'etcd'] as const) {
  describe(`crash safety (${storeKind})`, () => {
    let etcd: EtcdCluster | undefined;
    let server: RunningServer | undefined;

    after(async () => {
      await server?.stop();
      await etcd?.stop();
      if (server) removeDir(server.dataDir);
    });

    it('keeps every acknowledged create after SIGKILL', async () => {
      if (storeKind === 'etcd') etcd = await startEtcd();
      server = await startServer({ store: storeKind, etcdEndpoints: etcd?.endpoints });
      const agent = new https.Agent({ keepAlive: true, maxSockets: 20 });
      const acked = new Map<string, string>();
      let stop = false;
      let n = 0;
      const writer = async (w: number) => {
        while (!stop) {
          const name = `crash-${w}-${n++}`;
          const payload = `value-${name}-`.padEnd(600, 'x');
          try {
            const r = await request(server!, agent, 'POST', '/api/v1/namespaces/default/configmaps', {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name },
              data: { payload },
            });
            if (r.status === 201) acked.set(name, payload);
          } catch {
            return; // the server is gone
          }
        }
      };
      const writers = Array.from({ length: 20 }, (_, i) => writer(i));
      await waitFor(() => acked.size >= 300, { timeoutMs: 30_000, message: '300 acknowledged creates' });
      await server.kill();
      stop = true;
      await Promise.all(writers);
      agent.destroy();

      server = await startServer({ store: storeKind, etcdEndpoints: etcd?.endpoints, dataDir: server.dataDir });
      const agent2 = new https.Agent({ keepAlive: true });
      const list = await request(server, agent2, 'GET', '/api/v1/namespaces/default/configmaps');
      agent2.destroy();
      assert.equal(list.status, 200);
      const stored = new Map<string, string>();
      for (const item of JSON.parse(list.body).items) stored.set(item.metadata.name, item.data?.payload);
      let missing = 0;
      for (const [name, payload] of acked) {
        if (stored.get(name) !== payload) missing++;
      }
      assert.equal(missing, 0, `${missing} of ${acked.size} acknowledged creates lost or changed`);
      for (const [name, payload] of stored) {
        if (name.startsWith('crash-')) assert.match(payload ?? '', /^value-crash-/, `object ${name} is whole`);
      }
    });
  });
}
