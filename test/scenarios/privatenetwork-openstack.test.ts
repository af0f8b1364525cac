// The PrivateNetwork manifest of Exoscale, unchanged but for its ProviderConfig, on OpenStack: a Neutron
// network and subnet, instances as Nova servers plugged into it. On the simulator and on real
// Neutron + Nova (make test-real).
import { describe, expect, it } from 'vitest';
import { condition, manifest, realCloud, useScenarios, type Obj, type Scenario, type ScenarioOptions } from './harness.ts';

const { start } = useScenarios();

/** Real Nova exists only in the real tier's full profile. */
const noNova = realCloud && !process.env.CLOUDNET_REAL_COMPUTE_URL;
const NOVA: ScenarioOptions = { sim: { compute: { buildMs: 200, taskMs: 100 } } };

const RANGE = { startIP: '10.30.0.10', endIP: '10.30.0.200', netmask: '255.255.255.0' };
const privateNetwork = (name: string, resource: Record<string, unknown>) => manifest('PrivateNetwork', name, { resource });

const leases = (o: Obj | undefined): Record<string, string> =>
  Object.fromEntries(((o?.status?.resource?.leases ?? []) as { instanceID: string; ip: string }[]).map((l) => [l.instanceID, l.ip]));

/** A server on its own Network, Ready, whose id is returned. */
async function bootServer(s: Scenario, name: string): Promise<string> {
  await s.apply(manifest('Network', `${name}-net`, { resource: {} }));
  await s.apply(manifest('Subnet', `${name}-v4`, { resource: { networkRef: { name: `${name}-net` }, ipVersion: 4, cidr: '10.31.0.0/24' } }));
  await s.apply(manifest('Server', name, { resource: { image: { name: 'fake-image' }, flavor: { name: 'm1.tiny' }, networks: [{ networkRef: { name: `${name}-net` } }] } }));
  return (await s.waitReady('Server', name, 60_000)).status!.id as string;
}

describe('PrivateNetwork on OpenStack', () => {
  it('becomes a Neutron network and subnet: the range as the pool, DNS servers, the router as the gateway, labels as tags', async () => {
    const s = await start();
    await s.apply(privateNetwork('backend', { description: 'Backend', labels: { team: 'a' }, ...RANGE, dhcpOptions: { dnsServers: ['10.30.0.2'], routers: ['10.30.0.1'] } }));
    const ready = await s.waitReady('PrivateNetwork', 'backend');
    const id = ready.status!.id as string;
    const network = (await s.cloud.neutron.networks.get(id))!;
    expect(network).toMatchObject({ name: 'backend', description: 'Backend' });
    expect([...network.tags].sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team=a']);
    const [subnet, ...more] = await s.cloud.neutron.subnets.list({ filters: { network_id: id } });
    expect(more).toEqual([]);
    expect(subnet).toMatchObject({ name: 'backend', cidr: '10.30.0.0/24', allocation_pools: [{ start: '10.30.0.10', end: '10.30.0.200' }], gateway_ip: '10.30.0.1', dns_nameservers: ['10.30.0.2'], enable_dhcp: true });
    expect(ready.status!.resource).toMatchObject({ name: 'backend', labels: { team: 'a' }, ...RANGE, dhcpOptions: { dnsServers: ['10.30.0.2'], routers: ['10.30.0.1'] }, leases: [] });

    await s.apply(privateNetwork('backend', { description: 'Changed', labels: { team: 'b' }, ...RANGE, endIP: '10.30.0.150', dhcpOptions: { dnsServers: ['10.30.0.3'] } }));
    await s.waitFor('PrivateNetwork', 'backend', (o) => o?.status?.resource?.endIP === '10.30.0.150' && o.status.resource.description === 'Changed' && o.status.resource.labels?.team === 'b');
    const [changed] = await s.cloud.neutron.subnets.list({ filters: { network_id: id } });
    expect(changed).toMatchObject({ allocation_pools: [{ start: '10.30.0.10', end: '10.30.0.150' }], gateway_ip: null, dns_nameservers: ['10.30.0.3'] });

    await s.delete('PrivateNetwork', 'backend');
    await s.waitGone('PrivateNetwork', 'backend');
    expect(await s.cloud.neutron.networks.get(id)).toBeUndefined();
  });

  it('says what OpenStack cannot honour, and makes nothing', async () => {
    const s = await start();
    await s.apply(privateNetwork('ntp', { ...RANGE, dhcpOptions: { ntpServers: ['10.30.0.4'], domainSearch: ['example.org'] } }));
    const stalled = await s.waitCondition('PrivateNetwork', 'ntp', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toContain('OpenStack cannot honour dhcpOptions.ntpServers (Neutron subnets have no NTP option); dhcpOptions.domainSearch');
    expect(stalled!.status!.id).toBeUndefined();
    expect(await s.cloud.neutron.networks.list({ filters: { name: 'ntp' } })).toEqual([]);
  });

  it.skipIf(noNova)('plugs servers in by name with a static lease, moves the lease, and unplugs them (also when it is deleted)', async () => {
    const s = await start(NOVA);
    const web = await bootServer(s, 'web');
    await s.apply(privateNetwork('backend', { ...RANGE, instances: [{ name: 'web', ip: '10.30.0.20' }] }));
    const attached = await s.waitFor('PrivateNetwork', 'backend', (o) => condition(o, 'Ready')?.status === 'True' && leases(o)[web] === '10.30.0.20', 60_000);
    const id = attached!.status!.id as string;
    const ports = async () => (await s.cloud.neutron.ports.list({ filters: { network_id: id, device_id: web } })).map((p) => p.fixed_ips[0]?.ip_address);
    expect(await ports()).toEqual(['10.30.0.20']);
    await s.apply(privateNetwork('backend', { ...RANGE, instances: [{ name: 'web', ip: '10.30.0.21' }] }));
    await s.waitFor('PrivateNetwork', 'backend', (o) => condition(o, 'Ready')?.status === 'True' && leases(o)[web] === '10.30.0.21', 60_000);
    expect(await ports()).toEqual(['10.30.0.21']);
    await s.apply(privateNetwork('backend', { ...RANGE, instances: [] }));
    await s.waitFor('PrivateNetwork', 'backend', (o) => condition(o, 'Ready')?.status === 'True' && Object.keys(leases(o)).length === 0, 60_000);
    expect(await ports()).toEqual([]);
    await s.apply(privateNetwork('backend', { ...RANGE, instances: [{ id: web }] }));
    await s.waitFor('PrivateNetwork', 'backend', (o) => condition(o, 'Ready')?.status === 'True' && leases(o)[web] !== undefined, 60_000);
    await s.delete('PrivateNetwork', 'backend');
    await s.waitGone('PrivateNetwork', 'backend', 60_000);
    expect(await s.cloud.neutron.networks.get(id)).toBeUndefined();
    expect((await s.cloud.nova.listInterfaces(web)).map((i) => i.net_id)).not.toContain(id);
  }, 180_000);
});
