// PrivateNetwork: an Exoscale private network (an L2 network, with managed DHCP when it has a range)
// and the instances attached to it.
import { Type } from '@sinclair/typebox';
import { validations, type Rule } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';

const ipv4 = (description: string) =>
  Type.String({ description, maxLength: 15, ...validations({ rule: 'isIP(self) && ip(self).family() == 4', message: 'must be an IPv4 address such as 10.0.0.1' }) });

const ipv4List = (description: string) => Type.Array(ipv4('An IPv4 address.'), { description, maxItems: 8, 'x-kubernetes-list-type': 'atomic' });

/** Contiguous netmasks, each with its prefix length (128.0.0.0 = 1 ... 255.255.255.255 = 32). */
const NETMASKS = Array.from({ length: 32 }, (_, i) => {
  const bits = (0xffffffff << (31 - i)) >>> 0;
  return [[24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join('.'), i + 1] as const;
});
const PREFIX_OF = `{${NETMASKS.map(([mask, prefix]) => `'${mask}': ${prefix}`).join(', ')}}`;

/** The CEL value of an IPv4 address as a number, to order two of them. */
const ipNumber = (expr: string) => [0, 1, 2, 3].map((i) => `int(${expr}.findAll('[0-9]+')[${i}]) * ${256 ** (3 - i)}`).join(' + ');
/** The CIDR of the network `ip` is in, per the object's netmask. */
const networkOf = (ip: string) => `cidr(${ip} + '/' + string(${PREFIX_OF}[self.netmask])).masked()`;
/** The range fields are valid one by one (their own rules report them otherwise). */
const RANGE_VALID = `has(self.netmask) && self.netmask in ${PREFIX_OF} && isIP(self.startIP) && isIP(self.endIP) && ip(self.startIP).family() == 4 && ip(self.endIP).family() == 4`;

const DhcpOptions = Type.Object(
  {
    dnsServers: Type.Optional(ipv4List('DNS servers the DHCP server announces.')),
    ntpServers: Type.Optional(ipv4List('NTP servers the DHCP server announces.')),
    routers: Type.Optional(ipv4List('Default routers the DHCP server announces.')),
    domainSearch: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?$' }), {
        description: 'DNS search domains the DHCP server announces (255 octets in all).',
        maxItems: 16,
        'x-kubernetes-list-type': 'atomic',
        ...validations({ rule: 'self.map(d, d.size() + 1).sum() <= 256', message: 'domainSearch is limited to 255 octets in all' }),
      }),
    ),
  },
  { description: 'DHCP options (managed DHCP only); an empty object clears them.' },
);

const Instance = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Instance ID (a UUID).', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', maxLength: 36 })),
    name: Type.Optional(Type.String({ description: 'Instance name (must name exactly one instance of the zone).', minLength: 1, maxLength: 255 })),
    ip: Type.Optional(ipv4('Static DHCP lease for the instance, in the range (managed DHCP only); without it DHCP picks one from the range.')),
  },
  {
    description: 'A Compute instance attached to the network, by id or by name.',
    ...validations({ rule: 'has(self.id) != has(self.name)', message: 'name an instance by exactly one of id or name' }),
  },
);

const sameInstance = '(has(a.id) && has(b.id) && a.id == b.id) || (has(a.name) && has(b.name) && a.name == b.name)';

const Instances = Type.Array(Instance, {
  description: 'The instances attached to the network, as a set: missing ones are attached, others detached, a changed ip moved.',
  maxItems: 64,
  'x-kubernetes-list-type': 'atomic',
  ...validations(
    { rule: `self.all(a, self.exists_one(b, ${sameInstance}))`, message: 'each instance may be listed once' },
    { rule: 'self.all(a, !has(a.ip) || self.exists_one(b, has(b.ip) && b.ip == a.ip))', message: 'each ip may be leased to one instance' },
  ),
});

export const LABEL_PREFIX = 'cloudnet-';

const Resource = Type.Object({
  name: Type.Optional(Type.String({ description: 'Name in the cloud (default metadata.name).', minLength: 1, maxLength: 255 })),
  description: Type.Optional(Type.String({ description: 'Description in the cloud.', maxLength: 255 })),
  labels: Type.Optional(
    Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }), {
      description: 'Labels (key/value), kept as given: keys set elsewhere are removed; an empty map clears them.',
      maxProperties: 64,
      ...validations({ rule: `self.all(k, !k.startsWith('${LABEL_PREFIX}'))`, message: `label keys starting with ${LABEL_PREFIX} are reserved for the operator` }),
    }),
  ),
  startIP: Type.Optional(ipv4('First address of the managed DHCP range.')),
  endIP: Type.Optional(ipv4('Last address of the managed DHCP range.')),
  netmask: Type.Optional(
    Type.String({
      description: 'Netmask of the managed network, e.g. 255.255.255.0.',
      maxLength: 15,
      ...validations({ rule: `self in ${PREFIX_OF}`, message: 'netmask must be a contiguous IPv4 netmask such as 255.255.255.0' }),
    }),
  ),
  dhcpOptions: Type.Optional(DhcpOptions),
  instances: Type.Optional(Instances),
});

