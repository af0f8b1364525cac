import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';

const schema = compileSchema({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      default: {},
      properties: {
        mtu: { type: 'integer', default: 1500 },
        policy: { type: 'string', default: 'Delete' },
        note: { type: 'string', nullable: true, default: 'n' },
        plain: { type: 'string' },
        resource: {
          type: 'object',
          default: { adminStateUp: true },
          properties: { adminStateUp: { type: 'boolean' }, dns: { type: 'object', default: {}, properties: { ttl: { type: 'integer', default: 300 } } } },
        },
        ports: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string', default: 'x' } } } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        free: { type: 'object', additionalProperties: true },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
      },
    },
  },
});

describe('defaulting', () => {
  it('defaults absent properties, recursively inside defaulted objects', () => {
    const obj: Record<string, unknown> = { metadata: { name: 'a' } };
    schema.applyDefaults(obj);
    expect(obj.spec).toEqual({ mtu: 1500, policy: 'Delete', note: 'n', resource: { adminStateUp: true, dns: { ttl: 300 } } });
  });

  it('keeps given values and defaults inside list items and map values', () => {
    const obj: Record<string, unknown> = { spec: { mtu: 9000, ports: [{ name: 'a' }, { name: 'b', protocol: 'UDP' }], labels: { k: {} } } };
    schema.applyDefaults(obj);
    expect(obj.spec).toMatchObject({ mtu: 9000, ports: [{ name: 'a', protocol: 'TCP' }, { name: 'b', protocol: 'UDP' }], labels: { k: { v: 'x' } } });
  });

  it('defaults non-nullable nulls, keeps nullable nulls and drops nulls without a default', () => {
    const spec = { mtu: null, note: null, plain: null };
    schema.applyDefaults({ spec });
    expect(spec).toEqual({ mtu: 1500, note: null, policy: 'Delete', resource: { adminStateUp: true, dns: { ttl: 300 } } });
  });

  it('copies defaults so objects do not share them', () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = {};
    schema.applyDefaults(a);
    schema.applyDefaults(b);
    (a.spec as { resource: { adminStateUp: boolean } }).resource.adminStateUp = false;
    expect((b.spec as { resource: { adminStateUp: boolean } }).resource.adminStateUp).toBe(true);
  });
});

describe('pruning', () => {
  it('drops unknown fields and returns their paths', () => {
    const obj: Record<string, unknown> = {
      apiVersion: 'cloudnet.io/v1alpha1', kind: 'Network', metadata: { name: 'a', anything: 1 }, status: { x: 1 },
      spec: { mtu: 1, foo: 2, ports: [{ name: 'a', bar: 1 }], resource: { dns: { ttl: 1, zone: 'z' } } },
    };
    const removed = schema.prune(obj);
    expect(removed).toEqual(['spec.foo', 'spec.ports[0].bar', 'spec.resource.dns.zone', 'status']);
    expect(obj).toEqual({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'Network', metadata: { name: 'a', anything: 1 }, spec: { mtu: 1, ports: [{ name: 'a' }], resource: { dns: { ttl: 1 } } } });
  });

  it('keeps unknown fields under x-kubernetes-preserve-unknown-fields but prunes inside its declared properties', () => {
    const spec = { extra: { anything: { deep: 1 }, known: { a: 'x', b: 'y' } }, free: { k: { v: 1 } } };
    expect(schema.prune({ spec })).toEqual(['spec.extra.known.b']);
    expect(spec).toEqual({ extra: { anything: { deep: 1 }, known: { a: 'x' } }, free: { k: { v: 1 } } });
  });

  it('keeps apiVersion, kind and metadata of embedded resources', () => {
    const spec = { template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: {}, data: {} } };
    expect(schema.prune({ spec })).toEqual(['spec.template.data']);
  });
});
