/**
 * The eviction decisions against a recording in-memory backend: which pods go without asking a
 * budget, when a budget refuses (and with which Status), what is written to it, and how
 * conflicts on the pod and on the budget are retried or answered.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, conflict, notFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { clone } from '../api/object.js';
import type { DeleteOptions } from './registry.js';
import { evictPod, maxDisruptedPods, type EvictionBackend, type EvictionRequest } from './eviction.js';

const now = Date.parse('2026-03-01T10:00:00Z');

function pod(name: string, over: { phase?: string; ready?: boolean; deleting?: boolean; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '10',
      labels: over.labels ?? { app: 'web' },
      ...(over.deleting ? { deletionTimestamp: '2026-03-01T09:59:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: over.phase ?? 'Running', conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
  };
}

function budget(name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}, generation = 1): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'ns', generation, resourceVersion: '5' },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } }, ...spec },
    status: { observedGeneration: generation, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, ...status },
  };
}

/** Pods and budgets in maps; every write recorded; conflicts injectable. */
class FakeBackend implements EvictionBackend {
  readonly pods = new Map<string, KubeObject>();
  readonly budgets = new Map<string, KubeObject>();
  readonly deleted: { name: string; opts: DeleteOptions }[] = [];
  readonly statusWrites: KubeObject[] = [];
  /** Budget writes that fail with a conflict (another writer got there first) before one may succeed. */
  budgetConflicts = 0;
  /** Runs before each delete (a concurrent writer changing the pod). */
  beforeDelete?: (pod: KubeObject) => void;

  constructor(pods: KubeObject[], budgets: KubeObject[] = []) {
    for (const p of pods) this.pods.set(p.metadata.name!, p);
    for (const b of budgets) this.budgets.set(b.metadata.name!, b);
  }

  async getPod(_ns: string, name: string): Promise<KubeObject> {
    const p = this.pods.get(name);
    if (!p) throw notFound('pods', name);
    return clone(p);
  }

