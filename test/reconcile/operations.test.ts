// The generic contract for clouds whose mutations are asynchronous operations (like Exoscale's),
// resources in transition that refuse changes, resources that fail for good, and label-style
// ownership marks that travel in the create request.
import { describe, expect, it } from 'vitest';
import { getCondition } from '../../src/runtime/conditions.ts';
import { harness, labelWidgetAdapter, WIDGET_POLL_MS, type Harness, type Widget } from './fakes.ts';

const cond = (w: Widget, type: string) => getCondition(w.status?.conditions, type);
const ASYNC = { polls: 2, pollAfterMs: 3_000 };

/** Reconciles until the object is Ready (at most `limit` times), moving the clock by each requeue. */
async function untilReady(h: Harness, name: string, limit = 10): Promise<number> {
  for (let n = 1; n <= limit; n++) {
    const result = await h.reconcile(name);
    if (cond(h.kube.get(name), 'Ready')?.status === 'True') return n;
    h.clock.advance((result as { requeueAfter?: number } | undefined)?.requeueAfter ?? 0);
  }
  throw new Error(`${name} not Ready after ${limit} reconciles`);
}

describe('mutations answered with an operation', () => {
  it('a create through an operation reaches Ready: recorded, polled on its schedule, then observed afresh', async () => {
    const h = harness();
    h.cloud.async = ASYNC;
    h.kube.create('a', { resource: { size: 2 } });
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    const accepted = h.kube.get('a');
    expect(accepted.status?.pendingOperation).toEqual({ action: 'create', id: 'op-1', startedAt: '2026-01-01T00:00:00Z' });
    expect(cond(accepted, 'Ready')).toMatchObject({ status: 'False', reason: 'Creating' });
    // Two polls pending, then done: the widget is read by the id the operation names.
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    await h.reconcile('a');
    const w = h.kube.get('a');
    expect(cond(w, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(w.status).toMatchObject({ id: 'w-1', resource: { size: 2 } });
    expect(w.status?.pendingOperation).toBeUndefined();
    expect(h.cloud.count('create')).toBe(1);
    expect(h.cloud.count('operation')).toBe(3);
  });

  it('a restart in the middle of an operation resumes it: no second create', async () => {
    const h = harness();
    h.cloud.async = ASYNC;
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    // A new process: nothing remembered but what status says.
    const h2 = harness();
    h2.kube.cache.upsert(h.kube.get('a'));
    h2.provider.lookup = { ready: true, client: h.cloud };
    h2.clock.t = h.clock.t + 3_000;
    expect(await untilReady(h2, 'a')).toBe(3);
    expect(h.cloud.count('create')).toBe(1);
    expect(h.cloud.widgets.size).toBe(1);
  });

  it('a failed operation stalls with its reason and message, and is not retried on events', async () => {
    const h = harness();
    h.cloud.async = { ...ASYNC, polls: 0, fail: { reason: 'QuotaReached', message: 'private networks: 10 of 10 used' } };
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    await h.reconcile('a');
    const w = h.kube.get('a');
    expect(cond(w, 'Stalled')).toMatchObject({ status: 'True', reason: 'QuotaReached' });
    expect(cond(w, 'Ready')?.message).toContain('the create of Widget (operation op-1) failed: private networks: 10 of 10 used');
    expect(w.status?.pendingOperation).toBeUndefined();
    expect(h.kube.events.map((e) => e.reason)).toContain('QuotaReached');
    const calls = h.cloud.count();
    for (let i = 0; i < 3; i++) await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
    // A spec change tries again.
    h.cloud.async = undefined;
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 3 }));
    await h.reconcile('a');
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ status: 'True' });
    expect(h.cloud.count('create')).toBe(2);
  });

  it('a failed operation the cloud may get over is sent again after the backoff, not stalled', async () => {
    const h = harness({ adapter: labelWidgetAdapter });
    h.cloud.async = { ...ASYNC, polls: 0, idAtOnce: true, fail: { reason: 'OperationFailed', message: 'busy: try again', retry: true } };
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    expect(h.kube.get('a').status?.id).toBe('w-1');
    const retry = (await h.reconcile('a')) as { requeueAfter: number };
    const w = h.kube.get('a');
    expect(cond(w, 'Stalled')?.status).not.toBe('True');
    expect(cond(w, 'Ready')).toMatchObject({ status: 'False', reason: 'OperationFailed', message: expect.stringContaining('failed: busy: try again; it is sent again; next attempt at') });
    // The id of a create that failed never came to be: forgotten, not looked for.
    expect(w.status?.id).toBeUndefined();
    expect(w.status?.pendingOperation).toBeUndefined();
    expect(retry.requeueAfter).toBeGreaterThanOrEqual(500);
    h.cloud.async = undefined;
    h.clock.advance(retry.requeueAfter);
    await h.reconcile('a');
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ status: 'True' });
    expect(h.cloud.count('create')).toBe(2);
    expect(h.cloud.widgets.size).toBe(1);
  });

  it('an update through an operation is recorded and polled, and the result observed afresh', async () => {
    const h = harness();
    h.kube.create('a', { resource: { size: 1 } });
    await h.reconcile('a');
    h.cloud.async = { ...ASYNC, polls: 1 };
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 5 }));
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    expect(h.kube.get('a').status?.pendingOperation).toMatchObject({ action: 'update', id: 'op-1' });
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ reason: 'Updating' });
    await h.reconcile('a');
    await h.reconcile('a');
    expect(h.kube.get('a').status).toMatchObject({ resource: { size: 5 }, observedGeneration: 2 });
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ status: 'True' });
    expect(h.cloud.count('update')).toBe(1);
  });

  it('a DELETE is sent once while the cloud carries it out, also after a restart', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    h.cloud.async = { ...ASYNC, polls: 3 };
    h.kube.delete('a');
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    expect(h.kube.get('a').status?.pendingOperation).toMatchObject({ action: 'delete', id: 'op-1' });
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    const h2 = harness();
    h2.kube.cache.upsert(h.kube.get('a'));
    h2.provider.lookup = { ready: true, client: h.cloud };
    for (let i = 0; i < 5 && h2.kube.cache.get('ns', 'a'); i++) await h2.reconcile('a');
    expect(h2.kube.cache.get('ns', 'a')).toBeUndefined();
    expect(h.cloud.widgets.size).toBe(0);
    expect(h.cloud.count('delete')).toBe(1);
  });
});

