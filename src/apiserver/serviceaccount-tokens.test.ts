import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceAccountTokens } from './serviceaccount-tokens.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const base = { namespace: 'default', name: 'default', uid: 'sa-uid', expirationSeconds: 3600, now: T0 };

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-satokens-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a token carries Kubernetes claims and verifies until it expires', () => withDir((dir) => {
  const tokens = ServiceAccountTokens.loadOrCreate(dir);
  assert.equal(statSync(join(dir, 'sa.key')).mode & 0o777, 0o600);
  const { token, expiresAt } = tokens.issue({ ...base, audiences: [tokens.issuer], bound: { kind: 'Pod', name: 'web', uid: 'pod-uid' } });
  assert.equal(expiresAt, T0 / 1000 + 3600);
  const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  assert.equal(header.alg, 'ES256');
  assert.equal(payload.sub, 'system:serviceaccount:default:default');
  assert.equal(payload.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(payload['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'default', uid: 'sa-uid' }, pod: { name: 'web', uid: 'pod-uid' } });
  assert.equal(payload.exp - payload.iat, 3600);

  const claims = tokens.verify(token, T0 + 1000);
  assert.equal(claims?.uid, 'sa-uid');
  assert.deepEqual(claims?.bound, { kind: 'Pod', name: 'web', uid: 'pod-uid' });
  assert.equal(tokens.verify(token, T0 + 3600_000), undefined, 'expired');
  assert.equal(tokens.verify(token, T0 - 5000), undefined, 'not yet valid');
  // The same key read back from the data dir (a restart) still accepts it.
  assert.equal(ServiceAccountTokens.loadOrCreate(dir).verify(token, T0 + 1000)?.name, 'default');
}));

test('tokens of another key, another audience or changed claims are refused', () => withDir((dir) => {
  const tokens = ServiceAccountTokens.loadOrCreate(dir);
  let other!: ServiceAccountTokens;
  withDir((d2) => (other = ServiceAccountTokens.loadOrCreate(d2)));
  const good = tokens.issue({ ...base, audiences: [tokens.issuer] }).token;
  const [h, p, sig] = good.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${sig}`;
  for (const [what, token] of [
    ['another signer', other.issue({ ...base, audiences: [other.issuer] }).token],
    ['another audience', tokens.issue({ ...base, audiences: ['vault'] }).token],
    ['changed claims', forged],
    ['not a JWT', 'abc.def'],
    ['garbage parts', 'a.b.c'],
  ] as const) {
    assert.equal(tokens.verify(token, T0 + 1000), undefined, what);
  }
}));
