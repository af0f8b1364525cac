// A typed client of the cloudnet.io kinds over @kubernetes/client-node: each call takes and
// returns the shape of the kind it names.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION } from '../api/kind.ts';
import { isNotFound } from '../runtime/client.ts';
import { resourceOf, type KindName, type ManifestOfKind, type NewObject, type ObjectOfKind } from './kinds.ts';
import type { MergePatch } from './merge-patch.ts';
import { waitForReady, type WaitOptions } from './wait.ts';

export interface CloudnetClientOptions {
  /** The field manager of every write (managedFields; server-side apply's ownership). Default "cloudnet-api". */
  fieldManager?: string;
}

export interface ApplyOptions {
  /** Take over fields another field manager owns instead of failing with a conflict. */
  force?: boolean;
}

/** The merge patch of a kind's spec that patchSpec takes. */
export type SpecPatch<K extends KindName> = MergePatch<ManifestOfKind<K>['spec']>;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const serverSideApply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

export class CloudnetClient {
  /** Where create and apply put an object without metadata.namespace: the kubeconfig context's namespace, else "default". */
  readonly defaultNamespace: string;
  readonly #kubeConfig: KubeConfig;
  readonly #custom: CustomObjectsApi;
  readonly #fieldManager: string;

  constructor(kubeConfig: KubeConfig, options: CloudnetClientOptions = {}) {
    this.#kubeConfig = kubeConfig;
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#fieldManager = options.fieldManager ?? 'cloudnet-api';
    this.defaultNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  }

  #api(kind: KindName, namespace: string) {
    const { group, version, plural } = resourceOf(kind);
    return { group, version, plural, namespace };
  }

  /** The collection and the body of a new object: apiVersion and kind from the call, the namespace defaulted. */
  #new<K extends KindName>(kind: K, obj: NewObject<K>) {
    const namespace = obj.metadata.namespace ?? this.defaultNamespace;
    return { ...this.#api(kind, namespace), body: { ...obj, apiVersion: API_VERSION, kind, metadata: { ...obj.metadata, namespace } } };
  }

  /** Creates the object (409 AlreadyExists when it does). */
  async create<K extends KindName>(kind: K, obj: NewObject<K>): Promise<ObjectOfKind<K>> {
    return this.#custom.createNamespacedCustomObject({ ...this.#new(kind, obj), fieldManager: this.#fieldManager });
  }

  /**
   * Server-side apply: creates the object or sets the fields this client's field manager gives,
   * removing those it gave before and gives no more. Running it again with the same object changes nothing.
   */
  async apply<K extends KindName>(kind: K, obj: NewObject<K>, options: ApplyOptions = {}): Promise<ObjectOfKind<K>> {
    return this.#custom.patchNamespacedCustomObject(
      { ...this.#new(kind, obj), name: obj.metadata.name, fieldManager: this.#fieldManager, force: options.force },
      serverSideApply,
    );
  }

  /** JSON merge patch of the spec: the fields given are set, null removes an optional one, arrays are replaced. */
  async patchSpec<K extends KindName>(kind: K, namespace: string, name: string, patch: SpecPatch<K>): Promise<ObjectOfKind<K>> {
    return this.#custom.patchNamespacedCustomObject(
      { ...this.#api(kind, namespace), name, body: { spec: patch }, fieldManager: this.#fieldManager },
      mergePatch,
    );
  }

  /** The object, or undefined when it does not exist. */
  async get<K extends KindName>(kind: K, namespace: string, name: string): Promise<ObjectOfKind<K> | undefined> {
    try {
      return await this.#custom.getNamespacedCustomObject({ ...this.#api(kind, namespace), name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Asks for the deletion; false when the object did not exist. The object goes once the operator
   * has deleted (or orphaned) its cloud resource and dropped its finalizer.
   */
  async delete(kind: KindName, namespace: string, name: string): Promise<boolean> {
    try {
      await this.#custom.deleteNamespacedCustomObject({ ...this.#api(kind, namespace), name });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Resolves with the object once it is Ready for its current spec (Ready=True for its
   * metadata.generation), watching it. Rejects with a NotReadyError when it is Stalled for that
   * generation (the condition's reason and message), does not exist or is deleted, or after
   * `timeoutMs`; with the signal's reason when `signal` aborts.
   */
  async waitForReady<K extends KindName>(kind: K, namespace: string, name: string, options: WaitOptions = {}): Promise<ObjectOfKind<K>> {
    return (await waitForReady(this.#kubeConfig, resourceOf(kind), namespace, name, options)) as ObjectOfKind<K>;
  }
}
