// When to look at an Exoscale operation again: the official clients poll every 3 s for the first
// 30 s, then lengthen the interval linearly to 60 s at 15 minutes.
import type { Operation, OperationReason } from './types.ts';

export const FIRST_POLL_MS = 3_000;
const STEADY_FOR_MS = 30_000;
const LONGEST_POLL_MS = 60_000;
const LONGEST_AT_MS = 15 * 60_000;

/** The wait before the next poll of an operation running for `elapsedMs`; `firstMs` scales the schedule (tests shorten it). */
export function operationPollAfterMs(elapsedMs: number, firstMs = FIRST_POLL_MS): number {
  const scale = firstMs / FIRST_POLL_MS;
  const elapsed = elapsedMs / scale;
  if (elapsed <= STEADY_FOR_MS) return firstMs;
  const share = Math.min(1, (elapsed - STEADY_FOR_MS) / (LONGEST_AT_MS - STEADY_FOR_MS));
  return Math.round((FIRST_POLL_MS + share * (LONGEST_POLL_MS - FIRST_POLL_MS)) * scale);
}

/** Reasons a repeat of the same request cannot change: the request itself is wrong or not allowed. */
const TERMINAL_REASONS = new Set<OperationReason>(['incorrect', 'forbidden', 'unsupported', 'conflict']);

/** Whether a failed (or timed-out) operation is worth sending again after a backoff. */
export function retryable(operation: Operation): boolean {
  return operation.state === 'timeout' || operation.reason === undefined || !TERMINAL_REASONS.has(operation.reason);
}
