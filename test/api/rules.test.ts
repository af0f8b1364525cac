// Admission of every kind through the local API server's schema validation (OpenAPI + CEL):
// valid manifests pass; each invalid one fails with its message on its field; immutability holds.
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';
import type { CompiledSchema, FieldCause } from '../../dev/kube/schema/index.ts';
import { kinds } from '../../src/api/index.ts';
import * as examples from './examples.ts';

type Manifest = (typeof examples.validExamples)[number];
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const compiled = new Map<string, CompiledSchema>(
  kinds.map((k) => [k.kind, compileSchema(k.crd.spec.versions[0]!.schema.openAPIV3Schema as Record<string, unknown>)]),
);

/** What the API server stores for `manifest`: defaults applied, unknown fields pruned. */
function stored(manifest: Loose): Loose {
  const schema = compiled.get(manifest.kind as string)!;
  const obj = structuredClone(manifest);
  schema.applyDefaults(obj);
  schema.prune(obj);
  return obj;
}

/** Validation causes for creating `manifest`, or for updating `old` to it. */
function admit(manifest: Loose, old?: Loose): FieldCause[] {
  return compiled.get(manifest.kind as string)!.validate(stored(manifest), old && stored(old));
}

/** A copy of `manifest` changed by `edit`. */
function variant(manifest: Manifest | Loose, edit: (m: Loose) => void): Loose {
  const copy = structuredClone(manifest) as Loose;
  edit(copy);
  return copy;
}

function expectRejected(causes: FieldCause[], field: string, message: string) {
  expect(causes, `expected "${field}: ${message}"`).toContainEqual(
    expect.objectContaining({ field, message: expect.stringContaining(message) }),
  );
}

describe('valid manifests', () => {
  it.each(examples.validExamples.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))('%s is accepted', (_, m) => {
    expect(admit(m)).toEqual([]);
  });

  it.each(examples.validExamples.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))(
    '%s can be re-applied unchanged',
    (_, m) => {
      expect(admit(m, m)).toEqual([]);
    },
  );
});

describe('defaults', () => {
  it('fills the managed envelope and the resource', () => {
    const net = stored(examples.networkMinimal);
    expect(net.spec).toEqual({
      providerConfigRef: { name: 'openstack' },
      managementPolicy: 'Managed',
      deletionPolicy: 'Delete',
      resource: { adminStateUp: true },
    });
  });

  it('fills the ProviderConfig rate limit, secret keys and TLS verification', () => {
    const pc = stored(examples.providerConfigCloudsYAML);
    expect(pc.spec.rateLimit).toEqual({ qps: 10, burst: 20 });
    expect(pc.spec.openstack.credentialsSecretRef).toEqual({ name: 'openstack-clouds', key: 'clouds.yaml' });
    expect(pc.spec.openstack.insecureSkipTLSVerify).toBe(false);
    const exo = stored(examples.providerConfigExoscale);
    expect(exo.spec.exoscale.apiKeySecretRef).toEqual({ name: 'exoscale', key: 'apiKey' });
    expect(exo.spec.exoscale.apiSecretSecretRef).toEqual({ name: 'exoscale', key: 'apiSecret' });
  });

  it('fills security group rule ethertypes and subnet DHCP', () => {
    expect(stored(examples.securityGroupFull).spec.resource.rules[0].ethertype).toBe('IPv4');
    expect(stored(examples.subnetV4).spec.resource.enableDHCP).toBe(true);
  });
});

describe('managed envelope', () => {
  const net = examples.networkFull;

  it('ObserveOnly requires import', () => {
    const m = variant(examples.networkImported, (x) => delete x.spec.import);
    expectRejected(admit(m), 'spec.import', 'managementPolicy ObserveOnly requires import');
  });

  it('ObserveOnly forbids resource', () => {
    const m = variant(examples.networkImported, (x) => (x.spec.resource = { mtu: 1500 }));
    expectRejected(admit(m), 'spec.resource', 'resource must not be set when managementPolicy is ObserveOnly');
  });

  it('Managed requires resource, also when importing', () => {
    const m = variant(net, (x) => {
      delete x.spec.resource;
      x.spec.import = { id: 'abc' };
    });
    expectRejected(admit(m), 'spec.resource', 'resource is required when managementPolicy is Managed');
    const adopt = variant(net, (x) => (x.spec.import = { id: 'abc' }));
    expect(admit(adopt)).toEqual([]);
  });

  it('import sets exactly one of id and filter', () => {
    const both = variant(net, (x) => (x.spec.import = { id: 'abc', filter: { name: 'x' } }));
    expectRejected(admit(both), 'spec.import', 'import must set exactly one of id or filter');
    const neither = variant(net, (x) => (x.spec.import = {}));
    expectRejected(admit(neither), 'spec.import', 'import must set exactly one of id or filter');
  });

  it('import.filter sets at least one field', () => {
    const m = variant(net, (x) => (x.spec.import = { filter: {} }));
    expectRejected(admit(m), 'spec.import.filter', 'import.filter must set at least one of: name, tags, external');
  });

  it('import cannot be added, changed or removed', () => {
    const withId = variant(net, (x) => (x.spec.import = { id: 'abc' }));
    const otherId = variant(net, (x) => (x.spec.import = { id: 'def' }));
    const message = 'import is immutable';
    expectRejected(admit(withId, net), 'spec.import', message);
    expectRejected(admit(otherId, withId), 'spec.import', message);
    expectRejected(admit(net, withId), 'spec.import', message);
    expect(admit(withId, withId)).toEqual([]);
  });

  it('ObserveOnly can become Managed with a resource', () => {
    const managed = variant(examples.networkImported, (x) => {
      x.spec.managementPolicy = 'Managed';
      x.spec.resource = { mtu: 1500 };
    });
    expect(admit(managed, examples.networkImported)).toEqual([]);
  });

  it('providerConfigRef is immutable', () => {
    const m = variant(net, (x) => (x.spec.providerConfigRef = { name: 'other' }));
    expectRejected(admit(m, net), 'spec.providerConfigRef', 'providerConfigRef is immutable');
  });

  it('policies are enums and resyncPeriod a Go duration', () => {
    expectRejected(admit(variant(net, (x) => (x.spec.managementPolicy = 'Unmanaged'))), 'spec.managementPolicy', 'Unsupported value');
    expectRejected(admit(variant(net, (x) => (x.spec.deletionPolicy = 'Retain'))), 'spec.deletionPolicy', 'Unsupported value');
    for (const ok of ['0', '10m', '1h30m', '1.5h']) {
      expect(admit(variant(net, (x) => (x.spec.resyncPeriod = ok))), ok).toEqual([]);
    }
    for (const bad of ['10 minutes', '5', '-1m', '1d', '']) {
      const causes = admit(variant(net, (x) => (x.spec.resyncPeriod = bad)));
      expectRejected(causes, 'spec.resyncPeriod', 'should match');
      // Only the pattern says so: the floor rule does not also fail to parse it.
      expect(causes.filter((c) => c.field === 'spec.resyncPeriod'), bad).toHaveLength(1);
    }
  });

  it('resyncPeriod is at least 10s, or 0 (off)', () => {
    for (const ok of ['0', '0s', '10s', '10000ms', '0.5m']) {
      expect(admit(variant(net, (x) => (x.spec.resyncPeriod = ok))), ok).toEqual([]);
    }
    for (const tooShort of ['1ns', '1ms', '300ms', '9s', '9.999s', '1µs']) {
      expectRejected(admit(variant(net, (x) => (x.spec.resyncPeriod = tooShort))), 'spec.resyncPeriod', 'resyncPeriod must be at least 10s');
    }
  });
});

