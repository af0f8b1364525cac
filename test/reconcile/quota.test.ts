import { describe, expect, it } from 'vitest';
import { QuotaGates } from '../../src/reconcile/quota.ts';

describe('QuotaGates', () => {
  it('a probe that never reports back (its object deleted, or failing otherwise) is taken over a period after it began', () => {
    let now = 0;
    const gates = new QuotaGates({ periodMs: 60_000, now: () => now });
    const cloud = {};
    gates.refused(cloud, 'a', 'Quota exceeded');
    expect(gates.admit(cloud, 'b')).toMatchObject({ message: 'Quota exceeded', waitMs: 60_010 });
    now = 60_000;
    expect(gates.admit(cloud, 'b')).toBeUndefined();
    // b's create is in flight: c waits for it without a call.
    now = 60_500;
    expect(gates.admit(cloud, 'c')).toMatchObject({ waitMs: 1_010 });
    now = 119_999;
    expect(gates.admit(cloud, 'c')).toBeDefined();
    // b never came back: c probes in its place.
    now = 120_000;
    expect(gates.admit(cloud, 'c')).toBeUndefined();
    gates.created(cloud);
    expect(gates.admit(cloud, 'b')).toBeUndefined();
  });
});
