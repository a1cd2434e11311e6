/**
 * KubeClient over HTTPS (or plain HTTP on the API server's unix socket, for components in its
 * own process): JSON bodies, bearer token, keep-alive connections. Errors come back as ApiError
 * rebuilt from the server's Status; watches are streaming GETs of JSON lines.
 *
 * Requests share a bounded pool of keep-alive connections (`maxConnections`), which grows a
 * few connections at a time (see ConnectionGate): a burst waits for a free connection rather
 * than open hundreds that a busy server would accept one per turn of its event loop. Watches
 * hold their connection for as long as they run, so they have a pool of their own.
 */
import https from 'node:https';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { ApiError, type Status } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type {
  DeleteOptions,
  KubeClient,
  ListOptions,
  ObjectList,
  PatchType,
  ResourceRef,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './interfaces.js';
import { ConnectionGate } from './connection-gate.js';
import { loadKubeconfig } from './kubeconfig.js';

export interface RestClientOptions {
  /** Base URL, e.g. https://127.0.0.1:6443. */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  caCert: string;
  token: string;
  userAgent?: string;
  /** Field manager for writes that do not name one; defaults to the user agent's first word. */
  fieldManager?: string;
  logger?: Logger;
  /** Deadline of each non-watch request (default 30 s). */
  timeoutMs?: number;
  /**
   * The API server's unix socket: requests go there as plain HTTP (the socket's file mode is
   * what keeps others out) and `server` only supplies the path prefix.
   */
  socketPath?: string;
  /** Requests other than watches in flight at once, each on its own connection (default 64); more wait. */
  maxConnections?: number;
}

export const patchContentTypes: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

const reasonForCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The ApiError a response stands for: its Status when it sent one, else code and text. */
/** client-go's limit on retries after 429 TooManyRequests. */
const maxRetriesOn429 = 10;

export function errorFromResponse(code: number, text: string): ApiError {
  try {
    const s = JSON.parse(text) as Partial<Status>;
    if (s && s.kind === 'Status') {
      return new ApiError(s.code ?? code, s.reason ?? reasonForCode[code] ?? 'Unknown', s.message ?? text, s.details);
    }
  } catch {
    // Not JSON: a proxy or a crash wrote it; the text itself is the best message there is.
  }
  return new ApiError(code, reasonForCode[code] ?? 'Unknown', text.trim() || `the server responded with HTTP ${code}`);
}

/** A Status object (from a watch ERROR event) as an ApiError. */
export function errorFromStatus(s: Partial<Status> | undefined): ApiError {
  const code = typeof s?.code === 'number' ? s.code : 500;
  return new ApiError(code, s?.reason ?? reasonForCode[code] ?? 'Unknown', s?.message ?? 'watch error', s?.details);
}

function connectionError(err: Error): ApiError {
  return new ApiError(503, 'ServiceUnavailable', `connection to the API server failed: ${err.message}`, undefined, { cause: err });
}

/** Path of a collection, or of one object (and its subresource) when name is given. */
export function resourcePath(res: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  if (res.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${res.plural}`;
  if (name !== undefined) {
    if (!name) throw new ApiError(400, 'BadRequest', `resource name may not be empty (${res.plural})`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}

function withQuery(path: string, q: Query | undefined): string {
  if (!q) return path;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

/** Splits a byte stream into lines; chunks may cut lines (and UTF-8 characters) anywhere. */
export class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private partial = '';

  /** The complete lines the chunk finishes, without their newlines. */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }

  /** What is left after the stream ended: an unterminated last line, or nothing. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest ? [rest] : [];
  }
}

export class RestClient implements KubeClient {
  private readonly agent: http.Agent;
  private readonly watchAgent: http.Agent;
  private readonly gate: ConnectionGate;
  private readonly transport: typeof http | typeof https;
  private readonly base: URL;
  private readonly log: Logger;
  private readonly userAgent: string;
  private readonly fieldManager: string;
  private readonly timeoutMs: number;
  private readonly watches = new Set<WatchHandle>();
  private closed = false;

  /** A client for the kubeconfig's current context. */
  static fromKubeconfig(path: string, opts: Omit<Partial<RestClientOptions>, 'server' | 'caCert' | 'token'> = {}): RestClient {
    const kc = loadKubeconfig(path);
    return new RestClient({ ...opts, server: kc.server, caCert: kc.caCert, token: kc.token });
  }

  constructor(private readonly opts: RestClientOptions) {
    this.base = new URL(opts.server);
    if (this.base.protocol !== 'https:') throw new Error(`RestClient: server must be https, got ${opts.server}`);
    const maxConnections = Math.max(1, opts.maxConnections ?? 64);
    this.gate = new ConnectionGate({ maxConnections });
    const pooled = ConnectionGate.agentOptions(maxConnections);
    if (opts.socketPath) {
      this.transport = http;
      this.agent = new http.Agent(pooled);
      this.watchAgent = new http.Agent({ keepAlive: true });
    } else {
      this.transport = https;
      this.agent = new https.Agent({ ...pooled, ca: opts.caCert });
      this.watchAgent = new https.Agent({ keepAlive: true, ca: opts.caCert });
    }
    this.log = opts.logger ?? silentLogger;
    this.userAgent = opts.userAgent ?? 'peapod-client/v0.1.0';
    this.fieldManager = opts.fieldManager ?? this.userAgent.split('/')[0]!;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  get<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(res, namespace, name));
  }

  list<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>('GET', resourcePath(res, namespace), {
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
    });
  }

  create<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(res, namespace ?? obj.metadata.namespace), { body: obj, query: this.writeQuery(opts) });
  }

  update<T extends KubeObject = KubeObject>(res: ResourceRef, obj: T, opts: WriteOptions & { subresource?: 'status' } = {}): Promise<T> {
    const path = resourcePath(res, obj.metadata.namespace, obj.metadata.name ?? '', opts.subresource);
    return this.request<T>('PUT', path, { body: obj, query: this.writeQuery(opts) });
  }

  patch<T extends KubeObject = KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: 'status' | 'scale'; force?: boolean } = {},
  ): Promise<T> {
    const query: Query = this.writeQuery(opts);
    if (opts.force) query.force = true;
    return this.request<T>('PATCH', resourcePath(res, namespace, name, opts.subresource), {
      body: patch,
      contentType: patchContentTypes[type],
      query,
    });
  }

  async delete(res: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const hasBody = opts.propagationPolicy !== undefined || opts.gracePeriodSeconds !== undefined || opts.preconditions !== undefined;
    await this.request('DELETE', resourcePath(res, namespace, name), {
      body: hasBody ? { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } : undefined,
    });
  }

  async bind(namespace: string, podName: string, nodeName: string): Promise<void> {
    const pods: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
    await this.request('POST', resourcePath(pods, namespace, podName, 'binding'), {
      body: {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: podName, namespace },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      },
    });
  }

  watch<T extends KubeObject = KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
    onDone: (err?: Error) => void,
  ): WatchHandle {
    const path = withQuery(resourcePath(res, namespace), {
      watch: true,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks ? true : undefined,
      timeoutSeconds: opts.timeoutSeconds,
    });
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      this.watches.delete(handle);
      req.destroy();
      onDone(err);
    };
    const handle: WatchHandle = { close: () => finish() };
    if (this.closed) {
      queueMicrotask(() => onDone(new Error('client is closed')));
      return { close() {} };
    }
    this.watches.add(handle);
    const req = this.transport.request(this.requestOptions('GET', path, this.watchAgent), (resp: IncomingMessage) => {
      if (resp.statusCode !== 200) {
        readBody(resp).then(
          (text) => finish(errorFromResponse(resp.statusCode ?? 0, text)),
          (err: Error) => finish(connectionError(err)),
        );
        return;
      }
      const lines = new LineSplitter();
      const deliver = (line: string) => {
        if (finished || !line.trim()) return;
        let ev: WatchEvent<T>;
        try {
          ev = JSON.parse(line) as WatchEvent<T>;
        } catch (err) {
          finish(new Error(`watch ${path}: undecodable event: ${(err as Error).message}`, { cause: err }));
          return;
        }
        try {
          onEvent(ev);
        } catch (err) {
          // The stream cannot continue past an event its consumer could not take.
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      };
      resp.on('data', (chunk: Buffer) => {
        for (const line of lines.push(chunk)) deliver(line);
      });
      resp.on('end', () => {
        for (const line of lines.end()) deliver(line);
        finish();
      });
      resp.on('error', (err) => finish(connectionError(err)));
      resp.on('aborted', () => finish(connectionError(new Error('watch stream aborted'))));
      // A connection that drops mid-stream may close without 'end' or 'error'.
      resp.on('close', () => finish(resp.complete ? undefined : connectionError(new Error('watch stream closed'))));
    });
    req.on('error', (err) => finish(connectionError(err)));
    req.end();
    return handle;
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  /**
   * One request to any API path, the answer decoded as JSON; non-2xx answers throw ApiError.
   * For the few calls the typed methods do not cover (discovery, subresources like eviction).
   */
  request<T = unknown>(method: string, path: string, ro: RequestOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ApiError(503, 'ServiceUnavailable', 'client is closed'));
    const full = withQuery(path, ro.query);
    const payload = ro.body === undefined ? undefined : typeof ro.body === 'string' ? ro.body : JSON.stringify(ro.body);
    const options = this.requestOptions(method, full);
    if (payload !== undefined) {
      options.headers!['Content-Type'] = ro.contentType ?? 'application/json';
      options.headers!['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = ro.timeoutMs ?? this.timeoutMs;
    const attempt = (): Promise<T> =>
      this.gate.acquire().then((release) => {
        if (this.closed) {
          release();
          throw new ApiError(503, 'ServiceUnavailable', 'client is closed');
        }
        return this.send<T>(method, full, options, payload, timeoutMs).finally(release);
      });
    return this.retryWhenAsked(attempt, method, full);
  }

  /**
   * Like client-go: a 429 (the server's queues are full; it did nothing with the request) is
   * tried again after the Retry-After the server gave, up to maxRetriesOn429 times.
   */
  private async retryWhenAsked<T>(attempt: () => Promise<T>, method: string, path: string): Promise<T> {
    for (let retries = 0; ; retries++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 429 || retries >= maxRetriesOn429 || this.closed) throw err;
        const waitMs = Math.min(10, Math.max(1, err.details?.retryAfterSeconds ?? 1)) * 1000;
        this.log.debug('server asked to retry later', { method, path, waitMs, retries });
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /** One request on the agent; the gate has already let it through. */
  private send<T>(method: string, full: string, options: https.RequestOptions, payload: string | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const req = this.transport.request(options, (resp) => {
        readBody(resp).then(
          (text) => {
            clearTimeout(timer);
            this.gate.responded(req);
            const code = resp.statusCode ?? 0;
            if (code < 200 || code >= 300) {
              const err = errorFromResponse(code, text);
              this.log.debug('request failed', { method, path: full, code, reason: err.reason });
              reject(err);
              return;
            }
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch (err) {
              reject(new ApiError(500, 'InternalError', `${method} ${full}: undecodable response: ${(err as Error).message}`, undefined, { cause: err }));
            }
          },
          (err: Error) => {
            clearTimeout(timer);
            reject(connectionError(err));
          },
        );
      });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          req.destroy(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(/timed out after/.test(err.message) ? new ApiError(504, 'Timeout', `${method} ${full}: ${err.message}`, undefined, { cause: err }) : connectionError(err));
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private writeQuery(opts: WriteOptions): Query {
    return { fieldManager: opts.fieldManager ?? this.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
  }

  private requestOptions(method: string, path: string, agent: http.Agent = this.agent): https.RequestOptions & { headers: Record<string, string> } {
    const headers = {
      Authorization: `Bearer ${this.opts.token}`,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    const fullPath = this.base.pathname.replace(/\/$/, '') + path;
    if (this.opts.socketPath) {
      return { protocol: 'http:', socketPath: this.opts.socketPath, method, path: fullPath, agent, headers };
    }
    return {
      protocol: 'https:',
      hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
      port: this.base.port || 443,
      method,
      path: fullPath,
      agent,
      ca: this.opts.caCert,
      headers,
    };
  }
}

function readBody(resp: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    resp.on('data', (c: Buffer) => chunks.push(c));
    resp.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    resp.on('error', reject);
    resp.on('aborted', () => reject(new Error('response aborted')));
    // Settles nothing when 'end' came first; otherwise the connection dropped mid-body.
    resp.on('close', () => {
      if (!resp.complete) reject(new Error('connection closed before the response was complete'));
    });
  });
}
