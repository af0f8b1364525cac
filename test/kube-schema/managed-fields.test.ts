import { describe, expect, it } from 'vitest';
import { recordUpdate, serverSideApply } from '../../dev/kube/managed-fields.ts';
import type { ApplyConflict } from '../../dev/kube/managed-fields.ts';

type Obj = Record<string, unknown>;
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';

const schema: Obj = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cidr: { type: 'string' },
        mtu: { type: 'integer' },
        description: { type: 'string' },
        dns: { type: 'array', items: { type: 'string' } },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        ports: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' }, protocol: { type: 'string' } } },
        },
      },
    },
  },
};

const subnet = (spec: Obj, metadata: Obj = {}): Obj => ({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'Subnet', metadata: { name: 'a', namespace: 'ns', ...metadata }, spec });

function apply(live: Obj | undefined, applied: Obj, manager: string, now: string, force = false): Obj {
  const result = serverSideApply(live, applied, { manager, force, now, schema });
  if ('conflicts' in result) throw new Error(`unexpected conflicts ${JSON.stringify(result.conflicts)}`);
  return result.object;
}

function conflictsOf(live: Obj, applied: Obj, manager: string): ApplyConflict[] {
  const result = serverSideApply(live, applied, { manager, force: false, now: T2, schema });
  if (!('conflicts' in result)) throw new Error('expected conflicts');
  return result.conflicts;
}

const managed = (obj: Obj) => (obj.metadata as { managedFields: Obj[] }).managedFields;

describe('serverSideApply', () => {
  it('creates the object and records the applier as owner in FieldsV1', () => {
    const created = apply(undefined, subnet({ cidr: '10.0.0.0/24', ports: [{ name: 'http', port: 80 }], tags: ['a'] }, { labels: { app: 'x' }, finalizers: ['f'] }), 'kubectl', T0);
    expect(created).toMatchObject(subnet({ cidr: '10.0.0.0/24', ports: [{ name: 'http', port: 80 }], tags: ['a'] }, { labels: { app: 'x' }, finalizers: ['f'] }));
    expect(managed(created)).toEqual([{
      manager: 'kubectl', operation: 'Apply', apiVersion: 'cloudnet.io/v1alpha1', time: T0, fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:finalizers': { 'v:"f"': {} }, 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:cidr': {},
          'f:ports': { 'k:{"name":"http"}': { '.': {}, 'f:name': {}, 'f:port': {} } },
          'f:tags': { 'v:"a"': {} },
        },
      },
    }]);
  });

  it('removes fields the same manager no longer applies', () => {
    const v1 = apply(undefined, subnet({ cidr: '10.0.0.0/24', mtu: 1500, description: 'd' }, { labels: { a: '1', b: '2' } }), 'kubectl', T0);
    const v2 = apply(v1, subnet({ cidr: '10.0.0.0/24' }, { labels: { a: '1' } }), 'kubectl', T1);
    expect(v2.spec).toEqual({ cidr: '10.0.0.0/24' });
    expect((v2.metadata as Obj).labels).toEqual({ a: '1' });
    expect(managed(v2)).toHaveLength(1);
    expect(managed(v2)[0]).toMatchObject({ time: T1, fieldsV1: { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:cidr': {} } } });
  });

  it('keeps a dropped field another manager also owns', () => {
    const v1 = apply(undefined, subnet({ cidr: '10.0.0.0/24', mtu: 1500 }), 'kubectl', T0);
    const v2 = apply(v1, subnet({ mtu: 1500 }), 'operator', T1);
    const v3 = apply(v2, subnet({ cidr: '10.0.0.0/24' }), 'kubectl', T2);
    expect(v3.spec).toEqual({ cidr: '10.0.0.0/24', mtu: 1500 });
  });

  it('reports a conflict when another manager owns a field with a different value, and none for an equal value', () => {
    const v1 = apply(undefined, subnet({ cidr: '10.0.0.0/24', mtu: 1500, ports: [{ name: 'http', port: 80 }] }), 'kubectl', T0);
    expect(conflictsOf(v1, subnet({ mtu: 9000, ports: [{ name: 'http', port: 8080 }] }), 'operator')).toEqual([
      { manager: 'kubectl', field: '.spec.mtu' },
      { manager: 'kubectl', field: '.spec.ports[name="http"].port' },
    ]);
    expect(() => apply(v1, subnet({ mtu: 1500 }), 'operator', T1)).not.toThrow();
  });

  it('with force, changes the value and transfers ownership', () => {
    const v1 = apply(undefined, subnet({ cidr: '10.0.0.0/24', mtu: 1500 }), 'kubectl', T0);
    const v2 = apply(v1, subnet({ mtu: 9000 }), 'operator', T1, true);
    expect(v2.spec).toEqual({ cidr: '10.0.0.0/24', mtu: 9000 });
    expect(managed(v2).map((e) => [e.manager, e.fieldsV1])).toEqual([
      ['kubectl', { 'f:spec': { 'f:cidr': {} } }],
      ['operator', { 'f:spec': { 'f:mtu': {} } }],
    ]);
    // kubectl no longer owns mtu: re-applying without it keeps operator's value.
    const v3 = apply(v2, subnet({ cidr: '10.0.0.0/24' }), 'kubectl', T2);
    expect(v3.spec).toEqual({ cidr: '10.0.0.0/24', mtu: 9000 });
  });

  it('merges list-map items by key and sets by value, and replaces atomic lists', () => {
    const v1 = apply(undefined, subnet({ ports: [{ name: 'http', port: 80 }], tags: ['a'], dns: ['1.1.1.1'] }), 'kubectl', T0);
    const v2 = apply(v1, subnet({ ports: [{ name: 'https', port: 443 }, { name: 'http', protocol: 'TCP' }], tags: ['b'] }), 'operator', T1);
    expect(v2.spec).toEqual({
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443 }],
      tags: ['a', 'b'],
      dns: ['1.1.1.1'],
    });
    const v3 = apply(v2, subnet({ ports: [{ name: 'http', port: 80 }], dns: ['8.8.8.8'] }), 'kubectl', T2);
    expect((v3.spec as Obj).dns).toEqual(['8.8.8.8']);
    expect((v3.spec as Obj).tags).toEqual(['b']);
    // an atomic list owned by someone else conflicts as a whole
    expect(conflictsOf(v3, subnet({ dns: ['9.9.9.9'] }), 'operator')).toEqual([{ manager: 'kubectl', field: '.spec.dns' }]);
  });

  it('removes a list-map item its only owner stops applying', () => {
    const v1 = apply(undefined, subnet({ ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53 }] }), 'kubectl', T0);
    const v2 = apply(v1, subnet({ ports: [{ name: 'http', port: 80 }] }), 'kubectl', T1);
    expect((v2.spec as Obj).ports).toEqual([{ name: 'http', port: 80 }]);
  });

  it('owns an empty list or object as a whole, and keeps it when the applier later fills it', () => {
    const v1 = apply(undefined, subnet({ ports: [], description: 'd' }), 'kubectl', T0);
    expect(managed(v1)[0]?.fieldsV1).toEqual({ 'f:spec': { 'f:description': {}, 'f:ports': {} } });
    const v2 = apply(v1, subnet({ ports: [{ name: 'http', port: 80 }], description: 'd' }), 'kubectl', T1);
    expect(v2.spec).toEqual({ ports: [{ name: 'http', port: 80 }], description: 'd' });
    const v3 = apply(v2, subnet({ description: 'd' }), 'kubectl', T2);
    expect(v3.spec).toEqual({ ports: [], description: 'd' });
  });

  it('does not track apiVersion, kind, name or namespace, and keeps server-set metadata', () => {
    const live = { ...subnet({ cidr: '10.0.0.0/24' }, { uid: 'u1', resourceVersion: '5' }) };
    const v2 = apply(live, subnet({ cidr: '10.0.0.0/24' }, { name: 'a', namespace: 'ns' }), 'kubectl', T0);
    expect(v2.metadata).toMatchObject({ name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '5' });
    expect(managed(v2)[0]?.fieldsV1).toEqual({ 'f:spec': { 'f:cidr': {} } });
  });
});

