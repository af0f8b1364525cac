// What an object's kstatus conditions say about its current spec (docs/design.md, "Resource model").
import type { KubernetesObject } from '@kubernetes/client-node';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface ObjectWithStatus extends KubernetesObject {
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

export type Readiness =
  | { state: 'Ready' }
  | { state: 'Stalled'; reason: string; message: string }
  /** Not yet decided for this generation; `summary` says what the Ready condition shows. */
  | { state: 'InProgress'; summary: string };

/**
 * A condition counts only for the generation it was set for: after a spec change the previous
 * Ready (or Stalled) says nothing about the new spec until the operator has looked at it.
 */
function current(obj: ObjectWithStatus, type: string): Condition | undefined {
  const condition = obj.status?.conditions?.find((c) => c.type === type);
  const observed = condition?.observedGeneration ?? obj.status?.observedGeneration;
  return condition && observed === obj.metadata?.generation ? condition : undefined;
}

export function readinessOf(obj: ObjectWithStatus): Readiness {
  const stalled = current(obj, 'Stalled');
  if (stalled?.status === 'True') return { state: 'Stalled', reason: stalled.reason ?? '', message: stalled.message ?? '' };
  if (current(obj, 'Ready')?.status === 'True') return { state: 'Ready' };
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return { state: 'InProgress', summary: 'no Ready condition yet' };
  const generation = ready.observedGeneration ?? obj.status?.observedGeneration;
  const stale = generation === obj.metadata?.generation ? '' : ` (for generation ${generation ?? '?'}, not ${obj.metadata?.generation ?? '?'})`;
  return { state: 'InProgress', summary: `Ready=${ready.status}${stale} ${ready.reason ?? ''}: ${ready.message ?? ''}`.trim() };
}
