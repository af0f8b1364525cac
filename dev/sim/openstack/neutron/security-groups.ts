// Security groups (created with Neutron's default egress rules) and security group rules.
import { formatCidr, parseCidr } from '../ip.ts';
import { NeutronError } from './errors.ts';
import { asBool, asInt, asString, checkQuota, oneOf, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import type { NeutronState, Obj, SecurityGroup, SecurityGroupRule, Standard } from './model.ts';

const sgNotFound = (id: string): NeutronError => new NeutronError(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);
const PROTOCOLS = ['ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'icmpv6', 'igmp', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp', 'any'];
const PORTED = ['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136'];

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

const PROTOCOL_NUMBERS: Record<string, string> = { icmp: '1', tcp: '6', udp: '17', icmpv6: '58', 'ipv6-icmp': '58', sctp: '132', gre: '47', esp: '50', ah: '51', vrrp: '112' };

/** Neutron's duplicate check: any-address prefixes equal "no prefix", protocol names equal their numbers. */
function ruleKey(r: RuleInput): string {
  const prefix = r.normalized_cidr === '0.0.0.0/0' || r.normalized_cidr === '::/0' ? null : r.normalized_cidr;
  const protocol = r.protocol === null || r.protocol === 'any' ? null : (PROTOCOL_NUMBERS[r.protocol] ?? r.protocol);
  return JSON.stringify([r.security_group_id, r.direction, r.ethertype, protocol, r.port_range_min, r.port_range_max, prefix, r.remote_group_id, r.remote_address_group_id]);
}

function parseRule(state: NeutronState, caller: Caller, body: Obj): RuleInput {
  const sgId = asString('security_group_id', body.security_group_id);
  const sg = state.security_groups.get(sgId);
  if (!sg || !owns(caller, sg)) throw sgNotFound(sgId);
  const direction = oneOf('direction', body.direction, ['ingress', 'egress'] as const);
  const ethertype = opt(body, 'ethertype', (a, v) => oneOf(a, v, ['IPv4', 'IPv6'] as const), 'IPv4');
  let protocol = body.protocol === undefined || body.protocol === null ? null : String(body.protocol).toLowerCase();
  // Neutron converts the legacy IPv6 ICMP spellings on create (_make_canonical_ipv6_icmp_protocol).
  if (ethertype === 'IPv6' && (protocol === 'icmp' || protocol === 'icmpv6')) protocol = 'ipv6-icmp';
  if (ethertype === 'IPv6' && protocol === '1') protocol = '58';
  if (protocol !== null && !PROTOCOLS.includes(protocol) && !(/^\d+$/.test(protocol) && Number(protocol) <= 255)) {
    throw new NeutronError(400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol ${protocol} not supported. Only protocol values [${PROTOCOLS.map((p) => `'${p}'`).join(', ')}, None] and integer representations [0 to 255] are supported.`);
  }
  let min = body.port_range_min === undefined || body.port_range_min === null ? null : asInt('port_range_min', body.port_range_min);
  let max = body.port_range_max === undefined || body.port_range_max === null ? null : asInt('port_range_max', body.port_range_max);
  if ((min !== null || max !== null) && protocol === null) {
    throw new NeutronError(400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
  }
  if (protocol !== null && PORTED.includes(protocol)) {
    for (const p of [min, max]) if (p !== null && (p < 1 || p > 65535)) throw new NeutronError(400, 'SecurityGroupInvalidPortValue', `Invalid value for port ${p}.`);
    // A port protocol takes both ends of a range or neither (_validate_port_range).
    if ((min !== null && max !== null && min > max) || (min === null) !== (max === null)) {
      throw new NeutronError(400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
  }
  // Once valid, Neutron stores the whole range as no range (_make_canonical_port_range).
  if (min === 1 && max === 65535) min = max = null;
  const prefix = body.remote_ip_prefix === undefined || body.remote_ip_prefix === null ? null : asString('remote_ip_prefix', body.remote_ip_prefix);
  const remoteGroup = body.remote_group_id === undefined || body.remote_group_id === null ? null : asString('remote_group_id', body.remote_group_id);
  if (prefix !== null && remoteGroup !== null) {
    throw new NeutronError(400, 'SecurityGroupRemoteGroupAndRemoteIpPrefix', 'Only remote_ip_prefix or remote_group_id may be provided.');
  }
  let normalized: string | null = null;
  if (prefix !== null) {
    const cidr = parseCidr(prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`);
    if (!cidr) throw new NeutronError(400, 'HTTPBadRequest', `Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`);
    if ((cidr.version === 4 ? 'IPv4' : 'IPv6') !== ethertype) {
      throw new NeutronError(400, 'SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`);
    }
    normalized = formatCidr(cidr);
  }
  // Stored with its mask, host bits kept (str(netaddr.IPNetwork(prefix))).
  const storedPrefix = prefix === null || prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`;
  if (remoteGroup !== null) {
    const remote = state.security_groups.get(remoteGroup);
    if (!remote || !owns(caller, remote)) throw sgNotFound(remoteGroup);
  }
  return { security_group_id: sgId, direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: storedPrefix, remote_group_id: remoteGroup, remote_address_group_id: null, normalized_cidr: normalized, builtin: false };
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
