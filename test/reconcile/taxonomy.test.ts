// One error taxonomy: every class of failure a reconcile can meet leaves its condition reason on the
// object, an Event, a metric sample labelled with its class, and retries no faster than its policy:
// a bounded number of cloud calls per object per minute whatever the error.
import { describe, expect, it, vi } from 'vitest';
import { EndpointError } from '../../src/cloud/errors.ts';
import { getCondition } from '../../src/runtime/conditions.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { DEFAULT_SCHEDULE, maxAttempts, useFastestSchedule } from '../support/backoff.ts';
import { widgetOperator, type FakeCloud, type Op, type Widget } from './fakes.ts';

const MINUTE = 60_000;
const START = Date.parse('2026-01-01T00:00:00Z');

useFastestSchedule(START);

/** The operator's loop in miniature, with its metrics. */
async function operator() {
  const metrics = new RuntimeMetrics();
  const op = await widgetOperator({ metrics });
  const failures = async () => {
    const samples = (await metrics.registry.getSingleMetric('cloudnet_reconcile_failures_total')!.get()).values;
    return samples.map((v) => ({ class: v.labels.class, reason: v.labels.reason, count: v.value }));
  };
  return { ...op, failures };
}

type Setup = (op: Awaited<ReturnType<typeof operator>>) => void;

interface Case {
  class: string;
  what: string;
  /** Makes the object fail that way; `calls` is the cloud operation that fails. */
  setup: Setup;
  calls: Op;
  deleting?: boolean;
  condition: { type: 'Reconciling' | 'Stalled'; reason: string; message: RegExp };
  event: 'Normal' | 'Warning';
  /** Most attempts in a minute: the backoff schedule's, or one for what is held until the spec changes. */
  maxPerMinute: number;
}

const backoff = maxAttempts(MINUTE, DEFAULT_SCHEDULE);
const fail = (op: Op, kind: Parameters<FakeCloud['fail']>[1], options: Parameters<FakeCloud['fail']>[2] = {}): Setup => (o) => o.cloud.fail(op, kind, { ...options, times: Infinity });

