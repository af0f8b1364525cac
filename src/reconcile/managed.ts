// The generic managed-resource reconciler (docs/design.md, "The reconcile contract"), for any
// Adapter: the order of the phases, and the status and requeue each reconcile leaves. The phases
// live beside it: references, observe, create, update, progress, finalize, errors.
import { isCloudError } from '../cloud/errors.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { isApiServerError } from '../runtime/client.ts';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.ts';
import type { EventType } from '../runtime/events.ts';
import { FINALIZER, hasFinalizer } from '../runtime/finalizers.ts';
import { CloudPrecondition, type Adapter, type ManagedObject } from './adapter.ts';
import { create } from './create.ts';
import { classify, precondition, QUOTA_RETRY_MS, unexpected } from './errors.ts';
import { eventType } from './failure.ts';
import { finalize, type Finalizing } from './finalize.ts';
import type { ClusterView, ObjectWriter } from './kube.ts';
import { Listings } from './listing.ts';
import { QuotaGates } from './quota.ts';
import { after, driftCheckAfter, DRIFT_CHECK_DUE, Memory } from './memory.ts';
import { observe } from './observe.ts';
import { isManaged, Outcome, RESYNC, type Pass, type Reconciling, type References, type SecretData } from './pass.ts';
import type { Provider, ProviderLookup } from './provider.ts';
import { awaitOperation, awaitRecreate, complete, recreate } from './progress.ts';
import { resolveReferences } from './references.ts';
import { reconciling, stalled, statusPatch, type ConditionChange, type StatusChange } from './status.ts';
import { kubeTime, type BackoffOptions } from './timing.ts';
import { update } from './update.ts';

/** The client of the ProviderConfig `namespace/name`, if it is a Ready one of `provider`. */
export type ClientLookup = <C>(namespace: string, name: string, provider: Provider<C>) => ProviderLookup<C>;

export interface EventSink {
  event(obj: ManagedObject, type: EventType, reason: string, message: string): void;
}

export interface ManagedReconcilerOptions<R, F, S, O, C, M> {
  adapter: Adapter<R, F, S, O, C, M>;
  /** The kind's informer cache. */
  objects: { getByKey(key: string): ManagedObject<R, F, S> | undefined };
  writer: ObjectWriter<ManagedObject<R, F, S>>;
  cluster: ClusterView;
  providers: ClientLookup;
  /** Every cloud the kind is served on (default the adapter's), for the message when the ProviderConfig is of none of them. */
  providerNames?: string[];
  /** Secrets as the API server has them, for the keys a create reads (secretInputs). */
  secrets: { get(namespace: string, name: string): Promise<SecretData | undefined> };
  events: EventSink;
  /** Default drift-check period (--resync-period); 0 = off. */
  resyncPeriodMs: number;
  /** Retries of failed attempts (polls of transitions follow the adapter's schedule). */
  backoff?: BackoffOptions;
  /** Minimum wait before retrying QuotaExceeded. */
  quotaRetryMs?: number;
  clock?: Clock;
}

const version = (obj: ManagedObject): string => obj.metadata.resourceVersion ?? '';

export class ManagedReconciler<R, F, S, O, C, M = readonly string[]> implements Reconciling, Finalizing {
  readonly adapter: Reconciling['adapter'];
  readonly clock: Clock;
  readonly memory: Memory;
  readonly listings: Listings | undefined;
  readonly quota: QuotaGates;
  readonly cluster: ClusterView;
  readonly writer: ObjectWriter<ManagedObject>;
  readonly #o: ManagedReconcilerOptions<R, F, S, O, C, M>;

