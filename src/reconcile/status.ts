// The status a reconcile step leaves behind, and the merge patch that writes only what changed.
import { isDeepStrictEqual } from 'node:util';
import { ensureReady, getCondition, markReady, markReconciling, markStalled, READY, type Condition } from '../runtime/conditions.ts';
import type { ManagedObject, PendingCreate, PendingOperation } from './adapter.ts';
import type { Failure, FailureClass } from './failure.ts';
import { kubeTime } from './timing.ts';

/** kstatus states: done, in progress (or waiting on something that will resolve), stuck until the spec changes. */
export type Phase = 'ready' | 'reconciling' | 'stalled';

export interface ConditionChange {
  phase: Phase;
  reason: string;
  message: string;
  /** Set when the condition reports a failure: its class and what its Event says. */
  failure?: Failure;
}

const change = (phase: Phase, reason: string, message: string, failure?: FailureClass): ConditionChange =>
  failure ? { phase, reason, message, failure: { class: failure, detail: message } } : { phase, reason, message };

export const ready = (reason: string, message: string): ConditionChange => change('ready', reason, message);
export const reconciling = (reason: string, message: string, failure?: FailureClass): ConditionChange => change('reconciling', reason, message, failure);
export const stalled = (reason: string, message: string, failure: FailureClass): ConditionChange => change('stalled', reason, message, failure);

export interface StatusChange<S = unknown> {
  /** null clears it. */
  id?: string | null;
  resource?: S;
  /**
   * When the cloud resource was observed (a listing began, or now): lastSyncTime is set to it when
   * anything else in status changes or it is older than LAST_SYNC_REFRESH_MS (a drift check that
   * finds nothing writes nothing; the reconciler remembers the sync itself).
   */
  syncedAt?: number;
  /** null clears it. */
  pendingCreate?: PendingCreate | null;
  /** null clears it. */
  pendingOperation?: PendingOperation | null;
  condition?: ConditionChange;
}

type Status = NonNullable<ManagedObject['status']>;

/** How stale status.lastSyncTime may get while drift checks find nothing to write. */
export const LAST_SYNC_REFRESH_MS = 3_600_000;

const mark = { ready: markReady, reconciling: markReconciling, stalled: markStalled };

/** The conditions after a kstatus change (Ready, and Reconciling or Stalled as the phase says). */
export function applyCondition(conditions: readonly Condition[] | undefined, change: ConditionChange, generation: number | undefined, date: Date): Condition[] {
  return mark[change.phase](conditions, { reason: change.reason, message: change.message }, generation, date);
}

/**
 * The status after `change`; Ready is always present. `generation` is the one the reconcile acted
 * on, which may be older than `obj`'s when a conflict made the write refetch the object.
 */
export function nextStatus<S>(obj: ManagedObject<unknown, unknown, S>, change: StatusChange<S>, generation: number | undefined, now: number): Status {
  const date = new Date(now);
  const next: Status = { ...obj.status };
  if (change.id === null) delete next.id;
  else if (change.id !== undefined) next.id = change.id;
  if (change.pendingCreate === null) delete next.pendingCreate;
  else if (change.pendingCreate !== undefined) next.pendingCreate = change.pendingCreate;
  if (change.pendingOperation === null) delete next.pendingOperation;
  else if (change.pendingOperation !== undefined) next.pendingOperation = change.pendingOperation;
  // As the API server would store it after a merge patch (no undefined or null members), so equality is exact.
  if (change.resource !== undefined) next.resource = JSON.parse(JSON.stringify(change.resource, (_key, value: unknown) => (value === null ? undefined : value))) as S;
  // The first status says the reconcile has started on this generation, also without a condition.
  const first = getCondition(next.conditions, READY) === undefined;
  let conditions: Condition[] = ensureReady(next.conditions, generation, date);
  if (change.condition) conditions = applyCondition(conditions, change.condition, generation, date);
  next.conditions = conditions;
  if (generation !== undefined && (change.condition || first)) next.observedGeneration = generation;
  if (change.syncedAt !== undefined) {
    const recorded = next.lastSyncTime === undefined ? undefined : Date.parse(next.lastSyncTime);
    const fresh = recorded !== undefined && now - recorded < LAST_SYNC_REFRESH_MS;
    const synced = Math.max(change.syncedAt, recorded ?? 0);
    if (!fresh || !isDeepStrictEqual(next, obj.status ?? {})) next.lastSyncTime = kubeTime(synced);
  }
  return next;
}

/** RFC 7386 merge patch turning `from` into `to` (null removes; nested objects recurse, arrays replace). */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (!isDeepStrictEqual(from[key], value)) patch[key] = mergePatch(from[key], value);
  }
  return patch;
}

/** The status merge patch for `change`, or undefined when the status would not change. */
export function statusPatch<S>(obj: ManagedObject<unknown, unknown, S>, change: StatusChange<S>, generation: number | undefined, now: number): unknown {
  const next = nextStatus(obj, change, generation, now);
  return isDeepStrictEqual(next, obj.status ?? {}) ? undefined : mergePatch(obj.status ?? {}, next);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