const cases: Case[] = [
  { class: 'transient', what: 'no answer', setup: fail('create', 'transient', { message: 'connection reset' }), calls: 'create', condition: { type: 'Reconciling', reason: 'TransientError', message: /connection reset/ }, event: 'Warning', maxPerMinute: backoff },
  { class: 'transient', what: 'a 503', setup: fail('create', 'transient', { status: 503, message: 'unavailable' }), calls: 'create', condition: { type: 'Reconciling', reason: 'TransientError', message: /503/ }, event: 'Warning', maxPerMinute: backoff },
  { class: 'busy', what: 'a resource in use', setup: fail('create', 'busy', { status: 409, message: 'in use' }), calls: 'create', condition: { type: 'Reconciling', reason: 'CloudBusy', message: /in use; retried until the cloud takes it/ }, event: 'Warning', maxPerMinute: backoff },
  // One probe a period (60 s): at the start and at the end of the minute.
  { class: 'quota', what: 'over quota', setup: fail('create', 'quota', { message: 'Quota exceeded' }), calls: 'create', condition: { type: 'Stalled', reason: 'QuotaExceeded', message: /raise the quota/ }, event: 'Warning', maxPerMinute: 2 },
  { class: 'terminal', what: 'a 400', setup: fail('create', 'terminal', { message: 'Invalid input' }), calls: 'create', condition: { type: 'Stalled', reason: 'InvalidConfiguration', message: /Invalid input; change the spec to retry/ }, event: 'Warning', maxPerMinute: 1 },
  { class: 'terminal', what: 'a 409 conflict', setup: fail('create', 'conflict', { status: 409, message: 'address taken' }), calls: 'create', condition: { type: 'Stalled', reason: 'Conflict', message: /address taken/ }, event: 'Warning', maxPerMinute: 1 },
  { class: 'unauthorized', what: 'credentials rejected', setup: fail('create', 'unauthorized', { status: 401, message: 'token rejected' }), calls: 'create', condition: { type: 'Reconciling', reason: 'AuthenticationFailed', message: /check the ProviderConfig's credentials/ }, event: 'Warning', maxPerMinute: backoff },
  { class: 'waiting', what: 'a change in the cloud (CloudPrecondition)', setup: fail('create', 'busy', { status: 404, message: 'no route', waitFor: 'Gadget' }), calls: 'create', condition: { type: 'Reconciling', reason: 'WaitingForGadget', message: /needs a Gadget/ }, event: 'Normal', maxPerMinute: backoff },
  {
    class: 'waiting',
    what: 'the ProviderConfig',
    setup: (o) => (o.provider.lookup = { ready: false, message: 'ProviderConfig ns/cloud is not Ready' }),
    calls: 'create',
    condition: { type: 'Reconciling', reason: 'ProviderNotReady', message: /not Ready/ },
    event: 'Normal',
    maxPerMinute: 0,
  },
  {
    class: 'configuration',
    what: 'an endpoint URL that does not parse',
    setup: (o) => o.cloud.throwOn('create', () => new EndpointError('the catalog\'s network endpoint "https://bad host" is not a valid URL')),
    calls: 'create',
    condition: { type: 'Stalled', reason: 'InvalidConfiguration', message: /is not a valid URL; fix the ProviderConfig/ },
    event: 'Warning',
    maxPerMinute: 1,
  },
  {
    class: 'internal',
    what: 'a bug',
    setup: (o) => o.cloud.throwOn('create', () => new TypeError("Cannot read properties of undefined (reading 'id')")),
    calls: 'create',
    condition: { type: 'Reconciling', reason: 'InternalError', message: /unexpected error \(a bug, please report it\): TypeError: Cannot read properties/ },
    event: 'Warning',
    maxPerMinute: backoff,
  },
  { class: 'busy', what: 'a delete refused while in use', deleting: true, setup: fail('delete', 'busy', { status: 409, message: 'in use' }), calls: 'delete', condition: { type: 'Reconciling', reason: 'DeleteBlocked', message: /the cloud refuses the delete for now/ }, event: 'Warning', maxPerMinute: backoff },
  {
    class: 'terminal',
    what: 'a delete the cloud forbids',
    deleting: true,
    setup: fail('delete', 'terminal', { status: 403, message: 'disallowed by policy' }),
    calls: 'delete',
    condition: { type: 'Stalled', reason: 'DeleteBlocked', message: /disallowed by policy; to let go, set spec.deletionPolicy: Orphan/ },
    event: 'Warning',
    maxPerMinute: backoff,
  },
];

describe('every failure class: condition, Event, metric, and no faster retries than its policy', () => {
  for (const c of cases) {
    it(`${c.class}: ${c.what} -> ${c.condition.type} ${c.condition.reason}`, async () => {
      const op = await operator();
      if (c.deleting) {
        op.kube.create('a', { resource: { size: 1 } });
        await vi.advanceTimersByTimeAsync(0);
        expect(getCondition(op.kube.get('a').status?.conditions, 'Ready')?.status).toBe('True');
      }
      c.setup(op);
      const before = op.cloud.count(c.calls);
      if (c.deleting) op.kube.delete('a');
      else op.kube.create('a', { resource: { size: 1 } });
      await vi.advanceTimersByTimeAsync(MINUTE);

      const w: Widget = op.kube.get('a');
      const ready = getCondition(w.status?.conditions, 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: c.condition.reason });
      expect(ready?.message).toMatch(c.condition.message);
      expect(getCondition(w.status?.conditions, c.condition.type)).toMatchObject({ status: 'True', reason: c.condition.reason });
      const event = op.kube.events.find((e) => e.reason === c.condition.reason);
      expect(event).toMatchObject({ type: c.event, name: 'a' });
      // The Event says what failed, not when the next attempt is (so repeats aggregate).
      expect(event?.message).not.toMatch(/next attempt/);
      const failures = await op.failures();
      expect(failures).toContainEqual(expect.objectContaining({ class: c.class, reason: c.condition.reason }));
      expect(failures.filter((f) => f.class !== c.class)).toEqual([]);

      const calls = op.cloud.count(c.calls) - before;
      expect(calls).toBeLessThanOrEqual(c.maxPerMinute);
      // What is retried on the backoff is retried, not held.
      if (c.maxPerMinute === backoff) expect(calls).toBeGreaterThan(1);
      await op.controller.stop();
    });
  }

  it('an error of the Kubernetes API is not written on the object: logged with its class, counted, retried on the rate limiter', async () => {
    const op = await operator();
    const { patchStatus } = op.kube.writer;
    let refused = 0;
    op.kube.writer.patchStatus = async (obj, compute) => {
      if (refused++ < 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
      return patchStatus(obj, compute);
    };
    op.cloud.fail('create', 'terminal', { message: 'Invalid input', times: Infinity });
    op.kube.create('a', { resource: { size: 1 } });
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(await op.failures()).toContainEqual({ class: 'kubernetes', reason: 'ReconcileError', count: 3 });
    expect(getCondition(op.kube.get('a').status?.conditions, 'Stalled')).toMatchObject({ reason: 'InvalidConfiguration' });
    await op.controller.stop();
  });
});
