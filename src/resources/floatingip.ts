// FloatingIP: a Neutron floating IP on an external Network, optionally associated with a Port.
import {
  floatingIP as floatingIPKind,
  type FloatingIPImportFilter,
  type FloatingIPObserved,
  type FloatingIPResource,
} from '../api/floatingip.ts';
import { isCloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronFloatingIp } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { CloudPrecondition, failed, kindOf, READY, type Adapter, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { adoptByName, changedFields, defined, neutronResource } from './neutron.ts';

/** The port (and fixed address) the floating IP should point at; port_id null = not associated. */
function association(r: FloatingIPResource, refs: ResolvedRefs): { port_id: string | null; fixed_ip_address?: string } {
  if (!r.portRef) return { port_id: null };
  return { port_id: refs.id('Port', r.portRef.name), ...(r.fixedIPAddress === undefined ? {} : { fixed_ip_address: r.fixedIPAddress }) };
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
        `no Router connects the ${subnet} of Port ${resource.portRef?.name ?? ''} to the external ${network}: ` +
        `give a Router an externalGateway on ${network} and an interface on that subnet (${err.describe()})`,
      wokenBy: ['Router'],
      error: err,
    });
  }
}

const floatingIps = neutronResource((cloud) => cloud.neutron.floatingIps);

export const floatingIP: Adapter<FloatingIPResource, FloatingIPImportFilter, FloatingIPObserved, NeutronFloatingIp, OpenStackClient> = {
  ...kindOf(floatingIPKind, openstack),
  ...floatingIps,
  references: (r) => {
    const refs: Ref[] = [{ kind: 'Network', name: r.floatingNetworkRef.name, field: 'floatingNetworkRef' }];
    if (r.portRef) refs.push({ kind: 'Port', name: r.portRef.name, field: 'portRef' });
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
  create: (cloud, { resource, refs }, tags) => {
    const { port_id, fixed_ip_address } = association(resource, refs);
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
    const wanted = association(resource, refs);
    // Neutron takes fixed_ip_address only together with port_id: an association change sends both.
    const patch = { ...(changedFields(wanted, observed) ? wanted : {}), ...changedFields({ description: resource.description }, observed) };
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  update: (cloud, observed, patch, { resource }) => waitingForRouter(cloud, resource, () => floatingIps.update(cloud, observed, patch)),
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
