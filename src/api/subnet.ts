// Subnet: a Neutron subnet of a Network.
import { CloneType, Type } from '@sinclair/typebox';
import { immutable, immutableOptional, validations } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { localRef } from './meta.ts';
import {
  CIDR,
  Description,
  FilterTags,
  IPAddress,
  ObservedRoutes,
  ProjectID,
  Tags,
  filterName,
  neutronName,
  noDuplicates,
  observedCommon,
  routes,
} from './neutron.ts';
import { defaulted } from './schema.ts';

const IPVersion = Type.Union([Type.Literal(4), Type.Literal(6)], { description: 'IP version: 4 or 6.' });
const ipv6Mode = (description: string) =>
  Type.Union([Type.Literal('slaac'), Type.Literal('dhcpv6-stateful'), Type.Literal('dhcpv6-stateless')], { description });

const AllocationPool = Type.Object({ start: IPAddress, end: IPAddress });

const Resource = Type.Object({
  networkRef: localRef(
    'The Network this subnet belongs to.',
    validations(immutable('networkRef is immutable: create a new Subnet to change it')),
  ),
  ipVersion: CloneType(IPVersion, validations(immutable('ipVersion is immutable: create a new Subnet to change it'))),
  cidr: Type.String({
    description: 'The network in CIDR notation, e.g. 10.0.0.0/24 or 2001:db8::/64.',
    format: 'cidr',
    maxLength: 49,
    ...validations(
      { rule: 'isCIDR(self)', message: 'cidr must be a CIDR such as 10.0.0.0/24 or 2001:db8::/64' },
      {
        rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
        message: 'cidr must be a network address with no host bits, e.g. 10.0.0.0/24 rather than 10.0.0.1/24',
      },
      {
        rule: '!isCIDR(self) || cidr(self).prefixLength() < (cidr(self).ip().family() == 4 ? 32 : 128)',
        message: 'cidr must hold more than one address: a /32 (IPv4) or /128 (IPv6) subnet has none to give a port',
      },
      immutable('cidr is immutable: create a new Subnet to change it'),
    ),
  }),
  gatewayIP: Type.Optional(
    Type.String({
      ...validations({ rule: 'isIP(self)', message: 'gatewayIP must be an IPv4 or IPv6 address' }),
      description: 'Gateway address inside cidr. Unset: the cloud picks the first address (unless noGateway).',
      maxLength: 45,
    }),
  ),
  noGateway: Type.Optional(Type.Boolean({ description: 'true: the subnet has no gateway.' })),
  enableDHCP: defaulted(Type.Boolean({ description: 'Serve DHCP on this subnet (default true).' }), true),
  allocationPools: Type.Optional(
    Type.Array(AllocationPool, {
      description: 'Address ranges, inside cidr, that ports get their addresses from.',
      maxItems: 32,
      'x-kubernetes-list-type': 'atomic',
    }),
  ),
  dnsNameservers: Type.Optional(
    Type.Array(IPAddress, {
      description: 'DNS servers announced by DHCP, in order.',
      maxItems: 16,
      'x-kubernetes-list-type': 'atomic',
      ...noDuplicates('a == b', 'dnsNameservers must not list a server twice'),
    }),
  ),
  hostRoutes: Type.Optional(routes('Extra routes announced by DHCP.')),
  ipv6AddressMode: Type.Optional(ipv6Mode('How ports get their IPv6 addresses: slaac, dhcpv6-stateful or dhcpv6-stateless. Immutable.')),
  ipv6RAMode: Type.Optional(
    ipv6Mode(
      'IPv6 router advertisements sent by Neutron: slaac, dhcpv6-stateful or dhcpv6-stateless (unset: none, e.g. an outside router sends them). Immutable.',
    ),
  ),
  name: Type.Optional(neutronName('subnet')),
  description: Type.Optional(Description),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
  networkRef: Type.Optional(localRef('Only subnets of this Network.')),
  cidr: Type.Optional(CIDR),
  ipVersion: Type.Optional(IPVersion),
  gatewayIP: Type.Optional(IPAddress),
  projectID: Type.Optional(ProjectID),
});

