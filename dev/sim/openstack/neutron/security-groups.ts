// Security groups (created with Neutron's default egress rules) and security group rules.
import { formatCidr, parseCidr } from '../ip.ts';
import { NeutronError } from './errors.ts';
import { asBool, asInt, asString, checkQuota, oneOf, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import type { NeutronState, Obj, SecurityGroup, SecurityGroupRule, Standard } from './model.ts';

const sgNotFound = (id: string): NeutronError => new NeutronError(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);

/** neutron-lib's IP_PROTOCOL_MAP, in its order: the protocol names a rule takes, and their numbers. */
const PROTOCOL_NUMBERS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4, 'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58,
  icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
/** A number's canonical name (the last name of that number, but never the legacy icmpv6). */
const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOL_NUMBERS).filter(([name]) => name !== 'icmpv6').map(([name, num]) => [String(num), name]));
/** Protocols whose port range is ports (SG_PORT_PROTO_NUMS) and those whose range is ICMP type and code. */
const PORTED = [33, 132, 6, 17, 136];
const ICMP = [1, 58];
/** Protocols of IPv6 only: an IPv4 rule naming one is refused (_validate_ethertype_and_protocol). */
const IPV6_ONLY = ['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43'];

/** The extension's convert_protocol: a known name (any case) or a number 0-255, as a string. */
function convertProtocol(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value);
  if (/^-?\d+$/.test(text) && Number(text) >= 0 && Number(text) <= 255) return text;
  if (!/^-?\d+$/.test(text) && PROTOCOL_NUMBERS[text.toLowerCase()] !== undefined) return text.toLowerCase();
  const supported = ['None', ...Object.keys(PROTOCOL_NUMBERS).map((p) => `'${p}'`)].join(', ');
  throw new NeutronError(400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol ${text} not supported. Only protocol values [${supported}] and integer representations [0 to 255] are supported.`);
}

/** _get_ip_proto_number: a name's number (icmpv6 counts as ipv6-icmp), or the number itself. */
const protocolNumber = (protocol: string): number => PROTOCOL_NUMBERS[protocol] ?? Number(protocol);

type RuleInput = Omit<SecurityGroupRule, keyof Standard | 'standard_attr_id'>;

function addRule(state: NeutronState, projectId: string, input: RuleInput, description = ''): SecurityGroupRule {
  const rule: SecurityGroupRule = { ...state.standard(projectId, description, 0), ...input, standard_attr_id: state.nextStandardAttrId() };
  state.security_group_rules.set(rule.id, rule);
  return rule;
}

const blankRule = (sgId: string, direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6', remoteGroupId: string | null = null): RuleInput => ({
  security_group_id: sgId,
  direction,
  ethertype,
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_ip_prefix: null,
  remote_group_id: remoteGroupId,
  remote_address_group_id: null,
  normalized_cidr: null,
  builtin: true,
});

function newGroup(state: NeutronState, projectId: string, name: string, description: string, stateful: boolean): SecurityGroup {
  const sg: SecurityGroup = { ...state.standard(projectId, description), name, stateful, shared: false, tags: [] };
  state.security_groups.set(sg.id, sg);
  for (const ethertype of ['IPv4', 'IPv6'] as const) addRule(state, projectId, blankRule(sg.id, 'egress', ethertype));
  return sg;
}

/** Neutron creates a project's "default" group lazily, the first time the project touches networking. */
export function ensureDefaultSecurityGroup(state: NeutronState, projectId: string): SecurityGroup {
  const existing = [...state.security_groups.values()].find((sg) => sg.project_id === projectId && sg.name === 'default');
  if (existing) return existing;
  const sg = newGroup(state, projectId, 'default', 'Default security group', true);
  for (const ethertype of ['IPv4', 'IPv6'] as const) addRule(state, projectId, blankRule(sg.id, 'ingress', ethertype, sg.id));
  return sg;
}

/** A rule as the rules API shows it, or (`embedded`) inside its group, where Neutron adds two attributes. */
export function renderRule(rule: SecurityGroupRule, embedded = false): Obj {
  const { builtin, standard_attr_id, ...out } = rule;
  return { ...out, description: builtin ? null : rule.description, ...(embedded ? { standard_attr_id, tags: [] } : {}) };
}

export function securityGroups(state: NeutronState): ResourceDef<SecurityGroup> {
  return {
    path: 'security-groups',
    collection: 'security_groups',
    singular: 'security_group',
    quota: 'security_group',
    taggable: true,
    store: state.security_groups,
    notFound: sgNotFound,
    post: ['name', 'description', 'stateful', 'project_id', 'tenant_id'],
    put: ['name', 'description', 'stateful'],
    readOnly: ['id', 'shared', 'security_group_rules', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: [],
    adminOnly: [],
    create(caller, body) {
      const projectId = projectOf(caller, body, 'create_security_group');
      ensureDefaultSecurityGroup(state, projectId);
      const name = opt(body, 'name', asString, '');
      if (name === 'default') throw new NeutronError(409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
      checkQuota(state, projectId, 'security_group');
      return newGroup(state, projectId, name, opt(body, 'description', asString, ''), opt(body, 'stateful', asBool, true));
    },
    update(_caller, sg, body) {
      if (body.name !== undefined) {
        const name = asString('name', body.name);
        if (sg.name === 'default' && name !== 'default') throw new NeutronError(409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
        sg.name = name;
      }
      if (body.description !== undefined) sg.description = asString('description', body.description);
      if (body.stateful !== undefined) {
        const stateful = asBool('stateful', body.stateful);
        // Neutron changes `stateful` only while no port uses the group.
        if (stateful !== sg.stateful && [...state.ports.values()].some((p) => p.security_groups.includes(sg.id))) {
          throw new NeutronError(409, 'SecurityGroupInUse', `Security Group ${sg.id} in use.`);
        }
        sg.stateful = stateful;
      }
    },
    remove(caller, sg) {
      if (sg.name === 'default' && !caller.isAdmin) throw new NeutronError(409, 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
      if ([...state.ports.values()].some((p) => p.security_groups.includes(sg.id))) throw new NeutronError(409, 'SecurityGroupInUse', `Security Group ${sg.id} in use.`);
      for (const rule of [...state.security_group_rules.values()]) {
        if (rule.security_group_id === sg.id || rule.remote_group_id === sg.id) state.security_group_rules.delete(rule.id);
      }
      state.security_groups.delete(sg.id);
    },
    visible: owns,
    render: (_caller, sg) => ({
      ...sg,
      security_group_rules: [...state.security_group_rules.values()].filter((r) => r.security_group_id === sg.id).map((r) => renderRule(r, true)),
    }),
  };
}

/** Neutron's duplicate check (_rule_to_key): any-address prefixes equal "no prefix", protocols compare as [name, number]. */
function ruleKey(r: RuleInput): string {
  const prefix = r.normalized_cidr === '0.0.0.0/0' || r.normalized_cidr === '::/0' ? null : r.normalized_cidr;
  const protocol = r.protocol === null ? null : PROTOCOL_NUMBERS[r.protocol] !== undefined ? [r.protocol, String(PROTOCOL_NUMBERS[r.protocol])] : [PROTOCOL_NAMES.get(r.protocol) ?? r.protocol, r.protocol];
  return JSON.stringify([r.security_group_id, r.direction, r.ethertype, protocol, r.port_range_min, r.port_range_max, prefix, r.remote_group_id, r.remote_address_group_id]);
}

/** _validate_port_range, on a rule whose whole-range ports were already dropped. */
function checkPorts(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null) throw new NeutronError(400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
  const number = protocolNumber(protocol);
  if (PORTED.includes(number)) {
    if (min === 0 || max === 0) throw new NeutronError(400, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0');
    if (min === null || max === null || min > max) throw new NeutronError(400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
  } else if (ICMP.includes(number)) {
    for (const [value, field, attr] of [[min, 'type', 'port_range_min'], [max, 'code', 'port_range_max']] as const) {
      if (value !== null && !(value >= 0 && value <= 255)) throw new NeutronError(400, 'SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`);
    }
    if (min === null && max !== null) throw new NeutronError(400, 'SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
  } else {
    throw new NeutronError(400, 'SecurityGroupInvalidProtocolForPort', `Ports cannot be specified for protocol ${number}. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.`);
  }
}

