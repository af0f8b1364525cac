// The ProviderConfig controller: probes a ProviderConfig's credentials through its provider plugin,
// reports Ready, and holds it (and its Secrets) while managed objects use it.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { EndpointError, isCloudError } from '../cloud/errors.ts';
import type { Cache } from '../runtime/cache.ts';
import { isApiServerError } from '../runtime/client.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { getCondition, isTrue, READY, RECONCILING, removeCondition, setCondition, type Condition } from '../runtime/conditions.ts';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.ts';
import type { EventType } from '../runtime/events.ts';
import { FINALIZER, hasFinalizer } from '../runtime/finalizers.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import type { ObjectWriter } from './kube.ts';
import { eventType, unexpectedMessage } from './failure.ts';
import { ConfigError, SecretMissing, SecretNotLoaded, type ProbeResult, type SecretRef } from './provider.ts';
import { isTrimmed, SECRETS_INDEX, type ProviderConfig, type ProviderRegistry } from './provider-registry.ts';
import { applyCondition, mergePatch, reconciling, stalled, type ConditionChange } from './status.ts';
import { Backoff, kubeTime, type BackoffOptions } from './timing.ts';

/**
 * Condition type, present (status True) only while the ProviderConfig's client does not verify the
 * cloud's TLS certificates; Ready says nothing of it, as kstatus reads only Ready, Reconciling and Stalled.
 */
export const INSECURE_TLS = 'InsecureTLS';

/** A failure of the ProviderConfig: its condition, and whether it is retried on the backoff (never sooner than atLeastMs). */
interface Failed {
  condition: ConditionChange;
  retry: boolean;
  atLeastMs?: number;
}

/** What a client that cannot be built means: a Secret to wait for, or a setting to fix. */
function clientFailure(err: ConfigError): Failed {
  if (err instanceof SecretMissing) return { condition: reconciling('WaitingForSecret', err.message, 'waiting'), retry: false };
  return { condition: stalled('InvalidConfiguration', err.message, 'configuration'), retry: false };
}

/**
 * Where a user puts a new pre-issued token: the Secret key of auth.tokenSecretRef, or the clouds.yaml
 * entry's auth.token. Names and keys only, never a value.
 */
export function tokenLocation(pc: Pick<ProviderConfig, 'metadata' | 'spec'>, refs: readonly SecretRef[]): string | undefined {
  const namespace = pc.metadata.namespace ?? '';
  const token = refs.find((ref) => ref.field === 'auth.tokenSecretRef');
  if (token) return `Secret ${namespace}/${token.name} key ${token.key}`;
  const clouds = refs.find((ref) => ref.field === 'credentialsSecretRef');
  const cloud = pc.spec.openstack?.cloud;
  return clouds && `Secret ${namespace}/${clouds.name} key ${clouds.key} (clouds.${cloud ?? '<cloud>'}.auth.token)`;
}

/**
 * What a failed probe means (docs/design.md, "Errors, retries and what wakes an object"). `tokenAt`:
 * where the pre-issued token is, for a cloud that refused it (OpenStack's TokenRejected, auth.ts):
 * only a new token helps, so the message says where to put one.
 */
export function probeFailure(err: unknown, tokenAt?: string): Failed {
  if (err instanceof EndpointError) return { condition: stalled('InvalidConfiguration', err.message, 'configuration'), retry: false };
  if (!isCloudError(err)) return { condition: reconciling('InternalError', unexpectedMessage(err), 'internal'), retry: true };
  const message = err.describe();
  if (err.kind === 'terminal' || err.kind === 'conflict') return { condition: stalled('InvalidConfiguration', message, 'terminal'), retry: false };
  if (err.kind === 'unauthorized') {
    const advice =
      err.code === 'TokenRejected' && tokenAt
        ? `the cloud refused the token (${err.status ?? 401}): it has expired or was revoked; put a new token in ${tokenAt}`
        : `${message}; check the credentials`;
    return { condition: reconciling('AuthenticationFailed', advice, 'unauthorized'), retry: true, atLeastMs: err.retryAfterMs };
  }
  return { condition: reconciling('TransientError', message, 'transient'), retry: true, atLeastMs: err.retryAfterMs };
}

