import { describe, expect, it } from 'vitest';
import { condition, expectAdoptedOnce, expectNotRetried, FAST_RESYNC, managedListings, manifest, realCloud, until, useScenarios, type Obj, type Scenario } from './harness.ts';

const { start } = useScenarios();

const port = (name: string, spec: Record<string, unknown>) => manifest('Port', name, spec);
const isSynced = (o: Obj | undefined, generation: number) => o?.status?.observedGeneration === generation && condition(o, 'Ready')?.status === 'True';
const PORT_PUTS = { method: 'PUT', path: /\/ports\/[^/]+$/ };

/** A Network with one Subnet per CIDR (named `${network}-${i}`), all Ready; returns their ids. */
async function topology(s: Scenario, network: string, cidrs: string[] = []): Promise<{ networkID: string; subnetIDs: string[] }> {
  await s.apply(manifest('Network', network, { resource: {} }));
  for (const [i, cidr] of cidrs.entries()) {
    await s.apply(manifest('Subnet', `${network}-${i}`, { resource: { networkRef: { name: network }, ipVersion: 4, cidr } }));
  }
  const net = await s.waitReady('Network', network);
  const subnetIDs: string[] = [];
  for (const i of cidrs.keys()) subnetIDs.push((await s.waitReady('Subnet', `${network}-${i}`)).status!.id as string);
  return { networkID: net.status!.id as string, subnetIDs };
}