describe('resources in transition and failed resources', () => {
  it('sends no update while the resource is busy, and polls on the adapter schedule meanwhile', async () => {
    const h = harness();
    h.kube.create('a', { resource: { size: 1 } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.state = 'BUSY';
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
    for (let i = 0; i < 3; i++) expect(await h.reconcile('a')).toEqual({ requeueAfter: WIDGET_POLL_MS });
    expect(h.cloud.count('update')).toBe(0);
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ status: 'False', reason: 'WaitingForCloud', message: 'widget w-1 is BUSY' });
    h.cloud.widgets.get('w-1')!.state = 'ACTIVE';
    await h.reconcile('a');
    expect(h.cloud.widgets.get('w-1')!.size).toBe(2);
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ status: 'True' });
  });

  it('a resource that failed for good stalls, with no retries on events, until the spec changes', async () => {
    const h = harness({ resyncPeriodMs: 600_000 });
    h.kube.create('a', { resource: { size: 1 } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.state = 'ERROR';
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 600_000, failure: { class: 'terminal', reason: 'WidgetError' } });
    expect(cond(h.kube.get('a'), 'Stalled')).toMatchObject({ status: 'True', reason: 'WidgetError' });
    const calls = h.cloud.count();
    for (let i = 0; i < 3; i++) await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
    expect(h.cloud.count('update')).toBe(0);
  });
});

describe('recreate on error', () => {
  it('a failed resource whose spec asks for it is deleted, then created anew once gone (also across a restart)', async () => {
    const h = harness();
    h.kube.create('a', { resource: { size: 1, recreateOnError: true } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.state = 'ERROR';
    h.cloud.async = { polls: 1, pollAfterMs: 3_000 };
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 1, recreateOnError: true, tags: ['x'] }));
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 3_000 });
    expect(cond(h.kube.get('a'), 'Ready')).toMatchObject({ status: 'False', reason: 'Recreating' });
    expect(h.kube.get('a').status?.pendingOperation).toMatchObject({ action: 'delete', id: 'op-1' });
    expect(h.kube.events.map((e) => e.reason)).toContain('Recreating');
    // A restart while the cloud deletes: the old one is waited for, never deleted twice.
    const h2 = harness();
    h2.kube.cache.upsert(h.kube.get('a'));
    h2.provider.lookup = { ready: true, client: h.cloud };
    expect(await h2.reconcile('a')).toEqual({ requeueAfter: expect.any(Number) });
    expect(h.cloud.count('delete')).toBe(1);
    h.cloud.poll('op-1');
    h.cloud.poll('op-1');
    h.cloud.async = undefined;
    await h2.reconcile('a');
    const w = h2.kube.get('a');
    expect(cond(w, 'Ready')).toMatchObject({ status: 'True' });
    expect(w.status?.id).toBe('w-2');
    expect(w.status?.pendingOperation).toBeUndefined();
    expect(h.cloud.count('delete')).toBe(1);
    expect([...h.cloud.widgets.keys()]).toEqual(['w-2']);
  });

  it('without recreateOnError a failed resource stalls and stays', async () => {
    const h = harness();
    h.kube.create('a', { resource: { size: 1 } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.state = 'ERROR';
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
    await h.reconcile('a');
    expect(cond(h.kube.get('a'), 'Stalled')).toMatchObject({ reason: 'WidgetError' });
    expect(h.cloud.count('delete')).toBe(0);
  });
});

describe('label-style ownership marks', () => {
  it('the labels travel in the create request: no separate call, no intent; a lost answer is found by them', async () => {
    const h = harness({ adapter: labelWidgetAdapter });
    const obj = h.kube.create('a', { resource: { labels: { team: 'a' } } });
    h.cloud.fail('create', 'transient', { lose: true });
    await h.reconcile('a');
    expect(h.kube.get('a').status?.pendingCreate).toBeUndefined();
    await h.reconcile('a');
    expect(h.cloud.count('create')).toBe(1);
    expect(h.cloud.count('tags')).toBe(0);
    expect(h.cloud.widgets.get('w-1')!.labels).toEqual({ team: 'a', 'cloudnet-managed': 'true', 'cloudnet-uid': obj.metadata.uid });
    expect(h.kube.get('a').status?.id).toBe('w-1');
    expect(h.kube.events.map((e) => e.message)).toContain('found Widget w-1 by its ownership labels (its id had not been recorded)');
  });

  it('labels are kept as the spec says, and Orphan leaves only the user labels', async () => {
    const h = harness({ adapter: labelWidgetAdapter, resyncPeriodMs: 60_000 });
    h.kube.create('a', { deletionPolicy: 'Orphan', resource: { labels: { team: 'a' } } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.labels.stray = 'x';
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.cloud.widgets.get('w-1')!.labels).not.toHaveProperty('stray');
    h.kube.delete('a');
    await h.reconcile('a');
    expect(h.cloud.widgets.get('w-1')!.labels).toEqual({ team: 'a' });
    expect(h.cloud.count('delete')).toBe(0);
  });
});
