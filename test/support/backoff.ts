import { afterEach, beforeEach, vi } from 'vitest';
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

/**
 * Fake timers from `start` for every test of the file, with the low end of every jitter: the
 * shortest delays, so the most attempts a schedule allows.
 */
export function useFastestSchedule(start: number): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: start });
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}
