// The objects' state as metrics, read from the informer caches at each scrape (like Crossplane's
// managed-resource gauges), so that alerts need no log scraping: how many objects of each kind are
// in each state, and how long the oldest one that is not Ready has been so.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import { getCondition, type Condition } from '../runtime/conditions.ts';

/** The states counted: kstatus' three conditions, Ready=False, and waiting (Reconciling on something else: a reference, a Secret, the ProviderConfig). */
export const STATES = ['Ready', 'NotReady', 'Reconciling', 'Stalled', 'Waiting'] as const;
export type State = (typeof STATES)[number];

/** What the gauges read of an object, a managed one or a ProviderConfig: its conditions and creation time. */
export type StatefulObject = Required<Pick<KubernetesObject, 'metadata'>> & { status?: { conditions?: Condition[] } };

/** Reasons of waiting for something other than the cloud to change. */
const WAITING = /^(WaitingFor|ProviderNotReady$)/;

/** The states `obj` is in (several at once: Ready=False and Stalled...). */
export function statesOf(obj: StatefulObject): State[] {
  const conditions = obj.status?.conditions;
  const ready = getCondition(conditions, 'Ready');
  const reconciling = getCondition(conditions, 'Reconciling');
  const states: State[] = [ready?.status === 'True' ? 'Ready' : 'NotReady'];
  if (reconciling?.status === 'True') states.push('Reconciling');
  if (getCondition(conditions, 'Stalled')?.status === 'True') states.push('Stalled');
  if (reconciling?.status === 'True' && WAITING.test(reconciling.reason ?? '')) states.push('Waiting');
  return states;
}

/** Since when `obj` has not been Ready: its Ready condition's last turn to False, or its creation when it has none. */
function notReadySince(obj: StatefulObject): number {
  const ready = getCondition(obj.status?.conditions, 'Ready');
  // Objects as the informer has them: timestamps as sent (client-node's type says Date).
  return Date.parse(String(ready?.lastTransitionTime ?? obj.metadata.creationTimestamp ?? ''));
}

/** Registers the gauges over `kinds` (kind -> the objects its informer has). */
export function registerStateMetrics(registry: Registry, kinds: ReadonlyMap<string, { list(): StatefulObject[] }>, now: () => number = Date.now): void {
  new Gauge({
    name: 'cloudnet_objects',
    help: 'Objects per kind in each state: Ready, NotReady, Reconciling, Stalled, Waiting (Reconciling on a reference, a Secret or the ProviderConfig)',
    labelNames: ['kind', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, cache] of kinds) {
        const counts = new Map<State, number>(STATES.map((state) => [state, 0]));
        for (const obj of cache.list()) for (const state of statesOf(obj)) counts.set(state, counts.get(state)! + 1);
        for (const [state, count] of counts) this.set({ kind, state }, count);
      }
    },
  });
  new Gauge({
    name: 'cloudnet_oldest_not_ready_seconds',
    help: 'Per kind, how long the object that has been not Ready the longest has been so (0 when every object is Ready)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, cache] of kinds) {
        const since = cache.list().flatMap((obj) => (getCondition(obj.status?.conditions, 'Ready')?.status === 'True' ? [] : [notReadySince(obj)]));
        const oldest = Math.min(...since.filter((t) => !Number.isNaN(t)));
        this.set({ kind }, Number.isFinite(oldest) ? Math.max(0, (now() - oldest) / 1000) : 0);
      }
    },
  });
}
