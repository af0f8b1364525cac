// The QoSPolicy adapter and the qosPolicyRef of Networks and Ports, without the OpenStack simulator:
// the rules plan, and the requests against a fake Neutron that answers as its API reference says.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NetworkResource } from '../../src/api/network.ts';
import type { PortResource } from '../../src/api/port.ts';
import type { QoSPolicyResource, QoSPolicyRules } from '../../src/api/qospolicy.ts';
import { isCloudError } from '../../src/cloud/errors.ts';
import type { NeutronNetwork, NeutronPort, NeutronQosPolicy, NeutronQosRule } from '../../src/cloud/openstack/types.ts';
import { resolvedRefs, type Desired } from '../../src/reconcile/adapter.ts';
import { network } from '../../src/resources/network.ts';
import { port } from '../../src/resources/port.ts';
import { planRules, qosPolicy } from '../../src/resources/qospolicy.ts';
import { neutronError, useOpenStackAt, type Reply, type Seen } from '../cloud/server.ts';

const openStackAt = useOpenStackAt();

const refs = resolvedRefs(new Map([['QoSPolicy/gold', 'qos-gold'], ['QoSPolicy/bronze', 'qos-bronze'], ['Network/lan', 'net-lan']]));
const want = <R>(resource: R, name = 'obj'): Desired<R> => ({ resource, refs, name });

const rule = (id: string, type: string, fields: Partial<NeutronQosRule> = {}): NeutronQosRule => ({ id, type, ...fields });

describe('planRules', () => {
  const rules: QoSPolicyRules = {
    bandwidthLimits: [{ direction: 'egress', maxKbps: 1000, maxBurstKbps: 0 }, { direction: 'ingress', maxKbps: 2000, maxBurstKbps: 100 }],
    dscpMarking: { dscpMark: 26 },
    minimumBandwidths: [{ direction: 'egress', minKbps: 500 }],
  };

  it('leaves rules alone while the spec does not set them, and finds nothing to do when they are the set', () => {
    expect(planRules(undefined, [rule('x', 'bandwidth_limit', { max_kbps: 1 })])).toBeUndefined();
    const observed = [
      // A cloud without the direction extensions reports none: egress.
      rule('b1', 'bandwidth_limit', { max_kbps: 1000, max_burst_kbps: 0 }),
      rule('b2', 'bandwidth_limit', { max_kbps: 2000, max_burst_kbps: 100, direction: 'ingress' }),
      rule('d', 'dscp_marking', { dscp_mark: 26 }),
      rule('m', 'minimum_bandwidth', { min_kbps: 500, direction: 'egress' }),
    ];
    expect(planRules(rules, observed)).toBeUndefined();
  });

  it('creates missing rules (direction sent only when not egress), in the order maximum, mark, minimum', () => {
    expect(planRules(rules, [])).toEqual({
      delete: [],
      update: [],
      create: [
        { type: 'bandwidth_limit', fields: { max_kbps: 1000, max_burst_kbps: 0 } },
        { type: 'bandwidth_limit', fields: { max_kbps: 2000, max_burst_kbps: 100, direction: 'ingress' } },
        { type: 'dscp_marking', fields: { dscp_mark: 26 } },
        { type: 'minimum_bandwidth', fields: { min_kbps: 500 } },
      ],
    });
  });

  it('updates changed rules in place with the changed fields only, loosening ones first; deletes the rest', () => {
    const observed = [
      rule('b1', 'bandwidth_limit', { max_kbps: 4000, max_burst_kbps: 0, direction: 'egress' }),
      rule('b2', 'bandwidth_limit', { max_kbps: 1500, max_burst_kbps: 100, direction: 'ingress' }),
      rule('d', 'dscp_marking', { dscp_mark: 10 }),
      rule('m', 'minimum_bandwidth', { min_kbps: 800, direction: 'egress' }),
      rule('m2', 'minimum_bandwidth', { min_kbps: 800, direction: 'ingress' }),
      rule('p', 'minimum_packet_rate', { direction: 'any' }),
    ];
    expect(planRules(rules, observed)).toEqual({
      delete: [{ type: 'minimum_bandwidth', id: 'm2' }, { type: 'minimum_packet_rate', id: 'p' }],
      update: [
        // A higher maximum and a lower minimum first: every step keeps minimum <= maximum.
        { type: 'bandwidth_limit', id: 'b2', fields: { max_kbps: 2000 } },
        { type: 'minimum_bandwidth', id: 'm', fields: { min_kbps: 500 } },
        { type: 'bandwidth_limit', id: 'b1', fields: { max_kbps: 1000 } },
        { type: 'dscp_marking', id: 'd', fields: { dscp_mark: 26 } },
      ],
      create: [],
    });
  });

  it('an empty set deletes every rule; a second rule of one type and direction is deleted', () => {
    expect(planRules({}, [rule('d', 'dscp_marking', { dscp_mark: 10 })])).toEqual({ delete: [{ type: 'dscp_marking', id: 'd' }], update: [], create: [] });
    const twice = [rule('d1', 'dscp_marking', { dscp_mark: 26 }), rule('d2', 'dscp_marking', { dscp_mark: 26 })];
    expect(planRules({ dscpMarking: { dscpMark: 26 } }, twice)).toEqual({ delete: [{ type: 'dscp_marking', id: 'd2' }], update: [], create: [] });
  });
});

