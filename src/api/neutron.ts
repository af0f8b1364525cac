// Schema pieces shared by the Neutron kinds (Network, Subnet, Router, Port, SecurityGroup, FloatingIP).
import { Type } from '@sinclair/typebox';
import { validations } from './cel.ts';
import { localRef } from './meta.ts';

export function neutronName(kind: string) {
  return Type.String({
    description: `Name of the ${kind} in the cloud. Defaults to the object's metadata.name.`,
    minLength: 1,
    maxLength: 255,
  });
}

export const Description = Type.String({ description: 'Description in the cloud.', maxLength: 255 });

/** Neutron's tag filters (`tags=a,b`) are comma-separated: a tag with a comma could never be matched. */
const NO_COMMA = { rule: "!self.contains(',')", message: "a tag cannot contain a comma: Neutron's tag filters separate tags with commas" };

// Neutron allows 50 tags of at most 60 characters before Zed (255 since): the limit every cloud takes; the operator keeps two for ownership.
export const Tags = Type.Array(
  Type.String({
    minLength: 1,
    maxLength: 60,
    ...validations(
      {
        rule: "!self.startsWith('cloudnet-')",
        message: 'tags starting with cloudnet- are reserved for the operator',
      },
      NO_COMMA,
    ),
  }),
  {
    description: 'Neutron tags, kept as a set; the operator adds its own ownership tags beside them.',
    maxItems: 48,
    'x-kubernetes-list-type': 'set',
  },
);

export const FilterTags = Type.Array(Type.String({ minLength: 1, maxLength: 60, ...validations(NO_COMMA) }), {
  description: 'Match resources carrying all of these tags.',
  maxItems: 50,
  'x-kubernetes-list-type': 'set',
});

export const ProjectID = Type.String({ description: 'ID of the owning project.', maxLength: 255 });

export const IPAddress = Type.String({
  description: 'An IPv4 or IPv6 address.',
  maxLength: 45,
  ...validations({ rule: 'isIP(self)', message: 'must be an IPv4 or IPv6 address' }),
});

export const CIDR = Type.String({
  description: 'A network in CIDR notation, e.g. 10.0.0.0/24 or 2001:db8::/64.',
  format: 'cidr',
  maxLength: 49,
  ...validations({ rule: 'isCIDR(self)', message: 'must be a CIDR such as 10.0.0.0/24 or 2001:db8::/64' }),
});

/** What the cloud reports for every Neutron resource. */
export const observedCommon = {
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  projectID: Type.Optional(Type.String()),
  revisionNumber: Type.Optional(Type.Integer({ format: 'int64' })),
  tags: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  updatedAt: Type.Optional(Type.String({ format: 'date-time' })),
};

/** A fixed IP request: a subnet, an address, or both. */
export const FixedIP = Type.Object(
  {
    subnetRef: Type.Optional(localRef('The Subnet to take the address from.')),
    ipAddress: Type.Optional(IPAddress),
  },
  validations({ rule: 'has(self.subnetRef) || has(self.ipAddress)', message: 'a fixed IP needs subnetRef, ipAddress or both' }),
);

export const ObservedFixedIP = Type.Object({ subnetID: Type.Optional(Type.String()), ipAddress: Type.Optional(Type.String()) });

export const Route = Type.Object({ destination: CIDR, nextHop: IPAddress });

export function routes(description: string) {
  return Type.Array(Route, {
    description,
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['destination', 'nextHop'],
    // Neutron refuses a destination with host bits set.
    ...validations({
      rule: 'self.all(r, !isCIDR(r.destination) || cidr(r.destination) == cidr(r.destination).masked())',
      message: 'a route destination must be a network address with no host bits, e.g. 10.1.0.0/16 rather than 10.1.0.1/16',
    }),
  });
}

/** A CEL rule refusing a list that holds an item twice (`same`: how two items `a` and `b` compare). */
export function noDuplicates(same: string, message: string) {
  return validations({ rule: `self.all(a, self.exists_one(b, ${same}))`, message });
}

export const ObservedRoutes = Type.Array(Type.Object({ destination: Type.String(), nextHop: Type.String() }), {
  'x-kubernetes-list-type': 'atomic',
});

export function filterName() {
  return Type.String({ description: 'Exact name.', minLength: 1, maxLength: 255 });
}
