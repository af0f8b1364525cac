import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { sleep, systemClock, type Clock } from './clock.ts';
import { isConflict, isNotFound, statusCode } from './client.ts';
import type { Logger } from './log.ts';
import type { RuntimeMetrics } from './metrics.ts';

/** Timers as usual, time from performance.now(): monotonic. */
const monotonicClock: Clock = { ...systemClock, now: () => performance.now() };

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Measures the lease's durations; default the monotonic clock (a step of the wall clock must not stretch them). */
  clock?: Clock;
  log?: Logger;
  metrics?: RuntimeMetrics;
  onStartedLeading(): void;
  /** Called when leadership ends: lost (renewals failed past the deadline) or released on shutdown. */
  onStoppedLeading(reason: 'lost' | 'released'): void;
  onNewLeader?(identity: string): void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: acquire when the
 * holder's lease has expired (measured from when this candidate saw the record change, not from
 * the holder's clock), renew every retry period, step down when renewals keep failing past the
 * renew deadline, release on shutdown. Writes are replaces carrying the resourceVersion read, so
 * concurrent candidates conflict instead of both winning.
 *
 * That alone lets a leader that froze (SIGSTOP, a long GC pause, a partition from the API server)
 * act after a standby took over, before it notices. holds() is the fence against it: true only
 * while less than the renew deadline has passed since the start of the last successful renewal. A
 * standby takes over no sooner than a lease duration after it saw that renewal, which came after its
 * start, so the fence closes at least (lease duration - renew deadline) before another replica leads.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #api: CoordinationV1Api;
  readonly #options: LeaderElectionOptions;
  readonly #clock: Clock;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  #leading = false;
  /** When the last successful acquire or renew request started. */
  #renewedAt = 0;
  #observedRecord = '';
  #observedAt = 0;
  #observedDurationMs = 0;
  #observedHolder = '';

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.identity = options.identity;
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.#clock = options.clock ?? monotonicClock;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.#leaseDurationMs <= this.#renewDeadlineMs) throw new Error('the lease duration must be greater than the renew deadline');
    if (this.#renewDeadlineMs <= this.#retryPeriodMs * 1.2) throw new Error('the renew deadline must be greater than 1.2 x the retry period');
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** Whether this candidate leads beyond doubt: it may write (see the class comment). */
  holds(): boolean {
    return this.#leading && this.#clock.now() - this.#renewedAt < this.#renewDeadlineMs;
  }

  /**
   * Campaigns until elected, then renews until leadership is lost or the signal aborts (then
   * releases the lease). Resolves when this candidate no longer leads.
   */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.#options.log;
    this.#setLeading(false);
    log?.info({ lease: `${this.#options.namespace}/${this.#options.name}`, identity: this.identity }, 'attempting to acquire the leader lease');
    while (!signal.aborted && !(await this.#renew())) {
      await sleep(this.#clock, this.#nextAttemptIn(), signal);
    }
    if (signal.aborted) return;
    this.#setLeading(true);
    log?.info({ identity: this.identity }, 'acquired the leader lease');
    this.#options.onStartedLeading();

    while (!signal.aborted) {
      await sleep(this.#clock, this.#retryPeriodMs, signal);
      if (signal.aborted) break;
      if (!(await this.#renew()) && this.#clock.now() - this.#renewedAt >= this.#renewDeadlineMs) {
        this.#setLeading(false);
        log?.error({ identity: this.identity }, 'failed to renew the leader lease within the renew deadline; stepping down');
        this.#options.onStoppedLeading('lost');
        return;
      }
    }
    // The fence closes before the lease is offered to a standby.
    this.#setLeading(false);
    await this.#release();
    this.#options.onStoppedLeading('released');
  }

  /** One acquire or renew attempt; on success the fence's clock restarts from when it began. */
  async #renew(): Promise<boolean> {
    const started = this.#clock.now();
    if (!(await this.#tryAcquireOrRenew())) return false;
    this.#renewedAt = started;
    return true;
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#options.metrics?.leaderStatus.set({ name: this.#options.name }, leading ? 1 : 0);
  }

  /** The retry period with client-go's jitter (up to +20%), but no later than the observed lease's expiry. */
  #nextAttemptIn(): number {
    const jittered = this.#retryPeriodMs * (1 + Math.random() * 0.2);
    const untilExpiry = this.#observedAt + this.#observedDurationMs - this.#clock.now();
    return Math.max(0, untilExpiry > 0 ? Math.min(jittered, untilExpiry + 1) : jittered);
  }

  #observe(spec: V1LeaseSpec): void {
    const holder = spec.holderIdentity ?? '';
    const record = JSON.stringify([holder, String(spec.renewTime ?? ''), String(spec.acquireTime ?? ''), spec.leaseDurationSeconds, spec.leaseTransitions]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = this.#clock.now();
      this.#observedDurationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    }
    if (holder !== this.#observedHolder) {
      this.#observedHolder = holder;
      if (holder) this.#options.onNewLeader?.(holder);
    }
  }

  #spec(previous: V1LeaseSpec | undefined): V1LeaseSpec {
    // Wall-clock times, for people: candidates measure expiry on their own clocks.
    const now = new V1MicroTime(Date.now());
    const renewing = previous?.holderIdentity === this.identity;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
      acquireTime: renewing && previous?.acquireTime ? previous.acquireTime : now,
      renewTime: now,
      leaseTransitions: renewing ? (previous?.leaseTransitions ?? 0) : (previous?.leaseTransitions ?? -1) + 1,
    };
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name } = this.#options;
    try {
      let lease: V1Lease;
      try {
        lease = await this.#api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await this.#api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: this.#spec(undefined) } });
        this.#observe(created.spec ?? {});
        return true;
      }
      const spec = lease.spec ?? {};
      this.#observe(spec);
      const holder = spec.holderIdentity ?? '';
      if (holder && holder !== this.identity && this.#observedAt + this.#observedDurationMs > this.#clock.now()) return false;
      const updated = await this.#api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: this.#spec(spec) } });
      this.#observe(updated.spec ?? {});
      return true;
    } catch (err) {
      if (!isConflict(err)) this.#options.log?.warn({ err: describe(err) }, 'leader lease request failed');
      return false;
    }
  }

  /** client-go's ReleaseOnCancel: an empty holder and a 1 s duration, so a standby takes over at once. */
  async #release(): Promise<void> {
    const { namespace, name } = this.#options;
    try {
      const lease = await this.#api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = new V1MicroTime(Date.now());
      await this.#api.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions } },
      });
      this.#options.log?.info({ identity: this.identity }, 'released the leader lease');
    } catch (err) {
      this.#options.log?.warn({ err: describe(err) }, 'could not release the leader lease');
    }
  }
}

/** An error without the response headers and body client-node attaches (they can carry tokens). */
function describe(err: unknown): { message: string; code?: number } {
  return { message: err instanceof Error ? err.message : String(err), code: statusCode(err) };
}
