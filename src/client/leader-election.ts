/**
 * Leader election over a coordination.k8s.io/v1 Lease, with client-go's semantics: a copy
 * becomes leader by writing its identity into a lease that is absent, released or expired
 * (renewTime + leaseDurationSeconds in the past), keeps it by renewing every retry period,
 * and gives up leading if it cannot renew for renewDeadline. Every write carries the
 * resourceVersion it read, so two copies racing for one lease cannot both win.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { realClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { KubeClient, ResourceRef } from './interfaces.js';

export const leasesResource: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  /** Namespace of the lease (default kube-system). */
  namespace?: string;
  name: string;
  /** Unique per running copy, e.g. hostname + random suffix. */
  identity: string;
  /** How long a lease holds without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Clear the holder on stop() so another copy takes over at once (default true). */
  releaseOnStop?: boolean;
  clock?: Clock;
  logger?: Logger;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once leadership has ended (lost or released). */
  onStoppedLeading?(): void;
  /** Called whenever the observed holder changes (including to this copy). */
  onNewLeader?(identity: string): void;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private stopped = false;
  private leading?: AbortController;
  private observedHolder = '';
  /** The last write to the lease made this copy its holder (it may not be leading yet). */
  private holding = false;
  /** Clock time of the last write that made or kept this copy the holder. */
  private renewedAt = 0;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.clock = opts.clock ?? realClock;
    this.namespace = opts.namespace ?? 'kube-system';
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error('LeaderElector: need leaseDurationMs > renewDeadlineMs > retryPeriodMs');
    }
    this.log = (opts.logger ?? silentLogger).child({ lease: `${this.namespace}/${opts.name}`, identity: opts.identity });
  }

  /** Starts contending for the lease in the background. */
  start(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.run();
  }

  /** True while this copy holds the lease (as far as its last renewal knows). */
  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Holder of the lease as last read ("" when none). */
  leader(): string {
    return this.observedHolder;
  }

  /**
   * client-go's LeaderElector.Check, behind the leaderElection healthz check: throws when this
   * copy leads but has not renewed the lease for leaseDuration + maxTolerableExpiredMs, so its
   * renew loop is stuck and it should have stepped down. A copy that does not lead passes.
   */
  check(maxTolerableExpiredMs: number): void {
    if (!this.isLeader()) return;
    const sinceMs = this.clock.now() - this.renewedAt;
    if (sinceMs > this.leaseDurationMs + maxTolerableExpiredMs) {
      throw new Error(`failed election to renew leadership on lease ${this.namespace}/${this.opts.name}: last renewed ${(sinceMs / 1000).toFixed(1)}s ago`);
    }
  }

  /** Stops contending; if leading, ends leadership and (by default) releases the lease. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.leading?.abort();
    if (this.holding && (this.opts.releaseOnStop ?? true)) await this.release();
    if (this.leading) this.endLeading();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.tryAcquireOrRenew()) || this.stopped) {
        await this.sleep(this.retryPeriodMs);
        continue;
      }
      this.beginLeading();
      let lastRenew = this.clock.now();
      while (!this.stopped) {
        await this.sleep(this.retryPeriodMs);
        if (this.stopped) return; // stop() ends leadership after releasing.
        if (await this.tryAcquireOrRenew()) {
          lastRenew = this.clock.now();
        } else if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
          this.log.warn('failed to renew the lease within the renew deadline; no longer leading');
          break;
        }
      }
      if (this.stopped) return;
      this.holding = false;
      this.leading?.abort();
      this.endLeading();
      // Contend again: a copy that lost the lease may win it back once it is free.
    }
  }

  private beginLeading(): void {
    this.leading = new AbortController();
    this.log.info('became leader');
    const signal = this.leading.signal;
    try {
      Promise.resolve(this.opts.onStartedLeading(signal)).catch((err: unknown) => this.log.error('onStartedLeading failed', { err }));
    } catch (err) {
      this.log.error('onStartedLeading failed', { err });
    }
  }

  private endLeading(): void {
    this.leading = undefined;
    this.log.info('stopped leading');
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      this.log.error('onStoppedLeading failed', { err });
    }
  }

  private observe(holder: string): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    if (holder) {
      try {
        this.opts.onNewLeader?.(holder);
      } catch (err) {
        this.log.error('onNewLeader failed', { err });
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, name } = this.opts;
    const now = this.clock.now();
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    let lease: KubeObject;
    try {
      lease = await client.get(leasesResource, this.namespace, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) {
        this.log.warn('reading the lease failed', { err });
        return false;
      }
      try {
        await client.create(leasesResource, this.namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: this.namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 } satisfies LeaseSpec,
        });
        this.observe(identity);
        this.holding = true;
        this.renewedAt = now;
        return true;
      } catch (createErr) {
        // 409: another copy created it first; it will be read on the next attempt.
        if (!(createErr instanceof ApiError && createErr.code === 409)) this.log.warn('creating the lease failed', { err: createErr });
        return false;
      }
    }
    const spec: LeaseSpec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.observe(holder);
    if (holder && holder !== identity) {
      const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
      const expiresAt = (Number.isNaN(renewed) ? 0 : renewed) + (spec.leaseDurationSeconds ?? 0) * 1000;
      if (expiresAt >= now) return false;
      this.log.info('lease expired; taking it over', { previousHolder: holder });
    }
    const next: LeaseSpec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: microTime(now),
      acquireTime: holder === identity && spec.acquireTime ? spec.acquireTime : microTime(now),
      leaseTransitions: holder === identity ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      // The resourceVersion read above goes back with the update: a concurrent writer makes it 409.
      await client.update(leasesResource, { ...lease, spec: next });
      this.observe(identity);
      this.holding = true;
      this.renewedAt = now;
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) this.log.warn('updating the lease failed', { err });
      return false;
    }
  }

  /** Clears the holder so the next candidate need not wait for the lease to expire. */
  private async release(): Promise<void> {
    try {
      const lease = await this.opts.client.get(leasesResource, this.namespace, this.opts.name);
      const spec: LeaseSpec = lease.spec ?? {};
      if (spec.holderIdentity !== this.opts.identity) return;
      const now = microTime(this.clock.now());
      await this.opts.client.update(leasesResource, {
        ...lease,
        spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } satisfies LeaseSpec,
      });
      this.observedHolder = '';
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('releasing the lease failed; it will expire instead', { err });
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(done, ms);
      function done() {
        resolve();
      }
      this.wake = () => {
        cancel();
        this.wake = undefined;
        resolve();
      };
    });
  }
}
