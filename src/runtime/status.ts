import type { KubernetesObject } from '@kubernetes/client-node';
import { isConflict, isNotFound, type ResourceClient } from './client.ts';

/**
 * Merge-patches /status with what `compute` derives from the object, conditional on its
 * resourceVersion; on 409 refetches and recomputes, up to `attempts` times. Returns the patched
 * object, or undefined when the object is gone or `compute` returns undefined (nothing to write).
 */
export async function patchStatus<T extends KubernetesObject, S>(
  client: ResourceClient<T>,
  obj: T,
  compute: (current: T) => S | undefined,
  attempts = 5,
): Promise<T | undefined> {
  let current: T | undefined = obj;
  for (let attempt = 1; current; attempt++) {
    const status = compute(current);
    if (status === undefined) return undefined;
    const { name, namespace, resourceVersion } = current.metadata ?? {};
    try {
      return await client.patchStatus(namespace, name!, { metadata: { resourceVersion }, status });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!isConflict(err) || attempt >= attempts) throw err;
    }
    current = await client.get(namespace, name!);
  }
  return undefined;
}
