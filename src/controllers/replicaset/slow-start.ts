/**
 * Kubernetes' slow start: call fn `count` times in concurrent batches of 1, 2, 4, ... and stop
 * after the first batch with a failure. A namespace over its quota thus costs one failed
 * create (and one event), not hundreds.
 */
export interface SlowStartResult {
  /** Calls that succeeded. Calls never made (after a failing batch) are count - successes - failures. */
  successes: number;
  /** The first error of the failing batch, if any. */
  error?: Error;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) {
      const reason = failed[0].reason;
      return { successes, error: reason instanceof Error ? reason : new Error(String(reason)) };
    }
    remaining -= batch;
  }
  return { successes };
}
