import { systemClock, type Clock } from '../runtime/clock.ts';
import { TokenBucket } from '../runtime/token-bucket.ts';

export interface RateLimit {
  /** Sustained requests per second; Infinity disables limiting. */
  qps: number;
  /** Requests allowed at once after idling. */
  burst: number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * Paces every request a ProviderConfig's client makes (all kinds, all workers) through one token
 * bucket; callers wait in FIFO order. A 429 with Retry-After pauses the whole throttle, so no
 * caller hammers a cloud that already said "slow down".
 */
export class RequestThrottle {
  readonly #bucket: TokenBucket;
  readonly #clock: Clock;
  #pausedUntil = 0;
  #timer: unknown;
  readonly #waiters: Waiter[] = [];

  constructor(limit: RateLimit, clock: Clock = systemClock) {
    this.#bucket = new TokenBucket(limit.qps, limit.burst, clock);
    this.#clock = clock;
  }

  /** Resolves when the caller may send one request. */
  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#waiters.length === 0 && this.#take()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Holds every caller back for `ms` (the cloud's Retry-After); overlapping pauses extend. */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#clock.now() + ms);
    this.#schedule();
  }

  /** Milliseconds until the throttle accepts requests again (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.#pausedUntil - this.#clock.now());
  }

  #take(): boolean {
    return this.pausedFor() === 0 && this.#bucket.tryTake();
  }

  #schedule(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiters.length === 0) return;
    const delay = Math.max(this.pausedFor(), this.#bucket.msUntilToken());
    const timer = this.#clock.setTimeout(() => this.#pump(), delay);
    // The throttle alone must not keep a process alive during shutdown.
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  #pump(): void {
    this.#timer = undefined;
    while (this.#waiters.length > 0 && this.#take()) {
      const waiter = this.#waiters.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  }
}