describe('Port', () => {
  it('creates a minimal port (unbound: DOWN and Ready), reports it, and deletes it with the object', async () => {
    const s = await start();
    const { networkID, subnetIDs } = await topology(s, 'net', ['10.0.0.0/24']);
    await s.apply(port('minimal', { resource: { networkRef: { name: 'net' } } }));
    const ready = await s.waitReady('Port', 'minimal');
    const id = ready.status!.id as string;
    const seen = await s.cloud.neutron.ports.get(id);
    expect(seen).toMatchObject({ name: 'minimal', network_id: networkID, admin_state_up: true, status: 'DOWN', device_owner: '' });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`]);
    // Unset securityGroupRefs: the project's default group.
    expect(seen!.security_groups).toHaveLength(1);
    expect(ready.status!.resource).toMatchObject({
      status: 'DOWN',
      networkID,
      macAddress: seen!.mac_address,
      fixedIPs: [{ subnetID: subnetIDs[0], ipAddress: seen!.fixed_ips[0]!.ip_address }],
      securityGroups: seen!.security_groups,
    });
    expect(condition(ready, 'Ready')).toMatchObject({ reason: 'Available' });
    await s.waitEvent('minimal', 'Created');

    await s.delete('Port', 'minimal');
    await s.waitGone('Port', 'minimal');
    expect(await s.cloud.neutron.ports.get(id)).toBeUndefined();
  });

  it('creates a full port (pinned subnet of two, groups, pairs, MAC) and updates it in place with one PUT', async () => {
    const s = await start();
    const { subnetIDs } = await topology(s, 'net', ['10.0.0.0/24', '10.0.1.0/24']);
    await s.apply(manifest('SecurityGroup', 'web', { resource: {} }));
    await s.apply(manifest('SecurityGroup', 'db', { resource: {} }));
    const web = (await s.waitReady('SecurityGroup', 'web')).status!.id as string;
    const db = (await s.waitReady('SecurityGroup', 'db')).status!.id as string;
    const resource = {
      networkRef: { name: 'net' },
      name: 'cloud-port',
      description: 'full',
      adminStateUp: false,
      macAddress: 'FA:16:3E:00:00:42',
      portSecurityEnabled: true,
      fixedIPs: [{ subnetRef: { name: 'net-1' } }, { subnetRef: { name: 'net-0' }, ipAddress: '10.0.0.50' }],
      securityGroupRefs: [{ name: 'web' }],
      allowedAddressPairs: [{ ipAddress: '10.0.1.200' }, { ipAddress: '192.0.2.0/24', macAddress: 'fa:16:3e:00:00:99' }],
      tags: ['team-a'],
    };
    await s.apply(port('full', { resource }));
    const ready = await s.waitReady('Port', 'full');
    const id = ready.status!.id as string;
    const seen = (await s.cloud.neutron.ports.get(id))!;
    expect(seen).toMatchObject({ name: 'cloud-port', description: 'full', admin_state_up: false, mac_address: 'fa:16:3e:00:00:42', security_groups: [web] });
    expect(seen.fixed_ips.map((ip) => ip.subnet_id).sort()).toEqual([...subnetIDs].sort());
    expect(seen.fixed_ips.find((ip) => ip.subnet_id === subnetIDs[0])!.ip_address).toBe('10.0.0.50');
    expect(seen.allowed_address_pairs).toHaveLength(2);
    expect(seen.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team-a']);
    const dynamic = seen.fixed_ips.find((ip) => ip.subnet_id === subnetIDs[1])!.ip_address;
    s.calls.reset();

    // Fields, groups, pairs and one more address; the subnet-only address must stay what it is.
    await s.apply(
      port('full', {
        resource: {
          ...resource,
          description: 'changed',
          adminStateUp: true,
          securityGroupRefs: [{ name: 'db' }, { name: 'web' }],
          allowedAddressPairs: [{ ipAddress: '10.0.1.200' }],
          fixedIPs: [...resource.fixedIPs, { ipAddress: '10.0.0.60' }],
          tags: [],
        },
      }),
    );
    const updated = await s.waitFor('Port', 'full', (o) => isSynced(o, 2));
    expect(updated!.status!.id).toBe(id);
    const after = (await s.cloud.neutron.ports.get(id))!;
    expect(after).toMatchObject({ description: 'changed', admin_state_up: true, allowed_address_pairs: [{ ip_address: '10.0.1.200' }] });
    expect(after.security_groups.sort()).toEqual([web, db].sort());
    expect(after.fixed_ips.map((ip) => ip.ip_address).sort()).toEqual(['10.0.0.50', '10.0.0.60', dynamic].sort());
    expect(after.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`]);
    expect(updated!.status!.resource).toMatchObject({ description: 'changed', adminStateUp: true, status: 'DOWN' });
    expect(s.calls.count({ method: 'POST', path: /\/ports$/ })).toBe(0);
    expect(s.calls.count(PORT_PUTS)).toBe(1);
    await s.waitEvent('full', 'Updated');
  });

  it('turning port security off sends the default group away in the same update', async () => {
    const s = await start();
    await topology(s, 'net', ['10.0.0.0/24']);
    await s.apply(port('p', { resource: { networkRef: { name: 'net' } } }));
    const ready = await s.waitReady('Port', 'p');
    await s.apply(port('p', { resource: { networkRef: { name: 'net' }, portSecurityEnabled: false } }));
    const updated = await s.waitFor('Port', 'p', (o) => isSynced(o, 2));
    expect(await s.cloud.neutron.ports.get(ready.status!.id as string)).toMatchObject({ port_security_enabled: false, security_groups: [] });
    expect(updated!.status!.resource).toMatchObject({ portSecurityEnabled: false, securityGroups: [] });
  });

  it('corrects drift on resync and recreates a port deleted out of band', async () => {
    const s = await start(FAST_RESYNC);
    const { subnetIDs } = await topology(s, 'net', ['10.0.0.0/24']);
    await s.apply(manifest('SecurityGroup', 'web', { resource: {} }));
    const web = (await s.waitReady('SecurityGroup', 'web')).status!.id as string;
    const resource = {
      networkRef: { name: 'net' },
      description: 'desired',
      securityGroupRefs: [{ name: 'web' }],
      fixedIPs: [{ ipAddress: '10.0.0.10' }],
      // Neutron fills in the port's MAC: still equal on every resync.
      allowedAddressPairs: [{ ipAddress: '10.0.0.200' }],
    };
    await s.apply(port('drift', { resource }));
    const ready = await s.waitReady('Port', 'drift');
    const id = ready.status!.id as string;
    const drifted = await s.cloud.neutron.ports.update(id, { description: 'changed by hand', security_groups: [], fixed_ips: [{ subnet_id: subnetIDs[0]!, ip_address: '10.0.0.11' }] });
    await s.waitFor('Port', 'drift', (o) => (o?.status?.resource?.revisionNumber ?? 0) > drifted.revision_number && o?.status?.resource?.description === 'desired');
    expect(await s.cloud.neutron.ports.get(id)).toMatchObject({ description: 'desired', security_groups: [web], fixed_ips: [{ ip_address: '10.0.0.10' }] });
    // The next resyncs find nothing to change.
    const puts = s.calls.count(PORT_PUTS);
    // A drift check lists the marked ports (nothing changed: it writes no status, so the cloud calls tell).
    const reads = managedListings(s, /\/ports$/);
    await until('two drift checks', () => managedListings(s, /\/ports$/) >= reads + 2, 10_000);
    expect(s.calls.count(PORT_PUTS)).toBe(puts);

    await s.cloud.neutron.ports.delete(id);
    const recreated = await s.waitFor('Port', 'drift', (o) => !!o?.status?.id && o.status.id !== id && condition(o, 'Ready')?.status === 'True');
    expect(await s.cloud.neutron.ports.get(recreated!.status!.id as string)).toMatchObject({ name: 'drift', description: 'desired', security_groups: [web] });
    await s.waitEvent('drift', 'Recreating');
  });

  it('waits for its Network, Subnet and SecurityGroups, naming them, and is Ready once they are', async () => {
    const s = await start();
    await s.apply(port('waiting', { resource: { networkRef: { name: 'net' }, fixedIPs: [{ subnetRef: { name: 'net-0' } }], securityGroupRefs: [{ name: 'web' }] } }));
    const waiting = await s.waitCondition('Port', 'waiting', 'Ready', 'False', 'WaitingForDependency');
    const message = condition(waiting, 'Ready')!.message;
    expect(message).toContain(`Network ${s.namespace}/net (networkRef) does not exist`);
    expect(message).toContain(`Subnet ${s.namespace}/net-0 (fixedIPs[0].subnetRef) does not exist`);
    expect(message).toContain(`SecurityGroup ${s.namespace}/web (securityGroupRefs[0]) does not exist`);
    await topology(s, 'net', ['10.0.0.0/24']);
    const stillWaiting = await s.waitFor('Port', 'waiting', (o) => !condition(o, 'Ready')?.message.includes('Network'));
    expect(condition(stillWaiting, 'Ready')).toMatchObject({ reason: 'WaitingForDependency', message: expect.stringContaining('SecurityGroup') });
    await s.apply(manifest('SecurityGroup', 'web', { resource: {} }));
    const web = (await s.waitReady('SecurityGroup', 'web')).status!.id as string;
    const ready = await s.waitReady('Port', 'waiting');
    expect(ready.status!.resource.securityGroups).toEqual([web]);
  });

  it('deletion is ordered: its SecurityGroup, Subnet and Network wait for the Port (all deleted at once)', async () => {
    const s = await start();
    const { networkID, subnetIDs } = await topology(s, 'net', ['10.0.0.0/24']);
    await s.apply(manifest('SecurityGroup', 'web', { resource: {} }));
    const web = (await s.waitReady('SecurityGroup', 'web')).status!.id as string;
    await s.apply(port('p', { resource: { networkRef: { name: 'net' }, fixedIPs: [{ subnetRef: { name: 'net-0' } }], securityGroupRefs: [{ name: 'web' }] } }));
    const ready = await s.waitReady('Port', 'p');

    await s.delete('SecurityGroup', 'web');
    const blocked = await s.waitCondition('SecurityGroup', 'web', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(blocked, 'Ready')?.message).toContain(`Port ${s.namespace}/p`);
    expect(await s.cloud.neutron.securityGroups.get(web)).toBeDefined();

    await Promise.all([s.delete('Network', 'net'), s.delete('Subnet', 'net-0'), s.delete('Port', 'p')]);
    for (const [kind, name] of [['Port', 'p'], ['SecurityGroup', 'web'], ['Subnet', 'net-0'], ['Network', 'net']] as const) await s.waitGone(kind, name);
    expect(await s.cloud.neutron.ports.get(ready.status!.id as string)).toBeUndefined();
    expect(await s.cloud.neutron.securityGroups.get(web)).toBeUndefined();
    expect(await s.cloud.neutron.subnets.get(subnetIDs[0]!)).toBeUndefined();
    expect(await s.cloud.neutron.networks.get(networkID)).toBeUndefined();
  });

  it('imports by id (Managed) and by filter as ObserveOnly (left untouched)', async () => {
    const s = await start();
    const { networkID } = await topology(s, 'net', ['10.0.0.0/24']);
    const existing = await s.cloud.neutron.ports.create({ network_id: networkID, name: 'legacy', description: 'before' });
    await s.apply(port('adopted', { import: { id: existing.id }, resource: { networkRef: { name: 'net' }, name: 'legacy', description: 'after' } }));
    const ready = await s.waitReady('Port', 'adopted');
    expect(ready.status!.id).toBe(existing.id);
    const seen = await s.cloud.neutron.ports.get(existing.id);
    expect(seen).toMatchObject({ description: 'after' });
    expect(seen!.tags).toContain(`cloudnet-uid:${ready.metadata!.uid}`);
    await s.waitEvent('adopted', 'Adopted');

    const observed = await s.cloud.neutron.ports.create({ network_id: networkID, name: 'observed' });
    s.releaseOnClose(() => s.cloud.neutron.ports.delete(observed.id), { beforeObjects: true });
    await s.apply(port('observed', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'observed', macAddress: observed.mac_address.toUpperCase() } } }));
    const imported = await s.waitReady('Port', 'observed');
    expect(imported.status!.id).toBe(observed.id);
    expect(imported.status!.resource).toMatchObject({ name: 'observed', status: 'DOWN', networkID });
    await s.delete('Port', 'observed');
    await s.waitGone('Port', 'observed');
    expect(await s.cloud.neutron.ports.get(observed.id)).toMatchObject({ tags: [], revision_number: observed.revision_number });
  });

  it('imports by filter scoped to a Network (import.filter.networkRef), waiting for that Network first', async () => {
    const s = await start();
    const { networkID } = await topology(s, 'net');
    const sameName = await s.cloud.neutron.ports.create({ network_id: networkID, name: 'same-name' });
    s.releaseOnClose(() => s.cloud.neutron.ports.delete(sameName.id), { beforeObjects: true });
    await s.apply(port('scoped', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'same-name', networkRef: { name: 'other' } } } }));
    const waiting = await s.waitCondition('Port', 'scoped', 'Ready', 'False', 'WaitingForDependency');
    expect(condition(waiting, 'Ready')?.message).toContain(`Network ${s.namespace}/other (import.filter.networkRef) does not exist`);

    const other = await topology(s, 'other');
    const wanted = await s.cloud.neutron.ports.create({ network_id: other.networkID, name: 'same-name' });
    // Applied after the port exists: the Network's Ready wakes the waiting import.
    const imported = await s.waitReady('Port', 'scoped');
    expect(imported.status!.id).toBe(wanted.id);
    expect(imported.status!.resource).toMatchObject({ networkID: other.networkID });
    // The filter was only used to adopt: it does not keep the Network from being deleted.
    await s.cloud.neutron.ports.delete(wanted.id);
    await s.delete('Network', 'other');
    await s.waitGone('Network', 'other');
    expect(await s.get('Port', 'scoped')).toBeDefined();
  });

  it('Orphan leaves the port in the cloud without the operator tags', async () => {
    const s = await start();
    await topology(s, 'net');
    await s.apply(port('orphan', { deletionPolicy: 'Orphan', resource: { networkRef: { name: 'net' }, tags: ['keep-me'] } }));
    const ready = await s.waitReady('Port', 'orphan');
    await s.delete('Port', 'orphan');
    await s.waitGone('Port', 'orphan');
    expect(await s.cloud.neutron.ports.get(ready.status!.id as string)).toMatchObject({ name: 'orphan', tags: ['keep-me'] });
    s.releaseOnClose(() => s.cloud.neutron.ports.delete(ready.status!.id as string), { beforeObjects: true });
  });

  it('a SecurityGroup cannot change `stateful` while a port uses it: retried until the port is gone', async () => {
    const s = await start();
    await topology(s, 'net', ['10.0.0.0/24']);
    await s.apply(manifest('SecurityGroup', 'web', { resource: {} }));
    const web = (await s.waitReady('SecurityGroup', 'web')).status!.id as string;
    await s.apply(port('p', { resource: { networkRef: { name: 'net' }, securityGroupRefs: [{ name: 'web' }] } }));
    await s.waitReady('Port', 'p');
    await s.apply(manifest('SecurityGroup', 'web', { resource: { stateful: false } }));
    const retrying = await s.waitCondition('SecurityGroup', 'web', 'Ready', 'False', 'CloudBusy');
    expect(condition(retrying, 'Ready')?.message).toMatch(/SecurityGroupInUse/);
    await s.delete('Port', 'p');
    await s.waitGone('Port', 'p');
    await s.waitFor('SecurityGroup', 'web', (o) => isSynced(o, 2), 20_000);
    expect(await s.cloud.neutron.securityGroups.get(web)).toMatchObject({ stateful: false });
  });
});