  constructor(options: ManagedReconcilerOptions<R, F, S, O, C, M>) {
    this.#o = options;
    // The phases pass resources between the adapter's members without looking inside them.
    this.adapter = options.adapter as Reconciling['adapter'];
    this.clock = options.clock ?? systemClock;
    this.memory = new Memory({ backoff: options.backoff, resyncPeriodMs: options.resyncPeriodMs, clock: this.clock });
    const { listManaged } = this.adapter;
    this.listings =
      listManaged &&
      new Listings({
        list: (cloud) => listManaged(cloud),
        id: (o) => this.adapter.id(o),
        owner: (o) => this.adapter.marks.ownerOf(this.adapter.marksOf(o)),
        now: () => this.clock.now(),
      });
    this.quota = new QuotaGates({ periodMs: options.quotaRetryMs ?? QUOTA_RETRY_MS, now: () => this.clock.now() });
    this.cluster = options.cluster;
    this.writer = options.writer as ObjectWriter<ManagedObject>;
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult> => {
    const cached = this.#o.objects.getByKey(key) as ManagedObject | undefined;
    this.memory.waitingOn.delete(key);
    if (!cached) {
      this.memory.forget(key, undefined);
      return;
    }
    const obj = this.memory.ownWrites.fresh(key, cached);
    const pass: Pass = { key, versions: new Set([version(cached), version(obj)]), generation: obj.metadata.generation, obj, log: ctx.log };
    try {
      if (obj.metadata.deletionTimestamp) return await finalize(this, this, pass);
      return await this.#reconcileLive(pass);
    } catch (err) {
      if (err instanceof Outcome) return await this.#finish(pass, err);
      if (err instanceof CloudPrecondition) return await this.#finish(pass, precondition(this, pass, err));
      if (isCloudError(err)) return await this.#finish(pass, classify(this, pass, err, this.#o.quotaRetryMs ?? QUOTA_RETRY_MS));
      // The API server's own failures cannot be written on the object: the controller retries them.
      if (isApiServerError(err)) throw err;
      return await this.#finish(pass, unexpected(this, pass, err));
    } finally {
      if (pass.obj !== obj) {
        this.memory.ownWrites.record(key, pass.versions, pass.obj);
        // The informer may have delivered the write already: then there is nothing to remember.
        const now = this.#o.objects.getByKey(key);
        if (now) this.memory.ownWrites.seen(key, now);
      }
    }
  };

  /** Keys of the objects of `namespace` waiting for a CloudPrecondition that an object of `kind` may satisfy. */
  waitingOn = (kind: string, namespace: string): string[] => this.memory.waitingFor(kind, namespace);

  async #reconcileLive(pass: Pass): Promise<ReconcileResult> {
    const cloud = this.client(pass.obj);
    const refs = resolveReferences(this, this.cluster, pass.obj);
    const steady = this.memory.steady(pass.obj, refs);
    const driftCheck = steady === DRIFT_CHECK_DUE;
    const held = driftCheck ? undefined : (steady ?? this.memory.stallHeld(pass.key, pass.obj));
    if (held) return held;
    // The finalizer goes on before the first cloud mutation: an object without it has made nothing yet.
    const neverCreated = !hasFinalizer(pass.obj, FINALIZER);
    if (neverCreated) {
      const updated = await this.writer.addFinalizer(pass.obj);
      if (!updated) return;
      this.#keep(pass, updated);
    }
    const operation = pass.obj.status?.pendingOperation;
    // A deletion outside of finalizing is a recreate under way.
    if (operation?.action === 'delete') await awaitRecreate(this, pass, cloud);
    else if (operation) await awaitOperation(this, pass, cloud, operation);
    const observed = (await observe(this, pass, cloud, refs, { neverCreated, driftCheck })) ?? (await create(this, pass, cloud, refs.resolved));
    const progress = this.adapter.progress(observed, pass.obj.spec.resource);
    if (progress.state === 'failed' && progress.recreate && isManaged(pass.obj)) return this.#finish(pass, await recreate(this, pass, cloud, observed, progress.message));
    // A resource in transition refuses changes, and one that failed cannot take them.
    const settled = progress.state === 'ready' || (progress.state === 'progressing' && !progress.busy);
    const current = isManaged(pass.obj) && settled ? await update(this, pass, cloud, refs.resolved, observed) : observed;
    // An update's answer is the resource as of now, not as the listing saw it.
    if (current !== observed) pass.observedAt = undefined;
    return this.#finish(pass, complete(this, pass, current, refs));
  }

