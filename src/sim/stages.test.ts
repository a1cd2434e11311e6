import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/object.js';
import { defaultPodStages, matchStage, parseDelay, podStagesWithContainerCreating, stageDelay, podCompleteStage } from './stages.js';
import { podStatusAfter, simImageID } from './pod-status.js';
import { addressesFor, SimNode } from './node.js';

function pod(over: { phase?: string; deleting?: boolean; annotations?: Record<string, string>; restartPolicy?: string; status?: any } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'default',
      uid: 'u1',
      annotations: over.annotations,
      ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:30Z' } : {}),
    },
    spec: { nodeName: 'n', restartPolicy: over.restartPolicy ?? 'Always', containers: [{ name: 'app', image: 'nginx:1' }, { name: 'side', image: 'busybox' }] },
    status: over.status ?? { phase: over.phase ?? 'Pending', qosClass: 'BestEffort' },
  };
}

const ctx = { now: Date.parse('2024-01-01T00:00:05Z'), hostIP: '10.1.0.1', podIP: () => '10.128.0.7', containerID: () => 'sim://abc' };

test('matchStage picks the first stage whose selector holds', () => {
  const cases: [string, KubeObject, readonly typeof defaultPodStages[number][], string | undefined][] = [
    ['pending pod runs', pod(), defaultPodStages, 'pod-ready'],
    ['deleting pod is deleted whatever its phase', pod({ phase: 'Running', deleting: true }), defaultPodStages, 'pod-delete'],
    ['ready running pod: nothing to do', podStatusAfterReady(), defaultPodStages, undefined],
    ['with ContainerCreating, a fresh pod waits first', pod(), podStagesWithContainerCreating, 'pod-container-creating'],
    ['Never pod with exit-after completes', podStatusAfterReady({ annotations: { 'sim.peapod.io/exit-after': '1s' }, restartPolicy: 'Never' }), defaultPodStages, 'pod-complete'],
    ['Always pod with exit-after keeps running', podStatusAfterReady({ annotations: { 'sim.peapod.io/exit-after': '1s' } }), defaultPodStages, undefined],
    ['Succeeded pod: nothing', pod({ phase: 'Succeeded' }), defaultPodStages, undefined],
  ];
  for (const [name, p, stages, want] of cases) assert.equal(matchStage(stages, p)?.name, want, name);
});

function podStatusAfterReady(over: Parameters<typeof pod>[0] = {}): KubeObject {
  const p = pod(over);
  p.status = podStatusAfter(p, matchStage(defaultPodStages, pod())!.next, ctx);
  return p;
}

test('a running pod someone marked not ready matches pod-ready again', () => {
  const p = podStatusAfterReady();
  p.status.conditions.find((c: any) => c.type === 'Ready').status = 'False';
  assert.equal(matchStage(defaultPodStages, p)?.name, 'pod-ready');
});

test('pod-ready status: phase, conditions, container statuses, IPs', () => {
  const s = podStatusAfterReady().status;
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '10.128.0.7');
  assert.deepEqual(s.podIPs, [{ ip: '10.128.0.7' }]);
  assert.equal(s.hostIP, '10.1.0.1');
  assert.equal(s.startTime, '2024-01-01T00:00:05Z');
  assert.equal(s.qosClass, 'BestEffort');
  assert.deepEqual(
    s.conditions.map((c: any) => `${c.type}=${c.status}`),
    ['PodScheduled=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True'],
  );
  assert.equal(s.containerStatuses.length, 2);
  assert.deepEqual(s.containerStatuses[0], {
    name: 'app',
    image: 'nginx:1',
    imageID: simImageID('nginx:1'),
    containerID: 'sim://abc',
    restartCount: 0,
    ready: true,
    started: true,
    state: { running: { startedAt: '2024-01-01T00:00:05Z' } },
  });
});

test('an unchanged condition keeps its lastTransitionTime; a changed one moves', () => {
  const p = pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2023-12-31T00:00:00Z' }, { type: 'Ready', status: 'False', reason: 'NodeNotReady', lastTransitionTime: '2023-12-31T00:00:00Z' }] } });
  const s = podStatusAfter(p, matchStage(defaultPodStages, p)!.next, ctx);
  const byType = Object.fromEntries(s.conditions.map((c: any) => [c.type, c]));
  assert.equal(byType.PodScheduled.lastTransitionTime, '2023-12-31T00:00:00Z');
  assert.equal(byType.Ready.lastTransitionTime, '2024-01-01T00:00:05Z');
  assert.equal(byType.Ready.reason, undefined);
});

