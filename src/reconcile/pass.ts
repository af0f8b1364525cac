// One reconcile of one object, as every phase sees it: the working copy of the object, what the
// phases share, and the Outcome that says where a reconcile stopped and when to come back.
import type { Clock } from '../runtime/clock.ts';
import type { ReconcileContext } from '../runtime/controller.ts';
import type { EventType } from '../runtime/events.ts';
import type { Adapter, ManagedObject, ResolvedRefs } from './adapter.ts';
import type { Listings } from './listing.ts';
import type { Memory } from './memory.ts';
import type { QuotaGates } from './quota.ts';
import type { ConditionChange, StatusChange } from './status.ts';

/** Come back when the drift check is due: the object is as in sync as it can be. */
export const RESYNC = 'resync';

/** Where a reconcile stopped: the condition it leaves, status to write with it, when to come back. */
export class Outcome {
  readonly condition: ConditionChange;
  readonly requeueAfter: number | typeof RESYNC | undefined;
  readonly change: StatusChange;
  constructor(condition: ConditionChange, requeueAfter?: number | typeof RESYNC, change: StatusChange = {}) {
    this.condition = condition;
    this.requeueAfter = requeueAfter;
    this.change = change;
  }
}

/** One reconcile's working copy of the object: every write returns the fresher version. */
export interface Pass {
  key: string;
  /** resourceVersions this reconcile saw (all older than what it leaves). */
  versions: Set<string>;
  /** The generation this reconcile acts on (the object may move on while it runs). */
  generation: number | undefined;
  obj: ManagedObject;
  log: ReconcileContext['log'];
  /** When what the reconcile acts on was observed, if earlier than now (a listing served its drift check). */
  observedAt?: number;
  /** The reconcile acts on an observation kept from an earlier one (conditionalUpdate): a refused update rereads it. */
  keptObservation?: boolean;
}

/** The references of one reconcile, resolved. */
export interface References {
  /** Those of spec.resource; withOwnId resolves a reference to the object itself. */
  resolved: ResolvedRefs;
  /** Those of the import filter (resolved only while the object has no id: it is imported then). */
  imports: ResolvedRefs;
  /** The resolved ids of other objects and what the pending ones wait for: a change means a sync is due. */
  fingerprint: string;
  /** Non-blocking references not resolved yet, as messages. */
  pending: string[];
}

/** A Secret as the reconciler reads it: its data, base64 values by key. */
export interface SecretData {
  data?: Record<string, string>;
}

/**
 * What the phases share: the kind's adapter with its types erased (the generic phases never look
 * inside a resource, only pass it between the adapter's members), the clock, what is remembered
 * between reconciles, and the reconciler's writes.
 */
export interface Reconciling {
  adapter: Adapter<unknown, unknown, unknown, unknown, unknown, unknown>;
  clock: Clock;
  memory: Memory;
  /** Creates refused for quota, per ProviderConfig client: one probe a period for all that wait. */
  quota: QuotaGates;
  /** The kind's listings of marked resources, when the adapter can list them (drift checks use them). */
  listings?: Listings;
  /** Writes the status change if it changes anything; the pass keeps the fresher object. */
  write(pass: Pass, change: StatusChange): Promise<void>;
  event(obj: ManagedObject, type: EventType, reason: string, message: string): void;
  /** A Secret's data (base64 values) straight from the API server, or undefined if there is no such Secret. */
  readSecret(namespace: string, name: string): Promise<SecretData | undefined>;
  /** Another attempt after the object's backoff (never sooner than `atLeastMs`); the condition's message says when. */
  retry(pass: Pass, condition: ConditionChange, atLeastMs?: number): Outcome;
}

/** The API server defaults managementPolicy to Managed; an object stored without it is Managed too. */
export const isManaged = (obj: ManagedObject): boolean => obj.spec.managementPolicy !== 'ObserveOnly';
