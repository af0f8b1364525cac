import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';

/** Identifies a resource for every generic call: the informer, finalizers, status patches. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

export function apiVersionOf(resource: ResourceType): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** The collection's URL path, e.g. /apis/cloudnet.io/v1alpha1/namespaces/a/networks. */
export function collectionPath(resource: ResourceType, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return `${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource.plural}`;
}

/** The HTTP status of a client-node error (ApiException.code, or Watch's statusCode), if any. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** A write the fence refused (ResourceClientOptions.mayWrite): it was not sent. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
}

/**
 * An answer of the API server (it has a status), a failure to reach it (a system error code such
 * as ECONNREFUSED), or a write the fence refused: nothing can be written on the object about them.
 */
export function isApiServerError(err: unknown): boolean {
  if (statusCode(err) !== undefined || err instanceof FencedError) return true;
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Who owns the fields the operator writes (finalizers, status) in managedFields, as `kubectl get --show-managed-fields` shows. */
const FIELD_MANAGER = 'cloudnet-operator';

/**
 * KubernetesObjectApi turns timestamps into Date objects; CustomObjectsApi and watch events keep
 * them as the API sends them. One shape everywhere: the wire's.
 */
const asSent = <O>(obj: O): O => JSON.parse(JSON.stringify(obj)) as O;

export interface ResourceClientOptions {
  /** The fence: asked before each write; false refuses it with a FencedError (a replica that may have lost the leader lease). */
  mayWrite?: () => boolean;
}

/**
 * Generic reads and merge patches for one resource type through client-node: CustomObjectsApi
 * for API groups, KubernetesObjectApi for the core group.
 */
export class ResourceClient<T extends KubernetesObject = KubernetesObject> {
  readonly resource: ResourceType;
  readonly #custom: CustomObjectsApi;
  readonly #objects: KubernetesObjectApi;
  readonly #mayWrite: (() => boolean) | undefined;

  constructor(kubeConfig: KubeConfig, resource: ResourceType, options: ResourceClientOptions = {}) {
    this.resource = resource;
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.#mayWrite = options.mayWrite;
  }

  #fence(): void {
    if (this.#mayWrite && !this.#mayWrite()) throw new FencedError('not sent: this replica may no longer hold the leader lease');
  }

  get #core(): boolean {
    return this.resource.group === '';
  }

  #namespace(namespace: string | undefined): string | undefined {
    return this.resource.namespaced ? namespace : undefined;
  }

  async list(options: ListOptions = {}): Promise<KubernetesListObject<T>> {
    const { group, version, plural, kind } = this.resource;
    const namespace = this.#namespace(options.namespace);
    if (this.#core) {
      return asSent(await this.#objects.list<T>(version, kind, namespace, undefined, undefined, undefined, undefined, options.labelSelector, options.limit, options.continue));
    }
    const common = { group, version, plural, labelSelector: options.labelSelector, limit: options.limit, _continue: options.continue };
    let page: KubernetesListObject<T>;
    if (namespace) page = await this.#custom.listNamespacedCustomObject({ ...common, namespace });
    else if (this.resource.namespaced) page = await this.#custom.listCustomObjectForAllNamespaces({ group, version, resourcePlural: plural, labelSelector: options.labelSelector, limit: options.limit, _continue: options.continue });
    else page = await this.#custom.listClusterCustomObject(common);
    // CustomObjectsApi returns the wire's `continue`; the typed list meta (and callers) use `_continue`.
    const wire = page.metadata as { continue?: string } | undefined;
    if (page.metadata && wire?.continue) page.metadata._continue = wire.continue;
    return page;
  }

  /** The object, or undefined when it does not exist. */
  async get(namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.#read(this.#namespace(namespace), name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #read(namespace: string | undefined, name: string): Promise<T> {
    const { group, version, plural, kind } = this.resource;
    if (this.#core) return asSent(await this.#objects.read<T>({ apiVersion: version, kind, metadata: { name, namespace } } as T & { metadata: { name: string } }));
    if (namespace) return this.#custom.getNamespacedCustomObject({ group, version, plural, namespace, name });
    return this.#custom.getClusterCustomObject({ group, version, plural, name });
  }

  /** JSON merge patch of the object (metadata.resourceVersion in the body makes it conditional: 409 when stale). */
  async patch(namespace: string | undefined, name: string, body: Record<string, unknown>): Promise<T> {
    this.#fence();
    const { group, version, plural, kind } = this.resource;
    const ns = this.#namespace(namespace);
    if (this.#core) {
      const metadata = { ...(body.metadata as object | undefined), name, namespace: ns };
      return asSent(await this.#objects.patch<T>({ ...body, apiVersion: version, kind, metadata } as T, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch));
    }
    if (ns) return this.#custom.patchNamespacedCustomObject({ group, version, plural, namespace: ns, name, body, fieldManager: FIELD_MANAGER }, mergePatch);
    return this.#custom.patchClusterCustomObject({ group, version, plural, name, body, fieldManager: FIELD_MANAGER }, mergePatch);
  }

  /** JSON merge patch of the status subresource (custom resources). */
  async patchStatus(namespace: string | undefined, name: string, body: Record<string, unknown>): Promise<T> {
    this.#fence();
    const { group, version, plural } = this.resource;
    if (this.#core) throw new Error(`status patches of core ${this.resource.kind} are not supported`);
    const ns = this.#namespace(namespace);
    if (ns) return this.#custom.patchNamespacedCustomObjectStatus({ group, version, plural, namespace: ns, name, body, fieldManager: FIELD_MANAGER }, mergePatch);
    return this.#custom.patchClusterCustomObjectStatus({ group, version, plural, name, body, fieldManager: FIELD_MANAGER }, mergePatch);
  }
}
