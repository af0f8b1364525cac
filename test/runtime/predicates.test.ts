import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { changedBeyondOwnWrites, viewChanged } from '../../src/runtime/predicates.ts';

const OURS = 'cloudnet.io/finalizer';
const changed = changedBeyondOwnWrites(OURS);

type Obj = KubernetesObject & { spec?: unknown; status?: unknown; data?: unknown };
const base: Obj = {
  metadata: { name: 'a', namespace: 'ns', resourceVersion: '1', generation: 1, finalizers: [OURS], labels: { app: 'x' }, managedFields: [] },
  spec: { size: 1 },
  status: { id: 'x' },
};
const edit = (mutate: (o: Obj) => void): Obj => {
  const copy = structuredClone(base);
  copy.metadata!.resourceVersion = '2';
  mutate(copy);
  return copy;
};

describe('changedBeyondOwnWrites', () => {
  it('ignores what the operator writes itself: status, its finalizer, and what every write changes', () => {
    expect(changed(base, edit((o) => (o.status = { id: 'x', conditions: [{ type: 'Ready' }] })))).toBe(false);
    expect(changed(base, edit((o) => (o.metadata!.finalizers = [])))).toBe(false);
    expect(changed(edit((o) => delete o.metadata!.finalizers), base)).toBe(false);
    expect(changed(base, edit((o) => (o.metadata!.managedFields = [{ manager: 'cloudnet-operator' }])))).toBe(false);
  });

  it('sees everything else: spec, labels, annotations, deletion, another finalizer, data', () => {
    expect(changed(base, edit((o) => ((o.spec = { size: 2 }), (o.metadata!.generation = 2))))).toBe(true);
    expect(changed(base, edit((o) => (o.metadata!.labels = { app: 'y' })))).toBe(true);
    expect(changed(base, edit((o) => (o.metadata!.annotations = { touched: 'now' })))).toBe(true);
    expect(changed(base, edit((o) => (o.metadata!.deletionTimestamp = new Date(0))))).toBe(true);
    expect(changed(base, edit((o) => o.metadata!.finalizers!.push('foregroundDeletion')))).toBe(true);
    expect(changed(base, edit((o) => (o.data = { password: 'c2VjcmV0' })))).toBe(true);
  });
});

describe('viewChanged', () => {
  it('compares only the view', () => {
    const byId = viewChanged((o) => (o as Obj & { status?: { id?: string } }).status?.id);
    expect(byId(base, edit((o) => (o.status = { id: 'x', message: 'new' })))).toBe(false);
    expect(byId(base, edit((o) => (o.status = { id: 'y' })))).toBe(true);
  });
});