describe('Port: errors', () => {
  it('an address that no Subnet of the Network holds yet waits for one (WaitingForSubnet, not Stalled), then takes it', async () => {
    const s = await start();
    await topology(s, 'later', []);
    await s.apply(port('early', { resource: { networkRef: { name: 'later' }, fixedIPs: [{ ipAddress: '10.9.0.5' }] } }));
    const waiting = await s.waitCondition('Port', 'early', 'Ready', 'False', 'WaitingForSubnet', 30_000);
    expect(condition(waiting, 'Ready')?.message).toMatch(/^no Subnet of Network later holds the address asked for: give it one \(network createPort: 400 InvalidInput: .*IP allocation requires subnets for network/);
    expect(condition(waiting, 'Stalled')).toBeUndefined();
    await s.apply(manifest('Subnet', 'later-0', { resource: { networkRef: { name: 'later' }, ipVersion: 4, cidr: '10.9.0.0/24' } }));
    const ready = await s.waitReady('Port', 'early', 30_000);
    expect(ready.status!.resource.fixedIPs).toEqual([expect.objectContaining({ ipAddress: '10.9.0.5' })]);
  });

  it('an address already taken stalls with the cloud message, no retry storm, and a spec change fixes it', async () => {
    const s = await start();
    await topology(s, 'net', ['10.0.0.0/24']);
    await s.apply(port('first', { resource: { networkRef: { name: 'net' }, fixedIPs: [{ ipAddress: '10.0.0.20' }] } }));
    await s.waitReady('Port', 'first');
    await s.apply(port('second', { resource: { networkRef: { name: 'net' }, fixedIPs: [{ ipAddress: '10.0.0.20' }] } }));
    const stalled = await s.waitCondition('Port', 'second', 'Stalled', 'True');
    expect(condition(stalled, 'Ready')?.message).toMatch(/IpAddressAlreadyAllocated: IP address 10.0.0.20 already allocated/);
    await expectNotRetried(s, 'Port', 'second', { method: 'POST', path: /\/ports$/ });
    await s.apply(port('second', { resource: { networkRef: { name: 'net' }, fixedIPs: [{ ipAddress: '10.0.0.21' }] } }));
    const ready = await s.waitReady('Port', 'second');
    expect(ready.status!.resource.fixedIPs).toMatchObject([{ ipAddress: '10.0.0.21' }]);
  });

  it('transient errors, 429s and a lost create answer converge to exactly one port', async () => {
    const s = await start();
    await topology(s, 'net', ['10.0.0.0/24']);
    s.faults.add({ status: 503, rate: 0.4, match: { service: 'network' } });
    s.faults.add({ status: 429, retryAfter: 1, times: 2, match: { method: 'POST' } });
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/ports$/ } });
    await s.apply(port('flaky', { resource: { networkRef: { name: 'net' }, description: 'flaky' } }));
    const ready = await s.waitReady('Port', 'flaky', 30_000);
    s.faults.clear();
    const named = await s.cloud.neutron.ports.list({ filters: { name: 'flaky' } });
    expect(named.map((p) => p.id)).toEqual([ready.status!.id]);
    expect(s.calls.count({ status: 429 })).toBeGreaterThan(0);
  });
});

