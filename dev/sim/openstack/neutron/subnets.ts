// Subnets: CIDR normalised (host bits cleared), gateway defaulting to the first address, pools computed.
import { cidrsOverlap, formatCidr, formatIp, hostRange, lastAddress, parseCidr, parseIp, type Cidr } from '../ip.ts';
import { pyRepr } from '../nova/schema.ts';
import { badRequest, httpBadRequest, invalidInput, NeutronError } from './errors.ts';
import { asBool, asList, asObj, asString, checkQuota, hostRouteList, oneOf, opt, owns, projectOf, type ResourceDef } from './core.ts';
import { defaultPools } from './ipam.ts';
import type { NeutronState, Pool, Route, Subnet } from './model.ts';
import { networkNotFound, networkVisible } from './networks.ts';

const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const;
/** Neutron's max_dns_nameservers and max_subnet_host_routes defaults. */
const MAX_DNS_NAMESERVERS = 5;
const MAX_HOST_ROUTES = 20;

function gatewayOf(cidr: Cidr, value: unknown): bigint | null {
  if (value === null) return null;
  const text = asString('gateway_ip', value);
  const ip = parseIp(text);
  if (!ip) throw httpBadRequest(`Invalid input for gateway_ip. Reason: '${text}' is not a valid IP address.`);
  if (ip.version !== cidr.version) throw invalidInput(`Gateway_ip '${text}' does not match the ip_version '${cidr.version}'`);
  // check_gateway_invalid_in_subnet: an IPv4 network or broadcast address, whatever the prefix.
  if (cidr.version === 4 && (ip.value === cidr.network || ip.value === lastAddress(cidr))) throw invalidInput('Gateway is not valid on subnet.');
  return ip.value;
}

/** _validate_subnet's DHCP checks: a subnet Neutron would serve DHCP on needs room for its port, and a unicast range. */
function checkDhcp(cidr: Cidr): void {
  if ((cidr.version === 4 && cidr.prefix > 30) || (cidr.version === 6 && cidr.prefix > 126)) {
    throw invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled.');
  }
  const first = formatIp(cidr.version, cidr.network);
  if (cidr.version === 4 ? /^(22[4-9]|23\d)\./.test(first) : /^ff/i.test(first)) throw invalidInput('Multicast IP subnet is not supported if enable_dhcp is True.');
  // IPv6's only loopback network is ::1/128, refused above for its prefix.
  if (cidr.version === 4 && first.startsWith('127.')) throw invalidInput('Loopback IP subnet is not supported if enable_dhcp is True.');
  if (cidr.version === 4 && cidr.network === 0n) throw invalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.");
}

/**
 * The allocation pools as Neutron's IPAM takes them, in its order: each pool parsed (a bad or backwards one
 * is named as the request gave it), of the subnet's version and inside its usable range, then no two
 * overlapping, then none holding the gateway.
 */