const Observed = Type.Object({
  ...observedCommon,
  networkID: Type.Optional(Type.String()),
  ipVersion: Type.Optional(Type.Integer()),
  cidr: Type.Optional(Type.String()),
  gatewayIP: Type.Optional(Type.String()),
  enableDHCP: Type.Optional(Type.Boolean()),
  allocationPools: Type.Optional(
    Type.Array(Type.Object({ start: Type.String(), end: Type.String() }), { 'x-kubernetes-list-type': 'atomic' }),
  ),
  dnsNameservers: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
  hostRoutes: Type.Optional(ObservedRoutes),
  ipv6AddressMode: Type.Optional(Type.String()),
  ipv6RAMode: Type.Optional(Type.String()),
});

export const subnet = defineKind({
  kind: 'Subnet',
  plural: 'subnets',
  shortNames: ['sn'],
  description: 'A Neutron subnet of a Network.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [{ name: 'CIDR', type: 'string', jsonPath: '.status.resource.cidr' }],
  rules: [
    // Neutron cannot change them once the subnet exists.
    immutableOptional('ipv6AddressMode', 'ipv6AddressMode is immutable: create a new Subnet to change it'),
    immutableOptional('ipv6RAMode', 'ipv6RAMode is immutable: create a new Subnet to change it'),
    {
      rule: '!isCIDR(self.cidr) || cidr(self.cidr).ip().family() == self.ipVersion',
      message: 'ipVersion must match the address family of cidr',
      fieldPath: '.ipVersion',
    },
    {
      rule: '!has(self.gatewayIP) || !has(self.noGateway) || !self.noGateway',
      message: 'set gatewayIP or noGateway: true, not both',
      fieldPath: '.gatewayIP',
    },
    {
      rule: '!has(self.gatewayIP) || !isCIDR(self.cidr) || !isIP(self.gatewayIP) || cidr(self.cidr).containsIP(self.gatewayIP)',
      message: 'gatewayIP must be an address inside cidr',
      fieldPath: '.gatewayIP',
    },
    {
      rule:
        '!has(self.allocationPools) || !isCIDR(self.cidr) || self.allocationPools.all(p, !isIP(p.start) || !isIP(p.end) || ' +
        '(cidr(self.cidr).containsIP(p.start) && cidr(self.cidr).containsIP(p.end)))',
      message: 'every allocation pool must be inside cidr',
      fieldPath: '.allocationPools',
    },
    {
      rule:
        '!has(self.hostRoutes) || self.hostRoutes.all(r, (!isCIDR(r.destination) || cidr(r.destination).ip().family() == self.ipVersion) && ' +
        '(!isIP(r.nextHop) || ip(r.nextHop).family() == self.ipVersion))',
      message: 'hostRoutes must use the IP version of the subnet',
      fieldPath: '.hostRoutes',
    },
    {
      rule: 'self.ipVersion == 6 || (!has(self.ipv6AddressMode) && !has(self.ipv6RAMode))',
      message: 'ipv6AddressMode and ipv6RAMode need ipVersion 6',
    },
    {
      rule: '!has(self.ipv6AddressMode) || !has(self.ipv6RAMode) || self.ipv6AddressMode == self.ipv6RAMode',
      message: 'ipv6AddressMode and ipv6RAMode must be equal when both are set',
      fieldPath: '.ipv6RAMode',
    },
    {
      // SLAAC forms an address from the 64-bit prefix and the interface id; Neutron refuses the rest.
      rule:
        "((!has(self.ipv6AddressMode) || self.ipv6AddressMode == 'dhcpv6-stateful') && (!has(self.ipv6RAMode) || self.ipv6RAMode == 'dhcpv6-stateful')) || " +
        '!isCIDR(self.cidr) || cidr(self.cidr).prefixLength() == 64',
      message: 'slaac and dhcpv6-stateless need a /64 cidr: use dhcpv6-stateful for other prefix lengths',
      fieldPath: '.cidr',
    },
  ],
});

export type Subnet = ObjectOf<typeof subnet>;
export type SubnetManifest = ManifestOf<typeof subnet>;
export type SubnetSpec = SpecOf<typeof subnet>;
export type SubnetStatus = StatusOf<typeof subnet>;
export type SubnetResource = ResourceOf<typeof subnet>;
export type SubnetImportFilter = ImportFilterOf<typeof subnet>;
export type SubnetObserved = ObservedOf<typeof subnet>;