describe('recordUpdate', () => {
  it('records an Update manager for a create and takes ownership of changed fields from appliers', () => {
    const v1 = apply(undefined, subnet({ cidr: '10.0.0.0/24', mtu: 1500 }), 'kubectl', T0);
    const v2 = structuredClone(v1);
    (v2.spec as Obj).mtu = 9000;
    (v2.spec as Obj).description = 'set by hand';
    recordUpdate(v1, v2, { manager: 'kubectl-edit', now: T1, operation: 'Update' });
    expect(managed(v2).map((e) => [e.manager, e.operation, e.time, e.fieldsV1])).toEqual([
      ['kubectl', 'Apply', T0, { 'f:spec': { 'f:cidr': {} } }],
      ['kubectl-edit', 'Update', T1, { 'f:spec': { 'f:description': {}, 'f:mtu': {} } }],
    ]);
    // the applier now conflicts on mtu, which kubectl-edit owns
    expect(conflictsOf(v2, subnet({ cidr: '10.0.0.0/24', mtu: 1500 }), 'kubectl')).toEqual([{ manager: 'kubectl-edit', field: '.spec.mtu' }]);
  });

  it('owns everything of a created object, records the subresource and drops owners of removed fields', () => {
    const created = subnet({ cidr: '10.0.0.0/24' });
    recordUpdate(undefined, created, { manager: 'client', now: T0, operation: 'Update' });
    expect(managed(created)).toEqual([{ manager: 'client', operation: 'Update', apiVersion: 'cloudnet.io/v1alpha1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:cidr': {} } } }]);

    const withStatus: Obj = { ...structuredClone(created), status: { id: 'x' } };
    recordUpdate(created, withStatus, { manager: 'operator', now: T1, subresource: 'status', operation: 'Update' });
    expect(managed(withStatus)[1]).toMatchObject({ manager: 'operator', subresource: 'status', fieldsV1: { 'f:status': { 'f:id': {} } } });

    const cleared = structuredClone(withStatus);
    delete cleared.status;
    recordUpdate(withStatus, cleared, { manager: 'client', now: T2, operation: 'Update' });
    expect(managed(cleared).map((e) => e.manager)).toEqual(['client']);
  });

  it('adds no entry for a no-op update', () => {
    const v1 = subnet({ cidr: '10.0.0.0/24' });
    recordUpdate(undefined, v1, { manager: 'client', now: T0, operation: 'Update' });
    const v2 = structuredClone(v1);
    recordUpdate(v1, v2, { manager: 'other', now: T1, operation: 'Update' });
    expect(managed(v2)).toEqual(managed(v1));
  });
});

describe('serverSideApply timestamps', () => {
  it('keeps the time of a no-op re-apply and refreshes it when something changes', () => {
    const v1 = apply(undefined, subnet({ cidr: '10.0.0.0/24' }), 'kubectl', T0);
    const v2 = apply(v1, subnet({ cidr: '10.0.0.0/24' }), 'kubectl', T1);
    expect(v2).toEqual(v1);
    const v3 = apply(v2, subnet({ cidr: '10.0.1.0/24' }), 'kubectl', T2);
    expect(managed(v3)[0]?.time).toBe(T2);
  });
});