function poolsOf(cidr: Cidr, gateway: bigint | null, value: unknown): Pool[] {
  if (value === undefined) return defaultPools(cidr, gateway ?? undefined);
  const pools = asList('allocation_pools', value).map((p) => asObj('allocation_pools', p));
  const ranges = pools.map((o): { start: bigint; end: bigint; version: number; text: string } => {
    const start = typeof o.start === 'string' ? parseIp(o.start) : undefined;
    const end = typeof o.end === 'string' ? parseIp(o.end) : undefined;
    if (!start || !end || start.version !== end.version || start.value > end.value) {
      throw new NeutronError(400, 'InvalidAllocationPool', `The allocation pool ${pyRepr(o)} is not valid.`);
    }
    return { start: start.value, end: end.value, version: start.version, text: `${formatIp(start.version, start.value)}-${formatIp(end.version, end.value)}` };
  });
  const usable = hostRange(cidr);
  for (const r of ranges) {
    if (r.version !== cidr.version) throw new NeutronError(400, 'InvalidAllocationPool', `The allocation pool ${r.text} is not valid.`);
    if (r.start < usable.first || r.end > usable.last) {
      throw new NeutronError(400, 'OutOfBoundsAllocationPool', `The allocation pool ${r.text} spans beyond the subnet cidr ${formatCidr(cidr)}.`);
    }
  }
  ranges.forEach((left, i) => {
    const right = ranges.slice(i + 1).find((r) => r.start <= left.end && left.start <= r.end);
    if (right) throw new NeutronError(409, 'OverlappingAllocationPools', `Found overlapping allocation pools: ${left.text} ${right.text} for subnet ${formatCidr(cidr)}.`);
  });
  const asPools = ranges.map((r) => ({ start: formatIp(cidr.version, r.start), end: formatIp(cidr.version, r.end) }));
  gatewayConflict(cidr, gateway, asPools);
  return asPools;
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

/** The nameservers attribute (validate_nameservers), then _validate_subnet's limit on their number. */
function nameservers(value: unknown, subnetId: string): string[] {
  const hosts = asList('dns_nameservers', value).map((v) => asString('dns_nameservers', v));
  hosts.forEach((host, i) => {
    if (!parseIp(host)) throw httpBadRequest(`Invalid input for dns_nameservers. Reason: '${host}' is not a valid nameserver. '${host}' is not a valid IP address.`);
    if (hosts.indexOf(host) < i) throw httpBadRequest(`Invalid input for dns_nameservers. Reason: Duplicate nameserver '${host}'.`);
  });
  if (hosts.length > MAX_DNS_NAMESERVERS) {
    throw new NeutronError(400, 'DNSNameServersExhausted', `Unable to complete operation for ${subnetId}. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`);
  }
  return hosts;
}

/** The host_routes attribute (validate_hostroutes), then _validate_subnet's limit on their number. */
function hostRoutes(value: unknown, subnetId: string): Route[] {
  const routes = hostRouteList('host_routes', value);
  if (routes.length > MAX_HOST_ROUTES) {
    throw new NeutronError(400, 'HostRoutesExhausted', `Unable to complete operation for ${subnetId}. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`);
  }
  return routes;
}

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
      // _validate_subnet, then the allocation pools (IPAM), then the other subnets of the network.
      const enableDhcp = opt(body, 'enable_dhcp', asBool, true);
      if (enableDhcp) checkDhcp(cidr);
      // IPv6 subnets default to the subnet-router anycast address (the network address) as gateway.
      const gateway = body.gateway_ip === undefined ? (cidr.version === 6 ? cidr.network : cidr.network + 1n) : gatewayOf(cidr, body.gateway_ip);
      const dns = body.dns_nameservers === undefined ? [] : nameservers(body.dns_nameservers, 'new subnet');
      const routes = body.host_routes === undefined ? [] : hostRoutes(body.host_routes, 'new subnet');
      const pools = poolsOf(cidr, gateway, body.allocation_pools);
      // The IPAM request checks the gateway again, the defaulted one too (the second address of a /31 is its last).
      if (gateway !== null && cidr.version === 4 && (gateway === cidr.network || gateway === lastAddress(cidr))) {
        throw new NeutronError(409, 'IpamValueInvalid', `Gateway IP ${formatIp(4, gateway)} cannot be allocated in CIDR ${normalized}`);
      }
      if (state.subnetsOfNetwork(networkId).some((s) => cidrsOverlap(cidrOf(s), cidr))) {
        throw invalidInput(`Requested subnet with cidr: ${normalized} for network: ${networkId} overlaps with another subnet.`);
      }
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
        enable_dhcp: enableDhcp,
        dns_nameservers: dns,
        host_routes: routes,
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
      if (body.enable_dhcp !== undefined) {
        const enable = asBool('enable_dhcp', body.enable_dhcp);
        if (enable && !subnet.enable_dhcp) checkDhcp(cidr);
        subnet.enable_dhcp = enable;
      }
      if (body.dns_nameservers !== undefined) subnet.dns_nameservers = nameservers(body.dns_nameservers, subnet.id);
      if (body.host_routes !== undefined) subnet.host_routes = hostRoutes(body.host_routes, subnet.id);
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
