// Floating IPs: an address (and a hidden port) on an external network; associate, move and disassociate
// through PUT port_id. Status stays DOWN: there is no L3 agent.
import { parseIp } from '../ip.ts';
import { asString, checkQuota, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import { badRequest, NeutronError } from './errors.ts';
import type { FloatingIp, NeutronState, Obj } from './model.ts';
import { networkNotFound } from './networks.ts';
import { assignFixedIps, newPort, portNotFound } from './ports.ts';
import { floatingIpPolicyRef } from './qos.ts';

export function floatingIps(state: NeutronState): ResourceDef<FloatingIp> {
  /** Points the floating IP at a port (or nowhere), checking reachability through a router as Neutron does. */
  const associate = (caller: Caller, fip: FloatingIp, portValue: unknown, fixedValue: unknown): void => {
    if (portValue === null) {
      fip.port_id = null;
      fip.fixed_ip_address = null;
      fip.router_id = null;
      return;
    }
    const portId = asString('port_id', portValue);
    const port = state.ports.get(portId);
    if (!port || !owns(caller, port)) throw portNotFound(portId);
    let fixed = port.fixed_ips.find((ip) => parseIp(ip.ip_address)?.version === 4);
    if (fixedValue !== undefined && fixedValue !== null) {
      const wanted = asString('fixed_ip_address', fixedValue);
      fixed = port.fixed_ips.find((ip) => ip.ip_address === wanted);
      if (!fixed) throw badRequest('floatingip', `Port ${portId} does not have fixed ip ${wanted}`);
    }
    if (!fixed) throw badRequest('floatingip', `Port ${portId} does not have any IP addresses on it`);
    const taken = [...state.floatingips.values()].find(
      (f) => f.id !== fip.id && f.port_id === portId && f.fixed_ip_address === fixed.ip_address && f.floating_network_id === fip.floating_network_id,
    );
    if (taken) {
      throw new NeutronError(409, 'FloatingIPPortAlreadyAssociated', `Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${portId} using fixed IP ${fixed.ip_address}, as that fixed IP already has a floating IP on external network ${fip.floating_network_id}.`);
    }
    const subnetId = fixed.subnet_id;
    // get_router_for_floatingip: a router with an interface on the port's network, on that very subnet, and
    // its gateway on the floating IP's network; the one whose interface is the subnet's gateway first.
    const gatewayIp = state.subnets.get(subnetId)?.gateway_ip;
    const candidates = [...state.routers.values()].flatMap((r) =>
      r.external_gateway_info?.network_id !== fip.floating_network_id
        ? []
        : state.routerInterfaces(r.id).flatMap((p) => (p.network_id === port.network_id ? p.fixed_ips.filter((f) => f.subnet_id === subnetId).map((f) => ({ router: r, ip: f.ip_address })) : [])),
    );
    const router = (candidates.find((c) => c.ip === gatewayIp) ?? candidates[0])?.router;
    if (!router) {
      throw new NeutronError(404, 'ExternalGatewayForFloatingIPNotFound', `External network ${fip.floating_network_id} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`);
    }
    fip.port_id = portId;
    fip.fixed_ip_address = fixed.ip_address;
    fip.router_id = router.id;
  };

  return {
    path: 'floatingips',
    collection: 'floatingips',
    singular: 'floatingip',
    quota: 'floatingip',
    taggable: true,
    store: state.floatingips,
    notFound: (id) => new NeutronError(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`),
    post: ['floating_network_id', 'floating_ip_address', 'subnet_id', 'port_id', 'fixed_ip_address', 'description', 'dns_domain', 'dns_name', 'qos_policy_id', 'project_id', 'tenant_id'],
    put: ['port_id', 'fixed_ip_address', 'description', 'qos_policy_id'],
    readOnly: ['id', 'status', 'router_id', 'port_details', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: ['floating_network_id'],
    adminOnly: ['floating_ip_address'],
    bumpsOnUpdate: () => true,
    create(caller, body) {
      const networkId = asString('floating_network_id', body.floating_network_id);
      const net = state.networks.get(networkId);
      if (!net) throw networkNotFound(networkId);
      if (!net['router:external']) throw badRequest('floatingip', `Network ${networkId} is not a valid external network`);
      const qosPolicyId = body.qos_policy_id === undefined ? null : floatingIpPolicyRef(state, body.qos_policy_id);
      const projectId = projectOf(caller, body, 'create_floatingip');
      checkQuota(state, projectId, 'floatingip');
      const want: Obj = {};
      if (body.subnet_id !== undefined) want.subnet_id = asString('subnet_id', body.subnet_id);
      if (body.floating_ip_address !== undefined) want.ip_address = asString('floating_ip_address', body.floating_ip_address);
      const requested = Object.keys(want).length > 0 ? [want] : state.subnetsOfNetwork(networkId).some((s) => s.ip_version === 4) ? undefined : [];
      const fixedIps = assignFixedIps(state, net, requested);
      const address = fixedIps.find((ip) => parseIp(ip.ip_address)?.version === 4) ?? fixedIps[0];
      if (!address) throw new NeutronError(400, 'ExternalIpAddressExhausted', `Unable to find any IP address on external network ${networkId}.`);
      const fip: FloatingIp = {
        // A policy's binding, written after the floating IP, revises it.
        ...state.standard(projectId, opt(body, 'description', asString, ''), qosPolicyId === null ? 0 : 1),
        floating_network_id: networkId,
        floating_ip_address: address.ip_address,
        fixed_ip_address: null,
        port_id: null,
        router_id: null,
        status: 'DOWN',
        qos_policy_id: qosPolicyId,
        dns_domain: opt(body, 'dns_domain', asString, ''),
        dns_name: opt(body, 'dns_name', asString, ''),
        tags: [],
      };
      if (body.port_id !== undefined && body.port_id !== null) associate(caller, fip, body.port_id, body.fixed_ip_address);
      newPort(state, { project_id: '', tenant_id: '', network_id: networkId, device_id: fip.id, device_owner: 'network:floatingip', fixed_ips: [address], port_security_enabled: false });
      state.floatingips.set(fip.id, fip);
      return fip;
    },
    update(caller, fip, body) {
      if (body.qos_policy_id !== undefined) fip.qos_policy_id = floatingIpPolicyRef(state, body.qos_policy_id);
      if (body.description !== undefined) fip.description = asString('description', body.description);
      if (body.port_id !== undefined) associate(caller, fip, body.port_id, body.fixed_ip_address);
      else if (body.fixed_ip_address !== undefined && fip.port_id !== null) associate(caller, fip, fip.port_id, body.fixed_ip_address);
    },
    remove(_caller, fip) {
      for (const port of [...state.ports.values()]) if (port.device_owner === 'network:floatingip' && port.device_id === fip.id) state.ports.delete(port.id);
      state.floatingips.delete(fip.id);
    },
    visible: owns,
    render(_caller, fip) {
      const port = fip.port_id ? state.ports.get(fip.port_id) : undefined;
      const details = port
        ? { name: port.name, network_id: port.network_id, mac_address: port.mac_address, admin_state_up: port.admin_state_up, status: port.status, device_id: port.device_id, device_owner: port.device_owner }
        : null;
      return { ...fip, port_details: details };
    },
  };
}
