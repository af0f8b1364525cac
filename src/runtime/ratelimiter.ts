import { systemClock, type Clock } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

/** How long to wait before retrying a key (client-go's workqueue.RateLimiter). */
export interface RateLimiter {
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** floor * 2^failures, capped: the per-object backoff. */
export class ItemExponentialRateLimiter implements RateLimiter {
  readonly #floorMs: number;
  readonly #capMs: number;
  readonly #failures = new Map<string, number>();

  constructor(floorMs: number, capMs: number) {
    this.#floorMs = floorMs;
    this.#capMs = capMs;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return Math.min(this.#floorMs * 2 ** failures, this.#capMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

export class BucketRateLimiter implements RateLimiter {
  readonly #bucket: TokenBucket;

  constructor(perSecond: number, burst: number, clock: Clock = systemClock) {
    this.#bucket = new TokenBucket(perSecond, burst, clock);
  }

  when(): number {
    return this.#bucket.reserve();
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The longest delay of its parts (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.numRequeues(key)));
  }
}

export interface RateLimiterOptions {
  floorMs?: number;
  capMs?: number;
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/** controller-runtime's default: max of per-item exponential and a 10 qps / 100 burst bucket; floor 1 s, cap 5 min for cloud work. */
export function defaultRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(options.floorMs ?? 1000, options.capMs ?? 300_000),
    new BucketRateLimiter(options.qps ?? 10, options.burst ?? 100, options.clock),
  );
}