describe('ProviderConfig', () => {
  const pw = examples.providerConfigPassword;

  it('needs the settings of its provider, and only those', () => {
    expectRejected(
      admit(variant(pw, (x) => delete x.spec.openstack)),
      'spec.openstack',
      'openstack settings are required when provider is openstack',
    );
    expectRejected(
      admit(variant(pw, (x) => (x.spec.exoscale = examples.providerConfigExoscale.spec.exoscale))),
      'spec.exoscale',
      'exoscale settings are only valid when provider is exoscale',
    );
    expectRejected(
      admit(variant(examples.providerConfigExoscale, (x) => delete x.spec.exoscale)),
      'spec.exoscale',
      'exoscale settings are required when provider is exoscale',
    );
  });

  it('provider is immutable', () => {
    const m = variant(pw, (x) => {
      x.spec.provider = 'exoscale';
      delete x.spec.openstack;
      x.spec.exoscale = examples.providerConfigExoscale.spec.exoscale;
    });
    expect(admit(m)).toEqual([]);
    expectRejected(admit(m, pw), 'spec.provider', 'provider is immutable');
  });

  it('takes credentials from a clouds.yaml or from explicit auth, not both', () => {
    const both = variant(pw, (x) => {
      x.spec.openstack.credentialsSecretRef = { name: 'clouds' };
      x.spec.openstack.cloud = 'devstack';
    });
    expectRejected(admit(both), 'spec.openstack', 'set exactly one of credentialsSecretRef (a clouds.yaml) or auth');
    const noCloud = variant(examples.providerConfigCloudsYAML, (x) => delete x.spec.openstack.cloud);
    expectRejected(admit(noCloud), 'spec.openstack.cloud', 'cloud names the entry of the clouds.yaml');
  });

  it('checks each auth type has its secret and identity', () => {
    const auth = (edit: (a: Loose) => void) => admit(variant(pw, (x) => edit(x.spec.openstack.auth)));
    expectRejected(auth((a) => delete a.passwordSecretRef), 'spec.openstack.auth', 'password auth needs passwordSecretRef');
    expectRejected(auth((a) => delete a.username), 'spec.openstack.auth', 'password auth needs passwordSecretRef and username or userID');
    expectRejected(
      auth((a) => (a.type = 'v3applicationcredential')),
      'spec.openstack.auth',
      'v3applicationcredential auth needs applicationCredentialSecretRef',
    );
    expectRejected(auth((a) => (a.type = 'token')), 'spec.openstack.auth.passwordSecretRef', 'passwordSecretRef is only used by password auth');
    expectRejected(auth((a) => (a.domainName = 'Default')), 'spec.openstack.auth', 'scope to a project or to a domain, not both');
    expectRejected(auth((a) => (a.type = 'kerberos')), 'spec.openstack.auth.type', 'Unsupported value');
    const appCred = auth((a) => {
      a.type = 'v3applicationcredential';
      delete a.passwordSecretRef;
      a.applicationCredentialID = 'ac-1';
      a.applicationCredentialSecretRef = { name: 'ac' };
    });
    expect(appCred).toEqual([]);
  });

  it('needs authURL except for token auth with endpoint overrides', () => {
    expectRejected(
      admit(variant(pw, (x) => delete x.spec.openstack.auth.authURL)),
      'spec.openstack.auth',
      'auth.authURL is required, except for token auth with endpointOverrides',
    );
    const tokenNoOverrides = variant(examples.providerConfigToken, (x) => delete x.spec.openstack.endpointOverrides);
    expectRejected(admit(tokenNoOverrides), 'spec.openstack.auth', 'auth.authURL is required');
  });

  // Each URL rule refuses its case and admits the nearest valid URL, on every URL field.
  const withURL = {
    'spec.openstack.auth.authURL': (url: string) => variant(pw, (x) => (x.spec.openstack.auth.authURL = url)),
    'spec.openstack.endpointOverrides.network': (url: string) => variant(examples.providerConfigToken, (x) => (x.spec.openstack.endpointOverrides.network = url)),
    'spec.exoscale.endpoint': (url: string) => variant(examples.providerConfigExoscale, (x) => (x.spec.exoscale.endpoint = url)),
  };
  const urlCases: [bad: string, message: string, nearestValid: string][] = [
    ['https://bad host:99999/v3', 'must be a URL such as', 'https://bad-host:9999/v3'],
    ['api.example.com', 'must be a URL such as', 'https://api.example.com'],
    ['https://api.example.com/v3/%zz', 'must be a URL such as', 'https://api.example.com/v3/%25zz'],
    ['ftp://api.example.com/v3', 'must begin with https:// or http://', 'http://api.example.com/v3'],
    ['api.example.com:5000/v3', 'must begin with https:// or http://', 'https://api.example.com:5000/v3'],
    ['https:api.example.com/v3', 'must name a host', 'https://api.example.com/v3'],
    ['https://:5000/v3', 'must name a host', 'https://a:5000/v3'],
    ['https://api.example.com:99999/v3', 'must have a port from 1 to 65535', 'https://api.example.com:65535/v3'],
    ['https://api.example.com:0/v3', 'must have a port from 1 to 65535', 'https://api.example.com:1/v3'],
    ['https://api.example.com:000000080/v3', 'must have a port from 1 to 65535', 'https://api.example.com:00080/v3'],
  ];
  it.each(Object.keys(withURL).flatMap((field) => urlCases.map(([bad, message, valid]) => [field, bad, message, valid] as const)))(
    '%s: refuses %s (%s), admits %s',
    (field, bad, message, valid) => {
      const make = withURL[field as keyof typeof withURL];
      expectRejected(admit(make(bad)), field, message);
      expect(admit(make(valid))).toEqual([]);
    },
  );

  it('validates zones and rate limits', () => {
    expectRejected(
      admit(variant(examples.providerConfigExoscale, (x) => (x.spec.exoscale.zone = 'Geneva'))),
      'spec.exoscale.zone',
      'should match',
    );
    expectRejected(admit(variant(pw, (x) => (x.spec.rateLimit.qps = 0))), 'spec.rateLimit.qps', 'should be greater than 0');
  });

  it('never takes a secret inline: unknown fields such as password are pruned', () => {
    const m = variant(pw, (x) => (x.spec.openstack.auth.password = 'hunter2'));
    expect(stored(m).spec.openstack.auth).not.toHaveProperty('password');
  });
});

