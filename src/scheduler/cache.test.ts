import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/fake-clock.js';
import { SchedulerCache } from './cache.js';
import { newPodInfo } from './nodeinfo.js';
import { makeNode, makePod } from './testutil.js';

function newCache(): { cache: SchedulerCache; clock: FakeClock } {
  const clock = new FakeClock();
  const cache = new SchedulerCache({ clock, assumedPodTTLMs: 30_000 });
  cache.setNode(makeNode('n1'));
  cache.setNode(makeNode('n2'));
  return { cache, clock };
}

describe('SchedulerCache', () => {
  it('an assumed pod counts at once and is confirmed when seen bound', () => {
    const { cache } = newCache();
    const pod = makePod('a', { cpu: '1' });
    cache.assumePod(newPodInfo(pod), 'n1');
    assert.equal(cache.getNode('n1')!.requested.milliCPU, 1000);
    assert.equal(cache.isAssumed('default/a'), true);
    cache.finishBinding('default/a');
    cache.setBoundPod({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } });
    assert.equal(cache.isAssumed('default/a'), false);
    assert.equal(cache.getNode('n1')!.requested.milliCPU, 1000, 'counted once');
  });

  it('a pod seen bound elsewhere than assumed moves', () => {
    const { cache } = newCache();
    const pod = makePod('a', { cpu: '1' });
    cache.assumePod(newPodInfo(pod), 'n1');
    cache.setBoundPod({ ...pod, spec: { ...pod.spec, nodeName: 'n2' } });
    assert.equal(cache.getNode('n1')!.requested.milliCPU, 0);
    assert.equal(cache.getNode('n2')!.requested.milliCPU, 1000);
  });

  it('forgetting a failed binding frees the node', () => {
    const { cache } = newCache();
    cache.assumePod(newPodInfo(makePod('a', { cpu: '1' })), 'n1');
    cache.forgetPod('default/a');
    assert.equal(cache.getNode('n1')!.requested.milliCPU, 0);
    assert.equal(cache.podNode('default/a'), undefined);
  });

  it('an assumed pod never seen bound expires after the TTL from the end of its binding', () => {
    const { cache, clock } = newCache();
    cache.assumePod(newPodInfo(makePod('a', { cpu: '1' })), 'n1');
    clock.step(60_000);
    assert.deepEqual(cache.cleanupExpiredAssumedPods(), [], 'binding still in flight: no expiry');
    cache.finishBinding('default/a');
    clock.step(29_999);
    assert.deepEqual(cache.cleanupExpiredAssumedPods(), []);
    clock.step(1);
    assert.deepEqual(cache.cleanupExpiredAssumedPods(), ['default/a']);
    assert.equal(cache.getNode('n1')!.requested.milliCPU, 0);
  });

  it('finished pods release their node', () => {
    const { cache } = newCache();
    const pod = makePod('a', { cpu: '1', nodeName: 'n1' });
    cache.setBoundPod(pod);
    assert.equal(cache.getNode('n1')!.pods.size, 1);
    cache.setBoundPod({ ...pod, status: { phase: 'Succeeded' } });
    assert.equal(cache.getNode('n1')!.pods.size, 0);
  });

  it('a deleted node leaves the candidates but keeps its pods counted until they go', () => {
    const { cache } = newCache();
    cache.setBoundPod(makePod('a', { cpu: '1', nodeName: 'n1' }));
    cache.removeNode('n1');
    assert.deepEqual(cache.schedulableNodes().map((n) => n.name), ['n2']);
    assert.equal(cache.getNode('n1')!.requested.milliCPU, 1000);
    cache.removePod('default/a');
    assert.equal(cache.getNode('n1'), undefined);
    cache.setNode(makeNode('n1'));
    assert.deepEqual(cache.schedulableNodes().map((n) => n.name).sort(), ['n1', 'n2']);
  });

  it('pods bound to a node not seen yet are kept for when it arrives', () => {
    const { cache } = newCache();
    cache.setBoundPod(makePod('a', { cpu: '1', nodeName: 'n3' }));
    assert.equal(cache.nodeCount(), 2);
    cache.setNode(makeNode('n3'));
    assert.equal(cache.getNode('n3')!.requested.milliCPU, 1000);
    assert.equal(cache.nodeCount(), 3);
  });
});
