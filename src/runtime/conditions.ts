/** kstatus conditions: Ready (always present), Reconciling and Stalled (present only while True). */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface ReasonMessage {
  reason: string;
  message: string;
}

export const READY = 'Ready';
export const RECONCILING = 'Reconciling';
export const STALLED = 'Stalled';

/** Kubernetes serializes metav1.Time with second precision. */
function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/**
 * Returns the conditions with `input` set; lastTransitionTime changes only when the status does.
 * The order of existing conditions is kept; a new one is appended.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, generation: number | undefined, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    ...input,
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : timestamp(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Done: Ready=True; Reconciling and Stalled removed. */
export function markReady(conditions: readonly Condition[] | undefined, { reason, message }: ReasonMessage, generation: number | undefined, now: Date): Condition[] {
  const rest = removeCondition(removeCondition(conditions, RECONCILING), STALLED);
  return setCondition(rest, { type: READY, status: 'True', reason, message }, generation, now);
}

/** Work in flight (or waiting on something that will resolve): Reconciling=True, Ready=False, not Stalled. */
export function markReconciling(conditions: readonly Condition[] | undefined, { reason, message }: ReasonMessage, generation: number | undefined, now: Date): Condition[] {
  const rest = removeCondition(conditions, STALLED);
  const reconciling = setCondition(rest, { type: RECONCILING, status: 'True', reason, message }, generation, now);
  return setCondition(reconciling, { type: READY, status: 'False', reason, message }, generation, now);
}

/** Cannot progress without a spec change: Stalled=True, Ready=False, not Reconciling. */
export function markStalled(conditions: readonly Condition[] | undefined, { reason, message }: ReasonMessage, generation: number | undefined, now: Date): Condition[] {
  const rest = removeCondition(conditions, RECONCILING);
  const stalled = setCondition(rest, { type: STALLED, status: 'True', reason, message }, generation, now);
  return setCondition(stalled, { type: READY, status: 'False', reason, message }, generation, now);
}

/**
 * Ready=Unknown when absent, so Ready is present from the first reconcile; with Reconciling=True, so
 * a first status written without a condition (a create's id) reads as in progress to kstatus (Flux).
 */
export function ensureReady(conditions: readonly Condition[] | undefined, generation: number | undefined, now: Date): Condition[] {
  if (getCondition(conditions, READY)) return [...(conditions ?? [])];
  const started = { reason: 'Reconciling', message: 'Reconciliation has started' };
  const ready = setCondition(conditions, { type: READY, status: 'Unknown', ...started }, generation, now);
  return setCondition(ready, { type: RECONCILING, status: 'True', ...started }, generation, now);
}