describe('Network', () => {
  const net = examples.networkFull;

  it('availabilityZoneHints cannot be added, changed or removed', () => {
    const message = 'availabilityZoneHints is immutable: create a new Network to change it';
    const changed = variant(net, (x) => (x.spec.resource.availabilityZoneHints = ['az2']));
    const removed = variant(net, (x) => delete x.spec.resource.availabilityZoneHints);
    expectRejected(admit(changed, net), 'spec.resource.availabilityZoneHints', message);
    expectRejected(admit(removed, net), 'spec.resource.availabilityZoneHints', message);
    expectRejected(admit(net, removed), 'spec.resource.availabilityZoneHints', message);
  });

  it('everything else can be updated in place', () => {
    const updated = variant(net, (x) => {
      Object.assign(x.spec.resource, { name: 'renamed', description: 'd', mtu: 9000, adminStateUp: false, shared: true });
      x.spec.resource.tags = ['other'];
      x.spec.deletionPolicy = 'Delete';
      x.spec.resyncPeriod = '0';
    });
    expect(admit(updated, net)).toEqual([]);
  });

  it('bounds mtu and reserves the operator tags', () => {
    expectRejected(admit(variant(net, (x) => (x.spec.resource.mtu = 67))), 'spec.resource.mtu', 'should be greater than or equal to 68');
    expectRejected(admit(variant(net, (x) => (x.spec.resource.mtu = 9217))), 'spec.resource.mtu', 'should be less than or equal to 9216');
    expectRejected(
      admit(variant(net, (x) => (x.spec.resource.tags = ['cloudnet-managed']))),
      'spec.resource.tags[0]',
      'tags starting with cloudnet- are reserved for the operator',
    );
  });
});

describe('Subnet', () => {
  const v4 = examples.subnetV4;
  const v6 = examples.subnetV6;
  const edit = (m: Manifest, f: (r: Loose) => void) => variant(m, (x) => f(x.spec.resource));

  it('rejects an invalid CIDR', () => {
    for (const cidr of ['10.0.0.0/33', '10.0.0/24', 'not-a-cidr', '10.0.0.0']) {
      expectRejected(admit(edit(v4, (r) => (r.cidr = cidr))), 'spec.resource.cidr', 'cidr must be a CIDR');
    }
  });

  it('rejects host bits in the CIDR', () => {
    expectRejected(admit(edit(v4, (r) => (r.cidr = '10.0.0.1/24'))), 'spec.resource.cidr', 'cidr must be a network address');
  });

  it('rejects an ipVersion that disagrees with the CIDR', () => {
    expectRejected(admit(edit(v4, (r) => (r.ipVersion = 6))), 'spec.resource.ipVersion', 'ipVersion must match the address family of cidr');
    expectRejected(
      admit(edit(v6, (r) => (r.cidr = '10.1.0.0/16'))),
      'spec.resource.ipVersion',
      'ipVersion must match the address family of cidr',
    );
    expectRejected(admit(edit(v4, (r) => (r.ipVersion = 5))), 'spec.resource.ipVersion', 'Unsupported value');
  });

  it('rejects a gateway outside the CIDR, not an IP, or combined with noGateway', () => {
    expectRejected(admit(edit(v4, (r) => (r.gatewayIP = '10.0.1.1'))), 'spec.resource.gatewayIP', 'gatewayIP must be an address inside cidr');
    expectRejected(admit(edit(v4, (r) => (r.gatewayIP = '2001:db8::1'))), 'spec.resource.gatewayIP', 'inside cidr');
    expectRejected(admit(edit(v4, (r) => (r.gatewayIP = 'router'))), 'spec.resource.gatewayIP', 'gatewayIP must be an IPv4 or IPv6 address');
    expectRejected(admit(edit(v4, (r) => (r.noGateway = true))), 'spec.resource.gatewayIP', 'set gatewayIP or noGateway: true, not both');
    expect(admit(edit(v4, (r) => (r.noGateway = false)))).toEqual([]);
  });

  it('rejects an allocation pool outside the CIDR', () => {
    expectRejected(
      admit(edit(v4, (r) => (r.allocationPools = [{ start: '10.0.0.10', end: '10.0.1.10' }]))),
      'spec.resource.allocationPools',
      'every allocation pool must be inside cidr',
    );
    expectRejected(
      admit(edit(v4, (r) => r.allocationPools.push({ start: '192.168.0.1', end: '192.168.0.9' }))),
      'spec.resource.allocationPools',
      'every allocation pool must be inside cidr',
    );
    expectRejected(
      admit(edit(v4, (r) => (r.allocationPools = [{ start: 'a', end: '10.0.0.9' }]))),
      'spec.resource.allocationPools[0].start',
      'must be an IPv4 or IPv6 address',
    );
  });

  it('rejects host routes of the other IP version and IPv6 modes on IPv4', () => {
    expectRejected(
      admit(edit(v4, (r) => (r.hostRoutes = [{ destination: '2001:db8::/48', nextHop: '10.0.0.254' }]))),
      'spec.resource.hostRoutes',
      'hostRoutes must use the IP version of the subnet',
    );
    expectRejected(admit(edit(v4, (r) => (r.ipv6AddressMode = 'slaac'))), 'spec.resource', 'ipv6AddressMode and ipv6RAMode need ipVersion 6');
    expectRejected(
      admit(edit(v6, (r) => (r.ipv6RAMode = 'dhcpv6-stateful'))),
      'spec.resource.ipv6RAMode',
      'ipv6AddressMode and ipv6RAMode must be equal when both are set',
    );
  });

  it('cidr, ipVersion and networkRef are immutable; the rest is not', () => {
    expectRejected(
      admit(edit(v4, (r) => (r.cidr = '10.0.0.0/16')), v4),
      'spec.resource.cidr',
      'cidr is immutable: create a new Subnet to change it',
    );
    const v6Cidr = edit(v4, (r) => {
      r.ipVersion = 6;
      r.cidr = '2001:db8::/64';
      delete r.gatewayIP;
      delete r.allocationPools;
      delete r.hostRoutes;
    });
    expectRejected(admit(v6Cidr, v4), 'spec.resource.ipVersion', 'ipVersion is immutable');
    expectRejected(admit(edit(v4, (r) => (r.networkRef = { name: 'other' })), v4), 'spec.resource.networkRef', 'networkRef is immutable');
    const updated = edit(v4, (r) => {
      r.gatewayIP = '10.0.0.254';
      r.enableDHCP = false;
      r.allocationPools = [{ start: '10.0.0.2', end: '10.0.0.9' }];
      r.dnsNameservers = ['1.1.1.1'];
      r.name = 'renamed';
    });
    expect(admit(updated, v4)).toEqual([]);
  });

  it('ipv6AddressMode and ipv6RAMode cannot be added, changed or removed', () => {
    const slaac = edit(v6, (r) => (r.ipv6AddressMode = r.ipv6RAMode = 'slaac'));
    const stateful = edit(v6, (r) => (r.ipv6AddressMode = r.ipv6RAMode = 'dhcpv6-stateful'));
    const unset = edit(v6, (r) => {
      delete r.ipv6AddressMode;
      delete r.ipv6RAMode;
    });
    for (const field of ['ipv6AddressMode', 'ipv6RAMode']) {
      const message = `${field} is immutable: create a new Subnet to change it`;
      expectRejected(admit(stateful, slaac), `spec.resource.${field}`, message);
      expectRejected(admit(unset, slaac), `spec.resource.${field}`, message);
      expectRejected(admit(slaac, unset), `spec.resource.${field}`, message);
    }
    expect(admit(variant(slaac, (x) => (x.spec.resource.name = 'renamed')), slaac)).toEqual([]);
  });
});

