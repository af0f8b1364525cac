// FloatingIP: a Neutron floating IP on an external Network, optionally associated with a Port.
import {
  floatingIP as floatingIPKind,
  type FloatingIPImportFilter,
  type FloatingIPObserved,
  type FloatingIPResource,
} from '../api/floatingip.ts';
import { CloudError, isCloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronFloatingIp } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { CloudPrecondition, failed, kindOf, READY, type Adapter, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { adoptByName, changedFields, defined, neutronResource } from './neutron.ts';

type Association = { port_id: string | null; fixed_ip_address?: string };

/** What the floating IP should point at, where a Port object names the port (port_id null: nothing). */
function portAssociation(r: FloatingIPResource, refs: ResolvedRefs): Association {
  if (!r.portRef) return { port_id: null };
  return { port_id: refs.id('Port', r.portRef.name), ...(r.fixedIPAddress === undefined ? {} : { fixed_ip_address: r.fixedIPAddress }) };
}

/** The port of the Server the spec names: on its networkRef, else its only one. */
async function serverPort(cloud: OpenStackClient, r: FloatingIPResource, refs: ResolvedRefs): Promise<string> {
  const ref = r.serverRef!;
  const serverId = refs.id('Server', ref.name);
  const networkId = ref.networkRef && refs.id('Network', ref.networkRef.name);
  const ports = await cloud.neutron.ports.list({ filters: { device_id: serverId, network_id: networkId } });
  if (ports.length === 1) return ports[0]!.id;
  const where = ref.networkRef ? ` on Network ${ref.networkRef.name}` : '';
  if (ports.length === 0) throw new CloudError({ provider: 'openstack', service: 'network', operation: 'listPorts', status: 404, code: 'ServerPortNotFound', kind: 'notFound', message: `Server ${ref.name} has no port${where} yet` });
  throw new CloudError({ provider: 'openstack', service: 'network', operation: 'listPorts', status: 409, code: 'ServerPortAmbiguous', kind: 'terminal', message: `Server ${ref.name} has ${ports.length} ports${where}: set serverRef.networkRef to pick one` });
}

/** The association to send: a Server's port is looked up in the cloud. */
async function association(cloud: OpenStackClient, r: FloatingIPResource, refs: ResolvedRefs): Promise<Association> {
  if (!r.serverRef) return portAssociation(r, refs);
  return { port_id: await serverPort(cloud, r, refs), ...(r.fixedIPAddress === undefined ? {} : { fixed_ip_address: r.fixedIPAddress }) };
}

/** Whether the floating IP points at a port of the Server the spec names (Neutron's port_details say whose port it is). */
function onServer(r: FloatingIPResource, refs: ResolvedRefs, observed: NeutronFloatingIp): boolean {
  const ref = r.serverRef!;
  const details = observed.port_details;
  return (
    !!details &&
    details.device_id === refs.id('Server', ref.name) &&
    (!ref.networkRef || details.network_id === refs.id('Network', ref.networkRef.name)) &&
    (r.fixedIPAddress === undefined || observed.fixed_ip_address === r.fixedIPAddress)
  );
}

/** Neutron: "External network <id> is not reachable from subnet <id>.  Therefore, cannot associate Port <id> ..." */
const UNREACHABLE_SUBNET = /not reachable from subnet ([0-9a-fA-F-]+)/;

/** The subnet as a user knows it: its name and range (best effort: the id alone if it cannot be read). */
async function describeSubnet(cloud: OpenStackClient, id: string): Promise<string> {
  const subnet = await cloud.neutron.subnets.get(id).catch(() => undefined);
  if (!subnet) return id;
  return subnet.name ? `"${subnet.name}" (${subnet.cidr}, ${id})` : `${subnet.cidr} (${id})`;
}

/**
 * Neutron answers 404 ExternalGatewayForFloatingIPNotFound until a Router with a gateway on the
 * floating network has an interface on the port's subnet: the floating IP waits for that, retried
 * on the backoff schedule and woken at once when a Router object changes (it may be the fix).
 */
async function waitingForRouter<T>(cloud: OpenStackClient, resource: FloatingIPResource, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isCloudError(err) || err.code !== 'ExternalGatewayForFloatingIPNotFound') throw err;
    const subnetId = UNREACHABLE_SUBNET.exec(err.message)?.[1];
    const subnet = subnetId ? `subnet ${await describeSubnet(cloud, subnetId)}` : 'subnet';
    const network = `Network ${resource.floatingNetworkRef.name}`;
    throw new CloudPrecondition({
      reason: 'WaitingForRouter',
      message:
        `no Router connects the ${subnet} of ${resource.serverRef ? `Server ${resource.serverRef.name}` : `Port ${resource.portRef?.name ?? ''}`} to the external ${network}: ` +
        `give a Router an externalGateway on ${network} and an interface on that subnet (${err.describe()})`,
      wokenBy: ['Router'],
      error: err,
    });
  }
}

