// What the generic reconciler remembers between reconciles of an object, and what it decides from
// that alone: steady state (no cloud call), a stall held until the spec changes, when to retry.
import { splitKey } from '../runtime/cache.ts';
import type { Clock } from '../runtime/clock.ts';
import { getCondition, isTrue, READY, STALLED } from '../runtime/conditions.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import type { ManagedObject } from './adapter.ts';
import { Backoff, firstResyncAfterRestart, kubeTime, resyncDueAt, resyncPeriodMs, type BackoffOptions } from './timing.ts';

export const WAITING = 'WaitingForDependency';

/** How many in-sync observations are kept for spec changes to diff against (the most recently synced). */
const RECENT_OBSERVATIONS = 1_000;

/** Longer waits are taken in steps: timers overflow past 2^31 ms (24.8 days) and would fire at once. */
const MAX_REQUEUE_MS = 24 * 3_600_000;
export const after = (ms: number): { requeueAfter: number } => ({ requeueAfter: Math.min(ms, MAX_REQUEUE_MS) });
/** The next drift check: routine work, behind whatever users asked for. */
export const driftCheckAfter = (ms: number): { requeueAfter: number; routine: true } => ({ ...after(ms), routine: true });
/** steady(): in sync, and the drift check is due (a listing of the kind may serve it). */
export const DRIFT_CHECK_DUE = 'driftCheckDue';

export class Memory {
  readonly backoff: Backoff;
  readonly ownWrites = new OwnWrites<ManagedObject>();
  /** uid -> fingerprint of the references resolved at the last cloud sync (steady state needs no cloud call). */
  readonly synced = new Map<string, string>();
  /** uid -> when this process last observed the cloud resource (status.lastSyncTime is written only when status changes, or hourly). */
  readonly lastSync = new Map<string, number>();
  /** uid -> the resource as last observed Ready, and when (conditionalUpdate kinds; the most recent RECENT_OBSERVATIONS). */
  readonly #recent = new Map<string, { id: string; observed: unknown; at: number }>();
  /** key -> the generation that stalled and when a retry is allowed anyway (the resync). */
  readonly stalled = new Map<string, { generation: number | undefined; retryAt: number }>();
  /** Keys whose last create the cloud refused with an answer: it created nothing, so the next needs no lookup. */
  readonly refused = new Set<string>();
  /** Keys this process sent a create for: a listing may have begun before what it made (Listings.owned). */
  readonly createSent = new Set<string>();
  /** key -> the kinds whose changes may satisfy the CloudPrecondition the object waits for. */
  readonly waitingOn = new Map<string, string[]>();
  readonly #clock: Clock;
  readonly #resyncPeriodMs: number;
  /** When this process first asked when a drift check is due. */
  #startedAt: number | undefined;

  constructor(options: { backoff?: BackoffOptions; resyncPeriodMs: number; clock: Clock }) {
    this.backoff = new Backoff(options.backoff);
    this.#clock = options.clock;
    this.#resyncPeriodMs = options.resyncPeriodMs;
  }

  /** When the object's resource was last observed: the later of status.lastSyncTime and this process's own last sync (0: never). */
  lastSyncOf(obj: ManagedObject): number {
    const recorded = obj.status?.lastSyncTime;
    return Math.max(recorded === undefined ? 0 : Date.parse(recorded), this.lastSync.get(obj.metadata.uid ?? '') ?? 0);
  }

