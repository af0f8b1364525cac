// Port: a Neutron port on a Network.
import { Type } from '@sinclair/typebox';
import { immutable, immutableOptional, validations } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { localRef } from './meta.ts';
import {
  Description,
  FilterTags,
  FixedIP,
  ObservedFixedIP,
  ProjectID,
  Tags,
  filterName,
  neutronName,
  noDuplicates,
  observedCommon,
} from './neutron.ts';
import { defaulted } from './schema.ts';

const MAC = Type.String({
  description: 'A unicast MAC address, e.g. fa:16:3e:00:00:01.',
  pattern: '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$',
  maxLength: 17,
  // The lowest bit of the first octet marks a group (multicast) address, which no port can own.
  ...validations({ rule: "!self.matches('^.[13579bdfBDF]')", message: 'must be a unicast MAC address: the first octet must be even, e.g. fa:16:3e:00:00:01' }),
});

const AllowedAddressPair = Type.Object({
  ipAddress: Type.String({
    description: 'An address or a CIDR the port may also send from.',
    maxLength: 49,
    ...validations({ rule: 'isIP(self) || isCIDR(self)', message: 'ipAddress must be an IP address or a CIDR' }),
  }),
  macAddress: Type.Optional(MAC),
});

const Resource = Type.Object({
  networkRef: localRef(
    'The Network the port is on.',
    validations(immutable('networkRef is immutable: create a new Port to change it')),
  ),
  fixedIPs: Type.Optional(
    Type.Array(FixedIP, {
      description: 'Addresses of the port (the cloud picks one per subnet when unset).',
      maxItems: 16,
      'x-kubernetes-list-type': 'atomic',
    }),
  ),
  securityGroupRefs: Type.Optional(
    Type.Array(localRef('A SecurityGroup.'), {
      description: "SecurityGroups of the port. Unset: the project's default group; empty: none.",
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
  ),
  allowedAddressPairs: Type.Optional(
    Type.Array(AllowedAddressPair, {
      description: 'Extra addresses the port may send from (e.g. a VIP).',
      maxItems: 32,
      'x-kubernetes-list-type': 'atomic',
      ...noDuplicates(
        "a.ipAddress == b.ipAddress && (has(a.macAddress) ? a.macAddress : '') == (has(b.macAddress) ? b.macAddress : '')",
        'allowedAddressPairs must not list a pair twice',
      ),
    }),
  ),
  macAddress: Type.Optional(MAC),
  portSecurityEnabled: Type.Optional(
    Type.Boolean({ description: "Anti-spoofing and security groups (the network's default when unset)." }),
  ),
  adminStateUp: defaulted(Type.Boolean({ description: 'Administrative state (default up).' }), true),
  qosPolicyRef: Type.Optional(
    localRef("The QoSPolicy of the port, before its network's. Unset: none of its own (a policy set otherwise is removed)."),
  ),
  name: Type.Optional(neutronName('port')),
  description: Type.Optional(Description),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
  networkRef: Type.Optional(localRef('Only ports on this Network.')),
  macAddress: Type.Optional(MAC),
  deviceID: Type.Optional(Type.String({ description: 'ID of the device (server, router) using the port.', maxLength: 255 })),
  projectID: Type.Optional(ProjectID),
});

const Observed = Type.Object({
  ...observedCommon,
  status: Type.Optional(Type.String({ description: 'ACTIVE, BUILD, DOWN or ERROR.' })),
  networkID: Type.Optional(Type.String()),
  macAddress: Type.Optional(Type.String()),
  fixedIPs: Type.Optional(Type.Array(ObservedFixedIP, { 'x-kubernetes-list-type': 'atomic' })),
  securityGroups: Type.Optional(
    Type.Array(Type.String(), { description: 'IDs of its security groups.', 'x-kubernetes-list-type': 'atomic' }),
  ),
  allowedAddressPairs: Type.Optional(
    Type.Array(Type.Object({ ipAddress: Type.String(), macAddress: Type.Optional(Type.String()) }), {
      'x-kubernetes-list-type': 'atomic',
    }),
  ),
  deviceID: Type.Optional(Type.String()),
  deviceOwner: Type.Optional(Type.String()),
  adminStateUp: Type.Optional(Type.Boolean()),
  portSecurityEnabled: Type.Optional(Type.Boolean()),
  qosPolicyID: Type.Optional(Type.String({ description: 'ID of its own QoS policy.' })),
});

export const port = defineKind({
  kind: 'Port',
  plural: 'ports',
  shortNames: ['pt'],
  description: 'A Neutron port.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [
    { name: 'Address', type: 'string', jsonPath: '.status.resource.fixedIPs[0].ipAddress' },
    { name: 'Status', type: 'string', jsonPath: '.status.resource.status' },
  ],
  rules: [
    immutableOptional('macAddress', 'macAddress is immutable: create a new Port to change it'),
    {
      rule:
        '!has(self.portSecurityEnabled) || self.portSecurityEnabled || ' +
        '((!has(self.securityGroupRefs) || size(self.securityGroupRefs) == 0) && ' +
        '(!has(self.allowedAddressPairs) || size(self.allowedAddressPairs) == 0))',
      message: 'portSecurityEnabled: false cannot be combined with securityGroupRefs or allowedAddressPairs',
      fieldPath: '.portSecurityEnabled',
    },
  ],
});

export type Port = ObjectOf<typeof port>;
export type PortManifest = ManifestOf<typeof port>;
export type PortSpec = SpecOf<typeof port>;
export type PortStatus = StatusOf<typeof port>;
export type PortResource = ResourceOf<typeof port>;
export type PortImportFilter = ImportFilterOf<typeof port>;
export type PortObserved = ObservedOf<typeof port>;
