// Router: a Neutron router with an external gateway, interfaces on Subnets and extra routes.
import { Type } from '@sinclair/typebox';
import { validations } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { localRef } from './meta.ts';
import {
  Description,
  FilterTags,
  FixedIP,
  ObservedFixedIP,
  ObservedRoutes,
  ProjectID,
  Tags,
  filterName,
  neutronName,
  observedCommon,
  routes,
} from './neutron.ts';
import { defaulted } from './schema.ts';

const ExternalGateway = Type.Object(
  {
    networkRef: localRef('The external Network, usually imported with managementPolicy ObserveOnly.'),
    enableSNAT: Type.Optional(Type.Boolean({ description: 'Source NAT through the gateway (the cloud default when unset).' })),
    fixedIPs: Type.Optional(
      Type.Array(FixedIP, {
        description: 'Addresses of the gateway on the external network (the cloud picks when unset).',
        maxItems: 8,
        'x-kubernetes-list-type': 'atomic',
      }),
    ),
  },
  {
    description:
      'Connects the router to an external network. Unset: the router has no gateway (one set outside ' +
      'the operator is removed, also from a router imported with managementPolicy Managed).',
  },
);

const Interface = Type.Object({ subnetRef: localRef('A Subnet to attach the router to.') });

const Resource = Type.Object({
  name: Type.Optional(neutronName('router')),
  description: Type.Optional(Description),
  adminStateUp: defaulted(Type.Boolean({ description: 'Administrative state (default up).' }), true),
  externalGateway: Type.Optional(ExternalGateway),
  interfaces: Type.Optional(
    Type.Array(Interface, {
      description:
        'Subnets the router is attached to, kept as a set: missing ones are attached, all others detached ' +
        '(including interfaces attached outside the operator). Unset or empty: no interfaces.',
      maxItems: 64,
      'x-kubernetes-list-type': 'atomic',
      ...validations({
        rule: 'self.all(i, self.exists_one(j, j.subnetRef.name == i.subnetRef.name))',
        message: 'interfaces must list each Subnet once',
      }),
    }),
  ),
  routes: Type.Optional(
    routes('Extra routes, kept as a set (routes added outside the operator are removed); each nextHop must be on an attached subnet. Unset or empty: none.'),
  ),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
  projectID: Type.Optional(ProjectID),
});

const Observed = Type.Object({
  ...observedCommon,
  status: Type.Optional(Type.String({ description: 'ACTIVE, BUILD, DOWN or ERROR.' })),
  adminStateUp: Type.Optional(Type.Boolean()),
  externalGateway: Type.Optional(
    Type.Object({
      networkID: Type.Optional(Type.String()),
      enableSNAT: Type.Optional(Type.Boolean()),
      fixedIPs: Type.Optional(Type.Array(ObservedFixedIP, { 'x-kubernetes-list-type': 'atomic' })),
    }),
  ),
  interfaces: Type.Optional(
    Type.Array(Type.Object({ subnetID: Type.Optional(Type.String()), portID: Type.Optional(Type.String()) }), {
      'x-kubernetes-list-type': 'atomic',
    }),
  ),
  routes: Type.Optional(ObservedRoutes),
  availabilityZones: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
});

export const router = defineKind({
  kind: 'Router',
  plural: 'routers',
  shortNames: ['rtr'],
  description: 'A Neutron router.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.resource.status' },
    { name: 'Gateway-IP', type: 'string', jsonPath: '.status.resource.externalGateway.fixedIPs[0].ipAddress' },
  ],
});

export type Router = ObjectOf<typeof router>;
export type RouterManifest = ManifestOf<typeof router>;
export type RouterSpec = SpecOf<typeof router>;
export type RouterStatus = StatusOf<typeof router>;
export type RouterResource = ResourceOf<typeof router>;
export type RouterImportFilter = ImportFilterOf<typeof router>;
export type RouterObserved = ObservedOf<typeof router>;
