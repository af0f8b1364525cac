// What a cloud error means for the object: retried on the backoff schedule, waited out, or stalled
// until the spec changes (docs/design.md, "Errors, retries and what wakes an object").
import type { CloudError } from '../cloud/errors.ts';
import type { CloudPrecondition } from './adapter.ts';
import { Outcome, type Pass, type Reconciling } from './pass.ts';
import { stalled } from './status.ts';

/** Minimum wait before retrying QuotaExceeded, unless the options say otherwise. */
export const QUOTA_RETRY_MS = 60_000;

/** Transient: backoff (honouring Retry-After). Quota: stalled, retried slowly. Terminal: stalled until the spec changes or a resync. */
export function classify(r: Reconciling, pass: Pass, err: CloudError, quotaRetryMs: number): Outcome {
  const message = err.describe();
  switch (err.kind) {
    case 'transient':
    case 'notFound':
    case 'staleRevision':
      pass.log.info({ err: message }, 'transient cloud error, retrying with backoff');
      return r.retry(pass, 'reconciling', 'TransientError', message, err.retryAfterMs);
    case 'unauthorized':
      r.event(pass.obj, 'Warning', 'AuthenticationFailed', message);
      return r.retry(pass, 'reconciling', 'AuthenticationFailed', `${message}; check the ProviderConfig's credentials`, err.retryAfterMs);
    case 'quota':
      r.event(pass.obj, 'Warning', 'QuotaExceeded', message);
      return r.retry(pass, 'stalled', 'QuotaExceeded', `${message}; raise the quota or free resources`, Math.max(err.retryAfterMs ?? 0, quotaRetryMs));
    case 'terminal':
    case 'conflict': {
      const reason = err.kind === 'conflict' ? 'Conflict' : 'InvalidConfiguration';
      r.event(pass.obj, 'Warning', reason, message);
      return new Outcome(stalled(reason, `${message}; change the spec to retry`));
    }
  }
}

/** The cloud refuses until something else changes: wait for it, woken by the kinds that may make it. */
export function precondition(r: Reconciling, pass: Pass, err: CloudPrecondition): Outcome {
  pass.log.info({ err: err.error.describe() }, 'waiting for a change in the cloud');
  r.memory.waitingOn.set(pass.key, err.wokenBy);
  return r.retry(pass, 'reconciling', err.reason, err.message, err.error.retryAfterMs);
}