describe('Router', () => {
  const router = examples.routerFull;

  it('lists each interface subnet once', () => {
    const m = variant(router, (x) => x.spec.resource.interfaces.push({ subnetRef: { name: 'app-subnet' } }));
    expectRejected(admit(m), 'spec.resource.interfaces', 'interfaces must list each Subnet once');
  });

  it('needs a subnet or an address for each gateway fixed IP', () => {
    const m = variant(router, (x) => (x.spec.resource.externalGateway.fixedIPs = [{}]));
    expectRejected(admit(m), 'spec.resource.externalGateway.fixedIPs[0]', 'a fixed IP needs subnetRef, ipAddress or both');
  });

  it('updates gateway, interfaces and routes in place', () => {
    const m = variant(router, (x) => {
      x.spec.resource.externalGateway = { networkRef: { name: 'other-public' } };
      x.spec.resource.interfaces = [];
      delete x.spec.resource.routes;
    });
    expect(admit(m, router)).toEqual([]);
  });

  it('rejects duplicate routes', () => {
    const m = variant(router, (x) => x.spec.resource.routes.push({ destination: '172.16.0.0/12', nextHop: '10.0.0.254' }));
    expectRejected(admit(m), 'spec.resource.routes[1]', 'Duplicate value');
  });
});

describe('Port', () => {
  const port = examples.portFull;

  it('macAddress and networkRef are immutable', () => {
    const mac = variant(port, (x) => (x.spec.resource.macAddress = 'fa:16:3e:00:00:09'));
    expectRejected(admit(mac, port), 'spec.resource.macAddress', 'macAddress is immutable: create a new Port to change it');
    const net = variant(port, (x) => (x.spec.resource.networkRef = { name: 'other' }));
    expectRejected(admit(net, port), 'spec.resource.networkRef', 'networkRef is immutable');
  });

  it('rejects disabling port security while security groups or address pairs are set', () => {
    const m = variant(port, (x) => (x.spec.resource.portSecurityEnabled = false));
    expectRejected(admit(m), 'spec.resource.portSecurityEnabled', 'portSecurityEnabled: false cannot be combined');
    const bare = variant(port, (x) => {
      x.spec.resource.portSecurityEnabled = false;
      x.spec.resource.securityGroupRefs = [];
      delete x.spec.resource.allowedAddressPairs;
    });
    expect(admit(bare)).toEqual([]);
  });

  it('validates addresses, pairs and MACs', () => {
    expectRejected(
      admit(variant(port, (x) => (x.spec.resource.allowedAddressPairs = [{ ipAddress: '10.0.0.0/40' }]))),
      'spec.resource.allowedAddressPairs[0].ipAddress',
      'ipAddress must be an IP address or a CIDR',
    );
    expectRejected(admit(variant(port, (x) => (x.spec.resource.macAddress = 'fa:16:3e'))), 'spec.resource.macAddress', 'should match');
    expectRejected(
      admit(variant(port, (x) => x.spec.resource.securityGroupRefs.push({ name: 'web' }))),
      'spec.resource.securityGroupRefs[1]',
      'Duplicate value',
    );
  });
});

describe('SecurityGroup', () => {
  const sg = examples.securityGroupFull;
  const rule = (r: Loose) => admit(variant(sg, (x) => (x.spec.resource.rules = [r])));
  const field = 'spec.resource.rules[0]';

  it('rejects a remote prefix and a remote group together', () => {
    expectRejected(
      rule({ direction: 'ingress', remoteIPPrefix: '10.0.0.0/8', remoteGroupRef: { name: 'web' } }),
      field,
      'set remoteIPPrefix or remoteGroupRef, not both',
    );
  });

  it('rejects port ranges without a port protocol, or reversed', () => {
    expectRejected(rule({ direction: 'ingress', portRangeMin: 22 }), field, 'a port range needs protocol');
    expectRejected(rule({ direction: 'ingress', protocol: 'gre', portRangeMin: 22 }), field, 'a port range needs protocol');
    expectRejected(rule({ direction: 'ingress', protocol: 'tcp', portRangeMax: 22 }), field, 'portRangeMax needs portRangeMin');
    expectRejected(
      rule({ direction: 'ingress', protocol: 'tcp', portRangeMin: 23, portRangeMax: 22 }),
      field,
      'portRangeMin must not be greater than portRangeMax',
    );
    expectRejected(rule({ direction: 'ingress', protocol: 'tcp', portRangeMin: 70000 }), `${field}.portRangeMin`, 'should be less than');
    expectRejected(rule({ direction: 'ingress', protocol: 'icmp', portRangeMin: 300 }), field, 'for ICMP');
    expect(rule({ direction: 'ingress', protocol: '6', portRangeMin: 1000, portRangeMax: 2000 })).toEqual([]);
  });

  it('rejects a remote prefix of the other family than the ethertype', () => {
    expectRejected(rule({ direction: 'ingress', remoteIPPrefix: '::/0' }), `${field}.remoteIPPrefix`, 'remoteIPPrefix must be of the ethertype family');
    expectRejected(
      rule({ direction: 'ingress', ethertype: 'IPv6', remoteIPPrefix: '10.0.0.0/8' }),
      `${field}.remoteIPPrefix`,
      'remoteIPPrefix must be of the ethertype family',
    );
  });

  it('rejects unknown directions and protocols', () => {
    expectRejected(rule({ direction: 'inbound' }), `${field}.direction`, 'Unsupported value');
    expectRejected(rule({ direction: 'ingress', protocol: '256' }), `${field}.protocol`, 'should match');
  });
});

