// PrivateNetwork on OpenStack: the same manifest as on Exoscale becomes a Neutron network and, with a
// range, its IPv4 subnet (the CIDR from startIP and netmask, the range as the allocation pool, DNS
// servers, the first DHCP router as the gateway); labels become `key=value` tags; instances are Nova
// servers with an interface on the network. What Neutron has no field for stalls with a message
// (docs/privatenetwork.md has the table).
import { privateNetwork as privateNetworkKind, type PrivateNetworkImportFilter, type PrivateNetworkObserved, type PrivateNetworkResource } from '../api/privatenetwork.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import { CloudError, isCloudError } from '../cloud/errors.ts';
import type { NeutronNetwork, NeutronPort, NeutronSubnet } from '../cloud/openstack/types.ts';
import { formatPrefix, maskedPrefix, netmaskOf, parseCIDR, prefixLengthOf } from '../net/ip.ts';
import { openstack } from '../providers/openstack.ts';
import { failed, kindOf, progressing, READY, type Adapter } from '../reconcile/adapter.ts';
import { detachingFirst, instanceChanges, instancesProgress, wantedInstances, type InstanceChanges, type KnownInstance } from './instance-set.ts';
import { activeOrAdminDown, adoptByName, canonicalIP, listForEach, NEUTRON_POLL_MS, neutronResource, sameList } from './neutron.ts';

/** The network, its subnet, the servers with an interface on it, and the project's servers (undefined: the cloud has no Nova). */
export interface ObservedOpenStackPrivateNetwork {
  network: NeutronNetwork;
  subnet: NeutronSubnet | undefined;
  /** Server id -> its port on the network and the port's address. */
  attached: Map<string, { port: string; ip: string | undefined }>;
  servers: KnownInstance[] | undefined;
}

const COMPUTE_OWNER = /^compute:/;

async function projectServers(cloud: OpenStackClient): Promise<KnownInstance[] | undefined> {
  try {
    return (await cloud.nova.listServers({})).map((s) => ({ id: s.id, name: s.name }));
  } catch (err) {
    // A cloud without Nova: a PrivateNetwork with no instances still works there.
    if (isCloudError(err) && err.code === 'EndpointNotFound') return undefined;
    throw err;
  }
}

/** The networks with their IPv4 subnets and ports, each looked up for all the networks at once, and the project's servers. */
async function observeAll(cloud: OpenStackClient, networks: NeutronNetwork[]): Promise<ObservedOpenStackPrivateNetwork[]> {
  if (networks.length === 0) return [];
  const ids = networks.map((n) => n.id);
  const [subnets, ports, servers] = await Promise.all([
    listForEach(ids, (some) => cloud.neutron.subnets.list({ filters: { network_id: some, ip_version: 4 } })),
    listForEach(ids, (some) => cloud.neutron.ports.list({ filters: { network_id: some } })),
    projectServers(cloud),
  ]);
  const subnetOf = Map.groupBy(subnets, (s) => s.network_id);
  const portsOf = Map.groupBy(ports, (p) => p.network_id);
  return networks.map((network) => ({ network, subnet: subnetOf.get(network.id)?.[0], attached: serverPorts(portsOf.get(network.id) ?? []), servers }));
}

/** Server id -> its port among `ports` and the port's address. */
const serverPorts = (ports: readonly NeutronPort[]): ObservedOpenStackPrivateNetwork['attached'] =>
  new Map(ports.filter((p) => COMPUTE_OWNER.test(p.device_owner) && p.device_id).map((p) => [p.device_id, { port: p.id, ip: p.fixed_ips[0]?.ip_address }]));

const observe = async (cloud: OpenStackClient, network: NeutronNetwork): Promise<ObservedOpenStackPrivateNetwork> => (await observeAll(cloud, [network]))[0]!;

const members = neutronResource<NeutronNetwork>((cloud) => cloud.neutron.networks);

/** Labels as Neutron tags: `key=value`. */
const labelTags = (labels: Record<string, string> | undefined): string[] => Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);

/** What of the spec Neutron cannot hold: each with what to do instead. */
function unsupported(r: PrivateNetworkResource): string[] {
  const out: string[] = [];
  const o = r.dhcpOptions;
  if (o?.ntpServers?.length) out.push('dhcpOptions.ntpServers (Neutron subnets have no NTP option)');
  if (o?.domainSearch?.length) out.push('dhcpOptions.domainSearch (Neutron subnets have no search domains)');
  if ((o?.routers?.length ?? 0) > 1) out.push('more than one of dhcpOptions.routers (a Neutron subnet has one gateway)');
  if (r.instances?.length && r.netmask === undefined) out.push('instances without a range (Nova plugs servers only into networks with a subnet)');
  return out;
}

