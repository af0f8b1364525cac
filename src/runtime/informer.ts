import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { Cache, objectKey } from './cache.ts';
import { sleep, systemClock, type Clock } from './clock.ts';
import { apiVersionOf, collectionPath, ResourceClient, statusCode, type ResourceType } from './client.ts';
import type { Logger } from './log.ts';

export interface EventHandlers<T> {
  add?(obj: T): void;
  update?(previous: T, obj: T): void;
  delete?(obj: T): void;
}

/** What a controller needs from an informer (any Informer<T> is one). */
export interface EventSource {
  addHandlers(handlers: EventHandlers<KubernetesObject>): void;
  waitForSync(signal?: AbortSignal): Promise<void>;
}

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  kubeConfig: KubeConfig;
  resource: ResourceType;
  /** Namespaces to watch, one list+watch each; empty or absent = all namespaces. */
  namespaces?: string[];
  labelSelector?: string;
  clock?: Clock;
  log?: Logger;
  pageSize?: number;
  /** Server-side timeout of each watch request; default random 5-10 minutes like client-go. */
  watchTimeoutSeconds?: number;
  /** Reconnect backoff after errors (client-go: 800 ms doubling to 30 s). */
  backoffFloorMs?: number;
  backoffCapMs?: number;
  /** Applied to every object before it is cached (client-go SetTransform), e.g. to drop what is not read. */
  transform?: (obj: T) => T;
  /** Listing starts once this resolves (e.g. another informer's sync that the transform consults). */
  startAfter?: Promise<unknown>;
}

/** A watch ERROR event: the metav1.Status the server sent. */
class WatchStatusError extends Error {
  readonly code: number | undefined;
  constructor(status: { code?: number; reason?: string; message?: string }) {
    super(status.message ?? status.reason ?? 'watch error');
    this.code = status.code;
  }
}

const isGone = (err: unknown) => statusCode(err) === 410;
const isTimeout = (err: unknown) => err instanceof Error && err.name === 'TimeoutError';

interface Scope {
  /** undefined = all namespaces */
  namespace: string | undefined;
  resourceVersion: string | undefined;
  synced: boolean;
  request: AbortController | undefined;
}

/**
 * List + watch of one resource type into a Cache, with client-go reflector semantics: a watch
 * that ends resumes from the last resourceVersion seen (bookmarks keep it fresh), a 410 Gone
 * relists (and reports objects deleted meanwhile), errors reconnect with exponential backoff.
 */
export class Informer<T extends KubernetesObject = KubernetesObject> implements EventSource {
  readonly resource: ResourceType;
  readonly cache = new Cache<T>();
  /** Requests made, for observability and tests. */
  readonly stats = { lists: 0, watches: 0, relists: 0 };
  readonly #client: ResourceClient<T>;
  readonly #watch: Watch;
  readonly #scopes: Scope[];
  readonly #handlers: EventHandlers<T>[] = [];
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #options: InformerOptions<T>;
  readonly #abort = new AbortController();
  readonly #synced: Promise<void>;
  #markSynced!: () => void;
  #loops: Promise<void>[] = [];

  constructor(options: InformerOptions<T>) {
    this.#options = options;
    this.resource = options.resource;
    this.#client = new ResourceClient<T>(options.kubeConfig, options.resource);
    this.#watch = new Watch(options.kubeConfig);
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log?.child({ resource: `${options.resource.plural}.${options.resource.group || 'core'}` });
    const namespaces = options.resource.namespaced && options.namespaces?.length ? options.namespaces : [undefined];
    this.#scopes = namespaces.map((namespace) => ({ namespace, resourceVersion: undefined, synced: false, request: undefined }));
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
  }

  /** Adds handlers; objects already in the cache are delivered to `add` at once. */
  addHandlers(handlers: EventHandlers<T>): void {
    this.#handlers.push(handlers);
    for (const obj of this.cache.list()) handlers.add?.(obj);
  }

