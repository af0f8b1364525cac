// Ports: fixed IPs from the subnets' pools, a fa:16:3e MAC, the project's default security group; DOWN without agents.
import { lastAddress, parseCidr, parseIp } from '../ip.ts';
import { asBool, asList, asObj, asString, checkQuota, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import { attributeCheck, ipAllocated, ipExhausted, NeutronError, policyDenied } from './errors.ts';
import { addressIn, allocate, eui64, isAutoAddressed, usedIps } from './ipam.ts';
import type { FixedIp, Network, NeutronState, Obj, Port, Subnet } from './model.ts';
import { networkNotFound, networkVisible } from './networks.ts';
import { checkPortPolicy, qosPolicyRef } from './qos.ts';
import { ensureDefaultSecurityGroup } from './security-groups.ts';

export const portNotFound = (id: string): NeutronError => new NeutronError(404, 'PortNotFound', `Port ${id} could not be found.`);

/** Ports Neutron itself owns (router legs, floating IPs): the port API may not delete them. */
/**
 * Neutron's default [DEFAULT] dns_domain. With it the dns extension ignores a port's dns_name (it stays "")
 * and names every address host-<address>.
 */
const DNS_DOMAIN = 'openstacklocal.';

const L3_OWNERS = ['network:router_interface', 'network:router_gateway', 'network:floatingip', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'];

/**
 * Resolves requested fixed IPs (or Neutron's default: one address from an IPv4 subnet, one from a stateful
 * IPv6 subnet, and one per SLAAC/DHCPv6-stateless subnet) to concrete addresses. `keep` are addresses the port already holds, which do not count as taken.
 */
export function assignFixedIps(state: NeutronState, net: Network, requested: unknown, keep: FixedIp[] = [], mac?: string): FixedIp[] {
  const subnets = state.subnetsOfNetwork(net.id);
  const taken = new Map<string, Set<string>>();
  const takenOn = (subnetId: string): Set<string> => {
    let set = taken.get(subnetId);
    if (!set) {
      set = usedIps(state, subnetId);
      for (const k of keep) if (k.subnet_id === subnetId) set.delete(k.ip_address);
      taken.set(subnetId, set);
    }
    return set;
  };
  const firstFree = (subnetId: string): string | undefined => {
    const subnet = state.subnets.get(subnetId);
    if (subnet && mac && isAutoAddressed(subnet)) return eui64(subnet, mac);
    return subnet && allocate(subnet, takenOn(subnetId), state.random);
  };
  const pick = (subnetId: string): string => {
    const kept = keep.find((k) => k.subnet_id === subnetId);
    if (kept) return kept.ip_address;
    const free = firstFree(subnetId);
    if (!free) throw ipExhausted(net.id);
    return free;
  };

  const out: FixedIp[] = [];
  const claim = (subnetId: string, ip: string): void => {
    takenOn(subnetId).add(ip);
    out.push({ subnet_id: subnetId, ip_address: ip });
  };
  if (requested === undefined) {
    const hasRoom = (s: Subnet): boolean => keep.some((k) => k.subnet_id === s.id) || firstFree(s.id) !== undefined;
    for (const pool of [subnets.filter((s) => s.ip_version === 4), subnets.filter((s) => s.ip_version === 6 && !isAutoAddressed(s))]) {
      const chosen = pool.find(hasRoom) ?? pool[0];
      if (chosen) claim(chosen.id, pick(chosen.id));
    }
    for (const s of subnets.filter(isAutoAddressed)) claim(s.id, pick(s.id));
    return out;
  }
  const entries = asList('fixed_ips', requested);
  // Neutron looks for the network's subnets before it reads any entry.
  if (entries.length > 0 && subnets.length === 0) throw new NeutronError(400, 'InvalidInput', 'Invalid input for operation: IP allocation requires subnets for network.');
  for (const entry of entries) {
    const e = asObj('fixed_ips', entry);
    const subnetId = e.subnet_id === undefined ? undefined : asString('fixed_ips', e.subnet_id);
    const ipText = e.ip_address === undefined ? undefined : asString('fixed_ips', e.ip_address);
    let subnet = subnetId === undefined ? undefined : subnets.find((s) => s.id === subnetId);
    if (subnetId !== undefined && !subnet) {
      throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: Failed to create port on network ${net.id}, because fixed_ips included invalid subnet ${subnetId}.`);
    }
    if (ipText === undefined) {
      if (!subnet) throw new NeutronError(400, 'InvalidInput', 'Invalid input for operation: IP allocation requires subnet_id or ip_address.');
      claim(subnet.id, pick(subnet.id));
      continue;
    }
    if (!subnet) {
      subnet = subnets.find((s) => hostAddressIn(s, ipText) !== undefined);
      if (!subnet) throw new NeutronError(400, 'InvalidIpForNetwork', `IP address ${ipText} is not a valid IP for any of the subnets on the specified network.`);
    }
    const ip = hostAddressIn(subnet, ipText);
    if (!ip) throw new NeutronError(400, 'InvalidIpForSubnet', `IP address ${ipText} is not a valid IP for the specified subnet.`);
    if (takenOn(subnet.id).has(ip)) throw ipAllocated(ip, subnet.id);
    claim(subnet.id, ip);
  }
  return out;
}

/** check_subnet_ip: an address of the subnet that a port may have, which in IPv4 is neither the network nor the broadcast address. */
function hostAddressIn(subnet: Subnet, text: string): string | undefined {
  const ip = addressIn(subnet, text);
  const cidr = parseCidr(subnet.cidr);
  if (ip === undefined || !cidr || cidr.version !== 4) return ip;
  const value = parseIp(ip)!.value;
  return value === cidr.network || value === lastAddress(cidr) ? undefined : ip;
}

/** The dns extension's name for an address (see DNS_DOMAIN). */
function dnsAssignment(ip: string): { ip_address: string; hostname: string; fqdn: string } {
  const hostname = `host-${ip.replace(/[.:]/g, '-')}`;
  return { ip_address: ip, hostname, fqdn: `${hostname}.${DNS_DOMAIN}` };
}

/** A port as Neutron creates it, with defaults for everything not given. */
export function newPort(state: NeutronState, fields: Partial<Port> & { project_id: string; network_id: string }): Port {
  const port: Port = {
    ...state.standard(fields.project_id),
    name: '',
    admin_state_up: true,
    mac_address: state.nextMac(),
    fixed_ips: [],
    device_id: '',
    device_owner: '',
    status: 'DOWN',
    security_groups: [],
    allowed_address_pairs: [],
    port_security_enabled: true,
    extra_dhcp_opts: [],
    'binding:host_id': '',
    'binding:vif_type': 'unbound',
    'binding:vif_details': {},
    'binding:profile': {},
    'binding:vnic_type': 'normal',
    dns_name: '',
    qos_policy_id: null,
    qos_network_policy_id: null,
    resource_request: null,
    tags: [],
    ...fields,
  };
  state.ports.set(port.id, port);
  return port;
}

export function ports(state: NeutronState): ResourceDef<Port> {
  const securityGroupsOf = (caller: Caller, projectId: string, value: unknown): string[] =>
    asList('security_groups', value).map((v) => {
      const id = asString('security_groups', v);
      const sg = state.security_groups.get(id);
      if (!sg || !(owns(caller, sg) || sg.project_id === projectId)) throw new NeutronError(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);
      return id;
    });
  const pairsOf = (value: unknown, mac: string): { ip_address: string; mac_address: string }[] => {
    const given = asList('allowed_address_pairs', value).map((v) => {
      const o = asObj('allowed_address_pairs', v);
      return { ip: asString('allowed_address_pairs', o.ip_address), mac: o.mac_address === undefined ? undefined : asString('allowed_address_pairs', o.mac_address) };
    });
    // Pairs as given are unique: the same address with no MAC twice is a duplicate, even though both would take the port's.
    given.forEach((pair, i) => {
      if (given.findIndex((p) => p.ip === pair.ip && p.mac === pair.mac) < i) {
        throw new NeutronError(400, 'DuplicateAddressPairInRequest', `Request contains duplicate address pair: mac_address ${pair.mac ?? 'None'} ip_address ${pair.ip}.`);
      }
    });
    return given.map((pair) => ({ ip_address: pair.ip, mac_address: pair.mac ?? mac }));
  };
  const macOf = (net: Network, value: unknown, self?: string): string => {
    const mac = asString('mac_address', value).toLowerCase();
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) throw new NeutronError(400, 'HTTPBadRequest', `Invalid input for mac_address. Reason: '${mac}' is not a valid MAC address.`);
    if (state.portsOnNetwork(net.id).some((p) => p.mac_address === mac && p.id !== self)) {
      throw new NeutronError(409, 'MacAddressInUse', `Unable to complete operation for network ${net.id}. The mac address ${mac} is in use.`);
    }
    return mac;
  };
  const isAutoAddressedSubnet = (id: string): boolean => {
    const subnet = state.subnets.get(id);
    return subnet !== undefined && isAutoAddressed(subnet);
  };
  const requireSecurity = (port: Port): void => {
    if (!port.port_security_enabled && port.allowed_address_pairs.length > 0) {
      throw new NeutronError(409, 'AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
    }
    if (!port.port_security_enabled && port.security_groups.length > 0) {
      throw new NeutronError(409, 'PortSecurityAndIPRequiredForSecurityGroups', 'Port security must be enabled and port must have an IP address in order to use security groups.');
    }
  };
  const checkIpPolicy = (caller: Caller, net: Network, value: unknown, action: string): void => {
    if (caller.isAdmin || net.project_id === caller.projectId || value === undefined) return;
    if (asList('fixed_ips', value).some((e) => asObj('fixed_ips', e).ip_address !== undefined)) throw policyDenied(action, [attributeCheck(action, 'fixed_ips', ['ip_address'])]);
  };
  return {
    path: 'ports',
    collection: 'ports',
    singular: 'port',
    quota: 'port',
    taggable: true,
    store: state.ports,
    notFound: portNotFound,
    post: ['name', 'description', 'network_id', 'admin_state_up', 'mac_address', 'fixed_ips', 'device_id', 'device_owner', 'security_groups', 'allowed_address_pairs', 'port_security_enabled', 'extra_dhcp_opts', 'binding:host_id', 'binding:profile', 'binding:vnic_type', 'qos_policy_id', 'dns_name', 'project_id', 'tenant_id'],
    put: ['name', 'description', 'admin_state_up', 'mac_address', 'fixed_ips', 'device_id', 'device_owner', 'security_groups', 'allowed_address_pairs', 'port_security_enabled', 'extra_dhcp_opts', 'binding:host_id', 'binding:profile', 'binding:vnic_type', 'qos_policy_id', 'dns_name'],
    readOnly: ['id', 'status', 'binding:vif_type', 'binding:vif_details', 'dns_assignment', 'qos_network_policy_id', 'resource_request', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: ['network_id'],
    adminOnly: ['binding:host_id', 'binding:profile'],
    defaults: { 'binding:host_id': '', 'binding:profile': {} },
    create(caller, body) {
      const networkId = asString('network_id', body.network_id);
      const net = state.networks.get(networkId);
      if (!net || !networkVisible(caller, net)) throw networkNotFound(networkId);
      // A member sees an external network but may not plug into it (unless it is also shared).
      if (!caller.isAdmin && net.project_id !== caller.projectId && !net.shared) {
        throw new NeutronError(403, 'HTTPForbidden', `Tenant ${caller.projectId} not allowed to create port on this network`);
      }
      if (body.mac_address !== undefined && !caller.isAdmin && net.project_id !== caller.projectId) throw policyDenied('create_port', [attributeCheck('create_port', 'mac_address')]);
      checkIpPolicy(caller, net, body.fixed_ips, 'create_port');
      const projectId = projectOf(caller, body, 'create_port');
      checkQuota(state, projectId, 'port');
      const security = opt(body, 'port_security_enabled', asBool, net.port_security_enabled);
      const mac = body.mac_address === undefined ? state.nextMac() : macOf(net, body.mac_address);
      const fixedIps = assignFixedIps(state, net, body.fixed_ips, [], mac);
      const groups = body.security_groups === undefined ? (security ? [ensureDefaultSecurityGroup(state, projectId).id] : []) : securityGroupsOf(caller, projectId, body.security_groups);
      const pairs = body.allowed_address_pairs === undefined ? [] : pairsOf(body.allowed_address_pairs, mac);
      requireSecurity({ port_security_enabled: security, security_groups: groups, allowed_address_pairs: pairs } as Port);
      const port = newPort(state, {
        project_id: projectId,
        tenant_id: projectId,
        network_id: networkId,
        description: opt(body, 'description', asString, ''),
        name: opt(body, 'name', asString, ''),
        admin_state_up: opt(body, 'admin_state_up', asBool, true),
        mac_address: mac,
        fixed_ips: fixedIps,
        device_id: opt(body, 'device_id', asString, ''),
        device_owner: opt(body, 'device_owner', asString, ''),
        security_groups: groups,
        allowed_address_pairs: pairs,
        port_security_enabled: security,
        'binding:vnic_type': opt(body, 'binding:vnic_type', asString, 'normal'),
        'binding:host_id': opt(body, 'binding:host_id', asString, ''),
        qos_policy_id: body.qos_policy_id === undefined ? null : qosPolicyRef(state, caller, body.qos_policy_id),
      });
      // Neutron checks the policy's rules against the port it has just written, and rolls the port back.
      try {
        checkPortPolicy(state, port);
      } catch (err) {
        state.ports.delete(port.id);
        throw err;
      }
      return port;
    },
    update(caller, port, body) {
      const net = state.networks.get(port.network_id);
      if (!net) throw networkNotFound(port.network_id);
      checkIpPolicy(caller, net, body.fixed_ips, 'update_port');
      if (body.name !== undefined) port.name = asString('name', body.name);
      if (body.description !== undefined) port.description = asString('description', body.description);
      if (body.admin_state_up !== undefined) port.admin_state_up = asBool('admin_state_up', body.admin_state_up);
      if (body.mac_address !== undefined) port.mac_address = macOf(net, body.mac_address, port.id);
      if (body.fixed_ips !== undefined) {
        const fixedIps = assignFixedIps(state, net, body.fixed_ips, port.fixed_ips, port.mac_address);
        // Addresses of SLAAC/DHCPv6-stateless subnets stay: Neutron does not let an update drop them.
        const auto = port.fixed_ips.filter((ip) => !fixedIps.some((f) => f.subnet_id === ip.subnet_id) && isAutoAddressedSubnet(ip.subnet_id));
        port.fixed_ips = [...fixedIps, ...auto];
      }
      if (body.device_id !== undefined) port.device_id = asString('device_id', body.device_id);
      if (body.device_owner !== undefined) port.device_owner = asString('device_owner', body.device_owner);
      if (body.port_security_enabled !== undefined) port.port_security_enabled = asBool('port_security_enabled', body.port_security_enabled);
      if (body.security_groups !== undefined) port.security_groups = securityGroupsOf(caller, port.project_id, body.security_groups);
      if (body.allowed_address_pairs !== undefined) port.allowed_address_pairs = pairsOf(body.allowed_address_pairs, port.mac_address);
      requireSecurity(port);
      if (body.dns_name !== undefined) asString('dns_name', body.dns_name); // accepted, ignored: see DNS_DOMAIN
      if (body['binding:host_id'] !== undefined) port['binding:host_id'] = asString('binding:host_id', body['binding:host_id']);
      if (body['binding:vnic_type'] !== undefined) port['binding:vnic_type'] = asString('binding:vnic_type', body['binding:vnic_type']);
      if (body.qos_policy_id !== undefined) {
        const policyId = qosPolicyRef(state, caller, body.qos_policy_id, port.qos_policy_id);
        const changed = policyId !== port.qos_policy_id;
        port.qos_policy_id = policyId;
        if (changed) checkPortPolicy(state, port);
      }
    },
    remove(_caller, port) {
      if (L3_OWNERS.includes(port.device_owner)) {
        throw new NeutronError(409, 'ServicePortInUse', `Port ${port.id} cannot be deleted directly via the port API: has device owner ${port.device_owner}.`);
      }
      for (const fip of state.floatingips.values()) {
        if (fip.port_id === port.id) {
          fip.port_id = null;
          fip.fixed_ip_address = null;
          fip.router_id = null;
          state.bump(fip);
        }
      }
      state.ports.delete(port.id);
    },
    visible: owns,
    render(caller, port) {
      const out: Obj = {
        ...port,
        dns_assignment: port.fixed_ips.map((ip) => dnsAssignment(ip.ip_address)),
        qos_network_policy_id: state.networks.get(port.network_id)?.qos_policy_id ?? null,
      };
      if (!caller.isAdmin) for (const key of ['binding:host_id', 'binding:profile', 'binding:vif_details', 'binding:vif_type', 'resource_request']) delete out[key];
      return out;
    },
    filters: {
      // fixed_ips=subnet_id=X / fixed_ips=ip_address=Y (repeated: all must hold, as in Neutron).
      fixed_ips: (rendered, values) => {
        const ips = rendered.fixed_ips as FixedIp[];
        return values.every((v) => {
          const [key, want] = v.split('=', 2);
          if (key === 'ip_address_substr') return ips.some((ip) => ip.ip_address.includes(want ?? ''));
          return ips.some((ip) => (key === 'subnet_id' ? ip.subnet_id : ip.ip_address) === want);
        });
      },
    },
  };
}
