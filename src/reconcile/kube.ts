// The Kubernetes side of the reconcilers: resource types, status/finalizer writes, cache views.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cache } from '../runtime/cache.ts';
import type { ResourceClient } from '../runtime/client.ts';
import { getCondition, isTrue, READY, type Condition } from '../runtime/conditions.ts';
import { addFinalizer, FINALIZER, removeFinalizer } from '../runtime/finalizers.ts';
import { patchStatus } from '../runtime/status.ts';
import { importReferences, isBlocking, isSelfReference, specReferences, type AnyAdapter, type ManagedObject, type Ref } from './adapter.ts';

/** Kubernetes writes of a reconciled kind. */
export interface ObjectWriter<T> {
  /** Merge-patches status with what `compute` derives from the current object; undefined = nothing to write. */
  patchStatus(obj: T, compute: (current: T) => unknown): Promise<T | undefined>;
  addFinalizer(obj: T): Promise<T | undefined>;
  removeFinalizer(obj: T): Promise<T | undefined>;
}

/** The cached objects of every managed kind. */
export interface ClusterView {
  get(kind: string, namespace: string, name: string): ManagedObject | undefined;
  /** Objects whose spec.resource references this one with a blocking reference (they keep it from being deleted). */
  dependents(kind: string, namespace: string, name: string): ManagedObject[];
}

/** Cache index: "Kind/namespace/name" of every object spec.resource or the import filter references (their changes wake it). */
export const REFERENCES_INDEX = 'references';
/** Cache index: "Kind/namespace/name" of every other object spec.resource references blockingly (it keeps them from being deleted). */
export const BLOCKING_REFERENCES_INDEX = 'blockingReferences';
/** Cache index: "namespace/name" of the ProviderConfig an object uses. */
export const PROVIDER_CONFIG_INDEX = 'providerConfig';

export const referenceKey = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

export function kubeWriter<T extends KubernetesObject>(client: ResourceClient<T>): ObjectWriter<T> {
  return {
    patchStatus: (obj, compute) => patchStatus(client, obj, compute),
    addFinalizer: (obj) => addFinalizer(client, obj, FINALIZER),
    removeFinalizer: (obj) => removeFinalizer(client, obj, FINALIZER),
  };
}

/** The index functions every managed kind's cache carries. */
export function managedIndexes(adapter: AnyAdapter): Record<string, (obj: ManagedObject) => string[]> {
  const keys = (obj: ManagedObject, refs: Ref[]) => [...new Set(refs.map((ref) => referenceKey(ref.kind, obj.metadata.namespace ?? '', ref.name)))];
  return {
    [REFERENCES_INDEX]: (obj) => keys(obj, [...specReferences(adapter, obj), ...importReferences(adapter, obj)]),
    [BLOCKING_REFERENCES_INDEX]: (obj) => keys(obj, specReferences(adapter, obj).filter((ref) => isBlocking(ref) && !isSelfReference(adapter, obj, ref))),
    [PROVIDER_CONFIG_INDEX]: (obj) => (obj.spec?.providerConfigRef ? [`${obj.metadata.namespace ?? ''}/${obj.spec.providerConfigRef.name}`] : []),
  };
}

/**
 * What other objects read of a managed object: whether it exists, is going away, is Ready and has
 * an id (references), its spec (what it references), and its cloud state (which a CloudPrecondition
 * may wait for). Status writes that change none of it (a condition message, lastSyncTime) wake nobody.
 */
export function dependentsView(obj: KubernetesObject): unknown {
  const { metadata, status } = obj as ManagedObject;
  return { generation: metadata?.generation, deletionTimestamp: metadata?.deletionTimestamp, id: status?.id, ready: isTrue(status?.conditions, READY), resource: status?.resource };
}

/**
 * What the objects using a ProviderConfig depend on (ProviderRegistry.lookup): its spec, deletion,
 * and whether and why it is Ready. Not the message alone (it names the next attempt while failing):
 * thousands of users need not rewrite their status at every retry of their ProviderConfig.
 */
export function providerConfigView(pc: KubernetesObject): unknown {
  const { metadata, status } = pc as KubernetesObject & { status?: { conditions?: Condition[] } };
  const readyCondition = getCondition(status?.conditions, READY);
  return { generation: metadata?.generation, deletionTimestamp: metadata?.deletionTimestamp, ready: readyCondition?.status, reason: readyCondition?.reason };
}

/** Looks across the caches of every managed kind (each indexed with managedIndexes). */
export function clusterView(caches: ReadonlyMap<string, Cache<ManagedObject>>): ClusterView {
  return {
    get: (kind, namespace, name) => caches.get(kind)?.get(namespace, name),
    dependents: (kind, namespace, name) => [...caches.values()].flatMap((cache) => cache.byIndex(BLOCKING_REFERENCES_INDEX, referenceKey(kind, namespace, name))),
  };
}