/** A rule as Neutron checks it: the attributes' own validation, then _validate_security_group_rule's steps in order. */
function parseRule(state: NeutronState, caller: Caller, body: Obj): RuleInput {
  const sgId = asString('security_group_id', body.security_group_id);
  const direction = oneOf('direction', body.direction, ['ingress', 'egress'] as const);
  const ethertype = opt(body, 'ethertype', (a, v) => oneOf(a, v, ['IPv4', 'IPv6'] as const), 'IPv4');
  let protocol = convertProtocol(body.protocol);
  let min = body.port_range_min === undefined || body.port_range_min === null ? null : asInt('port_range_min', body.port_range_min);
  let max = body.port_range_max === undefined || body.port_range_max === null ? null : asInt('port_range_max', body.port_range_max);
  const prefix = body.remote_ip_prefix === undefined || body.remote_ip_prefix === null ? null : asString('remote_ip_prefix', body.remote_ip_prefix);
  const remoteGroup = body.remote_group_id === undefined || body.remote_group_id === null ? null : asString('remote_group_id', body.remote_group_id);
  const cidr = prefix === null ? undefined : parseCidr(prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`);
  if (prefix !== null && !cidr) throw new NeutronError(400, 'HTTPBadRequest', `Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`);
  // _make_canonical_ipv6_icmp_protocol: the legacy IPv6 ICMP spellings become ipv6-icmp (and 1 becomes 58).
  if (ethertype === 'IPv6' && (protocol === 'icmp' || protocol === 'icmpv6')) protocol = 'ipv6-icmp';
  if (ethertype === 'IPv6' && protocol === '1') protocol = '58';
  // _make_canonical_port_range: the whole range is no range, before the range is checked.
  if (min === 1 && max === 65535) min = max = null;
  checkPorts(protocol, min, max);
  if (cidr && (cidr.version === 4 ? 'IPv4' : 'IPv6') !== ethertype) {
    throw new NeutronError(400, 'SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`);
  }
  if (protocol !== null && ethertype === 'IPv4' && IPV6_ONLY.includes(protocol)) {
    throw new NeutronError(400, 'SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype ${ethertype} for protocol ${protocol}.`);
  }
  if (prefix !== null && remoteGroup !== null) {
    throw new NeutronError(400, 'SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  }
  if (remoteGroup !== null) {
    const remote = state.security_groups.get(remoteGroup);
    if (!remote || !owns(caller, remote)) throw sgNotFound(remoteGroup);
  }
  const sg = state.security_groups.get(sgId);
  if (!sg || !owns(caller, sg)) throw sgNotFound(sgId);
  // Stored with its mask, host bits kept (str(netaddr.IPNetwork(prefix))).
  const storedPrefix = prefix === null || prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`;
  return { security_group_id: sgId, direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: storedPrefix, remote_group_id: remoteGroup, remote_address_group_id: null, normalized_cidr: cidr ? formatCidr(cidr) : null, builtin: false };
}

export function securityGroupRules(state: NeutronState): ResourceDef<SecurityGroupRule> {
  return {
    path: 'security-group-rules',
    collection: 'security_group_rules',
    singular: 'security_group_rule',
    quota: 'security_group_rule',
    taggable: false,
    store: state.security_group_rules,
    notFound: (id) => new NeutronError(404, 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`),
    post: ['security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'remote_address_group_id', 'description', 'project_id', 'tenant_id'],
    put: ['description'],
    readOnly: ['id', 'normalized_cidr', 'created_at', 'updated_at', 'revision_number'],
    required: ['security_group_id', 'direction'],
    adminOnly: [],
    create(caller, body) {
      const input = parseRule(state, caller, body);
      const key = ruleKey(input);
      const dup = [...state.security_group_rules.values()].find((r) => ruleKey(r) === key);
      if (dup) throw new NeutronError(409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${dup.id}.`);
      const projectId = projectOf(caller, body, 'create_security_group_rule');
      checkQuota(state, projectId, 'security_group_rule');
      const rule = addRule(state, projectId, input, opt(body, 'description', asString, ''));
      const sg = state.security_groups.get(rule.security_group_id);
      if (sg) state.bump(sg);
      return rule;
    },
    update(_caller, rule, body) {
      if (body.description !== undefined) rule.description = asString('description', body.description);
    },
    remove(_caller, rule) {
      state.security_group_rules.delete(rule.id);
      const sg = state.security_groups.get(rule.security_group_id);
      if (sg) state.bump(sg);
    },
    visible: owns,
    render: (_caller, rule) => renderRule(rule),
  };
}
