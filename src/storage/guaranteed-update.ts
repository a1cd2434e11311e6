import type { KeyValue, Store } from './interface.js';
import { ConflictError, NotFoundError } from './errors.js';

/**
 * Read-modify-write with optimistic concurrency: calls tryUpdate with the current value and
 * writes what it returns, retrying on Conflict with the fresh value. tryUpdate may throw to
 * abort (its error propagates). Returning `undefined` means "no change": the current kv is
 * returned without a write.
 */
export async function guaranteedUpdate(
  store: Store,
  key: string,
  tryUpdate: (current: KeyValue) => string | undefined | Promise<string | undefined>,
  maxAttempts = 20,
): Promise<KeyValue> {
  for (let attempt = 0; ; attempt++) {
    const cur = await store.get(key);
    if (!cur) throw new NotFoundError(`key ${key} not found`, key);
    const next = await tryUpdate(cur);
    if (next === undefined || next === cur.value) return cur;
    try {
      return await store.update(key, next, cur.modRevision);
    } catch (err) {
      if (err instanceof ConflictError && attempt < maxAttempts) continue;
      throw err;
    }
  }
}
