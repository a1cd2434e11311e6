import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateTokens, TokenAuthenticator } from './auth.js';

const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

test('a bearer token names its user; anything else names nobody', () => {
  const auth = new TokenAuthenticator();
  const admin = { name: 'admin', groups: ['system:masters'] };
  auth.add('s3cret-token', admin);
  assert.deepEqual(auth.authenticate(req('Bearer s3cret-token')), admin);
  assert.deepEqual(auth.authenticate(req('Bearer  s3cret-token ')), admin, 'surrounding spaces are not part of the token');
  for (const h of [undefined, '', 'Bearer', 'Bearer ', 'bearer s3cret-token', 'Basic s3cret-token', 'Bearer s3cret-toke', 'Bearer s3cret-token2', 'Bearer constructor', 'Bearer __proto__']) {
    assert.equal(auth.authenticate(req(h)), undefined, String(h));
  }
});

test('the tokens file is made with an admin token on first start and read back after', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-auth-'));
  try {
    const first = loadOrCreateTokens(dir);
    assert.match(first.adminToken, /^[0-9a-f]{48}$/);
    assert.equal(first.auth.authenticate(req(`Bearer ${first.adminToken}`))?.name, 'admin');
    const again = loadOrCreateTokens(dir);
    assert.equal(again.adminToken, first.adminToken);
    assert.match(readFileSync(join(dir, 'tokens'), 'utf8'), /,admin,system:masters\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
