// SecurityGroup: a Neutron security group and its rules, kept as a set. Rules are separate Neutron
// resources (security-group-rules) that cannot be updated: a rule that differs in anything
// (description included) is deleted and the desired one created.
import {
  securityGroup as securityGroupKind,
  type SecurityGroupImportFilter,
  type SecurityGroupObserved,
  type SecurityGroupResource,
  type SecurityGroupRule,
} from '../api/securitygroup.ts';
import { CloudError, isCloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronSecurityGroup, NeutronSecurityGroupRule } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { kindOf, READY, type Adapter, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { adoptByName, canonicalCIDR, changedFields, compared, defined, neutronResource, standardSummary } from './neutron.ts';

/** A rule as Neutron takes it in POST /security-group-rules (without security_group_id). */
interface RuleBody {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol?: string;
  port_range_min?: number;
  port_range_max?: number;
  remote_ip_prefix?: string;
  remote_group_id?: string;
  description?: string;
}

/** What the update of the rules does: delete these rule ids, then create these rules. */
interface RulesPlan {
  delete: string[];
  create: RuleBody[];
}

// neutron-lib IP_PROTOCOL_MAP (plus the legacy alias icmpv6): Neutron takes names and numbers alike.
const PROTOCOL_NUMBERS: Record<string, number> = {
  hopopt: 0, icmp: 1, igmp: 2, ipip: 4, tcp: 6, egp: 8, udp: 17, dccp: 33, 'ipv6-encap': 41, 'ipv6-route': 43,
  'ipv6-frag': 44, rsvp: 46, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59,
  'ipv6-opts': 60, ospf: 89, vrrp: 112, pgm: 113, sctp: 132, udplite: 136,
};

/**
 * The protocol as Neutron compares rules: a number where there is one, unset and `any` alike, and
 * for IPv6 every ICMP spelling (icmp, icmpv6, 1) is ipv6-icmp (Neutron converts them on create).
 */
function protocolKey(protocol: string | null | undefined, ethertype: string): string | null {
  if (protocol === undefined || protocol === null || protocol === '' || protocol.toLowerCase() === 'any') return null;
  const name = protocol.toLowerCase();
  const number = /^\d+$/.test(name) ? Number(name) : PROTOCOL_NUMBERS[name];
  if (number === undefined) return name;
  return String(ethertype === 'IPv6' && number === 1 ? 58 : number);
}

/** Rules equal in Neutron's sense (and in description), whatever the spelling. */
function ruleKey(r: {
  direction: string;
  ethertype?: string | null;
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  remote_address_group_id?: string | null;
  description?: string | null;
}): string {
  const ethertype = r.ethertype ?? 'IPv4';
  let min = r.port_range_min ?? null;
  let max = r.port_range_max ?? null;
  // Neutron stores the whole range 1-65535 as no range.
  if (min === 1 && max === 65535) min = max = null;
  const prefix = r.remote_ip_prefix ? canonicalCIDR(r.remote_ip_prefix) : null;
  const anyAddress = prefix === '0.0.0.0/0' || prefix === '::/0';
  return JSON.stringify([
    r.direction,
    ethertype,
    protocolKey(r.protocol, ethertype),
    min,
    max,
    anyAddress ? null : prefix,
    r.remote_group_id ?? null,
    // Rules the CRD cannot express (an address group) never equal a desired rule: they are deleted.
    r.remote_address_group_id ?? null,
    r.description ?? '',
  ]);
}

/** The rule as Neutron takes it; undefined while its remote group has no id yet. */
function ruleBody(rule: SecurityGroupRule, refs: ResolvedRefs): RuleBody | undefined {
  const remoteGroup = rule.remoteGroupRef && refs.find('SecurityGroup', rule.remoteGroupRef.name);
  if (rule.remoteGroupRef && remoteGroup === undefined) return undefined;
  return {
    direction: rule.direction,
    ethertype: rule.ethertype,
    ...(defined({
      protocol: rule.protocol,
      port_range_min: rule.portRangeMin,
      port_range_max: rule.portRangeMax,
      remote_ip_prefix: rule.remoteIPPrefix,
      remote_group_id: remoteGroup,
      description: rule.description,
    }) as Partial<RuleBody>),
  };
}

/**
 * What turns the observed rules into the desired set: equal rules are left alone, the others
 * deleted (the default egress rules Neutron adds to a new group included), missing ones created.
 */
function planRules(desired: readonly RuleBody[], observed: readonly NeutronSecurityGroupRule[]): RulesPlan | undefined {
  const wanted = new Map(desired.map((rule) => [ruleKey(rule), rule]));
  const seen = new Set<string>();
  const remove: string[] = [];
  for (const rule of observed) {
    const key = ruleKey(rule);
    if (wanted.has(key) && !seen.has(key)) seen.add(key);
    else remove.push(rule.id);
  }
  const create = [...wanted].filter(([key]) => !seen.has(key)).map(([, rule]) => rule);
  return remove.length > 0 || create.length > 0 ? { delete: remove, create } : undefined;
}

/**
 * Deletes first: a rule differing only in its description is a duplicate to Neutron until the
 * old one is gone. A rule already gone (404) or already there (409 SecurityGroupRuleExists, e.g.
 * created by an attempt whose answer was lost) is what was wanted.
 */
async function applyRules(cloud: OpenStackClient, groupId: string, plan: RulesPlan): Promise<void> {
  for (const id of plan.delete) await cloud.neutron.securityGroupRules.delete(id);
  for (const rule of plan.create) {
    try {
      await cloud.neutron.securityGroupRules.create({ ...rule, security_group_id: groupId });
    } catch (err) {
      if (!isCloudError(err) || err.code !== 'SecurityGroupRuleExists') throw err;
    }
  }
}

async function refetch(cloud: OpenStackClient, id: string): Promise<NeutronSecurityGroup> {
  const group = await cloud.neutron.securityGroups.get(id);
  if (group) return group;
  throw new CloudError({
    provider: 'openstack',
    service: 'network',
    operation: 'getSecurityGroup',
    status: 404,
    code: 'SecurityGroupNotFound',
    message: `Security group ${id} disappeared while its rules were being set`,
    kind: 'notFound',
  });
}

/**
 * The rules that can be set now: a rule whose remote group has no id yet is left out until it has
 * one (the reconciler reports the wait), so groups that reference each other can all be created.
 */
const desiredRules = (r: SecurityGroupResource, refs: ResolvedRefs): RuleBody[] | undefined =>
  r.rules?.flatMap((rule) => ruleBody(rule, refs) ?? []);

// A cloud without the stateful-security-group extension reports no `stateful`: its groups are stateful.
const mutable = (r: SecurityGroupResource, name: string) => ({
  name,
  description: r.description,
  stateful: compared(r.stateful, (want, seen) => (seen ?? true) === want),
});

/** The key of the rules in an update patch (and in the Updated event). */
const RULES = 'rules';

const groups = neutronResource((cloud) => cloud.neutron.securityGroups);

export const securityGroup: Adapter<SecurityGroupResource, SecurityGroupImportFilter, SecurityGroupObserved, NeutronSecurityGroup, OpenStackClient> = {
  ...kindOf(securityGroupKind, openstack),
  ...groups,
  // Non-blocking: Neutron deletes the rules naming a group with the group, so neither its create
  // nor its deletion waits for the groups its rules name (which may name it back, or be itself).
  references: (r) =>
    (r.rules ?? []).flatMap((rule, i): Ref[] =>
      rule.remoteGroupRef ? [{ kind: 'SecurityGroup', name: rule.remoteGroupRef.name, field: `rules[${i}].remoteGroupRef`, blocking: false }] : [],
    ),
  listForImport: (cloud, f) => cloud.neutron.securityGroups.list({ filters: { name: f.name, project_id: f.projectID }, tags: f.tags }),
  intentAdoption: adoptByName((cloud, name) => cloud.neutron.securityGroups.list({ filters: { name } })),
  create: async (cloud, { resource, refs, name }, tags) => {
    // `stateful` only when it is not Neutron's default, so clouds without the extension take the request.
    const group = await cloud.neutron.securityGroups.create({
      ...defined({ name, description: resource.description, stateful: resource.stateful === false ? false : undefined }),
      tags,
    });
    // Rules naming the group itself name the id it was just given.
    const rules = desiredRules(resource, refs.withOwnId(group.id));
    const plan = rules && planRules(rules, group.security_group_rules ?? []);
    if (!plan) return group;
    try {
      await applyRules(cloud, group.id, plan);
      return await refetch(cloud, group.id);
    } catch (err) {
      if (!(err instanceof CloudError)) throw err;
      throw new CloudError({ ...err, message: `security group ${group.id} was created but setting its rules failed: ${err.message}`, createdId: group.id });
    }
  },
  diff: ({ resource, refs, name }, observed) => {
    const patch: Record<string, unknown> = changedFields(mutable(resource, name), observed) ?? {};
    const rules = desiredRules(resource, refs);
    const plan = rules && planRules(rules, observed.security_group_rules ?? []);
    if (plan) patch[RULES] = plan;
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  update: async (cloud, observed, patch) => {
    const { [RULES]: plan, ...fields } = patch;
    let current = observed;
    // Neutron refuses (409 SecurityGroupInUse, retried) to change `stateful` while ports use the group.
    if (Object.keys(fields).length > 0) current = await groups.update(cloud, observed, fields);
    if (!plan) return current;
    await applyRules(cloud, observed.id, plan as RulesPlan);
    return refetch(cloud, observed.id);
  },
  summarize: (o) => ({
    ...standardSummary(o),
    stateful: o.stateful,
    rules: [...(o.security_group_rules ?? [])]
      .sort((a, b) => ruleKey(a).localeCompare(ruleKey(b)) || a.id.localeCompare(b.id))
      .map((rule) => ({
        id: rule.id,
        direction: rule.direction,
        ethertype: rule.ethertype,
        protocol: rule.protocol ?? undefined,
        portRangeMin: rule.port_range_min ?? undefined,
        portRangeMax: rule.port_range_max ?? undefined,
        remoteIPPrefix: rule.remote_ip_prefix ?? undefined,
        remoteGroupID: rule.remote_group_id ?? undefined,
        description: rule.description || undefined,
      })),
  }),
  // A security group has no status: once it exists with its rules it is in effect.
  progress: () => READY,
};
