// QoSPolicy: a Neutron QoS policy (the qos extension) whose rules are kept as a set.
import { Type, type TObject } from '@sinclair/typebox';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { Description, FilterTags, ProjectID, Tags, filterName, neutronName, observedCommon } from './neutron.ts';
import { defaulted } from './schema.ts';

/** neutron-lib VALID_DSCP_MARKS: Neutron refuses any other mark. */
export const DSCP_MARKS = [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56] as const;

// Neutron keeps rates in a signed 32-bit column.
const kbps = (description: string) => Type.Integer({ description, minimum: 0, maximum: 2147483647 });

// Required, not defaulted: it keys the lists below, and server-side apply merges by the keys as written.
const Direction = Type.Union([Type.Literal('egress'), Type.Literal('ingress')], {
  description: 'egress: what the port sends; ingress: what it receives.',
});

/**
 * A list of rules with one per direction: the API server refuses a direction listed twice (the
 * map's key), which Neutron would refuse too, after part of the set had been applied.
 */
function perDirection<T extends TObject>(rule: T, description: string) {
  return Type.Array(rule, {
    description,
    maxItems: 2,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['direction'],
  });
}

const BandwidthLimitRule = Type.Object({
  direction: Direction,
  maxKbps: kbps('Maximum rate, in kbps.'),
  maxBurstKbps: defaulted(kbps("Maximum burst, in kbps; 0 (the default) leaves it to the backend (Open vSwitch: 80% of maxKbps)."), 0),
});

const MinimumBandwidthRule = Type.Object({
  direction: Direction,
  minKbps: kbps('Guaranteed rate, in kbps (ingress needs the qos-bw-minimum-ingress extension).'),
});

const DscpMarkingRule = Type.Object(
  {
    dscpMark: Type.Union(
      DSCP_MARKS.map((mark) => Type.Literal(mark)),
      { description: `The mark: one of ${DSCP_MARKS.join(', ')}.` },
    ),
  },
  { description: 'The DSCP mark of the packets the port sends (one per policy).' },
);

const Rules = Type.Object(
  {
    bandwidthLimits: Type.Optional(perDirection(BandwidthLimitRule, 'Bandwidth limits, at most one per direction.')),
    dscpMarking: Type.Optional(DscpMarkingRule),
    minimumBandwidths: Type.Optional(perDirection(MinimumBandwidthRule, 'Minimum bandwidth guarantees, at most one per direction.')),
  },
  {
    description:
      "The policy's rules, kept as a set: missing rules are created, changed ones updated in place, all others " +
      'deleted (rule types this resource does not express, such as minimum packet rate, included). Unset: rules ' +
      'are not managed; {}: the policy has no rules.',
  },
);

const Resource = Type.Object({
  name: Type.Optional(neutronName('QoS policy')),
  description: Type.Optional(Description),
  shared: Type.Optional(Type.Boolean({ description: 'Shared with every project, usually admin only.' })),
  isDefault: Type.Optional(
    Type.Boolean({ description: "The project's default policy, given to its networks created without one (qos-default extension)." }),
  ),
  rules: Type.Optional(Rules),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
  shared: Type.Optional(Type.Boolean()),
  isDefault: Type.Optional(Type.Boolean()),
  projectID: Type.Optional(ProjectID),
});

const ObservedRule = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'bandwidth_limit, dscp_marking, minimum_bandwidth or another type of the cloud.' }),
  direction: Type.Optional(Type.String()),
  maxKbps: Type.Optional(Type.Integer()),
  maxBurstKbps: Type.Optional(Type.Integer()),
  dscpMark: Type.Optional(Type.Integer()),
  minKbps: Type.Optional(Type.Integer()),
});

const Observed = Type.Object({
  ...observedCommon,
  shared: Type.Optional(Type.Boolean()),
  isDefault: Type.Optional(Type.Boolean()),
  rules: Type.Optional(Type.Array(ObservedRule, { 'x-kubernetes-list-type': 'atomic' })),
});

export const qosPolicy = defineKind({
  kind: 'QoSPolicy',
  plural: 'qospolicies',
  shortNames: ['qos'],
  description: 'A Neutron QoS policy and its rules.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [{ name: 'Shared', type: 'boolean', jsonPath: '.status.resource.shared' }],
});

export type QoSPolicy = ObjectOf<typeof qosPolicy>;
export type QoSPolicyManifest = ManifestOf<typeof qosPolicy>;
export type QoSPolicySpec = SpecOf<typeof qosPolicy>;
export type QoSPolicyStatus = StatusOf<typeof qosPolicy>;
export type QoSPolicyResource = ResourceOf<typeof qosPolicy>;
export type QoSPolicyRules = NonNullable<QoSPolicyResource['rules']>;
export type QoSPolicyImportFilter = ImportFilterOf<typeof qosPolicy>;
export type QoSPolicyObserved = ObservedOf<typeof qosPolicy>;
