import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { combinedMessagePrefix, EventCorrelator, maxSimilarEvents, spamBurst, spamRefillMs, similarEventsWindowMs } from './event-correlator.js';

const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'ns', name: 'web', uid: 'u1' } };
const other: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'ns', name: 'api', uid: 'u2' } };

describe('EventCorrelator', () => {
  it('writes similar events apart until ten, then one combined event with the latest message', () => {
    const c = new EventCorrelator('replicaset-controller|host');
    const out = Array.from({ length: 12 }, (_, i) => c.correlate(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-${i}`, 1000 + i));
    const own = out.slice(0, maxSimilarEvents - 1);
    assert.deepEqual(own.map((o) => o.message), own.map((_, i) => `Created pod: web-${i}`));
    assert.equal(new Set(own.map((o) => o.key)).size, own.length);
    const combined = out.slice(maxSimilarEvents - 1);
    assert.deepEqual(combined.map((o) => o.message), [9, 10, 11].map((i) => `${combinedMessagePrefix}Created pod: web-${i}`));
    assert.equal(new Set(combined.map((o) => o.key)).size, 1, 'combined events share one key, so they count up one Event');
    assert.ok(out.every((o) => o.write));
  });

  it('keeps repeats of one message under its own key, and starts over after the window', () => {
    const c = new EventCorrelator('kubelet|n1');
    const a = c.correlate(rs, 'Warning', 'BackOff', 'restarting', 0);
    const b = c.correlate(rs, 'Warning', 'BackOff', 'restarting', 1000);
    assert.equal(a.key, b.key);
    assert.equal(b.message, 'restarting');
    for (let i = 0; i < maxSimilarEvents; i++) c.correlate(rs, 'Normal', 'Other', `m${i}`, 2000);
    const late = c.correlate(rs, 'Normal', 'Other', 'fresh', 2000 + similarEventsWindowMs + 1);
    assert.equal(late.message, 'fresh');
  });

  it('lets one source write 25 events about an object, then one per five minutes', () => {
    const c = new EventCorrelator('replicaset-controller|host');
    const t0 = 5_000_000;
    const writes = Array.from({ length: 40 }, (_, i) => c.correlate(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-${i}`, t0).write);
    assert.equal(writes.filter(Boolean).length, spamBurst);
    assert.ok(writes.slice(0, spamBurst).every(Boolean));
    // Other objects have their own budget.
    assert.equal(c.correlate(other, 'Normal', 'SuccessfulCreate', 'Created pod: api-0', t0).write, true);
    assert.equal(c.correlate(rs, 'Normal', 'SuccessfulCreate', 'again', t0 + spamRefillMs - 1).write, false);
    assert.equal(c.correlate(rs, 'Normal', 'SuccessfulCreate', 'again', t0 + spamRefillMs + 1).write, true);
    assert.equal(c.correlate(rs, 'Normal', 'SuccessfulCreate', 'again', t0 + spamRefillMs + 2).write, false);
  });

  it('counts sources apart', () => {
    const a = new EventCorrelator('scheduler|h');
    const b = new EventCorrelator('kubelet|h');
    for (let i = 0; i < spamBurst; i++) a.correlate(rs, 'Normal', 'X', `${i}`, 0);
    assert.equal(a.correlate(rs, 'Normal', 'X', 'more', 0).write, false);
    assert.equal(b.correlate(rs, 'Normal', 'X', 'more', 0).write, true);
  });
});
