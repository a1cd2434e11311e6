/**
 * Admits a client's requests to its keep-alive agent so that bursts ride on the connections
 * already open, and the pool grows only a few connections at a time.
 *
 * Why: a busy Node server accepts one pending connection per turn of its event loop (and a TLS
 * handshake takes more turns), while requests on open connections are read every turn. A burst
 * of a hundred requests that each opened a connection would wait for a hundred turns — seconds
 * on a loaded server — and could overflow the listen backlog. So a request goes out when there
 * is room on the connections that have proved they work (answered a request), plus a few being
 * opened; the others wait here, in order, for one of those to come free.
 */
import type { Agent, ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGateOptions {
  /** Most requests in flight, hence most connections (the agent's maxSockets). */
  maxConnections: number;
  /** Connections that may be opening (not yet answered a request) at once (default 4). */
  maxOpening?: number;
}

export class ConnectionGate {
  private readonly max: number;
  private readonly maxOpening: number;
  /** Sockets that have carried a complete response, until they close. */
  private readonly proven = new WeakSet<Socket>();
  private established = 0;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(opts: ConnectionGateOptions) {
    this.max = Math.max(1, opts.maxConnections);
    this.maxOpening = Math.max(1, opts.maxOpening ?? 4);
  }

  /** Resolves when the request may be sent; call the returned function once when it is over. */
  acquire(): Promise<() => void> {
    if (this.waiting.length === 0 && this.hasRoom()) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiting.push(() => resolve(this.take())));
  }

  /** Tells the gate which socket a request went out on; call when its response has ended. */
  responded(req: ClientRequest): void {
    const sock = req.socket as Socket | null;
    if (!sock || this.proven.has(sock) || sock.destroyed) return;
    this.proven.add(sock);
    this.established++;
    sock.once('close', () => {
      this.established--;
    });
    this.admit();
  }

  /** For tests and metrics. */
  stats(): { established: number; inFlight: number; waiting: number } {
    return { established: this.established, inFlight: this.inFlight, waiting: this.waiting.length };
  }

  /** An agent whose pool matches the gate. */
  static agentOptions(maxConnections: number): Pick<ConstructorParameters<typeof Agent>[0] & object, 'keepAlive' | 'maxSockets' | 'maxFreeSockets'> {
    // Idle connections are kept (up to the pool size) for the next burst; the server times them out.
    return { keepAlive: true, maxSockets: maxConnections, maxFreeSockets: maxConnections };
  }

  private hasRoom(): boolean {
    return this.inFlight < Math.min(this.max, this.established + this.maxOpening);
  }

  private take(): () => void {
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.admit();
    };
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.hasRoom()) this.waiting.shift()!();
  }
}