describe('Port: steady state', () => {
  it('makes zero cloud calls once Ready', async () => {
    const s = await start();
    await topology(s, 'net', ['10.0.0.0/24', '10.0.1.0/24']);
    await s.apply(manifest('SecurityGroup', 'web', { resource: {} }));
    await s.apply(
      port('p', {
        resource: {
          networkRef: { name: 'net' },
          fixedIPs: [{ subnetRef: { name: 'net-1' } }],
          securityGroupRefs: [{ name: 'web' }],
          allowedAddressPairs: [{ ipAddress: '10.0.1.200/32' }],
        },
      }),
    );
    await s.waitReady('Port', 'p');
    s.calls.reset();
    await s.touchReconciled('Port', 'p', 'p');
    expect(s.calls.summary()).toEqual({});
    await s.restartOperator('Port', 1);
    expect(s.calls.summary()).toEqual({});
  });
});

describe('Port: crash-safe create', () => {
  for (const tagsOnCreate of [true, false]) {
    it.skipIf(realCloud && tagsOnCreate)(`a lost create answer leaves exactly one port (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ sim: { tagsOnCreate } });
      await topology(s, 'net', ['10.0.0.0/24']);
      s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/ports$/ } });
      await s.apply(port('lost', { resource: { networkRef: { name: 'net' }, fixedIPs: [{ ipAddress: '10.0.0.33' }], tags: ['x'] } }));
      const ready = await s.waitReady('Port', 'lost');
      await expectAdoptedOnce(s, ready, await s.cloud.neutron.ports.list({ filters: { name: 'lost' } }), ['x']);
      expect(s.calls.count({ method: 'POST', path: /\/ports$/, fault: 'lose-response' })).toBe(1);
    });
  }
});