const rules: Rule[] = [
  {
    rule: 'has(self.startIP) == has(self.endIP) && has(self.endIP) == has(self.netmask)',
    message: 'startIP, endIP and netmask go together: set all three for managed DHCP, or none',
  },
  {
    rule: `!(${RANGE_VALID}) || ${networkOf('self.startIP')}.containsIP(self.endIP)`,
    message: 'startIP and endIP must be in one network of the netmask',
    fieldPath: '.endIP',
  },
  {
    rule: `!(${RANGE_VALID}) || ${ipNumber('self.startIP')} <= ${ipNumber('self.endIP')}`,
    message: 'the range runs backwards: startIP must not be after endIP',
    fieldPath: '.endIP',
  },
  {
    rule: '!has(self.dhcpOptions) || has(self.netmask)',
    message: 'dhcpOptions need managed DHCP: set startIP, endIP and netmask',
    fieldPath: '.dhcpOptions',
  },
  {
    rule: '!has(self.instances) || has(self.netmask) || self.instances.all(i, !has(i.ip))',
    message: 'an instance ip is a static DHCP lease: it needs managed DHCP (startIP, endIP and netmask)',
    fieldPath: '.instances',
  },
  {
    rule: `!has(self.instances) || !(${RANGE_VALID}) || self.instances.all(i, !has(i.ip) || !isIP(i.ip) || ip(i.ip).family() != 4 || (${ipNumber('self.startIP')} <= ${ipNumber('i.ip')} && ${ipNumber('i.ip')} <= ${ipNumber('self.endIP')}))`,
    message: 'an instance ip must be in the range from startIP to endIP',
    fieldPath: '.instances',
  },
  {
    // The API has no way to reset the range (its reset-field takes labels only).
    rule: '!has(oldSelf.netmask) || has(self.netmask)',
    message: 'the managed DHCP range cannot be removed once set: create a new PrivateNetwork without it',
    fieldPath: '.netmask',
  },
];

const ImportFilter = Type.Object({
  name: Type.Optional(Type.String({ description: 'Exact name.', minLength: 1, maxLength: 255 })),
});

const Lease = Type.Object({ instanceID: Type.Optional(Type.String()), ip: Type.Optional(Type.String()) });

const Observed = Type.Object({
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  startIP: Type.Optional(Type.String()),
  endIP: Type.Optional(Type.String()),
  netmask: Type.Optional(Type.String()),
  dhcpOptions: Type.Optional(
    Type.Object({
      dnsServers: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
      ntpServers: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
      routers: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
      domainSearch: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
    }),
  ),
  vni: Type.Optional(Type.Integer({ description: 'VXLAN network identifier.' })),
  leases: Type.Optional(Type.Array(Lease, { description: 'DHCP leases: instance and address.', 'x-kubernetes-list-type': 'atomic' })),
  zone: Type.Optional(Type.String({ description: 'The zone the network lives in.' })),
});

export const privateNetwork = defineKind({
  kind: 'PrivateNetwork',
  plural: 'privatenetworks',
  shortNames: ['privnet'],
  description: 'An Exoscale private network: an L2 network, with managed DHCP when it has a range, and the instances attached to it.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  rules,
  printerColumns: [
    { name: 'Zone', type: 'string', jsonPath: '.status.resource.zone' },
    { name: 'VNI', type: 'integer', jsonPath: '.status.resource.vni' },
  ],
});

export type PrivateNetwork = ObjectOf<typeof privateNetwork>;
export type PrivateNetworkManifest = ManifestOf<typeof privateNetwork>;
export type PrivateNetworkSpec = SpecOf<typeof privateNetwork>;
export type PrivateNetworkStatus = StatusOf<typeof privateNetwork>;
export type PrivateNetworkResource = ResourceOf<typeof privateNetwork>;
export type PrivateNetworkImportFilter = ImportFilterOf<typeof privateNetwork>;
export type PrivateNetworkObserved = ObservedOf<typeof privateNetwork>;
