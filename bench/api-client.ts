/**
 * A bare HTTPS client for the API benchmarks: a keep-alive agent, the admin bearer token and
 * the cluster CA, and nothing else, so the client adds as little of its own cost as possible.
 */
import https from 'node:https';

export interface ApiResponse {
  status: number;
  body: Buffer;
}

export interface ApiClientOptions {
  /** Base URL printed by the server, e.g. https://127.0.0.1:41234 */
  url: string;
  token: string;
  /** PEM of the CA that signed the serving certificate. */
  ca: string;
  /** Sockets kept open to the server; the number of requests that can be in flight at once. */
  maxSockets: number;
}

export class ApiClient {
  private readonly agent: https.Agent;
  private readonly base: URL;
  private readonly auth: string;

  constructor(opts: ApiClientOptions) {
    this.base = new URL(opts.url);
    this.auth = `Bearer ${opts.token}`;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets, ca: opts.ca });
  }

  /**
   * Sends one request and resolves with the whole body once the last byte has arrived. A
   * Buffer body is sent as it is (already JSON), anything else is serialised here.
   */
  request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      Authorization: this.auth,
      Accept: 'application/json',
      // The server records it as the field manager, as kubectl's would be.
      'User-Agent': 'peapod-bench',
    };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(new Error(`${method} ${path}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
  }

  /** Closes the kept-alive sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }
}

/** The message of a Kubernetes Status body, or the start of whatever came back. */
export function describeFailure(res: ApiResponse): string {
  const text = res.body.toString('utf8');
  try {
    const st = JSON.parse(text) as { message?: string; reason?: string };
    if (st.message) return `${res.status} ${st.reason ?? ''}: ${st.message}`.trim();
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return `${res.status}: ${text.slice(0, 300)}`;
}
