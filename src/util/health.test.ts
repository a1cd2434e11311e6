import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHealthChecks, type HealthCheck } from './health.js';

const pass: HealthCheck = { name: 'ping', check: () => {} };
const failSync: HealthCheck = {
  name: 'store',
  check: () => {
    throw new Error('database is locked');
  },
};
const failAsync: HealthCheck = { name: 'informers', check: async () => Promise.reject(new Error('not synced')) };

test('health answers: plain "ok", the check lines on failure, and every line plus a verdict when verbose', async () => {
  const cases: Array<[string, HealthCheck[], boolean, { ok: boolean; body: string }]> = [
    ['livez', [pass], false, { ok: true, body: 'ok' }],
    ['livez', [pass], true, { ok: true, body: '[+]ping ok\nlivez check passed\n' }],
    ['readyz', [pass, failSync], false, { ok: false, body: '[+]ping ok\n[-]store failed: database is locked\n' }],
    ['readyz', [pass, failAsync, failSync], true, { ok: false, body: '[+]ping ok\n[-]informers failed: not synced\n[-]store failed: database is locked\nreadyz check failed\n' }],
  ];
  for (const [endpoint, checks, verbose, want] of cases) assert.deepEqual(await runHealthChecks(endpoint, checks, verbose), want, `${endpoint} verbose=${verbose}`);
});
