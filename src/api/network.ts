// Network: a Neutron network.
import { CloneType, Type } from '@sinclair/typebox';
import { immutableOptional, validations } from './cel.ts';
import { defineKind } from './kind.ts';
import { localRef } from './meta.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { Description, FilterTags, ProjectID, Tags, filterName, neutronName, observedCommon } from './neutron.ts';
import { defaulted } from './schema.ts';

const AvailabilityZones = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
  maxItems: 16,
  'x-kubernetes-list-type': 'set',
});

const Resource = Type.Object({
  name: Type.Optional(neutronName('network')),
  description: Type.Optional(Description),
  adminStateUp: defaulted(Type.Boolean({ description: 'Administrative state (default up).' }), true),
  mtu: Type.Optional(Type.Integer({ description: 'Maximum transmission unit, in bytes.', minimum: 68, maximum: 9216 })),
  portSecurityEnabled: Type.Optional(
    Type.Boolean({ description: 'Default port security of new ports (the cloud default when unset).' }),
  ),
  external: Type.Optional(Type.Boolean({ description: 'router:external, usually admin only.' })),
  shared: Type.Optional(Type.Boolean({ description: 'Shared with every project, usually admin only.' })),
  dnsDomain: Type.Optional(
    Type.String({
      description: 'DNS domain of the ports on this network, a fully qualified name in lower case with its trailing dot, e.g. example.org.',
      maxLength: 255,
      // Neutron wants the trailing dot, and keeps a lower-cased copy: capitals would read as drift for good.
      pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+$',
      ...validations({ rule: "!self.matches('(^|[.])[0-9]+[.]$')", message: 'the last label of dnsDomain must not be all digits' }),
    }),
  ),
  availabilityZoneHints: Type.Optional(
    CloneType(AvailabilityZones, { description: 'Availability zones to schedule the network in.' }),
  ),
  qosPolicyRef: Type.Optional(
    localRef(
      "The QoSPolicy of the network's ports that have none of their own. Unset: none (a policy set otherwise, " +
        "the project's default QoS policy included, is removed).",
    ),
  ),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
  external: Type.Optional(Type.Boolean({ description: 'router:external.' })),
  shared: Type.Optional(Type.Boolean()),
  projectID: Type.Optional(ProjectID),
});

const Observed = Type.Object({
  ...observedCommon,
  status: Type.Optional(Type.String({ description: 'ACTIVE, BUILD, DOWN or ERROR.' })),
  adminStateUp: Type.Optional(Type.Boolean()),
  mtu: Type.Optional(Type.Integer()),
  portSecurityEnabled: Type.Optional(Type.Boolean()),
  external: Type.Optional(Type.Boolean()),
  shared: Type.Optional(Type.Boolean()),
  dnsDomain: Type.Optional(Type.String()),
  availabilityZones: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
  availabilityZoneHints: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
  subnets: Type.Optional(Type.Array(Type.String(), { description: 'IDs of its subnets.', 'x-kubernetes-list-type': 'atomic' })),
  qosPolicyID: Type.Optional(Type.String({ description: 'ID of its QoS policy.' })),
});

export const network = defineKind({
  kind: 'Network',
  plural: 'networks',
  shortNames: ['net'],
  description: 'A Neutron network.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.resource.status' }],
  rules: [
    immutableOptional(
      'availabilityZoneHints',
      'availabilityZoneHints is immutable: create a new Network to change it',
    ),
  ],
});

export type Network = ObjectOf<typeof network>;
export type NetworkManifest = ManifestOf<typeof network>;
export type NetworkSpec = SpecOf<typeof network>;
export type NetworkStatus = StatusOf<typeof network>;
export type NetworkResource = ResourceOf<typeof network>;
export type NetworkImportFilter = ImportFilterOf<typeof network>;
export type NetworkObserved = ObservedOf<typeof network>;
