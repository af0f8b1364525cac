import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/cloud/errors.ts';
import { getCondition } from '../../src/runtime/conditions.ts';
import { FINALIZER } from '../../src/runtime/finalizers.ts';
import { harness, stamp, WIDGET_POLL_MS, widgetAdapter, type Widget } from './fakes.ts';

const ready = (w: Widget) => getCondition(w.status?.conditions, 'Ready');
const cond = (w: Widget, type: string) => getCondition(w.status?.conditions, type);

describe('ManagedReconciler: create and steady state', () => {
  it('creates once with the ownership tags, writes status, and then makes no cloud call until the resync', async () => {
    const h = harness({ resyncPeriodMs: 600_000 });
    h.kube.create('a', { resource: { size: 2, tags: ['team-a'] } });
    const result = await h.reconcile('a');
    const w = h.kube.get('a');
    expect(h.cloud.count('create')).toBe(1);
    // A new object (no finalizer yet) cannot own anything: the create is its first and only call.
    expect(h.cloud.calls.map((c) => c.op)).toEqual(['create']);
    expect(h.cloud.calls.find((c) => c.op === 'create')?.detail).toEqual({ name: 'a', tags: ['cloudnet-managed', `cloudnet-uid:${w.metadata.uid}`, 'team-a'] });
    expect(w.metadata.finalizers).toEqual([FINALIZER]);
    expect(w.status?.id).toBe('w-1');
    expect(w.status?.pendingCreate).toBeUndefined();
    expect(w.status?.resource).toEqual({ name: 'a', size: 2, state: 'ACTIVE' });
    expect(w.status?.observedGeneration).toBe(1);
    expect(ready(w)).toMatchObject({ status: 'True', reason: 'Available' });
    expect(cond(w, 'Reconciling')).toBeUndefined();
    // Resync period ±10% jitter.
    expect(result).toMatchObject({ requeueAfter: expect.any(Number) });
    const after = (result as { requeueAfter: number }).requeueAfter;
    expect(after).toBeGreaterThanOrEqual(540_000);
    expect(after).toBeLessThanOrEqual(660_000);
    expect(h.kube.events.map((e) => e.reason)).toEqual(['Created']);

    // Informer events (our own status write, a restart...) on a Ready object: no cloud call, no status write.
    const calls = h.cloud.count();
    const writes = h.kube.statusWrites;
    for (let i = 0; i < 5; i++) {
      h.clock.advance(60_000);
      expect(await h.reconcile('a')).toMatchObject({ requeueAfter: expect.any(Number) });
    }
    expect(h.cloud.count()).toBe(calls);
    expect(h.kube.statusWrites).toBe(writes);

    // Resync due: one observation (a listing of the marked widgets), no update since nothing drifted.
    h.clock.advance(400_000);
    await h.reconcile('a');
    expect(h.cloud.count() - calls).toBe(1);
    expect(h.cloud.count('list')).toBe(1);
    expect(h.cloud.count('update')).toBe(0);
  });

  it('a drift check that finds nothing changed writes no status; lastSyncTime is refreshed hourly, and the checks keep their period', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.kube.create('a', { resource: {} });
    let wait = ((await h.reconcile('a')) as { requeueAfter: number }).requeueAfter;
    const start = h.clock.now();
    const created = h.kube.get('a').status!.lastSyncTime!;
    const writes = h.kube.statusWrites;
    while (h.clock.now() - start < 58 * 60_000) {
      h.clock.advance(wait);
      wait = ((await h.reconcile('a')) as { requeueAfter: number }).requeueAfter;
      // Each check comes one period (±10%) after the last one this process made, not after the recorded time.
      expect(wait).toBeGreaterThanOrEqual(53_000);
      expect(wait).toBeLessThanOrEqual(66_000);
    }
    expect(h.cloud.count('list')).toBeGreaterThanOrEqual(50);
    expect(h.kube.statusWrites).toBe(writes);
    expect(h.kube.get('a').status!.lastSyncTime).toBe(created);
    // An hour on, the next check writes lastSyncTime again.
    h.clock.advance(5 * 60_000);
    await h.reconcile('a');
    expect(h.kube.statusWrites).toBe(writes + 1);
    expect(Date.parse(h.kube.get('a').status!.lastSyncTime!) - Date.parse(created)).toBeGreaterThanOrEqual(3_600_000);
    // Drift is still corrected at every check (status shows the corrected resource: nothing to write).
    h.cloud.widgets.get('w-1')!.name = 'drifted';
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.cloud.count('update')).toBe(1);
    expect(h.cloud.widgets.get('w-1')!.name).toBe('a');
    expect(h.kube.events.map((e) => e.reason)).toContain('Updated');
  });

  it('the drift checks of N objects cost ceil(N / page size) list calls a round, write no status, and still correct drift and recreate', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.cloud.pageSize = 10;
    const names = Array.from({ length: 25 }, (_, i) => `w${i}`);
    const due = new Map<string, number>();
    for (const name of names) {
      h.kube.create(name, { resource: { size: 1 } });
      due.set(name, h.clock.now() + ((await h.reconcile(name)) as { requeueAfter: number }).requeueAfter);
    }
    // Each object is reconciled when its own check is due, as the work queue would.
    const round = async (): Promise<void> => {
      const end = h.clock.now() + 70_000;
      for (;;) {
        const [name, at] = [...due].sort((a, b) => a[1] - b[1])[0]!;
        if (at > end) return;
        h.clock.t = Math.max(h.clock.t, at);
        due.set(name, h.clock.now() + ((await h.reconcile(name)) as { requeueAfter: number }).requeueAfter);
      }
    };
    const writes = h.kube.statusWrites;
    const calls = h.cloud.count();
    await round();
    await round();
    await round();
    // One listing per round at most (3 pages each), and after the first the checks are aligned on it.
    const lists = h.cloud.count('list');
    expect(h.cloud.count() - calls).toBe(lists);
    expect(lists).toBe(3 * 3);
    expect(h.kube.statusWrites).toBe(writes);

    // Drift the listing shows is corrected; a resource it does not show is looked up, and recreated.
    const drifted = h.kube.get('w3').status!.id!;
    const deleted = h.kube.get('w7').status!.id!;
    h.cloud.widgets.get(drifted)!.size = 9;
    h.cloud.widgets.delete(deleted);
    await round();
    expect(h.cloud.widgets.get(drifted)!.size).toBe(1);
    expect(h.cloud.calls.filter((c) => c.op === 'get').map((c) => c.detail)).toEqual([deleted]);
    expect(h.kube.get('w7').status!.id).not.toBe(deleted);
    expect(h.cloud.count('create')).toBe(names.length + 1);
  });

  it('after a restart, objects whose lastSyncTime is an hour old are checked spread over one period, not all at once', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const name of names) {
      h.kube.create(name, { resource: {} });
      await h.reconcile(name);
    }
    const h2 = harness({ resyncPeriodMs: 60_000 });
    for (const name of names) h2.kube.cache.upsert(h.kube.get(name));
    h2.provider.lookup = { ready: true, client: h.cloud };
    h2.clock.t = h.clock.t + 3_000_000;
    const calls = h.cloud.count();
    const waits = [];
    for (const name of names) waits.push(((await h2.reconcile(name)) as { requeueAfter?: number }).requeueAfter ?? 0);
    const checkedNow = h.cloud.count() - calls;
    expect(checkedNow).toBeLessThan(names.length);
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(60_000);
    expect(new Set(waits.filter((w) => w > 0)).size).toBe(names.length - checkedNow);
  });

  it('a restart (fresh reconciler, same status) trusts lastSyncTime: no cloud call', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    const calls = h.cloud.count();
    const h2 = harness();
    h2.kube.cache.upsert(h.kube.get('a'));
    h2.provider.lookup = { ready: true, client: h.cloud };
    h2.clock.t = h.clock.t + 1000;
    await h2.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
  });

  it('a reconcile woken by the echo of its own earlier write acts on what it wrote last', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    h.kube.lagging = true;
    await h.reconcile('a');
    const latest = h.kube.history.at(-1)!;
    // The informer delivers the first status write (the id, not yet Ready) after the reconcile finished.
    const echo = h.kube.history.find((o) => o.status !== undefined)!;
    h.kube.cache.upsert(echo);
    const calls = h.cloud.count();
    const writes = h.kube.statusWrites;
    await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
    expect(h.kube.statusWrites).toBe(writes);
    // Once the cache shows the latest version (or anything newer), it is used again.
    h.kube.cache.upsert(latest);
    await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
  });

  it('never requeues a Ready object sooner than half its resync period', async () => {
    const h = harness({ resyncPeriodMs: 1000 });
    h.kube.create('a', { resource: {} });
    h.clock.advance(999); // lastSyncTime is truncated to the second
    for (let i = 0; i < 3; i++) {
      const result = (await h.reconcile('a')) as { requeueAfter: number };
      expect(result.requeueAfter).toBeGreaterThanOrEqual(500);
      h.clock.advance(result.requeueAfter);
    }
    expect(h.cloud.count('create')).toBe(1);
  });

  it('takes a resync period longer than a timer can hold in steps of at most a day', async () => {
    const h = harness();
    h.kube.create('a', { resyncPeriod: '2000h', resource: {} });
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 86_400_000, routine: true });
    h.clock.advance(86_400_000);
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 86_400_000, routine: true });
    expect(h.cloud.count('get')).toBe(0);
  });

  it('corrects drift on resync and sends only the changed fields after a spec change', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.kube.create('a', { resource: { size: 2 } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.size = 5; // out of band
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.cloud.calls.filter((c) => c.op === 'update').map((c) => c.detail)).toEqual([{ id: 'w-1', patch: { size: 2 } }]);
    expect(h.cloud.widgets.get('w-1')!.size).toBe(2);

    h.kube.editSpec('a', (spec) => (spec.resource = { size: 3, name: 'renamed' }));
    await h.reconcile('a');
    expect(h.cloud.calls.filter((c) => c.op === 'update').at(-1)?.detail).toEqual({ id: 'w-1', patch: { size: 3, name: 'renamed' } });
    expect(h.kube.get('a').status?.observedGeneration).toBe(2);
    expect(h.kube.events.map((e) => e.reason)).toEqual(['Created', 'Updated', 'Updated']);
  });

  it('keeps tags as a set: ownership tags + user tags, extra ones removed', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    const obj = h.kube.create('a', { resource: { tags: ['x'] } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.tags.push('stray');
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.cloud.widgets.get('w-1')!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${obj.metadata.uid}`, 'x']);
    expect(h.cloud.count('update')).toBe(0);
  });

  it("polls on the adapter's schedule while the cloud is still building, then goes Ready", async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    const originalCreate = h.cloud.add.bind(h.cloud);
    h.cloud.add = (w) => originalCreate({ ...w, state: 'BUILD' });
    // Every poll after the same delay: the adapter's, not a growing error backoff.
    for (let i = 0; i < 3; i++) expect(await h.reconcile('a')).toEqual({ requeueAfter: WIDGET_POLL_MS });
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'WaitingForCloud' });
    expect(cond(h.kube.get('a'), 'Reconciling')).toMatchObject({ status: 'True', reason: 'WaitingForCloud' });
    h.cloud.widgets.get('w-1')!.state = 'ACTIVE';
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True', reason: 'Available' });
    expect(h.cloud.count('create')).toBe(1);
  });

  it('recreates a resource deleted outside the operator', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    h.cloud.widgets.clear();
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.cloud.count('create')).toBe(2);
    expect(h.kube.get('a').status?.id).toBe('w-2');
    expect(h.kube.events.map((e) => e.reason)).toEqual(['Created', 'Recreating', 'Created']);
  });

  it('a resource found gone is recreated, although a listing from before still shows it', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.kube.create('a', { resource: {} });
    h.kube.create('b', { resource: {} });
    await h.reconcile('a');
    await h.reconcile('b');
    const gone = h.kube.get('a').status!.id!;
    // b's drift check lists both; then a's resource goes and a's spec changes (observed by id).
    h.clock.advance(70_000);
    await h.reconcile('b');
    expect(h.cloud.count('list')).toBe(1);
    h.cloud.widgets.delete(gone);
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
    await h.reconcile('a');
    expect(h.kube.get('a').status!.id).not.toBe(gone);
    expect(h.cloud.widgets.get(h.kube.get('a').status!.id!)).toMatchObject({ size: 2 });
    expect(h.kube.events.filter((e) => e.name === 'a').map((e) => e.reason)).toEqual(['Created', 'Recreating', 'Created']);
  });
});

describe('ManagedReconciler: crash-safe create', () => {
  it('a create whose answer was lost is found again by its ownership tag, not created twice', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    h.cloud.fail('create', 'transient', { lose: true });
    const result = await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'TransientError' });
    // The tags went in the create request: the tag finds it, no intent is needed.
    expect(h.kube.get('a').status?.pendingCreate).toBeUndefined();
    expect((result as { requeueAfter: number }).requeueAfter).toBeGreaterThanOrEqual(1000);
    await h.reconcile('a');
    expect(h.cloud.count('create')).toBe(1);
    expect(h.cloud.widgets.size).toBe(1);
    expect(h.kube.get('a').status).toMatchObject({ id: 'w-1' });
    expect(h.kube.get('a').status?.pendingCreate).toBeUndefined();
    expect(h.kube.events.map((e) => e.reason)).toEqual(['TransientError', 'Adopted']);
  });

  it('after a restart, the objects whose creates an earlier process sent are looked up by one listing, not a call each', async () => {
    const h = harness();
    // Another process's attempts (hence the finalizers): for ten, the cloud made the resource and the status write was lost.
    const names = Array.from({ length: 25 }, (_, i) => `o${i}`);
    for (const [i, name] of names.entries()) {
      const obj = h.kube.create(name, { resource: {} }, { attempted: true });
      if (i < 10) h.cloud.add({ name, tags: ['cloudnet-managed', `cloudnet-uid:${obj.metadata.uid}`] });
    }
    // The first adoption's status write fails: its retry finds the resource in the listing again.
    const { patchStatus } = h.kube.writer;
    let refuse = true;
    h.kube.writer.patchStatus = async (obj, compute) => {
      const patch = compute(obj) as { id?: string } | undefined;
      if (refuse && patch?.id) {
        refuse = false;
        throw Object.assign(new Error('the API server is unavailable'), { code: 'ECONNREFUSED' });
      }
      return patchStatus(obj, compute);
    };
    await expect(h.reconcile('o0')).rejects.toThrow('unavailable');
    for (const name of names) await h.reconcile(name);
    expect(h.cloud.calls.filter((c) => c.op === 'list')).toEqual([{ op: 'list', detail: { managed: true, page: 0 } }]);
    expect(h.cloud.count('create')).toBe(15);
    expect(new Set(h.kube.events.filter((e) => e.reason === 'Adopted').map((e) => e.name)).size).toBe(10);
    expect(new Set(names.map((name) => h.kube.get(name).status?.id)).size).toBe(25);
    expect(h.cloud.widgets.size).toBe(25);

    // A create this process sent whose answer was lost may be missing from that listing: it is looked up on its own.
    h.kube.create('late', { resource: {} });
    h.cloud.fail('create', 'transient', { lose: true });
    await h.reconcile('late');
    await h.reconcile('late');
    expect(h.cloud.calls.filter((c) => c.op === 'list').slice(1)).toEqual([{ op: 'list', detail: { tag: `cloudnet-uid:${h.kube.get('late').metadata.uid}` } }]);
    expect(h.cloud.count('create')).toBe(16);
    expect(h.kube.get('late').status?.id).toBeDefined();
  });

  it('keeps one of several resources carrying its tag and deletes the extras', async () => {
    const h = harness();
    // Earlier attempts (hence the finalizer) made them, their answers lost.
    const obj = h.kube.create('a', { resource: {} }, { attempted: true });
    const tags = ['cloudnet-managed', `cloudnet-uid:${obj.metadata.uid}`];
    h.cloud.add({ name: 'a', tags, created_at: '2026-01-01T00:00:01Z' });
    h.cloud.add({ name: 'a', tags, created_at: '2026-01-01T00:00:00Z' });
    await h.reconcile('a');
    expect([...h.cloud.widgets.keys()]).toEqual(['w-2']);
    expect(h.kube.get('a').status?.id).toBe('w-2');
    expect(h.cloud.count('create')).toBe(0);
  });

  it('without tags at creation, adopts the single untagged resource named as intended and created since the intent', async () => {
    const h = harness();
    h.cloud.tagsOnCreate = false;
    const obj = h.kube.create('a', { resource: { tags: ['x'] } });
    h.cloud.add({ name: 'a', created_at: '2025-12-31T23:00:00Z' }); // an older namesake: not ours
    h.cloud.add({ name: 'a', tags: ['keep-me'] }); // a recent namesake with tags (e.g. orphaned): not ours either
    h.cloud.fail('create', 'transient', { lose: true });
    await h.reconcile('a');
    expect(h.cloud.widgets.size).toBe(3);
    await h.reconcile('a');
    expect(h.cloud.count('create')).toBe(1);
    expect(h.kube.get('a').status?.id).toBe('w-3');
    expect(h.cloud.widgets.get('w-3')!.tags).toEqual(['cloudnet-managed', `cloudnet-uid:${obj.metadata.uid}`, 'x']);
    expect(h.cloud.widgets.get('w-1')!.tags).toEqual([]);
    expect(h.cloud.widgets.get('w-2')!.tags).toEqual(['keep-me']);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
  });

  for (const skewMs of [-5 * 60_000, 5 * 60_000]) {
    it(`with the cloud's clock ${skewMs < 0 ? 'behind' : 'ahead'} by 5 minutes, matches created_at in the cloud's time`, async () => {
      const h = harness();
      h.cloud.tagsOnCreate = false;
      h.cloud.clockSkewMs = skewMs;
      h.cloud.knownClockOffsetMs = skewMs - 700; // learnt from Date headers: truncated, read late
      h.kube.create('a', { resource: {} });
      h.cloud.add({ name: 'a', created_at: stamp(h.clock.now() + skewMs - 10_000) }); // a namesake from 10 s before: not ours
      h.cloud.fail('create', 'transient', { lose: true });
      await h.reconcile('a');
      await h.reconcile('a');
      expect(h.cloud.count('create')).toBe(1);
      expect(h.kube.get('a').status?.id).toBe('w-2');
      expect(h.cloud.widgets.get('w-1')!.tags).toEqual([]);
      expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
    });
  }

  it('adopts none of several untagged candidates: Stalled with their ids', async () => {
    const h = harness();
    h.cloud.tagsOnCreate = false;
    h.kube.create('a', { resource: {} });
    h.cloud.fail('create', 'transient', { lose: true });
    await h.reconcile('a');
    h.cloud.add({ name: 'a' });
    await h.reconcile('a');
    const w = h.kube.get('a');
    expect(cond(w, 'Stalled')).toMatchObject({ status: 'True', reason: 'AdoptionAmbiguous' });
    expect(ready(w)?.message).toContain('w-1, w-2');
    expect(h.cloud.count('create')).toBe(1);
  });

  it('a failed tag call after the create records the created id at once', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    const create = h.cloud.call.bind(h.cloud);
    h.cloud.call = (op, detail, apply) => {
      if (op !== 'create') return create(op, detail, apply);
      const created = create(op, detail, apply) as { id: string };
      throw createdIdError(created.id);
    };
    await h.reconcile('a');
    expect(h.kube.get('a').status?.id).toBe('w-1');
    h.cloud.call = create;
    await h.reconcile('a');
    expect(h.cloud.count('create')).toBe(1);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
  });
});

function createdIdError(id: string): CloudError {
  return new CloudError({ provider: 'fake', service: 'widgets', operation: 'tags', status: 503, code: 'HTTP503', message: 'tagging failed', kind: 'transient', createdId: id });
}

describe('ManagedReconciler: import and ObserveOnly', () => {
  it('imports by id (Managed): adopted, tagged, and deleted with the object', async () => {
    const h = harness();
    h.cloud.add({ name: 'existing', tags: ['keep'] });
    const obj = h.kube.create('a', { import: { id: 'w-1' }, resource: { name: 'existing' } });
    await h.reconcile('a');
    expect(h.kube.get('a').status?.id).toBe('w-1');
    expect(h.cloud.count('create')).toBe(0);
    expect(h.cloud.widgets.get('w-1')!.tags).toEqual(['cloudnet-managed', `cloudnet-uid:${obj.metadata.uid}`]);
    expect(h.kube.events.map((e) => e.reason)).toEqual(['Adopted', 'Updated']);
    h.kube.delete('a');
    await h.reconcile('a');
    expect(h.cloud.widgets.size).toBe(0);
  });

  it('an imported resource keeps its cloud name unless spec.resource.name sets one', async () => {
    const h = harness();
    h.cloud.add({ name: 'legacy-name' });
    h.kube.create('a', { import: { id: 'w-1' }, resource: { size: 1 } });
    await h.reconcile('a');
    expect(h.cloud.widgets.get('w-1')!.name).toBe('legacy-name');
    expect(h.cloud.count('update')).toBe(0);
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 1, name: 'new-name' }));
    await h.reconcile('a');
    expect(h.cloud.widgets.get('w-1')!.name).toBe('new-name');
  });

  it('import by filter: none -> ImportNotFound with backoff; several -> ImportAmbiguous; one -> adopted', async () => {
    const h = harness();
    h.kube.create('a', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'ext' } } });
    const none = await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'ImportNotFound' });
    expect((none as { requeueAfter: number }).requeueAfter).toBeGreaterThanOrEqual(1000);
    h.cloud.add({ name: 'ext' });
    h.cloud.add({ name: 'ext' });
    await h.reconcile('a');
    expect(cond(h.kube.get('a'), 'Stalled')).toMatchObject({ status: 'True', reason: 'ImportAmbiguous' });
    expect(ready(h.kube.get('a'))?.message).toContain('w-1, w-2');
    const calls = h.cloud.count();
    await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls); // held like any Stalled state until the spec changes or a resync
    h.cloud.widgets.delete('w-2');
    h.kube.editSpec('a', () => undefined);
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True', reason: 'Available' });
    expect(h.kube.get('a').status?.id).toBe('w-1');
  });

  it('ObserveOnly never changes, tags or deletes the resource', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.cloud.add({ name: 'ext', size: 7 });
    h.kube.create('a', { managementPolicy: 'ObserveOnly', import: { id: 'w-1' } });
    await h.reconcile('a');
    h.cloud.widgets.get('w-1')!.size = 8;
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.kube.get('a').status?.resource).toEqual({ name: 'ext', size: 8, state: 'ACTIVE' });
    h.kube.delete('a');
    await h.reconcile('a');
    expect(h.kube.cache.get('ns', 'a')).toBeUndefined();
    expect(h.cloud.count('update') + h.cloud.count('tags') + h.cloud.count('delete') + h.cloud.count('create')).toBe(0);
    expect(h.cloud.widgets.get('w-1')).toMatchObject({ tags: [], size: 8 });
  });

  it('ObserveOnly reports a resource that disappeared (NotFound) and keeps checking', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.cloud.add({ name: 'ext' });
    h.kube.create('a', { managementPolicy: 'ObserveOnly', import: { id: 'w-1' } });
    await h.reconcile('a');
    h.cloud.widgets.clear();
    h.clock.advance(70_000);
    const result = await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'NotFound' });
    expect(result).toMatchObject({ requeueAfter: expect.any(Number) });
    expect(h.cloud.count('create')).toBe(0);
  });
});

describe('ManagedReconciler: errors', () => {
  it('an import whose marks the cloud forbids (403: a resource of another project) stalls at once with ImportNotManageable, pointing to ObserveOnly', async () => {
    const h = harness();
    const theirs = h.cloud.add({ name: 'theirs' });
    h.kube.create('a', { import: { id: theirs.id }, resource: {} });
    h.cloud.fail('tags', 'terminal', { status: 403, message: 'rule:update_widget is disallowed by policy', times: Infinity });
    expect(await h.reconcile('a')).toMatchObject({ failure: { class: 'configuration', reason: 'ImportNotManageable' } });
    expect(cond(h.kube.get('a'), 'Stalled')).toMatchObject({ status: 'True', reason: 'ImportNotManageable' });
    expect(ready(h.kube.get('a'))?.message).toMatch(/403 .*disallowed by policy; the cloud does not let this project change the imported Widget: .*managementPolicy: ObserveOnly$/);
    const calls = h.cloud.count('tags');
    for (let i = 0; i < 3; i++) await h.reconcile('a');
    expect(h.cloud.count('tags')).toBe(calls);
  });

  it('a terminal error stalls with the cloud message and is not retried until the spec changes', async () => {
    const h = harness({ resyncPeriodMs: 600_000 });
    h.kube.create('a', { resource: {} });
    h.cloud.fail('create', 'terminal', { message: "Invalid input for size: 'huge'" });
    const result = await h.reconcile('a');
    const w = h.kube.get('a');
    expect(cond(w, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidConfiguration' });
    expect(ready(w)?.message).toContain("Invalid input for size: 'huge'");
    expect(cond(w, 'Reconciling')).toBeUndefined();
    expect(w.status?.pendingCreate).toBeUndefined();
    expect(h.kube.events.filter((e) => e.type === 'Warning').map((e) => e.reason)).toEqual(['InvalidConfiguration']);
    expect(result).toEqual({ requeueAfter: 600_000, failure: { class: 'terminal', reason: 'InvalidConfiguration' } });
    const calls = h.cloud.count();
    for (let i = 0; i < 3; i++) await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 1 }));
    await h.reconcile('a');
    expect(h.cloud.count('create')).toBe(2);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
    expect(cond(h.kube.get('a'), 'Stalled')).toBeUndefined();
  });

  it('transient errors back off exponentially and honour Retry-After', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.cloud.fail('create', 'transient');
      delays.push(((await h.reconcile('a')) as { requeueAfter: number }).requeueAfter);
    }
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
    expect(delays[3]).toBeGreaterThanOrEqual(4000);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'TransientError' });
    expect(cond(h.kube.get('a'), 'Reconciling')).toMatchObject({ status: 'True' });
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
    // Four refused creates (no answer), then the one that succeeds after finding nothing by its tags.
    expect(h.cloud.count('create')).toBe(5);
    expect(h.cloud.widgets.size).toBe(1);
  });

  it('Retry-After is a floor for the next attempt', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    h.cloud.fail('create', 'transient', { retryAfterMs: 30_000, status: 429 });
    expect(await h.reconcile('a')).toEqual({ requeueAfter: 30_000, failure: { class: 'transient', reason: 'TransientError' } });
  });

  it('quota: Stalled QuotaExceeded, retried slowly', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    h.cloud.fail('create', 'quota', { message: 'Quota exceeded for resources: [widget].' });
    const result = (await h.reconcile('a')) as { requeueAfter: number };
    expect(cond(h.kube.get('a'), 'Stalled')).toMatchObject({ reason: 'QuotaExceeded' });
    expect(result.requeueAfter).toBeGreaterThanOrEqual(60_000);
    expect(await h.reconcile('a')).toMatchObject({ requeueAfter: expect.any(Number) });
    expect(h.cloud.count('create')).toBe(1);
  });

  it('quota: the objects refused share one probe a period, make no call meanwhile, and follow in order once quota frees', async () => {
    const h = harness();
    const names = ['q0', 'q1', 'q2', 'q3', 'q4'];
    for (const name of names) h.kube.create(name, { resource: {} });
    h.cloud.fail('create', 'quota', { message: 'Quota exceeded for resources: [widget].', times: 1000 });
    const due = new Map<string, number>();
    const run = async (name: string) => due.set(name, h.clock.now() + (((await h.reconcile(name)) as { requeueAfter?: number }).requeueAfter ?? Infinity));
    for (const name of names) await run(name);
    // The first was refused; the others wait behind it without sending anything.
    expect(h.cloud.count('create')).toBe(1);
    for (const name of names) expect(cond(h.kube.get(name), 'Stalled')).toMatchObject({ reason: 'QuotaExceeded', message: expect.stringContaining('Quota exceeded for resources: [widget].') });
    // Ten minutes of objects coming back when they asked to: one probe a minute for all five.
    const drive = async (until: number) => {
      for (;;) {
        const [name, at] = [...due].sort((a, b) => a[1] - b[1])[0]!;
        if (at > until) return;
        h.clock.t = Math.max(h.clock.t, at);
        await run(name);
      }
    };
    const start = h.clock.now();
    await drive(start + 600_000);
    const probes = h.cloud.count('create');
    expect(probes).toBeGreaterThanOrEqual(9);
    expect(probes).toBeLessThanOrEqual(12);
    // Quota frees: the next probe goes through and the others follow, in the order they came.
    h.cloud.clearFaults();
    await drive(h.clock.now() + 70_000);
    expect(h.cloud.count('create')).toBe(probes + names.length);
    for (const name of names) expect(cond(h.kube.get(name), 'Ready')).toMatchObject({ status: 'True' });
    const order = h.cloud.calls.filter((c) => c.op === 'create').slice(probes).map((c) => (c.detail as { name: string }).name);
    expect(order.slice(1)).toEqual(names.filter((n) => n !== order[0]));
  });

  it('a stale revision is refetched and the update retried once', async () => {
    const h = harness();
    h.kube.create('a', { resource: { size: 1 } });
    await h.reconcile('a');
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 4 }));
    h.cloud.fail('update', 'staleRevision');
    await h.reconcile('a');
    expect(h.cloud.count('update')).toBe(2);
    expect(h.cloud.widgets.get('w-1')!.size).toBe(4);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
  });

  it('conditional updates: a spec change is one update call, diffed against the last observation; a stale one is refused and reread', async () => {
    const h = harness({ adapter: { ...widgetAdapter, conditionalUpdate: true } });
    h.cloud.conditionalUpdates = true;
    h.kube.create('a', { resource: { size: 1 } });
    await h.reconcile('a');
    const calls = h.cloud.calls.length;
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 2 }));
    await h.reconcile('a');
    expect(h.cloud.calls.slice(calls).map((c) => c.op)).toEqual(['update']);
    expect(h.kube.get('a').status?.resource).toMatchObject({ size: 2 });

    // Changed outside since: the update carries the old revision, is refused, and the widget is read afresh.
    h.cloud.widgets.get('w-1')!.revision += 1;
    h.cloud.widgets.get('w-1')!.name = 'renamed by hand';
    h.kube.editSpec('a', (spec) => (spec.resource = { size: 3 }));
    const before = h.cloud.calls.length;
    await h.reconcile('a');
    expect(h.cloud.calls.slice(before).map((c) => c.op)).toEqual(['update', 'get', 'update']);
    expect(h.cloud.widgets.get('w-1')).toMatchObject({ size: 3, name: 'a' });
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
  });
});

describe('ManagedReconciler: waiting', () => {
  it('ProviderNotReady and WaitingForDependency name what they wait for and make no cloud call', async () => {
    const h = harness();
    h.provider.lookup = { ready: false, message: 'ProviderConfig ns/cloud does not exist' };
    h.kube.create('child', { resource: { parentRef: { name: 'parent' } } });
    expect(await h.reconcile('child')).toEqual({ failure: { class: 'waiting', reason: 'ProviderNotReady' } });
    expect(ready(h.kube.get('child'))).toMatchObject({ status: 'False', reason: 'ProviderNotReady', message: 'ProviderConfig ns/cloud does not exist' });
    h.provider.lookup = { ready: true, client: h.cloud };
    expect(await h.reconcile('child')).toEqual({ failure: { class: 'waiting', reason: 'WaitingForDependency' } });
    expect(ready(h.kube.get('child'))).toMatchObject({ reason: 'WaitingForDependency', message: 'waiting for Widget ns/parent (parentRef) does not exist' });
    expect(h.cloud.count()).toBe(0);
    expect(h.kube.get('child').metadata.finalizers).toBeUndefined();
    h.kube.create('parent', { resource: {} });
    await h.reconcile('parent');
    await h.reconcile('child');
    expect(ready(h.kube.get('child'))).toMatchObject({ status: 'True' });
    expect(h.cloud.widgets.get('w-2')!.parent_id).toBe('w-1');
  });

  it('an object of another provider stalls with InvalidConfiguration', async () => {
    const h = harness();
    h.provider.lookup = { ready: false, otherProvider: 'exoscale' };
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    expect(cond(h.kube.get('a'), 'Stalled')).toMatchObject({ reason: 'InvalidConfiguration' });
  });
});

describe('ManagedReconciler: deletion', () => {
  it('waits while dependents exist, then deletes in the cloud (one DELETE, nothing looked up) and drops the finalizer', async () => {
    const h = harness();
    h.kube.create('parent', { resource: {} });
    await h.reconcile('parent');
    h.kube.create('child', { resource: { parentRef: { name: 'parent' } } });
    await h.reconcile('child');
    h.kube.delete('parent');
    const calls = h.cloud.count();
    await h.reconcile('parent');
    expect(ready(h.kube.get('parent'))).toMatchObject({ status: 'False', reason: 'DeleteBlocked', message: 'waiting for Widget ns/child to be deleted' });
    expect(h.cloud.count()).toBe(calls);
    h.kube.delete('child');
    await h.reconcile('child');
    expect(h.kube.cache.get('ns', 'child')).toBeUndefined();
    const before = h.cloud.count();
    await h.reconcile('parent');
    expect(h.kube.cache.get('ns', 'parent')).toBeUndefined();
    expect(h.cloud.calls.slice(before).map((c) => c.op)).toEqual(['delete']);
    expect(h.cloud.widgets.size).toBe(0);
    expect(h.kube.events.filter((e) => e.reason === 'Deleted').map((e) => e.name)).toEqual(['child', 'parent']);
  });

  it('"in use" errors while deleting are retried with backoff', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    h.kube.delete('a');
    h.cloud.fail('delete', 'transient', { message: 'Unable to complete operation on network: in use', status: 409 });
    const result = (await h.reconcile('a')) as { requeueAfter: number };
    expect(result.requeueAfter).toBeGreaterThanOrEqual(1000);
    expect(ready(h.kube.get('a'))).toMatchObject({ reason: 'TransientError' });
    await h.reconcile('a');
    expect(h.kube.cache.get('ns', 'a')).toBeUndefined();
    expect(h.cloud.widgets.size).toBe(0);
  });

  it('deletes what a lost status write left behind (found by tag) before dropping the finalizer', async () => {
    const h = harness();
    h.kube.create('a', { resource: {} });
    h.cloud.fail('create', 'transient', { lose: true });
    await h.reconcile('a');
    h.kube.delete('a');
    await h.reconcile('a');
    expect(h.kube.cache.get('ns', 'a')).toBeUndefined();
    expect(h.cloud.widgets.size).toBe(0);
  });

  it('Orphan removes only the operator tags and leaves the resource', async () => {
    const h = harness();
    h.kube.create('a', { deletionPolicy: 'Orphan', resource: { tags: ['mine'] } });
    await h.reconcile('a');
    h.kube.delete('a');
    await h.reconcile('a');
    expect(h.kube.cache.get('ns', 'a')).toBeUndefined();
    expect(h.cloud.widgets.get('w-1')).toMatchObject({ tags: ['mine'] });
    expect(h.cloud.count('delete')).toBe(0);
    expect(h.kube.events.map((e) => e.reason)).toContain('Orphaned');
  });

  it('an object that never reached the cloud has no finalizer and goes at once', async () => {
    const h = harness();
    h.provider.lookup = { ready: false, message: 'ProviderConfig ns/cloud does not exist' };
    h.kube.create('a', { resource: {} });
    await h.reconcile('a');
    h.kube.delete('a');
    expect(h.kube.cache.get('ns', 'a')).toBeUndefined();
  });
});
