// Backoff holds: an object whose create keeps failing is retried on the documented schedule, however
// many of its own status writes come back through the informer, and a spec change retries at once.
import { describe, expect, it, vi } from 'vitest';
import type { CloudErrorKind } from '../../src/cloud/errors.ts';
import { getCondition } from '../../src/runtime/conditions.ts';
import { DEFAULT_SCHEDULE, maxAttempts, useFastestSchedule } from '../support/backoff.ts';
import { widgetOperator, type FaultOptions, type Widget } from './fakes.ts';

const SCHEDULE = DEFAULT_SCHEDULE;
const TEN_MINUTES = 600_000;
const START = Date.parse('2026-01-01T00:00:00Z');

useFastestSchedule(START);

/** The operator's loop in miniature, counting the events its own writes bring back. */
async function operator() {
  const op = await widgetOperator();
  // Like Neutron Zed: tags are not taken at create, so a create intent is recorded first.
  op.cloud.tagsOnCreate = false;
  let echoes = 0;
  op.kube.addHandlers({ update: (previous, obj) => void (obj.metadata?.generation === previous.metadata?.generation && echoes++) });
  return { ...op, echoes: () => echoes };
}

const condition = (w: Widget, type: string) => getCondition(w.status?.conditions, type);

const failures: [string, CloudErrorKind, FaultOptions][] = [
  ['a transient error without an answer', 'transient', { message: 'connection reset' }],
  ['a 404 refusal (a floating IP whose subnet has no router)', 'transient', { status: 404, message: 'External network is not reachable from subnet' }],
  ['a CloudPrecondition (the adapter knows what the cloud waits for)', 'transient', { status: 404, message: 'no route', waitFor: 'Gadget' }],
];

describe('backoff holds while the object keeps failing', () => {
  for (const [what, kind, fault] of failures) {
    it(`${what}: at most the scheduled attempts in 10 minutes, then a spec change retries at once`, async () => {
      const op = await operator();
      op.cloud.fail('create', kind, { ...fault, times: Infinity });
      op.kube.create('a', { resource: { size: 1 } });
      await vi.advanceTimersByTimeAsync(TEN_MINUTES);

      const attempts = op.cloud.count('create');
      expect(attempts).toBe(maxAttempts(TEN_MINUTES, SCHEDULE));
      // Its own writes came back as events all along.
      expect(op.echoes()).toBeGreaterThanOrEqual(attempts);
      // One status write per failed attempt (the condition names the next attempt), plus the intent and the finalizer.
      expect(op.kube.statusWrites).toBeLessThanOrEqual(attempts + 1);
      const answered = fault.status !== undefined;
      // The first attempt of a new object looks for nothing (it cannot own anything yet); after a
      // refusal with an answer nothing was created either; after no answer, each attempt looks by
      // tags and by intent.
      expect(op.cloud.count('list')).toBe(answered ? 0 : 2 * (attempts - 1));

      const w = op.kube.get('a');
      expect(w.status?.pendingCreate).toEqual({ name: 'a', startedAt: '2026-01-01T00:00:00Z' });
      const reason = fault.waitFor ? `WaitingFor${fault.waitFor}` : 'TransientError';
      expect(condition(w, 'Ready')).toMatchObject({ status: 'False', reason });
      expect(condition(w, 'Reconciling')).toMatchObject({ status: 'True', reason });
      expect(condition(w, 'Ready')?.message).toContain(fault.message);
      expect(condition(w, 'Ready')?.message).toMatch(/; next attempt at 2026-01-01T00:\d\d:\d\dZ$/);
      expect(op.reconciler.waitingOn('Gadget', 'ns')).toEqual(fault.waitFor ? ['ns/a'] : []);

      op.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
      await vi.advanceTimersByTimeAsync(0);
      expect(op.cloud.count('create')).toBe(attempts + 1);
      // A new generation starts the schedule again: the next attempt is one floor away.
      const next = new Date(Date.now() + SCHEDULE.floorMs).toISOString().replace('.000Z', 'Z');
      expect(condition(op.kube.get('a'), 'Ready')?.message).toContain(`next attempt at ${next}`);
      await op.controller.stop();
    });
  }

  it('a terminal refusal stalls: one attempt in 10 minutes, the intent cleared once; a spec change retries at once', async () => {
    const op = await operator();
    op.cloud.fail('create', 'terminal', { message: "Invalid input for size: 'huge'", times: Infinity });
    op.kube.create('a', { resource: { size: 1 } });
    await vi.advanceTimersByTimeAsync(TEN_MINUTES);
    expect(op.cloud.count('create')).toBe(1);
    const w = op.kube.get('a');
    expect(w.status?.pendingCreate).toBeUndefined();
    expect(condition(w, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidConfiguration' });
    // The intent, its removal, the stalled condition.
    expect(op.kube.statusWrites).toBe(3);

    op.cloud.clearFaults();
    op.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(op.cloud.count('create')).toBe(2);
    expect(condition(op.kube.get('a'), 'Ready')).toMatchObject({ status: 'True' });
    await op.controller.stop();
  });

  it('success resets the schedule: a later failure starts again at the floor', async () => {
    const op = await operator();
    op.cloud.fail('create', 'transient', { times: 5 });
    op.kube.create('a', { resource: { size: 1 } });
    await vi.advanceTimersByTimeAsync(TEN_MINUTES);
    expect(condition(op.kube.get('a'), 'Ready')).toMatchObject({ status: 'True' });
    op.cloud.fail('update', 'transient', { times: Infinity });
    op.kube.editSpec('a', (spec) => (spec.resource = { size: 3 }));
    await vi.advanceTimersByTimeAsync(0);
    const next = new Date(Date.now() + SCHEDULE.floorMs).toISOString().replace('.000Z', 'Z');
    expect(condition(op.kube.get('a'), 'Ready')?.message).toContain(`next attempt at ${next}`);
    await op.controller.stop();
  });
});
