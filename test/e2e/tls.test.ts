import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { startServer } from '../util/cluster.js';

test('the API server speaks TLS 1.3 with its own CA and prefers AES-128-GCM, as kube-apiserver does', async (t) => {
  const server = await startServer();
  t.after(async () => {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  });
  const ca = readFileSync(join(server.dataDir, 'pki/ca.crt'), 'utf8');
  // A client that offers AES-256 first still gets the server's preference.
  const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca, servername: 'localhost', ciphers: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' });
  t.after(() => sock.destroy());
  await new Promise<void>((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject));
  assert.equal(sock.authorized, true, String(sock.authorizationError));
  assert.equal(sock.getProtocol(), 'TLSv1.3');
  assert.equal(sock.getCipher().standardName, 'TLS_AES_128_GCM_SHA256');
});
