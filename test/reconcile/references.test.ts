import { describe, expect, it } from 'vitest';
import { getCondition } from '../../src/runtime/conditions.ts';
import { resolvedRefs } from '../../src/reconcile/adapter.ts';
import { BLOCKING_REFERENCES_INDEX, REFERENCES_INDEX } from '../../src/reconcile/kube.ts';
import { harness, type Harness, type Widget } from './fakes.ts';

const ready = (w: Widget) => getCondition(w.status?.conditions, 'Ready');
const widget = (h: Harness, name: string) => h.cloud.widgets.get(h.kube.get(name).status!.id!)!;

/** Marks an object not Ready (as its own reconciler would on a transient error), keeping its id. */
function notReady(h: Harness, name: string): void {
  const obj = structuredClone(h.kube.get(name));
  obj.status!.conditions = [{ type: 'Ready', status: 'False', reason: 'TransientError', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }];
  h.kube.cache.upsert(obj);
}

describe('resolvedRefs', () => {
  it('id throws for what is not resolved, find answers undefined, withOwnId resolves the object itself', () => {
    const refs = resolvedRefs(new Map([['Widget/p', 'w-1']]), 'Widget/self');
    expect(refs.id('Widget', 'p')).toBe('w-1');
    expect(refs.find('Widget', 'q')).toBeUndefined();
    expect(() => refs.id('Widget', 'self')).toThrow(/not resolved/);
    const own = refs.withOwnId('w-9');
    expect(own.id('Widget', 'self')).toBe('w-9');
    expect(own.id('Widget', 'p')).toBe('w-1');
    expect(refs.find('Widget', 'self')).toBeUndefined();
  });
});

describe('ManagedReconciler: a reference to the object itself', () => {
  it('resolves to the new id in the create and to the observed id after, without waiting for itself', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.kube.create('a', { resource: { peerRefs: [{ name: 'a' }] } });
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True', reason: 'Available' });
    expect(widget(h, 'a').peer_ids).toEqual(['w-1']);
    expect(h.cloud.count('update')).toBe(0);

    // Drift: the diff resolves it to the observed id.
    widget(h, 'a').peer_ids = [];
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.cloud.calls.filter((c) => c.op === 'update').map((c) => c.detail)).toEqual([{ id: 'w-1', patch: { peer_ids: ['w-1'] } }]);

    // Recreated out of band: the new id, never the recorded one.
    h.cloud.widgets.clear();
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(h.kube.get('a').status?.id).toBe('w-2');
    expect(widget(h, 'a').peer_ids).toEqual(['w-2']);
  });

  it('does not keep the object from being deleted', async () => {
    const h = harness();
    h.kube.create('a', { resource: { parentRef: { name: 'a' } } });
    expect(h.kube.cache.byIndex(BLOCKING_REFERENCES_INDEX, 'Widget/ns/a')).toEqual([]);
  });
});

