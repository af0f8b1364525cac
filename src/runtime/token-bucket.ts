import { systemClock, type Clock } from './clock.ts';

/**
 * Token arithmetic (golang.org/x/time/rate's model): `qps` tokens a second, at most `burst` saved.
 * The work queue's overall retry limit, the event recorder's per-object limit and the cloud
 * clients' request throttle all count tokens with this one class. `qps` Infinity never limits.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(qps: number, burst: number, clock: Clock = systemClock) {
    if (!(qps > 0)) throw new RangeError(`rate limit qps must be > 0, got ${qps}`);
    if (!(burst >= 1)) throw new RangeError(`rate limit burst must be >= 1, got ${burst}`);
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
  }

  /** Takes a token if one is available now. */
  tryTake(): boolean {
    if (this.#qps === Infinity) return true;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Reserves a token and returns how long to wait until it is usable (x/time/rate Reserve). */
  reserve(): number {
    if (this.#qps === Infinity) return 0;
    this.#refill();
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1000);
  }

  /** Milliseconds until a token is available (0 when one is). */
  msUntilToken(): number {
    if (this.#qps === Infinity) return 0;
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#qps) * 1000);
  }
}
