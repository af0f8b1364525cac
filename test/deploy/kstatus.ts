// kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status), which Flux's health checks use, as it computes
// the status of a custom resource: Compute's generic rules (checkGenericProperties in generic.go), in
// their order, then "Current" for a kind it has no rules of its own for.
import type { KubeObject, StateName } from '../../scripts/gen-argocd.ts';

export type KStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating';

export function kstatus(obj: KubeObject): { status: KStatus; message: string } {
  if (obj.metadata.deletionTimestamp) return { status: 'Terminating', message: 'Resource scheduled for deletion' };
  const { generation } = obj.metadata;
  const observed = obj.status?.observedGeneration;
  // Compared only when both are set: a status without observedGeneration passes.
  if (generation !== undefined && observed !== undefined && observed !== generation) {
    return { status: 'InProgress', message: `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}` };
  }
  // The first of Reconciling=True and Stalled=True, in the order of the conditions.
  for (const c of obj.status?.conditions ?? []) {
    if (c.type === 'Reconciling' && c.status === 'True') return { status: 'InProgress', message: c.message };
    if (c.type === 'Stalled' && c.status === 'True') return { status: 'Failed', message: c.message };
  }
  return { status: 'Current', message: 'Resource is current' };
}

/**
 * What kstatus makes of each state, and so what Flux waits on. `wrong`: kstatus says Current where the
 * operator has not acted yet, and why.
 */
export const EXPECTED_KSTATUS: Record<StateName, { kstatus: KStatus; wrong?: string }> = {
  healthy: { kstatus: 'Current' },
  'no-status': { kstatus: 'Current', wrong: 'no status yet: kstatus compares observedGeneration only when it is set, and finds no Reconciling' },
  'first-status': { kstatus: 'InProgress' },
  'generation-behind': { kstatus: 'InProgress' },
  reconciling: { kstatus: 'InProgress' },
  waiting: { kstatus: 'InProgress' },
  'authentication-failed': { kstatus: 'InProgress' },
  'provider-not-ready': { kstatus: 'InProgress' },
  stalled: { kstatus: 'Failed' },
  'delete-blocked': { kstatus: 'Terminating' },
  'delete-refused': { kstatus: 'Terminating' },
  'pending-deletion': { kstatus: 'Terminating' },
};