describe('QoSPolicy', () => {
  const qos = examples.qosPolicyFull;
  const rules = (r: Loose) => admit(variant(qos, (x) => (x.spec.resource.rules = r)));

  it('fills the burst', () => {
    const { rules: filled } = stored(qos).spec.resource;
    expect(filled.bandwidthLimits).toEqual([
      { direction: 'egress', maxKbps: 10000, maxBurstKbps: 1000 },
      { direction: 'ingress', maxKbps: 20000, maxBurstKbps: 0 },
    ]);
    expect(filled.minimumBandwidths).toEqual([{ direction: 'egress', minKbps: 1000 }]);
  });

  it('refuses a rule type listed twice for one direction, and a rule without its direction', () => {
    expectRejected(
      rules({ bandwidthLimits: [{ direction: 'egress', maxKbps: 1 }, { direction: 'egress', maxKbps: 2 }] }),
      'spec.resource.rules.bandwidthLimits[1]',
      'Duplicate value: {"direction":"egress"}',
    );
    expectRejected(
      rules({ minimumBandwidths: [{ direction: 'ingress', minKbps: 1 }, { direction: 'ingress', minKbps: 2 }] }),
      'spec.resource.rules.minimumBandwidths[1]',
      'Duplicate value',
    );
    expectRejected(rules({ bandwidthLimits: [{ maxKbps: 1 }] }), 'spec.resource.rules.bandwidthLimits[0].direction', 'Required value');
    expect(rules({ bandwidthLimits: [{ direction: 'egress', maxKbps: 1 }, { direction: 'ingress', maxKbps: 2 }] })).toEqual([]);
  });

  it('refuses DSCP marks Neutron does not know, negative rates and unknown directions', () => {
    expectRejected(rules({ dscpMarking: { dscpMark: 7 } }), 'spec.resource.rules.dscpMarking.dscpMark', 'Unsupported value: 7');
    expectRejected(rules({ dscpMarking: { dscpMark: 64 } }), 'spec.resource.rules.dscpMarking.dscpMark', 'Unsupported value: 64');
    expect(rules({ dscpMarking: { dscpMark: 46 } })).toEqual([]);
    expectRejected(rules({ bandwidthLimits: [{ direction: 'egress', maxKbps: -1 }] }), 'spec.resource.rules.bandwidthLimits[0].maxKbps', 'should be greater than or equal to 0');
    expectRejected(rules({ bandwidthLimits: [{ direction: 'egress', maxKbps: 1, maxBurstKbps: -5 }] }), 'spec.resource.rules.bandwidthLimits[0].maxBurstKbps', 'should be greater than or equal to 0');
    expectRejected(rules({ minimumBandwidths: [{ direction: 'egress', minKbps: -1 }] }), 'spec.resource.rules.minimumBandwidths[0].minKbps', 'should be greater than or equal to 0');
    expectRejected(rules({ bandwidthLimits: [{ direction: 'egress', maxKbps: 2147483648 }] }), 'spec.resource.rules.bandwidthLimits[0].maxKbps', 'should be less than or equal to 2147483647');
    expectRejected(rules({ bandwidthLimits: [{ direction: 'both', maxKbps: 1 }] }), 'spec.resource.rules.bandwidthLimits[0].direction', 'Unsupported value');
  });

  it('everything can be updated in place, and a Network or Port may set, change and clear its qosPolicyRef', () => {
    const updated = variant(qos, (x) => {
      Object.assign(x.spec.resource, { name: 'renamed', description: 'd', shared: true, isDefault: true, rules: {} });
      x.spec.resource.tags = [];
    });
    expect(admit(updated, qos)).toEqual([]);
    for (const m of [examples.networkFull, examples.portFull]) {
      expect(admit(variant(m, (x) => (x.spec.resource.qosPolicyRef = { name: 'other' })), m)).toEqual([]);
      const cleared = variant(m, (x) => delete x.spec.resource.qosPolicyRef);
      expect(admit(cleared, m)).toEqual([]);
      expect(admit(m, cleared)).toEqual([]);
    }
  });
});

