/**
 * The API server: the cluster's one entry point. HTTPS with bearer tokens; every object is
 * created, read, updated, deleted and watched here and persisted in the Store.
 */
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse as parseYAML } from 'yaml';
import {
  ApiError,
  asApiError,
  badRequest,
  invalidOptions,
  invalidQualified,
  methodNotAllowed,
  notAcceptable,
  notFound,
  tooLarge,
  unauthorized,
  unsupportedMediaType,
  type FieldError,
  type Status,
} from '../api/errors.js';
import { forbidden as forbiddenField, invalidValue, notSupported, required, tooLong } from '../api/validation.js';
import type { KubeObject } from '../api/object.js';
import { clone, isPlainObject } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import { apiVersionOf } from '../api/resource.js';
import type { Store } from '../storage/interface.js';
import type { Clock } from '../util/clock.js';
import { realClock, rfc3339 } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { runHealthCheck, runHealthChecks, type HealthCheck } from '../util/health.js';
import { FairQueue } from './fair-queue.js';
import type { TokenAuthenticator, User } from './auth.js';
import type { Authorizer } from './authorization/authorizer.js';
import { authorizeRequest } from './authorization/filter.js';
import { answerReview, answerTokenReview, reviewResourceFor } from './reviews.js';
import type { ServiceAccountTokens } from './serviceaccount-tokens.js';
import { issueToken, serviceAccountStillExists, TOKEN_REQUEST_API_VERSION, type TokenRequestDeps } from './token-request.js';
import { apiGroup, apiGroupDiscoveryList, apiGroupList, apiResourceList, apiVersions, supportsDeleteCollection } from './discovery.js';
import { aggregatedDiscoveryContentType, negotiate, negotiateDiscovery, toYAML, type Negotiated } from './negotiate.js';
import { ObjectRegistry, rawJSONOf, type DeleteOptions } from './registry.js';
import { checkTypeMeta, parsePath, splitRequestURL, type ResourcePath } from './request.js';
import { partialObjectMetadata, toTable, type IncludeObject } from './table.js';
import { buildFilter, scaleSelectorString } from './selectors.js';
import { applyPatchBody, applyServerSide, recordManagedFields } from './patch-adapter.js';
import { openapiV3DocumentBytes, openapiV3Index } from './openapi.js';
import { negotiateOpenapiV2, openapiV2Serialized } from './openapi-v2.js';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf/decode.js';
import { evictPod, registryEvictionBackend } from './eviction.js';
import { checkFields, duplicateFields, fieldTypeError, patchedFieldTypeError, strictDecodingError, unknownFieldWarningHeaders } from './field-validation.js';
import { textExceedsDepth, tooDeep, valueExceedsDepth } from './nesting.js';

/** Requests larger than this are refused with 413, as kube-apiserver does (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-peapod',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-27T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface APIServerOptions {
  store: Store;
  types: readonly ResourceType[];
  logger: Logger;
  clock?: Clock;
  /** Without TLS material the server speaks plain HTTP (tests of the handler only). */
  tls?: { cert: string; key: string };
  authenticator?: TokenAuthenticator;
  /**
   * Issues tokens on serviceaccounts/token and, with an authenticator, accepts them as bearer
   * tokens while their service account (and bound object) exist. Without it, no tokens.
   */
  serviceAccountTokens?: ServiceAccountTokens;
  host?: string;
  port?: number;
  /** How often an idle watch gets a BOOKMARK when it asked for them. */
  bookmarkIntervalMs?: number;
  /**
   * An extra plain-HTTP listener on this unix socket (mode 0600) for clients in the same
   * process or on the same host as the same user: the file's permissions keep others out,
   * TLS adds nothing there. Requests on it still need a bearer token.
   */
  socketPath?: string;
  /** Bytes a watch may have waiting for a client that doesn't read before it is closed (default 16 MiB). */
  watchBacklogBytes?: number;
  /**
   * Requests served at once (watches aside); beyond that they wait, one queue per client, and
   * are taken from the queues in turn (see fair-queue.ts). Default 32: on one event loop, fewer
   * requests at once finish sooner, and the order they are served in is what fairness decides.
   */
  maxRequestsInFlight?: number;
}

const defaultMaxRequestsInFlight = 32;

const propagationPolicies: readonly string[] = ['Foreground', 'Background', 'Orphan'];

/** The kinds whose delete answers with the deleted object rather than a Status (ReturnDeletedObject in Kubernetes' storage). */
function returnsDeletedObject(rt: ResourceType): boolean {
  return rt.group === '' && (rt.plural === 'pods' || rt.plural === 'services' || rt.plural === 'namespaces');
}

const maxTimerMs = 2 ** 31 - 1;

/** How long a request body may take to arrive (kube-apiserver's default request timeout). */
const bodyTimeoutMs = 60_000;

type FieldValidationMode = 'Strict' | 'Warn' | 'Ignore';
const fieldValidationModes: readonly string[] = ['Ignore', 'Strict', 'Warn'] satisfies FieldValidationMode[];

const streamingSubresources = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** kube-apiserver's long-running requests: watches and the streaming subresources. */
function isLongRunning(p: ResourcePath, query: URLSearchParams): boolean {
  if (isTrue(query.get('watch'))) return true;
  if (p.subresource === undefined) return false;
  return streamingSubresources.has(p.subresource) || (p.subresource === 'log' && isTrue(query.get('follow')));
}

/**
 * A flow, for fair queuing: who is asking (the user and the client program, its User-Agent up to
 * the first "/": every peapod component uses the admin token, so the program tells them apart,
 * as kube's service accounts would) and for which resource. Per resource, because one program's
 * requests are of different urgency: the scheduler's bindings must not wait behind its events,
 * nor a node's pod status behind its heartbeats.
 */
function flowOf(req: IncomingMessage, user: string | undefined, resource: string): string {
  const ua = req.headers['user-agent'] ?? '';
  const slash = ua.indexOf('/');
  return `${user ?? ''}\u0000${slash < 0 ? ua : ua.slice(0, slash)}\u0000${resource}`;
}

interface RequestCtx {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** The response format the Accept header asks for; set (or refused, 406) before a resource is served. */
  accept?: Negotiated;
  /** Who the request acts as (after impersonation); undefined on a server without authentication. */
  user?: User;
}


export class APIServer {
  readonly registry: ObjectRegistry;
  private readonly byPath = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private server?: http.Server;
  private socketServer?: http.Server;
  private readonly openWatches = new Set<() => void>();
  private readonly healthChecks = new Map<string, () => Promise<void>>();
  private address = '';
  private readonly sockets = new Set<Socket>();
  private readonly fairQueue: FairQueue;

