// What a failure means for the object (docs/design.md, "Errors, retries and what wakes an object"):
// each error's failure class, and the condition and retry that class gets. The Event and the
// metric sample follow from the condition (ManagedReconciler.#finish).
import { EndpointError, type CloudError } from '../cloud/errors.ts';
import type { CloudPrecondition } from './adapter.ts';
import { unexpectedMessage } from './failure.ts';
import { isManaged, Outcome, type Pass, type Reconciling } from './pass.ts';
import { reconciling, stalled } from './status.ts';

/** Minimum wait before retrying QuotaExceeded, unless the options say otherwise. */
export const QUOTA_RETRY_MS = 60_000;

/** How a user lets go of a cloud resource the cloud will not delete (README, "Deletion"). */
const LET_GO = 'to let go, set spec.deletionPolicy: Orphan (the resource stays in the cloud without the operator\'s marks)';

/**
 * Transient: backoff (honouring Retry-After). Busy: backoff. Quota: stalled, retried slowly.
 * Terminal: stalled until the spec changes or a resync. While deleting, a busy or terminal refusal
 * is DeleteBlocked, retried with backoff: it ends once the cloud or the deletion policy changes.
 */
export function classify(r: Reconciling, pass: Pass, err: CloudError, quotaRetryMs: number): Outcome {
  const message = err.describe();
  const deleting = pass.obj.metadata.deletionTimestamp !== undefined;
  switch (err.kind) {
    case 'transient':
    case 'notFound':
    case 'staleRevision':
      pass.log.info({ err: message }, 'transient cloud error, retrying with backoff');
      return r.retry(pass, reconciling('TransientError', message, 'transient'), err.retryAfterMs);
    case 'busy':
      if (deleting) return r.retry(pass, reconciling('DeleteBlocked', `the cloud refuses the delete for now: ${message}`, 'busy'), err.retryAfterMs);
      return r.retry(pass, reconciling('CloudBusy', `${message}; retried until the cloud takes it`, 'busy'), err.retryAfterMs);
    case 'unauthorized':
      return r.retry(pass, reconciling('AuthenticationFailed', `${message}; check the ProviderConfig's credentials`, 'unauthorized'), err.retryAfterMs);
    case 'quota':
      return r.retry(pass, stalled('QuotaExceeded', `${message}; raise the quota or free resources`, 'quota'), Math.max(err.retryAfterMs ?? 0, quotaRetryMs));
    case 'terminal':
    case 'conflict': {
      if (deleting) return r.retry(pass, stalled('DeleteBlocked', `the cloud refuses the delete: ${message}; ${LET_GO}`, 'terminal'), err.retryAfterMs);
      if (err.status === 403 && pass.obj.spec.import && isManaged(pass.obj)) {
        const advice = `the cloud does not let this project change the imported ${r.adapter.kind}: import a resource of another project (such as the external network) with managementPolicy: ObserveOnly`;
        return new Outcome(stalled('ImportNotManageable', `${message}; ${advice}`, 'configuration'));
      }
      const reason = err.kind === 'conflict' ? 'Conflict' : 'InvalidConfiguration';
      return new Outcome(stalled(reason, `${message}; change the spec to retry`, 'terminal'));
    }
  }
}

/** The cloud refuses until something else changes: wait for it, woken by the kinds that may make it. */
export function precondition(r: Reconciling, pass: Pass, err: CloudPrecondition): Outcome {
  pass.log.info({ err: err.error.describe() }, 'waiting for a change in the cloud');
  r.memory.waitingOn.set(pass.key, err.wokenBy);
  return r.retry(pass, reconciling(err.reason, err.message, 'waiting'), err.error.retryAfterMs);
}

/**
 * Not a cloud error: a URL that does not parse is a configuration error, held until the spec
 * changes; anything else is a bug, said on the object and retried with backoff.
 */
export function unexpected(r: Reconciling, pass: Pass, err: unknown): Outcome {
  if (err instanceof EndpointError) return new Outcome(stalled('InvalidConfiguration', `${err.message}; fix the ProviderConfig`, 'configuration'));
  pass.log.error({ err }, 'unexpected error: a bug, please report it with this log');
  return r.retry(pass, reconciling('InternalError', unexpectedMessage(err), 'internal'));
}
