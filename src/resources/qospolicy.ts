// QoSPolicy: a Neutron QoS policy and its rules, kept as a set. Rules are sub-resources of the
// policy (/qos/policies/{id}/{type}_rules), one per type and direction: a rule whose values
// differ is updated in place, one of a type or direction no longer wanted is deleted.
import {
  qosPolicy as qosPolicyKind,
  type QoSPolicyImportFilter,
  type QoSPolicyObserved,
  type QoSPolicyResource,
  type QoSPolicyRules,
} from '../api/qospolicy.ts';
import { CloudError, isCloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronQosPolicy, NeutronQosRule, NeutronQosRuleType } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { kindOf, READY, type Adapter, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { adoptByName, changedFields, compared, defined, neutronResource, standardSummary, type Compared } from './neutron.ts';

/** A rule as its sub-resource takes it (direction only where it is not Neutron's default, egress). */
interface RuleBody {
  type: NeutronQosRuleType;
  fields: Record<string, number | string>;
}

/** What the update of the rules does, in this order. */
export interface RulesPlan {
  delete: { type: string; id: string }[];
  update: { type: string; id: string; fields: Record<string, number | string> }[];
  create: RuleBody[];
}

/** Rule types with a direction: one rule of each per direction. */
const DIRECTED = new Set(['bandwidth_limit', 'minimum_bandwidth', 'minimum_packet_rate']);

/** Where a rule stands in the set; a cloud without the direction extensions knows egress only. */
const ruleKey = (type: string, direction: string | undefined): string => (DIRECTED.has(type) ? `${type}/${direction ?? 'egress'}` : type);

const directed = (direction: 'egress' | 'ingress'): Record<string, string> => (direction === 'egress' ? {} : { direction });

/** The desired rules by key, or undefined when the spec leaves them alone. */
function desiredRules(rules: QoSPolicyRules | undefined): Map<string, RuleBody> | undefined {
  if (!rules) return undefined;
  const wanted = new Map<string, RuleBody>();
  for (const r of rules.bandwidthLimits ?? []) {
    wanted.set(ruleKey('bandwidth_limit', r.direction), { type: 'bandwidth_limit', fields: { max_kbps: r.maxKbps, max_burst_kbps: r.maxBurstKbps, ...directed(r.direction) } });
  }
  if (rules.dscpMarking) wanted.set('dscp_marking', { type: 'dscp_marking', fields: { dscp_mark: rules.dscpMarking.dscpMark } });
  for (const r of rules.minimumBandwidths ?? []) {
    wanted.set(ruleKey('minimum_bandwidth', r.direction), { type: 'minimum_bandwidth', fields: { min_kbps: r.minKbps, ...directed(r.direction) } });
  }
  return wanted;
}

/** A rule's type: the policy's `rules` list says it. */
const typeOf = (rule: NeutronQosRule): string => rule.type ?? '';

/**
 * An update that loosens a limit (a lower minimum, a higher maximum) goes before one that
 * tightens: Neutron refuses a minimum above the maximum of the same direction at every step.
 */
function loosens(rule: NeutronQosRule, fields: Record<string, number | string>): boolean {
  if (typeof fields.min_kbps === 'number') return fields.min_kbps < (rule.min_kbps ?? 0);
  return typeof fields.max_kbps === 'number' && fields.max_kbps > (rule.max_kbps ?? 0);
}

/** What turns the observed rules into the desired set, or undefined when they are it. */
export function planRules(rules: QoSPolicyRules | undefined, observed: readonly NeutronQosRule[]): RulesPlan | undefined {
  const wanted = desiredRules(rules);
  if (!wanted) return undefined;
  const plan: RulesPlan = { delete: [], update: [], create: [] };
  const loose: RulesPlan['update'] = [];
  const seen = new Set<string>();
  for (const rule of observed) {
    const key = ruleKey(typeOf(rule), rule.direction);
    const body = wanted.get(key);
    if (!body || seen.has(key)) {
      plan.delete.push({ type: typeOf(rule), id: rule.id });
      continue;
    }
    seen.add(key);
    const changed = Object.fromEntries(Object.entries(body.fields).filter(([field, value]) => field !== 'direction' && (rule as unknown as Record<string, unknown>)[field] !== value));
    if (Object.keys(changed).length > 0) (loosens(rule, changed) ? loose : plan.update).push({ type: body.type, id: rule.id, fields: changed });
  }
  plan.update.unshift(...loose);
  plan.create = [...wanted].filter(([key]) => !seen.has(key)).map(([, body]) => body);
  return plan.delete.length + plan.update.length + plan.create.length > 0 ? plan : undefined;
}

/**
 * Deletes first (they only loosen), then updates, then creates in desiredRules' order (a minimum
 * after the maximum it must stay under).
 */
async function applyRules(cloud: OpenStackClient, policyId: string, plan: RulesPlan): Promise<void> {
  const rules = (type: string) => cloud.neutron.qosRules(policyId, type);
  for (const rule of plan.delete) await rules(rule.type).delete(rule.id);
  for (const rule of plan.update) await rules(rule.type).update(rule.id, rule.fields);
  for (const rule of plan.create) await createRule(cloud, policyId, rule);
}

/**
 * Creates a rule. Neutron refuses a second rule of a type and direction with 409 QoSRulesConflict: after
 * a create of ours that timed out while Neutron still worked on it, that is our own rule, now in the
 * policy, and the next diff brings its values to the spec's. A conflict with no such rule stays one.
 */
async function createRule(cloud: OpenStackClient, policyId: string, rule: RuleBody): Promise<void> {
  try {
    await cloud.neutron.qosRules(policyId, rule.type).create(rule.fields);
  } catch (err) {
    if (!(isCloudError(err) && err.status === 409 && err.code === 'QoSRulesConflict')) throw err;
    const key = ruleKey(rule.type, rule.fields.direction as string | undefined);
    const { rules } = await refetch(cloud, policyId);
    if (!rules?.some((r) => ruleKey(typeOf(r), r.direction) === key)) throw err;
  }
}

async function refetch(cloud: OpenStackClient, id: string): Promise<NeutronQosPolicy> {
  const policy = await cloud.neutron.qosPolicies.get(id);
  if (policy) return policy;
  throw new CloudError({
    provider: 'openstack',
    service: 'network',
    operation: 'getQosPolicy',
    status: 404,
    code: 'QosPolicyNotFound',
    message: `QoS policy ${id} disappeared while its rules were being set`,
    kind: 'notFound',
  });
}

/** Neutron's default policy lets only admins create QoS policies: say how to use one anyway. */
function adminOnly(err: unknown): unknown {
  if (!isCloudError(err) || err.status !== 403) return err;
  const advice = 'this cloud lets only administrators create QoS policies: have one made and import it with managementPolicy: ObserveOnly';
  return new CloudError({ ...err, message: `${err.message} (${advice})` });
}

// A cloud without the qos-default extension reports no is_default: its policies are not defaults.
const mutable = (r: QoSPolicyResource, name: string) => ({
  name,
  description: r.description,
  shared: r.shared,
  is_default: compared(r.isDefault, (want, seen) => (seen ?? false) === want),
});

/** The key of the rules in an update patch (and in the Updated event). */
const RULES = 'rules';

const policies = neutronResource((cloud) => cloud.neutron.qosPolicies);

export const qosPolicy: Adapter<QoSPolicyResource, QoSPolicyImportFilter, QoSPolicyObserved, NeutronQosPolicy, OpenStackClient> = {
  ...kindOf(qosPolicyKind, openstack),
  ...policies,
  references: () => [],
  listForImport: (cloud, f) =>
    cloud.neutron.qosPolicies.list({ filters: { name: f.name, shared: f.shared, is_default: f.isDefault, project_id: f.projectID }, tags: f.tags }),
  sharedWith: (o) => (o.shared ? 'a shared QoS policy, which other projects attach to their networks and ports' : undefined),
  intentAdoption: adoptByName((cloud, name) => cloud.neutron.qosPolicies.list({ filters: { name } })),
  create: async (cloud, { resource, name }, tags) => {
    const policy = await cloud.neutron.qosPolicies.create({ ...defined(mutable(resource, name)), tags }).catch((err: unknown) => {
      throw adminOnly(err);
    });
    const plan = planRules(resource.rules, policy.rules ?? []);
    if (!plan) return policy;
    try {
      await applyRules(cloud, policy.id, plan);
      return await refetch(cloud, policy.id);
    } catch (err) {
      if (!(err instanceof CloudError)) throw err;
      throw new CloudError({ ...err, message: `QoS policy ${policy.id} was created but setting its rules failed: ${err.message}`, createdId: policy.id });
    }
  },
  diff: ({ resource, name }, observed) => {
    const patch: Record<string, unknown> = changedFields(mutable(resource, name), observed) ?? {};
    const plan = planRules(resource.rules, observed.rules ?? []);
    if (plan) patch[RULES] = plan;
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  update: async (cloud, observed, patch) => {
    const { [RULES]: plan, ...fields } = patch;
    // Neutron answers a policy's PUT with its rules: read again only after rules changed.
    const current = Object.keys(fields).length > 0 ? await policies.update(cloud, observed, fields) : observed;
    if (!plan) return current;
    await applyRules(cloud, observed.id, plan as RulesPlan);
    return refetch(cloud, observed.id);
  },
  summarize: (o) => ({
    ...standardSummary(o),
    shared: o.shared,
    isDefault: o.is_default,
    rules: [...(o.rules ?? [])]
      .sort((a, b) => ruleKey(typeOf(a), a.direction).localeCompare(ruleKey(typeOf(b), b.direction)) || a.id.localeCompare(b.id))
      .map((rule) => ({
        id: rule.id,
        type: typeOf(rule),
        direction: rule.direction,
        maxKbps: rule.max_kbps,
        maxBurstKbps: rule.max_burst_kbps,
        dscpMark: rule.dscp_mark,
        minKbps: rule.min_kbps,
      })),
  }),
  // A QoS policy has no status: once it exists with its rules it is in effect.
  progress: () => READY,
};

/** The reference of a Network's or Port's qosPolicyRef. */
export const qosPolicyReference = (ref: { name: string } | undefined): Ref[] => (ref ? [{ kind: 'QoSPolicy', name: ref.name, field: 'qosPolicyRef' }] : []);

/** A Network's or Port's qos_policy_id in a create: only when set, so clouds without the qos extension take the request. */
export const qosPolicyOnCreate = (ref: { name: string } | undefined, refs: ResolvedRefs): { qos_policy_id?: string } =>
  ref ? { qos_policy_id: refs.id('QoSPolicy', ref.name) } : {};

/** A Network's or Port's qos_policy_id in a diff: the policy's id, or null (none; a cloud without the qos extension reports none). */
export const qosPolicyField = (ref: { name: string } | undefined, refs: ResolvedRefs): Compared | undefined =>
  compared(ref ? refs.id('QoSPolicy', ref.name) : null, (want, seen) => (seen ?? null) === want);
