import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allResourceTypes } from '../api/registry.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { silentLogger } from '../util/logger.js';
import { APIServer } from './server.js';

/** An API server on a fresh SQLite store with a 64 KiB watch backlog limit; removed after the test. */
async function backlogServer(t: TestContext, socketPath?: (dir: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-backlog-'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const socket = socketPath?.(dir);
  const server = new APIServer({ store, types: allResourceTypes, logger: silentLogger, watchBacklogBytes: 64 * 1024, socketPath: socket });
  t.after(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ns = server.resourceType('', 'v1', 'namespaces')!;
  const cms = server.resourceType('', 'v1', 'configmaps')!;
  await server.registry.create(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const { port } = await server.listen();
  const rv = String(await store.currentRevision());
  /** Creates `count` ConfigMaps of 256 KiB each. */
  const createBig = async (count: number) => {
    const value = 'x'.repeat(256 * 1024);
    for (let i = 0; i < count; i++) {
      await server.registry.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { v: value } });
    }
  };
  return { port, socket, rv, createBig };
}

test('a watch whose client stops reading is closed once its backlog passes the limit, not buffered without bound', async (t) => {
  const { port, rv, createBig } = await backlogServer(t);

  const sock = connect(port, '127.0.0.1');
  t.after(() => sock.destroy());
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.write(`GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv} HTTP/1.1\r\nHost: x\r\n\r\n`);
  sock.pause(); // a client that never reads

  // Far more than the limit plus what the kernel's socket buffers can hold.
  const total = 120;
  await createBig(total);

  // Reading again: the stream ends (the server gave up on it) before all the events.
  let text = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (text += d));
  sock.resume();
  let deadline: NodeJS.Timeout | undefined;
  const ended = await new Promise<boolean>((resolve) => {
    const check = () => (text.endsWith('\r\n0\r\n\r\n') ? resolve(true) : undefined);
    sock.on('data', check);
    sock.once('end', () => resolve(true));
    sock.once('close', () => resolve(true));
    deadline = setTimeout(() => resolve(false), 20_000);
    check();
  });
  clearTimeout(deadline);
  assert.ok(ended, 'the server kept the watch of a client that did not read open');
  const events = (text.match(/"type":"ADDED"/g) ?? []).length;
  assert.ok(text.startsWith('HTTP/1.1 200'), text.slice(0, 100));
  assert.ok(events > 0 && events < total, `the watch delivered ${events} of ${total} events before it was closed`);
});

test('watches on the unix socket (in-process and same-host components) are not cut off: they get every event', async (t) => {
  const { socket, rv, createBig } = await backlogServer(t, (dir) => join(dir, 'apiserver.sock'));

  const sock = connect(socket!);
  t.after(() => sock.destroy());
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.write(`GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv} HTTP/1.1\r\nHost: x\r\n\r\n`);
  sock.pause();

  const total = 60;
  await createBig(total);

  let text = '';
  let ended = false;
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (text += d));
  sock.once('end', () => (ended = true));
  sock.resume();
  const count = () => (text.match(/"type":"ADDED"/g) ?? []).length;
  let deadline: NodeJS.Timeout | undefined;
  const all = await new Promise<boolean>((resolve) => {
    const check = () => (count() >= total ? resolve(true) : undefined);
    sock.on('data', check);
    sock.once('close', () => resolve(false));
    deadline = setTimeout(() => resolve(false), 20_000);
    check();
  });
  clearTimeout(deadline);
  assert.ok(all, `got ${count()} of ${total} events`);
  assert.equal(ended, false, 'the watch is still open');
});