describe('Server', () => {
  const full = examples.serverFull;

  it('image, keyName, userData, availabilityZone, configDrive and securityGroupRefs are immutable, with a message', () => {
    const changes: [string, (x: Loose) => void, string][] = [
      ['spec.resource.image', (x) => (x.spec.resource.image = { name: 'other' }), 'image is immutable: create a new Server to boot another image'],
      ['spec.resource.keyName', (x) => (x.spec.resource.keyName = 'other'), 'keyName is immutable'],
      ['spec.resource.keyName', (x) => delete x.spec.resource.keyName, 'keyName is immutable'],
      ['spec.resource.userData', (x) => (x.spec.resource.userData = 'other'), 'userData is immutable'],
      ['spec.resource.availabilityZone', (x) => (x.spec.resource.availabilityZone = 'az2'), 'availabilityZone is immutable'],
      ['spec.resource.configDrive', (x) => (x.spec.resource.configDrive = false), 'configDrive is immutable'],
      ['spec.resource.securityGroupRefs', (x) => (x.spec.resource.securityGroupRefs = []), 'securityGroupRefs is immutable'],
    ];
    for (const [field, edit, message] of changes) expectRejected(admit(variant(full, edit), full), field, message);
  });

  it('flavor, networks, power state, metadata, tags and name change in place', () => {
    const changed = variant(full, (x) => {
      x.spec.resource.flavor = { name: 'm1.small' };
      x.spec.resource.networks = [];
      x.spec.resource.powerState = 'Running';
      x.spec.resource.metadata = {};
      x.spec.resource.tags = [];
      x.spec.resource.name = 'renamed';
    });
    expect(admit(changed, full)).toEqual([]);
  });

  it('names an image and a flavor by exactly one of name or id, and each network by exactly one reference', () => {
    expectRejected(admit(variant(full, (x) => (x.spec.resource.image = { name: 'a', id: 'b' }))), 'spec.resource.image', 'image needs exactly one of name or id');
    expectRejected(admit(variant(full, (x) => (x.spec.resource.flavor = {}))), 'spec.resource.flavor', 'flavor needs exactly one of name or id');
    expectRejected(
      admit(variant(full, (x) => (x.spec.resource.networks = [{ networkRef: { name: 'a' }, portRef: { name: 'b' } }]))),
      'spec.resource.networks[0]',
      'a network attachment needs exactly one of networkRef or portRef',
    );
    expectRejected(
      admit(variant(full, (x) => (x.spec.resource.networks = [{ portRef: { name: 'b' }, fixedIP: '10.0.0.5' }]))),
      'spec.resource.networks[0].fixedIP',
      'fixedIP goes with networkRef',
    );
    expectRejected(admit(variant(full, (x) => (x.spec.resource.powerState = 'Paused'))), 'spec.resource.powerState', 'Unsupported value');
    expectRejected(
      admit(variant(full, (x) => (x.spec.resource.userDataSecretRef = { name: 'cloud-init' }))),
      'spec.resource.userDataSecretRef',
      'userData and userDataSecretRef exclude each other',
    );
    expectRejected(admit(variant(full, (x) => (x.spec.resource.tags = ['cloudnet-mine']))), 'spec.resource.tags[0]', 'reserved for the operator');
    expectRejected(admit(variant(full, (x) => (x.spec.resource.metadata = { 'cloudnet-uid': 'x' }))), 'spec.resource.metadata', 'metadata keys starting with cloudnet- are reserved');
  });

  it('defaults powerState to Running and recreateOnError to false', () => {
    expect(stored(examples.serverMinimal).spec.resource).toMatchObject({ powerState: 'Running', recreateOnError: false });
  });

  it('takes user data from a Secret key (default key userData), immutable like inline user data', () => {
    const fromSecret = variant(examples.serverMinimal, (x) => (x.spec.resource.userDataSecretRef = { name: 'cloud-init' }));
    expect(stored(fromSecret).spec.resource.userDataSecretRef).toEqual({ name: 'cloud-init', key: 'userData' });
    const other = variant(fromSecret, (x) => (x.spec.resource.userDataSecretRef = { name: 'other' }));
    expectRejected(admit(other, stored(fromSecret)), 'spec.resource.userDataSecretRef', 'userDataSecretRef is immutable');
  });
});

describe('FloatingIP', () => {
  const fip = examples.floatingIPFull;

  it('address and floatingNetworkRef are immutable; the port association is not', () => {
    expectRejected(
      admit(variant(fip, (x) => (x.spec.resource.address = '203.0.113.21')), fip),
      'spec.resource.address',
      'address is immutable: create a new FloatingIP to change it',
    );
    expectRejected(
      admit(variant(fip, (x) => (x.spec.resource.floatingNetworkRef = { name: 'other' })), fip),
      'spec.resource.floatingNetworkRef',
      'floatingNetworkRef is immutable',
    );
    const moved = variant(fip, (x) => {
      x.spec.resource.portRef = { name: 'web-1' };
      delete x.spec.resource.fixedIPAddress;
    });
    const disassociated = variant(moved, (x) => delete x.spec.resource.portRef);
    expect(admit(moved, fip)).toEqual([]);
    expect(admit(disassociated, moved)).toEqual([]);
  });

  it('needs portRef or serverRef for fixedIPAddress, and takes one of them at most', () => {
    const m = variant(fip, (x) => delete x.spec.resource.portRef);
    expectRejected(admit(m), 'spec.resource.fixedIPAddress', 'fixedIPAddress needs portRef or serverRef');
    const onServer = variant(m, (x) => (x.spec.resource.serverRef = { name: 'web', networkRef: { name: 'app-net' } }));
    expect(admit(onServer)).toEqual([]);
    expect(admit(onServer, fip)).toEqual([]);
    const both = variant(fip, (x) => (x.spec.resource.serverRef = { name: 'web' }));
    expectRejected(admit(both), 'spec.resource.serverRef', 'associate with portRef or serverRef, not both');
  });
});

