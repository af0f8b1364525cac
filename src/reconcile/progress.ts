// Progress phase: where the observed resource stands (ready, in transition, failed), and where a
// mutation the cloud accepted stands (status.pendingOperation), polled on the adapter's schedule.
import { isAccepted, type PendingOperation } from './adapter.ts';
import { WAITING } from './memory.ts';
import { isManaged, Outcome, RESYNC, type Pass, type Reconciling, type References } from './pass.ts';
import { ready, reconciling, stalled, type StatusChange } from './status.ts';
import { kubeTime } from './timing.ts';

const GERUND = { create: 'Creating', update: 'Updating', delete: 'Deleting' } as const;

/** How often to look at a failed resource being deleted for a recreate when its state says nothing. */
const RECREATE_POLL_MS = 2_000;

/**
 * A create or update the cloud accepted: poll its operation until it is done (then the resource is
 * observed afresh, never diffed from a partial answer), and stall with the cloud's words if it
 * failed. Without an operation to poll there is nothing to wait for but the resource itself.
 */
export async function awaitOperation(r: Reconciling, pass: Pass, cloud: unknown, operation: PendingOperation): Promise<void> {
  const { adapter } = r;
  const { id } = operation;
  if (!id || !adapter.operation) {
    await r.write(pass, { pendingOperation: null });
    return;
  }
  const status = await adapter.operation(cloud, { id, startedAt: operation.startedAt });
  const what = `the ${operation.action} of ${adapter.kind}${pass.obj.status?.id ? ` ${pass.obj.status.id}` : ''} (operation ${operation.id})`;
  if (status.state === 'pending') throw new Outcome(reconciling(GERUND[operation.action], `the cloud is carrying out ${what}`), status.pollAfterMs);
  if (status.state === 'failed') {
    // A create that failed made nothing: no intent to adopt, and the id its answer named never came to be.
    const change: StatusChange = { pendingOperation: null, ...(operation.action === 'create' ? { pendingCreate: null, id: null } : {}) };
    if (status.retry) {
      await r.write(pass, change);
      throw r.retry(pass, reconciling(status.reason, `${what} failed: ${status.message}; it is sent again`, 'transient'));
    }
    throw new Outcome(stalled(status.reason, `${what} failed: ${status.message}; change the spec to retry`, 'terminal'), undefined, change);
  }
  const made = status.id && !pass.obj.status?.id ? { id: status.id, pendingCreate: null } : {};
  await r.write(pass, { pendingOperation: null, ...made });
}

/** The outcome of a reconcile that observed (and, if Managed, updated) the resource. */
export function complete(r: Reconciling, pass: Pass, observed: unknown, refs: References): Outcome {
  const { adapter } = r;
  const id = adapter.id(observed);
  r.memory.synced.set(pass.obj.metadata.uid ?? '', refs.fingerprint);
  const syncedAt = pass.observedAt ?? r.clock.now();
  r.memory.lastSync.set(pass.obj.metadata.uid ?? '', syncedAt);
  r.memory.stalled.delete(pass.key);
  r.memory.refused.delete(pass.key);
  const change: StatusChange = { id, resource: adapter.summarize(observed), syncedAt, pendingCreate: null };
  const progress = adapter.progress(observed, pass.obj.spec.resource);
  if (progress.state === 'progressing') return new Outcome(reconciling(progress.reason, progress.message), progress.pollAfterMs, change);
  if (progress.state === 'failed') {
    return new Outcome(stalled(progress.reason, `${progress.message}; change the spec or recreate the object`, 'terminal'), undefined, change);
  }
  r.memory.backoff.reset(pass.key);
  if (adapter.conditionalUpdate && isManaged(pass.obj)) r.memory.keepObservation(pass.obj.metadata.uid ?? '', id, observed, syncedAt);
  if (refs.pending.length > 0) {
    // Woken when they get an id (reference events), like any wait for a dependency; drift-checked meanwhile.
    const message = `waiting for ${refs.pending.join('; ')}; ${adapter.kind} ${id} is otherwise in sync`;
    return new Outcome(reconciling(WAITING, message, 'waiting'), RESYNC, change);
  }
  return new Outcome(ready('Available', `${adapter.kind} ${id} is available`), RESYNC, change);
}

/**
 * A failed resource whose spec asks for it: delete it (recorded as a pending deletion, so a restart
 * resumes here) and create it anew once the cloud has deleted it.
 */
export async function recreate(r: Reconciling, pass: Pass, cloud: unknown, observed: unknown, why: string): Promise<Outcome> {
  const { adapter } = r;
  const id = adapter.id(observed);
  r.event(pass.obj, 'Warning', 'Recreating', `${why}; deleting ${adapter.kind} ${id} to create it again`);
  const answer = await adapter.delete(cloud, id);
  const operation = isAccepted(answer) ? answer.operation : undefined;
  await r.write(pass, { pendingOperation: { action: 'delete', ...(operation ? { id: operation } : {}), startedAt: kubeTime(r.clock.now()) } });
  return new Outcome(reconciling('Recreating', `${why}; deleting ${adapter.kind} ${id} to create it again`), isAccepted(answer) ? answer.pollAfterMs : RECREATE_POLL_MS);
}

/** A recreate under way: wait while the old resource still exists, then forget it (the create follows). */
export async function awaitRecreate(r: Reconciling, pass: Pass, cloud: unknown): Promise<void> {
  const { adapter } = r;
  const id = pass.obj.status?.id;
  const old = id ? await adapter.get(cloud, id) : undefined;
  if (old) {
    const progress = adapter.progress(old, pass.obj.spec.resource);
    throw new Outcome(reconciling('Recreating', `waiting for the cloud to delete ${adapter.kind} ${id}`), progress.state === 'progressing' ? progress.pollAfterMs : RECREATE_POLL_MS);
  }
  await r.write(pass, { id: null, pendingOperation: null });
}
