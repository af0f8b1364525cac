import { describe, expect, it } from 'vitest';
import { mergePatch, nextStatus, statusPatch } from '../../src/reconcile/status.ts';
import { Backoff, kubeTime, resyncDueAt, resyncPeriodMs } from '../../src/reconcile/timing.ts';
import type { ManagedObject } from '../../src/reconcile/adapter.ts';

describe('resync timing', () => {
  it('reads spec.resyncPeriod as a Go duration, else the default; 0 is off', () => {
    expect(resyncPeriodMs({ resyncPeriod: '1h30m' }, 5)).toBe(5_400_000);
    expect(resyncPeriodMs({ resyncPeriod: '0' }, 5)).toBe(0);
    expect(resyncPeriodMs({}, 600_000)).toBe(600_000);
  });

  it('counts a spec value under the admission floor (stored before the rule) as the floor', () => {
    expect(resyncPeriodMs({ resyncPeriod: '1ms' }, 5)).toBe(10_000);
    expect(resyncPeriodMs({ resyncPeriod: '1ns' }, 5)).toBe(10_000);
    expect(resyncPeriodMs({ resyncPeriod: '10s' }, 5)).toBe(10_000);
  });

  it('jitters ±10%, stably for one object and sync, differently across objects', () => {
    const at = '2026-01-01T00:00:00Z';
    const dues = Array.from({ length: 50 }, (_, i) => resyncDueAt(`uid-${i}`, at, 600_000) - Date.parse(at));
    for (const due of dues) {
      expect(due).toBeGreaterThanOrEqual(540_000);
      expect(due).toBeLessThanOrEqual(660_000);
    }
    expect(new Set(dues).size).toBeGreaterThan(40);
    expect(resyncDueAt('uid-1', at, 600_000)).toBe(resyncDueAt('uid-1', at, 600_000));
  });

  it('kubeTime truncates to the second', () => {
    expect(kubeTime(Date.parse('2026-01-01T00:00:01.999Z'))).toBe('2026-01-01T00:00:01Z');
  });
});

describe('Backoff', () => {
  it('doubles per failure within [d/2, d], caps, honours a floor from Retry-After, and resets', () => {
    const backoff = new Backoff({ floorMs: 100, capMs: 1000 }, () => 1);
    expect([1, 2, 3, 4, 5].map(() => backoff.next('k'))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoff.next('k', { atLeastMs: 5000 })).toBe(5000);
    backoff.reset('k');
    expect(backoff.next('k')).toBe(100);
    const low = new Backoff({ floorMs: 100, capMs: 1000 }, () => 0);
    expect([1, 2, 3].map(() => low.next('k'))).toEqual([100, 100, 200]);
  });

  it('grows by its factor and starts again when the generation changes', () => {
    const backoff = new Backoff({ floorMs: 100, factor: 3, capMs: 10_000 }, () => 1);
    expect([1, 2, 3].map(() => backoff.next('k', { generation: 1 }))).toEqual([100, 300, 900]);
    expect(backoff.next('k', { generation: 2 })).toBe(100);
    expect(backoff.next('k', { generation: 2 })).toBe(300);
  });
});

describe('status patches', () => {
  const obj = (status?: ManagedObject['status']): ManagedObject => ({
    metadata: { name: 'a', namespace: 'ns', generation: 3 },
    spec: { providerConfigRef: { name: 'p' }, managementPolicy: 'Managed', deletionPolicy: 'Delete' },
    ...(status ? { status } : {}),
  });
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('always carries Ready, and observedGeneration of the generation acted on', () => {
    const next = nextStatus(obj(), { condition: { phase: 'reconciling', reason: 'Creating', message: 'm' } }, 2, now);
    expect(next.observedGeneration).toBe(2);
    expect(next.conditions?.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['Ready', 'False', 2],
      ['Reconciling', 'True', 2],
    ]);
    expect(nextStatus(obj(), {}, 3, now).conditions).toMatchObject([{ type: 'Ready', status: 'Unknown' }, { type: 'Reconciling', status: 'True' }]);
  });

  it('is undefined when nothing changes, and removes what is gone with null', () => {
    const current = obj(nextStatus(obj(), { id: 'x', resource: { a: 1, b: 2 }, condition: { phase: 'ready', reason: 'Available', message: 'm' } }, 3, now));
    expect(statusPatch(current, { id: 'x', resource: { a: 1, b: 2 }, condition: { phase: 'ready', reason: 'Available', message: 'm' } }, 3, now + 5000)).toBeUndefined();
    expect(statusPatch(current, { id: null, resource: { a: 1, c: undefined } }, 3, now)).toEqual({ id: null, resource: { b: null } });
    // The cloud's nulls are absent fields in status (a merge patch null removes): no write for them.
    expect(statusPatch(current, { id: 'x', resource: { a: 1, b: 2, c: null } }, 3, now)).toBeUndefined();
  });

  it('mergePatch recurses into objects and replaces arrays', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: 1 }, l: [2] })).toEqual({ a: { c: null }, l: [2] });
  });
});
