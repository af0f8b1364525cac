// When to come back: resync periods with stable jitter, and per-object backoff for retries and polls.
import { createHash } from 'node:crypto';
import { MIN_RESYNC_PERIOD_MS, parseDuration } from '../config.ts';

/**
 * The object's resync period in ms (spec.resyncPeriod, else the operator default); 0 = off. A
 * spec value under the admission floor (an object stored before the rule) counts as the floor.
 */
export function resyncPeriodMs(spec: { resyncPeriod?: string }, defaultMs: number): number {
  if (spec.resyncPeriod === undefined) return defaultMs;
  const ms = parseDuration(spec.resyncPeriod);
  return ms === 0 ? 0 : Math.max(ms, MIN_RESYNC_PERIOD_MS);
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

/**
 * The first drift check after a restart of an object whose check is overdue (lastSyncTime is
 * refreshed only hourly): spread over one period from `startedAt` by the object's uid, so that a
 * restart does not check every object at once.
 */
export function firstResyncAfterRestart(uid: string, startedAt: number, periodMs: number): number {
  const digest = createHash('sha256').update(`${uid}@restart`).digest();
  return startedAt + periodMs * (digest.readUInt32BE(0) / 0x1_0000_0000);
}

/** Kubernetes metav1.Time: second precision. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface BackoffOptions {
  /** The first delay (default 1 s). */
  floorMs?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** The longest delay (default 5 min). */
  capMs?: number;
}

/**
 * Per-key exponential backoff with jitter: after the n-th consecutive failure (n from 0) the delay
 * is d * U(0.5, 1) with d = min(cap, floor * factor^n), never below the floor nor below a
 * Retry-After the cloud asked for. The count restarts on reset() (success) and when the object's
 * generation changes (a spec change), never because of anything written in between.
 */
export class Backoff {
  readonly floorMs: number;
  readonly factor: number;
  readonly capMs: number;
  readonly #failures = new Map<string, { count: number; generation: number | undefined }>();
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.floorMs = options.floorMs ?? 1000;
    this.factor = options.factor ?? 2;
    this.capMs = options.capMs ?? 300_000;
    this.#random = random;
  }

  next(key: string, options: { atLeastMs?: number; generation?: number } = {}): number {
    const previous = this.#failures.get(key);
    const failures = previous && previous.generation === options.generation ? previous.count : 0;
    this.#failures.set(key, { count: failures + 1, generation: options.generation });
    const ceiling = Math.min(this.capMs, this.floorMs * this.factor ** failures);
    const jittered = Math.max(this.floorMs, ceiling * (0.5 + 0.5 * this.#random()));
    return Math.max(Math.round(jittered), options.atLeastMs ?? 0);
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }
}
