import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { EndpointSliceTracker } from './slice-tracker.js';

const slice = (uid: string, generation: number): KubeObject => ({
  metadata: { name: uid, namespace: 'ns', uid, generation, labels: { 'kubernetes.io/service-name': 'web' } },
});

describe('EndpointSliceTracker', () => {
  const tracker = () => new EndpointSliceTracker((s) => s.metadata.labels?.['kubernetes.io/service-name'] ?? '');

  it('knows its own writes from other changes', () => {
    const t = tracker();
    assert.equal(t.shouldSync(slice('a', 1)), true, 'never written here');
    t.update(slice('a', 2));
    assert.equal(t.shouldSync(slice('a', 2)), false, 'our own echo');
    assert.equal(t.shouldSync(slice('a', 3)), true, 'someone else wrote after us');
  });

  it('calls the cache stale while it shows an older generation, misses a written slice or keeps a deleted one', () => {
    const t = tracker();
    t.update(slice('a', 2));
    assert.equal(t.staleSlices('ns/web', [slice('a', 1)]), true, 'older generation');
    assert.equal(t.staleSlices('ns/web', []), true, 'created but not seen yet');
    assert.equal(t.staleSlices('ns/web', [slice('a', 2)]), false);
    t.expectDeletion(slice('a', 2));
    assert.equal(t.staleSlices('ns/web', [slice('a', 2)]), true, 'deleted but still cached');
    assert.equal(t.staleSlices('ns/web', []), false);
    assert.equal(t.staleSlices('ns/other', [slice('a', 1)]), false, 'another Service');
  });

  it('tells expected deletions from others', () => {
    const t = tracker();
    t.update(slice('a', 1));
    t.update(slice('b', 1));
    t.expectDeletion(slice('a', 1));
    assert.equal(t.handleDeletion(slice('a', 1)), true);
    assert.equal(t.handleDeletion(slice('b', 1)), false, 'deleted by someone else');
    assert.equal(t.has(slice('b', 1)), false);
    t.update(slice('c', 1));
    t.deleteService('ns/web');
    assert.equal(t.has(slice('c', 1)), false);
  });
});
