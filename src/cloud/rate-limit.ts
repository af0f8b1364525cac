/**
 * Token bucket shared by every request a ProviderConfig's client makes (all kinds, all workers):
 * `qps` tokens a second up to `burst`; callers wait in FIFO order. A 429 with Retry-After pauses
 * the whole bucket, so no caller hammers a cloud that already said "slow down".
 */
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

export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #waiters: Waiter[] = [];

  constructor(limit: RateLimit) {
    if (!(limit.qps > 0)) throw new RangeError(`rate limit qps must be > 0, got ${limit.qps}`);
    if (!(limit.burst >= 1)) throw new RangeError(`rate limit burst must be >= 1, got ${limit.burst}`);
    this.#qps = limit.qps;
    this.#burst = limit.burst;
    this.#tokens = limit.burst;
    this.#refilledAt = Date.now();
  }

  /** Resolves when the caller may send one request. */
  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#waiters.length === 0 && this.#takeToken()) return Promise.resolve();
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
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
    this.#schedule();
  }

  /** Milliseconds until the bucket accepts requests again (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.#pausedUntil - Date.now());
  }

  #takeToken(): boolean {
    const now = Date.now();
    if (now < this.#pausedUntil) return false;
    if (this.#qps !== Infinity) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#qps);
      this.#refilledAt = now;
      if (this.#tokens < 1) return false;
      this.#tokens -= 1;
    }
    return true;
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiters.length === 0) return;
    const now = Date.now();
    const untilUnpaused = this.#pausedUntil - now;
    const untilToken = this.#qps === Infinity ? 0 : ((1 - this.#tokens) / this.#qps) * 1000;
    const delay = Math.max(0, untilUnpaused, untilToken);
    this.#timer = setTimeout(() => this.#pump(), Math.ceil(delay));
    // The bucket alone must not keep a process alive during shutdown.
    this.#timer.unref();
  }

  #pump(): void {
    this.#timer = undefined;
    while (this.#waiters.length > 0 && this.#takeToken()) {
      const waiter = this.#waiters.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  }
}