  async deletePod(_ns: string, name: string, opts: DeleteOptions): Promise<void> {
    const p = this.pods.get(name);
    if (!p) throw notFound('pods', name);
    this.beforeDelete?.(p);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== p.metadata.uid) throw conflict('pods', name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${p.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== p.metadata.resourceVersion) {
      throw conflict('pods', name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${p.metadata.resourceVersion}`);
    }
    this.deleted.push({ name, opts });
    if (!opts.dryRun) this.pods.delete(name);
  }

  async listBudgets(): Promise<KubeObject[]> {
    return [...this.budgets.values()].map((b) => clone(b));
  }

  async getBudget(_ns: string, name: string): Promise<KubeObject> {
    return clone(this.budgets.get(name)!);
  }

  async updateBudgetStatus(pdb: KubeObject): Promise<void> {
    const stored = this.budgets.get(pdb.metadata.name!)!;
    if (this.budgetConflicts > 0) {
      this.budgetConflicts--;
      // Someone else (the controller, another eviction) wrote the budget meanwhile.
      stored.metadata.resourceVersion = String(Number(stored.metadata.resourceVersion) + 1);
    }
    if (pdb.metadata.resourceVersion !== stored.metadata.resourceVersion) {
      throw conflict('poddisruptionbudgets', pdb.metadata.name!, 'the object has been modified; please apply your changes to the latest version and try again', 'policy');
    }
    this.statusWrites.push(clone(pdb));
    this.budgets.set(pdb.metadata.name!, { ...clone(pdb), metadata: { ...pdb.metadata, resourceVersion: String(Number(stored.metadata.resourceVersion) + 1) } });
  }
}

function request(name: string, over: Partial<EvictionRequest> & { deleteOptions?: Record<string, unknown> } = {}): EvictionRequest {
  const { deleteOptions, ...rest } = over;
  return {
    namespace: 'ns',
    name,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'ns' }, ...(deleteOptions ? { deleteOptions } : {}) },
    dryRun: [],
    parseDeleteOptions: (v) => {
      const o = (v ?? {}) as Record<string, any>;
      return { preconditions: o.preconditions, dryRun: Array.isArray(o.dryRun) && o.dryRun.length > 0, gracePeriodSeconds: o.gracePeriodSeconds };
    },
    ...rest,
  };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('the eviction was not refused');
}

const evict = (b: FakeBackend, name: string, over: Parameters<typeof request>[1] = {}) => evictPod(b, request(name, over), () => now);

describe('eviction without a budget to ask', () => {
  it('a pod no budget selects is deleted with the Eviction\'s options', async () => {
    const b = new FakeBackend([pod('p', { labels: { app: 'other' } })], [budget('web', { disruptionsAllowed: 0 })]);
    assert.deepEqual(await evict(b, 'p', { deleteOptions: { gracePeriodSeconds: 5 } }), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    assert.deepEqual(b.deleted, [{ name: 'p', opts: { preconditions: undefined, dryRun: false, gracePeriodSeconds: 5 } }]);
    assert.deepEqual(b.statusWrites, []);
  });

  it('terminal and deleting pods go at once, without a resourceVersion precondition', async () => {
    for (const p of [pod('done', { phase: 'Succeeded' }), pod('failed', { phase: 'Failed' }), pod('going', { deleting: true })]) {
      const b = new FakeBackend([p], [budget('web', { disruptionsAllowed: 0 })]);
      await evict(b, p.metadata.name!);
      assert.equal(b.deleted[0]?.opts.preconditions?.resourceVersion, undefined, p.metadata.name);
      assert.deepEqual(b.statusWrites, []);
    }
  });

  it('a Pending pod goes at once, pinned to the version read; a concurrent change is retried', async () => {
    const b = new FakeBackend([pod('new', { phase: 'Pending', ready: false })], [budget('web', { disruptionsAllowed: 0 })]);
    let changes = 2;
    b.beforeDelete = (p) => {
      if (changes-- > 0) p.metadata.resourceVersion = String(Number(p.metadata.resourceVersion) + 1);
    };
    await evict(b, 'new');
    assert.equal(b.deleted.length, 1);
    assert.equal(b.deleted[0]!.opts.preconditions?.resourceVersion, '12', 'the version of the third read');
  });

  it('a uid precondition for another pod is a 409 at once; a pinned resourceVersion is not retried', async () => {
    const b = new FakeBackend([pod('new', { phase: 'Pending' })]);
    const other = await refusal(evict(b, 'new', { deleteOptions: { preconditions: { uid: 'someone-else' } } }));
    assert.equal(other.code, 409);
    let reads = 0;
    const getPod = b.getPod.bind(b);
    b.getPod = async (ns, name) => (reads++, getPod(ns, name));
    const pinned = await refusal(evict(b, 'new', { deleteOptions: { preconditions: { resourceVersion: '9' } } }));
    assert.equal(pinned.code, 409);
    assert.equal(reads, 1);
  });

  it('a missing pod is a 404; a malformed Eviction a 400', async () => {
    const b = new FakeBackend([]);
    assert.equal((await refusal(evict(b, 'gone'))).code, 404);
    const mismatch = request('x');
    mismatch.body.metadata.name = 'y';
    assert.equal((await refusal(evictPod(b, mismatch, () => now))).message, 'name in URL does not match name in Eviction object');
    const wrongKind = request('x');
    wrongKind.body.kind = 'Pod';
    assert.equal((await refusal(evictPod(b, wrongKind, () => now))).code, 400);
  });
});

describe('eviction with one budget', () => {
  it('spends one disruption: decrement, the pod in disruptedPods and the condition, written before the delete', async () => {
    const b = new FakeBackend([pod('a'), pod('b')], [budget('web', { disruptionsAllowed: 1 })]);
    let writesAtDelete = -1;
    b.beforeDelete = () => (writesAtDelete = b.statusWrites.length);
    await evict(b, 'a');
    assert.equal(writesAtDelete, 1, 'the budget is written first');
    const status = b.statusWrites[0]!.status;
    assert.equal(status.disruptionsAllowed, 0);
    assert.deepEqual(status.disruptedPods, { a: '2026-03-01T10:00:00Z' });
    assert.deepEqual(status.conditions, [
      { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 1, lastTransitionTime: '2026-03-01T10:00:00Z' },
    ]);
    assert.equal(b.deleted[0]!.opts.preconditions, undefined, 'no resourceVersion pinned for a pod paid for');

    // The next one finds none left.
    const refused = await refusal(evict(b, 'b'));
    assert.deepEqual(refused.toStatus(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      code: 429,
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 3 currently' }] },
    });
    assert.equal(b.deleted.length, 1);
  });

  it('a budget the controller has not caught up with is a 429 to retry in 10 s', async () => {
    const b = new FakeBackend([pod('a')], [budget('web', { observedGeneration: 1, disruptionsAllowed: 5 }, {}, 2)]);
    const refused = await refusal(evict(b, 'a'));
    assert.equal(refused.code, 429);
    assert.deepEqual(refused.details, { retryAfterSeconds: 10, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }] });
    assert.deepEqual(b.deleted, []);
  });

  it('a negative allowance or an overfull disruptedPods is a 403', async () => {
    const negative = await refusal(evict(new FakeBackend([pod('a')], [budget('web', { disruptionsAllowed: -1 })]), 'a'));
    assert.equal(negative.code, 403);
    assert.equal(negative.message, 'poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative');
    const disruptedPods = Object.fromEntries(Array.from({ length: maxDisruptedPods + 1 }, (_, i) => [`p${i}`, '2026-03-01T09:59:00Z']));
    const full = await refusal(evict(new FakeBackend([pod('a')], [budget('web', { disruptedPods })]), 'a'));
    assert.equal(full.code, 403);
    assert.match(full.message, /DisruptedPods map too big - too many evictions not confirmed by PDB controller$/);
  });

  it('dryRun checks the budget but writes nothing and deletes nothing', async () => {
    const b = new FakeBackend([pod('a')], [budget('web', { disruptionsAllowed: 1 })]);
    await evict(b, 'a', { dryRun: ['All'] });
    assert.deepEqual(b.statusWrites, []);
    assert.equal(b.deleted[0]?.opts.dryRun, true);
    assert.ok(b.pods.has('a'));
    const none = new FakeBackend([pod('a')], [budget('web', { disruptionsAllowed: 0 })]);
    assert.equal((await refusal(evict(none, 'a', { dryRun: ['All'] }))).code, 429, 'a dry run is refused as the real one would be');
  });

  it('dryRun on the request and in the deleteOptions must agree', async () => {
    const b = new FakeBackend([pod('a')]);
    const mismatch = await refusal(evict(b, 'a', { dryRun: ['All'], deleteOptions: { dryRun: ['All', 'All'] } }));
    assert.equal(mismatch.code, 500);
    assert.match(mismatch.message, /Non-matching dry-run options in request and content/);
  });

  it('a conflicting budget write is retried against the budget as stored', async () => {
    const b = new FakeBackend([pod('a')], [budget('web', { disruptionsAllowed: 1 })]);
    b.budgetConflicts = 3;
    await evict(b, 'a');
    assert.equal(b.statusWrites.length, 1);
    assert.equal(b.statusWrites[0]!.metadata.resourceVersion, '8', 'written at the version of the fourth read');
    assert.equal(b.deleted.length, 1);
  });

  it('a budget the other writer leaves with nothing to spare refuses on the retry', async () => {
    const b = new FakeBackend([pod('a')], [budget('web', { disruptionsAllowed: 1 })]);
    const getBudget = b.getBudget.bind(b);
    b.budgetConflicts = 1;
    b.getBudget = async (ns, name) => {
      const fresh = await getBudget(ns, name);
      fresh.status.disruptionsAllowed = 0; // the controller saw a pod go unready meanwhile
      return fresh;
    };
    assert.equal((await refusal(evict(b, 'a'))).code, 429);
    assert.deepEqual(b.deleted, []);
  });

  it('conflicts that never end are given back as the last 409', async () => {
    const b = new FakeBackend([pod('a')], [budget('web', { disruptionsAllowed: 1 })]);
    b.budgetConflicts = 1000;
    const refused = await refusal(evict(b, 'a'));
    assert.equal(refused.code, 409);
    assert.equal(b.budgetConflicts, 1000 - 20);
    assert.deepEqual(b.deleted, []);
  });
});

describe('eviction of pods that are not Ready', () => {
  const unready = () => pod('sick', { ready: false });

  it('IfHealthyBudget (the default): goes without spending the budget while the budget is met, pinned to the version read', async () => {
    const b = new FakeBackend([unready()], [budget('web', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 })]);
    await evict(b, 'sick');
    assert.deepEqual(b.statusWrites, []);
    assert.equal(b.deleted[0]!.opts.preconditions?.resourceVersion, '10');
  });

  it('IfHealthyBudget: while the budget is not met it must be paid for like any pod', async () => {
    const below = budget('web', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 }, { unhealthyPodEvictionPolicy: 'IfHealthyBudget' });
    assert.equal((await refusal(evict(new FakeBackend([unready()], [below]), 'sick'))).code, 429);
    const none = budget('web', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0 });
    assert.equal((await refusal(evict(new FakeBackend([unready()], [none]), 'sick'))).code, 429, 'desiredHealthy 0 is no met budget');
  });

  it('AlwaysAllow: goes even when the budget is not met', async () => {
    const below = budget('web', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 2 }, { unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    const b = new FakeBackend([unready()], [below]);
    await evict(b, 'sick');
    assert.deepEqual(b.statusWrites, []);
    assert.equal(b.deleted.length, 1);
  });

  it('one that changed since it was read (it may have become Ready) is a 429 to retry', async () => {
    const b = new FakeBackend([unready()], [budget('web', { currentHealthy: 2, desiredHealthy: 2 }, { unhealthyPodEvictionPolicy: 'AlwaysAllow' })]);
    b.beforeDelete = (p) => (p.metadata.resourceVersion = '11');
    const refused = await refusal(evict(b, 'sick'));
    assert.equal(refused.code, 429);
    assert.equal(refused.details?.retryAfterSeconds, 10);
    assert.deepEqual(b.deleted, []);
  });
});

describe('eviction with several budgets', () => {
  it('is a 500 Status without a reason, and nothing is touched', async () => {
    const b = new FakeBackend([pod('a')], [budget('web', {}), budget('all', {}, { selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } })]);
    const refused = await refusal(evict(b, 'a'));
    assert.deepEqual(refused.toStatus(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    });
    assert.deepEqual(b.deleted, []);
    assert.deepEqual(b.statusWrites, []);
  });

  it('budgets with an empty, missing or broken selector select nothing here', async () => {
    const b = new FakeBackend(
      [pod('a')],
      [
        budget('web', { disruptionsAllowed: 1 }),
        budget('empty', { disruptionsAllowed: 0 }, { selector: {} }),
        budget('missing', { disruptionsAllowed: 0 }, { selector: null }),
        budget('broken', { disruptionsAllowed: 0 }, { selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } }),
      ],
    );
    await evict(b, 'a');
    assert.deepEqual(b.statusWrites.map((w) => w.metadata.name), ['web']);
  });
});