  /** When the next drift check of a synced object is due (Infinity: never), from the later of status.lastSyncTime and this process's own last sync. */
  resyncDue(obj: ManagedObject): number {
    const period = this.resyncPeriod(obj);
    if (period <= 0 || obj.status?.lastSyncTime === undefined) return Infinity;
    const uid = obj.metadata.uid ?? '';
    const own = this.lastSync.get(uid);
    const due = resyncDueAt(uid, kubeTime(this.lastSyncOf(obj)), period);
    const now = this.#clock.now();
    this.#startedAt ??= now;
    // Overdue without a sync of this process: a restart; spread the first checks over a period.
    return own === undefined && due <= now ? firstResyncAfterRestart(uid, this.#startedAt, period) : due;
  }

  /** The object's drift-check period (spec, else the operator's default); 0 = off. */
  resyncPeriod(obj: ManagedObject): number {
    return resyncPeriodMs(obj.spec, this.#resyncPeriodMs);
  }

  /**
   * Steady state: in sync for this generation (Ready, or waiting only for non-blocking references
   * that have not changed since), same resolved references as at the last sync, and the resync
   * not due yet -> no cloud call, just come back when it is due. DRIFT_CHECK_DUE: in sync, but due.
   */
  steady(obj: ManagedObject, refs: { fingerprint: string; pending: readonly string[] }): ReconcileResult | typeof DRIFT_CHECK_DUE | undefined {
    const { status, metadata } = obj;
    if (!status?.id || !status.lastSyncTime || status.observedGeneration !== metadata.generation || status.pendingOperation) return undefined;
    const uid = metadata.uid ?? '';
    const known = this.synced.get(uid);
    if (isTrue(status.conditions, READY)) {
      if (known !== undefined && known !== refs.fingerprint) return undefined;
    } else {
      // Only a sync of this process knows that the waiting was for non-blocking references alone.
      const waitingForPending = getCondition(status.conditions, READY)?.reason === WAITING && refs.pending.length > 0;
      if (!waitingForPending || known !== refs.fingerprint) return undefined;
    }
    const due = this.resyncDue(obj);
    const now = this.#clock.now();
    if (due <= now) return DRIFT_CHECK_DUE;
    // After a restart nothing is remembered: lastSyncTime decides, and these references become the baseline.
    if (known === undefined) this.synced.set(uid, refs.fingerprint);
    return due === Infinity ? {} : driftCheckAfter(due - now);
  }

  /** Keeps the in-sync observation of `uid`, dropping the least recently kept beyond the bound. */
  keepObservation(uid: string, id: string, observed: unknown, at: number): void {
    this.#recent.delete(uid);
    this.#recent.set(uid, { id, observed, at });
    if (this.#recent.size > RECENT_OBSERVATIONS) this.#recent.delete(this.#recent.keys().next().value!);
  }

  /** The kept observation of resource `id` of `uid`, once (a second use would be staler still). */
  takeObservation(uid: string, id: string): { observed: unknown; at: number } | undefined {
    const kept = this.#recent.get(uid);
    this.#recent.delete(uid);
    return kept?.id === id ? kept : undefined;
  }

  /** A Stalled generation is not retried until the spec changes or its resync comes. */
  stallHeld(key: string, obj: ManagedObject): ReconcileResult | undefined {
    const held = this.stalled.get(key);
    if (!held || held.generation !== obj.metadata.generation || !isTrue(obj.status?.conditions, STALLED)) return undefined;
    const wait = held.retryAt - this.#clock.now();
    return wait > 0 ? (Number.isFinite(wait) ? after(wait) : {}) : undefined;
  }

  /** Holds a stalled generation until `waitMs` have passed (undefined: until the spec changes). */
  stall(key: string, generation: number | undefined, waitMs: number | undefined): void {
    this.stalled.set(key, { generation, retryAt: waitMs === undefined ? Infinity : this.#clock.now() + waitMs });
  }

  /** Keys of the objects of `namespace` waiting for a CloudPrecondition that an object of `kind` may satisfy. */
  waitingFor(kind: string, namespace: string): string[] {
    return [...this.waitingOn].filter(([key, kinds]) => kinds.includes(kind) && splitKey(key).namespace === namespace).map(([key]) => key);
  }

  /** Drops what is remembered of an object that is gone. */
  forget(key: string, uid: string | undefined): void {
    this.ownWrites.forget(key);
    this.backoff.reset(key);
    this.stalled.delete(key);
    this.refused.delete(key);
    this.createSent.delete(key);
    this.waitingOn.delete(key);
    if (uid !== undefined) {
      this.synced.delete(uid);
      this.lastSync.delete(uid);
      this.#recent.delete(uid);
    }
  }
}
