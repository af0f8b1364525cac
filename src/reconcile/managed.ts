// The generic managed-resource reconciler: docs/design.md, "The reconcile contract", for any Adapter.
import { isCloudError, type CloudError } from '../cloud/errors.ts';
import { getCondition, isTrue, READY, STALLED } from '../runtime/conditions.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { splitKey } from '../runtime/cache.ts';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.ts';
import type { EventType } from '../runtime/events.ts';
import { FINALIZER, hasFinalizer } from '../runtime/finalizers.ts';
import {
  cloudNameOf,
  CloudPrecondition,
  enforcedNameOf,
  importReferences,
  isBlocking,
  isOperatorTag,
  isSelfReference,
  MANAGED_TAG,
  ownerTag,
  refKey,
  resolvedRefs,
  specReferences,
  type Adapter,
  type ManagedObject,
  type Ref,
  type ResolvedRefs,
} from './adapter.ts';
import type { Provider, ProviderLookup } from './provider.ts';
import { reconciling, ready, stalled, statusPatch, type ConditionChange, type Phase, type StatusChange } from './status.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import { Backoff, kubeTime, resyncDueAt, resyncPeriodMs, type BackoffOptions } from './timing.ts';

/** Kubernetes writes of the reconciled kind (production: src/reconcile/kube.ts). */
export interface ObjectWriter<T> {
  /** Merge-patches status with what `compute` derives from the current object; undefined = nothing to write. */
  patchStatus(obj: T, compute: (current: T) => unknown): Promise<T | undefined>;
  addFinalizer(obj: T): Promise<T | undefined>;
  removeFinalizer(obj: T): Promise<T | undefined>;
}

/** The cached objects of every managed kind. */
export interface ClusterView {
  get(kind: string, namespace: string, name: string): ManagedObject | undefined;
  /** Objects whose spec.resource references this one with a blocking reference (they keep it from being deleted). */
  dependents(kind: string, namespace: string, name: string): ManagedObject[];
}

/** The client of the ProviderConfig `namespace/name`, if it is a Ready one of `provider`. */
export type ClientLookup = <C>(namespace: string, name: string, provider: Provider<C>) => ProviderLookup<C>;

export interface EventSink {
  event(obj: ManagedObject, type: EventType, reason: string, message: string): void;
}

export interface ManagedReconcilerOptions<R, F, S, O, C> {
  adapter: Adapter<R, F, S, O, C>;
  /** The kind's informer cache. */
  objects: { getByKey(key: string): ManagedObject<R, F, S> | undefined };
  writer: ObjectWriter<ManagedObject<R, F, S>>;
  cluster: ClusterView;
  providers: ClientLookup;
  events: EventSink;
  /** Default drift-check period (--resync-period); 0 = off. */
  resyncPeriodMs: number;
  /** Retries of transient errors and polls of cloud-side transitions. */
  backoff?: BackoffOptions;
  /** Minimum wait before retrying QuotaExceeded. */
  quotaRetryMs?: number;
  clock?: Clock;
}

const WAITING = 'WaitingForDependency';

/**
 * Slack when matching created_at against a create intent: with the cloud's clock offset known,
 * the second both timestamps are truncated to, plus one; unknown, how far the clocks may differ.
 */
const KNOWN_OFFSET_SLACK_MS = 2_000;
const UNKNOWN_OFFSET_SLACK_MS = 60_000;

/** Come back when the drift check is due: the object is as in sync as it can be. */
const RESYNC = 'resync';

/** A stop before the end of the contract, with the status it leaves and when to come back. */
class Outcome {
  readonly condition: ConditionChange;
  readonly requeueAfter: number | typeof RESYNC | undefined;
  constructor(condition: ConditionChange, requeueAfter?: number | typeof RESYNC) {
    this.condition = condition;
    this.requeueAfter = requeueAfter;
  }
}

/** Longer waits are taken in steps: timers overflow past 2^31 ms (24.8 days) and would fire at once. */
const MAX_REQUEUE_MS = 24 * 3_600_000;
const after = (ms: number): { requeueAfter: number } => ({ requeueAfter: Math.min(ms, MAX_REQUEUE_MS) });

