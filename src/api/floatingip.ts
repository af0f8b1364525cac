// FloatingIP: a Neutron floating IP, optionally associated with a Port.
import { Type } from '@sinclair/typebox';
import { immutable, immutableOptional, validations } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { localRef } from './meta.ts';
import { Description, FilterTags, IPAddress, ProjectID, Tags } from './neutron.ts';

const Resource = Type.Object({
  floatingNetworkRef: localRef(
    'The external Network to allocate the address from, usually imported with managementPolicy ObserveOnly.',
    validations(immutable('floatingNetworkRef is immutable: create a new FloatingIP to change it')),
  ),
  address: Type.Optional(
    Type.String({
      description: 'A specific free address to allocate (the cloud picks one when unset).',
      maxLength: 45,
      ...validations({ rule: 'isIP(self)', message: 'address must be an IPv4 or IPv6 address' }),
    }),
  ),
  portRef: Type.Optional(
    localRef('The Port to associate with; change it to move the address, remove it to disassociate.'),
  ),
  serverRef: Type.Optional(
    Type.Object(
      {
        name: Type.String({ description: 'Name of the Server in the same namespace.', minLength: 1, maxLength: 253 }),
        networkRef: Type.Optional(localRef("The Network of the server's port to use, when it has ports on several.")),
      },
      { description: "Associate with a Server's port instead of a Port object: its port on networkRef, else its only port." },
    ),
  ),
  fixedIPAddress: Type.Optional(
    Type.String({
      description: 'Which fixed address of the port to map to, when it has several.',
      maxLength: 45,
      ...validations({ rule: 'isIP(self)', message: 'fixedIPAddress must be an IPv4 or IPv6 address' }),
    }),
  ),
  description: Type.Optional(Description),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  address: Type.Optional(IPAddress),
  tags: Type.Optional(FilterTags),
  floatingNetworkRef: Type.Optional(localRef('Only addresses of this external Network.')),
  portRef: Type.Optional(localRef('Only the address associated with this Port.')),
  projectID: Type.Optional(ProjectID),
});

const Observed = Type.Object({
  floatingIPAddress: Type.Optional(Type.String()),
  fixedIPAddress: Type.Optional(Type.String()),
  portID: Type.Optional(Type.String()),
  floatingNetworkID: Type.Optional(Type.String()),
  routerID: Type.Optional(Type.String()),
  status: Type.Optional(Type.String({ description: 'ACTIVE, DOWN or ERROR.' })),
  description: Type.Optional(Type.String()),
  projectID: Type.Optional(Type.String()),
  revisionNumber: Type.Optional(Type.Integer({ format: 'int64' })),
  tags: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
});

export const floatingIP = defineKind({
  kind: 'FloatingIP',
  plural: 'floatingips',
  shortNames: ['fip'],
  description: 'A Neutron floating IP.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [
    { name: 'Address', type: 'string', jsonPath: '.status.resource.floatingIPAddress' },
    { name: 'Port', type: 'string', jsonPath: '.spec.resource.portRef.name' },
    { name: 'Server', type: 'string', jsonPath: '.spec.resource.serverRef.name' },
  ],
  rules: [
    immutableOptional('address', 'address is immutable: create a new FloatingIP to change it'),
    { rule: '!(has(self.portRef) && has(self.serverRef))', message: 'associate with portRef or serverRef, not both', fieldPath: '.serverRef' },
    { rule: '!has(self.fixedIPAddress) || has(self.portRef) || has(self.serverRef)', message: 'fixedIPAddress needs portRef or serverRef', fieldPath: '.fixedIPAddress' },
  ],
});

export type FloatingIP = ObjectOf<typeof floatingIP>;
export type FloatingIPManifest = ManifestOf<typeof floatingIP>;
export type FloatingIPSpec = SpecOf<typeof floatingIP>;
export type FloatingIPStatus = StatusOf<typeof floatingIP>;
export type FloatingIPResource = ResourceOf<typeof floatingIP>;
export type FloatingIPImportFilter = ImportFilterOf<typeof floatingIP>;
export type FloatingIPObserved = ObservedOf<typeof floatingIP>;