function unsupportedError(what: string[], operation: string): CloudError {
  return new CloudError({ provider: 'openstack', service: 'network', operation, code: 'UnsupportedOnOpenStack', kind: 'terminal', message: `OpenStack cannot honour ${what.join('; ')}: remove them or use an exoscale ProviderConfig` });
}

/** The subnet the range asks for, as Neutron fields. */
function subnetFields(r: PrivateNetworkResource) {
  if (r.netmask === undefined || r.startIP === undefined || r.endIP === undefined) return undefined;
  return {
    cidr: formatPrefix(maskedPrefix(parseCIDR(`${r.startIP}/${prefixLengthOf(r.netmask)}`)!)),
    allocation_pools: [{ start: r.startIP, end: r.endIP }],
    gateway_ip: r.dhcpOptions?.routers?.[0] ?? null,
    dns_nameservers: r.dhcpOptions?.dnsServers ?? [],
  };
}

interface Patch {
  network?: { name?: string; description?: string };
  subnet?: { create: true } | { update: Record<string, unknown> };
  instances?: InstanceChanges;
  unsupported?: string[];
}

function diffSubnet(r: PrivateNetworkResource, name: string, subnet: NeutronSubnet | undefined): Patch['subnet'] | 'cidr' {
  const want = subnetFields(r);
  if (!want) return undefined;
  if (!subnet) return { create: true };
  if (subnet.cidr !== want.cidr) return 'cidr';
  const update: Record<string, unknown> = {};
  if (subnet.name !== name) update.name = name;
  const pool = subnet.allocation_pools;
  if (pool.length !== 1 || canonicalIP(pool[0]!.start) !== want.allocation_pools[0]!.start || canonicalIP(pool[0]!.end) !== want.allocation_pools[0]!.end) update.allocation_pools = want.allocation_pools;
  if (r.dhcpOptions !== undefined) {
    if ((subnet.gateway_ip ?? null) !== want.gateway_ip) update.gateway_ip = want.gateway_ip;
    if (!sameList(subnet.dns_nameservers, want.dns_nameservers)) update.dns_nameservers = want.dns_nameservers;
  }
  return Object.keys(update).length > 0 ? { update } : undefined;
}

