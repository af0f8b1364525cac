// Subnets: CIDR normalised (host bits cleared), gateway defaulting to the first address, pools computed.
import { cidrContains, cidrsOverlap, formatCidr, formatIp, lastAddress, parseCidr, parseIp, type Cidr } from '../ip.ts';
import { badRequest, httpBadRequest, invalidInput, NeutronError } from './errors.ts';
import { asBool, asList, asObj, asString, checkQuota, oneOf, opt, owns, projectOf, type ResourceDef } from './core.ts';
import { defaultPools } from './ipam.ts';
import type { NeutronState, Pool, Route, Subnet } from './model.ts';
import { networkNotFound, networkVisible } from './networks.ts';

const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const;

function gatewayOf(cidr: Cidr, value: unknown): bigint | null {
  if (value === null) return null;
  const text = asString('gateway_ip', value);
  const ip = parseIp(text);
  if (!ip) throw httpBadRequest(`Invalid input for gateway_ip. Reason: '${text}' is not a valid IP address.`);
  if (ip.version !== cidr.version) throw invalidInput(`Gateway_ip '${text}' does not match the ip_version '${cidr.version}'`);
  if (cidr.version === 4 && cidr.prefix < 31 && (ip.value === cidr.network || ip.value === lastAddress(cidr))) {
    throw invalidInput(`Gateway is not valid on subnet`);
  }
  return ip.value;
}

function poolsOf(cidr: Cidr, gateway: bigint | null, value: unknown): Pool[] {
  if (value === undefined) return defaultPools(cidr, gateway ?? undefined);
  const pools = asList('allocation_pools', value).map((p) => {
    const o = asObj('allocation_pools', p);
    const start = parseIp(asString('allocation_pools', o.start));
    const end = parseIp(asString('allocation_pools', o.end));
    const text = `${String(o.start)}-${String(o.end)}`;
    if (!start || !end || start.value > end.value || start.version !== end.version) {
      throw new NeutronError(400, 'InvalidAllocationPool', `The allocation pool ${text} is not valid.`);
    }
    if (!cidrContains(cidr, start.version, start.value) || !cidrContains(cidr, end.version, end.value)) {
      throw new NeutronError(400, 'OutOfBoundsAllocationPool', `The allocation pool ${text} spans beyond the subnet cidr ${formatCidr(cidr)}.`);
    }
    if (gateway !== null && gateway >= start.value && gateway <= end.value) {
      throw new NeutronError(409, 'GatewayConflictWithAllocationPools', `Gateway ip ${formatIp(cidr.version, gateway)} conflicts with allocation pool ${text}.`);
    }
    return { start: formatIp(cidr.version, start.value), end: formatIp(cidr.version, end.value) };
  });
  return pools;
}

function gatewayConflict(cidr: Cidr, gateway: bigint | null, pools: Pool[]): void {
  if (gateway === null) return;
  for (const p of pools) {
    const s = parseIp(p.start)?.value ?? 0n;
    const e = parseIp(p.end)?.value ?? 0n;
    if (gateway >= s && gateway <= e) {
      throw new NeutronError(409, 'GatewayConflictWithAllocationPools', `Gateway ip ${formatIp(cidr.version, gateway)} conflicts with allocation pool ${p.start}-${p.end}.`);
    }
  }
}

const ipList = (attr: string, value: unknown): string[] =>
  asList(attr, value).map((v) => {
    const text = asString(attr, v);
    if (!parseIp(text)) throw httpBadRequest(`Invalid input for ${attr}. Reason: '${text}' is not a valid nameserver.`);
    return text;
  });

const routeList = (value: unknown): Route[] =>
  asList('host_routes', value).map((r) => {
    const o = asObj('host_routes', r);
    const destination = asString('host_routes', o.destination);
    const nexthop = asString('host_routes', o.nexthop);
    if (!parseCidr(destination) || !parseIp(nexthop)) throw httpBadRequest(`Invalid input for host_routes. Reason: Invalid data format for hostroute: '${JSON.stringify(o)}'.`);
    return { destination, nexthop };
  });

