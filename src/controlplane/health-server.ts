/**
 * The health endpoints of a component process (`peapod controller-manager`, `scheduler`, `sim`),
 * as kube-controller-manager serves them on :10257 and kube-scheduler on :10259, but plain HTTP
 * on 127.0.0.1 only. /livez, /healthz and /readyz each run a list of named checks (every list
 * starts with `ping`) and answer 200 "ok" when all pass; `?verbose` lists them in the API
 * server's format ("[+]name ok" / "[-]name failed: reason"), and /<endpoint>/<name> runs one,
 * answering "ok" or "internal server error: <reason>" as the API server does.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';
import { runHealthCheck, runHealthChecks, type HealthCheck } from '../util/health.js';

export type { HealthCheck };

export type HealthEndpoint = 'livez' | 'healthz' | 'readyz';

/** Checks per endpoint, after `ping`. */
export type HealthChecks = Partial<Record<HealthEndpoint, HealthCheck[]>>;

export interface HealthServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  checks: HealthChecks;
  logger: Logger;
}

export interface HealthServer {
  /** The port bound (the one picked, when asked for 0). */
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** The port could not be bound; `code` is the system error code (EADDRINUSE, EACCES, …). */
export class HealthServerListenError extends Error {
  constructor(
    readonly port: number,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(code === 'EADDRINUSE' ? `127.0.0.1:${port} is already in use` : `cannot listen on 127.0.0.1:${port}: ${(options.cause as Error).message}`, options);
    this.name = 'HealthServerListenError';
  }
}

const ping: HealthCheck = { name: 'ping', check: () => {} };

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    serve(opts.checks, req, res).catch((err: unknown) => {
      opts.logger.error('health request failed', { err });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new HealthServerListenError(opts.port, err.code, { cause: err }));
    server.once('error', onError);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  opts.logger.info('serving health checks', { url, port });
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of probes would hold close() open.
        server.closeAllConnections();
      }),
  };
}

async function serve(checks: HealthChecks, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [path, query = ''] = (req.url ?? '/').split('?', 2);
  // "/livez" or "/livez/<check>"; anything else ("/livez/", "/livez/ping/x") is a 404, as in kube.
  const [, endpoint, only, ...rest] = path.split('/');
  if (!isEndpoint(endpoint) || only === '' || rest.length) return reply(res, 404, '404 page not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, `method ${req.method} not allowed\n`);
  }
  const list = [ping, ...(checks[endpoint] ?? [])];
  let answer: { ok: boolean; body: string };
  if (only !== undefined) {
    const check = list.find((c) => c.name === only);
    if (!check) return reply(res, 404, '404 page not found\n');
    answer = await runHealthCheck(check);
  } else {
    answer = await runHealthChecks(endpoint, list, new URLSearchParams(query).has('verbose'));
  }
  const { ok, body } = answer;
  // Any failing check is a 500, on /readyz as well, as Kubernetes' health handlers answer.
  reply(res, ok ? 200 : 500, body);
}

function isEndpoint(s: string | undefined): s is HealthEndpoint {
  return s === 'livez' || s === 'healthz' || s === 'readyz';
}

function reply(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  res.end(body);
}