describe('PrivateNetwork', () => {
  const full = examples.privateNetworkFull;
  const range = (startIP: string, endIP: string, netmask: string) => variant(full, (x) => Object.assign(x.spec.resource, { startIP, endIP, netmask, instances: [] }));

  it('takes IPv4 addresses only, and contiguous netmasks', () => {
    expectRejected(admit(range('10.0.0.20', '2001:db8::1', '255.255.255.0')), 'spec.resource.endIP', 'must be an IPv4 address');
    expectRejected(admit(range('10.0.0.256', '10.0.0.30', '255.255.255.0')), 'spec.resource.startIP', 'must be an IPv4 address');
    expectRejected(admit(range('10.0.0.20', '10.0.0.30', '255.0.255.0')), 'spec.resource.netmask', 'contiguous IPv4 netmask');
    expectRejected(admit(variant(full, (x) => (x.spec.resource.dhcpOptions.dnsServers = ['dns.example.org']))), 'spec.resource.dhcpOptions.dnsServers[0]', 'must be an IPv4 address');
    for (const [start, end, mask] of [['10.0.0.1', '10.0.0.1', '255.255.255.255'], ['10.1.0.10', '10.1.255.250', '255.255.0.0'], ['192.168.0.130', '192.168.0.140', '255.255.255.128']]) {
      expect(admit(range(start!, end!, mask!)), `${start}-${end}/${mask}`).toEqual([]);
    }
  });

  it('refuses a range outside one network of the netmask, or running backwards', () => {
    expectRejected(admit(range('10.0.0.20', '10.0.1.20', '255.255.255.0')), 'spec.resource.endIP', 'must be in one network of the netmask');
    expectRejected(admit(range('192.168.0.100', '192.168.0.140', '255.255.255.128')), 'spec.resource.endIP', 'must be in one network of the netmask');
    expectRejected(admit(range('10.0.0.200', '10.0.0.20', '255.255.255.0')), 'spec.resource.endIP', 'runs backwards');
    expectRejected(admit(range('10.0.2.1', '10.0.1.255', '255.255.0.0')), 'spec.resource.endIP', 'runs backwards');
  });

  it('needs the whole range for managed DHCP, and managed DHCP for options and leases', () => {
    expectRejected(admit(variant(full, (x) => delete x.spec.resource.netmask)), 'spec.resource', 'startIP, endIP and netmask go together');
    const unmanaged = variant(full, (x) => {
      for (const f of ['startIP', 'endIP', 'netmask']) delete x.spec.resource[f];
    });
    expectRejected(admit(unmanaged), 'spec.resource.dhcpOptions', 'dhcpOptions need managed DHCP');
    expectRejected(admit(variant(unmanaged, (x) => delete x.spec.resource.dhcpOptions)), 'spec.resource.instances', 'needs managed DHCP');
    expect(admit(variant(unmanaged, (x) => ((x.spec.resource.instances = [{ name: 'web-1' }]), delete x.spec.resource.dhcpOptions)))).toEqual([]);
    expectRejected(admit(variant(full, (x) => (x.spec.resource.instances = [{ name: 'web-1', ip: '10.0.1.25' }]))), 'spec.resource.instances', 'must be in the range from startIP to endIP');
    expectRejected(admit(variant(full, (x) => (x.spec.resource.instances = [{ name: 'web-1', ip: '10.0.0.5' }]))), 'spec.resource.instances', 'must be in the range from startIP to endIP');
  });

  it('lists each instance and each lease once, by exactly one of id or name', () => {
    expectRejected(admit(variant(full, (x) => x.spec.resource.instances.push({ name: 'web-1' }))), 'spec.resource.instances', 'each instance may be listed once');
    expectRejected(admit(variant(full, (x) => x.spec.resource.instances.push({ name: 'web-2', ip: '10.0.0.25' }))), 'spec.resource.instances', 'each ip may be leased to one instance');
    expectRejected(admit(variant(full, (x) => (x.spec.resource.instances = [{ name: 'a', id: '7688b18c-b89b-4bb1-9943-8a3be92c7f39' }]))), 'spec.resource.instances[0]', 'exactly one of id or name');
    expectRejected(admit(variant(full, (x) => (x.spec.resource.instances = [{}]))), 'spec.resource.instances[0]', 'exactly one of id or name');
  });

  it('reserves the operator\'s label prefix and bounds the search domains', () => {
    expectRejected(admit(variant(full, (x) => (x.spec.resource.labels = { 'cloudnet-uid': 'x' }))), 'spec.resource.labels', 'reserved for the operator');
    const long = Array.from({ length: 16 }, (_, i) => `domain-${i}.example.org`);
    expectRejected(admit(variant(full, (x) => (x.spec.resource.dhcpOptions.domainSearch = long))), 'spec.resource.dhcpOptions.domainSearch', 'limited to 255 octets');
  });

  it('changes everything in place, but the range cannot be removed once set', () => {
    const changed = variant(full, (x) => Object.assign(x.spec.resource, { name: 'renamed', description: '', labels: {}, startIP: '10.0.0.10', dhcpOptions: {}, instances: [] }));
    expect(admit(changed, full)).toEqual([]);
    const removed = variant(full, (x) => {
      for (const f of ['startIP', 'endIP', 'netmask', 'dhcpOptions']) delete x.spec.resource[f];
      x.spec.resource.instances = [];
    });
    expectRejected(admit(removed, full), 'spec.resource.netmask', 'cannot be removed once set');
    expect(admit(full, removed)).toEqual([]);
  });
});