  constructor(private readonly opts: APIServerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ component: 'apiserver' });
    this.fairQueue = new FairQueue(opts.maxRequestsInFlight ?? defaultMaxRequestsInFlight);
    for (const rt of opts.types) {
      this.byPath.set(`${rt.group}/${rt.version}/${rt.plural}`, rt);
      this.byKind.set(`${apiVersionOf(rt)}/${rt.kind}`, rt);
    }
    const nsType = opts.types.find((t) => t.group === '' && t.plural === 'namespaces');
    if (!nsType) throw new Error('the namespaces resource type is required');
    this.registry = new ObjectRegistry(opts.store, this.clock, () => nsType);
    this.registry.managedFields = recordManagedFields;
    this.healthChecks.set('etcd', () => opts.store.check());
    if (opts.serviceAccountTokens && opts.authenticator) {
      const deps = this.tokenDeps(opts.serviceAccountTokens);
      opts.authenticator.acceptServiceAccountTokens(opts.serviceAccountTokens, (claims) => serviceAccountStillExists(deps, claims), () => this.clock.now());
    }
  }

  private tokenDeps(tokens: ServiceAccountTokens): TokenRequestDeps {
    const coreType = (plural: string) => {
      const rt = this.resourceType('', 'v1', plural);
      if (!rt) throw new Error(`core/v1 ${plural} is not served`);
      return rt;
    };
    return { registry: this.registry, tokens, coreType, now: () => this.clock.now() };
  }

  resourceType(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** Adds a named readiness check shown by /readyz?verbose. */
  addHealthCheck(name: string, check: () => Promise<void>): void {
    this.healthChecks.set(name, check);
  }

  private authorizer?: Authorizer;
  /** The aggregated discovery documents as sent, by half and version: the served kinds never change. */
  private readonly discoveryDocs = new Map<string, { json: string; etag: string }>();

  /**
   * Authorizes every authenticated request from now on (impersonation included), and answers
   * the access and rules reviews with it. Without one, every authenticated user may do anything.
   */
  setAuthorizer(authorizer: Authorizer): void {
    this.authorizer = authorizer;
  }

  async listen(): Promise<{ port: number; url: string }> {
    const traceRequests = this.log.enabled('debug');
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (traceRequests) {
        const started = Date.now();
        res.once('finish', () => {
          this.log.debug('request', { method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started, ua: req.headers['user-agent'], ct: req.headers['content-type'] });
        });
      }
      this.handle(req, res).catch((err) => this.fail(res, err));
    };
    const srv = this.opts.tls
      ? https.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key, ...tlsCipherPreference }, handler)
      : http.createServer(handler);
    this.server = this.track(srv);
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.opts.port ?? 0, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const port = (srv.address() as AddressInfo).port;
    this.address = `${host}:${port}`;
    const scheme = this.opts.tls ? 'https' : 'http';
    this.log.info('serving', { url: `${scheme}://${host}:${port}` });
    if (this.opts.socketPath) await this.listenOnSocket(this.opts.socketPath, handler);
    return { port, url: `${scheme}://${host}:${port}` };
  }

  /** Sets the timeouts every listener shares and tracks its connections for close(). */
  private track(srv: http.Server): http.Server {
    srv.keepAliveTimeout = 65_000;
    srv.headersTimeout = 70_000;
    srv.requestTimeout = 0;
    // Tracked so close() can end every connection, including ones still in a TLS handshake
    // or idle between keep-alive requests, which closeAllConnections does not always reach.
    srv.on('connection', (sock: Socket) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
    });
    // CONNECT is no API verb. Node hands it to this event instead of the handler and, with no
    // listener, drops the connection without an answer: answer it as any unserved method.
    srv.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      const body = JSON.stringify(methodNotAllowed('the server does not allow this method on the requested resource').toStatus());
      socket.end(`HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    return srv;
  }

  private async listenOnSocket(path: string, handler: http.RequestListener): Promise<void> {
    removeStaleSocket(path);
    const srv = this.track(http.createServer(handler));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(path, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.socketServer = srv;
    // The socket is created with the umask's mode; its permissions are its authentication.
    chmodSync(path, 0o600);
    this.log.info('serving', { socket: path });
  }

  async close(): Promise<void> {
    for (const stop of [...this.openWatches]) stop();
    const servers = [this.server, this.socketServer].filter((s): s is http.Server => s !== undefined);
    await Promise.all(
      servers.map(
        (srv) =>
          new Promise<void>((resolve) => {
            srv.close(() => resolve());
            srv.closeAllConnections();
            for (const sock of this.sockets) sock.destroy();
          }),
      ),
    );
  }

  // ---------------------------------------------------------------- plumbing

  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const data = rawJSONOf(body) ?? JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
    res.end(wantsPrettyJSON(res.req) ? JSON.stringify(JSON.parse(data), null, 2) : data);
  }

  /** A 200 in the negotiated encoding: JSON (as send writes it) or, when asked for, YAML. */
  private sendNegotiated(res: ServerResponse, body: unknown, yaml: boolean): void {
    if (!yaml) return this.send(res, 200, body);
    res.writeHead(200, { 'Content-Type': 'application/yaml', 'Cache-Control': 'no-cache, private' });
    res.end(toYAML(body, rawJSONOf(body)));
  }

  private fail(res: ServerResponse, err: unknown): void {
    const e = asApiError(err);
    if (e.code >= 500) this.log.error('request failed', { err: err instanceof Error ? err.stack : String(err) });
    if (e.details?.retryAfterSeconds !== undefined && !res.headersSent) res.setHeader('Retry-After', String(e.details.retryAfterSeconds));
    // The rest of a body that timed out may never come: this connection can't carry another request.
    if (e.code === 408 && !res.headersSent) res.setHeader('Connection', 'close');
    // An error is answered in the encoding the client asked for, as kube-apiserver negotiates
    // its Status: YAML to a client that wants YAML first, JSON otherwise.
    if (!res.headersSent && acceptsYAMLFirst(res.req)) {
      res.writeHead(e.code, { 'Content-Type': 'application/yaml', 'Cache-Control': 'no-cache, private' });
      res.end(toYAML(e.toStatus(), undefined));
      return;
    }
    this.send(res, e.code, e.toStatus());
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBodyBytes) {
      req.resume();
      throw tooLarge(maxBodyBytes);
    }
    // Plain events rather than `for await`: the async iterator costs more than the small
    // bodies most requests carry.
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          cleanup();
          req.resume();
          reject(tooLarge(maxBodyBytes));
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = () => {
        cleanup();
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      };
      // The client's doing, not the server's: no 500 (and no error in the log) for it.
      const onError = (err: Error) => {
        cleanup();
        reject(badRequest(`reading the request body failed: ${err.message}`));
      };
      const onClose = () => {
        cleanup();
        reject(badRequest('the client closed the connection before sending the whole body'));
      };
      // A body that never finishes would hold its seat for good: enough of them and no other
      // request is served. Like kube-apiserver's request timeout, give up after a minute.
      const cancelTimer = this.clock.setTimeout(() => {
        cleanup();
        reject(new ApiError(408, 'Timeout', `the request body did not arrive within ${bodyTimeoutMs / 1000}s`));
      }, bodyTimeoutMs);
      const cleanup = () => {
        cancelTimer();
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }

  /** Decodes a create/update body: JSON or YAML, which must be an object. */
  private async readObject(req: IncomingMessage): Promise<KubeObject> {
    return (await this.readWrittenObject(req, false)).obj;
  }

  /**
   * A create or update body, and under fieldValidation=Strict the fields its JSON sets twice
   * (Go's strict decoder refuses them; JSON.parse would quietly keep the last).
   */
  private async readWrittenObject(req: IncomingMessage, strict: boolean): Promise<{ obj: KubeObject; duplicates: string[] }> {
    const buf = await this.readBody(req);
    const value = decodeBody(req, buf);
    if (!isPlainObject(value)) throw badRequest('the request body must be a JSON object, got ' + describeType(value));
    if (value.metadata !== undefined && !isPlainObject(value.metadata)) {
      throw badRequest('metadata must be an object, got ' + describeType(value.metadata));
    }
    const json = strict && isJSONMediaType(requestMediaType(req, 'application/json'));
    return { obj: value as KubeObject, duplicates: json ? duplicateFields(buf.toString('utf8')) : [] };
  }

  // ---------------------------------------------------------------- routing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = splitRequestURL(req.url ?? '/');
    const ctx: RequestCtx = { req, res, query };

    if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/readyz/') || path.startsWith('/livez/') || path.startsWith('/healthz/')) {
      return this.health(ctx, path);
    }
    const found = this.opts.authenticator?.authenticate(req);
    let user = found instanceof Promise ? await found : found;
    if (this.opts.authenticator && !user) throw unauthorized();
    if (user && this.authorizer) user = authorizeRequest(this.authorizer, req, path, query, user);
    ctx.user = user;
    if (path === '/version' || path === '/version/') return this.document(ctx, serverVersion);
    if (path === '/api' || path === '/api/') return this.discoveryRoot(ctx, true);
    if (path === '/apis' || path === '/apis/') return this.discoveryRoot(ctx, false);
    if (path === '/openapi/v2' || path === '/openapi/v2/') {
      onlyGet(req);
      return this.openapiV2(ctx);
    }
    if (path === '/openapi/v3' || path === '/openapi/v3/') return this.document(ctx, openapiV3Index());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3DocumentBytes(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFoundPath();
      onlyGet(req);
      const cache = query.get('hash') === doc.hash ? 'public, immutable' : 'no-cache, private';
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: `"${doc.hash}"`, 'Cache-Control': cache });
      res.end(doc.json);
      return;
    }
    const parsed = parsePath(path);
    switch (parsed.type) {
      case 'group': {
        const g = apiGroup(this.opts.types, parsed.group);
        if (!g) throw notFoundPath();
        return this.document(ctx, g);
      }
      case 'groupVersion': {
        const list = apiResourceList(this.opts.types, parsed.group, parsed.version);
        if (!list) throw notFoundPath();
        return this.document(ctx, list);
      }
      case 'resource': {
        const review = parsed.path.name === undefined ? reviewResourceFor(parsed.path.group, parsed.path.version, parsed.path.resource) : undefined;
        if (review && (parsed.path.namespace !== undefined) === (review.namespaced === true)) {
          if (req.method !== 'POST') throw methodNotAllowed('the server does not allow this method on the requested resource');
          const body = await this.readObject(req);
          if (review.kind === 'TokenReview') {
            const authn = this.opts.authenticator;
            return this.send(res, 201, await answerTokenReview(body, (token, auds) => (authn ? authn.reviewToken(token, auds) : Promise.resolve(undefined))));
          }
          return this.send(res, 201, answerReview(review, body, user, this.authorizer, parsed.path.namespace));
        }
        // Watches (and the streams of exec, attach, port-forward, followed logs) run for minutes:
        // they never wait for, or hold, one of the seats.
        if (isLongRunning(parsed.path, query)) return this.resource(ctx, parsed.path);
        await this.fairQueue.run(flowOf(req, user?.name, parsed.path.resource), () => this.resource(ctx, parsed.path), () => req.destroyed);
        return;
      }
      default:
        throw notFoundPath();
    }
  }

  /** Version, discovery and OpenAPI documents: read-only. */
  private document(ctx: RequestCtx, body: unknown): void {
    onlyGet(ctx.req);
    this.send(ctx.res, 200, body);
  }

  /** /api (legacy: the core group) or /apis: aggregated discovery when the Accept header asks for it first. */
  private discoveryRoot(ctx: RequestCtx, legacy: boolean): void {
    onlyGet(ctx.req);
    const aggregated = negotiateDiscovery(ctx.req.headers.accept);
    // One URL, two documents: caches must key on Accept.
    ctx.res.setHeader('Vary', 'Accept');
    if (aggregated) {
      // As kube-apiserver serves it: with an ETag (a hash of the document), and 304 to a client
      // whose cached copy (If-None-Match) is current, which client-go's discovery cache sends.
      const key = `${legacy}/${aggregated}`;
      let doc = this.discoveryDocs.get(key);
      if (!doc) {
        const json = JSON.stringify(apiGroupDiscoveryList(this.opts.types, legacy, aggregated));
        doc = { json, etag: `"${createHash('sha256').update(json).digest('hex').slice(0, 32)}"` };
        this.discoveryDocs.set(key, doc);
      }
      const { json, etag } = doc;
      const headers = { 'Content-Type': aggregatedDiscoveryContentType(aggregated), ETag: etag, 'Cache-Control': 'no-cache, private' };
      if (ctx.req.headers['if-none-match'] === etag) {
        ctx.res.writeHead(304, headers);
        ctx.res.end();
        return;
      }
      ctx.res.writeHead(200, headers);
      ctx.res.end(json);
      return;
    }
    this.send(ctx.res, 200, legacy ? apiVersions(this.address) : apiGroupList(this.opts.types));
  }

  /** The Swagger 2.0 document kubectl 1.27/1.28 read for apply and explain; protobuf or JSON by Accept. */
  private openapiV2(ctx: RequestCtx): void {
    const format = negotiateOpenapiV2(ctx.req.headers.accept);
    if (!format) {
      throw new ApiError(406, 'NotAcceptable', 'only application/json and application/com.github.proto-openapi.spec.v2.v1.0+protobuf are served');
    }
    const doc = openapiV2Serialized();
    const headers = { 'Content-Type': format.contentType, ETag: `"${doc.etag}"`, Vary: 'Accept' };
    if (ctx.req.headers['if-none-match'] === `"${doc.etag}"`) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(200, headers);
    ctx.res.end(format.format === 'protobuf' ? doc.protobuf : doc.json);
  }

  private async health(ctx: RequestCtx, path: string): Promise<void> {
    // "/readyz/etcd" runs that check alone; any other path under an endpoint ("/livez/",
    // "/readyz/nope", "/livez/ping/x") is a 404, as kube-apiserver's mux answers it.
    const [, endpoint, only, ...rest] = path.split('/');
    // As kube-apiserver: livez and healthz check that the process answers and that its store
    // does (etcd); readyz adds every readiness check (informer sync, shutdown …).
    const checks: HealthCheck[] = [{ name: 'ping', check: () => {} }];
    for (const [name, check] of this.healthChecks) if (endpoint === 'readyz' || name === 'etcd') checks.push({ name, check });
    let answer: { ok: boolean; body: string };
    if (only === undefined) {
      answer = await runHealthChecks(endpoint!, checks, ctx.query.has('verbose'));
    } else {
      const check = rest.length ? undefined : checks.find((c) => c.name === only);
      if (!check) throw notFoundPath();
      answer = await runHealthCheck(check);
    }
    const { ok, body } = answer;
    ctx.res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8' });
    ctx.res.end(body);
  }

  private async resource(ctx: RequestCtx, p: ResourcePath): Promise<void> {
    const rt = this.resourceType(p.group, p.version, p.resource);
    if (!rt) throw notFoundPath();
    if (!rt.namespaced && p.namespace !== undefined) throw notFoundPath();
    const ns = rt.namespaced ? p.namespace : undefined;
    const method = ctx.req.method ?? 'GET';
    ctx.accept = negotiate(ctx.req.headers.accept); // a 406 before anything is done
    if (p.name === undefined) {
      // A namespaced kind's all-namespaces path only lists and watches, as in Kubernetes:
      // DELETE there would empty every namespace at once.
      const allNamespaces = rt.namespaced && ns === undefined;
      switch (method) {
        case 'GET':
          return isTrue(ctx.query.get('watch')) ? this.watch(ctx, rt, ns) : this.list(ctx, rt, ns);
        case 'POST':
          if (allNamespaces) break;
          return this.create(ctx, rt, ns);
        case 'DELETE':
          if (allNamespaces || !supportsDeleteCollection(rt)) break;
          return this.deleteCollection(ctx, rt, ns);
      }
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
    if (rt.namespaced && ns === undefined) throw notFoundPath();
    const name = p.name;
    if (p.subresource === undefined) {
      switch (method) {
        case 'GET':
          return this.get(ctx, rt, ns, name);
        case 'PUT':
          return this.replace(ctx, rt, ns, name);
        case 'PATCH':
          return this.patch(ctx, rt, ns, name);
        case 'DELETE':
          return this.delete(ctx, rt, ns, name);
        default:
          throw methodNotAllowed('the server does not allow this method on the requested resource');
      }
    }
    switch (p.subresource) {
      case 'status':
        if (!rt.hasStatus) throw notFoundPath();
        if (method === 'GET') return this.get(ctx, rt, ns, name);
        if (method === 'PUT') return this.replace(ctx, rt, ns, name, 'status');
        if (method === 'PATCH') return this.patch(ctx, rt, ns, name, 'status');
        throw methodNotAllowed('the server does not allow this method on the requested resource');
      case 'scale':
        if (!rt.scale) throw notFoundPath();
        return this.scale(ctx, rt, ns!, name, method);
      case 'binding':
        if (rt.plural !== 'pods') throw notFoundPath();
        if (method !== 'POST') throw methodNotAllowed('the server does not allow this method on the requested resource');
        return this.bind(ctx, rt, ns!, name);
      case 'eviction':
        if (rt.plural !== 'pods') throw notFoundPath();
        if (method !== 'POST') throw methodNotAllowed('the server does not allow this method on the requested resource');
        return this.evict(ctx, rt, ns!, name);
      case 'token': {
        const tokens = this.opts.serviceAccountTokens;
        if (rt.plural !== 'serviceaccounts' || rt.group !== '' || !tokens) throw notFoundPath();
        if (method !== 'POST') throw methodNotAllowed('the server does not allow this method on the requested resource');
        const request = await this.readObject(ctx.req);
        checkTypeMeta(request, [TOKEN_REQUEST_API_VERSION], 'TokenRequest');
        return this.send(ctx.res, 201, await issueToken(this.tokenDeps(tokens), request, ns!, name));
      }
      case 'log':
      case 'exec':
      case 'attach':
      case 'portforward':
        if (rt.plural !== 'pods') throw notFoundPath();
        return this.podStream(ctx, rt, ns!, name, p.subresource);
      default:
        throw notFoundPath();
    }
  }

  // ---------------------------------------------------------------- verbs

  private async get(ctx: RequestCtx, rt: ResourceType, ns: string | undefined, name: string): Promise<void> {
    // A get at resourceVersion N answers with a state not older than N ("0": any state).
    const rv = ctx.query.get('resourceVersion');
    if (rv && rv !== '0') await this.registry.awaitRevision(parseResourceVersion(rv));
    const obj = await this.registry.get(rt, ns, name);
    const { shape, yaml } = ctx.accept!;
    if (shape === 'table') {
      return this.sendNegotiated(ctx.res, toTable(rt, [obj], { now: this.clock.now(), include: includeObject(ctx.query), resourceVersion: obj.metadata.resourceVersion }), yaml);
    }
    if (shape === 'partial') return this.sendNegotiated(ctx.res, partialObjectMetadata(obj), yaml);
    this.sendNegotiated(ctx.res, obj, yaml);
  }

  private async list(ctx: RequestCtx, rt: ResourceType, ns: string | undefined): Promise<void> {
    const q = ctx.query;
    const filter = buildFilter(rt, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
    const limit = parseNonNegativeInt(q.get('limit'), 'limit');
    const cont = q.get('continue') || undefined;
    const at = listRevision(q.get('resourceVersion') ?? '', q.get('resourceVersionMatch') ?? '', cont, limit);
    const { shape, yaml } = ctx.accept!;
    if (shape === 'object' && !yaml && !wantsPrettyJSON(ctx.req)) return this.streamList(ctx, rt, ns, filter, limit, cont, at);
    const result = await this.registry.list(rt, ns, { filter, limit, continue: cont, revision: at?.revision, minRevision: at?.minRevision });
    const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
    if (shape === 'object') {
      return this.sendNegotiated(ctx.res, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata, items: result.items }, yaml);
    }
    if (shape === 'table') {
      return this.sendNegotiated(
        ctx.res,
        toTable(rt, result.items, {
          now: this.clock.now(),
          include: includeObject(q),
          resourceVersion: result.resourceVersion,
          continue: result.continue,
          remainingItemCount: result.remainingItemCount,
        }),
        yaml,
      );
    }
    return this.sendNegotiated(
      ctx.res,
      {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata,
        items: result.items.map(partialObjectMetadata),
      },
      yaml,
    );
  }

  /**
   * A JSON list written from stored JSON strings as it is read, page by page from one
   * consistent snapshot, so a list of 10,000 objects never sits in memory whole.
   */
  private async streamList(
    ctx: RequestCtx,
    rt: ResourceType,
    ns: string | undefined,
    filter: ReturnType<typeof buildFilter>,
    limit: number | undefined,
    cont: string | undefined,
    at: ListRevision | undefined,
  ): Promise<void> {
    const { res } = ctx;
    const pageSize = 1000;
    // The first page decides the answer's metadata (and any error) before anything is written.
    let page = await this.registry.list(rt, ns, { filter, limit: limit ?? pageSize, continue: cont, raw: true, revision: at?.revision, minRevision: at?.minRevision });
    const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
    if (limit !== undefined) {
      if (page.continue) metadata.continue = page.continue;
      if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    let chunk = `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},"metadata":${JSON.stringify(metadata)},"items":[`;
    let first = true;
    for (;;) {
      for (const item of page.raw ?? []) {
        chunk += (first ? '' : ',') + item;
        first = false;
        if (chunk.length >= 256 * 1024) {
          const flushed = res.write(chunk);
          chunk = '';
          if (!flushed) await drained(res);
          if (res.destroyed) return;
        }
      }
      if (limit !== undefined || !page.continue) break;
      page = await this.registry.list(rt, ns, { filter, limit: pageSize, continue: page.continue, raw: true });
    }
    res.end(chunk + ']}');
  }

  private async watch(ctx: RequestCtx, rt: ResourceType, ns: string | undefined): Promise<void> {
    const q = ctx.query;
    const { res } = ctx;
    const filter = buildFilter(rt, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
    const timeoutSeconds = parseNonNegativeInt(q.get('timeoutSeconds'), 'timeoutSeconds');
    // Refused here, before the stream opens: a 400, not a 200 with an ERROR event in it.
    const fromRV = q.get('resourceVersion');
    if (fromRV) parseResourceVersion(fromRV);
    if (q.get('resourceVersionMatch')) {
      throw invalidOptions('ListOptions', [forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch')]);
    }
    const bookmarks = isTrue(q.get('allowWatchBookmarks'));
    const { shape, yaml } = ctx.accept!;
    // YAML has no stream framing: kube-apiserver refuses a watch that negotiates it.
    if (yaml) throw notAcceptable();
    const include = includeObject(q);
    let columnsSent = false;
    let lastRV = q.get('resourceVersion') ?? '0';
    let closed = false;

    const encode = (type: string, obj: KubeObject): string => {
      let out: unknown = obj;
      if (type !== 'BOOKMARK' && type !== 'ERROR') {
        if (shape === 'table') {
          out = toTable(rt, [obj], { now: this.clock.now(), include, resourceVersion: obj.metadata.resourceVersion, withColumns: !columnsSent });
          columnsSent = true;
        } else if (shape === 'partial') {
          out = partialObjectMetadata(obj);
        } else {
          const raw = rawJSONOf(obj);
          if (raw) return `{"type":"${type}","object":${raw}}\n`;
        }
      }
      return JSON.stringify({ type, object: out }) + '\n';
    };
    let live = false;
    // Components on the unix socket run in this process or beside it as the same user; they
    // read at the pace this event loop lets them, so cutting them off would only make them
    // replay. The limit is for network clients.
    const limited = ctx.req.socket.remoteAddress !== undefined;
    const write = (type: string, obj: KubeObject) => {
      if (closed) return;
      // A client that stops reading must not make the server buffer without bound: like
      // kube-apiserver's cache watchers, it is cut off and resumes from the last version it
      // got. (The initial burst of a list-watch is exempt: it is bounded by the list.)
      if (live && limited && res.writableLength > (this.opts.watchBacklogBytes ?? defaultWatchBacklogBytes)) {
        this.log.warn('closing a watch whose client is not reading', { resource: rt.plural, backlogBytes: res.writableLength, resourceVersion: lastRV });
        stop();
        return;
      }
      if (obj.metadata?.resourceVersion) lastRV = obj.metadata.resourceVersion;
      res.write(encode(type, obj));
    };

    const cleanups: (() => void)[] = [];
    const stop = () => {
      if (closed) return;
      closed = true;
      for (const c of cleanups) c();
      this.openWatches.delete(stop);
      res.end();
    };
    this.openWatches.add(stop);
    res.on('close', stop);

    // Headers go out first so the client sees the stream open even before any event.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();

    try {
      const watcher = await this.registry.watch(
        rt,
        ns,
        {
          resourceVersion: q.get('resourceVersion') ?? undefined,
          filter,
          onError: (err) => {
            const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `watch failed: ${err.message}`);
            write('ERROR', e.toStatus() as unknown as KubeObject);
            stop();
          },
        },
        write,
      );
      if (closed) watcher.close();
      else cleanups.push(() => watcher.close());
      live = true;
    } catch (err) {
      const e = asApiError(err);
      write('ERROR', e.toStatus() as unknown as KubeObject);
      stop();
      return;
    }
    const maxSeconds = timeoutSeconds ?? 1800 + Math.floor(Math.random() * 1800);
    // Timers fire at once beyond 2^31-1 ms (about 24 days): a longer timeout is as good as that.
    cleanups.push(this.clock.setTimeout(stop, Math.min(maxSeconds * 1000, maxTimerMs)));
    if (bookmarks) {
      const interval = this.opts.bookmarkIntervalMs ?? 10_000;
      const tick = () => {
        if (closed) return;
        write('BOOKMARK', {
          kind: rt.kind,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: lastRV },
        });
        cancel = this.clock.setTimeout(tick, interval);
      };
      let cancel = this.clock.setTimeout(tick, interval);
      cleanups.push(() => cancel());
    }
  }

  /**
   * dryRun, fieldManager and fieldValidation of a write (and force, for patches). What
   * kube-apiserver's options validation refuses is a 422 naming the options kind:
   * `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["x"]: ...`.
   */
  private writeOptions(ctx: RequestCtx, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', apply = false) {
    const q = ctx.query;
    const errs: FieldError[] = [];
    const dryRun = q.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) errs.push(notSupported('dryRun', dryRun, ['All']));
    const fv = q.get('fieldValidation') || 'Warn';
    if (!fieldValidationModes.includes(fv)) errs.push(notSupported('fieldValidation', fv, ['', ...fieldValidationModes]));
    const named = q.get('fieldManager') || undefined;
    if (apply && !named) errs.push(required('fieldManager', 'is required for apply patch'));
    if (kind === 'PatchOptions' && !apply && q.has('force')) errs.push(forbiddenField('force', 'may not be specified for non-apply patch'));
    const fieldManager = named ?? managerFromUserAgent(ctx.req.headers['user-agent']);
    if (fieldManager.length > 128) errs.push(tooLong('fieldManager', 128));
    if (errs.length) throw invalidOptions(kind, errs);
    return { dryRun: dryRun.length > 0, fieldManager, fieldValidation: fv as FieldValidationMode, user: ctx.user };
  }

  /**
   * Unknown or mistyped fields of a body of `kind`: 400 under Strict, a Warning header under
   * Warn. Unknown fields are dropped from `obj` (under Warn and Ignore), as Kubernetes' decoder
   * drops them: they are never stored.
   */
  private checkFields(
    ctx: RequestCtx,
    apiVersion: string,
    kind: string,
    obj: KubeObject,
    mode: FieldValidationMode,
    extra: { patch?: Buffer; duplicates?: string[] } = {},
  ): void {
    const found = checkFields(apiVersion, kind, obj, { prune: true });
    if (found.typeErrors.length) {
      // In what a patch produced, the patch is at fault: 422 on "patch", as kube-apiserver answers.
      if (extra.patch) throw patchedFieldTypeError(found.typeErrors, extra.patch.toString('utf8'));
      throw fieldTypeError(apiVersion, kind, found.typeErrors);
    }
    if (mode === 'Strict' && extra.duplicates?.length) throw strictDecodingError(found.unknown, extra.duplicates);
    if (mode === 'Ignore' || !found.unknown.length) return;
    if (mode === 'Strict') throw strictDecodingError(found.unknown);
    ctx.res.setHeader('Warning', unknownFieldWarningHeaders(found.unknown));
  }

  private async create(ctx: RequestCtx, rt: ResourceType, ns: string | undefined): Promise<void> {
    const opts = this.writeOptions(ctx, 'CreateOptions');
    const { obj: body, duplicates } = await this.readWrittenObject(ctx.req, opts.fieldValidation === 'Strict');
    this.checkFields(ctx, apiVersionOf(rt), rt.kind, body, opts.fieldValidation, { duplicates });
    const obj = await this.registry.create(rt, ns, body, opts);
    this.send(ctx.res, 201, obj);
  }

  private async replace(ctx: RequestCtx, rt: ResourceType, ns: string | undefined, name: string, subresource?: string): Promise<void> {
    const opts = this.writeOptions(ctx, 'UpdateOptions');
    const { obj: body, duplicates } = await this.readWrittenObject(ctx.req, opts.fieldValidation === 'Strict');
    this.checkFields(ctx, apiVersionOf(rt), rt.kind, body, opts.fieldValidation, { duplicates });
    const obj = await this.registry.update(rt, ns, name, () => clone(body), { ...opts, subresource, replaces: true });
    this.send(ctx.res, 200, obj);
  }

  private async patch(ctx: RequestCtx, rt: ResourceType, ns: string | undefined, name: string, subresource?: string): Promise<void> {
    const ct = requestMediaType(ctx.req, '');
    const apply = ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor';
    const opts = this.writeOptions(ctx, 'PatchOptions', apply);
    const body = await this.readBody(ctx.req);
    // Patch and apply machinery recurse over the body: refuse absurd nesting before they run.
    if (textExceedsDepth(body)) throw tooDeep('the patch');
    const force = isTrue(ctx.query.get('force'));
    if (apply) {
      // Before the merge, so that dropped unknown fields are neither stored nor owned.
      const check = (intent: KubeObject) => this.checkFields(ctx, apiVersionOf(rt), rt.kind, intent, opts.fieldValidation);
      let created = false;
      const applied = await this.registry.update(
        rt,
        ns,
        name,
        (live) => {
          const out = applyServerSide({ rt, live, body, manager: opts.fieldManager, force, now: rfc3339(this.clock.now()), subresource, check });
          if (out.result.metadata.resourceVersion === live.metadata.resourceVersion) delete out.result.metadata.resourceVersion;
          return out.result;
        },
        {
          dryRun: opts.dryRun,
          user: opts.user,
          subresource,
          createIfMissing: async () => {
            if (subresource) throw notFound(rt.plural, name, rt.group || undefined);
            const out = applyServerSide({ rt, live: undefined, body, manager: opts.fieldManager, force, now: rfc3339(this.clock.now()), check });
            const obj = out.result;
            if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
              throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
            }
            obj.metadata.name = name;
            created = true;
            return this.registry.create(rt, ns, obj, { dryRun: opts.dryRun, user: opts.user });
          },
        },
      );
      return this.send(ctx.res, created ? 201 : 200, applied);
    }
    const obj = await this.registry.update(
      rt,
      ns,
      name,
      (live) => {
        const patched = applyPatchBody(ct, live, body, rt) as KubeObject;
        if (!isPlainObject(patched)) throw badRequest('the patch produced something that is not an object');
        this.checkFields(ctx, apiVersionOf(rt), rt.kind, patched, opts.fieldValidation, { patch: body });
        if (isPlainObject(patched.metadata) && patched.metadata.resourceVersion === live.metadata.resourceVersion) {
          delete patched.metadata.resourceVersion;
        }
        return patched;
      },
      { ...opts, subresource },
    );
    this.send(ctx.res, 200, obj);
  }

  /**
   * DeleteOptions from the body (a DeleteOptions object) or, when there is no body, from the
   * query: as kube-apiserver's delete handlers, never both (a client that sends a body and
   * ?gracePeriodSeconds=0 gets the body's options alone). Values of the wrong type are a 400,
   * as Kubernetes' decoder answers them; never ignored, since an ignored precondition or dryRun
   * would delete what the client meant to protect. What options validation refuses is a 422.
   */
  private async deleteOptions(ctx: RequestCtx): Promise<DeleteOptions> {
    const buf = await this.readBody(ctx.req);
    if (!buf.length) return this.parseDeleteOptions(ctx.query, undefined);
    // kubectl's typed clients (drain's fallback to deletes among them) send it as protobuf.
    return this.parseDeleteOptions(new URLSearchParams(), decodeBody(ctx.req, buf));
  }

  /** DeleteOptions from a decoded body (undefined: none) and the query, checked as described above. */
  private parseDeleteOptions(q: URLSearchParams, v: unknown): DeleteOptions {
    let body: Record<string, any> = {};
    if (v !== undefined) {
      if (!isPlainObject(v)) throw badRequest(`DeleteOptions must be a JSON object, got ${describeType(v)}`);
      if (v.kind !== undefined && v.kind !== 'DeleteOptions') {
        throw badRequest(`the kind in the data (${String(v.kind)}) does not match the expected kind (DeleteOptions)`);
      }
      const { typeErrors } = checkFields('v1', 'DeleteOptions', v);
      if (typeErrors.length) throw fieldTypeError('v1', 'DeleteOptions', typeErrors);
      body = v;
    }
    const errs: FieldError[] = [];
    const opts: DeleteOptions = {};
    const policy = q.get('propagationPolicy') ?? body.propagationPolicy;
    const orphanQuery = q.get('orphanDependents');
    const orphan = orphanQuery !== null ? isTrue(orphanQuery) : body.orphanDependents;
    if (policy !== undefined && policy !== null) {
      if (!propagationPolicies.includes(policy)) {
        errs.push(notSupported('propagationPolicy', policy, [...propagationPolicies, 'nil']));
      } else if (orphan !== undefined && orphan !== null) {
        errs.push(invalidValue('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'));
      }
      opts.propagationPolicy = policy;
    } else if (orphan === true) {
      opts.propagationPolicy = 'Orphan';
    } else if (orphan === false) {
      opts.propagationPolicy = 'Background';
    }
    if (typeof orphan === 'boolean') opts.orphanDependents = orphan;
    const grace = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
    if (grace !== undefined && grace !== null && grace !== '') {
      const g = Number(grace);
      if (!Number.isSafeInteger(g)) throw badRequest(`gracePeriodSeconds must be an integer, got ${JSON.stringify(grace)}`);
      // Kubernetes treats a negative grace period as 1s: still graceful, never "now".
      opts.gracePeriodSeconds = g < 0 ? 1 : g;
    }
    if (isPlainObject(body.preconditions)) opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
    const dry = [...q.getAll('dryRun'), ...(Array.isArray(body.dryRun) ? body.dryRun : [])];
    if (dry.some((d) => d !== 'All')) errs.push(notSupported('dryRun', dry, ['All']));
    if (errs.length) throw invalidOptions('DeleteOptions', errs);
    opts.dryRun = dry.length > 0;
    return opts;
  }

  /**
   * Answers with the object while it waits on finalizers or a grace period. Once it is gone,
   * kube-apiserver's generic store answers a Status naming it (details.kind is the resource,
   * as there), except for the kinds whose storage sets ReturnDeletedObject: typed clients
   * (client-node, python-kubernetes) decode a configmap's delete as V1Status, a pod's as V1Pod.
   */
  private async delete(ctx: RequestCtx, rt: ResourceType, ns: string | undefined, name: string): Promise<void> {
    const opts = await this.deleteOptions(ctx);
    const { object, deleted } = await this.registry.delete(rt, ns, name, opts);
    // kube-apiserver's one case of 202: cascading deletion asked for with orphanDependents=false
    // (and not finished at once); every other pending deletion stays a 200 for old clients' sake.
    if (!deleted) return this.send(ctx.res, opts.orphanDependents === false ? 202 : 200, object);
    if (returnsDeletedObject(rt)) return this.send(ctx.res, 200, object);
    const status: Omit<Status, 'code'> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: object.metadata.name, ...(rt.group ? { group: rt.group } : {}), kind: rt.plural, uid: object.metadata.uid },
    };
    this.send(ctx.res, 200, status);
  }

  /**
   * pods/eviction (policy/v1 Eviction), what `kubectl drain` uses: the pod is deleted if its
   * PodDisruptionBudget can spare it (eviction.ts decides; 429 while it cannot). Answers 201
   * with a Success Status.
   */
  private async evict(ctx: RequestCtx, rt: ResourceType, ns: string, name: string): Promise<void> {
    const opts = this.writeOptions(ctx, 'CreateOptions');
    const body = await this.readObject(ctx.req);
    const backend = registryEvictionBackend({
      registry: this.registry,
      pods: rt,
      budgets: this.resourceType('policy', 'v1', 'poddisruptionbudgets'),
      clock: this.clock,
      fieldManager: opts.fieldManager,
    });
    const request = {
      namespace: ns,
      name,
      body,
      dryRun: ctx.query.getAll('dryRun'),
      parseDeleteOptions: (v: unknown) => this.parseDeleteOptions(new URLSearchParams(), v),
    };
    this.send(ctx.res, 201, await evictPod(backend, request, () => this.clock.now()));
  }

  private async deleteCollection(ctx: RequestCtx, rt: ResourceType, ns: string | undefined): Promise<void> {
    const q = ctx.query;
    const filter = buildFilter(rt, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
    const opts = await this.deleteOptions(ctx);
    const { items, resourceVersion } = await this.registry.list(rt, ns, { filter });
    const deleted: KubeObject[] = [];
    for (const obj of items) {
      try {
        deleted.push((await this.registry.delete(rt, obj.metadata.namespace, obj.metadata.name!, opts)).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    this.send(ctx.res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion }, items: deleted });
  }

  private toScale(rt: ResourceType, obj: KubeObject): KubeObject {
    const s = rt.scale!;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: getPath(obj, s.specReplicasPath) ?? 0 },
      status: { replicas: getPath(obj, s.statusReplicasPath) ?? 0, selector: scaleSelectorString(getPath(obj, s.selectorPath)) },
    };
  }

  private async scale(ctx: RequestCtx, rt: ResourceType, ns: string, name: string, method: string): Promise<void> {
    if (method === 'GET') return this.send(ctx.res, 200, this.toScale(rt, await this.registry.get(rt, ns, name)));
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed('the server does not allow this method on the requested resource');
    const opts = this.writeOptions(ctx, method === 'PUT' ? 'UpdateOptions' : 'PatchOptions');
    const ct = requestMediaType(ctx.req, 'application/json');
    const buf = await this.readBody(ctx.req);
    const put = method === 'PUT' ? parseJSONBody(buf) : undefined;
    if (method === 'PUT' && !isPlainObject(put)) throw badRequest(`the request body must be a Scale object, got ${describeType(put)}`);
    if (method === 'PATCH' && textExceedsDepth(buf)) throw tooDeep('the patch');
    const updated = await this.registry.update(
      rt,
      ns,
      name,
      (live) => {
        const current = this.toScale(rt, live);
        const desired = (method === 'PUT' ? put : applyPatchBody(ct, current, buf, { group: 'autoscaling', kind: 'Scale' } as ResourceType)) as KubeObject;
        const replicas = this.checkScale(ctx, desired, name, ns, opts.fieldValidation);
        const next = clone(live);
        setPath(next, rt.scale!.specReplicasPath, replicas);
        const pinned = desired.metadata?.resourceVersion;
        if (pinned && pinned !== live.metadata.resourceVersion) next.metadata.resourceVersion = pinned;
        else delete next.metadata.resourceVersion;
        return next;
      },
      { ...opts, subresource: 'scale' },
    );
    this.send(ctx.res, 200, this.toScale(rt, updated));
  }

  /**
   * A Scale written through /scale, checked as kube-apiserver's update handler and Scale
   * validation check it (type, name, field types: 400; replicas: 422). Returns spec.replicas.
   */
  private checkScale(ctx: RequestCtx, desired: unknown, name: string, ns: string, mode: FieldValidationMode): number {
    if (!isPlainObject(desired)) throw badRequest(`the Scale must be an object, got ${describeType(desired)}`);
    checkTypeMeta(desired, ['autoscaling/v1'], 'Scale');
    this.checkFields(ctx, 'autoscaling/v1', 'Scale', desired as KubeObject, mode);
    const meta = isPlainObject(desired.metadata) ? desired.metadata : {};
    if (!meta.name) throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
    if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    if (meta.namespace && meta.namespace !== ns) {
      throw badRequest(`the namespace of the object (${String(meta.namespace)}) does not match the namespace on the request (${ns})`);
    }
    const replicas = isPlainObject(desired.spec) ? desired.spec.replicas : undefined;
    // Go would decode a missing count as 0 and scale to zero; a client that sent none surely meant something else.
    if (replicas === undefined || replicas === null) throw invalidQualified('Scale', 'autoscaling', name, [required('spec.replicas')]);
    if ((replicas as number) < 0) {
      throw invalidQualified('Scale', 'autoscaling', name, [invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0')]);
    }
    return replicas as number;
  }

  private async bind(ctx: RequestCtx, rt: ResourceType, ns: string, name: string): Promise<void> {
    const opts = this.writeOptions(ctx, 'CreateOptions');
    const binding = await this.readObject(ctx.req);
    checkTypeMeta(binding, ['v1'], 'Binding');
    this.checkFields(ctx, 'v1', 'Binding', binding, opts.fieldValidation);
    const target = binding.target;
    if (!isPlainObject(target) || typeof target.name !== 'string' || !target.name) {
      throw badRequest('Binding.target.name is required');
    }
    if (binding.metadata?.name && binding.metadata.name !== name) {
      throw badRequest(`the name of the binding (${binding.metadata.name}) does not match the pod on the URL (${name})`);
    }
    await this.registry.update(
      rt,
      ns,
      name,
      (pod) => {
        if (pod.metadata.deletionTimestamp) throw new ApiError(409, 'Conflict', `pod ${name} is being deleted, cannot be assigned to a host`);
        if (pod.spec.nodeName) throw new ApiError(409, 'Conflict', `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
        pod.spec.nodeName = target.name;
        const conds = (pod.status.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
        conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.clock.now()) });
        pod.status.conditions = conds;
        return pod;
      },
      // Kubernetes assigns pods straight in storage: a binding leaves managedFields alone.
      { ...opts, fieldManager: undefined, subresource: 'binding' },
    );
    this.send(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } satisfies Status);
  }

  private async podStream(ctx: RequestCtx, rt: ResourceType, ns: string, name: string, sub: string): Promise<void> {
    const pod = await this.registry.get(rt, ns, name);
    const container = ctx.query.get('container') ?? pod.spec.containers?.[0]?.name;
    if (!pod.spec.nodeName) {
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    }
    throw badRequest(`${sub} for pod "${name}" is not available: node "${pod.spec.nodeName}" runs no peapod agent that serves streams yet`);
  }
}