/**
 * An object whose last cloud request was refused for its credentials (Ready=False, AuthenticationFailed):
 * its ProviderConfig, Ready until then (it is probed only when its settings change), probes again and,
 * refused too, says so; its objects then wait (ProviderNotReady) instead of each retrying the cloud.
 */
export function refusedCredentials(obj: KubernetesObject): boolean {
  const ready = getCondition((obj as { status?: { conditions?: Condition[] } }).status?.conditions, READY);
  return ready?.status === 'False' && ready.reason === 'AuthenticationFailed';
}

/** The conditions with InsecureTLS set to say `insecure`, or removed when TLS is verified. */
function withInsecureTLS(conditions: readonly Condition[] | undefined, insecure: string | undefined, generation: number | undefined, now: Date): Condition[] {
  if (!insecure) return removeCondition(conditions, INSECURE_TLS);
  return setCondition(conditions, { type: INSECURE_TLS, status: 'True', reason: 'InsecureSkipTLSVerify', message: insecure }, generation, now);
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
  /** Clients without TLS verification already warned about: once per client this process built. */
  readonly #warnedInsecure = new WeakSet<object>();

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
    const write = async (change: ConditionChange, insecure: string | undefined, observed?: ProbeResult) => keep(await this.#write(pc, change, insecure, observed));
    await this.#loadSecrets(pc);
    let entry;
    try {
      entry = this.#o.registry.client(pc);
    } catch (err) {
      // Cached a moment ago without its data, and changed since: its next version comes with it.
      if (err instanceof SecretNotLoaded) return { requeueAfter: this.#backoff.next(key, { generation: pc.metadata.generation }) };
      if (!(err instanceof ConfigError)) throw err;
      this.#probed.delete(uid);
      // Without a client nothing connects, insecurely or not.
      return this.#fail(key, pc, clientFailure(err), (change) => write(change, undefined));
    }
    const insecure = entry.provider.insecureTLS?.(entry.settings);
    if (insecure && !this.#warnedInsecure.has(entry.client as object)) {
      this.#warnedInsecure.add(entry.client as object);
      ctx.log.warn(insecure);
    }
    const settled = pc.status?.observedGeneration === pc.metadata.generation && isTrue(pc.status?.conditions, READY);
    // After a restart a Ready ProviderConfig is trusted as it is; a later Secret change probes again.
    if (settled && !this.#probed.has(uid)) this.#probed.set(uid, entry.fingerprint);
    // Objects the cloud refused for the credentials: the probe tells the ProviderConfig's Ready.
    const refused = this.#o.users(key).some(refusedCredentials);
    if (settled && this.#probed.get(uid) === entry.fingerprint && !refused) {
      // A status written before the InsecureTLS condition existed gets it, Ready kept as it is.
      if (getCondition(pc.status?.conditions, INSECURE_TLS)?.message !== insecure) {
        keep(await this.#patch(pc, (conditions, generation, now) => withInsecureTLS(conditions, insecure, generation, now)));
      }
      return;
    }
    try {
      const probed = await entry.provider.probe(entry.client);
      this.#probed.set(uid, entry.fingerprint);
      this.#backoff.reset(key);
      await write({ phase: 'ready', reason: 'Available', message: probed.message }, insecure, probed);
      return;
    } catch (err) {
      // The API server's own failures cannot be written on the object: the controller retries them.
      if (isApiServerError(err)) throw err;
      this.#probed.delete(uid);
      const failed = probeFailure(err, tokenLocation(pc, this.#o.registry.secretRefs(pc)));
      if (failed.condition.failure?.class === 'internal') ctx.log.error({ err }, 'unexpected error: a bug, please report it with this log');
      else ctx.log.info({ err: failed.condition.message }, 'ProviderConfig probe failed');
      return this.#fail(key, pc, failed, (change) => write(change, insecure));
    }
  }

  /** Writes the failure's condition (with the next attempt, if it is retried), says it in an Event, and reports it to the controller's metric. */
  async #fail(key: string, pc: ProviderConfig, failed: Failed, write: (change: ConditionChange) => Promise<void>): Promise<ReconcileResult> {
    const { condition } = failed;
    const wait = failed.retry ? this.#backoff.next(key, { atLeastMs: failed.atLeastMs, generation: pc.metadata.generation }) : undefined;
    await write(wait === undefined ? condition : { ...condition, message: `${condition.message}; next attempt at ${kubeTime(this.#clock.now() + wait)}` });
    const failure = condition.failure!;
    this.#o.events.event(pc, eventType(failure), condition.reason, failure.detail);
    return { ...(wait === undefined ? {} : { requeueAfter: wait }), failure: { class: failure.class, reason: condition.reason } };
  }

  async #finalize(key: string, pc: ProviderConfig): Promise<ReconcileResult> {
    if (!hasFinalizer(pc, FINALIZER)) return;
    const users = this.#o.users(key);
    if (users.length > 0) {
      const names = users.map((u) => `${u.kind} ${u.metadata?.namespace}/${u.metadata?.name}`).sort();
      // Ready stays as it is: the objects still being deleted need this ProviderConfig.
      await this.#patch(pc, (conditions, generation, now) =>
        setCondition(conditions, { type: RECONCILING, status: 'True', reason: 'DeleteBlocked', message: `waiting for ${names.join(', ')} to be deleted` }, generation, now),
      );
      return;
    }
    // The Secrets first: once the finalizer is gone nothing reconciles this ProviderConfig again,
    // and a crash in between would leave them held for good.
    await this.#releaseSecrets(pc.metadata.namespace ?? '', pc);
    await this.#o.writer.removeFinalizer(pc);
    this.#o.registry.remove(pc.metadata.uid ?? '');
    this.#probed.delete(pc.metadata.uid ?? '');
  }

  async #loadSecrets(pc: ProviderConfig): Promise<void> {
    const namespace = pc.metadata.namespace ?? '';
    for (const ref of this.#o.registry.secretRefs(pc)) {
      const secret = this.#o.secrets.get(namespace, ref.name);
      if (secret && isTrimmed(secret)) await this.#o.loadSecret(namespace, ref.name);
    }
  }

  /** The Secrets a live ProviderConfig reads carry the finalizer; the others in the namespace lose it. */
  async #holdSecrets(pc: ProviderConfig): Promise<void> {
    const namespace = pc.metadata.namespace ?? '';
    for (const ref of this.#o.registry.secretRefs(pc)) {
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

  #write(pc: ProviderConfig, change: ConditionChange, insecure: string | undefined, observed?: ProbeResult): Promise<ProviderConfig | undefined> {
    return this.#patch(pc, (conditions, generation, now) => withInsecureTLS(applyCondition(conditions, change, generation, now), insecure, generation, now), observed);
  }

  async #patch(
    pc: ProviderConfig,
    conditions: (current: Condition[] | undefined, generation: number | undefined, now: Date) => Condition[],
    observed?: ProbeResult,
  ): Promise<ProviderConfig | undefined> {
    // The generation probed, even if a conflict makes this write see a newer object.
    const generation = pc.metadata.generation;
    return this.#o.writer.patchStatus(pc, (current) => {
      const next = {
        ...current.status,
        observedGeneration: generation,
        ...(observed?.endpoints ? { endpoints: observed.endpoints } : {}),
        ...(observed?.projectID ? { projectID: observed.projectID } : {}),
        conditions: conditions(current.status?.conditions as Condition[] | undefined, generation, new Date(this.#clock.now())),
      };
      return isDeepStrictEqual(next, current.status ?? {}) ? undefined : mergePatch(current.status ?? {}, next);
    });
  }
}
