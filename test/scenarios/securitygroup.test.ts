import { describe, expect, it } from 'vitest';
import type { NeutronSecurityGroup } from '../../src/cloud/openstack/types.ts';
import { condition, expectAdoptedOnce, expectNotRetried, FAST_RESYNC, managedListings, manifest, realCloud, until, useScenarios, type Obj } from './harness.ts';

const { start } = useScenarios();

const group = (name: string, spec: Record<string, unknown>) => manifest('SecurityGroup', name, spec);
const RULE_CALLS = { path: /\/security-group-rules/ };

/** The group's rules in a compact, comparable form. */
function rules(sg: NeutronSecurityGroup | undefined): string[] {
  return (sg?.security_group_rules ?? [])
    .map((r) =>
      [r.direction, r.ethertype, r.protocol ?? 'any', `${r.port_range_min ?? ''}-${r.port_range_max ?? ''}`, r.remote_ip_prefix ?? r.remote_group_id ?? '*', r.description || '']
        .join(' ')
        .trim(),
    )
    .sort();
}

const EGRESS_DEFAULTS = ['egress IPv4 any - *', 'egress IPv6 any - *'];

const isSynced = (o: Obj | undefined, generation: number) => o?.status?.observedGeneration === generation && condition(o, 'Ready')?.status === 'True';