  /** The ProviderConfig's client, or an Outcome naming what is wrong with it (`doing`: what it is needed for). */
  client(obj: ManagedObject, doing?: string): object {
    const { namespace = '' } = obj.metadata;
    const name = obj.spec.providerConfigRef.name;
    const lookup = this.#o.providers(namespace, name, this.adapter.provider);
    // Every provider's client is an object: listings and quota gates are kept per client.
    if (lookup.ready) return lookup.client as object;
    const prefix = doing ? `cannot ${doing}: ` : '';
    if ('message' in lookup) throw new Outcome(reconciling('ProviderNotReady', `${prefix}${lookup.message}`, 'waiting'));
    const { kind, provider } = this.adapter;
    const wanted = (this.#o.providerNames ?? [provider.name]).join(' or ');
    throw new Outcome(stalled('InvalidConfiguration', `${prefix}ProviderConfig ${namespace}/${name} is for ${lookup.otherProvider}; a ${kind} needs a ProviderConfig of provider ${wanted}`, 'configuration'));
  }

  /** The object's references, or undefined while they cannot be resolved (a deletion then finds nothing by intent). */
  references(obj: ManagedObject): References | undefined {
    try {
      return resolveReferences(this, this.cluster, obj);
    } catch (err) {
      if (err instanceof Outcome) return undefined;
      throw err;
    }
  }

  retry(pass: Pass, condition: ConditionChange, atLeastMs?: number): Outcome {
    const wait = this.memory.backoff.next(pass.key, { atLeastMs, generation: pass.generation });
    return new Outcome({ ...condition, message: `${condition.message}; next attempt at ${kubeTime(this.clock.now() + wait)}` }, wait);
  }

  /** Writes the outcome, says a failure in an Event and in the result (the controller's metric), and says when to come back. */
  async #finish(pass: Pass, outcome: Outcome): Promise<ReconcileResult> {
    await this.write(pass, { ...outcome.change, condition: outcome.condition });
    const { failure, reason } = outcome.condition;
    if (!failure) return this.#requeue(pass, outcome);
    this.event(pass.obj, eventType(failure), reason, failure.detail);
    return { ...this.#requeue(pass, outcome), failure: { class: failure.class, reason } };
  }

  #requeue(pass: Pass, outcome: Outcome): ReconcileResult {
    const period = this.memory.resyncPeriod(pass.obj);
    if (outcome.condition.phase === 'stalled') {
      // Held until the spec changes; retried anyway at the resync (or sooner, e.g. quota), never on other events.
      const wait = typeof outcome.requeueAfter === 'number' ? outcome.requeueAfter : period > 0 ? period : undefined;
      this.memory.stall(pass.key, pass.generation, wait);
      return wait === undefined ? undefined : after(wait);
    }
    if (outcome.requeueAfter === RESYNC) {
      const due = this.memory.resyncDue(pass.obj);
      if (due === Infinity) return;
      // Times have second precision: with a very short period the due time may have passed already.
      return driftCheckAfter(Math.max(due - this.clock.now(), period / 2));
    }
    return outcome.requeueAfter === undefined ? undefined : after(outcome.requeueAfter);
  }

  async write(pass: Pass, change: StatusChange): Promise<void> {
    const updated = await this.writer.patchStatus(pass.obj, (current) => {
      pass.versions.add(version(current));
      return statusPatch(current, change, pass.generation, this.clock.now());
    });
    if (updated) this.#keep(pass, updated);
  }

  #keep(pass: Pass, updated: ManagedObject): void {
    pass.versions.add(version(pass.obj));
    pass.obj = updated;
  }

  event(obj: ManagedObject, type: EventType, reason: string, message: string): void {
    this.#o.events.event(obj, type, reason, message);
  }

  readSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    return this.#o.secrets.get(namespace, name);
  }
}
