import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateTokens, TokenAuthenticator } from './auth.js';
import { ServiceAccountTokens, type ServiceAccountClaims } from './serviceaccount-tokens.js';

const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

test('a bearer token names its user; anything else names nobody', () => {
  const auth = new TokenAuthenticator();
  const admin = { name: 'admin', groups: ['system:masters'] };
  auth.add('s3cret-token', admin);
  const authenticated = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
  assert.deepEqual(auth.authenticate(req('Bearer s3cret-token')), authenticated, 'in system:authenticated, as every authenticated user');
  assert.deepEqual(auth.authenticate(req('Bearer  s3cret-token ')), authenticated, 'surrounding spaces are not part of the token');
  for (const h of [undefined, '', 'Bearer', 'Bearer ', 'bearer s3cret-token', 'Basic s3cret-token', 'Bearer s3cret-toke', 'Bearer s3cret-token2', 'Bearer constructor', 'Bearer __proto__']) {
    assert.equal(auth.authenticate(req(h)), undefined, String(h));
  }
});

test('the tokens file is made with an admin token on first start and read back after', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-auth-'));
  try {
    const first = loadOrCreateTokens(dir);
    assert.match(first.adminToken, /^[0-9a-f]{48}$/);
    assert.equal((await first.auth.authenticate(req(`Bearer ${first.adminToken}`)))?.name, 'admin');
    const again = loadOrCreateTokens(dir);
    assert.equal(again.adminToken, first.adminToken);
    assert.match(readFileSync(join(dir, 'tokens'), 'utf8'), /,admin,system:masters\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a service account token is a user while its service account exists; a static token needs no look', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-auth-'));
  try {
    const tokens = ServiceAccountTokens.loadOrCreate(dir);
    const auth = new TokenAuthenticator();
    auth.add('static', { name: 'admin', groups: [] });
    let exists = true;
    const checked: ServiceAccountClaims[] = [];
    auth.acceptServiceAccountTokens(tokens, async (c) => (checked.push(c), exists), () => 1_700_000_100_000);
    const { token } = tokens.issue({ namespace: 'team-a', name: 'builder', uid: 'u-1', audiences: [tokens.issuer], expirationSeconds: 3600, now: 1_700_000_000_000 });
    assert.deepEqual(await auth.authenticate(req(`Bearer ${token}`)), {
      name: 'system:serviceaccount:team-a:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
    });
    assert.equal(checked[0]?.uid, 'u-1');
    exists = false;
    assert.equal(await auth.authenticate(req(`Bearer ${token}`)), undefined, 'deleted service account');
    assert.equal(await auth.authenticate(req(`Bearer ${token.slice(0, -2)}xx`)), undefined, 'tampered signature');
    assert.equal(checked.length, 2, 'a bad signature is refused without a look at the cluster');
    assert.deepEqual(auth.authenticate(req('Bearer static')), { name: 'admin', groups: ['system:authenticated'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reviewToken: a service account token only for the audiences it names; a static one for any', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-auth-'));
  try {
    const tokens = ServiceAccountTokens.loadOrCreate(dir);
    const auth = new TokenAuthenticator();
    auth.add('static', { name: 'admin', groups: [] });
    auth.acceptServiceAccountTokens(tokens, async () => true, () => 1_700_000_100_000);
    const { token } = tokens.issue({ namespace: 'ns', name: 'sa', uid: 'u', audiences: ['vault'], expirationSeconds: 3600, now: 1_700_000_000_000 });
    assert.deepEqual((await auth.reviewToken(token, ['vault', 'other']))?.audiences, ['vault']);
    assert.equal((await auth.reviewToken(token, ['vault']))?.user.name, 'system:serviceaccount:ns:sa');
    assert.equal(await auth.reviewToken(token, []), undefined, 'not meant for the API server');
    assert.deepEqual(await auth.reviewToken('static', ['x']), { user: { name: 'admin', groups: ['system:authenticated'] }, audiences: ['x'] });
    assert.equal(await auth.reviewToken('nope', []), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