const floatingIps = neutronResource((cloud) => cloud.neutron.floatingIps);

/** In a patch: point the address at the Server's port, found when the patch is sent. */
const SERVER_ASSOCIATION = 'serverPort';

export const floatingIP: Adapter<FloatingIPResource, FloatingIPImportFilter, FloatingIPObserved, NeutronFloatingIp, OpenStackClient> = {
  ...kindOf(floatingIPKind, openstack),
  ...floatingIps,
  conditionalUpdate: true,
  references: (r) => {
    const refs: Ref[] = [{ kind: 'Network', name: r.floatingNetworkRef.name, field: 'floatingNetworkRef' }];
    if (r.portRef) refs.push({ kind: 'Port', name: r.portRef.name, field: 'portRef' });
    if (r.serverRef) refs.push({ kind: 'Server', name: r.serverRef.name, field: 'serverRef' });
    if (r.serverRef?.networkRef) refs.push({ kind: 'Network', name: r.serverRef.networkRef.name, field: 'serverRef.networkRef' });
    return refs;
  },
  importReferences: (f) => {
    const refs: Ref[] = [];
    if (f.floatingNetworkRef) refs.push({ kind: 'Network', name: f.floatingNetworkRef.name, field: 'import.filter.floatingNetworkRef' });
    if (f.portRef) refs.push({ kind: 'Port', name: f.portRef.name, field: 'import.filter.portRef' });
    return refs;
  },
  listForImport: (cloud, f, refs) =>
    cloud.neutron.floatingIps.list({
      filters: {
        floating_ip_address: f.address,
        project_id: f.projectID,
        floating_network_id: f.floatingNetworkRef && refs.id('Network', f.floatingNetworkRef.name),
        port_id: f.portRef && refs.id('Port', f.portRef.name),
      },
      tags: f.tags,
    }),
  // Floating IPs have no name: a lost create is found by everything else it was created with.
  intentAdoption: adoptByName((cloud, _name, r, refs) =>
    cloud.neutron.floatingIps.list({
      filters: {
        floating_network_id: refs.id('Network', r.floatingNetworkRef.name),
        floating_ip_address: r.address,
        port_id: r.portRef ? refs.id('Port', r.portRef.name) : undefined,
        description: r.description,
      },
    }),
  ),
  create: async (cloud, { resource, refs }, tags) => {
    const { port_id, fixed_ip_address } = await association(cloud, resource, refs);
    return waitingForRouter(cloud, resource, () =>
      cloud.neutron.floatingIps.create({
        floating_network_id: refs.id('Network', resource.floatingNetworkRef.name),
        ...defined({ floating_ip_address: resource.address, description: resource.description, fixed_ip_address }),
        ...(port_id === null ? {} : { port_id }),
        tags,
      }),
    );
  },
  diff: ({ resource, refs }, observed) => {
    const patch: Record<string, unknown> = { ...changedFields({ description: resource.description }, observed) };
    if (resource.serverRef) {
      // The Server's port is looked up when the association is sent.
      if (!onServer(resource, refs, observed)) patch[SERVER_ASSOCIATION] = true;
    } else {
      const wanted = portAssociation(resource, refs);
      // Neutron takes fixed_ip_address only together with port_id: an association change sends both.
      if (changedFields(wanted, observed)) Object.assign(patch, wanted);
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  update: async (cloud, observed, patch, { resource, refs }) => {
    const { [SERVER_ASSOCIATION]: toServer, ...fields } = patch;
    const body = toServer ? { ...fields, ...(await association(cloud, resource, refs)) } : fields;
    return waitingForRouter(cloud, resource, () => floatingIps.update(cloud, observed, body));
  },
  summarize: (o) => ({
    floatingIPAddress: o.floating_ip_address,
    fixedIPAddress: o.fixed_ip_address ?? undefined,
    portID: o.port_id ?? undefined,
    floatingNetworkID: o.floating_network_id,
    routerID: o.router_id ?? undefined,
    status: o.status,
    description: o.description,
    projectID: o.project_id,
    revisionNumber: o.revision_number,
    tags: [...(o.tags ?? [])].sort(),
  }),
  // Without an L3 agent a floating IP stays DOWN (associated or not): existing, and associated as
  // asked (update would have failed otherwise), is all that can be awaited. ERROR is for good.
  progress: (o) => (o.status === 'ERROR' ? failed('CloudResourceError', `floating IP ${o.id} (${o.floating_ip_address}) is in ERROR`) : READY),
};