// ---------------------------------------------------------------- helpers

/**
 * The cipher order Go (and so kube-apiserver) uses on machines with AES instructions: AES-128-GCM
 * first, then ChaCha20, then AES-256-GCM. Node's default puts AES-256 first, which costs more per
 * byte for every response and watch event, with no practical gain.
 */
const tlsCipherPreference = {
  ciphers: ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_256_GCM_SHA384', tls.DEFAULT_CIPHERS].join(':'),
  honorCipherOrder: true,
};

/** Bytes a watch may have waiting for its client before the server gives up on the client. */
const defaultWatchBacklogBytes = 16 * 1024 * 1024;

/** Removes a socket file a previous server left behind; anything else at the path is an error. */
function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket`);
  unlinkSync(path);
}

/** Resolves when a response can take more data again (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function onlyGet(req: IncomingMessage): void {
  if (req.method !== 'GET') throw methodNotAllowed('the server does not allow this method on the requested resource');
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** Whether the request's Accept header puts YAML first; a header that can't be met (406) is answered in JSON. */
function acceptsYAMLFirst(req: IncomingMessage | undefined): boolean {
  const accept = req?.headers.accept;
  if (!accept || !accept.includes('yaml')) return false;
  try {
    return negotiate(accept).yaml;
  } catch {
    return false;
  }
}

/**
 * Whether a JSON answer is indented, as kube-apiserver decides it: ?pretty= when given (Go's
 * strconv.ParseBool; anything else means no), otherwise for the user agents of people rather
 * than programs (curl, Wget, browsers).
 */
function wantsPrettyJSON(req: IncomingMessage | undefined): boolean {
  if (!req) return false;
  const url = req.url ?? '';
  if (url.includes('pretty')) {
    const pp = splitRequestURL(url).query.get('pretty');
    if (pp) return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(pp);
  }
  const ua = req.headers['user-agent'] ?? '';
  return ua.startsWith('curl') || ua.startsWith('Wget') || ua.startsWith('Mozilla/5.0');
}

/**
 * A boolean query parameter (watch, allowWatchBookmarks, force, follow, orphanDependents …) read
 * as kube-apiserver's parameter codec reads it (Convert_Slice_string_To_bool): only "0" and
 * "false" in any case are false; any other value, even "" or "True" (what python-kubernetes
 * sends), is true. Absent (null) is false.
 */
function isTrue(v: string | null): boolean {
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

/** A resourceVersion parameter as a store revision; a 400 in kube-apiserver's words when it is none. */
function parseResourceVersion(v: string): number {
  const n = Number(v);
  if (/^[0-9]+$/.test(v) && Number.isSafeInteger(n)) return n;
  const why = /^[0-9]+$/.test(v) ? 'value out of range' : 'invalid syntax';
  throw badRequest(`invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(v)}: ${why}`);
}

/** Which revision a list reads: exactly one (`revision`) or one at least this new (`minRevision`). */
interface ListRevision {
  revision?: number;
  minRevision?: number;
}

/**
 * The revision a list's resourceVersion and resourceVersionMatch ask for, checked as
 * kube-apiserver checks them (a 422 on ListOptions, then a 400 for what storage refuses).
 * Undefined means the latest state, which also serves "0" (any state will do).
 */
function listRevision(rv: string, match: string, cont: string | undefined, limit: number | undefined): ListRevision | undefined {
  if (rv === '' && match === '' && cont === undefined) return undefined;
  if (match !== '') {
    const errs: FieldError[] = [];
    if (rv === '') errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (cont !== undefined) errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rv === '0') errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    if (errs.length) throw invalidOptions('ListOptions', errs);
  }
  if (cont !== undefined) {
    // The token says which revision the pages read.
    if (rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    return undefined;
  }
  if (rv === '') return undefined;
  const n = parseResourceVersion(rv);
  // Without a match, a paged list at N reads exactly N (kube's legacy rule).
  if (match === 'Exact' || (match === '' && limit && n > 0)) return { revision: n };
  return n > 0 ? { minRevision: n } : undefined;
}

function parseNonNegativeInt(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object') return v;
  return 'Metadata';
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** JSON.parse with a 400 that says where the body is broken (or that it nests absurdly deep). */

/**
 * The media type of a request body (`fallback` without a Content-Type), parameters dropped and
 * lowercased as Go's mime.ParseMediaType gives it to kube-apiserver: "Application/JSON; charset=utf-8"
 * is JSON.
 */
function requestMediaType(req: IncomingMessage, fallback: string): string {
  return (req.headers['content-type'] ?? fallback).split(';')[0].trim().toLowerCase();
}

function isJSONMediaType(ct: string): boolean {
  return ct === 'application/json' || ct === '';
}

/** A request body decoded by its Content-Type: JSON (the default), Kubernetes protobuf, or YAML. */
function decodeBody(req: IncomingMessage, buf: Buffer): unknown {
  const ct = requestMediaType(req, 'application/json');
  if (isJSONMediaType(ct)) return parseJSONBody(buf);
  if (ct === PROTOBUF_CONTENT_TYPE) return decodeKubernetesProtobuf(buf).object;
  if (ct !== 'application/yaml') throw unsupportedMediaType(ct);
  if (textExceedsDepth(buf)) throw tooDeep('the request body');
  let value: unknown;
  try {
    value = parseYAML(buf.toString('utf8'));
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (valueExceedsDepth(value)) throw tooDeep('the request body');
  return value;
}

export function parseJSONBody(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; a JSON object is required');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (textExceedsDepth(buf)) throw tooDeep('the request body');
  return value;
}

function managerFromUserAgent(ua: string | undefined): string {
  // kube-apiserver names an unnamed manager after the client's user agent up to the first '/'.
  const name = (ua ?? 'unknown').split('/')[0] || 'unknown';
  return name.slice(0, 128);
}

function getPath(obj: unknown, path: string): any {
  let cur: any = obj;
  for (const seg of path.split('.')) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function setPath(obj: any, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur = obj;
  for (const seg of segs.slice(0, -1)) {
    if (!isPlainObject(cur[seg])) cur[seg] = {};
    cur = cur[seg];
  }
  cur[segs[segs.length - 1]] = value;
}