/** The API server defaults managementPolicy to Managed; an object stored without it is Managed too. */
const isManaged = (obj: ManagedObject): boolean => obj.spec.managementPolicy !== 'ObserveOnly';
const version = (obj: ManagedObject): string => obj.metadata.resourceVersion ?? '';
const describe = (obj: ManagedObject): string => `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && new Set([...a, ...b]).size === a.length;

/** The references of one reconcile, resolved. */
interface References {
  /** Those of spec.resource; withOwnId resolves a reference to the object itself. */
  resolved: ResolvedRefs;
  /** Those of the import filter (resolved only while the object has no id: it is imported then). */
  imports: ResolvedRefs;
  /** The resolved ids of other objects and what the pending ones wait for: a change means a sync is due. */
  fingerprint: string;
  /** Non-blocking references not resolved yet, as messages. */
  pending: string[];
}

/** One reconcile's working copy of the object: every write returns the fresher version. */
interface Pass<R, F, S> {
  key: string;
  /** resourceVersions this reconcile saw (all older than what it leaves). */
  versions: Set<string>;
  /** The generation this reconcile acts on (the object may move on while it runs). */
  generation: number | undefined;
  obj: ManagedObject<R, F, S>;
  log: ReconcileContext['log'];
}

export class ManagedReconciler<R, F, S, O, C> {
  readonly #o: ManagedReconcilerOptions<R, F, S, O, C>;
  readonly #adapter: Adapter<R, F, S, O, C>;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  /** uid -> fingerprint of the references resolved at the last cloud sync (steady state needs no cloud call). */
  readonly #synced = new Map<string, string>();
  /** key -> the generation that stalled and when a retry is allowed anyway (the resync). */
  readonly #stalled = new Map<string, { generation: number | undefined; retryAt: number }>();
  readonly #ownWrites = new OwnWrites<ManagedObject<R, F, S>>();
  /** Keys whose last create the cloud refused with an answer: it created nothing, so the next needs no lookup. */
  readonly #refused = new Set<string>();
  /** key -> the kinds whose changes may satisfy the CloudPrecondition the object waits for. */
  readonly #waitingOn = new Map<string, string[]>();

  constructor(options: ManagedReconcilerOptions<R, F, S, O, C>) {
    this.#o = options;
    this.#adapter = options.adapter;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new Backoff(options.backoff);
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult> => {
    const cached = this.#o.objects.getByKey(key);
    this.#waitingOn.delete(key);
    if (!cached) {
      this.#forget(key);
      return;
    }
    const obj = this.#ownWrites.fresh(key, cached);
    const pass: Pass<R, F, S> = { key, versions: new Set([version(cached), version(obj)]), generation: obj.metadata.generation, obj, log: ctx.log };
    try {
      return obj.metadata.deletionTimestamp ? await this.#finalize(pass) : await this.#reconcileLive(pass);
    } catch (err) {
      if (err instanceof Outcome) return await this.#finish(pass, err);
      if (err instanceof CloudPrecondition) return await this.#finish(pass, this.#precondition(pass, err));
      if (!isCloudError(err)) throw err;
      return await this.#finish(pass, this.#classify(pass, err));
    } finally {
      if (pass.obj !== obj) this.#ownWrites.record(key, pass.versions, pass.obj);
    }
  };

  async #reconcileLive(pass: Pass<R, F, S>): Promise<ReconcileResult> {
    const { obj } = pass;
    const client = this.#cloud(obj);
    const refs = this.#resolveReferences(obj);
    const steady = this.#steady(obj, refs);
    if (steady) return steady;
    const held = this.#stallHeld(pass);
    if (held) return held;
    if (!hasFinalizer(obj, FINALIZER)) {
      const updated = await this.#o.writer.addFinalizer(obj);
      if (!updated) return;
      this.#keep(pass, updated);
    }
    const observed = (await this.#observe(pass, client, refs)) ?? (await this.#create(pass, client, refs.resolved));
    const current = isManaged(pass.obj) ? await this.#update(pass, client, refs.resolved, observed) : observed;
    return this.#complete(pass, current, refs);
  }

  /** Keys of the objects of `namespace` waiting for a CloudPrecondition that an object of `kind` may satisfy. */
  waitingOn = (kind: string, namespace: string): string[] =>
    [...this.#waitingOn].filter(([key, kinds]) => kinds.includes(kind) && splitKey(key).namespace === namespace).map(([key]) => key);

  /** The ProviderConfig's client, or an Outcome naming what is wrong with it (`doing`: what it is needed for). */
  #cloud(obj: ManagedObject<R, F, S>, doing?: string): C {
    const { namespace = '' } = obj.metadata;
    const name = obj.spec.providerConfigRef.name;
    const lookup = this.#o.providers(namespace, name, this.#adapter.provider);
    if (lookup.ready) return lookup.client;
    const prefix = doing ? `cannot ${doing}: ` : '';
    if ('message' in lookup) throw new Outcome(reconciling('ProviderNotReady', `${prefix}${lookup.message}`));
    const { kind, provider } = this.#adapter;
    throw new Outcome(stalled('InvalidConfiguration', `${prefix}ProviderConfig ${namespace}/${name} is for ${lookup.otherProvider}; a ${kind} needs a ${provider.name} ProviderConfig`));
  }

  /**
   * Blocking references must exist, be Ready and have an id, else an Outcome (woken by their
   * events); non-blocking ones resolve once they have an id and are `pending` until then. A
   * reference to the object itself resolves to its own id through withOwnId (see #update), never
   * to a recorded id that may be stale. Import filter references are waited for like blocking
   * ones, while the object has no id.
   */
  #resolveReferences(obj: ManagedObject<R, F, S>): References {
    const ids = new Map<string, string>();
    const waiting: string[] = [];
    const pending: string[] = [];
    const self = refKey(this.#adapter.kind, obj.metadata.name);
    for (const ref of specReferences(this.#adapter, obj)) {
      if (isSelfReference(this.#adapter, obj, ref)) continue;
      const found = this.#lookup(obj, ref);
      if (typeof found !== 'string') (isBlocking(ref) ? waiting : pending).push(found.problem);
      else ids.set(refKey(ref.kind, ref.name), found);
    }
    const importIds = new Map<string, string>();
    if (!obj.status?.id) {
      for (const ref of importReferences(this.#adapter, obj)) {
        const found = this.#lookup(obj, { ...ref, blocking: true });
        if (typeof found !== 'string') waiting.push(found.problem);
        else importIds.set(refKey(ref.kind, ref.name), found);
      }
    }
    if (waiting.length > 0) {
      // What was last synced no longer holds: the next sync must not be skipped as steady.
      this.#synced.delete(obj.metadata.uid ?? '');
      throw new Outcome(reconciling(WAITING, `waiting for ${waiting.join('; ')}`));
    }
    const fingerprint = [...[...ids].map(([ref, id]) => `${ref}=${id}`).sort(), ...pending].join(',');
    return { resolved: resolvedRefs(ids, self), imports: resolvedRefs(importIds), fingerprint, pending };
  }

  /** The referenced object's id, or what keeps it from being used. */
  #lookup(obj: ManagedObject<R, F, S>, ref: Ref): string | { problem: string } {
    const namespace = obj.metadata.namespace ?? '';
    const target = this.#o.cluster.get(ref.kind, namespace, ref.name);
    const what = `${ref.kind} ${namespace}/${ref.name} (${ref.field})`;
    if (!target) return { problem: `${what} does not exist` };
    if (target.metadata.deletionTimestamp) return { problem: `${what} is being deleted` };
    if (isBlocking(ref) && !isTrue(target.status?.conditions, READY)) return { problem: `${what} is not Ready` };
    if (!target.status?.id) return { problem: `${what} is not created yet` };
    return target.status.id;
  }

  /**
   * Steady state: in sync for this generation (Ready, or waiting only for non-blocking references
   * that have not changed since), same resolved references as at the last sync, and the resync
   * not due yet -> no cloud call, just come back when it is due.
   */
  #steady(obj: ManagedObject<R, F, S>, refs: References): ReconcileResult | undefined {
    const { status, metadata } = obj;
    if (!status?.id || !status.lastSyncTime || status.observedGeneration !== metadata.generation) return undefined;
    const uid = metadata.uid ?? '';
    const known = this.#synced.get(uid);
    if (isTrue(status.conditions, READY)) {
      if (known !== undefined && known !== refs.fingerprint) return undefined;
    } else {
      // Only a sync of this process knows that the waiting was for non-blocking references alone.
      const waitingForPending = getCondition(status.conditions, READY)?.reason === WAITING && refs.pending.length > 0;
      if (!waitingForPending || known !== refs.fingerprint) return undefined;
    }
    const period = resyncPeriodMs(obj.spec, this.#o.resyncPeriodMs);
    const due = period > 0 ? resyncDueAt(uid, status.lastSyncTime, period) : Infinity;
    const now = this.#clock.now();
    if (due <= now) return undefined;
    // After a restart nothing is remembered: lastSyncTime decides, and these references become the baseline.
    if (known === undefined) this.#synced.set(uid, refs.fingerprint);
    return due === Infinity ? {} : after(due - now);
  }

  /** A Stalled generation is not retried until the spec changes or its resync comes. */
  #stallHeld(pass: Pass<R, F, S>): ReconcileResult | undefined {
    const held = this.#stalled.get(pass.key);
    if (!held || held.generation !== pass.obj.metadata.generation || !isTrue(pass.obj.status?.conditions, STALLED)) return undefined;
    const wait = held.retryAt - this.#clock.now();
    return wait > 0 ? (Number.isFinite(wait) ? after(wait) : {}) : undefined;
  }

  /** By status.id, else by ownership tag, else by a recorded create intent, else by import. */
  async #observe(pass: Pass<R, F, S>, cloud: C, refs: References): Promise<O | undefined> {
    const adapter = this.#adapter;
    const { obj } = pass;
    const managed = isManaged(obj);
    const id = obj.status?.id;
    if (id) {
      const found = await adapter.get(cloud, id);
      if (found) return found;
      if (!managed) throw this.#retry(pass, 'reconciling', 'NotFound', `${adapter.kind} ${id} no longer exists in the cloud; waiting for it to reappear`);
      this.#event(obj, 'Warning', 'Recreating', `${adapter.kind} ${id} was deleted outside the operator; creating it again`);
      await this.#write(pass, { id: null, condition: reconciling('Creating', `${adapter.kind} ${id} was deleted outside the operator; creating it again`) });
    }
    const recreating = id !== undefined && managed;
    if (managed && !this.#refused.has(pass.key)) {
      const owned = await adapter.listOwned(cloud, ownerTag(obj.metadata.uid ?? ''));
      if (owned.length > 0) {
        const keep = await this.#keepOne(pass, cloud, owned);
        this.#event(obj, 'Normal', 'Adopted', `found ${adapter.kind} ${adapter.id(keep)} by its ownership tag (its id had not been recorded)`);
        await this.#write(pass, { id: adapter.id(keep), pendingCreate: null });
        return keep;
      }
      const intended = await this.#adoptIntended(pass, cloud, refs.resolved);
      if (intended) return intended;
    }
    // An adopted resource deleted outside the operator is recreated like any other, not imported again.
    return recreating ? undefined : this.#import(pass, cloud, refs.imports);
  }

  /** Several resources carry this object's tag (a create retried after a lost answer): keep the oldest, delete the rest. */
  async #keepOne(pass: Pass<R, F, S>, cloud: C, owned: O[]): Promise<O> {
    const adapter = this.#adapter;
    const sorted = [...owned].sort(
      (a, b) => (adapter.createdAt(a) ?? '').localeCompare(adapter.createdAt(b) ?? '') || adapter.id(a).localeCompare(adapter.id(b)),
    );
    const [keep, ...extras] = sorted as [O, ...O[]];
    for (const extra of extras) {
      await adapter.delete(cloud, adapter.id(extra));
      this.#event(pass.obj, 'Normal', 'Deleted', `deleted duplicate ${adapter.kind} ${adapter.id(extra)}; keeping ${adapter.id(keep)}`);
    }
    return keep;
  }

  /**
   * A create intent was recorded but nothing carries the ownership tag: the cloud took the create
   * without tags (tags not accepted in POST) and the answer or the tag call was lost. The resource
   * is the single one with the intended name, in scope, without any tag, created since. Any tag
   * rules a resource out: the tag call replaces all tags at once, so ours has none or all of them.
   */
  async #adoptIntended(pass: Pass<R, F, S>, cloud: C, refs: ResolvedRefs): Promise<O | undefined> {
    const adapter = this.#adapter;
    const candidates = await this.#intentCandidates(pass, cloud, refs);
    if (candidates.length === 0) return undefined;
    if (candidates.length > 1) {
      const ids = candidates.map((o) => adapter.id(o)).join(', ');
      throw new Outcome(
        stalled('AdoptionAmbiguous', `a create of this ${adapter.kind} lost its answer and ${candidates.length} untagged candidates match (${ids}); delete the extra ones in the cloud`),
      );
    }
    const found = candidates[0] as O;
    const tagged = await adapter.setTags(cloud, found, this.#desiredTags(pass.obj));
    this.#event(pass.obj, 'Normal', 'Adopted', `found ${adapter.kind} ${adapter.id(found)} created by an earlier attempt whose answer was lost`);
    await this.#write(pass, { id: adapter.id(found), pendingCreate: null });
    return tagged;
  }

  async #intentCandidates(pass: Pass<R, F, S>, cloud: C, refs: ResolvedRefs): Promise<O[]> {
    const adapter = this.#adapter;
    const intent = pass.obj.status?.pendingCreate;
    if (!intent || pass.obj.spec.resource === undefined) return [];
    const found = await adapter.listByName(cloud, intent.name, pass.obj.spec.resource, refs);
    const offset = adapter.clockOffsetMs?.(cloud);
    const since = Date.parse(intent.startedAt) + (offset ?? 0) - (offset === undefined ? UNKNOWN_OFFSET_SLACK_MS : KNOWN_OFFSET_SLACK_MS);
    return found.filter((o) => adapter.tags(o).length === 0 && Date.parse(adapter.createdAt(o) ?? '') >= since);
  }

  async #import(pass: Pass<R, F, S>, cloud: C, refs: ResolvedRefs): Promise<O | undefined> {
    const adapter = this.#adapter;
    const spec = pass.obj.spec;
    if (!spec.import) {
      if (isManaged(pass.obj)) return undefined;
      throw new Outcome(stalled('InvalidConfiguration', 'managementPolicy ObserveOnly needs import.id or import.filter'));
    }
    let found: O | undefined;
    let how: string;
    if (spec.import.id !== undefined) {
      how = `id ${spec.import.id}`;
      found = await adapter.get(cloud, spec.import.id);
    } else {
      how = `filter ${JSON.stringify(spec.import.filter)}`;
      const matches = await adapter.listForImport(cloud, spec.import.filter as F, refs);
      if (matches.length > 1) {
        const ids = matches.map((o) => adapter.id(o)).join(', ');
        throw new Outcome(stalled('ImportAmbiguous', `import ${how} matches ${matches.length} ${adapter.kind}s (${ids}); make the filter match exactly one`));
      }
      found = matches[0];
    }
    if (!found) throw this.#retry(pass, 'reconciling', 'ImportNotFound', `no ${adapter.kind} matches import ${how} yet`);
    this.#event(pass.obj, 'Normal', 'Adopted', `imported ${adapter.kind} ${adapter.id(found)} (${how}, ${spec.managementPolicy})`);
    await this.#write(pass, { id: adapter.id(found) });
    return found;
  }

  /**
   * Create with the ownership tags; the intent is recorded first and the id written right after.
   * Retries keep the intent of the first attempt (and the condition of the last failure): it is
   * cleared once, when the create succeeds or the object stalls.
   */
  async #create(pass: Pass<R, F, S>, cloud: C, refs: ResolvedRefs): Promise<O> {
    const adapter = this.#adapter;
    const resource = pass.obj.spec.resource as R;
    const name = cloudNameOf(adapter, pass.obj);
    if (pass.obj.status?.pendingCreate?.name !== name) {
      await this.#write(pass, {
        pendingCreate: { name, startedAt: kubeTime(this.#clock.now()) },
        condition: reconciling('Creating', `creating ${adapter.kind} "${name}"`),
      });
    }
    this.#refused.delete(pass.key);
    let created: O;
    try {
      created = await adapter.create(cloud, { resource, refs, name }, this.#desiredTags(pass.obj));
    } catch (err) {
      const refusal = err instanceof CloudPrecondition ? err.error : isCloudError(err) ? err : undefined;
      if (refusal?.createdId) await this.#write(pass, { id: refusal.createdId, pendingCreate: null });
      // A refusal with an answer created nothing; an error without one may have (the intent stays).
      else if (refusal?.status !== undefined && refusal.status < 500) {
        this.#refused.add(pass.key);
        if (refusal.kind === 'terminal' || refusal.kind === 'conflict') await this.#write(pass, { pendingCreate: null });
      }
      throw err;
    }
    await this.#write(pass, { id: adapter.id(created), pendingCreate: null });
    this.#event(pass.obj, 'Normal', 'Created', `created ${adapter.kind} ${adapter.id(created)} "${name}"`);
    return created;
  }

  /**
   * Sends only changed mutable fields, with the observed revision; a stale revision is refetched
   * once. References to the object itself resolve to the observed id (just created or found).
   */
  async #update(pass: Pass<R, F, S>, cloud: C, refs: ResolvedRefs, observed: O): Promise<O> {
    const adapter = this.#adapter;
    const observedName = (adapter.summarize(observed) as { name?: unknown }).name;
    const name = enforcedNameOf(adapter, pass.obj, typeof observedName === 'string' ? observedName : undefined);
    const desired = { resource: pass.obj.spec.resource as R, refs: refs.withOwnId(adapter.id(observed)), name };
    const tags = this.#desiredTags(pass.obj);
    let current = observed;
    for (let attempt = 1; ; attempt++) {
      const patch = adapter.diff(desired, current);
      const retag = !sameSet(adapter.tags(current), tags);
      if (!patch && !retag) return current;
      try {
        if (patch) current = await adapter.update(cloud, current, patch, desired);
        if (retag) current = await adapter.setTags(cloud, current, tags);
        const changed = [...Object.keys(patch ?? {}), ...(retag ? ['tags'] : [])];
        this.#event(pass.obj, 'Normal', 'Updated', `updated ${adapter.kind} ${adapter.id(current)}: ${changed.join(', ')}`);
        return current;
      } catch (err) {
        if (!isCloudError(err, 'staleRevision') || attempt >= 2) throw err;
        const fresh = await adapter.get(cloud, adapter.id(current));
        if (!fresh) throw err;
        current = fresh;
      }
    }
  }

  #complete(pass: Pass<R, F, S>, observed: O, refs: References): Promise<ReconcileResult> {
    const adapter = this.#adapter;
    const id = adapter.id(observed);
    const readiness = adapter.readiness(observed);
    this.#synced.set(pass.obj.metadata.uid ?? '', refs.fingerprint);
    this.#stalled.delete(pass.key);
    this.#refused.delete(pass.key);
    const change: StatusChange<S> = { id, resource: adapter.summarize(observed), synced: true, pendingCreate: null };
    if (!readiness.ready) {
      return this.#finish(pass, new Outcome(reconciling(readiness.reason, readiness.message), this.#backoff.next(pass.key, { generation: pass.generation })), change);
    }
    this.#backoff.reset(pass.key);
    if (refs.pending.length > 0) {
      // Woken when they get an id (reference events), like any wait for a dependency; drift-checked meanwhile.
      const message = `waiting for ${refs.pending.join('; ')}; ${adapter.kind} ${id} is otherwise in sync`;
      return this.#finish(pass, new Outcome(reconciling(WAITING, message), RESYNC), change);
    }
    return this.#finish(pass, new Outcome(ready('Available', `${adapter.kind} ${id} is available`), RESYNC), change);
  }

  /** Deletion: wait for dependents, then Delete / Orphan / nothing (ObserveOnly), then drop the finalizer. */
  async #finalize(pass: Pass<R, F, S>): Promise<void> {
    const adapter = this.#adapter;
    const { obj } = pass;
    if (!hasFinalizer(obj, FINALIZER)) return;
    const namespace = obj.metadata.namespace ?? '';
    const dependents = this.#o.cluster.dependents(adapter.kind, namespace, obj.metadata.name).filter((d) => d.metadata.uid !== obj.metadata.uid);
    if (dependents.length > 0) {
      const names = dependents.map((d) => describe(d)).sort();
      throw new Outcome(reconciling('DeletionBlocked', `waiting for ${names.join(', ')} to be deleted`));
    }
    if (isManaged(obj)) {
      const cloud = this.#cloud(obj, 'delete the cloud resource');
      const targets = await this.#owned(pass, cloud);
      if (obj.spec.deletionPolicy === 'Orphan') {
        for (const target of targets) {
          const tags = adapter.tags(target);
          if (tags.some(isOperatorTag)) await adapter.setTags(cloud, target, tags.filter((t) => !isOperatorTag(t)));
          this.#event(obj, 'Normal', 'Orphaned', `left ${adapter.kind} ${adapter.id(target)} in the cloud without the operator's tags`);
        }
      } else if (targets.length > 0) {
        await this.#write(pass, { condition: reconciling('Deleting', `deleting ${adapter.kind} ${targets.map((t) => adapter.id(t)).join(', ')}`) });
        for (const target of targets) await adapter.delete(cloud, adapter.id(target));
        const remaining = [];
        for (const target of targets) if (await adapter.get(cloud, adapter.id(target))) remaining.push(adapter.id(target));
        if (remaining.length > 0) {
          throw new Outcome(reconciling('Deleting', `waiting for the cloud to delete ${adapter.kind} ${remaining.join(', ')}`), this.#backoff.next(pass.key, { generation: pass.generation }));
        }
        for (const target of targets) this.#event(obj, 'Normal', 'Deleted', `deleted ${adapter.kind} ${adapter.id(target)}`);
      }
    }
    await this.#o.writer.removeFinalizer(pass.obj);
    this.#synced.delete(obj.metadata.uid ?? '');
    this.#forget(pass.key);
  }

  /** Drops what is remembered of an object that is gone. */
  #forget(key: string): void {
    this.#ownWrites.forget(key);
    this.#backoff.reset(key);
    this.#stalled.delete(key);
    this.#refused.delete(key);
  }

  /** What this object owns in the cloud: its recorded id, else whatever a lost status write left behind. */
  async #owned(pass: Pass<R, F, S>, cloud: C): Promise<O[]> {
    const adapter = this.#adapter;
    const id = pass.obj.status?.id;
    if (id) {
      const found = await adapter.get(cloud, id);
      return found ? [found] : [];
    }
    const owned = await adapter.listOwned(cloud, ownerTag(pass.obj.metadata.uid ?? ''));
    if (owned.length > 0 || !pass.obj.status?.pendingCreate) return owned;
    let refs: ResolvedRefs;
    try {
      refs = this.#resolveReferences(pass.obj).resolved;
    } catch (err) {
      if (err instanceof Outcome) return [];
      throw err;
    }
    const candidates = await this.#intentCandidates(pass, cloud, refs);
    return candidates.length === 1 ? candidates : [];
  }

  /** Ownership tags plus the user's, as a sorted set. */
  #desiredTags(obj: ManagedObject<R, F, S>): string[] {
    const user = obj.spec.resource === undefined ? [] : this.#adapter.userTags(obj.spec.resource);
    return [...new Set([MANAGED_TAG, ownerTag(obj.metadata.uid ?? ''), ...user])].sort();
  }

  /** Transient: backoff (honouring Retry-After). Quota: stalled, retried slowly. Terminal: stalled until the spec changes or a resync. */
  #classify(pass: Pass<R, F, S>, err: CloudError): Outcome {
    const message = err.describe();
    switch (err.kind) {
      case 'transient':
      case 'notFound':
      case 'staleRevision':
        pass.log.info({ err: message }, 'transient cloud error, retrying with backoff');
        return this.#retry(pass, 'reconciling', 'TransientError', message, err.retryAfterMs);
      case 'unauthorized':
        this.#event(pass.obj, 'Warning', 'AuthenticationFailed', message);
        return this.#retry(pass, 'reconciling', 'AuthenticationFailed', `${message}; check the ProviderConfig's credentials`, err.retryAfterMs);
      case 'quota':
        this.#event(pass.obj, 'Warning', 'QuotaExceeded', message);
        return this.#retry(pass, 'stalled', 'QuotaExceeded', `${message}; raise the quota or free resources`, Math.max(err.retryAfterMs ?? 0, this.#o.quotaRetryMs ?? 60_000));
      case 'terminal':
      case 'conflict': {
        const reason = err.kind === 'conflict' ? 'Conflict' : 'InvalidConfiguration';
        this.#event(pass.obj, 'Warning', reason, message);
        return new Outcome(stalled(reason, `${message}; change the spec to retry`));
      }
    }
  }

  /** The cloud refuses until something else changes: wait for it, woken by the kinds that may make it. */
  #precondition(pass: Pass<R, F, S>, err: CloudPrecondition): Outcome {
    pass.log.info({ err: err.error.describe() }, 'waiting for a change in the cloud');
    this.#waitingOn.set(pass.key, err.wokenBy);
    return this.#retry(pass, 'reconciling', err.reason, err.message, err.error.retryAfterMs);
  }

  /** Another attempt after the object's backoff (never sooner than `atLeastMs`); the message says when. */
  #retry(pass: Pass<R, F, S>, phase: Phase, reason: string, message: string, atLeastMs?: number): Outcome {
    const wait = this.#backoff.next(pass.key, { atLeastMs, generation: pass.generation });
    return new Outcome({ phase, reason, message: `${message}; next attempt at ${kubeTime(this.#clock.now() + wait)}` }, wait);
  }

  async #finish(pass: Pass<R, F, S>, outcome: Outcome, change: StatusChange<S> = {}): Promise<ReconcileResult> {
    await this.#write(pass, { ...change, condition: outcome.condition });
    if (outcome.condition.phase === 'stalled') {
      // Held until the spec changes; retried anyway at the resync (or sooner, e.g. quota), never on other events.
      const period = resyncPeriodMs(pass.obj.spec, this.#o.resyncPeriodMs);
      const wait = typeof outcome.requeueAfter === 'number' ? outcome.requeueAfter : period > 0 ? period : undefined;
      this.#stalled.set(pass.key, { generation: pass.generation, retryAt: wait === undefined ? Infinity : this.#clock.now() + wait });
      return wait === undefined ? undefined : after(wait);
    }
    if (outcome.requeueAfter === RESYNC) {
      const obj = pass.obj;
      const period = resyncPeriodMs(obj.spec, this.#o.resyncPeriodMs);
      if (period === 0 || !obj.status?.lastSyncTime) return;
      // lastSyncTime has second precision: with a very short period the due time may have passed already.
      const due = resyncDueAt(obj.metadata.uid ?? '', obj.status.lastSyncTime, period);
      return after(Math.max(due - this.#clock.now(), period / 2));
    }
    return outcome.requeueAfter === undefined ? undefined : after(outcome.requeueAfter);
  }

  /** Writes the status change if it changes anything; keeps the fresher object. */
  async #write(pass: Pass<R, F, S>, change: StatusChange<S>): Promise<void> {
    const updated = await this.#o.writer.patchStatus(pass.obj, (current) => {
      pass.versions.add(version(current));
      return statusPatch(current, change, pass.generation, this.#clock.now());
    });
    if (updated) this.#keep(pass, updated);
  }

  #keep(pass: Pass<R, F, S>, updated: ManagedObject<R, F, S>): void {
    pass.versions.add(version(pass.obj));
    pass.obj = updated;
  }

  #event(obj: ManagedObject, type: EventType, reason: string, message: string): void {
    this.#o.events.event(obj, type, reason, message);
  }
}
