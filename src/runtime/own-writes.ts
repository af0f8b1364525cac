import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * What a reconciler last wrote per key, so a reconcile that starts before the informer has
 * delivered its earlier writes (woken by some other event) does not act on that older state: the
 * informer delivers our writes in order, but late (controller-runtime has the same race; it costs
 * duplicate cloud calls).
 */
export class OwnWrites<T extends KubernetesObject> {
  readonly #written = new Map<string, { latest: T; older: Set<string> }>();

  /** The object to act on: our latest write while the cache still shows one of our older versions. */
  fresh(key: string, cached: T): T {
    const written = this.#written.get(key);
    if (!written) return cached;
    if (written.older.has(cached.metadata?.resourceVersion ?? '')) return written.latest;
    this.#written.delete(key);
    return cached;
  }

  /** The informer delivered `cached`: once it shows our latest write (or newer), that write is forgotten. */
  seen(key: string, cached: T): void {
    this.fresh(key, cached);
  }

  /** Records a reconcile's writes: `versions` are every resourceVersion it saw, `latest` what it left. */
  record(key: string, versions: Iterable<string>, latest: T): void {
    const older = new Set([...(this.#written.get(key)?.older ?? []), ...versions]);
    older.delete(latest.metadata?.resourceVersion ?? '');
    this.#written.set(key, { latest, older });
  }

  forget(key: string): void {
    this.#written.delete(key);
  }
}