export const privateNetworkOnOpenStack: Adapter<PrivateNetworkResource, PrivateNetworkImportFilter, PrivateNetworkObserved, ObservedOpenStackPrivateNetwork, OpenStackClient> = {
  ...kindOf(privateNetworkKind, openstack),
  references: () => [],
  async get(cloud, id) {
    const network = await cloud.neutron.networks.get(id);
    return network && observe(cloud, network);
  },
  listForImport: async (cloud, f) => observeAll(cloud, await cloud.neutron.networks.list({ filters: { name: f.name } })),
  marks: members.marks,
  marksOf: (o) => o.network.tags ?? [],
  userMarks: (r) => labelTags(r.labels),
  listOwned: async (cloud, uid) => observeAll(cloud, await members.listOwned(cloud, uid)),
  listManaged: async (cloud) => observeAll(cloud, await members.listManaged(cloud)),
  setMarks: async (cloud, o, tags) => ({ ...o, network: await members.setMarks(cloud, o.network, tags) }),
  marksOnCreate: members.marksOnCreate,
  intentAdoption: adoptByName(async (cloud, name) => observeAll(cloud, await cloud.neutron.networks.list({ filters: { name } }))),
  createdAt: (o) => o.network.created_at,
  async create(cloud, { resource, name }, tags) {
    const refused = unsupported(resource);
    if (refused.length > 0) throw unsupportedError(refused, 'createNetwork');
    // The subnet follows in the same reconcile: the update finds it missing.
    const network = await cloud.neutron.networks.create({ name, ...(resource.description !== undefined ? { description: resource.description } : {}), tags });
    return { network, subnet: undefined, attached: new Map(), servers: await projectServers(cloud) };
  },
  diff: ({ resource: r, name }, o) => {
    const patch: Patch = {};
    const refused = unsupported(r);
    if (refused.length > 0) patch.unsupported = refused;
    const network: Patch['network'] = {};
    if (o.network.name !== name) network.name = name;
    if (r.description !== undefined && r.description !== (o.network.description ?? '')) network.description = r.description;
    if (Object.keys(network).length > 0) patch.network = network;
    const subnet = diffSubnet(r, name, o.subnet);
    if (subnet === 'cidr') patch.unsupported = [...(patch.unsupported ?? []), `a range in another network than the subnet's ${o.subnet!.cidr} (a Neutron subnet's CIDR never changes: create a new PrivateNetwork)`];
    else if (subnet) patch.subnet = subnet;
    const instances = o.servers && o.subnet ? instanceChanges(r.instances, o.servers, new Map([...o.attached].map(([id, a]) => [id, a.ip]))) : undefined;
    if (instances) patch.instances = instances;
    return Object.keys(patch).length > 0 ? (patch as Record<string, unknown>) : undefined;
  },
  async update(cloud, o, raw, { resource: r, name }) {
    const patch = raw as Patch;
    if (patch.unsupported) throw unsupportedError(patch.unsupported, 'updateNetwork');
    const id = o.network.id;
    // The answers are the network and subnet as they now are; only a change of instances is read back.
    let current = o;
    if (patch.network) current = { ...current, network: await members.update(cloud, o.network, patch.network) };
    if (patch.subnet && 'create' in patch.subnet) current = { ...current, subnet: await cloud.neutron.subnets.create({ network_id: id, ip_version: 4, name, enable_dhcp: true, ...subnetFields(r)! }) };
    else if (patch.subnet) current = { ...current, subnet: await cloud.neutron.subnets.update(o.subnet!.id, patch.subnet.update, o.subnet!.revision_number) };
    const changes = patch.instances;
    if (!changes) return current;
    for (const server of changes?.detach ?? []) await cloud.nova.detachInterface(server, o.attached.get(server)!.port);
    for (const { id: server, ip } of changes?.updateIp ?? []) await cloud.neutron.ports.update(o.attached.get(server)!.port, { fixed_ips: [{ subnet_id: o.subnet!.id, ip_address: ip }] });
    for (const { id: server, ip } of changes?.attach ?? []) await cloud.nova.attachInterface(server, { net_id: id, ...(ip ? { fixed_ips: [{ ip_address: ip }] } : {}) });
    const fresh = await cloud.neutron.networks.get(id);
    return fresh ? observe(cloud, fresh) : o;
  },
  async delete(cloud, id) {
    const attached = serverPorts(await cloud.neutron.ports.list({ filters: { network_id: id } }));
    // Nova's ports keep the network in use: detach them first, whoever attached them.
    if (attached.size > 0) {
      for (const [server, { port }] of attached) await cloud.nova.detachInterface(server, port);
      throw detachingFirst({ provider: 'openstack', service: 'network' }, [...attached.keys()], id);
    }
    await members.delete(cloud, id);
  },
  id: (o) => o.network.id,
  summarize: ({ network: n, subnet, attached }) => {
    const pool = subnet?.allocation_pools[0];
    const prefix = subnet ? parseCIDR(subnet.cidr) : undefined;
    const labels = Object.fromEntries((n.tags ?? []).flatMap((t) => (t.includes('=') ? [[t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]] : [])));
    return {
      name: n.name,
      ...(n.description ? { description: n.description } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(pool && prefix ? { startIP: pool.start, endIP: pool.end, netmask: netmaskOf(prefix.length) } : {}),
      ...(subnet ? { dhcpOptions: { ...(subnet.dns_nameservers.length ? { dnsServers: subnet.dns_nameservers } : {}), ...(subnet.gateway_ip ? { routers: [subnet.gateway_ip] } : {}) } } : {}),
      ...(typeof n['provider:segmentation_id'] === 'number' ? { vni: n['provider:segmentation_id'] } : {}),
      leases: [...attached].map(([server, { ip }]) => ({ instanceID: server, ...(ip ? { ip } : {}) })),
    };
  },
  progress: (o, r) => {
    const network = activeOrAdminDown('network')(o.network);
    if (network.state !== 'ready' || r?.instances === undefined) return network;
    if (!o.servers) return r.instances.length > 0 ? failed('ComputeUnavailable', 'instances need Nova, and this cloud\'s catalog has no compute endpoint') : READY;
    const instances = instancesProgress(r.instances, o.servers, 'in the project');
    if (instances.state !== 'ready') return instances;
    // Nova attaches and detaches interfaces after it answers (an empty set too): look again until the set is as asked.
    const wanted = wantedInstances(r.instances, o.servers);
    const settled = wanted.size === o.attached.size && [...wanted].every(([id, ip]) => o.attached.has(id) && (ip === undefined || o.attached.get(id)!.ip === ip));
    return settled ? READY : progressing('waiting for Nova to attach or detach the instances', NEUTRON_POLL_MS, { reason: 'AttachingInstances' });
  },
};
