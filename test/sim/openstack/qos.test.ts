// The simulator's QoS (qos service plugin, openvswitch driver): policies, rules, rule types, and the policy
// networks, ports and floating IPs name; writes are admin-only, members read their own and shared policies.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { neutron, type Client } from './client.ts';
import { startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';

const err = (type: string, message: string): object => ({ NeutronError: { type, message, detail: '' } });
const MISSING = '00000000-0000-0000-0000-000000000001';

describe('Neutron QoS', () => {
  let sim: OpenStackSim;
  let demo: Client;
  let admin: Client;
  beforeEach(async () => {
    sim = await startOpenStackSim();
    demo = neutron(sim, 'demo');
    admin = neutron(sim, 'admin');
  });
  afterEach(() => sim.close());

  const policy = async (fields: object = {}): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await admin.post('/qos/policies', { policy: { name: 'p', ...fields } });
    expect(res.status).toBe(201);
    return res.body.policy;
  };
  // Listing security groups creates the project's default group, whose owner is the project.
  const demoProject = async (): Promise<string> => (await demo.get('/security-groups')).body.security_groups[0].project_id;

  it('creates, shows, lists, updates and deletes a policy with the real shape', async () => {
    const p = await policy({ description: 'd' });
    expect(p).toMatchObject({ name: 'p', description: 'd', shared: false, is_default: false, rules: [], tags: [], revision_number: 0, project_id: p.tenant_id });
    expect((await admin.get(`/qos/policies/${p.id}`)).body.policy).toEqual(p);
    const updated = await admin.put(`/qos/policies/${p.id}`, { policy: { name: 'p2', shared: true } });
    expect(updated.body.policy).toMatchObject({ name: 'p2', shared: true, revision_number: 1 });
    expect((await admin.get('/qos/policies?shared=true')).body.policies.map((x: { id: string }) => x.id)).toEqual([p.id]);
    expect((await admin.get('/qos/policies?name=nope')).body.policies).toEqual([]);
    expect((await admin.put(`/qos/policies/${p.id}/tags/blue`)).status).toBe(201);
    expect((await admin.get('/qos/policies?tags=blue')).body.policies).toHaveLength(1);
    expect((await admin.post('/qos/policies', { policy: { bogus: 1 } })).body).toEqual(err('HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"));
    expect((await admin.del(`/qos/policies/${p.id}`)).status).toBe(204);
    expect((await admin.get(`/qos/policies/${p.id}`)).body).toEqual(err('QosPolicyNotFound', `QoS policy ${p.id} could not be found.`));
  });

  it('refuses every write of a member (rule:admin_only) and shows it its own and shared policies only', async () => {
    expect((await demo.post('/qos/policies', { policy: { name: 'm' } })).body).toEqual(err('PolicyNotAuthorized', 'rule:create_policy is disallowed by policy'));
    const priv = await policy();
    const shared = await policy({ shared: true });
    const own = await policy({ project_id: await demoProject() });
    expect((await demo.get('/qos/policies')).body.policies.map((x: { id: string }) => x.id).sort()).toEqual([shared.id, own.id].sort());
    expect((await demo.get(`/qos/policies/${priv.id}`)).status).toBe(404);
    expect((await demo.put(`/qos/policies/${own.id}`, { policy: { name: 'x' } })).body).toEqual(err('PolicyNotAuthorized', 'rule:update_policy is disallowed by policy'));
    expect((await demo.del(`/qos/policies/${shared.id}`)).body).toEqual(err('PolicyNotAuthorized', 'rule:delete_policy is disallowed by policy'));
    expect((await demo.post(`/qos/policies/${own.id}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 1 } })).body).toEqual(
      err('PolicyNotAuthorized', 'rule:create_policy_bandwidth_limit_rule is disallowed by policy'),
    );
    // Attribute checks come before the policy check.
    expect((await demo.post('/qos/policies', { policy: { bogus: 1 } })).status).toBe(400);
  });

  it('keeps one default policy per project and gives it to new networks of that project', async () => {
    const project = await demoProject();
    const def = await policy({ is_default: true, project_id: project });
    expect(def.is_default).toBe(true);
    expect((await admin.post('/qos/policies', { policy: { is_default: true, project_id: project } })).body).toEqual(
      err('QoSPolicyDefaultAlreadyExists', `A default QoS policy exists for project ${project}.`),
    );
    expect((await admin.get('/qos/policies?is_default=true')).body.policies.map((x: { id: string }) => x.id)).toEqual([def.id]);
    expect((await demo.post('/networks', { network: { name: 'n' } })).body.network.qos_policy_id).toBe(def.id);
    expect((await admin.post('/networks', { network: { name: 'n' } })).body.network.qos_policy_id).toBeNull();
    expect((await admin.put(`/qos/policies/${def.id}`, { policy: { is_default: false } })).body.policy.is_default).toBe(false);
    expect((await demo.post('/networks', { network: { name: 'n2' } })).body.network.qos_policy_id).toBeNull();
  });

  it('validates rules as the API and the openvswitch driver do', async () => {
    const p = await policy();
    const base = `/qos/policies/${p.id}`;
    const bw = await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 1000 } });
    expect(bw).toMatchObject({ status: 201, body: { bandwidth_limit_rule: { max_kbps: 1000, max_burst_kbps: 0, direction: 'egress' } } });
    const rule = bw.body.bandwidth_limit_rule;
    expect(Object.keys(rule).sort()).toEqual(['direction', 'id', 'max_burst_kbps', 'max_kbps']);
    expect((await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 5 } })).body).toEqual(
      err('QoSRulesConflict', `Rule bandwidth_limit conflicts with rule ${rule.id} which already exists in QoS Policy ${p.id}.`),
    );
    expect((await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 5, direction: 'ingress' } })).status).toBe(201);
    expect((await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: -1, direction: 'up' } })).body).toEqual(
      err('HTTPBadRequest', "Invalid input for max_kbps. Reason: '-1' is too small - must be at least '0'."),
    );
    expect((await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 2147483648 } })).body).toEqual(
      err('HTTPBadRequest', "Invalid input for max_kbps. Reason: '2147483648' is too large - must be no larger than '2147483647'."),
    );
    expect((await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 'x' } })).body).toEqual(err('InvalidInput', "Invalid input for operation: 'x' is not an integer."));
    expect((await admin.post(`${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: {} })).body).toEqual(
      err('HTTPBadRequest', "Failed to parse request. Required attribute 'max_kbps' not specified"),
    );
    expect((await admin.post(`${base}/dscp_marking_rules`, { dscp_marking_rule: { dscp_mark: 9 } })).body).toEqual(err('HTTPBadRequest', 'Invalid input for dscp_mark. Reason: 9 is not in valid_values.'));
    expect((await admin.post(`${base}/dscp_marking_rules`, { dscp_marking_rule: { dscp_mark: '46' } })).body.dscp_marking_rule.dscp_mark).toBe(46);
    expect((await admin.post(`${base}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 2000 } })).body).toEqual(
      err('QoSRuleParameterConflict', `Unable to add the rule with value 2000 to the policy ${p.id} as the existing rule of type bandwidth_limit has value 1000.`),
    );
    const min = await admin.post(`${base}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 2, direction: 'ingress' } });
    expect(min.body.minimum_bandwidth_rule).toMatchObject({ min_kbps: 2, direction: 'ingress' });

    const shown = (await admin.get(base)).body.policy;
    expect(shown.revision_number).toBe(4);
    expect(shown.rules.map((r: { type: string }) => r.type)).toEqual(['bandwidth_limit', 'bandwidth_limit', 'dscp_marking', 'minimum_bandwidth']);
    expect(shown.rules[0]).toEqual({ ...rule, qos_policy_id: p.id, type: 'bandwidth_limit' });

    expect((await admin.put(`${base}/bandwidth_limit_rules/${rule.id}`, { bandwidth_limit_rule: { direction: 'ingress' } })).status).toBe(409);
    expect((await admin.put(`${base}/bandwidth_limit_rules/${rule.id}`, { bandwidth_limit_rule: { max_kbps: 3000 } })).body.bandwidth_limit_rule.max_kbps).toBe(3000);
    expect((await admin.get(`${base}/bandwidth_limit_rules?max_kbps=3000`)).body.bandwidth_limit_rules.map((r: { id: string }) => r.id)).toEqual([rule.id]);
    expect((await admin.get(`${base}/bandwidth_limit_rules?direction=egress`)).body).toEqual(err('HTTPBadRequest', "['direction'] is invalid attribute for filtering"));
    expect((await admin.get(`${base}/minimum_bandwidth_rules?direction=ingress`)).body.minimum_bandwidth_rules).toHaveLength(1);
    expect((await admin.get(`${base}/bandwidth_limit_rules/${MISSING}`)).body).toEqual(err('QosRuleNotFound', `QoS rule ${MISSING} for policy ${p.id} could not be found.`));
    expect((await admin.get(`/qos/policies/${MISSING}/bandwidth_limit_rules`)).body).toEqual(err('QosPolicyNotFound', `QoS policy ${MISSING} could not be found.`));
    expect((await admin.del(`${base}/bandwidth_limit_rules/${rule.id}`)).status).toBe(204);
    expect((await admin.get(base)).body.policy.revision_number).toBe(6);
  });

  it('answers the rules alias API: a rule by its id alone', async () => {
    const p = await policy({ shared: true });
    const rule = (await admin.post(`/qos/policies/${p.id}/dscp_marking_rules`, { dscp_marking_rule: { dscp_mark: 8 } })).body.dscp_marking_rule;
    expect((await demo.get(`/qos/alias_dscp_marking_rules/${rule.id}`)).body).toEqual({ alias_dscp_marking_rule: rule });
    expect((await demo.put(`/qos/alias_dscp_marking_rules/${rule.id}`, { alias_dscp_marking_rule: { dscp_mark: 10 } })).body).toEqual(
      err('PolicyNotAuthorized', 'rule:update_alias_dscp_marking_rule is disallowed by policy'),
    );
    expect((await admin.put(`/qos/alias_dscp_marking_rules/${rule.id}`, { alias_dscp_marking_rule: { dscp_mark: 10 } })).body.alias_dscp_marking_rule.dscp_mark).toBe(10);
    expect((await admin.get(`/qos/alias_bandwidth_limit_rules/${rule.id}`)).body).toEqual(err('QosRuleNotFound', `QoS rule ${rule.id} for policy  could not be found.`));
    expect((await admin.del(`/qos/alias_dscp_marking_rules/${rule.id}`)).status).toBe(204);
    expect((await admin.get(`/qos/policies/${p.id}`)).body.policy).toMatchObject({ rules: [], revision_number: 3 });
  });

  it('lists rule types to anyone and details them to admins', async () => {
    expect((await demo.get('/qos/rule-types')).body.rule_types.map((t: { type: string }) => t.type).sort()).toEqual(
      ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'minimum_packet_rate', 'packet_rate_limit'],
    );
    expect((await demo.get('/qos/rule-types/bandwidth_limit')).body).toEqual(err('NotAuthorized', 'Not authorized.'));
    expect((await admin.get('/qos/rule-types/dscp_marking')).body.rule_type.drivers[0]).toMatchObject({
      name: 'openvswitch',
      supported_parameters: [{ parameter_name: 'dscp_mark', parameter_type: 'choices' }],
    });
  });

  it('attaches visible policies to networks, ports and floating IPs, and refuses to delete a policy in use', async () => {
    const priv = await policy();
    const shared = await policy({ shared: true });
    const n = (await demo.post('/networks', { network: { name: 'n', qos_policy_id: shared.id } })).body.network;
    expect(n.qos_policy_id).toBe(shared.id);
    expect((await demo.post('/networks', { network: { qos_policy_id: priv.id } })).body).toEqual(err('QosPolicyNotFound', `QoS policy ${priv.id} could not be found.`));
    expect((await demo.post('/networks', { network: { qos_policy_id: 'q1' } })).body).toEqual(err('HTTPBadRequest', "Invalid input for qos_policy_id. Reason: 'q1' is not a valid UUID."));
    const port = (await demo.post('/ports', { port: { network_id: n.id } })).body.port;
    expect(port).toMatchObject({ qos_policy_id: null, qos_network_policy_id: shared.id });
    expect((await admin.del(`/qos/policies/${shared.id}`)).body).toEqual(err('QosPolicyInUse', `QoS Policy ${shared.id} is used by network ${n.id}.`));
    const set = await demo.put(`/ports/${port.id}`, { port: { qos_policy_id: shared.id } });
    expect(set.body.port).toMatchObject({ qos_policy_id: shared.id, revision_number: 2 });
    expect((await admin.del(`/qos/policies/${shared.id}`)).body).toEqual(err('QosPolicyInUse', `QoS Policy ${shared.id} is used by port ${port.id}.`));
    expect((await demo.put(`/ports/${port.id}`, { port: { qos_policy_id: null } })).body.port.qos_policy_id).toBeNull();
    expect((await demo.put(`/networks/${n.id}`, { network: { qos_policy_id: null } })).body.network.qos_policy_id).toBeNull();
    expect((await admin.del(`/qos/policies/${shared.id}`)).status).toBe(204);

    // An admin's private policy on a member's network: the member may not take it off.
    await admin.put(`/networks/${n.id}`, { network: { qos_policy_id: priv.id } });
    expect((await demo.put(`/networks/${n.id}`, { network: { qos_policy_id: null } })).body).toEqual(
      err('PolicyRemoveAuthorizationError', `Failed to remove provided policy ${priv.id} because you are not authorized.`),
    );

    // The L3 plugin does not look the policy up: a member's floating IP takes one it cannot see, an unknown one is a 500.
    const fip = (await demo.post('/floatingips', { floatingip: { floating_network_id: sim.publicNetworkId, qos_policy_id: priv.id } })).body.floatingip;
    expect(fip).toMatchObject({ qos_policy_id: priv.id, revision_number: 1 });
    expect((await demo.post('/floatingips', { floatingip: { floating_network_id: sim.publicNetworkId, qos_policy_id: MISSING } })).status).toBe(500);
  });

  it('refuses minimum_bandwidth where the openvswitch driver cannot place it (no physical network)', async () => {
    const p = await policy({ shared: true });
    await admin.post(`/qos/policies/${p.id}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 100 } });
    const n = (await demo.post('/networks', { network: { name: 'n' } })).body.network;
    expect((await demo.put(`/networks/${n.id}`, { network: { qos_policy_id: p.id } })).body).toEqual(
      err('QosRuleNotSupportedByNetwork', `Rule minimum_bandwidth is not supported by network ${n.id}`),
    );
    const before = sim.neutron.ports.size;
    const refused = await demo.post('/ports', { port: { network_id: n.id, qos_policy_id: p.id } });
    expect(refused).toMatchObject({ status: 409, body: { NeutronError: { type: 'QosRuleNotSupported' } } });
    expect(sim.neutron.ports.size).toBe(before);

    const other = await policy({ shared: true });
    const port = (await demo.post('/ports', { port: { network_id: n.id, qos_policy_id: other.id } })).body.port;
    expect((await admin.post(`/qos/policies/${other.id}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 100 } })).body).toEqual(
      err('QosRuleNotSupported', `Rule minimum_bandwidth is not supported by port ${port.id}`),
    );
    expect((await admin.get(`/qos/policies/${other.id}`)).body.policy.rules).toEqual([]);
  });
});