describe('SecurityGroup', () => {
  it('creates a minimal group (unset rules: Neutron default egress rules kept) and deletes it with the object', async () => {
    const s = await start();
    await s.apply(group('minimal', { resource: {} }));
    const ready = await s.waitReady('SecurityGroup', 'minimal');
    const id = ready.status!.id as string;
    const seen = await s.cloud.neutron.securityGroups.get(id);
    expect(seen).toMatchObject({ name: 'minimal', stateful: true });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`]);
    expect(rules(seen)).toEqual(EGRESS_DEFAULTS);
    expect(ready.status!.resource).toMatchObject({ name: 'minimal', stateful: true });
    expect(ready.status!.resource.rules).toHaveLength(2);
    expect(condition(ready, 'Ready')).toMatchObject({ reason: 'Available' });
    await s.waitEvent('minimal', 'Created');

    await s.delete('SecurityGroup', 'minimal');
    await s.waitGone('SecurityGroup', 'minimal');
    expect(await s.cloud.neutron.securityGroups.get(id)).toBeUndefined();
  });

  it('creates a full group with its rules as a set: equal rules kept, the others deleted, nothing redone on resync', async () => {
    const s = await start(FAST_RESYNC);
    const resource = {
      name: 'web-sg',
      description: 'web tier',
      stateful: false,
      tags: ['team-a'],
      rules: [
        // Equal to Neutron's default IPv4 egress rule once normalised (0.0.0.0/0 = any address).
        { direction: 'egress', remoteIPPrefix: '0.0.0.0/0' },
        // The whole port range: Neutron stores no range.
        { direction: 'ingress', protocol: 'tcp', portRangeMin: 1, portRangeMax: 65535, remoteIPPrefix: '10.0.0.0/8' },
        { direction: 'ingress', protocol: '6', portRangeMin: 443, portRangeMax: 443, description: 'https' },
        { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', remoteIPPrefix: '2001:db8::/32' },
        { direction: 'ingress', protocol: 'udp', portRangeMin: 53, portRangeMax: 53, remoteIPPrefix: '192.0.2.0/24' },
      ],
    };
    const creates = () => s.calls.count({ ...RULE_CALLS, method: 'POST' });
    await s.apply(group('full', { resource }));
    const ready = await s.waitReady('SecurityGroup', 'full');
    const id = ready.status!.id as string;
    const seen = await s.cloud.neutron.securityGroups.get(id);
    expect(seen).toMatchObject({ name: 'web-sg', description: 'web tier', stateful: false });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team-a']);
    expect(rules(seen)).toEqual([
      'egress IPv4 any - *',
      'ingress IPv4 6 443-443 * https',
      'ingress IPv4 tcp - 10.0.0.0/8',
      'ingress IPv4 udp 53-53 192.0.2.0/24',
      'ingress IPv6 ipv6-icmp - 2001:db8::/32',
    ]);
    expect(ready.status!.resource.rules).toHaveLength(5);
    // The IPv6 default egress rule deleted, the IPv4 one kept; four rules created.
    expect(s.calls.count({ ...RULE_CALLS, method: 'DELETE' })).toBe(1);
    expect(creates()).toBe(4);
    // Resyncs (every second) find every rule equal: no rule call, no update.
    const before = creates();
    // A drift check lists the marked groups (nothing changed: it writes no status, so the cloud calls tell).
    const reads = managedListings(s, /\/security-groups$/);
    await until('two drift checks', () => managedListings(s, /\/security-groups$/) >= reads + 2, 10_000);
    expect(creates()).toBe(before);
    expect(s.calls.count({ ...RULE_CALLS, method: 'DELETE' })).toBe(1);
    expect(s.calls.count({ method: 'PUT', path: /\/security-groups\/[^/]+$/ })).toBe(0);
  });

  it('updates in place: group fields in one PUT, rules added, removed and replaced (description change)', async () => {
    const s = await start();
    const ssh = { direction: 'ingress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, description: 'ssh' };
    const http = { direction: 'ingress', protocol: 'tcp', portRangeMin: 80, portRangeMax: 80 };
    const resource = { description: 'before', rules: [ssh, http] };
    await s.apply(group('upd', { resource }));
    const ready = await s.waitReady('SecurityGroup', 'upd');
    const id = ready.status!.id as string;
    expect(rules(await s.cloud.neutron.securityGroups.get(id))).toEqual(['ingress IPv4 tcp 22-22 * ssh', 'ingress IPv4 tcp 80-80 *']);
    s.calls.reset();

    const icmp = { direction: 'ingress', protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 };
    await s.apply(group('upd', { resource: { description: 'after', rules: [{ ...ssh, description: 'admin ssh' }, icmp] } }));
    const updated = await s.waitFor('SecurityGroup', 'upd', (o) => isSynced(o, 2));
    expect(updated!.status!.id).toBe(id);
    const seen = await s.cloud.neutron.securityGroups.get(id);
    expect(seen).toMatchObject({ description: 'after' });
    expect(rules(seen)).toEqual(['ingress IPv4 icmp 8-0 *', 'ingress IPv4 tcp 22-22 * admin ssh']);
    expect(updated!.status!.resource).toMatchObject({ description: 'after' });
    expect(s.calls.count({ method: 'POST', path: /\/security-groups$/ })).toBe(0);
    expect(s.calls.count({ method: 'PUT', path: /\/security-groups\/[^/]+$/ })).toBe(1);
    expect(s.calls.count({ ...RULE_CALLS, method: 'DELETE' })).toBe(2);
    expect(s.calls.count({ ...RULE_CALLS, method: 'POST' })).toBe(2);
    const event = await s.waitEvent('upd', 'Updated');
    expect(event.message).toMatch(/description, rules/);

    // An empty list: no rules at all (not even egress).
    await s.apply(group('upd', { resource: { description: 'after', rules: [] } }));
    await s.waitFor('SecurityGroup', 'upd', (o) => isSynced(o, 3));
    expect(rules(await s.cloud.neutron.securityGroups.get(id))).toEqual([]);
  });

  it('corrects drift on resync (rules and fields) and recreates a group deleted out of band', async () => {
    const s = await start(FAST_RESYNC);
    const resource = { description: 'desired', rules: [{ direction: 'ingress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }] };
    await s.apply(group('drift', { resource }));
    const ready = await s.waitReady('SecurityGroup', 'drift');
    const id = ready.status!.id as string;
    const sg = (await s.cloud.neutron.securityGroups.get(id))!;
    await s.cloud.neutron.securityGroupRules.delete(sg.security_group_rules[0]!.id);
    await s.cloud.neutron.securityGroupRules.create({ security_group_id: id, direction: 'ingress', protocol: 'tcp', port_range_min: 3306, port_range_max: 3306 });
    const drifted = await s.cloud.neutron.securityGroups.update(id, { description: 'changed by hand' });
    await s.waitFor('SecurityGroup', 'drift', (o) => (o?.status?.resource?.revisionNumber ?? 0) > drifted.revision_number && o?.status?.resource?.description === 'desired');
    const fixed = await s.cloud.neutron.securityGroups.get(id);
    expect(fixed).toMatchObject({ description: 'desired' });
    expect(rules(fixed)).toEqual(['ingress IPv4 tcp 22-22 *']);

    await s.cloud.neutron.securityGroups.delete(id);
    const recreated = await s.waitFor('SecurityGroup', 'drift', (o) => !!o?.status?.id && o.status.id !== id && condition(o, 'Ready')?.status === 'True');
    const again = await s.cloud.neutron.securityGroups.get(recreated!.status!.id as string);
    expect(again).toMatchObject({ name: 'drift', description: 'desired' });
    expect(rules(again)).toEqual(['ingress IPv4 tcp 22-22 *']);
    await s.waitEvent('drift', 'Recreating');
  });

  it('imports by id (Managed: rules made the desired set) and by filter as ObserveOnly (left untouched)', async () => {
    const s = await start();
    const existing = await s.cloud.neutron.securityGroups.create({ name: 'legacy', description: 'before' });
    await s.apply(group('adopted', { import: { id: existing.id }, resource: { name: 'legacy', rules: [{ direction: 'ingress', protocol: 'icmp' }] } }));
    const ready = await s.waitReady('SecurityGroup', 'adopted');
    expect(ready.status!.id).toBe(existing.id);
    const seen = await s.cloud.neutron.securityGroups.get(existing.id);
    expect(rules(seen)).toEqual(['ingress IPv4 icmp - *']);
    expect(seen!.tags).toContain(`cloudnet-uid:${ready.metadata!.uid}`);
    await s.waitEvent('adopted', 'Adopted');

    const observed = await s.cloud.neutron.securityGroups.create({ name: 'observed', description: 'as is' });
    s.releaseOnClose(() => s.cloud.neutron.securityGroups.delete(observed.id));
    await s.apply(group('observed', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'observed' } } }));
    const imported = await s.waitReady('SecurityGroup', 'observed');
    expect(imported.status!.id).toBe(observed.id);
    expect(imported.status!.resource).toMatchObject({ name: 'observed', description: 'as is', stateful: true });
    await s.delete('SecurityGroup', 'observed');
    await s.waitGone('SecurityGroup', 'observed');
    const after = await s.cloud.neutron.securityGroups.get(observed.id);
    expect(after).toMatchObject({ tags: [], revision_number: observed.revision_number });
    expect(rules(after)).toEqual(EGRESS_DEFAULTS);
  });

  it('Orphan leaves the group and its rules without the operator tags', async () => {
    const s = await start();
    await s.apply(group('orphan', { deletionPolicy: 'Orphan', resource: { tags: ['keep-me'], rules: [{ direction: 'ingress', protocol: 'tcp', portRangeMin: 80, portRangeMax: 80 }] } }));
    const ready = await s.waitReady('SecurityGroup', 'orphan');
    await s.delete('SecurityGroup', 'orphan');
    await s.waitGone('SecurityGroup', 'orphan');
    const left = await s.cloud.neutron.securityGroups.get(ready.status!.id as string);
    expect(left).toMatchObject({ name: 'orphan', tags: ['keep-me'] });
    expect(rules(left)).toEqual(['ingress IPv4 tcp 80-80 *']);
    s.releaseOnClose(() => s.cloud.neutron.securityGroups.delete(left!.id));
  });

  it('a rule with remoteGroupRef is left out until that group exists, then resolves to its id; it does not block its deletion', async () => {
    const s = await start();
    const tcp8080 = { direction: 'ingress', protocol: 'tcp', portRangeMin: 8080, portRangeMax: 8080 };
    const ssh = { direction: 'ingress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 };
    await s.apply(group('app', { resource: { rules: [{ ...tcp8080, remoteGroupRef: { name: 'web' } }, ssh] } }));
    // The group and the rules that need nothing else are created meanwhile.
    const waiting = await s.waitFor('SecurityGroup', 'app', (o) => !!o?.status?.id && condition(o, 'Ready')?.reason === 'WaitingForDependency');
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(waiting, 'Ready')?.message).toContain(`SecurityGroup ${s.namespace}/web (rules[0].remoteGroupRef) does not exist`);
    const appId = waiting!.status!.id as string;
    expect(rules(await s.cloud.neutron.securityGroups.get(appId))).toEqual(['ingress IPv4 tcp 22-22 *']);

    await s.apply(group('web', { resource: {} }));
    const web = await s.waitReady('SecurityGroup', 'web');
    const app = await s.waitReady('SecurityGroup', 'app');
    expect(app.status!.id).toBe(appId);
    expect(rules(await s.cloud.neutron.securityGroups.get(appId))).toEqual([`ingress IPv4 tcp 22-22 *`, `ingress IPv4 tcp 8080-8080 ${web.status!.id}`]);

    // Neutron deletes the rules naming a deleted group: web goes at once, app waits for a new web.
    await s.delete('SecurityGroup', 'web');
    await s.waitGone('SecurityGroup', 'web');
    expect(await s.cloud.neutron.securityGroups.get(web.status!.id as string)).toBeUndefined();
    const gone = `SecurityGroup ${s.namespace}/web (rules[0].remoteGroupRef) does not exist`;
    const orphaned = await s.waitFor('SecurityGroup', 'app', (o) => condition(o, 'Ready')?.message?.includes(gone) === true);
    expect(condition(orphaned, 'Ready')).toMatchObject({ status: 'False', reason: 'WaitingForDependency' });
    expect(rules(await s.cloud.neutron.securityGroups.get(appId))).toEqual(['ingress IPv4 tcp 22-22 *']);
    await s.delete('SecurityGroup', 'app');
    await s.waitGone('SecurityGroup', 'app');
    expect(await s.cloud.neutron.securityGroups.get(appId)).toBeUndefined();
  });

  it('a remoteGroupRef naming the group itself resolves to its own id', async () => {
    const s = await start();
    await s.apply(group('self', { resource: { rules: [{ direction: 'ingress', remoteGroupRef: { name: 'self' } }] } }));
    const ready = await s.waitReady('SecurityGroup', 'self');
    const id = ready.status!.id as string;
    expect(rules(await s.cloud.neutron.securityGroups.get(id))).toEqual([`ingress IPv4 any - ${id}`]);
    // Set while creating: one group, one rule created, the two default egress rules deleted.
    expect(s.calls.count({ method: 'POST', path: /\/security-groups$/ })).toBe(1);
    expect(s.calls.count({ ...RULE_CALLS, method: 'POST' })).toBe(1);
    expect(s.calls.count({ ...RULE_CALLS, method: 'DELETE' })).toBe(2);
    await s.delete('SecurityGroup', 'self');
    await s.waitGone('SecurityGroup', 'self');
    expect(await s.cloud.neutron.securityGroups.get(id)).toBeUndefined();
  });

  it('two groups whose rules name each other are created, Ready, and deleted all at once', async () => {
    const s = await start();
    const from = (name: string) => ({ direction: 'ingress', protocol: 'tcp', portRangeMin: 5432, portRangeMax: 5432, remoteGroupRef: { name } });
    await Promise.all([s.apply(group('db', { resource: { rules: [from('api')] } })), s.apply(group('api', { resource: { rules: [from('db'), from('api')] } }))]);
    const [db, api] = await Promise.all([s.waitReady('SecurityGroup', 'db'), s.waitReady('SecurityGroup', 'api')]);
    const dbId = db.status!.id as string;
    const apiId = api.status!.id as string;
    expect(rules(await s.cloud.neutron.securityGroups.get(dbId))).toEqual([`ingress IPv4 tcp 5432-5432 ${apiId}`]);
    expect(rules(await s.cloud.neutron.securityGroups.get(apiId))).toEqual([`ingress IPv4 tcp 5432-5432 ${apiId}`, `ingress IPv4 tcp 5432-5432 ${dbId}`].sort());

    await Promise.all([s.delete('SecurityGroup', 'db'), s.delete('SecurityGroup', 'api')]);
    await Promise.all([s.waitGone('SecurityGroup', 'db'), s.waitGone('SecurityGroup', 'api')]);
    expect(await s.cloud.neutron.securityGroups.get(dbId)).toBeUndefined();
    expect(await s.cloud.neutron.securityGroups.get(apiId)).toBeUndefined();
  });
});

describe('SecurityGroup: errors', () => {
  it('a rule Neutron refuses stalls with its message (group id recorded), no retry storm, fixed by a spec change', async () => {
    const s = await start();
    // Admission refuses every rule Neutron is known to refuse: the cloud's refusal (as Neutron words
    // it for port 0 on TCP) is injected, as a cloud with a stricter policy would answer.
    const body = { NeutronError: { type: 'SecurityGroupInvalidPortValue', message: 'Invalid value for port 1', detail: '' } };
    const refusal = s.faults.add({ status: 400, body, match: { method: 'POST', pathPattern: /\/security-group-rules$/ } });
    const bad = { direction: 'ingress', protocol: 'tcp', portRangeMin: 1, portRangeMax: 1 };
    await s.apply(group('refused', { resource: { rules: [bad] } }));
    const stalled = await s.waitCondition('SecurityGroup', 'refused', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toMatch(/SecurityGroupInvalidPortValue: .*Invalid value for port 1/);
    const id = stalled!.status!.id as string;
    expect(id).toBeTruthy();
    await expectNotRetried(s, 'SecurityGroup', 'refused', { ...RULE_CALLS, method: 'POST' });
    refusal.remove();
    await s.apply(group('refused', { resource: { rules: [{ ...bad, portRangeMin: 1, portRangeMax: 1024 }] } }));
    const ready = await s.waitReady('SecurityGroup', 'refused');
    expect(ready.status!.id).toBe(id);
    expect(rules(await s.cloud.neutron.securityGroups.get(id))).toEqual(['ingress IPv4 tcp 1-1024 *']);
    expect(await s.cloud.neutron.securityGroups.list({ filters: { name: 'refused' } })).toHaveLength(1);
  });

  it('transient errors, 429s and lost rule answers converge to one group with exactly the rules', async () => {
    const s = await start();
    s.faults.add({ status: 503, rate: 0.4, match: { service: 'network' } });
    s.faults.add({ status: 429, retryAfter: 1, times: 2, match: { method: 'POST' } });
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/security-group-rules$/ } });
    const resource = { rules: [22, 80, 443].map((p) => ({ direction: 'ingress', protocol: 'tcp', portRangeMin: p, portRangeMax: p })) };
    await s.apply(group('flaky', { resource }));
    const ready = await s.waitReady('SecurityGroup', 'flaky', 30_000);
    s.faults.clear();
    const named = await s.cloud.neutron.securityGroups.list({ filters: { name: 'flaky' } });
    expect(named.map((g) => g.id)).toEqual([ready.status!.id]);
    expect(rules(named[0])).toEqual(['ingress IPv4 tcp 22-22 *', 'ingress IPv4 tcp 443-443 *', 'ingress IPv4 tcp 80-80 *']);
    expect(s.calls.count({ status: 429 })).toBeGreaterThan(0);
  });
});

describe('SecurityGroup: steady state', () => {
  it('makes zero cloud calls once Ready', async () => {
    const s = await start();
    await s.apply(group('a', { resource: { rules: [{ direction: 'ingress', protocol: 'tcp', portRangeMin: 1, portRangeMax: 65535 }] } }));
    await s.apply(group('b', { resource: { rules: [{ direction: 'ingress', remoteGroupRef: { name: 'a' } }] } }));
    await s.waitReady('SecurityGroup', 'a');
    await s.waitReady('SecurityGroup', 'b');
    s.calls.reset();
    await s.touchReconciled('SecurityGroup', 'a', 'b', 'a', 'b');
    expect(s.calls.summary()).toEqual({});
    await s.restartOperator('SecurityGroup', 2);
    expect(s.calls.summary()).toEqual({});
  });
});

describe('SecurityGroup: crash-safe create', () => {
  for (const tagsOnCreate of [true, false]) {
    it.skipIf(realCloud && tagsOnCreate)(`a lost create answer leaves exactly one group, with its rules (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ sim: { tagsOnCreate } });
      s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/security-groups$/ } });
      await s.apply(group('lost', { resource: { tags: ['x'], rules: [{ direction: 'ingress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }] } }));
      const ready = await s.waitReady('SecurityGroup', 'lost');
      const named = await s.cloud.neutron.securityGroups.list({ filters: { name: 'lost' } });
      await expectAdoptedOnce(s, ready, named, ['x']);
      expect(rules(named[0])).toEqual(['ingress IPv4 tcp 22-22 *']);
      expect(s.calls.count({ method: 'POST', path: /\/security-groups$/, fault: 'lose-response' })).toBe(1);
    });
  }
});
