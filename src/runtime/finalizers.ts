import type { KubernetesObject } from '@kubernetes/client-node';
import { isConflict, isNotFound, type ResourceClient } from './client.ts';

export const FINALIZER = 'cloudnet.io/finalizer';

export function hasFinalizer(obj: KubernetesObject, finalizer: string = FINALIZER): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** The merge patch that sets the finalizer list, conditional on the resourceVersion it was computed from. */
export function finalizersPatch(obj: KubernetesObject, finalizers: string[]): Record<string, unknown> {
  return { metadata: { finalizers, resourceVersion: obj.metadata?.resourceVersion } };
}

/**
 * Applies `change` to the object's finalizers with a merge patch conditional on resourceVersion;
 * on 409 refetches and recomputes, a bounded number of times. Returns the updated object (or the
 * current one when nothing had to change; undefined when it no longer exists).
 */
async function updateFinalizers<T extends KubernetesObject>(
  client: ResourceClient<T>,
  obj: T,
  change: (finalizers: string[]) => string[] | undefined,
  attempts: number,
): Promise<T | undefined> {
  let current: T | undefined = obj;
  for (let attempt = 1; current; attempt++) {
    const next = change(current.metadata?.finalizers ?? []);
    if (!next) return current;
    try {
      return await client.patch(current.metadata?.namespace, current.metadata!.name!, finalizersPatch(current, next));
    } catch (err) {
      // Removing the last finalizer of an object being deleted lets it go: a stale copy may get here after.
      if (isNotFound(err)) return undefined;
      if (!isConflict(err) || attempt >= attempts) throw err;
    }
    current = await client.get(current.metadata?.namespace, current.metadata!.name!);
  }
  return undefined;
}

export function addFinalizer<T extends KubernetesObject>(client: ResourceClient<T>, obj: T, finalizer: string = FINALIZER, attempts = 5): Promise<T | undefined> {
  return updateFinalizers(client, obj, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]), attempts);
}

export function removeFinalizer<T extends KubernetesObject>(client: ResourceClient<T>, obj: T, finalizer: string = FINALIZER, attempts = 5): Promise<T | undefined> {
  return updateFinalizers(client, obj, (list) => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined), attempts);
}
