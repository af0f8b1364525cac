// The TS types say what the API server stores: `Static` (ObjectOf) has every defaulted field,
// `Input` (ManifestOf) lets users omit them. Compile-time checks run in `tsc`; the runtime checks
// hold the schemas against the local API server's defaulting.
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';
import { kinds, network } from '../../src/api/index.ts';
import type { Network, NetworkManifest, NetworkSpec } from '../../src/api/network.ts';
import type { ProviderConfig, ProviderConfigManifest } from '../../src/api/providerconfig.ts';
import type { SecurityGroupRule } from '../../src/api/securitygroup.ts';
import type { Subnet, SubnetManifest } from '../../src/api/subnet.ts';
import * as examples from './examples.ts';

// Formats are the API server's business; these checks are about shape.
for (const format of ['cidr', 'date-time']) if (!FormatRegistry.Has(format)) FormatRegistry.Set(format, () => true);

function stored(manifest: { kind: string }): unknown {
  const kind = kinds.find((k) => k.kind === manifest.kind)!;
  const obj = structuredClone(manifest) as Record<string, unknown>;
  compileSchema(kind.crd.spec.versions[0]!.schema.openAPIV3Schema as Record<string, unknown>).applyDefaults(obj);
  return obj;
}

describe('types', () => {
  it('server-side types have defaulted fields; manifest types may omit them', () => {
    expectTypeOf<NetworkSpec['managementPolicy']>().toEqualTypeOf<'Managed' | 'ObserveOnly'>();
    expectTypeOf<NetworkSpec['deletionPolicy']>().toEqualTypeOf<'Delete' | 'Orphan'>();
    expectTypeOf<NonNullable<Network['spec']['resource']>['adminStateUp']>().toEqualTypeOf<boolean>();
    expectTypeOf<NonNullable<Network['spec']['resource']>['mtu']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ProviderConfig['spec']['rateLimit']>().toEqualTypeOf<{ qps: number; burst: number }>();
    expectTypeOf<SecurityGroupRule['ethertype']>().toEqualTypeOf<'IPv4' | 'IPv6'>();
    expectTypeOf<NetworkManifest['spec']['managementPolicy']>().toEqualTypeOf<'Managed' | 'ObserveOnly' | undefined>();
    expectTypeOf<ProviderConfigManifest['spec']['rateLimit']>().toEqualTypeOf<{ qps?: number; burst?: number } | undefined>();
    expectTypeOf<NonNullable<Subnet['spec']['resource']>>().toMatchObjectType<{
      ipVersion: 4 | 6;
      cidr: string;
      enableDHCP: boolean;
    }>();
    expectTypeOf<NonNullable<Network['status']>>().toMatchObjectType<{ id?: string; observedGeneration?: number }>();
  });

  it('manifest types reject what the schema rejects', () => {
    // @ts-expect-error ipVersion is 4 or 6
    const badVersion: SubnetManifest['spec']['resource'] = { networkRef: { name: 'n' }, ipVersion: 5, cidr: '10.0.0.0/8' };
    // @ts-expect-error providerConfigRef is required
    const noProvider: NetworkManifest['spec'] = { resource: {} };
    // @ts-expect-error a server-side Network always has managementPolicy
    const noPolicy: NetworkSpec = { providerConfigRef: { name: 'p' }, deletionPolicy: 'Delete' };
    expect([badVersion, noProvider, noPolicy]).toHaveLength(3);
  });

  it.each(examples.validExamples.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))(
    '%s as stored matches the server-side type, and not before defaulting when it omits defaults',
    (_, manifest) => {
      const kind = kinds.find((k) => k.kind === manifest.kind)!;
      const errors = [...Value.Errors(kind.schema, stored(manifest))].map((e) => `${e.path}: ${e.message}`);
      expect(errors).toEqual([]);
    },
  );

  it('a manifest without the defaulted fields is not yet the server-side type', () => {
    expect(Value.Check(network.schema, examples.networkMinimal)).toBe(false);
    expect(Value.Check(network.schema, stored(examples.networkMinimal))).toBe(true);
  });
});
