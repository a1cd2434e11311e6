import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/interface.js';
import { resourceTypeFor } from '../api/registry.js';
import { silentLogger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import { ObjectRegistry } from './registry.js';
import { EventExpiry, lastSeen } from './event-expiry.js';

const nsType = resourceTypeFor('', 'v1', 'namespaces')!;
const evType = resourceTypeFor('', 'v1', 'events')!;

describe('event expiry', () => {
  let dir: string;
  let store: Store;
  let now = Date.parse('2026-01-01T12:00:00Z');
  const clock: Clock = { now: () => now, setTimeout: () => () => {} };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-evexp-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes events whose last occurrence is older than the TTL, keeps the rest', async () => {
    const reg = new ObjectRegistry(store, clock, () => nsType);
    await reg.create(nsType, undefined, { metadata: { name: 'default' } });
    const ev = (name: string, last: string) => ({
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      reason: 'Test',
      message: name,
      type: 'Normal',
      firstTimestamp: last,
      lastTimestamp: last,
      count: 1,
    });
    await reg.create(evType, 'default', ev('old', '2026-01-01T10:30:00Z'));
    await reg.create(evType, 'default', ev('recent', '2026-01-01T11:30:00Z'));
    const expiry = new EventExpiry(reg, evType, { ttlMs: 3600_000, clock, logger: silentLogger });
    assert.equal(await expiry.sweep(), 1);
    const left = (await reg.list(evType, 'default')).items.map((e) => e.metadata.name);
    assert.deepEqual(left, ['recent']);
    now += 3600_000;
    assert.equal(await expiry.sweep(), 1);
    expiry.close();
  });

  it('reads the time an event last happened from the fields Kubernetes uses', () => {
    const base = { metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } };
    assert.equal(lastSeen({ ...base, lastTimestamp: '2026-01-01T00:00:05Z' }), Date.parse('2026-01-01T00:00:05Z'));
    assert.equal(lastSeen({ ...base, eventTime: '2026-01-01T00:00:07.000000Z' }), Date.parse('2026-01-01T00:00:07Z'));
    assert.equal(lastSeen(base), Date.parse('2026-01-01T00:00:00Z'));
  });
});
