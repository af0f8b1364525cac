import type { Api } from './api.ts';
import type { KubeObject } from './types.ts';
import type { StoreEvent } from './store.ts';
import { CRDS, NAMESPACES } from './builtins.ts';
import { CRD_CLEANUP_FINALIZER, crdResourceTypes } from './crds.ts';
import { deleteObject, persistUpdate } from './deletion.ts';
import { isObject } from './objects.ts';

/**
 * The parts of kube-controller-manager and the apiextensions controllers this server needs:
 * serve a CRD's resources as soon as it is stored, and empty a terminating namespace or CRD
 * before removing it (objects with finalizers keep it terminating until they go).
 */
export function startCleanup(api: Api): () => void {
  const servedByCrd = new Map<string, string>();
  let scheduled = false;

  const syncCrd = (event: StoreEvent): void => {
    const name = event.object.metadata.name ?? '';
    const previous = servedByCrd.get(name);
    if (previous) api.registry.removeStorage(previous);
    servedByCrd.delete(name);
    if (event.type === 'DELETED') return;
    const types = crdResourceTypes(event.object);
    for (const type of types) api.registry.add(type);
    if (types[0]) servedByCrd.set(name, types[0].storageKey);
  };

  const emptyNamespace = (ns: KubeObject): void => {
    const name = ns.metadata.name ?? '';
    const buckets = new Map(api.registry.all().filter((t) => t.namespaced).map((t) => [t.storageKey, t]));
    let remaining = 0;
    for (const type of buckets.values()) {
      for (const obj of api.store.list(type, name)) {
        remaining += 1;
        if (!obj.metadata.deletionTimestamp) deleteObject(api, type, obj, false);
      }
    }
    if (remaining > 0) return;
    const spec = isObject(ns['spec']) ? ns['spec'] : {};
    ns['spec'] = { ...spec, finalizers: [] };
    persistUpdate(api, NAMESPACES, ns);
  };

  const emptyCrd = (crd: KubeObject): void => {
    const storageKey = servedByCrd.get(crd.metadata.name ?? '');
    const type = storageKey ? api.registry.anyVersionOf(storageKey) : undefined;
    const objects = type ? api.store.list(type) : [];
    for (const obj of objects) if (type && !obj.metadata.deletionTimestamp) deleteObject(api, type, obj, false);
    if (objects.length > 0) return;
    crd.metadata.finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
    persistUpdate(api, CRDS, crd);
  };

  const reconcile = (): void => {
    scheduled = false;
    try {
      for (const ns of api.store.list(NAMESPACES)) if (ns.metadata.deletionTimestamp) emptyNamespace(ns);
      for (const crd of api.store.list(CRDS)) {
        if (crd.metadata.deletionTimestamp && crd.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) emptyCrd(crd);
      }
    } catch (err) {
      // A background controller must not take the server down; the next store event retries.
      console.error('kube cleanup failed:', err);
    }
  };

  return api.store.subscribe((event) => {
    if (event.storageKey === CRDS.storageKey) syncCrd(event);
    if (!scheduled) {
      scheduled = true;
      setImmediate(reconcile);
    }
  });
}
