import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../util/logger.js';
import { HealthServerListenError, startHealthServer, type HealthServer } from './health-server.js';

describe('health server', () => {
  let health: HealthServer;
  let synced = false;

  before(async () => {
    health = await startHealthServer({
      port: 0,
      logger: silentLogger,
      checks: {
        healthz: [{ name: 'leaderElection', check: async () => Promise.reject(new Error('lease not renewed')) }],
        readyz: [
          {
            name: 'informer-sync',
            check: () => {
              if (!synced) throw new Error('informers not synced yet');
            },
          },
        ],
      },
    });
  });

  after(async () => {
    await health?.close();
  });

  it('binds 127.0.0.1 and reports the port it picked', () => {
    assert.ok(health.port > 0);
    assert.equal(health.url, `http://127.0.0.1:${health.port}`);
  });

  const cases: { name: string; method?: string; path: string; synced?: boolean; code: number; body: string }[] = [
    { name: 'livez', path: '/livez', code: 200, body: 'ok' },
    { name: 'livez verbose', path: '/livez?verbose', code: 200, body: '[+]ping ok\nlivez check passed\n' },
    { name: 'readyz before sync', path: '/readyz', code: 500, body: '[+]ping ok\n[-]informer-sync failed: informers not synced yet\n' },
    {
      name: 'readyz verbose before sync',
      path: '/readyz?verbose',
      code: 500,
      body: '[+]ping ok\n[-]informer-sync failed: informers not synced yet\nreadyz check failed\n',
    },
    { name: 'readyz after sync', path: '/readyz', synced: true, code: 200, body: 'ok' },
    { name: 'readyz verbose after sync', path: '/readyz?verbose=1', synced: true, code: 200, body: '[+]ping ok\n[+]informer-sync ok\nreadyz check passed\n' },
    { name: 'healthz with a rejecting check', path: '/healthz', code: 500, body: '[+]ping ok\n[-]leaderElection failed: lease not renewed\n' },
    { name: 'one named check', path: '/healthz/ping', code: 200, body: 'ok' },
    { name: 'one failing named check', path: '/readyz/informer-sync?verbose', code: 500, body: 'internal server error: informers not synced yet\n' },
    { name: 'trailing slash', path: '/livez/', code: 404, body: '404 page not found\n' },
    { name: 'unknown check', path: '/readyz/etcd', code: 404, body: '404 page not found\n' },
    { name: 'unknown path', path: '/metrics', code: 404, body: '404 page not found\n' },
    { name: 'root', path: '/', code: 404, body: '404 page not found\n' },
    { name: 'too deep', path: '/livez/ping/x', code: 404, body: '404 page not found\n' },
    { name: 'POST', method: 'POST', path: '/livez', code: 405, body: 'method POST not allowed\n' },
    { name: 'HEAD', method: 'HEAD', path: '/livez', code: 200, body: '' },
  ];
  for (const c of cases) {
    it(`${c.method ?? 'GET'} ${c.path} (${c.name}) -> ${c.code}`, async () => {
      synced = c.synced ?? false;
      const res = await fetch(health.url + c.path, { method: c.method ?? 'GET' });
      assert.equal(res.status, c.code);
      assert.equal(await res.text(), c.body);
      if (c.code === 405) assert.equal(res.headers.get('allow'), 'GET, HEAD');
      if (c.code !== 404 && c.code !== 405) assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    });
  }

  it('rejects a port in use with a typed error that names it', async () => {
    await assert.rejects(
      startHealthServer({ port: health.port, logger: silentLogger, checks: {} }),
      (err: unknown) => err instanceof HealthServerListenError && err.code === 'EADDRINUSE' && err.port === health.port && err.message === `127.0.0.1:${health.port} is already in use`,
    );
  });

  it('closes with a keep-alive connection open', async () => {
    const other = await startHealthServer({ port: 0, logger: silentLogger, checks: {} });
    const res = await fetch(other.url + '/livez', { keepalive: true });
    assert.equal(await res.text(), 'ok');
    await other.close();
    await assert.rejects(fetch(other.url + '/livez'));
  });
});