  start(): void {
    if (this.#loops.length) return;
    this.#loops = this.#scopes.map((scope) => this.#run(scope));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    for (const scope of this.#scopes) scope.request?.abort();
    await Promise.all(this.#loops);
  }

  hasSynced(): boolean {
    return this.#scopes.every((s) => s.synced);
  }

  /** Resolves once every watched namespace has been listed, or when the signal aborts (rejecting). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (!signal) return this.#synced;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error(`${this.resource.plural}: stopped before the cache synced`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#synced.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /**
   * Reads one object from the server again and, when it is the version cached, caches it anew
   * (through the transform, which may now keep more of it) and tells the handlers. A different
   * version is left to the watch, which delivers it in order.
   */
  async refresh(namespace: string | undefined, name: string): Promise<void> {
    const fresh = await this.#client.get(namespace, name);
    const cached = this.cache.get(namespace, name);
    if (!fresh || !cached || fresh.metadata?.resourceVersion !== cached.metadata?.resourceVersion) return;
    const obj = this.#prepare(fresh);
    this.cache.upsert(obj);
    for (const h of this.#handlers) h.update?.(cached, obj);
  }

  async #run(scope: Scope): Promise<void> {
    if (this.#options.startAfter) {
      const stopped = new Promise((resolve) => this.#abort.signal.addEventListener('abort', resolve, { once: true }));
      await Promise.race([this.#options.startAfter.catch(() => undefined), stopped]);
    }
    const floor = this.#options.backoffFloorMs ?? 800;
    const cap = this.#options.backoffCapMs ?? 30_000;
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      try {
        if (scope.resourceVersion === undefined) await this.#list(scope);
        await this.#watchOnce(scope);
        failures = 0;
      } catch (err) {
        if (this.#abort.signal.aborted) break;
        if (isGone(err)) {
          this.stats.relists++;
          this.#log?.info({ namespace: scope.namespace, resourceVersion: scope.resourceVersion }, 'resourceVersion expired (410 Gone), relisting');
          scope.resourceVersion = undefined;
          continue;
        }
        if (isTimeout(err)) continue; // an idle connection: resume from the last resourceVersion
        const delay = Math.min(floor * 2 ** failures, cap);
        failures++;
        this.#log?.warn({ err, namespace: scope.namespace, retryInMs: delay }, 'list/watch failed, retrying');
        await sleep(this.#clock, delay, this.#abort.signal);
      }
    }
  }

  #inScope(scope: Scope, obj: T): boolean {
    return scope.namespace === undefined || obj.metadata?.namespace === scope.namespace;
  }

  async #list(scope: Scope): Promise<void> {
    this.stats.lists++;
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.#client.list({
        namespace: scope.namespace,
        labelSelector: this.#options.labelSelector,
        limit: this.#options.pageSize ?? 500,
        continue: continueToken,
      });
      // Prepared page by page: what the cache drops is not held for the whole listing.
      for (const item of page.items) items.push(this.#prepare(item));
      continueToken = page.metadata?._continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (continueToken);

    const listed = new Set(items.map((item) => objectKey(item)));
    for (const obj of this.cache.list()) {
      if (this.#inScope(scope, obj) && !listed.has(objectKey(obj))) this.#remove(obj);
    }
    for (const item of items) this.#store(item);
    scope.resourceVersion = resourceVersion;
    if (!scope.synced) {
      scope.synced = true;
      if (this.hasSynced()) this.#markSynced();
    }
  }

  #watchOnce(scope: Scope): Promise<void> {
    if (this.#abort.signal.aborted) return Promise.resolve();
    this.stats.watches++;
    const timeoutSeconds = this.#options.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        scope.request?.abort();
        scope.request = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onEvent = (type: string, obj: T & { code?: number }) => {
        if (settled) return;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            this.#store(this.#prepare(obj));
            break;
          case 'DELETED':
            this.#remove(obj);
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR':
            return finish(new WatchStatusError(obj));
          default:
            return;
        }
        scope.resourceVersion = obj.metadata?.resourceVersion ?? scope.resourceVersion;
      };
      this.#watch
        .watch(
          collectionPath(this.resource, scope.namespace),
          { resourceVersion: scope.resourceVersion, allowWatchBookmarks: true, timeoutSeconds, labelSelector: this.#options.labelSelector },
          onEvent,
          (err: unknown) => finish(err ?? undefined),
        )
        .then((controller) => {
          if (settled || this.#abort.signal.aborted) controller.abort();
          else scope.request = controller;
          if (this.#abort.signal.aborted) finish();
        }, finish);
    });
  }

  #prepare(obj: T): T {
    obj.apiVersion ??= apiVersionOf(this.resource);
    obj.kind ??= this.resource.kind;
    // Nothing reads managedFields, and they can be most of an object (controller-runtime drops them too).
    if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
    return this.#options.transform ? this.#options.transform(obj) : obj;
  }

  #store(obj: T): void {
    const previous = this.cache.upsert(obj);
    if (!previous) {
      for (const h of this.#handlers) h.add?.(obj);
    } else if (previous.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      for (const h of this.#handlers) h.update?.(previous, obj);
    }
  }

  #remove(obj: T): void {
    const previous = this.cache.remove(objectKey(obj));
    if (previous) for (const h of this.#handlers) h.delete?.(obj);
  }
}
