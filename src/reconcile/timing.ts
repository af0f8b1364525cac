// When to come back: resync periods with stable jitter, and per-object backoff for retries and polls.
import { createHash } from 'node:crypto';
import { parseDuration } from '../config.ts';

/** The object's resync period in ms (spec.resyncPeriod, else the operator default); 0 = off. */
export function resyncPeriodMs(spec: { resyncPeriod?: string }, defaultMs: number): number {
  return spec.resyncPeriod === undefined ? defaultMs : parseDuration(spec.resyncPeriod);
}

/**
 * When the next drift check is due: lastSyncTime + period ±10%. The jitter is derived from the
 * object and its last sync, so every reconcile before then computes the same due time (a random
 * draw per reconcile would make early wake-ups find the resync "not due" and come back again).
 */
export function resyncDueAt(uid: string, lastSyncTime: string, periodMs: number): number {
  const digest = createHash('sha256').update(`${uid}@${lastSyncTime}`).digest();
  const unit = digest.readUInt32BE(0) / 0x1_0000_0000;
  return Date.parse(lastSyncTime) + periodMs * (0.9 + 0.2 * unit);
}

/** Kubernetes metav1.Time: second precision. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface BackoffOptions {
  floorMs?: number;
  capMs?: number;
}

/**
 * Per-key exponential backoff with jitter (delay in [d/2, d], d = floor * 2^failures, capped),
 * never shorter than a Retry-After the cloud asked for.
 */
export class Backoff {
  readonly floorMs: number;
  readonly capMs: number;
  readonly #failures = new Map<string, number>();
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.floorMs = options.floorMs ?? 1000;
    this.capMs = options.capMs ?? 300_000;
    this.#random = random;
  }

  next(key: string, atLeastMs = 0): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const ceiling = Math.min(this.capMs, this.floorMs * 2 ** failures);
    const jittered = Math.max(this.floorMs, ceiling * (0.5 + 0.5 * this.#random()));
    return Math.max(Math.round(jittered), atLeastMs);
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }
}
