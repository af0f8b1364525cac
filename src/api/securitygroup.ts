// SecurityGroup: a Neutron security group whose rules are kept as a set.
import { CloneType, Type } from '@sinclair/typebox';
import { validations } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { localRef } from './meta.ts';
import { CIDR, Description, FilterTags, ProjectID, Tags, filterName, neutronName, observedCommon } from './neutron.ts';
import { defaulted } from './schema.ts';

// Protocols whose port range means ports, and those where it means ICMP type and code (names and numbers).
const PORT_PROTOCOLS = "['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136']";
const ICMP_PROTOCOLS = "['icmp', 'icmpv6', 'ipv6-icmp', '1', '58']";
// Neutron's protocol names (neutron-lib IP_PROTOCOL_MAP): any other name is refused by every Neutron.
const PROTOCOL_NAMES = [
  'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6',
  'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp',
];
// Protocols of IPv6 alone, by name and number: Neutron refuses them in an IPv4 rule.
const IPV6_ONLY = "['icmpv6', 'ipv6-icmp', 'ipv6-encap', 'ipv6-frag', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '43', '44', '58', '59', '60']";

const portNumber = (description: string) => Type.Integer({ description, minimum: 0, maximum: 65535 });

const SecurityGroupRule = Type.Object(
  {
    direction: Type.Union([Type.Literal('ingress'), Type.Literal('egress')], { description: 'ingress or egress.' }),
    ethertype: defaulted(
      Type.Union([Type.Literal('IPv4'), Type.Literal('IPv6')], { description: 'IPv4 (default) or IPv6.' }),
      'IPv4',
    ),
    protocol: Type.Optional(
      Type.String({
        description: `A protocol name (${PROTOCOL_NAMES.join(', ')}) or number 0-255; unset matches any.`,
        pattern: `^(${PROTOCOL_NAMES.join('|')}|[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$`,
        maxLength: 32,
      }),
    ),
    portRangeMin: Type.Optional(portNumber('First port; for ICMP, the type.')),
    portRangeMax: Type.Optional(portNumber('Last port; for ICMP, the code.')),
    remoteIPPrefix: Type.Optional(CIDR),
    remoteGroupRef: Type.Optional(
      localRef(
        'Traffic from the ports of this SecurityGroup; the group\'s own name means its own ports. It does not ' +
          'wait for that group: the rule is added once the group exists (until then the SecurityGroup is ' +
          'Ready=False, WaitingForDependency), and it does not keep that group from being deleted (Neutron ' +
          'deletes the rule with it). Groups may reference each other.',
      ),
    ),
    description: Type.Optional(Description),
  },
  validations(
    {
      rule: '!has(self.remoteIPPrefix) || !has(self.remoteGroupRef)',
      message: 'set remoteIPPrefix or remoteGroupRef, not both',
    },
    { rule: '!has(self.portRangeMax) || has(self.portRangeMin)', message: 'portRangeMax needs portRangeMin' },
    {
      rule: `!has(self.portRangeMin) || (has(self.protocol) && (self.protocol in ${PORT_PROTOCOLS} || self.protocol in ${ICMP_PROTOCOLS}))`,
      message: 'a port range needs protocol tcp, udp, sctp, dccp or udplite (ports), or icmp or icmpv6 (type and code)',
    },
    {
      rule: `!has(self.portRangeMin) || !has(self.portRangeMax) || !has(self.protocol) || !(self.protocol in ${PORT_PROTOCOLS}) || self.portRangeMin <= self.portRangeMax`,
      message: 'portRangeMin must not be greater than portRangeMax',
    },
    {
      // Neutron refuses port 0 and a first port without a last one for these protocols.
      rule: `!has(self.portRangeMin) || !has(self.protocol) || !(self.protocol in ${PORT_PROTOCOLS}) || (has(self.portRangeMax) && self.portRangeMin >= 1)`,
      message: 'a port range needs portRangeMin and portRangeMax, from 1 to 65535 (one port: the same number twice)',
    },
    {
      rule:
        `!has(self.protocol) || !(self.protocol in ${ICMP_PROTOCOLS}) || ` +
        '((!has(self.portRangeMin) || self.portRangeMin <= 255) && (!has(self.portRangeMax) || self.portRangeMax <= 255))',
      message: 'for ICMP, portRangeMin is the type and portRangeMax the code, each 0-255',
    },
    {
      rule:
        "!has(self.remoteIPPrefix) || !isCIDR(self.remoteIPPrefix) || cidr(self.remoteIPPrefix).ip().family() == (self.ethertype == 'IPv4' ? 4 : 6)",
      message: 'remoteIPPrefix must be of the ethertype family',
      fieldPath: '.remoteIPPrefix',
    },
    {
      // Neutron would match the network the prefix is in, which is not what was written.
      rule: '!has(self.remoteIPPrefix) || !isCIDR(self.remoteIPPrefix) || cidr(self.remoteIPPrefix) == cidr(self.remoteIPPrefix).masked()',
      message: 'remoteIPPrefix must be a network address with no host bits, e.g. 10.0.0.0/24 rather than 10.0.0.1/24 (a single host is 10.0.0.1/32)',
      fieldPath: '.remoteIPPrefix',
    },
    {
      rule: `!has(self.protocol) || !(self.protocol in ${IPV6_ONLY}) || self.ethertype == 'IPv6'`,
      message: 'an IPv6 protocol (icmpv6, ipv6-route, ipv6-frag, ipv6-opts, ipv6-nonxt, ipv6-encap) needs ethertype IPv6 (for ICMP on IPv4, use icmp)',
      fieldPath: '.protocol',
    },
  ),
);

