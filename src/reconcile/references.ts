// References phase: the ids of the objects spec.resource (and, before an import, the import filter)
// names, or the Outcome of waiting for them.
import { isTrue, READY } from '../runtime/conditions.ts';
import { importReferences, isBlocking, isSelfReference, refKey, resolvedRefs, specReferences, type ManagedObject, type Ref } from './adapter.ts';
import type { ClusterView } from './kube.ts';
import { WAITING } from './memory.ts';
import { Outcome, type Reconciling, type References } from './pass.ts';
import { reconciling } from './status.ts';

/** The referenced object's id, or what keeps it from being used. */
function lookup(cluster: ClusterView, obj: ManagedObject, ref: Ref): string | { problem: string } {
  const namespace = obj.metadata.namespace ?? '';
  const target = cluster.get(ref.kind, namespace, ref.name);
  const what = `${ref.kind} ${namespace}/${ref.name} (${ref.field})`;
  if (!target) return { problem: `${what} does not exist` };
  if (target.metadata.deletionTimestamp) return { problem: `${what} is being deleted` };
  if (isBlocking(ref) && !isTrue(target.status?.conditions, READY)) return { problem: `${what} is not Ready` };
  if (!target.status?.id) return { problem: `${what} is not created yet` };
  return target.status.id;
}

/**
 * Blocking references must exist, be Ready and have an id, else an Outcome (woken by their
 * events); non-blocking ones resolve once they have an id and are `pending` until then. A
 * reference to the object itself resolves to its own id through withOwnId (see the update phase),
 * never to a recorded id that may be stale. Import filter references are waited for like blocking
 * ones, while the object has no id.
 */
export function resolveReferences(r: Reconciling, cluster: ClusterView, obj: ManagedObject): References {
  const { adapter } = r;
  const ids = new Map<string, string>();
  const waiting: string[] = [];
  const pending: string[] = [];
  const self = refKey(adapter.kind, obj.metadata.name);
  for (const ref of specReferences(adapter, obj)) {
    if (isSelfReference(adapter, obj, ref)) continue;
    const found = lookup(cluster, obj, ref);
    if (typeof found !== 'string') (isBlocking(ref) ? waiting : pending).push(found.problem);
    else ids.set(refKey(ref.kind, ref.name), found);
  }
  const importIds = new Map<string, string>();
  if (!obj.status?.id) {
    for (const ref of importReferences(adapter, obj)) {
      const found = lookup(cluster, obj, { ...ref, blocking: true });
      if (typeof found !== 'string') waiting.push(found.problem);
      else importIds.set(refKey(ref.kind, ref.name), found);
    }
  }
  if (waiting.length > 0) {
    // What was last synced no longer holds: the next sync must not be skipped as steady.
    r.memory.synced.delete(obj.metadata.uid ?? '');
    throw new Outcome(reconciling(WAITING, `waiting for ${waiting.join('; ')}`, 'waiting'));
  }
  const fingerprint = [...[...ids].map(([ref, id]) => `${ref}=${id}`).sort(), ...pending].join(',');
  return { resolved: resolvedRefs(ids, self), imports: resolvedRefs(importIds), fingerprint, pending };
}
