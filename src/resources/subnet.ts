// Subnet: a Neutron subnet of a Network. Everything that is specific to the kind.
import { subnet as subnetKind, type SubnetImportFilter, type SubnetObserved, type SubnetResource } from '../api/subnet.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronAllocationPool, NeutronSubnet } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { kindOf, READY, type Adapter, type ResolvedRefs } from '../reconcile/adapter.ts';
import { adoptByName, canonicalCIDR, canonicalIP, changedFields, compared, defined, fromNeutronRoutes, neutronResource, sameList, sameRoutes, sameSet, standardSummary, toNeutronRoutes } from './neutron.ts';

const sameIP = (desired: string, observed: unknown): boolean => typeof observed === 'string' && canonicalIP(observed) === canonicalIP(desired);

const poolKey = (p: NeutronAllocationPool): string => `${canonicalIP(p.start)}-${canonicalIP(p.end)}`;

/** Neutron may report pools in its own order: they are a set. */
const samePools = (desired: NeutronAllocationPool[], observed: unknown): boolean =>
  Array.isArray(observed) && sameSet(desired.map(poolKey), (observed as NeutronAllocationPool[]).map(poolKey));

/** DNS servers are tried in order: an ordered list. */
const sameNameservers = (desired: string[], observed: unknown): boolean =>
  Array.isArray(observed) && sameList(desired.map(canonicalIP), (observed as string[]).map(canonicalIP));

/** gateway_ip: null for noGateway, the address when set, else left to the cloud (the first address). */
function gateway(r: SubnetResource) {
  if (r.noGateway) return null;
  return compared(r.gatewayIP, sameIP);
}

/** The mutable Neutron fields and their desired values. */
const mutable = (r: SubnetResource, name: string) => ({
  name,
  description: r.description,
  gateway_ip: gateway(r),
  enable_dhcp: r.enableDHCP,
  allocation_pools: compared(r.allocationPools, samePools),
  dns_nameservers: compared(r.dnsNameservers, sameNameservers),
  host_routes: compared(r.hostRoutes && toNeutronRoutes(r.hostRoutes), sameRoutes),
});

const networkId = (networkRef: { name: string }, refs: ResolvedRefs): string => refs.id('Network', networkRef.name);

export const subnet: Adapter<SubnetResource, SubnetImportFilter, SubnetObserved, NeutronSubnet, OpenStackClient> = {
  ...kindOf(subnetKind, openstack),
  ...neutronResource((cloud) => cloud.neutron.subnets),
  conditionalUpdate: true,
  references: (r) => [{ kind: 'Network', name: r.networkRef.name, field: 'networkRef' }],
  importReferences: (f) => (f.networkRef ? [{ kind: 'Network', name: f.networkRef.name, field: 'import.filter.networkRef' }] : []),
  listForImport: (cloud, f, refs) =>
    cloud.neutron.subnets.list({
      filters: {
        name: f.name,
        network_id: f.networkRef && networkId(f.networkRef, refs),
        cidr: f.cidr === undefined ? undefined : canonicalCIDR(f.cidr),
        ip_version: f.ipVersion,
        gateway_ip: f.gatewayIP === undefined ? undefined : canonicalIP(f.gatewayIP),
        project_id: f.projectID,
      },
      tags: f.tags,
    }),
  // Subnet names are only meaningful within their network.
  intentAdoption: adoptByName((cloud, name, r, refs) => cloud.neutron.subnets.list({ filters: { name, network_id: networkId(r.networkRef, refs) } })),
  create: (cloud, { resource: r, refs, name }, tags) =>
    cloud.neutron.subnets.create({
      network_id: networkId(r.networkRef, refs),
      ip_version: r.ipVersion,
      cidr: r.cidr,
      ...defined(mutable(r, name)),
      ...defined({ ipv6_address_mode: r.ipv6AddressMode, ipv6_ra_mode: r.ipv6RAMode }),
      tags,
    }),
  diff: ({ resource, name }, observed) => changedFields(mutable(resource, name), observed),
  summarize: (o) => ({
    ...standardSummary(o),
    networkID: o.network_id,
    ipVersion: o.ip_version,
    cidr: o.cidr,
    gatewayIP: o.gateway_ip ?? undefined,
    enableDHCP: o.enable_dhcp,
    allocationPools: o.allocation_pools?.map((p) => ({ start: p.start, end: p.end })),
    dnsNameservers: o.dns_nameservers,
    hostRoutes: fromNeutronRoutes(o.host_routes),
    ipv6AddressMode: o.ipv6_address_mode ?? undefined,
    ipv6RAMode: o.ipv6_ra_mode ?? undefined,
  }),
  // A subnet has no status of its own: it exists, so it is usable.
  progress: () => READY,
};