const Resource = Type.Object({
  name: Type.Optional(
    CloneType(neutronName('security group'), {
      // Neutron keeps the name for the group it makes in every project, and refuses a second one.
      ...validations({ rule: "self != 'default'", message: 'the name default belongs to the group Neutron makes in every project; choose another' }),
    }),
  ),
  description: Type.Optional(Description),
  stateful: defaulted(
    Type.Boolean({
      description:
        'Connection tracking (default true). Neutron changes it only while no port uses the group; the change is retried until then.',
    }),
    true,
  ),
  rules: Type.Optional(
    Type.Array(SecurityGroupRule, {
      description:
        "The group's rules, kept as a set: missing rules are created, equal ones left alone, all others deleted, " +
        'including the two egress rules (IPv4 and IPv6, any protocol, any address) Neutron adds to every new ' +
        'group: list them to keep outbound traffic open. A rule that differs only in its description is ' +
        "replaced. Unset: rules are not managed (a new group keeps Neutron's egress rules); empty: the group " +
        'has no rules.',
      maxItems: 128,
      'x-kubernetes-list-type': 'atomic',
      ...validations({ rule: 'self.all(r, self.exists_one(s, s == r))', message: 'a rule is listed twice: the group holds each rule once, list it once' }),
    }),
  ),
  tags: Type.Optional(Tags),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
  projectID: Type.Optional(ProjectID),
});

const ObservedRule = Type.Object({
  id: Type.String(),
  direction: Type.Optional(Type.String()),
  ethertype: Type.Optional(Type.String()),
  protocol: Type.Optional(Type.String()),
  portRangeMin: Type.Optional(Type.Integer()),
  portRangeMax: Type.Optional(Type.Integer()),
  remoteIPPrefix: Type.Optional(Type.String()),
  remoteGroupID: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
});

const Observed = Type.Object({
  ...observedCommon,
  stateful: Type.Optional(Type.Boolean()),
  rules: Type.Optional(Type.Array(ObservedRule, { 'x-kubernetes-list-type': 'atomic' })),
});

export const securityGroup = defineKind({
  kind: 'SecurityGroup',
  plural: 'securitygroups',
  shortNames: ['sg'],
  description: 'A Neutron security group and its rules.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [{ name: 'Stateful', type: 'boolean', jsonPath: '.status.resource.stateful' }],
});

export type SecurityGroup = ObjectOf<typeof securityGroup>;
export type SecurityGroupManifest = ManifestOf<typeof securityGroup>;
export type SecurityGroupSpec = SpecOf<typeof securityGroup>;
export type SecurityGroupStatus = StatusOf<typeof securityGroup>;
export type SecurityGroupResource = ResourceOf<typeof securityGroup>;
export type SecurityGroupRule = SecurityGroupResource['rules'] extends (infer R)[] | undefined ? R : never;
export type SecurityGroupImportFilter = ImportFilterOf<typeof securityGroup>;
export type SecurityGroupObserved = ObservedOf<typeof securityGroup>;
