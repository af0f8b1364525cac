import type { BackoffOptions } from '../../src/reconcile/timing.ts';

/** The documented retry schedule (README, "Retries"). */
export const DEFAULT_SCHEDULE: Required<BackoffOptions> = { floorMs: 1000, factor: 2, capMs: 300_000 };

/**
 * The most attempts an object can make in `windowMs` from its first one under the schedule: every
 * delay at the low end of its jitter (d / 2, never below the floor).
 */
export function maxAttempts(windowMs: number, schedule: Required<BackoffOptions>): number {
  let at = 0;
  for (let failures = 0; ; failures++) {
    at += Math.max(schedule.floorMs, Math.min(schedule.capMs, schedule.floorMs * schedule.factor ** failures) / 2);
    if (at > windowMs) return failures + 1;
  }
}
