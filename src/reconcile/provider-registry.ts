// One cloud client per ProviderConfig, from its provider plugin, shared by every kind (so its token
// and rate limit are too), built on first use and kept current with its spec and Secrets.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ProviderConfig as ProviderConfigSchema } from '../api/providerconfig.ts';
import { objectKey, type Cache } from '../runtime/cache.ts';
import { getCondition, isTrue, READY } from '../runtime/conditions.ts';
import { ConfigError, SecretMissing, SecretNotLoaded, type AnyProvider, type ClientContext, type Provider, type ProviderLookup, type ReadSecret, type SecretRef } from './provider.ts';

/** A ProviderConfig as client-node sees it (its metadata type is V1ObjectMeta, not the schema's). */
export type ProviderConfig = KubernetesObject & {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  spec: ProviderConfigSchema['spec'];
  status?: ProviderConfigSchema['status'];
};

/** Cache index on ProviderConfigs: "namespace/name" of every Secret they read. */
export const SECRETS_INDEX = 'secrets';

const trimmed = new WeakSet<V1Secret>();

/**
 * The Secrets informer's transform: a Secret no ProviderConfig reads is cached without its data.
 * Clusters hold many large Secrets (Helm releases, certificates) the operator has no use for; a
 * ProviderConfig that comes to read one loads it again (Informer.refresh).
 */
export function trimUnreadSecrets(providerConfigs: Cache<ProviderConfig>): (secret: V1Secret) => V1Secret {
  return (secret) => {
    if (providerConfigs.byIndex(SECRETS_INDEX, objectKey(secret)).length > 0) return secret;
    const { data: _data, stringData: _stringData, ...rest } = secret;
    trimmed.add(rest);
    return rest;
  };
}

/** Whether the cached Secret lacks its data (see trimUnreadSecrets). */
export const isTrimmed = (secret: V1Secret): boolean => trimmed.has(secret);

interface Entry {
  provider: AnyProvider;
  client: unknown;
  settings: unknown;
  /** The spec generation and Secret versions the settings were read from. */
  fingerprint: string;
}

export interface ProviderRegistryOptions {
  providers: readonly AnyProvider[];
  providerConfigs: Cache<ProviderConfig>;
  secrets: Cache<V1Secret>;
  client: ClientContext;
}

/** Cloud clients by ProviderConfig uid, built on first use and kept current with the Secrets. */
export class ProviderRegistry {
  readonly #o: ProviderRegistryOptions;
  readonly #providers: ReadonlyMap<string, AnyProvider>;
  readonly #clients = new Map<string, Entry>();

  constructor(options: ProviderRegistryOptions) {
    this.#o = options;
    this.#providers = new Map(options.providers.map((p) => [p.name, p]));
  }

  /** The Secret keys a ProviderConfig reads (none for a provider this operator does not have). */
  secretRefs(pc: ProviderConfig): SecretRef[] {
    return this.#providers.get(pc.spec.provider)?.secretRefs(pc.spec) ?? [];
  }

  /** The cache index SECRETS_INDEX: "namespace/name" of the Secrets a ProviderConfig reads. */
  secretsIndex = (pc: ProviderConfig): string[] => [...new Set(this.secretRefs(pc).map((r) => `${pc.metadata.namespace ?? ''}/${r.name}`))];

  /** For managed objects: the client of a Ready ProviderConfig of `provider`, or why there is none. */
  lookup<C>(namespace: string, name: string, provider: Provider<C>): ProviderLookup<C> {
    const pc = this.#o.providerConfigs.get(namespace, name);
    const what = `ProviderConfig ${namespace}/${name}`;
    if (!pc) return { ready: false, message: `${what} does not exist` };
    if (pc.spec.provider !== provider.name) return { ready: false, otherProvider: pc.spec.provider };
    if (!isTrue(pc.status?.conditions, READY)) {
      const reason = getCondition(pc.status?.conditions, READY)?.message;
      return { ready: false, message: `${what} is not Ready${reason ? `: ${reason}` : ''}` };
    }
    try {
      return { ready: true, client: this.client(pc).client as C };
    } catch (err) {
      // Until a Secret it has just come to read is loaded, the client in use stays.
      const current = this.#clients.get(pc.metadata.uid ?? '');
      if (err instanceof SecretNotLoaded && current) return { ready: true, client: current.client as C };
      if (err instanceof ConfigError) return { ready: false, message: `${what}: ${err.message}` };
      throw err;
    }
  }

  /** The ProviderConfig's client, built, reconfigured or replaced when its spec or Secrets changed. Throws ConfigError. */
  client(pc: ProviderConfig): Entry {
    const provider = this.#providers.get(pc.spec.provider);
    if (!provider) throw new ConfigError(`provider ${pc.spec.provider} is not supported yet`);
    const uid = pc.metadata.uid ?? '';
    const existing = this.#clients.get(uid);
    const fingerprint = this.#fingerprint(pc);
    // Cheap check first: every managed reconcile asks for its client.
    if (existing?.fingerprint === fingerprint) return existing;
    const settings = provider.settings(pc.spec, this.#reader(pc));
    if (existing && existing.provider === provider && provider.reconfigure(existing.client, existing.settings, settings)) {
      const entry = { ...existing, settings, fingerprint };
      this.#clients.set(uid, entry);
      return entry;
    }
    if (existing) existing.provider.close(existing.client);
    const entry = { provider, client: provider.connect(settings, this.#o.client), settings, fingerprint };
    this.#clients.set(uid, entry);
    return entry;
  }

  remove(uid: string): void {
    const entry = this.#clients.get(uid);
    entry?.provider.close(entry.client);
    this.#clients.delete(uid);
  }

  close(): void {
    for (const uid of [...this.#clients.keys()]) this.remove(uid);
  }

  /** Changes when the ProviderConfig's spec or any Secret it reads changes. */
  #fingerprint(pc: ProviderConfig): string {
    const namespace = pc.metadata.namespace ?? '';
    const versions = this.secretRefs(pc).map((ref) => `${ref.name}@${this.#o.secrets.get(namespace, ref.name)?.metadata?.resourceVersion ?? 'absent'}`);
    return JSON.stringify([pc.metadata.uid, pc.metadata.generation, versions.sort()]);
  }

  #reader(pc: ProviderConfig): ReadSecret {
    const namespace = pc.metadata.namespace ?? '';
    return (ref) => {
      const secret = this.#o.secrets.get(namespace, ref.name);
      if (!secret) throw new SecretMissing(`Secret ${namespace}/${ref.name} (${ref.field}) does not exist`);
      if (isTrimmed(secret)) throw new SecretNotLoaded(`Secret ${namespace}/${ref.name} (${ref.field}) is being loaded`);
      const value = secret.data?.[ref.key];
      if (value === undefined) throw new SecretMissing(`Secret ${namespace}/${ref.name} (${ref.field}) has no key "${ref.key}"`);
      return Buffer.from(value, 'base64').toString('utf8');
    };
  }
}
