// The classes of failure a reconcile can meet (docs/design.md, "Errors, retries and what wakes an
// object"). Every failure leaves a condition with its reason, an Event and a metric sample labelled
// with its class; the class also says how it is retried (see errors.ts and the design table).
import type { EventType } from '../runtime/events.ts';

export type FailureClass =
  /** The cloud did not answer, or answered 5xx or 429: retried with backoff. */
  | 'transient'
  /** The cloud refuses for now because of other resources (in use, mid-transition): retried with backoff. */
  | 'busy'
  /** Over quota: retried once a period, one object for all that wait. */
  | 'quota'
  /** The cloud refuses the request as specified: held until the spec changes (or a resync). */
  | 'terminal'
  /** The cloud rejects the credentials: retried with backoff while the ProviderConfig says why. */
  | 'unauthorized'
  /** Waiting on another object, a Secret, the ProviderConfig or a change in the cloud. */
  | 'waiting'
  /** The object cannot work as written and the API server could not tell: held until the spec changes. */
  | 'configuration'
  /** Anything unexpected: a bug, retried with backoff. */
  | 'internal';

export interface Failure {
  class: FailureClass;
  /** What the Event says: the condition's message without when the next attempt is. */
  detail: string;
}

/** The condition message of an unexpected error (a bug): what it was, in a few words. */
export function unexpectedMessage(err: unknown): string {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return `unexpected error (a bug, please report it): ${what.slice(0, 300)}`;
}

/** Waiting is the normal course of applying many objects at once; every other failure warns. */
export const eventType = (failure: Failure): EventType => (failure.class === 'waiting' ? 'Normal' : 'Warning');
