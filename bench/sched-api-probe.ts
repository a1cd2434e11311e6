/**
 * What an ordinary API user feels while the cluster is busy: every `periodMs`, one GET of a
 * namespace and one LIST of nodes with limit=100, each timed on its own, over a client of its
 * own so that it never waits behind the benchmark's bulk requests in this process.
 */
import { ApiClient, describeFailure } from './api-client.js';

export interface ProbeSamples {
  getMs: number[];
  listMs: number[];
  failures: number;
  firstFailure?: string;
}

export class ApiProbe {
  private samples: ProbeSamples = { getMs: [], listMs: [], failures: 0 };
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;

  constructor(
    private readonly client: ApiClient,
    private readonly namespace: string,
    private readonly periodMs = 100,
  ) {}

  start(): void {
    this.stopped = false;
    this.running ??= this.loop();
  }

  /** Stops the loop, waits for the request in flight, and hands over the samples taken since the last take(). */
  async stop(): Promise<ProbeSamples> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
    return this.take();
  }

  /** The samples so far; starts a fresh set. */
  take(): ProbeSamples {
    const s = this.samples;
    this.samples = { getMs: [], listMs: [], failures: 0 };
    return s;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const tick = performance.now();
      await this.timed(`/api/v1/namespaces/${this.namespace}`, (ms) => this.samples.getMs.push(ms));
      await this.timed('/api/v1/nodes?limit=100', (ms) => this.samples.listMs.push(ms));
      const wait = this.periodMs - (performance.now() - tick);
      if (wait > 0 && !this.stopped) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, wait);
          this.wake = () => {
            clearTimeout(timer);
            r();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async timed(path: string, record: (ms: number) => void): Promise<void> {
    const t = performance.now();
    let failure: string | undefined;
    try {
      const res = await this.client.request('GET', path);
      if (res.status !== 200) failure = `GET ${path}: ${describeFailure(res)}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    // A failed request is still a latency the user saw; it is counted in both.
    record(performance.now() - t);
    if (failure !== undefined) {
      this.samples.failures++;
      this.samples.firstFailure ??= failure;
    }
  }
}
