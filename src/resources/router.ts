// Router: a Neutron router, its external gateway, its interfaces on Subnets and its extra routes.
// Everything that is specific to the kind.
//
// spec.resource is the whole desired router: externalGateway, interfaces and routes left unset
// mean none. Interfaces are a set: subnets missing from the router are attached, and interfaces on
// other subnets (including ones attached outside the operator) are detached.
import { router as routerKind, type RouterImportFilter, type RouterObserved, type RouterResource } from '../api/router.ts';
import { isCloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type {
  NeutronExternalGatewayInfo,
  NeutronExternalGatewayRequest,
  NeutronFixedIpRequest,
  NeutronPort,
  NeutronRouter,
} from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { kindOf, type Adapter, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { MANAGED, ownerTag } from '../reconcile/marks.ts';
import { activeOrAdminDown, adoptByName, canonicalIP, changedFields, defined, fromNeutronRoutes, listForEach, neutronResource, sameRoutes, standardSummary, toFixedIpRequests, toNeutronRoutes } from './neutron.ts';

/** The router with the ports of its interfaces (Neutron reports those only as ports). */
export type ObservedRouter = NeutronRouter & { interfacePorts: NeutronPort[] };

type GatewayIP = NeutronFixedIpRequest;
type GatewayBody = { network_id: string; enable_snat?: boolean; external_fixed_ips?: GatewayIP[] };

/** What update() does besides the router PUT. */
interface InterfaceChanges {
  attach: string[];
  detach: string[];
}

/** Owners of the ports of a router's interfaces: legacy, distributed (DVR) and HA routers. */
const INTERFACE_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'];

const interfacePortsOf = (cloud: OpenStackClient, routerIds: string[]): Promise<NeutronPort[]> =>
  cloud.neutron.ports.list({ filters: { device_id: routerIds, device_owner: INTERFACE_OWNERS } });

/** Neutron's default when enable_snat is not sent (enable_snat_by_default). */
const DEFAULT_SNAT = true;

async function withInterfaces(cloud: OpenStackClient, routers: NeutronRouter[]): Promise<ObservedRouter[]> {
  if (routers.length === 0) return [];
  const ports = await listForEach(routers.map((r) => r.id), (ids) => interfacePortsOf(cloud, ids));
  return routers.map((r) => ({ ...r, interfacePorts: ports.filter((p) => p.device_id === r.id) }));
}

const tagged = async (cloud: OpenStackClient, tag: string): Promise<ObservedRouter[]> => withInterfaces(cloud, await cloud.neutron.routers.list({ tags: [tag] }));

async function observe(cloud: OpenStackClient, id: string): Promise<ObservedRouter | undefined> {
  const found = await cloud.neutron.routers.get(id);
  return found && (await withInterfaces(cloud, [found]))[0];
}

const subnetsOf = (o: ObservedRouter): string[] => [...new Set(o.interfacePorts.flatMap((p) => p.fixed_ips.map((ip) => ip.subnet_id)))];

function desiredGateway(r: RouterResource, refs: ResolvedRefs): GatewayBody | undefined {
  const gw = r.externalGateway;
  if (!gw) return undefined;
  return {
    network_id: refs.id('Network', gw.networkRef.name),
    enable_snat: gw.enableSNAT,
    external_fixed_ips: gw.fixedIPs && toFixedIpRequests(gw.fixedIPs, refs),
  };
}

/** Every requested address is one of the gateway's (subnet and/or address), one for one. */
function fixedIPsMatch(desired: GatewayIP[], observed: GatewayIP[] | undefined): boolean {
  const left = [...(observed ?? [])];
  if (left.length !== desired.length) return false;
  // The most specific requests pick first, so a subnet-only request cannot take another's address.
  const ordered = [...desired].sort((a, b) => Number(b.ip_address !== undefined) - Number(a.ip_address !== undefined));
  return ordered.every((want) => {
    const at = left.findIndex(
      (seen) =>
        (want.subnet_id === undefined || want.subnet_id === seen.subnet_id) &&
        (want.ip_address === undefined || (seen.ip_address !== undefined && canonicalIP(want.ip_address) === canonicalIP(seen.ip_address))),
    );
    return at >= 0 && left.splice(at, 1).length === 1;
  });
}

/**
 * The external_gateway_info to send, or undefined when the gateway is as desired. Sub-fields go
 * only when they must change: enable_snat and external_fixed_ips are admin-only in Neutron's
 * default policy even when sent with the value the router already has.
 */
function gatewayChange(desired: GatewayBody | undefined, observed: NeutronExternalGatewayInfo | null | undefined): NeutronExternalGatewayRequest | undefined {
  if (!desired) return observed ? {} : undefined;
  const sameNetwork = observed?.network_id === desired.network_id;
  const currentSnat = sameNetwork ? (observed?.enable_snat ?? DEFAULT_SNAT) : DEFAULT_SNAT;
  const snat = desired.enable_snat !== undefined && desired.enable_snat !== currentSnat;
  const ips = desired.external_fixed_ips !== undefined && !(sameNetwork && fixedIPsMatch(desired.external_fixed_ips, observed?.external_fixed_ips));
  if (sameNetwork && !snat && !ips) return undefined;
  return {
    network_id: desired.network_id,
    ...(snat ? { enable_snat: desired.enable_snat } : {}),
    ...(ips ? { external_fixed_ips: desired.external_fixed_ips } : {}),
  };
}

/**
 * Attaches a subnet. An earlier request of ours for the same interface (its answer lost, or timed out
 * while Neutron still works on it) counts as done: Neutron answers the repeat "already has a port on
 * subnet" once the first has finished, and 409 IpAddressAlreadyAllocated (the gateway address) while
 * the first has made its port but not yet bound it to the router. That 409 is a real conflict only when
 * the address is not on a port of this router.
 */
async function attach(cloud: OpenStackClient, routerId: string, subnetId: string): Promise<void> {
  try {
    await cloud.neutron.addRouterInterface(routerId, { subnet_id: subnetId });
  } catch (err) {
    if (!isCloudError(err)) throw err;
    if (err.status === 400 && /already has a port on subnet/i.test(err.message)) return;
    if (!(err.status === 409 && err.code === 'IpAddressAlreadyAllocated')) throw err;
    const ports = await interfacePortsOf(cloud, [routerId]);
    if (!ports.some((p) => p.fixed_ips.some((ip) => ip.subnet_id === subnetId))) throw err;
  }
}

function references(r: RouterResource): Ref[] {
  const refs: Ref[] = [];
  const gw = r.externalGateway;
  if (gw) {
    refs.push({ kind: 'Network', name: gw.networkRef.name, field: 'externalGateway.networkRef' });
    gw.fixedIPs?.forEach((ip, i) => {
      if (ip.subnetRef) refs.push({ kind: 'Subnet', name: ip.subnetRef.name, field: `externalGateway.fixedIPs[${i}].subnetRef` });
    });
  }
  r.interfaces?.forEach((itf, i) => refs.push({ kind: 'Subnet', name: itf.subnetRef.name, field: `interfaces[${i}].subnetRef` }));
  return refs;
}

export const router: Adapter<RouterResource, RouterImportFilter, RouterObserved, ObservedRouter, OpenStackClient> = {
  ...kindOf(routerKind, openstack),
  // Overridden below: get, listOwned, listManaged, update and delete also handle the router's interfaces.
  ...neutronResource((cloud) => cloud.neutron.routers),
  references,
  get: observe,
  listOwned: (cloud, uid) => tagged(cloud, ownerTag(uid)),
  listManaged: (cloud) => tagged(cloud, MANAGED),
  listForImport: async (cloud, f) =>
    withInterfaces(cloud, await cloud.neutron.routers.list({ filters: { name: f.name, project_id: f.projectID }, tags: f.tags })),
  intentAdoption: adoptByName(async (cloud, name) => withInterfaces(cloud, await cloud.neutron.routers.list({ filters: { name } }))),
  // Interfaces and routes cannot be given on create: the update that follows adds them.
  create: async (cloud, { resource: r, refs, name }, tags) => {
    const gateway = gatewayChange(desiredGateway(r, refs), null);
    const created = await cloud.neutron.routers.create({ name, description: r.description, admin_state_up: r.adminStateUp, external_gateway_info: gateway, tags });
    return { ...created, interfacePorts: [] };
  },
  diff: ({ resource: r, refs, name }, observed) => {
    const wanted = new Set((r.interfaces ?? []).map((itf) => refs.id('Subnet', itf.subnetRef.name)));
    const attached = subnetsOf(observed);
    const interfaces: InterfaceChanges = {
      attach: [...wanted].filter((id) => !attached.includes(id)),
      detach: attached.filter((id) => !wanted.has(id)),
    };
    const routes = toNeutronRoutes(r.routes ?? []);
    const patch = {
      ...changedFields({ name, description: r.description, admin_state_up: r.adminStateUp }, observed),
      ...defined({
        external_gateway_info: gatewayChange(desiredGateway(r, refs), observed.external_gateway_info),
        routes: sameRoutes(routes, observed.routes ?? []) ? undefined : routes,
        interfaces: interfaces.attach.length + interfaces.detach.length > 0 ? interfaces : undefined,
      }),
    };
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  // Order matters: routes may go through a subnet being attached, and Neutron refuses to detach
  // a subnet that a route still uses.
  update: async (cloud, observed, patch) => {
    const { interfaces, ...fields } = patch as { interfaces?: InterfaceChanges } & Record<string, unknown>;
    const { interfacePorts, ...current } = observed;
    let updated: NeutronRouter = current;
    for (const subnetId of interfaces?.attach ?? []) await attach(cloud, observed.id, subnetId);
    if (Object.keys(fields).length > 0) {
      // An attached interface bumped the router's revision: the If-Match must carry the new one.
      const revision = interfaces?.attach.length ? (await cloud.neutron.routers.get(observed.id))?.revision_number : observed.revision_number;
      updated = await cloud.neutron.routers.update(observed.id, fields, revision);
    }
    for (const subnetId of interfaces?.detach ?? []) await cloud.neutron.removeRouterInterface(observed.id, { subnet_id: subnetId });
    if (!interfaces) return { ...updated, interfacePorts };
    return (await observe(cloud, observed.id)) ?? { ...updated, interfacePorts: [] };
  },
  // Neutron deletes neither a router with interfaces nor an interface a route goes through.
  delete: async (cloud, id) => {
    const found = await observe(cloud, id);
    if (!found) return;
    if (found.routes?.length) await cloud.neutron.routers.update(id, { routes: [] }, found.revision_number);
    for (const port of found.interfacePorts) await cloud.neutron.removeRouterInterface(id, { port_id: port.id });
    await cloud.neutron.routers.delete(id);
  },
  summarize: (o) => {
    const gw = o.external_gateway_info;
    return {
      ...standardSummary(o),
      status: o.status,
      adminStateUp: o.admin_state_up,
      externalGateway: gw
        ? {
            networkID: gw.network_id,
            enableSNAT: gw.enable_snat,
            fixedIPs: gw.external_fixed_ips?.map((ip) => ({ subnetID: ip.subnet_id, ipAddress: ip.ip_address })),
          }
        : undefined,
      interfaces: o.interfacePorts.flatMap((p) => p.fixed_ips.map((ip) => ({ subnetID: ip.subnet_id, portID: p.id }))),
      routes: fromNeutronRoutes(o.routes),
      availabilityZones: o.availability_zones,
    };
  },
  // Interface ports stay DOWN without L3 agents: only the router's own status counts.
  progress: activeOrAdminDown('router'),
};
