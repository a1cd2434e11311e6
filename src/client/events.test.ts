import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/object.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { FakeClock } from '../util/fake-clock.js';
import { createLogger, silentLogger } from '../util/logger.js';
import { EventRecorder, eventsResource } from './events.js';
import type { ResourceRef } from './interfaces.js';
import { RestClient } from './rest-client.js';

const configmaps: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const namespaces: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };

describe('EventRecorder against a control plane', { concurrency: false }, () => {
  let dir: string;
  let cp: ControlPlane;
  let client: RestClient;
  const recorders: EventRecorder[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-events-'));
    cp = await startControlPlane({ dataDir: dir, port: 0, logger: silentLogger });
    client = new RestClient({ server: cp.url, caCert: cp.caCert, token: cp.adminToken });
    await client.create(namespaces, undefined, { metadata: { name: 'ev' } });
  });

  after(async () => {
    for (const r of recorders) await r.close();
    client?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function recorder(clock: FakeClock, logs?: string[]): EventRecorder {
    const logger = logs ? createLogger({}, { level: 'warn', write: (l) => logs.push(l) }) : silentLogger;
    const r = new EventRecorder({ client, component: 'test-controller', host: 'node-a', clock, logger });
    recorders.push(r);
    return r;
  }

  const eventsAbout = async (obj: KubeObject, ns: string) =>
    (await client.list(eventsResource, ns, { fieldSelector: `involvedObject.uid=${obj.metadata.uid}` })).items;

  it('aggregates repeats into one Event with a count', async () => {
    const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
    const rec = recorder(clock);
    const cm = await client.create<KubeObject>(configmaps, 'ev', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'subject' } });
    rec.event(cm, 'Warning', 'BackOff', 'restarting failed container');
    clock.step(30_000);
    rec.event(cm, 'Warning', 'BackOff', 'restarting failed container');
    clock.step(30_000);
    rec.event(cm, 'Warning', 'BackOff', 'restarting failed container');
    rec.event(cm, 'Normal', 'Synced', 'all good');
    await rec.flush();

    const events = await eventsAbout(cm, 'ev');
    assert.equal(events.length, 2);
    const backoff = events.find((e) => e.reason === 'BackOff')!;
    assert.equal(backoff.count, 3);
    assert.equal(backoff.type, 'Warning');
    assert.equal(backoff.message, 'restarting failed container');
    assert.equal(backoff.firstTimestamp, '2024-05-01T10:00:00Z');
    assert.equal(backoff.lastTimestamp, '2024-05-01T10:01:00Z');
    assert.deepEqual(backoff.source, { component: 'test-controller', host: 'node-a' });
    assert.equal(backoff.reportingComponent, 'test-controller');
    assert.match(backoff.metadata.name!, /^subject\.[0-9a-f]+$/);
    assert.deepEqual(backoff.involvedObject, {
      kind: 'ConfigMap',
      namespace: 'ev',
      name: 'subject',
      uid: cm.metadata.uid,
      apiVersion: 'v1',
      resourceVersion: cm.metadata.resourceVersion,
    });
    assert.equal(events.find((e) => e.reason === 'Synced')!.count, 1);

    // Outside the ten-minute window a repeat starts a new Event.
    clock.step(11 * 60_000);
    rec.event(cm, 'Warning', 'BackOff', 'restarting failed container');
    await rec.flush();
    const after = (await eventsAbout(cm, 'ev')).filter((e) => e.reason === 'BackOff');
    assert.deepEqual(after.map((e) => e.count).sort(), [1, 3]);
  });

  it('combines similar events and stops at 25 per object, as client-go does', async () => {
    const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
    const rec = recorder(clock);
    const cm = await client.create<KubeObject>(configmaps, 'ev', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'busy' } });
    for (let i = 0; i < 40; i++) rec.event(cm, 'Normal', 'SuccessfulCreate', `Created pod: p-${i}`);
    await rec.flush();
    const events = await eventsAbout(cm, 'ev');
    const single = events.filter((e) => !e.message.startsWith('(combined'));
    assert.deepEqual(single.map((e) => e.message).sort(), Array.from({ length: 9 }, (_, i) => `Created pod: p-${i}`).sort());
    const combined = events.filter((e) => e.message.startsWith('(combined'));
    assert.equal(combined.length, 1);
    // 25 writes in all: 9 single Events, then one combined Event written once and counted up 15 times.
    assert.equal(combined[0]!.count, 16);
    assert.equal(combined[0]!.message, '(combined from similar events): Created pod: p-24');
  });

  it('puts events about cluster-scoped objects in default', async () => {
    const rec = recorder(new FakeClock());
    const ns = await client.get(namespaces, undefined, 'ev');
    rec.event(ns, 'Normal', 'Checked', 'namespace looked at');
    await rec.flush();
    const events = await eventsAbout(ns, 'default');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.involvedObject.kind, 'Namespace');
    assert.equal(events[0]!.involvedObject.namespace, undefined);
  });

  it('never throws to the caller; failures are logged, and close() flushes', async () => {
    const logs: string[] = [];
    const rec = recorder(new FakeClock(), logs);
    const ghost: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ghost', namespace: 'no-such-namespace', uid: 'u-ghost' } };
    assert.doesNotThrow(() => rec.event(ghost, 'Normal', 'Lost', 'nowhere to go'));
    const cm = await client.create<KubeObject>(configmaps, 'ev', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'closing' } });
    rec.event(cm, 'Normal', 'Last', 'written before close returns');
    await rec.close();
    assert.ok(logs.some((l) => l.includes('writing event failed')));
    assert.equal((await eventsAbout(cm, 'ev')).length, 1);
    rec.event(cm, 'Normal', 'Late', 'dropped after close');
    await rec.flush();
    assert.equal((await eventsAbout(cm, 'ev')).length, 1);
  });
});
