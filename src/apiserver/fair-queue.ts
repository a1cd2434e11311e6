/**
 * The fair-queuing half of kube-apiserver's API Priority and Fairness, sized for one event loop:
 * at most `seats` requests are served at once; beyond that each flow (who is asking) waits in a
 * queue of its own, and every freed seat goes to the next flow in turn. A client sending a burst
 * (a controller creating hundreds of pods) then delays its own requests, not everyone else's:
 * the scheduler's bindings, the nodes' status updates and a user's kubectl get keep their share.
 * Long-running requests (watches) never take a seat. A flow with `queueLength` requests waiting
 * already gets 429 TooManyRequests (retry after a second), so no client can make the server hold
 * an unbounded backlog.
 */
import { tooManyRequests } from '../api/errors.js';

export class FairQueue {
  private busy = 0;
  /** Waiting requests by flow; Map order is the turn order (a served flow goes to the back). */
  private readonly waiting = new Map<string, Array<() => void>>();
  private queued = 0;

  constructor(
    private readonly seats: number,
    private readonly queueLength = 256,
  ) {
    if (!(seats >= 1)) throw new Error(`FairQueue needs at least one seat, got ${seats}`);
  }

  /** Requests being served and waiting, for health and tests. */
  get stats(): { busy: number; queued: number; flows: number } {
    return { busy: this.busy, queued: this.queued, flows: this.waiting.size };
  }

  /**
   * Runs `serve` once the flow's turn comes. `gone()` is asked when it does: a request whose
   * client has left meanwhile is not served (its seat passes on at once).
   */
  async run<T>(flow: string, serve: () => Promise<T>, gone?: () => boolean): Promise<T | undefined> {
    if (this.busy < this.seats) {
      this.busy++;
    } else {
      let q = this.waiting.get(flow);
      if (q && q.length >= this.queueLength) throw tooManyRequests(1);
      if (!q) this.waiting.set(flow, (q = []));
      const mine = q;
      await new Promise<void>((resolve) => {
        mine.push(resolve);
        this.queued++;
      });
    }
    try {
      if (gone?.()) return undefined;
      return await serve();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.entries().next();
    if (next.done) {
      this.busy--;
      return;
    }
    const [flow, q] = next.value;
    const resolve = q.shift()!;
    this.queued--;
    // To the back of the turn order, if it still waits for more.
    this.waiting.delete(flow);
    if (q.length > 0) this.waiting.set(flow, q);
    // The seat passes straight to the next request: `busy` stays as it is.
    resolve();
  }
}
