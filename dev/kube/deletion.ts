import type { Api } from './api.ts';
import type { KubeObject, ResourceType } from './types.ts';
import { conflict } from './errors.ts';
import { kubeTime } from './time.ts';
import { CRD_CLEANUP_FINALIZER } from './crds.ts';
import { isObject } from './objects.ts';

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface DeleteOutcome {
  object: KubeObject;
  /** False while finalizers (or a namespace's/CRD's cleanup) hold the object. */
  removed: boolean;
}

function isCrd(type: ResourceType): boolean {
  return type.group === 'apiextensions.k8s.io' && type.plural === 'customresourcedefinitions';
}

function isNamespace(type: ResourceType): boolean {
  return type.group === '' && type.plural === 'namespaces';
}

export function checkPreconditions(type: ResourceType, obj: KubeObject, pre: Preconditions | undefined): void {
  const name = obj.metadata.name ?? '';
  if (pre?.uid && pre.uid !== obj.metadata.uid) {
    throw conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
  }
}

/** Marks a namespace or CRD as terminating: their contents are removed before they are (see cleanup.ts). */
function markTerminating(type: ResourceType, obj: KubeObject, now: string): void {
  const status = isObject(obj['status']) ? obj['status'] : {};
  if (isNamespace(type)) {
    status['phase'] = 'Terminating';
  }
  if (isCrd(type)) {
    obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER])];
    const conditions = Array.isArray(status['conditions']) ? status['conditions'].filter((c) => !isObject(c) || c['type'] !== 'Terminating') : [];
    conditions.push({ type: 'Terminating', status: 'True', lastTransitionTime: now, reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' });
    status['conditions'] = conditions;
  }
  obj['status'] = status;
}

function heldBy(type: ResourceType, obj: KubeObject): boolean {
  if ((obj.metadata.finalizers ?? []).length > 0) return true;
  const spec = obj['spec'];
  return isNamespace(type) && isObject(spec) && Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0;
}

/**
 * Deletes like the real registry: an object with finalizers only gets deletionTimestamp (and
 * deletionGracePeriodSeconds 0) and, when it has a generation, the next one (markAsDeleting); it
 * goes when the last finalizer does.
 */
export function deleteObject(api: Api, type: ResourceType, obj: KubeObject, dryRun: boolean): DeleteOutcome {
  const now = kubeTime(api.now());
  if (isNamespace(type) || isCrd(type)) {
    if (!obj.metadata.deletionTimestamp) markTerminating(type, obj, now);
  }
  if (heldBy(type, obj)) {
    if (obj.metadata.deletionTimestamp) return { object: obj, removed: false };
    obj.metadata.deletionTimestamp = now;
    obj.metadata.deletionGracePeriodSeconds = 0;
    if (obj.metadata.generation) obj.metadata.generation += 1;
    return { object: dryRun ? obj : api.store.update(type, obj), removed: false };
  }
  return { object: dryRun ? obj : api.store.remove(type, obj), removed: true };
}

/** Persists an update; a deleting object whose last finalizer went is removed instead. */
export function persistUpdate(api: Api, type: ResourceType, obj: KubeObject): KubeObject {
  if (obj.metadata.deletionTimestamp && !heldBy(type, obj)) return api.store.remove(type, obj);
  return api.store.update(type, obj);
}