export function subnets(state: NeutronState): ResourceDef<Subnet> {
  const cidrOf = (subnet: Subnet): Cidr => parseCidr(subnet.cidr) as Cidr;
  // Creating, updating or deleting a subnet bumps its network's revision too.
  const bumpNetwork = (subnet: Subnet): void => {
    const net = state.networks.get(subnet.network_id);
    if (net) state.bump(net);
  };
  return {
    path: 'subnets',
    collection: 'subnets',
    singular: 'subnet',
    quota: 'subnet',
    taggable: true,
    store: state.subnets,
    notFound: (id) => new NeutronError(404, 'SubnetNotFound', `Subnet ${id} could not be found.`),
    // No segments plugin and no subnet_dns_publish_fixed_ip driver in the reference cloud: no segment_id and
    // no dns_publish_fixed_ip attributes.
    post: ['name', 'description', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'allocation_pools', 'enable_dhcp', 'dns_nameservers', 'host_routes', 'ipv6_address_mode', 'ipv6_ra_mode', 'subnetpool_id', 'prefixlen', 'use_default_subnetpool', 'service_types', 'project_id', 'tenant_id'],
    put: ['name', 'description', 'gateway_ip', 'allocation_pools', 'enable_dhcp', 'dns_nameservers', 'host_routes', 'service_types'],
    readOnly: ['id', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: ['network_id', 'ip_version'],
    adminOnly: [],
    bumpsOnUpdate: () => true,
    create(caller, body) {
      const networkId = asString('network_id', body.network_id);
      const net = state.networks.get(networkId);
      if (!net || !networkVisible(caller, net)) throw networkNotFound(networkId);
      // Anyone may add a subnet to a shared network; to another project's network (an external one) Neutron's
      // plugin refuses before the policy engine does.
      if (!owns(caller, net) && !net.shared) throw new NeutronError(403, 'HTTPForbidden', `Tenant ${caller.projectId} not allowed to create subnet on this network`);
      const version = Number(body.ip_version);
      if (version !== 4 && version !== 6) throw httpBadRequest(`Invalid input for ip_version. Reason: ${JSON.stringify(body.ip_version)} is not in [4, 6].`);
      if (body.cidr === undefined || body.cidr === null) throw badRequest('subnet', 'a subnetpool must be specified in the absence of a cidr');
      const cidrText = asString('cidr', body.cidr);
      const cidr = parseCidr(cidrText);
      if (!cidr) throw invalidInput(`${cidrText} is not in a CIDR format.`);
      if (cidr.version !== version) throw invalidInput(`cidr '${cidrText}' does not match the ip_version '${version}'.`);
      const normalized = formatCidr(cidr);
      if (state.subnetsOfNetwork(networkId).some((s) => cidrsOverlap(cidrOf(s), cidr))) {
        throw invalidInput(`Requested subnet with cidr: ${normalized} for network: ${networkId} overlaps with another subnet.`);
      }
      // IPv6 subnets default to the subnet-router anycast address (the network address) as gateway.
      const gateway = body.gateway_ip === undefined ? (cidr.version === 6 ? cidr.network : cidr.network + 1n) : gatewayOf(cidr, body.gateway_ip);
      const pools = poolsOf(cidr, gateway, body.allocation_pools);
      const projectId = projectOf(caller, body, 'create_subnet');
      checkQuota(state, projectId, 'subnet');
      const mode = (attr: string): string | null => {
        const v = body[attr];
        if (v === undefined || v === null) return null;
        if (version !== 6) throw invalidInput(`${attr} is not valid when ip_version is 4`);
        return oneOf(attr, v, IPV6_MODES);
      };
      const subnet: Subnet = {
        ...state.standard(projectId, opt(body, 'description', asString, ''), 0),
        name: opt(body, 'name', asString, ''),
        network_id: networkId,
        ip_version: version,
        cidr: normalized,
        gateway_ip: gateway === null ? null : formatIp(cidr.version, gateway),
        allocation_pools: pools,
        enable_dhcp: opt(body, 'enable_dhcp', asBool, true),
        dns_nameservers: body.dns_nameservers === undefined ? [] : ipList('dns_nameservers', body.dns_nameservers),
        host_routes: body.host_routes === undefined ? [] : routeList(body.host_routes),
        ipv6_address_mode: mode('ipv6_address_mode'),
        ipv6_ra_mode: mode('ipv6_ra_mode'),
        service_types: [],
        subnetpool_id: null,
        tags: [],
      };
      state.subnets.set(subnet.id, subnet);
      state.bump(net); // the network's subnets changed
      return subnet;
    },
    update(_caller, subnet, body) {
      const cidr = cidrOf(subnet);
      if (body.name !== undefined) subnet.name = asString('name', body.name);
      if (body.description !== undefined) subnet.description = asString('description', body.description);
      const gateway = body.gateway_ip === undefined ? (subnet.gateway_ip === null ? null : (parseIp(subnet.gateway_ip)?.value ?? null)) : gatewayOf(cidr, body.gateway_ip);
      if (body.allocation_pools !== undefined) subnet.allocation_pools = poolsOf(cidr, gateway, body.allocation_pools);
      else gatewayConflict(cidr, gateway, subnet.allocation_pools);
      subnet.gateway_ip = gateway === null ? null : formatIp(cidr.version, gateway);
      if (body.enable_dhcp !== undefined) subnet.enable_dhcp = asBool('enable_dhcp', body.enable_dhcp);
      if (body.dns_nameservers !== undefined) subnet.dns_nameservers = ipList('dns_nameservers', body.dns_nameservers);
      if (body.host_routes !== undefined) subnet.host_routes = routeList(body.host_routes);
      bumpNetwork(subnet);
    },
    remove(_caller, subnet) {
      if (state.portsWithIpOn(subnet.id).some((p) => p.device_owner !== 'network:dhcp')) {
        throw new NeutronError(409, 'SubnetInUse', `Unable to complete operation on subnet ${subnet.id}: One or more ports have an IP allocation from this subnet.`);
      }
      state.subnets.delete(subnet.id);
      bumpNetwork(subnet);
    },
    // Other projects see the subnets of shared networks only: an external network lists its subnet ids,
    // but its subnets themselves stay hidden (404) from members.
    visible(caller, subnet) {
      const net = state.networks.get(subnet.network_id);
      return owns(caller, subnet) || (net !== undefined && net.shared);
    },
    render: (_caller, subnet) => ({ ...subnet }),
  };
}