/** A fake Neutron holding QoS policies and their rules, as the API reference describes them (Zed: tags by PUT). */
function fakeNeutron(options: { createPolicy?: Reply; deletePolicy?: Reply; ruleConflict?: 'made' | 'not-made' } = {}) {
  const policies = new Map<string, NeutronQosPolicy>();
  const handler = (req: Seen): Reply => {
    const path = req.path.replace('/networking/v2.0/', '');
    if (path === 'extensions') return { status: 200, body: { extensions: [] } };
    // The tags API names a policy by its collection alone: /policies/{id}/tags (a bulk PUT under /qos/ is refused).
    const [, id, sub, ruleId] = /^(?:qos\/policies|policies(?=\/[^/]+\/tags$))(?:\/([^/]+))?(?:\/([a-z_]+))?(?:\/([^/]+))?$/.exec(path) ?? [];
    const policy = id === undefined ? undefined : policies.get(id);
    const body = req.body as Record<string, Record<string, unknown>>;
    if (id === undefined && req.method === 'POST') {
      if (options.createPolicy) return options.createPolicy;
      const created = { id: randomUUID(), name: '', description: '', shared: false, is_default: false, rules: [], tags: [], revision_number: 0, project_id: 'p', tenant_id: 'p', created_at: '', updated_at: '', ...body.policy } as NeutronQosPolicy;
      policies.set(created.id, created);
      return { status: 201, body: { policy: created } };
    }
    if (!policy) return { status: 404, body: neutronError('QosPolicyNotFound', `QoS policy ${id} could not be found.`) };
    if (sub === undefined) {
      if (req.method === 'GET') return { status: 200, body: { policy } };
      if (req.method === 'PUT') return { status: 200, body: { policy: Object.assign(policy, body.policy, { revision_number: policy.revision_number + 1 }) } };
      if (options.deletePolicy) return options.deletePolicy;
      policies.delete(policy.id);
      return { status: 204 };
    }
    if (sub === 'tags') return { status: 200, body: { tags: (policy.tags = (body as unknown as { tags: string[] }).tags) } };
    const type = sub.replace(/_rules$/, '');
    if (req.method === 'POST') {
      const created = { id: randomUUID(), ...body[`${type}_rule`] };
      // ruleConflict 'made': an earlier request of the operator's (timed out) made the rule and this is
      // its repeat; 'not-made': a conflict with a rule the policy does not show.
      if (options.ruleConflict !== 'not-made') policy.rules.push({ ...created, type });
      if (options.ruleConflict) {
        return { status: 409, body: neutronError('QoSRulesConflict', `Rule ${type} conflicts with rule ${created.id} which already exists in QoS Policy ${policy.id}.`) };
      }
      return { status: 201, body: { [`${type}_rule`]: created } };
    }
    const found = policy.rules.find((r) => r.id === ruleId);
    if (!found) return { status: 404, body: neutronError('QosRuleNotFound', `QoS rule ${ruleId} could not be found.`) };
    if (req.method === 'PUT') return { status: 200, body: { [`${type}_rule`]: Object.assign(found, body[`${type}_rule`]) } };
    policy.rules = policy.rules.filter((r) => r !== found);
    return { status: 204 };
  };
  return { policies, handler };
}