// Inputs each cloud takes as something other than what they say: each refused with a message on
// its field, and the nearest valid value admitted.
describe('refused because they would mean something else', () => {
  /** `base` with these resource fields set (undefined: removed). */
  const withResource = (base: Manifest, fields: Loose) =>
    variant(base, (x) => {
      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined) delete x.spec.resource[field];
        else x.spec.resource[field] = value;
      }
    });
  const sgRule = (rule: Loose) => withResource(examples.securityGroupFull, { rules: [rule] });
  const cases: [what: string, bad: Loose, field: string, message: string, nearestValid: Loose][] = [
    [
      'a tag with a comma',
      withResource(examples.networkFull, { tags: ['team,web'] }),
      'spec.resource.tags[0]',
      'a tag cannot contain a comma',
      withResource(examples.networkFull, { tags: ['team-web'] }),
    ],
    [
      'an import filter tag with a comma',
      variant(examples.networkImported, (x) => (x.spec.import = { filter: { tags: ['a,b'] } })),
      'spec.import.filter.tags[0]',
      'a tag cannot contain a comma',
      variant(examples.networkImported, (x) => (x.spec.import = { filter: { tags: ['a', 'b'] } })),
    ],
    [
      'a remote prefix with host bits set',
      sgRule({ direction: 'ingress', remoteIPPrefix: '10.0.0.1/24' }),
      'spec.resource.rules[0].remoteIPPrefix',
      'no host bits',
      sgRule({ direction: 'ingress', remoteIPPrefix: '10.0.0.0/24' }),
    ],
    [
      'an IPv6 remote prefix with host bits set',
      sgRule({ direction: 'ingress', ethertype: 'IPv6', remoteIPPrefix: '2001:db8::1/64' }),
      'spec.resource.rules[0].remoteIPPrefix',
      'no host bits',
      sgRule({ direction: 'ingress', ethertype: 'IPv6', remoteIPPrefix: '2001:db8::1/128' }),
    ],
    [
      'an ICMPv6 rule on IPv4',
      sgRule({ direction: 'ingress', protocol: 'icmpv6' }),
      'spec.resource.rules[0].protocol',
      'an IPv6 protocol (icmpv6, ipv6-route, ipv6-frag, ipv6-opts, ipv6-nonxt, ipv6-encap) needs ethertype IPv6',
      sgRule({ direction: 'ingress', ethertype: 'IPv6', protocol: 'icmpv6' }),
    ],
    [
      'an ICMPv6 rule on IPv4 by number',
      sgRule({ direction: 'ingress', protocol: '58' }),
      'spec.resource.rules[0].protocol',
      'an IPv6 protocol',
      sgRule({ direction: 'ingress', protocol: 'icmp' }),
    ],
    [
      'another IPv6-only protocol on IPv4',
      sgRule({ direction: 'ingress', protocol: 'ipv6-route' }),
      'spec.resource.rules[0].protocol',
      'an IPv6 protocol',
      sgRule({ direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-route' }),
    ],
    [
      'a protocol name Neutron does not know',
      sgRule({ direction: 'ingress', protocol: 'any' }),
      'spec.resource.rules[0].protocol',
      'should match',
      sgRule({ direction: 'ingress', protocol: 'ah' }),
    ],
    [
      'TCP port 0',
      sgRule({ direction: 'ingress', protocol: 'tcp', portRangeMin: 0, portRangeMax: 0 }),
      'spec.resource.rules[0]',
      'a port range needs portRangeMin and portRangeMax, from 1 to 65535',
      sgRule({ direction: 'ingress', protocol: 'tcp', portRangeMin: 1, portRangeMax: 1 }),
    ],
    [
      'a first port without a last one',
      sgRule({ direction: 'ingress', protocol: 'udp', portRangeMin: 53 }),
      'spec.resource.rules[0]',
      'a port range needs portRangeMin and portRangeMax',
      sgRule({ direction: 'ingress', protocol: 'udp', portRangeMin: 53, portRangeMax: 53 }),
    ],
    [
      'a security group named default (Neutron keeps the name for its own group)',
      withResource(examples.securityGroupFull, { name: 'default' }),
      'spec.resource.name',
      'the name default belongs to the group Neutron makes in every project',
      withResource(examples.securityGroupFull, { name: 'default-web' }),
    ],
    [
      'a route destination with host bits',
      withResource(examples.routerFull, { routes: [{ destination: '172.16.0.1/12', nextHop: '10.0.0.254' }] }),
      'spec.resource.routes',
      'a route destination must be a network address with no host bits',
      withResource(examples.routerFull, { routes: [{ destination: '172.16.0.0/12', nextHop: '10.0.0.254' }] }),
    ],
    [
      'a DNS server listed twice',
      withResource(examples.subnetV4, { dnsNameservers: ['10.0.0.2', '10.0.0.2'] }),
      'spec.resource.dnsNameservers',
      'dnsNameservers must not list a server twice',
      withResource(examples.subnetV4, { dnsNameservers: ['10.0.0.2', '10.0.0.3'] }),
    ],
    [
      'an allowed address pair listed twice',
      withResource(examples.portFull, { allowedAddressPairs: [{ ipAddress: '10.0.0.9' }, { ipAddress: '10.0.0.9' }] }),
      'spec.resource.allowedAddressPairs',
      'allowedAddressPairs must not list a pair twice',
      withResource(examples.portFull, { allowedAddressPairs: [{ ipAddress: '10.0.0.9' }, { ipAddress: '10.0.0.9', macAddress: 'fa:16:3e:00:00:09' }] }),
    ],
    [
      'a DNS domain without its trailing dot',
      withResource(examples.networkFull, { dnsDomain: 'example.org' }),
      'spec.resource.dnsDomain',
      'should match',
      withResource(examples.networkFull, { dnsDomain: 'example.org.' }),
    ],
    [
      'a DNS domain in capitals (Neutron keeps it lower-cased: drift for good)',
      withResource(examples.networkFull, { dnsDomain: 'Example.org.' }),
      'spec.resource.dnsDomain',
      'should match',
      withResource(examples.networkFull, { dnsDomain: 'example.org.' }),
    ],
    [
      'a DNS domain whose last label is all digits',
      withResource(examples.networkFull, { dnsDomain: 'example.123.' }),
      'spec.resource.dnsDomain',
      'the last label of dnsDomain must not be all digits',
      withResource(examples.networkFull, { dnsDomain: 'example.x123.' }),
    ],
    [
      'a server tag with a slash',
      withResource(examples.serverFull, { tags: ['team/web'] }),
      'spec.resource.tags[0]',
      'should match',
      withResource(examples.serverFull, { tags: ['team-web'] }),
    ],
    [
      'a server metadata key Nova refuses',
      withResource(examples.serverFull, { metadata: { 'role!': 'web' } }),
      'spec.resource.metadata',
      'metadata keys may hold letters, digits, spaces and - _ : . only',
      withResource(examples.serverFull, { metadata: { 'role:web': 'web' } }),
    ],
    [
      'user data longer than Nova takes',
      withResource(examples.serverFull, { userData: 'x'.repeat(49150) }),
      'spec.resource.userData',
      'Too long',
      withResource(examples.serverFull, { userData: 'x'.repeat(49149) }),
    ],
    [
      'a multicast MAC address',
      withResource(examples.portFull, { macAddress: 'fb:16:3e:00:00:01' }),
      'spec.resource.macAddress',
      'must be a unicast MAC address',
      withResource(examples.portFull, { macAddress: 'fa:16:3e:00:00:01' }),
    ],
    [
      'a multicast MAC address in an allowed address pair',
      withResource(examples.portFull, { allowedAddressPairs: [{ ipAddress: '10.0.0.9', macAddress: '01:00:5e:00:00:01' }] }),
      'spec.resource.allowedAddressPairs[0].macAddress',
      'must be a unicast MAC address',
      withResource(examples.portFull, { allowedAddressPairs: [{ ipAddress: '10.0.0.9', macAddress: '00:00:5e:00:00:01' }] }),
    ],
    [
      'a security group rule listed twice',
      variant(examples.securityGroupFull, (x) => x.spec.resource.rules.push({ ...x.spec.resource.rules[0] })),
      'spec.resource.rules',
      'a rule is listed twice',
      variant(examples.securityGroupFull, (x) => x.spec.resource.rules.push({ ...x.spec.resource.rules[0], portRangeMin: 8443, portRangeMax: 8443 })),
    ],
    [
      'a /32 subnet',
      withResource(examples.subnetV4, { cidr: '10.0.0.5/32', gatewayIP: undefined, allocationPools: undefined }),
      'spec.resource.cidr',
      'cidr must hold more than one address',
      withResource(examples.subnetV4, { cidr: '10.0.0.4/31', gatewayIP: undefined, allocationPools: undefined }),
    ],
    [
      'a /128 subnet',
      withResource(examples.subnetV6, { cidr: '2001:db8:1::1/128', ipv6AddressMode: undefined, ipv6RAMode: undefined }),
      'spec.resource.cidr',
      'cidr must hold more than one address',
      withResource(examples.subnetV6, { cidr: '2001:db8:1::/127', ipv6AddressMode: undefined, ipv6RAMode: undefined }),
    ],
    [
      'SLAAC on a prefix other than /64',
      withResource(examples.subnetV6, { cidr: '2001:db8:1::/80' }),
      'spec.resource.cidr',
      'slaac and dhcpv6-stateless need a /64 cidr',
      withResource(examples.subnetV6, { cidr: '2001:db8:1::/64' }),
    ],
    [
      'dhcpv6-stateless router advertisements on a prefix other than /64',
      withResource(examples.subnetV6, { cidr: '2001:db8:1::/56', ipv6AddressMode: undefined, ipv6RAMode: 'dhcpv6-stateless' }),
      'spec.resource.cidr',
      'slaac and dhcpv6-stateless need a /64 cidr',
      withResource(examples.subnetV6, { cidr: '2001:db8:1::/56', ipv6AddressMode: 'dhcpv6-stateful', ipv6RAMode: 'dhcpv6-stateful' }),
    ],
  ];
  it.each(cases)('%s', (_, bad, field, message, nearestValid) => {
    expectRejected(admit(bad), field, message);
    expect(admit(nearestValid)).toEqual([]);
  });
});
