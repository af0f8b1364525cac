// ProviderConfigs: one cloud client per ProviderConfig (shared by every kind, so its token and
// rate limit are too), built from its Secrets and rebuilt when they change; and the controller
// that probes it, reports Ready, and holds it (and its Secrets) while objects still use it.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ProviderConfig as ProviderConfigSchema } from '../api/providerconfig.ts';
import { isCloudError } from '../cloud/errors.ts';
import type { RetryPolicy } from '../cloud/http.ts';
import { OpenStackClient } from '../cloud/openstack/client.ts';
import { CloudConfigError, parseCloudEntry, parseCloudsYaml, type OpenStackCloudConfig } from '../cloud/openstack/config.ts';
import { objectKey, type Cache } from '../runtime/cache.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { getCondition, isTrue, READY, RECONCILING, setCondition, type Condition } from '../runtime/conditions.ts';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.ts';
import type { EventType } from '../runtime/events.ts';
import { FINALIZER, hasFinalizer } from '../runtime/finalizers.ts';
import type { ObjectWriter, ProviderLookup } from './managed.ts';
import { OwnWrites } from './kube.ts';
import { applyCondition, mergePatch, type ConditionChange } from './status.ts';
import { Backoff, type BackoffOptions } from './timing.ts';

/** A ProviderConfig as client-node sees it (its metadata type is V1ObjectMeta, not the schema's). */
export type ProviderConfig = KubernetesObject & {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  spec: ProviderConfigSchema['spec'];
  status?: ProviderConfigSchema['status'];
};

/** Cache index on ProviderConfigs: "namespace/name" of every Secret they read. */
export const SECRETS_INDEX = 'secrets';

type SecretRef = { name: string; key: string };

/** What a successful probe found, for status. */
type Observed = { endpoints: Record<string, string>; projectID: string | undefined };

/** What a user must fix in the ProviderConfig or its Secrets; the message never holds secret values. */
class ConfigError extends Error {}

/** A Secret the ProviderConfig reads is cached without its data yet (see trimUnreadSecrets). */
class SecretNotLoaded extends ConfigError {}

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

export function secretRefsOf(pc: ProviderConfig): SecretRef[] {
  const os = pc.spec.openstack;
  const refs = [os?.credentialsSecretRef, os?.caBundleSecretRef, os?.auth?.passwordSecretRef, os?.auth?.applicationCredentialSecretRef, os?.auth?.tokenSecretRef];
  return refs.filter((r): r is SecretRef => r !== undefined);
}

export const secretsIndex = (pc: ProviderConfig): string[] => [...new Set(secretRefsOf(pc).map((r) => `${pc.metadata.namespace ?? ''}/${r.name}`))];

interface Built {
  cloud: OpenStackCloudConfig;
  caBundle: string | undefined;
  fingerprint: string;
}