/** What the fake saw, as "METHOD path" (ids elided) with the JSON body. */
const requests = (seen: Seen[]) => seen.map((r) => `${r.method} ${r.path.replace('/networking/v2.0/', '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}${r.raw ? ` ${r.raw}` : ''}`);

const gold: QoSPolicyResource = {
  description: 'gold',
  rules: {
    bandwidthLimits: [{ direction: 'ingress', maxKbps: 2000, maxBurstKbps: 0 }],
    dscpMarking: { dscpMark: 46 },
  },
};

const CREATE_REQUEST = { secretData: () => '' };

describe('QoSPolicy adapter against Neutron', () => {
  it('creates the policy with its tags, then its rules through their sub-resources, and reads it back', async () => {
    const fake = fakeNeutron();
    const { client, server } = await openStackAt(fake.handler, { network: '/networking' });
    const created = (await qosPolicy.create(client, { ...want(gold, 'gold'), ...CREATE_REQUEST }, ['cloudnet-managed'])) as NeutronQosPolicy;
    expect(requests(server.seen)).toEqual([
      'GET extensions',
      'POST qos/policies {"policy":{"name":"gold","description":"gold"}}',
      'PUT policies/{id}/tags {"tags":["cloudnet-managed"]}',
      'POST qos/policies/{id}/bandwidth_limit_rules {"bandwidth_limit_rule":{"max_kbps":2000,"max_burst_kbps":0,"direction":"ingress"}}',
      'POST qos/policies/{id}/dscp_marking_rules {"dscp_marking_rule":{"dscp_mark":46}}',
      'GET qos/policies/{id}',
    ]);
    expect(qosPolicy.summarize(created)).toMatchObject({
      name: 'gold',
      description: 'gold',
      tags: ['cloudnet-managed'],
      rules: [
        { type: 'bandwidth_limit', direction: 'ingress', maxKbps: 2000, maxBurstKbps: 0 },
        { type: 'dscp_marking', dscpMark: 46 },
      ],
    });
    expect(qosPolicy.diff(want(gold, 'gold'), created)).toBeUndefined();
  });

  it('updates in place: the policy fields in one PUT with its revision, rules PUT, POSTed and DELETEd; the id stays', async () => {
    const fake = fakeNeutron();
    const { client, server } = await openStackAt(fake.handler, { network: '/networking' });
    const created = (await qosPolicy.create(client, { ...want(gold, 'gold'), ...CREATE_REQUEST }, [])) as NeutronQosPolicy;
    server.seen.length = 0;
    const changed: QoSPolicyResource = {
      description: 'gold+',
      rules: { bandwidthLimits: [{ direction: 'ingress', maxKbps: 3000, maxBurstKbps: 0 }], minimumBandwidths: [{ direction: 'egress', minKbps: 100 }] },
    };
    const patch = qosPolicy.diff(want(changed, 'gold'), created)!;
    expect(Object.keys(patch)).toEqual(['description', 'rules']);
    const updated = (await qosPolicy.update(client, created, patch, want(changed, 'gold'))) as NeutronQosPolicy;
    expect(updated.id).toBe(created.id);
    expect(requests(server.seen)).toEqual([
      `PUT qos/policies/{id} {"policy":{"description":"gold+"}}`,
      'DELETE qos/policies/{id}/dscp_marking_rules/{id}',
      'PUT qos/policies/{id}/bandwidth_limit_rules/{id} {"bandwidth_limit_rule":{"max_kbps":3000}}',
      'POST qos/policies/{id}/minimum_bandwidth_rules {"minimum_bandwidth_rule":{"min_kbps":100}}',
      'GET qos/policies/{id}',
    ]);
    expect(server.seen[0]!.headers['if-match']).toBe(`revision_number=${created.revision_number}`);
    expect(qosPolicy.diff(want(changed, 'gold'), updated)).toBeUndefined();
  });

  it('an admin-only create (403) says to import an admin-made policy with ObserveOnly', async () => {
    const forbidden = { status: 403, body: neutronError('PolicyNotAuthorized', 'rule:create_policy is disallowed by policy') };
    const { client } = await openStackAt(fakeNeutron({ createPolicy: forbidden }).handler, { network: '/networking' });
    const err = await qosPolicy.create(client, { ...want(gold, 'gold'), ...CREATE_REQUEST }, []).catch((e: unknown) => e);
    expect(isCloudError(err, 'terminal')).toBe(true);
    expect((err as Error).message).toMatch(/^rule:create_policy is disallowed by policy \(.*only administrators create QoS policies.*managementPolicy: ObserveOnly\)$/);
  });

  it("a rule create that meets its own earlier request (409 QoSRulesConflict, the rule now there) is done; a conflict without it stays one", async () => {
    const limited: QoSPolicyResource = { rules: { bandwidthLimits: [{ direction: 'ingress', maxKbps: 2000, maxBurstKbps: 0 }] } };
    const made = await openStackAt(fakeNeutron({ ruleConflict: 'made' }).handler, { network: '/networking' });
    const created = (await qosPolicy.create(made.client, { ...want(limited, 'p'), ...CREATE_REQUEST }, [])) as NeutronQosPolicy;
    expect(requests(made.server.seen).slice(-3)).toEqual([
      'POST qos/policies/{id}/bandwidth_limit_rules {"bandwidth_limit_rule":{"max_kbps":2000,"max_burst_kbps":0,"direction":"ingress"}}',
      'GET qos/policies/{id}',
      'GET qos/policies/{id}',
    ]);
    expect(qosPolicy.diff(want(limited, 'p'), created)).toBeUndefined();

    const notMade = await openStackAt(fakeNeutron({ ruleConflict: 'not-made' }).handler, { network: '/networking' });
    const err = await qosPolicy.create(notMade.client, { ...want(limited, 'q'), ...CREATE_REQUEST }, []).catch((e: unknown) => e);
    expect(isCloudError(err, 'conflict')).toBe(true);
    expect((err as Error).message).toMatch(/^QoS policy \S+ was created but setting its rules failed: Rule bandwidth_limit conflicts with rule /);
  });

  it('a delete while something uses the policy is busy (retried), one already gone is done', async () => {
    const inUse = { status: 409, body: neutronError('QosPolicyInUse', 'QoS Policy p is used by network n.') };
    const fake = fakeNeutron({ deletePolicy: inUse });
    const { client } = await openStackAt(fake.handler, { network: '/networking' });
    const created = (await qosPolicy.create(client, { ...want({}, 'p'), ...CREATE_REQUEST }, [])) as NeutronQosPolicy;
    const err = await Promise.resolve(qosPolicy.delete(client, created.id)).catch((e: unknown) => e);
    expect(isCloudError(err, 'busy')).toBe(true);
    expect((err as Error).message).toBe('QoS Policy p is used by network n.');
    await expect(qosPolicy.delete(client, randomUUID())).resolves.toBeUndefined();
  });
});