test('completion: exit code 0 succeeds, another code fails', () => {
  const ok = podStatusAfterReady({ restartPolicy: 'Never', annotations: { 'sim.peapod.io/exit-after': '1s' } });
  const done = podStatusAfter(ok, podCompleteStage.next, { ...ctx, now: ctx.now + 1000 });
  assert.equal(done.phase, 'Succeeded');
  assert.deepEqual(done.containerStatuses[0].state.terminated, {
    exitCode: 0,
    reason: 'Completed',
    startedAt: '2024-01-01T00:00:05Z',
    finishedAt: '2024-01-01T00:00:06Z',
    containerID: 'sim://abc',
  });
  const bad = podStatusAfterReady({ restartPolicy: 'Never', annotations: { 'sim.peapod.io/exit-after': '1s', 'sim.peapod.io/exit-code': '3' } });
  const failed = podStatusAfter(bad, podCompleteStage.next, ctx);
  assert.equal(failed.phase, 'Failed');
  assert.equal(failed.containerStatuses[0].state.terminated.exitCode, 3);
  assert.equal(failed.containerStatuses[0].state.terminated.reason, 'Error');
});

test('delays: fixed, from annotation, with jitter', () => {
  assert.equal(parseDelay('250ms'), 250);
  assert.equal(parseDelay('2s'), 2000);
  assert.equal(parseDelay('1.5m'), 90_000);
  assert.equal(parseDelay('40'), 40);
  assert.equal(parseDelay('soon'), undefined);
  const p = pod({ annotations: { 'sim.peapod.io/exit-after': '3s' } });
  assert.equal(stageDelay(podCompleteStage, p), 3000);
  assert.equal(stageDelay(podCompleteStage, pod()), 0);
  assert.equal(stageDelay({ ...podCompleteStage, delayFromAnnotation: undefined, delayMs: 100, jitterMs: 50 }, p, () => 0.5), 125);
});

test('SimNode: addresses, conditions, pod IPs', () => {
  assert.deepEqual(addressesFor(0), { internalIP: '10.1.0.0', podCIDR: '10.128.0.0/24' });
  assert.deepEqual(addressesFor(513), { internalIP: '10.1.2.1', podCIDR: '10.130.1.0/24' });
  const n = new SimNode({ name: 'sim-node-0', slot: 1, capacity: { cpu: '4', memory: '8Gi', pods: '110' } });
  const obj = n.nodeObject(ctx.now);
  assert.equal(obj.metadata.labels!['kubernetes.io/hostname'], 'sim-node-0');
  assert.equal(obj.metadata.labels!.type, 'sim');
  assert.equal(obj.status.nodeInfo.kubeletVersion, 'v1.32.4-peapod-sim');
  assert.equal(obj.status.nodeInfo.containerRuntimeVersion, 'sim://1');
  assert.deepEqual(obj.status.addresses[0], { type: 'InternalIP', address: '10.1.0.1' });
  assert.deepEqual(
    obj.status.conditions.map((c: any) => `${c.type}=${c.status}`),
    ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True'],
  );
  assert.equal(n.statusDiffers(obj), false);
  const unknown = structuredClone(obj);
  unknown.status.conditions[3].status = 'Unknown';
  assert.equal(n.statusDiffers(unknown), true);
  // Transition times survive a heartbeat; a changed status gets a new one.
  const later = n.conditions(ctx.now + 60_000, unknown);
  assert.equal(later[0].lastTransitionTime, obj.status.conditions[0].lastTransitionTime);
  assert.notEqual(later[3].lastTransitionTime, obj.status.conditions[3].lastTransitionTime);
  assert.equal(later[3].lastHeartbeatTime, '2024-01-01T00:01:05Z');
  const a = n.podIP('default/a');
  assert.equal(a, '10.128.1.2');
  assert.equal(n.podIP('default/a'), a);
  assert.equal(n.podIP('default/b'), '10.128.1.3');
  n.releasePodIP('default/a');
  assert.notEqual(n.podIP('default/c'), '10.128.1.3');
});
