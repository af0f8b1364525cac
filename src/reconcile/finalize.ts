// Finalize phase: wait for dependents, then Delete (or Orphan, or nothing for ObserveOnly) in the
// cloud, then drop the finalizer. A deletion the cloud accepted is polled, never sent again.
import { FINALIZER, hasFinalizer } from '../runtime/finalizers.ts';
import { isAccepted, type ManagedObject, type PendingOperation } from './adapter.ts';
import type { ClusterView, ObjectWriter } from './kube.ts';
import { owned } from './observe.ts';
import { Outcome, isManaged, type Pass, type Reconciling } from './pass.ts';
import { reconciling } from './status.ts';
import { kubeTime } from './timing.ts';
import type { References } from './pass.ts';

/** How often to look at a resource whose accepted deletion its state says nothing about. */
const DELETION_POLL_MS = 2_000;

const describe = (obj: ManagedObject): string => `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;

export interface Finalizing {
  cluster: ClusterView;
  writer: ObjectWriter<ManagedObject>;
  /** The object's cloud client, or an Outcome saying why there is none (`doing`: what it is for). */
  client(obj: ManagedObject, doing: string): object;
  /** The object's references, or undefined while they cannot be resolved. */
  references(obj: ManagedObject): References | undefined;
}

export async function finalize(r: Reconciling, f: Finalizing, pass: Pass): Promise<void> {
  const { adapter } = r;
  const { obj } = pass;
  if (!hasFinalizer(obj, FINALIZER)) return;
  const namespace = obj.metadata.namespace ?? '';
  const dependents = f.cluster.dependents(adapter.kind, namespace, obj.metadata.name).filter((d) => d.metadata.uid !== obj.metadata.uid);
  if (dependents.length > 0) {
    const names = dependents.map((d) => describe(d)).sort();
    throw new Outcome(reconciling('DeleteBlocked', `waiting for ${names.join(', ')} to be deleted`, 'waiting'));
  }
  if (isManaged(obj)) {
    const cloud = f.client(obj, 'delete the cloud resource');
    const find = () => owned(r, pass, cloud, () => f.references(obj)?.resolved);
    if (obj.spec.deletionPolicy === 'Orphan') {
      for (const target of await find()) {
        const marks = adapter.marksOf(target);
        if (adapter.marks.hasOperator(marks)) await adapter.setMarks(cloud, target, adapter.marks.withoutOperator(marks));
        r.event(obj, 'Normal', 'Orphaned', `left ${adapter.kind} ${adapter.id(target)} in the cloud without the operator's ${adapter.marks.noun}`);
      }
    } else {
      await deleteOwned(r, pass, cloud, find);
    }
  }
  await f.writer.removeFinalizer(pass.obj);
  r.memory.forget(pass.key, obj.metadata.uid);
}

/**
 * Deletes what the object owns: its recorded id without looking first (a resource already gone
 * counts as deleted), else what its marks or intent find. Returns once the cloud has deleted it;
 * a deletion the cloud accepted stops the reconcile and is polled, never sent again.
 */
async function deleteOwned(r: Reconciling, pass: Pass, cloud: unknown, find: () => Promise<unknown[]>): Promise<void> {
  const { adapter } = r;
  const pending = pass.obj.status?.pendingOperation?.action === 'delete' ? pass.obj.status.pendingOperation : undefined;
  if (pending) {
    const remaining = await find();
    if (remaining.length > 0) await awaitDeletion(r, pass, cloud, remaining, pending);
    return;
  }
  const id = pass.obj.status?.id;
  const ids = id ? [id] : (await find()).map((target) => adapter.id(target));
  if (ids.length === 0) return;
  await r.write(pass, { condition: reconciling('Deleting', `deleting ${adapter.kind} ${ids.join(', ')}`) });
  const answers = [];
  for (const target of ids) answers.push(await adapter.delete(cloud, target));
  const accepted = answers.filter(isAccepted);
  if (accepted.length > 0) {
    await r.write(pass, { pendingOperation: { action: 'delete', ...(accepted[0]?.operation ? { id: accepted[0].operation } : {}), startedAt: kubeTime(r.clock.now()) } });
    throw new Outcome(reconciling('Deleting', `the cloud is deleting ${adapter.kind} ${ids.join(', ')}`), Math.min(...accepted.map((a) => a.pollAfterMs)));
  }
  for (const target of ids) r.event(pass.obj, 'Normal', 'Deleted', `deleted ${adapter.kind} ${target}`);
}

/** A deletion the cloud accepted and `remaining` still exists: look again later, or send it again if its operation failed. */
async function awaitDeletion(r: Reconciling, pass: Pass, cloud: unknown, remaining: unknown[], pending: PendingOperation): Promise<never> {
  const { adapter } = r;
  const ids = remaining.map((t) => adapter.id(t)).join(', ');
  const waiting = reconciling('Deleting', `waiting for the cloud to delete ${adapter.kind} ${ids}`);
  const { id } = pending;
  if (!id || !adapter.operation) {
    const progress = adapter.progress(remaining[0]);
    throw new Outcome(waiting, progress.state === 'progressing' ? progress.pollAfterMs : DELETION_POLL_MS);
  }
  const status = await adapter.operation(cloud, { id, startedAt: pending.startedAt });
  if (status.state === 'pending') throw new Outcome(waiting, status.pollAfterMs);
  if (status.state === 'done') throw new Outcome(waiting, DELETION_POLL_MS);
  // Failed: the next attempt sends the DELETE again.
  await r.write(pass, { pendingOperation: null });
  throw r.retry(pass, reconciling(status.reason, `deleting ${adapter.kind} ${ids} failed: ${status.message}`, 'transient'));
}
