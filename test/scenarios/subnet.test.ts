import { describe, expect, it } from 'vitest';
import { condition, expectAdoptedOnce, expectNotRetried, FAST_RESYNC, manifest, realCloud, useScenarios, type Scenario } from './harness.ts';

const { start } = useScenarios();

const network = (name: string, spec: Record<string, unknown> = { resource: {} }) => manifest('Network', name, spec);
const subnet = (name: string, spec: Record<string, unknown>) => manifest('Subnet', name, spec);
const ready = (o: { status?: Record<string, unknown> } | undefined) => condition(o, 'Ready')?.status === 'True';

/** A Network and, once it is Ready, its id. */
async function withNetwork(s: Scenario, name = 'net'): Promise<string> {
  await s.apply(network(name));
  return (await s.waitReady('Network', name)).status!.id as string;
}

const subnetPuts = (s: Scenario) => s.calls.list({ method: 'PUT', operation: 'subnets.update' });

describe('Subnet', () => {
  it('creates a minimal subnet on its Network and deletes it with the object', async () => {
    const s = await start();
    const netId = await withNetwork(s);
    await s.apply(subnet('app', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.0.0.0/24' } }));
    const done = await s.waitReady('Subnet', 'app');
    const id = done.status!.id as string;
    const seen = await s.cloud.neutron.subnets.get(id);
    expect(seen).toMatchObject({ name: 'app', network_id: netId, cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', enable_dhcp: true });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${done.metadata!.uid}`]);
    expect(done.status!.resource).toMatchObject({ networkID: netId, cidr: '10.0.0.0/24', gatewayIP: '10.0.0.1', ipVersion: 4, enableDHCP: true });
    await s.waitEvent('app', 'Created');

    await s.delete('Subnet', 'app');
    await s.waitGone('Subnet', 'app');
    expect(await s.cloud.neutron.subnets.get(id)).toBeUndefined();
  });

  it('creates full IPv4 and IPv6 subnets with no perpetual diff, and updates in place', async () => {
    const s = await start();
    await withNetwork(s);
    const full = {
      networkRef: { name: 'net' },
      ipVersion: 4,
      cidr: '10.1.0.0/24',
      name: 'full-subnet',
      description: 'full',
      gatewayIP: '10.1.0.254',
      enableDHCP: false,
      allocationPools: [
        { start: '10.1.0.100', end: '10.1.0.149' },
        { start: '10.1.0.10', end: '10.1.0.19' },
      ],
      dnsNameservers: ['10.1.0.53', '1.1.1.1'],
      hostRoutes: [
        { destination: '192.168.0.0/16', nextHop: '10.1.0.1' },
        { destination: '172.16.0.0/12', nextHop: '10.1.0.2' },
      ],
      tags: ['team-a'],
    };
    await s.apply(subnet('full', { resource: full }));
    // IPv6 spelled differently from what Neutron prints (upper case, uncompressed).
    const v6 = { networkRef: { name: 'net' }, ipVersion: 6, cidr: '2001:DB8:0:1::/64', gatewayIP: '2001:DB8:0:1:0:0:0:1', ipv6AddressMode: 'slaac', ipv6RAMode: 'slaac', dnsNameservers: ['2001:4860:4860:0:0:0:0:8888'] };
    await s.apply(subnet('v6', { resource: v6 }));
    const done = await s.waitReady('Subnet', 'full');
    const v6Done = await s.waitReady('Subnet', 'v6');
    const id = done.status!.id as string;
    const seen = await s.cloud.neutron.subnets.get(id);
    expect(seen).toMatchObject({ name: 'full-subnet', description: 'full', gateway_ip: '10.1.0.254', enable_dhcp: false, dns_nameservers: ['10.1.0.53', '1.1.1.1'] });
    expect(seen!.allocation_pools).toEqual(expect.arrayContaining(full.allocationPools));
    expect(seen!.host_routes).toEqual(expect.arrayContaining([{ destination: '192.168.0.0/16', nexthop: '10.1.0.1' }, { destination: '172.16.0.0/12', nexthop: '10.1.0.2' }]));
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${done.metadata!.uid}`, 'team-a']);
    expect(await s.cloud.neutron.subnets.get(v6Done.status!.id as string)).toMatchObject({ cidr: '2001:db8:0:1::/64', gateway_ip: '2001:db8:0:1::1', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    // Normalised comparisons: a resync finds nothing to change.
    // A new generation is compared with the cloud again: nothing to change.
    const before = s.calls.count({ method: 'PUT' });
    for (const [name, resource] of [['full', full], ['v6', v6]] as const) {
      const generation = (await s.apply(subnet(name, { resyncPeriod: '9m', resource }))).metadata!.generation;
      await s.waitFor('Subnet', name, (o) => o?.status?.observedGeneration === generation && ready(o));
    }
    expect(s.calls.count({ method: 'PUT' })).toBe(before);

    const puts = subnetPuts(s).length;
    const changed = { ...full, description: 'changed', dnsNameservers: ['1.1.1.1', '10.1.0.53'], hostRoutes: [{ destination: '172.16.0.0/12', nextHop: '10.1.0.2' }], tags: [] };
    const generation = (await s.apply(subnet('full', { resource: changed }))).metadata!.generation;
    const updated = await s.waitFor('Subnet', 'full', (o) => o?.status?.observedGeneration === generation && ready(o));
    expect(updated!.status!.id).toBe(id);
    const after = await s.cloud.neutron.subnets.get(id);
    expect(after).toMatchObject({ description: 'changed', dns_nameservers: ['1.1.1.1', '10.1.0.53'], host_routes: [{ destination: '172.16.0.0/12', nexthop: '10.1.0.2' }], gateway_ip: '10.1.0.254' });
    expect(after!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${done.metadata!.uid}`]);
    expect(subnetPuts(s)).toHaveLength(puts + 1);
    await s.waitEvent('full', 'Updated');
    expect((await s.events('full')).find((e) => e.reason === 'Updated')?.message).toMatch(/description, dns_nameservers, host_routes/);

    // noGateway clears gateway_ip.
    const next = (await s.apply(subnet('full', { resource: { ...changed, gatewayIP: undefined, noGateway: true } }))).metadata!.generation;
    const noGateway = await s.waitFor('Subnet', 'full', (o) => o?.status?.observedGeneration === next && ready(o));
    expect((await s.cloud.neutron.subnets.get(id))!.gateway_ip).toBeNull();
    expect(noGateway!.status!.resource.gatewayIP).toBeUndefined();
  });

  it('corrects drift on resync and recreates a subnet deleted out of band', async () => {
    const s = await start(FAST_RESYNC);
    await withNetwork(s);
    await s.apply(subnet('drift', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.2.0.0/24', description: 'desired', dnsNameservers: ['10.2.0.53'] } }));
    const done = await s.waitReady('Subnet', 'drift');
    const id = done.status!.id as string;
    const drifted = await s.cloud.neutron.subnets.update(id, { description: 'by hand', dns_nameservers: [] });
    await s.waitFor('Subnet', 'drift', (o) => (o?.status?.resource?.revisionNumber ?? 0) > drifted.revision_number);
    expect(await s.cloud.neutron.subnets.get(id)).toMatchObject({ description: 'desired', dns_nameservers: ['10.2.0.53'] });

    await s.cloud.neutron.subnets.delete(id);
    const recreated = await s.waitFor('Subnet', 'drift', (o) => !!o?.status?.id && o.status.id !== id && ready(o));
    expect(await s.cloud.neutron.subnets.get(recreated!.status!.id as string)).toMatchObject({ cidr: '10.2.0.0/24', description: 'desired' });
    await s.waitEvent('drift', 'Recreating');
  });

  it('waits for its Network, then is created once the Network is Ready', async () => {
    const s = await start();
    await s.apply(subnet('early', { resource: { networkRef: { name: 'later' }, ipVersion: 4, cidr: '10.3.0.0/24' } }));
    const waiting = await s.waitCondition('Subnet', 'early', 'Ready', 'False', 'WaitingForDependency');
    expect(condition(waiting, 'Ready')?.message).toContain(`Network ${s.namespace}/later (networkRef) does not exist`);
    const netId = await withNetwork(s, 'later');
    const done = await s.waitReady('Subnet', 'early');
    expect(done.status!.resource.networkID).toBe(netId);
  });

  it('imports by id (Managed) and by filter (ObserveOnly, normalised CIDR)', async () => {
    const s = await start();
    const netId = await withNetwork(s);
    const existing = await s.cloud.neutron.subnets.create({ network_id: netId, ip_version: 4, cidr: '10.4.0.0/24', name: 'pre', description: 'before' });
    await s.apply(subnet('adopted', { import: { id: existing.id }, resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.4.0.0/24', name: 'pre', description: 'after' } }));
    const adopted = await s.waitReady('Subnet', 'adopted');
    expect(adopted.status!.id).toBe(existing.id);
    expect(await s.cloud.neutron.subnets.get(existing.id)).toMatchObject({ description: 'after' });
    await s.waitEvent('adopted', 'Adopted');

    // A subnet of the project made outside the operator; the filter spells the CIDR with host bits.
    // (Members cannot see an external network's subnets at all, so those are no import target.)
    const theirs = await s.cloud.neutron.subnets.create({ network_id: netId, ip_version: 4, cidr: '10.7.0.0/24', name: 'theirs', enable_dhcp: false });
    await s.apply(subnet('observed', { managementPolicy: 'ObserveOnly', import: { filter: { cidr: '10.7.0.9/24', ipVersion: 4 } } }));
    const observed = await s.waitReady('Subnet', 'observed');
    expect(observed.status!.id).toBe(theirs.id);
    expect(observed.status!.resource).toMatchObject({ cidr: '10.7.0.0/24', gatewayIP: '10.7.0.1', enableDHCP: false });
    await s.delete('Subnet', 'observed');
    await s.waitGone('Subnet', 'observed');
    expect(await s.cloud.neutron.subnets.get(theirs.id)).toMatchObject({ revision_number: theirs.revision_number, tags: theirs.tags });
    await s.cloud.neutron.subnets.delete(theirs.id);

    await s.delete('Subnet', 'adopted');
    await s.waitGone('Subnet', 'adopted');
    expect(await s.cloud.neutron.subnets.get(existing.id)).toBeUndefined();
  });

  it('imports by filter scoped to a Network (import.filter.networkRef)', async () => {
    const s = await start();
    const netId = await withNetwork(s);
    await s.cloud.neutron.subnets.create({ network_id: netId, ip_version: 4, cidr: '10.5.0.0/24', name: 'same-name' });
    const other = await withNetwork(s, 'other');
    const wanted = await s.cloud.neutron.subnets.create({ network_id: other, ip_version: 4, cidr: '10.5.0.0/24', name: 'same-name' });
    await s.apply(subnet('scoped', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'same-name', networkRef: { name: 'other' } } } }));
    const imported = await s.waitReady('Subnet', 'scoped');
    expect(imported.status!.id).toBe(wanted.id);
    expect(imported.status!.resource).toMatchObject({ networkID: other });
    expect(s.calls.list({ method: 'GET', path: /\/subnets$/ }).some((c) => c.query.network_id === other)).toBe(true);
  });

  it('Orphan leaves the subnet in the cloud without the operator tags', async () => {
    const s = await start();
    await withNetwork(s);
    await s.apply(subnet('orphan', { deletionPolicy: 'Orphan', resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.6.0.0/24', tags: ['keep-me'] } }));
    const done = await s.waitReady('Subnet', 'orphan');
    await s.delete('Subnet', 'orphan');
    await s.waitGone('Subnet', 'orphan');
    expect(await s.cloud.neutron.subnets.get(done.status!.id as string)).toMatchObject({ cidr: '10.6.0.0/24', tags: ['keep-me'] });
  });

  it('deleting a Network and its Subnet at once deletes the Subnet first', async () => {
    const s = await start();
    const netId = await withNetwork(s);
    await s.apply(subnet('first', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.7.0.0/24' } }));
    const done = await s.waitReady('Subnet', 'first');
    await Promise.all([s.delete('Network', 'net'), s.delete('Subnet', 'first')]);
    await s.waitGone('Subnet', 'first');
    await s.waitGone('Network', 'net');
    expect(await s.cloud.neutron.subnets.get(done.status!.id as string)).toBeUndefined();
    expect(await s.cloud.neutron.networks.get(netId)).toBeUndefined();
    const deletes = s.calls.list({ method: 'DELETE' }).map((c) => c.operation);
    expect(deletes.indexOf('subnets.delete')).toBeLessThan(deletes.indexOf('networks.delete'));
  });
});

describe('Subnet: errors', () => {
  it('a refused create stalls with the cloud message and is not retried', async () => {
    const s = await start();
    await withNetwork(s);
    await s.apply(subnet('a', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.8.0.0/24' } }));
    await s.waitReady('Subnet', 'a');
    await s.apply(subnet('overlap', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.8.0.0/25' } }));
    const stalled = await s.waitCondition('Subnet', 'overlap', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toMatch(/overlaps with another subnet/);
    expect(stalled!.status!.pendingCreate).toBeUndefined();
    await expectNotRetried(s, 'Subnet', 'overlap', { method: 'POST', path: /\/subnets$/ });
    // cidr is immutable: the way out is deleting the object, which owns nothing in the cloud.
    await s.delete('Subnet', 'overlap');
    await s.waitGone('Subnet', 'overlap');
  });

  it('a refused update stalls as a Conflict and recovers when the spec is fixed', async () => {
    const s = await start();
    await withNetwork(s);
    const resource = { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.9.0.0/24', allocationPools: [{ start: '10.9.0.10', end: '10.9.0.100' }] };
    await s.apply(subnet('gw', { resource }));
    await s.waitReady('Subnet', 'gw');
    await s.apply(subnet('gw', { resource: { ...resource, gatewayIP: '10.9.0.50' } }));
    const stalled = await s.waitCondition('Subnet', 'gw', 'Stalled', 'True', 'Conflict');
    expect(condition(stalled, 'Ready')?.message).toMatch(/conflicts with allocation pool/);
    await s.apply(subnet('gw', { resource: { ...resource, gatewayIP: '10.9.0.254' } }));
    const fixed = await s.waitFor('Subnet', 'gw', (o) => o?.status?.observedGeneration === 3 && ready(o));
    expect(fixed!.status!.resource.gatewayIP).toBe('10.9.0.254');
  });

  it('transient errors and 429s converge to exactly one subnet', async () => {
    const s = await start();
    await withNetwork(s);
    s.faults.add({ status: 503, rate: 0.5, match: { service: 'network' } });
    s.faults.add({ status: 429, retryAfter: 1, times: 2, match: { method: 'POST' } });
    s.faults.add({ kind: 'drop', times: 1, match: { method: 'GET', service: 'network' } });
    await s.apply(subnet('flaky', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.10.0.0/24' } }));
    const done = await s.waitReady('Subnet', 'flaky', 30_000);
    s.faults.clear();
    const named = await s.cloud.neutron.subnets.list({ filters: { name: 'flaky' } });
    expect(named.map((n) => n.id)).toEqual([done.status!.id]);
    expect(s.calls.count({ status: 429 })).toBeGreaterThan(0);
  });

  for (const tagsOnCreate of [true, false]) {
    it.skipIf(realCloud && tagsOnCreate)(`a lost create answer leaves exactly one subnet (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ sim: { tagsOnCreate } });
      await withNetwork(s);
      s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/subnets$/ } });
      await s.apply(subnet('lost', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.11.0.0/24' } }));
      const done = await s.waitReady('Subnet', 'lost');
      await expectAdoptedOnce(s, done, await s.cloud.neutron.subnets.list({ filters: { name: 'lost' } }));
    });
  }
});

describe('Subnet: steady state', () => {
  it('makes zero cloud calls once Ready', async () => {
    const s = await start();
    await withNetwork(s);
    await s.apply(subnet('one', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.12.0.0/24', dnsNameservers: ['10.12.0.53'] } }));
    await s.waitReady('Subnet', 'one');
    s.calls.reset();
    await s.touchReconciled('Subnet', 'one', 'one', 'one');
    // A metadata change of the referenced Network wakes nothing; a spec change wakes the Subnet, whose
    // resolved id is unchanged: no call of its own.
    await s.touch('Network', 'net');
    await s.afterReconciles('subnet', 1, async () => {
      const { generation } = (await s.apply(network('net', { resource: { description: 'changed' } }))).metadata!;
      await s.waitFor('Network', 'net', (o) => o?.status?.observedGeneration === generation && ready(o));
    });
    expect(s.calls.summary({ operation: /^subnets\./ })).toEqual({});
    s.calls.reset();
    await s.restartOperator('Subnet', 1);
    expect(s.calls.summary()).toEqual({});
  });
});
