/**
 * Health checks as kube's healthz package answers them: each check passes or fails with a
 * reason; the plain answer is "ok" or the check lines, `?verbose` always lists them
 * ("[+]name ok" / "[-]name failed: reason") and ends with "<endpoint> check passed|failed".
 */

/** A named check: it returns when healthy and throws (or rejects) with the reason when not. */
export interface HealthCheck {
  name: string;
  check(): void | Promise<void>;
}

/**
 * Runs one check as kube serves `/<endpoint>/<name>`: "ok", or the reason as
 * `http.Error` words it ("internal server error: <reason>\n").
 */
export async function runHealthCheck(check: HealthCheck): Promise<{ ok: boolean; body: string }> {
  try {
    await check.check();
    return { ok: true, body: 'ok' };
  } catch (err) {
    return { ok: false, body: `internal server error: ${err instanceof Error ? err.message : String(err)}\n` };
  }
}

/** Runs `checks` in order and renders the answer body for `endpoint` (livez, healthz, readyz). */
export async function runHealthChecks(endpoint: string, checks: readonly HealthCheck[], verbose: boolean): Promise<{ ok: boolean; body: string }> {
  const lines: string[] = [];
  let ok = true;
  for (const c of checks) {
    try {
      await c.check();
      lines.push(`[+]${c.name} ok`);
    } catch (err) {
      ok = false;
      lines.push(`[-]${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const body = verbose ? `${lines.join('\n')}\n${endpoint} check ${ok ? 'passed' : 'failed'}\n` : ok ? 'ok' : `${lines.join('\n')}\n`;
  return { ok, body };
}