describe('qosPolicyRef of Networks and Ports', () => {
  const net = (qos: string | null | undefined) => ({ id: 'n', name: 'obj', admin_state_up: true, ...(qos === undefined ? {} : { qos_policy_id: qos }) }) as unknown as NeutronNetwork;
  const prt = (qos: string | null) => ({ id: 'p', name: 'obj', admin_state_up: true, fixed_ips: [], mac_address: 'fa:16:3e:00:00:01', qos_policy_id: qos }) as unknown as NeutronPort;
  const netSpec = (qosPolicyRef?: { name: string }): NetworkResource => ({ adminStateUp: true, ...(qosPolicyRef ? { qosPolicyRef } : {}) });
  const portSpec = (qosPolicyRef?: { name: string }): PortResource => ({ networkRef: { name: 'lan' }, adminStateUp: true, ...(qosPolicyRef ? { qosPolicyRef } : {}) });

  it('is a blocking reference of both', () => {
    expect(network.references(netSpec({ name: 'gold' }))).toEqual([{ kind: 'QoSPolicy', name: 'gold', field: 'qosPolicyRef' }]);
    expect(network.references(netSpec())).toEqual([]);
    expect(port.references(portSpec({ name: 'gold' }))).toContainEqual({ kind: 'QoSPolicy', name: 'gold', field: 'qosPolicyRef' });
  });

  it('sets, changes and clears qos_policy_id (null), and a cloud without the qos extension has nothing to clear', () => {
    expect(network.diff(want(netSpec({ name: 'gold' })), net(null))).toEqual({ qos_policy_id: 'qos-gold' });
    expect(network.diff(want(netSpec({ name: 'bronze' })), net('qos-gold'))).toEqual({ qos_policy_id: 'qos-bronze' });
    expect(network.diff(want(netSpec()), net('qos-gold'))).toEqual({ qos_policy_id: null });
    expect(network.diff(want(netSpec()), net(null))).toBeUndefined();
    expect(network.diff(want(netSpec()), net(undefined))).toBeUndefined();
    expect(network.diff(want(netSpec({ name: 'gold' })), net('qos-gold'))).toBeUndefined();
    expect(port.diff(want(portSpec({ name: 'gold' })), prt(null))).toEqual({ qos_policy_id: 'qos-gold' });
    expect(port.diff(want(portSpec()), prt('qos-gold'))).toEqual({ qos_policy_id: null });
    expect(port.diff(want(portSpec({ name: 'gold' })), prt('qos-gold'))).toBeUndefined();
  });

  it('is sent in a create only when set, and shown in status', async () => {
    const bodies: unknown[] = [];
    const { client } = await openStackAt((req) => {
      if (req.path.endsWith('/extensions')) return { status: 200, body: { extensions: [] } };
      bodies.push(req.body);
      const kind = req.path.endsWith('/networks') ? 'network' : 'port';
      return { status: 201, body: { [kind]: { id: randomUUID(), ...(req.body as Record<string, object>)[kind] } } };
    }, { network: '/networking' });
    await network.create(client, { ...want(netSpec({ name: 'gold' })), ...CREATE_REQUEST }, []);
    await network.create(client, { ...want(netSpec()), ...CREATE_REQUEST }, []);
    await port.create(client, { ...want(portSpec({ name: 'gold' })), ...CREATE_REQUEST }, []);
    await port.create(client, { ...want(portSpec()), ...CREATE_REQUEST }, []);
    expect(bodies.map((b) => JSON.stringify(b).includes('"qos_policy_id":"qos-gold"'))).toEqual([true, false, true, false]);
    expect(bodies.some((b) => JSON.stringify(b).includes('"qos_policy_id":null'))).toBe(false);
    expect(network.summarize(net('qos-gold'))).toMatchObject({ qosPolicyID: 'qos-gold' });
    expect(port.summarize(prt(null)).qosPolicyID).toBeUndefined();
  });
});
