// Which update events wake a controller (controller-runtime's predicates): an event that only
// echoes the operator's own write must not cut short a backoff or requeue the reconcile asked for.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';

/** true: the change between the two versions is one the mapped objects must react to. */
export type UpdatePredicate = (previous: KubernetesObject, obj: KubernetesObject) => boolean;

/**
 * The object as its author wrote it: without status (written by the operator through /status),
 * the operator's finalizer, and what every write changes (resourceVersion, managedFields).
 */
function authored(obj: KubernetesObject, finalizer: string): unknown {
  const { status: _status, ...rest } = obj as KubernetesObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, finalizers, ...metadata } = obj.metadata ?? {};
  const others = finalizers?.filter((f) => f !== finalizer) ?? [];
  return { ...rest, metadata: others.length > 0 ? { ...metadata, finalizers: others } : metadata };
}

/** The part of the object that `view` picks differs between the two versions. */
export function viewChanged(view: (obj: KubernetesObject) => unknown): UpdatePredicate {
  return (previous, obj) => !isDeepStrictEqual(view(previous), view(obj));
}

/**
 * Anything but the operator's own writes changed: a new spec, labels, annotations, deletion,
 * another controller's finalizer, a Secret's data. Status-only events are the echo of a status
 * write (only the operator writes the status of its kinds).
 */
export function changedBeyondOwnWrites(finalizer: string): UpdatePredicate {
  return viewChanged((obj) => authored(obj, finalizer));
}
