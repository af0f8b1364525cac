// Create phase: the resource with the object's marks. Where the cloud may take a create unmarked,
// the intent is recorded first, so a lost answer is adopted rather than created twice.
import { isCloudError } from '../cloud/errors.ts';
import { CloudPrecondition, cloudNameOf, isAccepted, type Accepted, type CreateRequest, type ResolvedRefs } from './adapter.ts';
import { desiredMarks } from './observe.ts';
import { Outcome, type Pass, type Reconciling } from './pass.ts';
import { reconciling, stalled } from './status.ts';
import { kubeTime } from './timing.ts';

/** Whether a lost create answer could leave an unmarked resource, to be found by its intent. */
async function needsIntent(r: Reconciling, cloud: unknown): Promise<boolean> {
  const { adapter } = r;
  return adapter.intentAdoption !== undefined && !(await (adapter.marksOnCreate?.(cloud) ?? true));
}

/**
 * Creates the resource and records its id at once. Retries keep the intent of the first attempt
 * (and the condition of the last failure): it is cleared once, when the create succeeds or the
 * object stalls. A create the cloud accepted without finishing stops the reconcile: its id and
 * operation are recorded and polled.
 */
export async function create(r: Reconciling, pass: Pass, cloud: object, refs: ResolvedRefs): Promise<unknown> {
  const { adapter } = r;
  const name = cloudNameOf(adapter, pass.obj);
  const held = r.quota.admit(cloud, pass.key);
  if (held) throw new Outcome(stalled('QuotaExceeded', `${held.message}; waiting for quota: one ${adapter.kind} of this ProviderConfig tries again each period for all that wait`, 'quota'), held.waitMs);
  const secretData = await readSecretInputs(r, pass);
  if ((await needsIntent(r, cloud)) && pass.obj.status?.pendingCreate?.name !== name) {
    await r.write(pass, {
      pendingCreate: { name, startedAt: kubeTime(r.clock.now()) },
      condition: reconciling('Creating', `creating ${adapter.kind} "${name}"`),
    });
  }
  r.memory.refused.delete(pass.key);
  r.memory.createSent.add(pass.key);
  let created: unknown;
  try {
    created = await adapter.create(cloud, { resource: pass.obj.spec.resource, refs, name, secretData }, desiredMarks(r, pass.obj));
  } catch (err) {
    const refusal = err instanceof CloudPrecondition ? err.error : isCloudError(err) ? err : undefined;
    if (refusal?.kind === 'quota') r.quota.refused(cloud, pass.key, refusal.describe());
    if (refusal?.createdId) await r.write(pass, { id: refusal.createdId, pendingCreate: null });
    // A refusal with an answer created nothing; an error without one may have (the intent stays).
    else if (refusal?.status !== undefined && refusal.status < 500) {
      r.memory.refused.add(pass.key);
      if (refusal.kind === 'terminal' || refusal.kind === 'conflict') await r.write(pass, { pendingCreate: null });
    }
    throw err;
  }
  r.quota.created(cloud);
  if (isAccepted(created)) return inProgress(r, pass, name, created);
  await r.write(pass, { id: adapter.id(created), pendingCreate: null });
  // Recorded: no lookup by marks will be needed for this create.
  r.memory.createSent.delete(pass.key);
  r.event(pass.obj, 'Normal', 'Created', `created ${adapter.kind} ${adapter.id(created)} "${name}"`);
  return created;
}

/**
 * The data of the Secret keys the create reads, straight from the API server (the informer keeps
 * only what ProviderConfigs read). One missing waits: the object is woken when a Secret of its
 * namespace changes, and retried on the backoff schedule meanwhile.
 */
async function readSecretInputs(r: Reconciling, pass: Pass): Promise<CreateRequest<unknown>['secretData']> {
  const values = new Map<string, string>();
  const entry = (input: { name: string; key: string }) => `${input.name}\u0000${input.key}`;
  for (const input of r.adapter.secretInputs?.(pass.obj.spec.resource) ?? []) {
    const secret = await r.readSecret(pass.obj.metadata.namespace ?? '', input.name);
    const data = secret?.data?.[input.key];
    if (data === undefined) {
      r.memory.waitingOn.set(pass.key, ['Secret']);
      const missing = secret ? `Secret ${input.name} has no key "${input.key}"` : `Secret ${input.name} does not exist`;
      throw r.retry(pass, reconciling('WaitingForSecret', `${missing} (${input.field}); waiting for it before the create`, 'waiting'));
    }
    values.set(entry(input), data);
  }
  return (input) => {
    const data = values.get(entry(input));
    if (data === undefined) throw new Error(`Secret key ${input.name}/${input.key} was not read: name it in secretInputs`);
    return data;
  };
}

/** The cloud is still creating: record what it said (the id, the operation) and look again later. */
async function inProgress(r: Reconciling, pass: Pass, name: string, answer: Accepted): Promise<never> {
  const { adapter } = r;
  await r.write(pass, {
    ...(answer.id ? { id: answer.id, pendingCreate: null } : {}),
    ...(answer.operation ? { pendingOperation: { action: 'create', id: answer.operation, startedAt: kubeTime(r.clock.now()) } } : {}),
  });
  const what = answer.id ? `${adapter.kind} ${answer.id} "${name}"` : `${adapter.kind} "${name}"`;
  r.event(pass.obj, 'Normal', 'Creating', `the cloud accepted the create of ${what}`);
  throw new Outcome(reconciling('Creating', `the cloud is creating ${what}`), answer.pollAfterMs);
}
