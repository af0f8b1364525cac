// QoSPolicy: a Neutron QoS policy and its rules, and the qosPolicyRef of Networks and Ports. Neutron's
// default policy (Zed, and the simulator) lets only administrators write QoS policies: the policies the
// operator manages here go through a second ProviderConfig with the cloud's administrator ("admin"),
// shared so that the project of the scenario's user (a member) may attach them; the member's own
// ProviderConfig is refused (403). Out-of-band changes are made with the administrator's credentials too.
import { describe, expect, it } from 'vitest';
import type { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import type { NeutronQosPolicy } from '../../src/cloud/openstack/types.ts';
import { adminClient, adminProviderConfig } from './admin.ts';
import { condition, expectNotRetried, FAST_RESYNC, manifest, useScenarios, type Obj, type Scenario } from './harness.ts';

const { start } = useScenarios();

/** The ProviderConfig "admin", and the administrator's client for out-of-band changes. */
async function withAdmin(s: Scenario): Promise<OpenStackClient> {
  await adminProviderConfig(s);
  return adminClient(s);
}

/** A QoSPolicy the administrator's ProviderConfig manages. */
const policy = (name: string, spec: Record<string, unknown>) => manifest('QoSPolicy', name, { providerConfigRef: { name: 'admin' }, ...spec });

/** The policy's rules in a compact, comparable form. */
const rules = (p: NeutronQosPolicy | undefined): string[] =>
  (p?.rules ?? [])
    .map((r) => {
      if (r.type === 'bandwidth_limit') return `bandwidth_limit ${r.direction ?? 'egress'} ${r.max_kbps}/${r.max_burst_kbps}`;
      if (r.type === 'minimum_bandwidth') return `minimum_bandwidth ${r.direction ?? 'egress'} ${r.min_kbps}`;
      return `${r.type} ${r.dscp_mark}`;
    })
    .sort();

const isSynced = (o: Obj | undefined, generation: number) => o?.status?.observedGeneration === generation && condition(o, 'Ready')?.status === 'True';

const RULE_CALLS = (type: string, method: string, member: boolean) => ({ method, path: new RegExp(`/qos/policies/[^/]+/${type}_rules${member ? '/[^/]+' : ''}$`) });

describe('QoSPolicy', () => {
  it('creates a policy and its rules, updates them in place (the policy id stays), and deletes it with the object', async () => {
    const s = await start();
    const admin = await withAdmin(s);
    const egress = { direction: 'egress', maxKbps: 10000, maxBurstKbps: 1000 };
    const ingress = { direction: 'ingress', maxKbps: 20000 };
    const resource = { description: 'bulk traffic', shared: true, tags: ['team-a'], rules: { bandwidthLimits: [egress, ingress], dscpMarking: { dscpMark: 26 } } };
    await s.apply(policy('bulk', { resource }));
    const ready = await s.waitReady('QoSPolicy', 'bulk');
    const id = ready.status!.id as string;
    const seen = await admin.neutron.qosPolicies.get(id);
    expect(seen).toMatchObject({ name: 'bulk', description: 'bulk traffic', shared: true });
    expect([...seen!.tags].sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team-a']);
    expect(rules(seen)).toEqual(['bandwidth_limit egress 10000/1000', 'bandwidth_limit ingress 20000/0', 'dscp_marking 26']);
    expect(ready.status!.resource).toMatchObject({
      name: 'bulk',
      shared: true,
      rules: [
        { type: 'bandwidth_limit', direction: 'egress', maxKbps: 10000, maxBurstKbps: 1000 },
        { type: 'bandwidth_limit', direction: 'ingress', maxKbps: 20000, maxBurstKbps: 0 },
        { type: 'dscp_marking', dscpMark: 26 },
      ],
    });
    await s.waitEvent('bulk', 'Created');
    const egressRule = seen!.rules.find((r) => r.type === 'bandwidth_limit' && r.direction === 'egress')!;
    s.calls.reset();

    // The egress limit changed (PUT of that rule), the mark dropped (DELETE), a minimum added (POST).
    const changed = { ...resource, rules: { bandwidthLimits: [{ ...egress, maxKbps: 5000 }, ingress], minimumBandwidths: [{ direction: 'egress', minKbps: 1000 }] } };
    await s.apply(policy('bulk', { resource: changed }));
    const updated = await s.waitFor('QoSPolicy', 'bulk', (o) => isSynced(o, 2));
    expect(updated!.status!.id).toBe(id);
    const after = await admin.neutron.qosPolicies.get(id);
    expect(rules(after)).toEqual(['bandwidth_limit egress 5000/1000', 'bandwidth_limit ingress 20000/0', 'minimum_bandwidth egress 1000']);
    expect(after!.rules.find((r) => r.type === 'bandwidth_limit' && r.direction === 'egress')!.id).toBe(egressRule.id);
    expect(s.calls.count({ method: 'POST', path: /\/qos\/policies$/ })).toBe(0);
    expect(s.calls.count(RULE_CALLS('bandwidth_limit', 'PUT', true))).toBe(1);
    expect(s.calls.count(RULE_CALLS('dscp_marking', 'DELETE', true))).toBe(1);
    expect(s.calls.count(RULE_CALLS('minimum_bandwidth', 'POST', false))).toBe(1);
    expect((await s.waitEvent('bulk', 'Updated')).message).toMatch(/rules/);

    // An empty set: no rules at all.
    await s.apply(policy('bulk', { resource: { ...resource, rules: {} } }));
    const emptied = await s.waitFor('QoSPolicy', 'bulk', (o) => isSynced(o, 3));
    expect(emptied!.status!.resource.rules).toEqual([]);
    expect(rules(await admin.neutron.qosPolicies.get(id))).toEqual([]);

    await s.delete('QoSPolicy', 'bulk');
    await s.waitGone('QoSPolicy', 'bulk');
    expect(await admin.neutron.qosPolicies.get(id)).toBeUndefined();
  });

  it('a Network and a Port use policies by reference: set, changed, and cleared (qos_policy_id null)', async () => {
    const s = await start();
    await withAdmin(s);
    const limit = (maxKbps: number) => ({ resource: { shared: true, rules: { bandwidthLimits: [{ direction: 'egress', maxKbps }] } } });
    await s.apply(policy('gold', limit(100000)));
    await s.apply(policy('bronze', limit(1000)));
    await s.apply(manifest('Network', 'net', { resource: { qosPolicyRef: { name: 'gold' } } }));
    await s.apply(manifest('Port', 'port', { resource: { networkRef: { name: 'net' }, qosPolicyRef: { name: 'bronze' } } }));
    const gold = (await s.waitReady('QoSPolicy', 'gold')).status!.id as string;
    const bronze = (await s.waitReady('QoSPolicy', 'bronze')).status!.id as string;
    const net = await s.waitReady('Network', 'net');
    const port = await s.waitReady('Port', 'port');
    expect((await s.cloud.neutron.networks.get(net.status!.id as string))!.qos_policy_id).toBe(gold);
    expect((await s.cloud.neutron.ports.get(port.status!.id as string))!.qos_policy_id).toBe(bronze);
    expect(net.status!.resource.qosPolicyID).toBe(gold);
    expect(port.status!.resource.qosPolicyID).toBe(bronze);

    await s.apply(manifest('Network', 'net', { resource: { qosPolicyRef: { name: 'bronze' } } }));
    await s.apply(manifest('Port', 'port', { resource: { networkRef: { name: 'net' } } }));
    const changedNet = await s.waitFor('Network', 'net', (o) => isSynced(o, 2));
    const clearedPort = await s.waitFor('Port', 'port', (o) => isSynced(o, 2));
    expect((await s.cloud.neutron.networks.get(net.status!.id as string))!.qos_policy_id).toBe(bronze);
    expect((await s.cloud.neutron.ports.get(port.status!.id as string))!.qos_policy_id).toBeNull();
    expect(changedNet!.status!.resource.qosPolicyID).toBe(bronze);
    expect(clearedPort!.status!.resource.qosPolicyID).toBeUndefined();
    // In place: one network and one port created, ever.
    expect(s.calls.count({ method: 'POST', path: /\/networks$/ })).toBe(1);
    expect(s.calls.count({ method: 'POST', path: /\/ports$/ })).toBe(1);

    // gold is free now: deleted at once; bronze waits for the Network.
    await s.delete('QoSPolicy', 'gold');
    await s.waitGone('QoSPolicy', 'gold');
    await s.apply(manifest('Network', 'net', { resource: {} }));
    await s.waitFor('Network', 'net', (o) => isSynced(o, 3));
    expect((await s.cloud.neutron.networks.get(net.status!.id as string))!.qos_policy_id).toBeNull();
  });

  it('corrects drift on resync (a rule deleted, a limit changed: updated in place) and recreates a policy deleted out of band', async () => {
    const s = await start(FAST_RESYNC);
    const admin = await withAdmin(s);
    const resource = { rules: { bandwidthLimits: [{ direction: 'egress', maxKbps: 3000 }], dscpMarking: { dscpMark: 10 } } };
    const desired = ['bandwidth_limit egress 3000/0', 'dscp_marking 10'];
    await s.apply(policy('drift', { resource }));
    const id = (await s.waitReady('QoSPolicy', 'drift')).status!.id as string;
    const made = (await admin.neutron.qosPolicies.get(id))!;
    const limit = made.rules.find((r) => r.type === 'bandwidth_limit')!;
    await admin.neutron.qosRules(id, 'bandwidth_limit').update(limit.id, { max_kbps: 999 });
    await admin.neutron.qosRules(id, 'dscp_marking').delete(made.rules.find((r) => r.type === 'dscp_marking')!.id);
    const drifted = (await admin.neutron.qosPolicies.get(id))!;
    expect(rules(drifted)).toEqual(['bandwidth_limit egress 999/0']);
    await s.waitFor('QoSPolicy', 'drift', (o) => (o?.status?.resource?.revisionNumber ?? 0) > drifted.revision_number && o?.status?.resource?.rules?.length === 2);
    const fixed = await admin.neutron.qosPolicies.get(id);
    expect(rules(fixed)).toEqual(desired);
    expect(fixed!.rules.find((r) => r.type === 'bandwidth_limit')!.id).toBe(limit.id);

    await admin.neutron.qosPolicies.delete(id);
    const recreated = await s.waitFor('QoSPolicy', 'drift', (o) => !!o?.status?.id && o.status.id !== id && condition(o, 'Ready')?.status === 'True');
    expect(rules(await admin.neutron.qosPolicies.get(recreated!.status!.id as string))).toEqual(desired);
    await s.waitEvent('drift', 'Recreating');
  });

  it('imports an administrator-made policy ObserveOnly (the member needs no rights on it), referenced by a Network; deleting it waits for the Network and leaves the policy', async () => {
    const s = await start();
    const admin = adminClient(s);
    const name = `gold-${s.namespace}`;
    const made = await admin.neutron.qosPolicies.create({ name, description: 'made by an administrator', shared: true });
    s.releaseOnClose(() => admin.neutron.qosPolicies.delete(made.id));
    await admin.neutron.qosRules(made.id, 'bandwidth_limit').create({ max_kbps: 50000 });
    const before = (await admin.neutron.qosPolicies.get(made.id))!;

    // The member's own ProviderConfig: reading a shared policy is all an import needs.
    await s.apply(manifest('QoSPolicy', 'gold', { managementPolicy: 'ObserveOnly', import: { filter: { name, shared: true } } }));
    await s.apply(manifest('Network', 'net', { resource: { qosPolicyRef: { name: 'gold' } } }));
    const imported = await s.waitReady('QoSPolicy', 'gold');
    expect(imported.status!.id).toBe(made.id);
    expect(imported.status!.resource).toMatchObject({ name, shared: true, rules: [{ type: 'bandwidth_limit', maxKbps: 50000 }] });
    const net = await s.waitReady('Network', 'net');
    expect((await s.cloud.neutron.networks.get(net.status!.id as string))!.qos_policy_id).toBe(made.id);

    await s.delete('QoSPolicy', 'gold');
    const blocked = await s.waitCondition('QoSPolicy', 'gold', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(blocked, 'Ready')?.message).toMatch(/waiting for Network .*net to be deleted/);
    await s.delete('Network', 'net');
    await s.waitGone('QoSPolicy', 'gold');
    const after = await admin.neutron.qosPolicies.get(made.id);
    expect(after).toMatchObject({ tags: [], revision_number: before.revision_number });
    expect(rules(after)).toEqual(['bandwidth_limit egress 50000/0']);
  });
});

describe('QoSPolicy: deletion and errors', () => {
  it('a policy a Network references waits; once free of it, a network the operator does not manage holds it (409 QosPolicyInUse, retried) until it goes', async () => {
    const s = await start();
    const admin = await withAdmin(s);
    await s.apply(policy('held', { resource: { shared: true } }));
    await s.apply(manifest('Network', 'user', { resource: { qosPolicyRef: { name: 'held' } } }));
    const id = (await s.waitReady('QoSPolicy', 'held')).status!.id as string;
    await s.waitReady('Network', 'user');
    const other = await s.cloud.neutron.networks.create({ name: `not-ours-${s.namespace}`, qos_policy_id: id });
    s.releaseOnClose(() => s.cloud.neutron.networks.delete(other.id), { beforeObjects: true });

    await s.delete('QoSPolicy', 'held');
    const waiting = await s.waitCondition('QoSPolicy', 'held', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(waiting, 'Ready')?.message).toMatch(/waiting for Network .*user to be deleted/);
    expect(s.calls.count({ method: 'DELETE', path: /\/qos\/policies\/[^/]+$/ })).toBe(0);

    // The Network lets go of it (no deletion needed); the cloud still refuses while the other network uses it.
    await s.apply(manifest('Network', 'user', { resource: {} }));
    const inUse = await s.waitFor('QoSPolicy', 'held', (o) => /QosPolicyInUse/.test(condition(o, 'Ready')?.message ?? ''));
    expect(condition(inUse, 'Ready')).toMatchObject({ status: 'False', reason: 'DeleteBlocked' });
    expect(condition(inUse, 'Ready')?.message).toMatch(/the cloud refuses the delete for now: network deleteQosPolicy: 409 QosPolicyInUse: /);
    expect(condition(inUse, 'Reconciling')).toMatchObject({ status: 'True', reason: 'DeleteBlocked' });

    await s.cloud.neutron.networks.delete(other.id);
    await s.waitGone('QoSPolicy', 'held', 30_000);
    expect(await admin.neutron.qosPolicies.get(id)).toBeUndefined();
  });

  it("the member's own ProviderConfig: Neutron's 403 (admin-only) stalls with its message and the way out, not retried; its Network waits", async () => {
    const s = await start();
    await s.apply(manifest('QoSPolicy', 'mine', { resource: { rules: { dscpMarking: { dscpMark: 46 } } } }));
    await s.apply(manifest('Network', 'waits', { resource: { qosPolicyRef: { name: 'mine' } } }));
    const stalled = await s.waitCondition('QoSPolicy', 'mine', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toMatch(/createQosPolicy: 403 \w+: .*disallowed by policy \(this cloud lets only administrators create QoS policies: .*import it with managementPolicy: ObserveOnly\)/);
    expect(stalled!.status!.id).toBeUndefined();
    await expectNotRetried(s, 'QoSPolicy', 'mine', { method: 'POST', path: /\/qos\/policies$/ });
    const waiting = await s.waitCondition('Network', 'waits', 'Ready', 'False', 'WaitingForDependency');
    expect(condition(waiting, 'Ready')?.message).toContain(`QoSPolicy ${s.namespace}/mine`);
    expect(s.calls.count({ method: 'POST', path: /\/networks$/ })).toBe(0);
  });
});

describe('QoSPolicy: steady state', () => {
  it('makes zero cloud calls once Ready, with a Network using it', async () => {
    const s = await start();
    await withAdmin(s);
    await s.apply(policy('calm', { resource: { shared: true, rules: { dscpMarking: { dscpMark: 18 } } } }));
    await s.apply(manifest('Network', 'net', { resource: { qosPolicyRef: { name: 'calm' } } }));
    await s.waitReady('QoSPolicy', 'calm');
    await s.waitReady('Network', 'net');
    s.calls.reset();
    await s.touchReconciled('QoSPolicy', 'calm', 'calm');
    await s.touchReconciled('Network', 'net', 'net');
    expect(s.calls.summary()).toEqual({});
  });
});
