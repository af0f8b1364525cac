// Port: a Neutron port on a Network, with fixed IPs from its Subnets and its SecurityGroups.
import { port as portKind, type PortImportFilter, type PortObserved, type PortResource } from '../api/port.ts';
import { isCloudError, type CloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronAllowedAddressPair, NeutronFixedIp, NeutronFixedIpRequest, NeutronPort } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { CloudPrecondition, failed, kindOf, progressing, READY, type Adapter, type Progress, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { adoptByName, canonicalIP, NEUTRON_POLL_MS, changedFields, compared, neutronResource, sameSet, standardSummary, toFixedIpRequests } from './neutron.ts';
import { qosPolicyField, qosPolicyOnCreate, qosPolicyReference } from './qospolicy.ts';

type FixedIpRequest = NeutronFixedIpRequest;

const fixedIpRequests = (r: PortResource, refs: ResolvedRefs): FixedIpRequest[] | undefined => r.fixedIPs && toFixedIpRequests(r.fixedIPs, refs);

const securityGroupIds = (r: PortResource, refs: ResolvedRefs): string[] | undefined =>
  r.securityGroupRefs?.map((ref) => refs.id('SecurityGroup', ref.name));

const addressPairs = (r: PortResource): NeutronAllowedAddressPair[] | undefined =>
  r.allowedAddressPairs?.map((pair) => ({ ip_address: pair.ipAddress, ...(pair.macAddress ? { mac_address: pair.macAddress.toLowerCase() } : {}) }));

const satisfies = (request: FixedIpRequest, ip: NeutronFixedIp): boolean =>
  (request.subnet_id === undefined || request.subnet_id === ip.subnet_id) &&
  (request.ip_address === undefined || canonicalIP(request.ip_address) === canonicalIP(ip.ip_address));

/**
 * The fixed_ips to send, or undefined when the observed addresses already are the requested ones
 * (one each, nothing more). Requests an address satisfies are sent as that address: Neutron reads
 * a subnet-only entry in an update as "one more address", which would renumber the port.
 */
function fixedIpsChange(requests: readonly FixedIpRequest[], observed: readonly NeutronFixedIp[]): FixedIpRequest[] | undefined {
  const free = [...observed];
  const take = (request: FixedIpRequest): NeutronFixedIp | undefined => {
    const i = free.findIndex((ip) => satisfies(request, ip));
    return i < 0 ? undefined : free.splice(i, 1)[0];
  };
  // Exact addresses first, so a subnet-only request does not take the address another one names.
  const matched = new Map<FixedIpRequest, NeutronFixedIp | undefined>();
  for (const request of requests.filter((r) => r.ip_address !== undefined)) matched.set(request, take(request));
  for (const request of requests.filter((r) => r.ip_address === undefined)) matched.set(request, take(request));
  if (free.length === 0 && [...matched.values()].every((ip) => ip !== undefined)) return undefined;
  return requests.map((request) => {
    const ip = matched.get(request);
    return ip ? { subnet_id: ip.subnet_id, ip_address: ip.ip_address } : request;
  });
}

/** Address pairs as a set; a pair without a MAC uses the port's own (as Neutron fills it in). */
function sameAddressPairs(desired: readonly NeutronAllowedAddressPair[], observed: unknown, portMac: string): boolean {
  const key = (pair: NeutronAllowedAddressPair) => {
    const [address = '', prefix] = pair.ip_address.split('/');
    const ip = canonicalIP(address);
    const host = prefix === undefined || prefix === (ip.includes(':') ? '128' : '32');
    return `${host ? ip : `${ip}/${prefix}`} ${(pair.mac_address ?? portMac).toLowerCase()}`;
  };
  return Array.isArray(observed) && sameSet(desired.map(key), (observed as NeutronAllowedAddressPair[]).map(key));
}

const sameIds = (desired: readonly string[], observed: unknown): boolean => Array.isArray(observed) && sameSet(desired, observed as string[]);

export const port: Adapter<PortResource, PortImportFilter, PortObserved, NeutronPort, OpenStackClient> = {
  ...kindOf(portKind, openstack),
  ...neutronResource((cloud) => cloud.neutron.ports),
  conditionalUpdate: true,
  references: (r) => [
    { kind: 'Network', name: r.networkRef.name, field: 'networkRef' },
    ...(r.fixedIPs ?? []).flatMap((ip, i): Ref[] => (ip.subnetRef ? [{ kind: 'Subnet', name: ip.subnetRef.name, field: `fixedIPs[${i}].subnetRef` }] : [])),
    ...(r.securityGroupRefs ?? []).map((ref, i): Ref => ({ kind: 'SecurityGroup', name: ref.name, field: `securityGroupRefs[${i}]` })),
    ...qosPolicyReference(r.qosPolicyRef),
  ],
  importReferences: (f) => (f.networkRef ? [{ kind: 'Network', name: f.networkRef.name, field: 'import.filter.networkRef' }] : []),
  listForImport: (cloud, f, refs) =>
    cloud.neutron.ports.list({
      filters: {
        name: f.name,
        network_id: f.networkRef && refs.id('Network', f.networkRef.name),
        mac_address: f.macAddress?.toLowerCase(),
        device_id: f.deviceID,
        project_id: f.projectID,
      },
      tags: f.tags,
    }),
  intentAdoption: adoptByName((cloud, name, r, refs) => cloud.neutron.ports.list({ filters: { name, network_id: refs.id('Network', r.networkRef.name) } })),
  // Members left undefined are not sent.
  create: (cloud, { resource, refs, name }, tags) =>
    cloud.neutron.ports
      .create({
        network_id: refs.id('Network', resource.networkRef.name),
        name,
        description: resource.description,
        admin_state_up: resource.adminStateUp,
        port_security_enabled: resource.portSecurityEnabled,
        mac_address: resource.macAddress?.toLowerCase(),
        fixed_ips: fixedIpRequests(resource, refs),
        security_groups: securityGroupIds(resource, refs),
        allowed_address_pairs: addressPairs(resource),
        ...qosPolicyOnCreate(resource.qosPolicyRef, refs),
        tags,
      })
      .catch((err: unknown) => {
        throw waitingForSubnet(err, resource);
      }),
  diff: ({ resource, refs, name }, observed) => {
    const requests = fixedIpRequests(resource, refs);
    const fixedIps = requests && fixedIpsChange(requests, observed.fixed_ips ?? []);
    const pairs = addressPairs(resource);
    const patch: Record<string, unknown> = {
      ...changedFields(
        {
          name,
          description: resource.description,
          admin_state_up: resource.adminStateUp,
          port_security_enabled: resource.portSecurityEnabled,
          security_groups: compared(securityGroupIds(resource, refs), sameIds),
          allowed_address_pairs: compared(pairs, (want, seen) => sameAddressPairs(want, seen, observed.mac_address)),
          qos_policy_id: qosPolicyField(resource.qosPolicyRef, refs),
        },
        observed,
      ),
      ...(fixedIps ? { fixed_ips: fixedIps } : {}),
    };
    // Neutron refuses to turn port security off while the port has groups or address pairs (the
    // project's default group included): unset lists go along as empty ones.
    if (patch.port_security_enabled === false) {
      if (patch.security_groups === undefined && (observed.security_groups ?? []).length > 0) patch.security_groups = [];
      if (patch.allowed_address_pairs === undefined && (observed.allowed_address_pairs ?? []).length > 0) patch.allowed_address_pairs = [];
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  summarize: (o) => ({
    ...standardSummary(o),
    status: o.status,
    networkID: o.network_id,
    macAddress: o.mac_address,
    fixedIPs: (o.fixed_ips ?? []).map((ip) => ({ subnetID: ip.subnet_id, ipAddress: ip.ip_address })),
    securityGroups: [...(o.security_groups ?? [])].sort(),
    allowedAddressPairs: (o.allowed_address_pairs ?? []).map((pair) => ({ ipAddress: pair.ip_address, macAddress: pair.mac_address })),
    deviceID: o.device_id || undefined,
    deviceOwner: o.device_owner || undefined,
    adminStateUp: o.admin_state_up,
    portSecurityEnabled: o.port_security_enabled,
    qosPolicyID: o.qos_policy_id ?? undefined,
  }),
  progress: portProgress,
};

/**
 * ACTIVE is ready. A port no server or router uses is never bound and stays DOWN (there is no
 * agent to wire it), as does an administratively down one: both are what was asked for. A bound
 * port that is DOWN or BUILD is still being wired by the cloud; ERROR is failed.
 */
function portProgress(o: NeutronPort): Progress {
  const unbound = !o.device_owner || o['binding:vif_type'] === 'unbound';
  if (o.status === 'ACTIVE' || (o.status === 'DOWN' && (unbound || !o.admin_state_up))) return READY;
  const what = `port ${o.id} is ${o.status}${o.device_owner ? ` (${o.device_owner})` : ''}`;
  return o.status === 'ERROR' ? failed('CloudResourceError', what) : progressing(what, NEUTRON_POLL_MS);
}

/** Neutron's 400s for an address no subnet of the network holds, and for addresses on a network without subnets. */
const noSubnetForAddress = (err: unknown): err is CloudError =>
  isCloudError(err) && err.status === 400 && (err.code === 'InvalidIpForNetwork' || /IP allocation requires subnets for network/.test(err.message));

/**
 * An address that no Subnet of the Network holds. Applied together, a Port may come before the
 * Subnet its address is in: it waits for one, retried on the backoff schedule and woken at once
 * when a Subnet object changes, instead of stalling.
 */
function waitingForSubnet(err: unknown, resource: PortResource): unknown {
  if (!noSubnetForAddress(err)) return err;
  return new CloudPrecondition({
    reason: 'WaitingForSubnet',
    message: `no Subnet of Network ${resource.networkRef.name} holds the address asked for: give it one (${err.describe()})`,
    wokenBy: ['Subnet'],
    error: err,
  });
}
