import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientRequest } from 'node:http';
import { waitFor } from '../../test/util/wait.js';
import { ConnectionGate } from './connection-gate.js';
import { RestClient } from './rest-client.js';

/** A request stand-in whose socket can be closed. */
function fakeRequest(): { req: ClientRequest; close(): void } {
  const socket = Object.assign(new EventEmitter(), { destroyed: false });
  return { req: { socket } as unknown as ClientRequest, close: () => socket.emit('close') };
}

describe('ConnectionGate', () => {
  it('lets a few requests open connections, then as many as have answered, up to the pool size', async () => {
    const gate = new ConnectionGate({ maxConnections: 6, maxOpening: 2 });
    const released: Array<() => void> = [];
    const order: number[] = [];
    for (let i = 0; i < 10; i++) void gate.acquire().then((r) => (order.push(i), released.push(r)));
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(order, [0, 1], 'two connections may open at once');
    assert.deepEqual(gate.stats(), { established: 0, inFlight: 2, waiting: 8 });

    // Both answered: two proven connections, plus two more may open.
    const a = fakeRequest();
    const b = fakeRequest();
    gate.responded(a.req);
    gate.responded(b.req);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [0, 1, 2, 3]);
    for (const r of released.splice(0, 2)) r();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5], 'freed slots go to waiters in order');

    // Never more than the pool size in flight.
    for (let i = 0; i < 4; i++) gate.responded(fakeRequest().req);
    await new Promise((r) => setImmediate(r));
    assert.equal(gate.stats().inFlight, 6);
    assert.equal(gate.stats().waiting, 2);

    // A connection that closes no longer counts.
    a.close();
    assert.equal(gate.stats().established, 5);
    for (const r of released.splice(0)) r();
    await new Promise((r) => setImmediate(r));
    assert.equal(order.length, 10);
  });
});

describe('RestClient connection pool', () => {
  let dir: string;
  let server: http.Server;
  const held: http.ServerResponse[] = [];
  let connections = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-gate-'));
    server = http.createServer((_req, res) => held.push(res));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const answerAll = () => {
    for (const res of held.splice(0)) res.end('{}');
  };

  /** Answers requests as they arrive until every one of `calls` has settled. */
  async function answerUntilDone(calls: Promise<unknown>[], maxInFlight: number): Promise<void> {
    let done = 0;
    for (const c of calls) void c.finally(() => done++);
    await waitFor(
      () => {
        assert.ok(held.length <= maxInFlight, `${held.length} requests in flight`);
        answerAll();
        return done === calls.length;
      },
      { message: 'all requests answered' },
    );
    await Promise.all(calls);
  }

  it('grows its pool a few connections at a time and never past maxConnections', async () => {
    const client = new RestClient({ server: 'https://unused', caCert: '', token: 't', socketPath: join(dir, 's.sock'), maxConnections: 6 });
    try {
      const first = Array.from({ length: 20 }, () => client.request('GET', '/x'));
      await waitFor(() => held.length === 4, { message: 'four requests at the server' });
      assert.equal(connections, 4, 'only four connections open before any answered');
      await answerUntilDone(first, 6);
      assert.ok(connections <= 6, `${connections} connections`);
      // The next burst rides on the open connections.
      const before = connections;
      const second = Array.from({ length: 12 }, () => client.request('GET', '/y'));
      await waitFor(() => held.length === before, { message: 'the pool busy' });
      await answerUntilDone(second, 6);
      assert.equal(connections, before);
    } finally {
      answerAll();
      client.close();
    }
  });
});