/** OpenStack settings from the ProviderConfig and the Secrets in the cache. */
function openStackConfig(pc: ProviderConfig, secrets: Cache<V1Secret>): Built {
  const namespace = pc.metadata.namespace ?? '';
  const os = pc.spec.openstack;
  if (!os) throw new ConfigError('spec.openstack is required for provider openstack');
  const read = (ref: SecretRef, field: string): string => {
    const secret = secrets.get(namespace, ref.name);
    if (!secret) throw new ConfigError(`Secret ${namespace}/${ref.name} (${field}) does not exist`);
    if (trimmed.has(secret)) throw new SecretNotLoaded(`Secret ${namespace}/${ref.name} (${field}) is being loaded`);
    const value = secret.data?.[ref.key];
    if (value === undefined) throw new ConfigError(`Secret ${namespace}/${ref.name} (${field}) has no key "${ref.key}"`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  let cloud: OpenStackCloudConfig;
  try {
    if (os.credentialsSecretRef) {
      cloud = parseCloudsYaml(read(os.credentialsSecretRef, 'credentialsSecretRef'), os.cloud ?? '');
    } else {
      const a = os.auth!;
      cloud = parseCloudEntry({
        auth_type: a.type,
        auth: {
          auth_url: a.authURL,
          username: a.username,
          user_id: a.userID,
          user_domain_name: a.userDomainName,
          user_domain_id: a.userDomainID,
          project_name: a.projectName,
          project_id: a.projectID,
          project_domain_name: a.projectDomainName,
          project_domain_id: a.projectDomainID,
          domain_name: a.domainName,
          domain_id: a.domainID,
          application_credential_id: a.applicationCredentialID,
          application_credential_name: a.applicationCredentialName,
          password: a.passwordSecretRef && read(a.passwordSecretRef, 'auth.passwordSecretRef'),
          application_credential_secret: a.applicationCredentialSecretRef && read(a.applicationCredentialSecretRef, 'auth.applicationCredentialSecretRef'),
          token: a.tokenSecretRef && read(a.tokenSecretRef, 'auth.tokenSecretRef'),
        },
      });
    }
  } catch (err) {
    if (err instanceof CloudConfigError) throw new ConfigError(err.message);
    throw err;
  }
  const overrides = Object.fromEntries(Object.entries(os.endpointOverrides ?? {}).filter(([, url]) => url !== undefined));
  cloud = {
    ...cloud,
    regionName: os.region ?? cloud.regionName,
    interface: os.interface ?? cloud.interface,
    endpointOverrides: { ...cloud.endpointOverrides, ...overrides },
    verify: cloud.verify && !os.insecureSkipTLSVerify,
  };
  const caBundle = os.caBundleSecretRef ? read(os.caBundleSecretRef, 'caBundleSecretRef') : undefined;
  return { cloud, caBundle, fingerprint: fingerprintOf(pc, secrets) };
}

/** Changes when the ProviderConfig's spec or any Secret it reads changes. */
function fingerprintOf(pc: ProviderConfig, secrets: Cache<V1Secret>): string {
  const namespace = pc.metadata.namespace ?? '';
  const versions = secretRefsOf(pc).map((ref) => `${ref.name}@${secrets.get(namespace, ref.name)?.metadata?.resourceVersion ?? 'absent'}`);
  return JSON.stringify([pc.metadata.uid, pc.metadata.generation, versions.sort()]);
}

export interface ProviderRegistryOptions {
  providerConfigs: Cache<ProviderConfig>;
  secrets: Cache<V1Secret>;
  /** Where the cloud API metrics go. */
  metrics: Registry;
  log?: Logger;
  /** HTTP settings of every cloud client (tests shorten them). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

interface Entry extends Built {
  client: OpenStackClient;
  rateLimit: string;
}

/** Cloud clients by ProviderConfig uid, built on first use and kept current with the Secrets. */
export class ProviderRegistry {
  readonly #o: ProviderRegistryOptions;
  readonly #clients = new Map<string, Entry>();

  constructor(options: ProviderRegistryOptions) {
    this.#o = options;
  }

  /** For managed objects: the client of a Ready ProviderConfig, or why there is none. */
  lookup = (namespace: string, name: string): ProviderLookup => {
    const pc = this.#o.providerConfigs.get(namespace, name);
    const what = `ProviderConfig ${namespace}/${name}`;
    if (!pc) return { ready: false, message: `${what} does not exist` };
    if (!isTrue(pc.status?.conditions, READY)) {
      const reason = getCondition(pc.status?.conditions, READY)?.message;
      return { ready: false, message: `${what} is not Ready${reason ? `: ${reason}` : ''}` };
    }
    try {
      return { ready: true, provider: pc.spec.provider, client: this.client(pc).client };
    } catch (err) {
      // Until a Secret it has just come to read is loaded, the client in use stays.
      const current = this.#clients.get(pc.metadata.uid ?? '');
      if (err instanceof SecretNotLoaded && current) return { ready: true, provider: pc.spec.provider, client: current.client };
      if (err instanceof ConfigError) return { ready: false, message: `${what}: ${err.message}` };
      throw err;
    }
  };

  /** The ProviderConfig's client, rebuilt or updated when its spec or Secrets changed. Throws ConfigError. */
  client(pc: ProviderConfig): Entry {
    if (pc.spec.provider !== 'openstack') throw new ConfigError(`provider ${pc.spec.provider} is not supported yet`);
    const uid = pc.metadata.uid ?? '';
    const existing = this.#clients.get(uid);
    // Cheap check first: every managed reconcile asks for its client.
    if (existing?.fingerprint === fingerprintOf(pc, this.#o.secrets)) return existing;
    const built = openStackConfig(pc, this.#o.secrets);
    const rateLimit = JSON.stringify(pc.spec.rateLimit);
    // Same TLS settings and rate limit: keep the client (and its bucket), swap credentials and endpoints.
    if (existing && existing.caBundle === built.caBundle && existing.rateLimit === rateLimit && existing.client.update(built.cloud)) {
      const entry = { ...existing, ...built };
      this.#clients.set(uid, entry);
      return entry;
    }
    existing?.client.close();
    const client = new OpenStackClient({
      cloud: built.cloud,
      caBundle: built.caBundle,
      registry: this.#o.metrics,
      rateLimit: pc.spec.rateLimit,
      logger: this.#o.log,
      timeoutMs: this.#o.timeoutMs,
      retry: this.#o.retry,
    });
    const entry = { ...built, client, rateLimit };
    this.#clients.set(uid, entry);
    return entry;
  }

  remove(uid: string): void {
    this.#clients.get(uid)?.client.close();
    this.#clients.delete(uid);
  }

  close(): void {
    for (const uid of [...this.#clients.keys()]) this.remove(uid);
  }
}

export interface ProviderConfigReconcilerOptions {
  registry: ProviderRegistry;
  providerConfigs: Cache<ProviderConfig>;
  secrets: Cache<V1Secret>;
  writer: ObjectWriter<ProviderConfig>;
  secretWriter: Pick<ObjectWriter<V1Secret>, 'addFinalizer' | 'removeFinalizer'>;
  /** Reads a Secret cached without its data again, now that a ProviderConfig reads it. */
  loadSecret: (namespace: string, name: string) => Promise<void>;
  /** Objects (of every managed kind) using the ProviderConfig "namespace/name". */
  users: (key: string) => KubernetesObject[];
  events: { event(obj: KubernetesObject, type: EventType, reason: string, message: string): void };
  backoff?: BackoffOptions;
  clock?: Clock;
}

/**
 * Probes a ProviderConfig's credentials when its spec or Secrets change (never periodically:
 * steady state makes no cloud call) and reports Ready; holds it and its Secrets while managed
 * objects use it, so deleting everything at once still deletes the cloud resources first.
 */
export class ProviderConfigReconciler {
  readonly #o: ProviderConfigReconcilerOptions;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  /** uid -> fingerprint whose probe succeeded. */
  readonly #probed = new Map<string, string>();
  readonly #ownWrites = new OwnWrites<ProviderConfig>();

  constructor(options: ProviderConfigReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new Backoff(options.backoff);
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult> => {
    const cached = this.#o.providerConfigs.getByKey(key);
    if (!cached) {
      this.#ownWrites.forget(key);
      return;
    }
    const pc = this.#ownWrites.fresh(key, cached);
    if (pc.metadata.deletionTimestamp) return this.#finalize(key, pc);
    const versions = new Set([cached.metadata.resourceVersion ?? '', pc.metadata.resourceVersion ?? '']);
    let current = pc;
    const keep = (updated: ProviderConfig | undefined) => {
      if (!updated) return;
      versions.add(current.metadata.resourceVersion ?? '');
      current = updated;
    };
    try {
      if (!hasFinalizer(pc, FINALIZER)) keep(await this.#o.writer.addFinalizer(pc));
      await this.#holdSecrets(current);
      return await this.#check(key, current, ctx, keep);
    } finally {
      if (current !== pc) this.#ownWrites.record(key, versions, current);
    }
  };

  /** Builds the client and probes it when its settings changed since the last successful probe. */
  async #check(key: string, pc: ProviderConfig, ctx: ReconcileContext, keep: (updated: ProviderConfig | undefined) => void): Promise<ReconcileResult> {
    const uid = pc.metadata.uid ?? '';
    const write = async (change: ConditionChange, observed?: Observed) => keep(await this.#write(pc, change, observed));
    await this.#loadSecrets(pc);
    let entry;
    try {
      entry = this.#o.registry.client(pc);
    } catch (err) {
      // Cached a moment ago without its data, and changed since: its next version comes with it.
      if (err instanceof SecretNotLoaded) return { requeueAfter: this.#backoff.next(key, { generation: pc.metadata.generation }) };
      if (!(err instanceof ConfigError)) throw err;
      this.#probed.delete(uid);
      await write({ phase: 'stalled', reason: 'InvalidConfiguration', message: err.message });
      return;
    }
    const settled = pc.status?.observedGeneration === pc.metadata.generation && isTrue(pc.status?.conditions, READY);
    // After a restart a Ready ProviderConfig is trusted as it is; a later Secret change probes again.
    if (settled && !this.#probed.has(uid)) this.#probed.set(uid, entry.fingerprint);
    if (settled && this.#probed.get(uid) === entry.fingerprint) return;
    try {
      const { networkEndpoint, projectId } = await entry.client.probe();
      this.#probed.set(uid, entry.fingerprint);
      this.#backoff.reset(key);
      await write({ phase: 'ready', reason: 'Available', message: `authenticated; network endpoint ${networkEndpoint}` }, { endpoints: { network: networkEndpoint }, projectID: projectId });
      return;
    } catch (err) {
      if (!isCloudError(err)) throw err;
      this.#probed.delete(uid);
      const message = err.describe();
      ctx.log.info({ err: message }, 'ProviderConfig probe failed');
      if (err.kind === 'unauthorized') {
        this.#o.events.event(pc, 'Warning', 'AuthenticationFailed', message);
        await write({ phase: 'reconciling', reason: 'AuthenticationFailed', message: `${message}; check the credentials` });
      } else if (err.kind === 'terminal') {
        this.#o.events.event(pc, 'Warning', 'InvalidConfiguration', message);
        await write({ phase: 'stalled', reason: 'InvalidConfiguration', message });
        return;
      } else {
        await write({ phase: 'reconciling', reason: 'TransientError', message: `${message} (retrying with backoff)` });
      }
      return { requeueAfter: this.#backoff.next(key, { atLeastMs: err.retryAfterMs, generation: pc.metadata.generation }) };
    }
  }

  async #finalize(key: string, pc: ProviderConfig): Promise<ReconcileResult> {
    if (!hasFinalizer(pc, FINALIZER)) return;
    const users = this.#o.users(key);
    if (users.length > 0) {
      const names = users.map((u) => `${u.kind} ${u.metadata?.namespace}/${u.metadata?.name}`).sort();
      // Ready stays as it is: the objects still being deleted need this ProviderConfig.
      await this.#patch(pc, (conditions, generation, now) =>
        setCondition(conditions, { type: RECONCILING, status: 'True', reason: 'DeletionBlocked', message: `waiting for ${names.join(', ')} to be deleted` }, generation, now),
      );
      return;
    }
    await this.#o.writer.removeFinalizer(pc);
    this.#o.registry.remove(pc.metadata.uid ?? '');
    this.#probed.delete(pc.metadata.uid ?? '');
    await this.#releaseSecrets(pc.metadata.namespace ?? '', pc);
  }

  async #loadSecrets(pc: ProviderConfig): Promise<void> {
    const namespace = pc.metadata.namespace ?? '';
    for (const ref of secretRefsOf(pc)) {
      const secret = this.#o.secrets.get(namespace, ref.name);
      if (secret && trimmed.has(secret)) await this.#o.loadSecret(namespace, ref.name);
    }
  }

  /** The Secrets a live ProviderConfig reads carry the finalizer; the others in the namespace lose it. */
  async #holdSecrets(pc: ProviderConfig): Promise<void> {
    const namespace = pc.metadata.namespace ?? '';
    for (const ref of secretRefsOf(pc)) {
      const secret = this.#o.secrets.get(namespace, ref.name);
      if (secret && !secret.metadata?.deletionTimestamp && !hasFinalizer(secret, FINALIZER)) await this.#o.secretWriter.addFinalizer(secret);
    }
    await this.#releaseSecrets(namespace);
  }

  async #releaseSecrets(namespace: string, leaving?: ProviderConfig): Promise<void> {
    for (const secret of this.#o.secrets.list(namespace)) {
      if (!hasFinalizer(secret, FINALIZER)) continue;
      const readers = this.#o.providerConfigs.byIndex(SECRETS_INDEX, `${namespace}/${secret.metadata?.name ?? ''}`);
      if (readers.every((pc) => pc.metadata.uid === leaving?.metadata.uid)) await this.#o.secretWriter.removeFinalizer(secret);
    }
  }

  #write(pc: ProviderConfig, change: ConditionChange, observed?: Observed): Promise<ProviderConfig | undefined> {
    return this.#patch(pc, (conditions, generation, now) => applyCondition(conditions, change, generation, now), observed);
  }

  async #patch(
    pc: ProviderConfig,
    conditions: (current: Condition[] | undefined, generation: number | undefined, now: Date) => Condition[],
    observed?: Observed,
  ): Promise<ProviderConfig | undefined> {
    // The generation probed, even if a conflict makes this write see a newer object.
    const generation = pc.metadata.generation;
    return this.#o.writer.patchStatus(pc, (current) => {
      const next = {
        ...current.status,
        observedGeneration: generation,
        ...(observed ? { endpoints: observed.endpoints } : {}),
        ...(observed?.projectID ? { projectID: observed.projectID } : {}),
        conditions: conditions(current.status?.conditions as Condition[] | undefined, generation, new Date(this.#clock.now())),
      };
      return isDeepStrictEqual(next, current.status ?? {}) ? undefined : mergePatch(current.status ?? {}, next);
    });
  }
}