describe('ManagedReconciler: non-blocking references', () => {
  it('creates without them, waits for them (no cloud call while nothing changes), and resolves them once they have an id', async () => {
    const h = harness({ resyncPeriodMs: 60_000 });
    h.kube.create('a', { resource: { size: 2, peerRefs: [{ name: 'b' }] } });
    // Otherwise in sync: the drift check comes at the resync.
    expect(await h.reconcile('a')).toEqual({ requeueAfter: expect.any(Number), routine: true, failure: { class: 'waiting', reason: 'WaitingForDependency' } });
    const a = h.kube.get('a');
    expect(a.status?.id).toBe('w-1');
    expect(widget(h, 'a')).toMatchObject({ size: 2, peer_ids: [] });
    expect(ready(a)).toMatchObject({ status: 'False', reason: 'WaitingForDependency', message: 'waiting for Widget ns/b (peerRefs[0]) does not exist; Widget w-1 is otherwise in sync' });
    expect(getCondition(a.status?.conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'WaitingForDependency' });
    expect(a.status?.observedGeneration).toBe(1);

    // Woken by unrelated events: nothing changed, nothing to do.
    const calls = h.cloud.count();
    const writes = h.kube.statusWrites;
    for (let i = 0; i < 3; i++) await h.reconcile('a');
    expect(h.cloud.count()).toBe(calls);
    expect(h.kube.statusWrites).toBe(writes);

    // The resync corrects drift meanwhile.
    widget(h, 'a').size = 5;
    h.clock.advance(70_000);
    await h.reconcile('a');
    expect(widget(h, 'a').size).toBe(2);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'WaitingForDependency' });

    // b names a back: a is not Ready, but it has an id, which is all b needs.
    h.kube.create('b', { resource: { peerRefs: [{ name: 'a' }] } });
    await h.reconcile('b');
    expect(ready(h.kube.get('b'))).toMatchObject({ status: 'True' });
    expect(widget(h, 'b').peer_ids).toEqual(['w-1']);
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True', reason: 'Available' });
    expect(widget(h, 'a').peer_ids).toEqual(['w-2']);
    expect(h.cloud.count('create')).toBe(2);
  });

  it('a change of what a non-blocking reference waits for is written (one more sync)', async () => {
    const h = harness();
    h.kube.create('b', { resource: {} });
    await h.reconcile('b');
    h.kube.create('a', { resource: { peerRefs: [{ name: 'b' }] } });
    await h.reconcile('a');
    expect(widget(h, 'a').peer_ids).toEqual(['w-1']);
    h.kube.delete('b');
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))?.message).toMatch(/^waiting for Widget ns\/b \(peerRefs\[0\]\) is being deleted/);
    expect(widget(h, 'a').peer_ids).toEqual([]);
    await h.reconcile('b');
    expect(h.kube.cache.get('ns', 'b')).toBeUndefined();
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))?.message).toMatch(/^waiting for Widget ns\/b \(peerRefs\[0\]\) does not exist/);
  });

  it('a blocking wait in between is not mistaken for the non-blocking one: Ready again once both resolve', async () => {
    const h = harness();
    h.kube.create('p', { resource: {} });
    await h.reconcile('p');
    h.kube.create('a', { resource: { parentRef: { name: 'p' }, peerRefs: [{ name: 'x' }] } });
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))?.message).toContain('Widget ns/x (peerRefs[0]) does not exist');
    const pReady = h.kube.get('p');
    notReady(h, 'p');
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))?.message).toBe('waiting for Widget ns/p (parentRef) is not Ready');
    h.kube.cache.upsert(pReady);
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))?.message).toContain('Widget ns/x (peerRefs[0]) does not exist');
    h.kube.create('x', { resource: {} });
    await h.reconcile('x');
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
  });

  it('objects naming each other are deleted all at once; a blocking reference still blocks', async () => {
    const h = harness();
    h.kube.create('a', { resource: { peerRefs: [{ name: 'b' }] } });
    h.kube.create('b', { resource: { peerRefs: [{ name: 'a' }] } });
    h.kube.create('c', { resource: { parentRef: { name: 'b' } } });
    for (const name of ['a', 'b', 'a', 'c']) await h.reconcile(name);
    for (const name of ['a', 'b', 'c']) expect(ready(h.kube.get(name))).toMatchObject({ status: 'True' });
    expect(h.kube.cache.byIndex(REFERENCES_INDEX, 'Widget/ns/a').map((o) => o.metadata.name)).toEqual(['b']);
    expect(h.kube.cache.byIndex(BLOCKING_REFERENCES_INDEX, 'Widget/ns/a')).toEqual([]);

    for (const name of ['a', 'b', 'c']) h.kube.delete(name);
    await h.reconcile('a');
    await h.reconcile('b');
    expect(h.kube.cache.get('ns', 'a')).toBeUndefined();
    expect(ready(h.kube.get('b'))).toMatchObject({ reason: 'DeleteBlocked', message: 'waiting for Widget ns/c to be deleted' });
    await h.reconcile('c');
    await h.reconcile('b');
    expect(h.kube.cache.get('ns', 'b')).toBeUndefined();
    expect(h.cloud.widgets.size).toBe(0);
  });
});

describe('ManagedReconciler: references of the import filter', () => {
  it('waits for them without a cloud call, passes them resolved to listForImport, and does not block their deletion', async () => {
    const h = harness();
    h.kube.create('a', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'ext', parentRef: { name: 'p' } } } });
    expect(await h.reconcile('a')).toEqual({ failure: { class: 'waiting', reason: 'WaitingForDependency' } });
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'False', reason: 'WaitingForDependency', message: 'waiting for Widget ns/p (import.filter.parentRef) does not exist' });
    expect(h.cloud.count()).toBe(0);
    expect(h.kube.cache.byIndex(REFERENCES_INDEX, 'Widget/ns/p').map((o) => o.metadata.name)).toEqual(['a']);

    h.kube.create('p', { resource: {} });
    await h.reconcile('p');
    h.cloud.add({ name: 'ext' });
    const wanted = h.cloud.add({ name: 'ext', parent_id: 'w-1' });
    await h.reconcile('a');
    expect(h.kube.get('a').status?.id).toBe(wanted.id);
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });

    // Adopted: the filter is not looked at again, and does not hold p.
    h.kube.delete('p');
    await h.reconcile('p');
    expect(h.kube.cache.get('ns', 'p')).toBeUndefined();
    h.clock.advance(3_600_000);
    await h.reconcile('a');
    expect(ready(h.kube.get('a'))).toMatchObject({ status: 'True' });
  });
});
