/**
 * Polls a condition until it holds or a deadline passes. Tests wait on observable state with
 * this instead of sleeping, so they are as fast as the system and fail with a clear message.
 */
export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll interval (default 10 ms). */
  intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  message?: string;
}

export async function waitFor<T>(
  cond: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
      lastErr = undefined;
    } catch (err) {
      // A condition may throw while the system is still converging; report the last one on timeout.
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.message ?? 'condition';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, lastErr ? { cause: lastErr } : undefined);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
