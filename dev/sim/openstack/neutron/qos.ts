// Quality of Service as Neutron's qos service plugin answers it with the openvswitch driver: policies (shared with
// every project or not, at most one default per project), their rules, the rule types, and the qos_policy_id that
// networks, ports and floating IPs name. Every write is rule:admin_only (Zed's policy defaults); members read their
// own and shared policies, and attach the ones they see to what they own.
import { json, type SimResponse } from '../http.ts';
import { pyRepr } from '../nova/schema.ts';
import { asBool, asString, oneOf, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import { httpBadRequest, internalError, invalidInput, NeutronError } from './errors.ts';
import type { Network, NeutronState, Obj, Port, QosPolicy, QosRule } from './model.ts';

/** DB_INTEGER_MAX_VALUE: the top of every rate's range. */
const INT_MAX = 2147483647;
const DIRECTIONS = ['ingress', 'egress'] as const;
const DSCP_MARKS = [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56];
const UUID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;

/**
 * A rule parameter: a rate (0 to INT_MAX) unless it lists its values; required unless it has a default. `unlisted`:
 * lists neither filter nor sort by it (bandwidth_limit's direction, which qos-bw-limit-direction adds).
 */
type Param = { name: string; default?: string | number; values?: readonly (string | number)[]; unlisted?: true };
type Kind = { type: string; params: Param[] };

/** The rule types with their parameters, as the openvswitch driver declares them (SUPPORTED_RULES, in its order). */
const KINDS: Kind[] = [
  { type: 'bandwidth_limit', params: [{ name: 'max_kbps' }, { name: 'max_burst_kbps', default: 0 }, { name: 'direction', default: 'egress', values: DIRECTIONS, unlisted: true }] },
  { type: 'packet_rate_limit', params: [{ name: 'max_kpps' }, { name: 'max_burst_kpps', default: 0 }, { name: 'direction', default: 'egress', values: DIRECTIONS }] },
  { type: 'dscp_marking', params: [{ name: 'dscp_mark', values: DSCP_MARKS }] },
  { type: 'minimum_bandwidth', params: [{ name: 'min_kbps' }, { name: 'direction', default: 'egress', values: DIRECTIONS }] },
  { type: 'minimum_packet_rate', params: [{ name: 'min_kpps' }, { name: 'direction', default: 'egress', values: ['any', ...DIRECTIONS] }] },
];

export const policyNotFound = (id: string): NeutronError => new NeutronError(404, 'QosPolicyNotFound', `QoS policy ${id} could not be found.`);
const ruleNotFound = (policyId: string, id: string): NeutronError => new NeutronError(404, 'QosRuleNotFound', `QoS rule ${id} for policy ${policyId} could not be found.`);
const reason = (attr: string, why: string): NeutronError => httpBadRequest(`Invalid input for ${attr}. Reason: ${why}.`);

/** Policies a caller sees: their project's and shared ones (rbac access_as_shared to '*'). */
const policyVisible = (caller: Caller, policy: QosPolicy): boolean => owns(caller, policy) || policy.shared;

/** neutron-lib's convert_to_int, whose failure is an InvalidInput (not the attribute's "Invalid input for"). */
function toInt(v: unknown): number {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
  throw invalidInput(`'${typeof v === 'string' ? v : pyRepr(v)}' is not an integer.`);
}

/** neutron-lib's convert_to_boolean (policies' shared and is_default), whose failure is an InvalidInput too. */
function toBool(attr: string, v: unknown): boolean {
  try {
    return asBool(attr, v);
  } catch {
    throw invalidInput(`'${typeof v === 'string' ? v : pyRepr(v)}' cannot be converted to boolean.`);
  }
}

/** A parameter's value as the API converts and validates it. */
function paramValue(param: Param, v: unknown): string | number {
  const values = param.values;
  if (values && typeof values[0] === 'string') return oneOf(param.name, v, values as readonly string[]);
  const n = toInt(v);
  if (values && !values.includes(n)) throw reason(param.name, `${n} is not in valid_values`);
  if (!values && n < 0) throw reason(param.name, `'${n}' is too small - must be at least '0'`);
  if (!values && n > INT_MAX) throw reason(param.name, `'${n}' is too large - must be no larger than '${INT_MAX}'`);
  return n;
}

const rulesOf = (state: NeutronState, policyId: string): QosRule[] => [...state.qos_rules.values()].filter((r) => r.qos_policy_id === policyId);

/** A rule as its policy embeds it (the rule object's to_dict, with its type). */
const embedded = (rule: QosRule): Obj => ({ id: rule.id, qos_policy_id: rule.qos_policy_id, ...rule.params, type: rule.type });

/** The openvswitch driver places minimum_bandwidth only on networks whose segment has a physical network (no vxlan). */
const unsupportedOn = (state: NeutronState, policyId: string, net: Network | undefined): QosRule | undefined =>
  rulesOf(state, policyId).find((r) => r.type === 'minimum_bandwidth' && net?.['provider:physical_network'] === null);

/** Ports a policy applies to: bound to it, or on a network bound to it without a policy of their own. */
const portsUnder = (state: NeutronState, policyId: string): Port[] =>
  [...state.ports.values()].filter((p) => p.qos_policy_id === policyId || (p.qos_policy_id === null && state.networks.get(p.network_id)?.qos_policy_id === policyId));

function checkPort(state: NeutronState, policyId: string, port: Port): void {
  const rule = unsupportedOn(state, policyId, state.networks.get(port.network_id));
  if (rule) throw new NeutronError(409, 'QosRuleNotSupported', `Rule ${rule.type} is not supported by port ${port.id}`);
}

/** type:uuid_or_none, the API's check of every qos_policy_id. */
function uuidOrNone(value: unknown): asserts value is string | null {
  if (value !== null && (typeof value !== 'string' || !UUID.test(value))) {
    throw reason('qos_policy_id', `'${typeof value === 'string' ? value : pyRepr(value)}' is not a valid UUID`);
  }
}

/**
 * A floating IP's qos_policy_id (qos-fip): the L3 plugin writes the binding without looking the policy up, so any
 * existing policy is taken, whoever may see it, and an unknown one fails the database's foreign key: a 500.
 */
export function floatingIpPolicyRef(state: NeutronState, value: unknown): string | null {
  uuidOrNone(value);
  if (value !== null && !state.qos_policies.has(value)) throw internalError();
  return value;
}

/**
 * The qos_policy_id a network or port is given (null clears it): a UUID (type:uuid_or_none) of a
 * policy the caller sees. `current`: the policy it has, which the caller must see to take it off.
 */
export function qosPolicyRef(state: NeutronState, caller: Caller, value: unknown, current: string | null = null): string | null {
  uuidOrNone(value);
  const old = current === null ? undefined : state.qos_policies.get(current);
  if (old && !policyVisible(caller, old)) throw new NeutronError(403, 'PolicyRemoveAuthorizationError', `Failed to remove provided policy ${old.id} because you are not authorized.`);
  if (value === null) return null;
  const policy = state.qos_policies.get(value);
  if (!policy || !policyVisible(caller, policy)) throw policyNotFound(value);
  return value;
}

/** A new network's policy: the one asked for, else its project's default (qos-default). */
export function networkPolicy(state: NeutronState, caller: Caller, value: unknown, projectId: string): string | null {
  const asked = value === undefined ? null : qosPolicyRef(state, caller, value);
  return asked ?? state.qosDefaults.get(projectId) ?? null;
}

export function checkNetworkPolicy(state: NeutronState, net: Network): void {
  const rule = net.qos_policy_id === null ? undefined : unsupportedOn(state, net.qos_policy_id, net);
  if (rule) throw new NeutronError(409, 'QosRuleNotSupportedByNetwork', `Rule ${rule.type} is not supported by network ${net.id}`);
}

export function checkPortPolicy(state: NeutronState, port: Port): void {
  if (port.qos_policy_id !== null) checkPort(state, port.qos_policy_id, port);
}

/** The attachments that keep a policy from being deleted, in the order Neutron looks (ports, networks, floating IPs). */
function inUse(state: NeutronState, policyId: string): NeutronError | undefined {
  const users: [string, { id: string; qos_policy_id: string | null }[]][] = [['port', [...state.ports.values()]], ['network', [...state.networks.values()]], ['fip', [...state.floatingips.values()]]];
  for (const [kind, list] of users) {
    const user = list.find((u) => u.qos_policy_id === policyId);
    if (user) return new NeutronError(409, 'QosPolicyInUse', `QoS Policy ${policyId} is used by ${kind} ${user.id}.`);
  }
  return undefined;
}

function setDefault(state: NeutronState, policy: QosPolicy, isDefault: boolean): void {
  const current = state.qosDefaults.get(policy.project_id);
  if (isDefault && current !== undefined && current !== policy.id) {
    throw new NeutronError(409, 'QoSPolicyDefaultAlreadyExists', `A default QoS policy exists for project ${policy.project_id}.`);
  }
  if (isDefault) state.qosDefaults.set(policy.project_id, policy.id);
  else if (current === policy.id) state.qosDefaults.delete(policy.project_id);
}

export function qosPolicies(state: NeutronState): ResourceDef<QosPolicy> {
  return {
    path: 'qos/policies',
    collection: 'policies',
    singular: 'policy',
    taggable: true,
    adminWrites: true,
    store: state.qos_policies,
    notFound: policyNotFound,
    post: ['name', 'description', 'shared', 'is_default', 'project_id', 'tenant_id'],
    put: ['name', 'description', 'shared', 'is_default'],
    readOnly: ['id', 'rules', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: [],
    adminOnly: [],
    children: Object.fromEntries(KINDS.map((kind) => [`${kind.type}_rules`, (policyId: string) => rules(state, kind, policyId) as unknown as ResourceDef])),
    create(caller, body) {
      const policy: QosPolicy = {
        ...state.standard(projectOf(caller, body, 'create_policy'), opt(body, 'description', asString, ''), 0),
        name: opt(body, 'name', asString, ''),
        shared: opt(body, 'shared', toBool, false),
        tags: [],
      };
      // The default's row revises the policy: a default policy is created at revision 1.
      if (opt(body, 'is_default', toBool, false)) {
        setDefault(state, policy, true);
        state.bump(policy);
      }
      state.qos_policies.set(policy.id, policy);
      return policy;
    },
    update(_caller, policy, body) {
      if (body.name !== undefined) policy.name = asString('name', body.name);
      if (body.description !== undefined) policy.description = asString('description', body.description);
      if (body.shared !== undefined) policy.shared = toBool('shared', body.shared);
      if (body.is_default !== undefined) setDefault(state, policy, toBool('is_default', body.is_default));
    },
    remove(_caller, policy) {
      const used = inUse(state, policy.id);
      if (used) throw used;
      setDefault(state, policy, false);
      for (const rule of rulesOf(state, policy.id)) state.qos_rules.delete(rule.id);
      state.qos_policies.delete(policy.id);
    },
    visible: policyVisible,
    render: (_caller, policy) => ({ ...policy, is_default: state.qosDefaults.get(policy.project_id) === policy.id, rules: rulesOf(state, policy.id).map(embedded) }),
  };
}

/** One rule type of one policy: /qos/policies/{policyId}/<type>_rules. */
function rules(state: NeutronState, kind: Kind, policyId: string): ResourceDef<QosRule> {
  const names = kind.params.map((p) => p.name);
  const policy = (caller: Caller): QosPolicy => {
    const found = state.qos_policies.get(policyId);
    if (!found || !policyVisible(caller, found)) throw policyNotFound(policyId);
    return found;
  };
  /** check_bandwidth_rule_conflict: a limit below a minimum of the policy, or a minimum above its limit. */
  const checkRates = (body: Obj): void => {
    for (const [mine, theirs, theirType, tooLow] of [['max_kbps', 'min_kbps', 'minimum_bandwidth', true], ['min_kbps', 'max_kbps', 'bandwidth_limit', false]] as const) {
      if (body[mine] === undefined) continue;
      const value = toInt(body[mine]);
      const other = rulesOf(state, policyId).find((r) => r.type === theirType && (tooLow ? Number(r.params[theirs]) > value : Number(r.params[theirs]) < value));
      if (other) {
        throw new NeutronError(409, 'QoSRuleParameterConflict', `Unable to add the rule with value ${value} to the policy ${policyId} as the existing rule of type ${theirType} has value ${String(other.params[theirs])}.`);
      }
    }
  };
  /** check_rules_conflict: one rule of a type per direction (dscp_marking: one in all). */
  const checkDuplicate = (rule: { id: string; params: Obj }): void => {
    const dup = rulesOf(state, policyId).find((r) => r.type === kind.type && r.id !== rule.id && r.params.direction === rule.params.direction);
    if (dup) throw new NeutronError(409, 'QoSRulesConflict', `Rule ${kind.type} conflicts with rule ${dup.id} which already exists in QoS Policy ${policyId}.`);
  };
  /** validate_policy: every port the policy reaches must take its rules. */
  const checkPorts = (): void => {
    for (const port of portsUnder(state, policyId)) checkPort(state, policyId, port);
  };
  return {
    path: `qos/policies/${policyId}/${kind.type}_rules`,
    collection: `${kind.type}_rules`,
    singular: `${kind.type}_rule`,
    policyName: `policy_${kind.type}_rule`,
    taggable: false,
    adminWrites: true,
    // Read when the request runs, not when it is routed.
    get store() {
      return new Map(rulesOf(state, policyId).filter((r) => r.type === kind.type).map((r) => [r.id, r]));
    },
    notFound: (id) => ruleNotFound(policyId, id),
    post: [...names, 'project_id', 'tenant_id'],
    put: names,
    readOnly: ['id'],
    required: kind.params.filter((p) => p.default === undefined).map((p) => p.name),
    unlisted: kind.params.filter((p) => p.unlisted).map((p) => p.name),
    adminOnly: [],
    within: (caller) => void policy(caller),
    create(caller, body) {
      const owner = policy(caller);
      checkRates(body);
      const params = Object.fromEntries(kind.params.map((p) => [p.name, paramValue(p, body[p.name] === undefined ? p.default : body[p.name])]));
      const rule: QosRule = { ...state.standard(owner.project_id, '', 0), qos_policy_id: policyId, type: kind.type, params };
      checkDuplicate(rule);
      state.qos_rules.set(rule.id, rule);
      try {
        checkPorts();
      } catch (err) {
        state.qos_rules.delete(rule.id);
        throw err;
      }
      state.bump(owner);
      return rule;
    },
    update(caller, rule, body) {
      const owner = policy(caller);
      checkRates(body);
      const params = { ...rule.params, ...Object.fromEntries(kind.params.filter((p) => body[p.name] !== undefined).map((p) => [p.name, paramValue(p, body[p.name])])) };
      checkDuplicate({ id: rule.id, params });
      rule.params = params;
      checkPorts();
      // The rule's row is written (and the policy revised) even when nothing changes.
      if (Object.keys(body).length > 0) state.bump(owner);
    },
    remove(caller, rule) {
      state.qos_rules.delete(rule.id);
      state.bump(policy(caller));
    },
    visible: () => true,
    render: (_caller, rule) => ({ id: rule.id, ...rule.params }),
  };
}

/** The rule types the alias API serves (qos-rules-alias, and qos-pps-minimum-rule-alias for minimum_packet_rate). */
const ALIASED = ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'minimum_packet_rate'];

/**
 * GET, PUT and DELETE /qos/alias_<type>_rules/{id}: a rule without its policy's id in the URL, answered as the rule
 * under its policy; an unknown rule names no policy ("for policy  could not be found").
 */
export function ruleAlias(state: NeutronState, segment: string, ruleId: string): ResourceDef | undefined {
  const kind = KINDS.find((k) => segment === `alias_${k.type}_rules` && ALIASED.includes(k.type));
  if (!kind) return undefined;
  const rule = state.qos_rules.get(ruleId);
  const policyId = rule?.type === kind.type ? rule.qos_policy_id : '';
  const def = rules(state, kind, policyId) as unknown as ResourceDef;
  const alias = `alias_${kind.type}_rule`;
  return {
    ...def,
    get store() {
      return def.store;
    },
    collection: `${alias}s`,
    singular: alias,
    policyName: alias,
    within: (caller) => {
      if (policyId === '') throw ruleNotFound('', ruleId);
      def.within?.(caller);
    },
  };
}

/** GET /qos/rule-types (every member may list them) and /qos/rule-types/{type} (admins only: the plugin says so). */
export function ruleTypes(caller: Caller, name: string | undefined, query: URLSearchParams): SimResponse {
  if (name === undefined) {
    const invalid = [...new Set(query.keys())].filter((k) => !['fields', 'all_rules', 'all_supported'].includes(k));
    if (invalid.length > 0) throw httpBadRequest(`[${invalid.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering`);
    return json(200, { rule_types: KINDS.map((k) => ({ type: k.type })) });
  }
  if (!caller.isAdmin) throw new NeutronError(403, 'NotAuthorized', 'Not authorized.');
  const kind = KINDS.find((k) => k.type === name);
  // An unknown type fails the rule type object's enum field, which Neutron does not catch.
  if (!kind) throw internalError();
  const parameters = kind.params.map((p) => ({
    parameter_name: p.name,
    parameter_type: p.values ? 'choices' : 'range',
    parameter_values: p.values ?? { start: 0, end: INT_MAX },
  }));
  return json(200, { rule_type: { type: name, drivers: [{ name: 'openvswitch', supported_parameters: parameters }] } });
}
