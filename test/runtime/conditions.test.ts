import { describe, expect, it } from 'vitest';
import { ensureReady, getCondition, markReady, markReconciling, markStalled, setCondition, type Condition } from '../../src/runtime/conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('conditions', () => {
  it('setCondition keeps lastTransitionTime while the status is unchanged and records observedGeneration', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Creating', message: 'creating' }, 1, t0);
    expect(first).toEqual([{ type: 'Ready', status: 'False', reason: 'Creating', message: 'creating', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }]);
    const sameStatus = setCondition(first, { type: 'Ready', status: 'False', reason: 'WaitingForCloud', message: 'BUILD' }, 2, t1);
    expect(sameStatus[0]).toMatchObject({ reason: 'WaitingForCloud', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2 });
    const flipped = setCondition(sameStatus, { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' }, 2, t1);
    expect(flipped[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(first[0]!.reason).toBe('Creating'); // inputs are not mutated
  });

  it('Ready is present from the first reconcile', () => {
    const conditions = ensureReady(undefined, 1, t0);
    expect(getCondition(conditions, 'Ready')).toMatchObject({ status: 'Unknown', observedGeneration: 1 });
    // Reconciling too: kstatus (Flux) reads an object with Ready=Unknown alone as Current.
    expect(getCondition(conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Reconciling', observedGeneration: 1 });
    expect(ensureReady(markReady(conditions, { reason: 'Available', message: '' }, 1, t0), 1, t1)).toHaveLength(1);
  });

  it('Reconciling and Stalled are never both True, and Ready follows them', () => {
    let c: Condition[] = markReconciling([], { reason: 'Creating', message: 'creating the network' }, 3, t0);
    expect(c.map((x) => [x.type, x.status])).toEqual([['Reconciling', 'True'], ['Ready', 'False']]);
    expect(getCondition(c, 'Ready')).toMatchObject({ reason: 'Creating', message: 'creating the network', observedGeneration: 3 });

    c = markStalled(c, { reason: 'InvalidConfiguration', message: 'cidr overlaps' }, 3, t1);
    expect(getCondition(c, 'Reconciling')).toBeUndefined();
    expect(getCondition(c, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidConfiguration' });
    expect(getCondition(c, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidConfiguration', lastTransitionTime: '2026-01-01T00:00:00Z' });

    c = markReconciling(c, { reason: 'Updating', message: 'spec changed' }, 4, t1);
    expect(getCondition(c, 'Stalled')).toBeUndefined();
    expect(getCondition(c, 'Reconciling')?.status).toBe('True');

    c = markReady(c, { reason: 'Available', message: 'network is ACTIVE' }, 4, t1);
    expect(c.map((x) => [x.type, x.status])).toEqual([['Ready', 'True']]);
    expect(c[0]).toMatchObject({ observedGeneration: 4, lastTransitionTime: '2026-01-01T00:05:00Z' });
  });
});
