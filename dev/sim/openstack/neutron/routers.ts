// Routers: external gateway (a hidden gateway port on the external network), interfaces, extra routes.
import { cidrContains, cidrsOverlap, parseCidr, parseIp } from '../ip.ts';
import { asBool, asObj, asString, checkQuota, hostRouteList, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import { attributeCheck, badRequest, NeutronError, policyDenied } from './errors.ts';
import { addressIn } from './ipam.ts';
import type { GatewayInfo, NeutronState, Obj, Port, Route, Router, Subnet } from './model.ts';
import { availabilityZoneHints, networkNotFound } from './networks.ts';
import { assignFixedIps, newPort, portNotFound } from './ports.ts';

export const routerNotFound = (id: string): NeutronError => new NeutronError(404, 'RouterNotFound', `Router ${id} could not be found.`);
/** Neutron's max_routes default. */
const MAX_ROUTES = 30;
const pyRoutes = (routes: Route[]): string => `[${routes.map((r) => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`).join(', ')}]`;

export function routers(state: NeutronState): ResourceDef<Router> {
  const gatewayPort = (router: Router): Port | undefined =>
    [...state.ports.values()].find((p) => p.device_id === router.id && p.device_owner === 'network:router_gateway');

  /** Sets or clears the gateway. Neutron writes the router several times: two revisions to set one, three to clear. */
  const setGateway = (caller: Caller, router: Router, value: unknown, action: string): void => {
    const bump = (times: number): void => {
      for (let i = 0; i < times; i++) state.bump(router);
    };
    const info = value === null ? {} : asObj('external_gateway_info', value);
    if (!caller.isAdmin && (info.enable_snat !== undefined || info.external_fixed_ips !== undefined)) {
      const present = ['network_id', 'enable_snat', 'external_fixed_ips'].filter((k) => info[k] !== undefined);
      throw policyDenied(action, [attributeCheck(action, 'external_gateway_info', present)]);
    }
    const old = gatewayPort(router);
    if (info.network_id === undefined) {
      if (old) {
        const net = old.network_id;
        if ([...state.floatingips.values()].some((f) => f.router_id === router.id)) {
          throw new NeutronError(409, 'RouterExternalGatewayInUseByFloatingIp', `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${net} is required by one or more floating IPs.`);
        }
        state.ports.delete(old.id);
        bump(3);
      }
      router.external_gateway_info = null;
      return;
    }
    const networkId = asString('network_id', info.network_id);
    const net = state.networks.get(networkId);
    if (!net) throw networkNotFound(networkId);
    if (!net['router:external']) throw badRequest('router', `Network ${networkId} is not an external network`);
    const enableSnat = opt(info, 'enable_snat', asBool, true);
    if (old && old.network_id === networkId && info.external_fixed_ips === undefined) {
      router.external_gateway_info = { network_id: networkId, enable_snat: enableSnat, external_fixed_ips: old.fixed_ips };
      return;
    }
    if (old) state.ports.delete(old.id);
    const fixedIps = assignFixedIps(state, net, info.external_fixed_ips);
    newPort(state, { project_id: '', tenant_id: '', network_id: networkId, device_id: router.id, device_owner: 'network:router_gateway', fixed_ips: fixedIps, port_security_enabled: false });
    const gw: GatewayInfo = { network_id: networkId, enable_snat: enableSnat, external_fixed_ips: fixedIps };
    router.external_gateway_info = gw;
    bump(2);
  };

  /** The routes attribute (validate_hostroutes), then _validate_routes: how many, and each nexthop on a router port's subnet but not its address. */
  const routesOf = (router: Router, value: unknown): Route[] => {
    const routes = hostRouteList('routes', value);
    if (routes.length > MAX_ROUTES) throw new NeutronError(400, 'RoutesExhausted', `Unable to complete operation for ${router.id}. The number of routes exceeds the maximum ${MAX_ROUTES}.`);
    const invalid = (reason: string): NeutronError => new NeutronError(400, 'InvalidRoutes', `Invalid format for routes: ${pyRoutes(routes)}, ${reason}`);
    const ports = [...state.ports.values()].filter((p) => p.device_id === router.id);
    const addresses = ports.flatMap((p) => p.fixed_ips);
    for (const route of routes) {
      const hop = parseIp(route.nexthop)!;
      const connected = addresses.some((ip) => {
        const cidr = parseCidr(state.subnets.get(ip.subnet_id)?.cidr ?? '');
        return cidr && cidrContains(cidr, hop.version, hop.value);
      });
      if (!connected) throw invalid('the nexthop is not connected with router');
      if (addresses.some((ip) => parseIp(ip.ip_address)?.value === hop.value)) throw invalid('the nexthop is used by router');
    }
    return routes;
  };

  return {
    path: 'routers',
    collection: 'routers',
    singular: 'router',
    quota: 'router',
    taggable: true,
    store: state.routers,
    notFound: routerNotFound,
    post: ['name', 'description', 'admin_state_up', 'external_gateway_info', 'availability_zone_hints', 'flavor_id', 'distributed', 'ha', 'project_id', 'tenant_id'],
    put: ['name', 'description', 'admin_state_up', 'external_gateway_info', 'routes', 'distributed', 'ha'],
    readOnly: ['id', 'status', 'routes', 'availability_zones', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: [],
    adminOnly: ['distributed', 'ha'],
    // Only the router's own columns bump on any write; gateway and routes bump when (and as) they change.
    bumpsOnUpdate: (body) => ['name', 'description', 'admin_state_up', 'distributed', 'ha'].some((k) => body[k] !== undefined),
    create(caller, body) {
      const projectId = projectOf(caller, body, 'create_router');
      checkQuota(state, projectId, 'router');
      const router: Router = {
        ...state.standard(projectId, opt(body, 'description', asString, '')),
        name: opt(body, 'name', asString, ''),
        admin_state_up: opt(body, 'admin_state_up', asBool, true),
        status: 'ACTIVE',
        external_gateway_info: null,
        routes: [],
        availability_zone_hints: opt(body, 'availability_zone_hints', (_attr, v) => availabilityZoneHints(v), []),
        availability_zones: [],
        flavor_id: null,
        distributed: opt(body, 'distributed', asBool, false),
        ha: opt(body, 'ha', asBool, false),
        tags: [],
      };
      if (body.external_gateway_info !== undefined) setGateway(caller, router, body.external_gateway_info, 'create_router');
      state.routers.set(router.id, router);
      return router;
    },
    update(caller, router, body) {
      if (body.name !== undefined) router.name = asString('name', body.name);
      if (body.description !== undefined) router.description = asString('description', body.description);
      if (body.admin_state_up !== undefined) router.admin_state_up = asBool('admin_state_up', body.admin_state_up);
      if (body.external_gateway_info !== undefined) setGateway(caller, router, body.external_gateway_info, 'update_router');
      if (body.routes !== undefined) {
        const routes = body.routes === null ? [] : routesOf(router, body.routes);
        // Routes live in their own table; changing them writes the router once more.
        if (JSON.stringify(routes) !== JSON.stringify(router.routes)) state.bump(router);
        router.routes = routes;
      }
    },
    remove(_caller, router) {
      const attached = state.routerInterfaces(router.id);
      if (attached.length > 0) {
        throw new NeutronError(409, 'RouterInUse', `Router ${router.id} has ports still attached: ${attached.map((p) => p.id).join(', ')}`);
      }
      if ([...state.floatingips.values()].some((f) => f.router_id === router.id)) {
        throw new NeutronError(409, 'RouterInUse', `Router ${router.id} still has floating IPs associated`);
      }
      const gw = gatewayPort(router);
      if (gw) state.ports.delete(gw.id);
      state.routers.delete(router.id);
    },
    visible: owns,
    render(caller, router) {
      const out: Obj = structuredClone(router) as Obj;
      if (!caller.isAdmin) {
        delete out.distributed;
        delete out.ha;
      }
      return out;
    },
  };
}

/**
 * _check_for_dup_router_subnets: a new interface's subnet is not one the router has a port on already, and
 * overlaps none of them (the gateway counts with every subnet of the external network).
 */
function checkRouterSubnets(state: NeutronState, router: Router, subnet: Subnet): void {
  const theirs: Subnet[] = [];
  for (const port of state.ports.values()) {
    if (port.device_id !== router.id) continue;
    for (const ip of port.fixed_ips) {
      if (ip.subnet_id === subnet.id) throw badRequest('router', `Router already has a port on subnet ${subnet.id}`);
      if (port.device_owner === 'network:router_gateway') theirs.push(...state.subnetsOfNetwork(port.network_id));
      else theirs.push(...[state.subnets.get(ip.subnet_id)].filter((s) => s !== undefined));
    }
  }
  const cidr = parseCidr(subnet.cidr)!;
  const other = theirs.find((s) => cidrsOverlap(parseCidr(s.cidr)!, cidr));
  if (other) throw badRequest('router', `Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${other.cidr} of subnet ${other.id}`);
}

/** The body of add/remove_router_interface answers. */
const interfaceInfo = (router: Router, port: Port): Obj => {
  const subnetIds = port.fixed_ips.map((ip) => ip.subnet_id);
  return { id: router.id, tenant_id: router.project_id, port_id: port.id, network_id: port.network_id, subnet_id: subnetIds[0] ?? null, subnet_ids: subnetIds };
};

export function addRouterInterface(state: NeutronState, caller: Caller, router: Router, body: Obj): Obj {
  if (body.subnet_id !== undefined && body.port_id !== undefined) throw badRequest('router', 'Cannot specify both subnet-id and port-id');
  let port: Port;
  if (body.port_id !== undefined) {
    const portId = asString('port_id', body.port_id);
    const found = state.ports.get(portId);
    if (!found || !owns(caller, found)) throw portNotFound(portId);
    if (found.device_id !== '' || found.device_owner !== '') {
      throw new NeutronError(409, 'PortInUse', `Unable to complete operation on port ${portId} for network ${found.network_id}. Port already has an attached device ${found.device_id}.`);
    }
    if (found.fixed_ips.length === 0) throw badRequest('router', `Router port must have at least one fixed IP`);
    for (const ip of found.fixed_ips) {
      const subnet = state.subnets.get(ip.subnet_id);
      if (subnet) checkRouterSubnets(state, router, subnet);
    }
    found.device_id = router.id;
    found.device_owner = 'network:router_interface';
    state.bump(found);
    port = found;
  } else if (body.subnet_id !== undefined) {
    const subnetId = asString('subnet_id', body.subnet_id);
    const subnet = state.subnets.get(subnetId);
    const net = subnet && state.networks.get(subnet.network_id);
    if (!subnet || !net || !(owns(caller, subnet) || net.shared)) throw new NeutronError(404, 'SubnetNotFound', `Subnet ${subnetId} could not be found.`);
    checkRouterSubnets(state, router, subnet);
    if (subnet.gateway_ip === null) throw badRequest('router', `Subnet for router interface must have a gateway IP`);
    const fixedIps = assignFixedIps(state, net, [{ subnet_id: subnetId, ip_address: addressIn(subnet, subnet.gateway_ip) ?? subnet.gateway_ip }]);
    port = newPort(state, { project_id: router.project_id, tenant_id: router.project_id, network_id: net.id, device_id: router.id, device_owner: 'network:router_interface', fixed_ips: fixedIps, port_security_enabled: false });
    state.bump(port); // Neutron creates the port, then binds it to the router
  } else {
    throw badRequest('router', 'Either subnet_id or port_id must be specified');
  }
  state.bump(router);
  return interfaceInfo(router, port);
}

export function removeRouterInterface(state: NeutronState, _caller: Caller, router: Router, body: Obj): Obj {
  const interfaces = state.routerInterfaces(router.id);
  let port: Port | undefined;
  if (body.port_id !== undefined) {
    const portId = asString('port_id', body.port_id);
    port = interfaces.find((p) => p.id === portId);
    if (!port) throw new NeutronError(404, 'RouterInterfaceNotFound', `Router ${router.id} does not have an interface with id ${portId}`);
  } else if (body.subnet_id !== undefined) {
    const subnetId = asString('subnet_id', body.subnet_id);
    if (!state.subnets.has(subnetId)) throw new NeutronError(404, 'SubnetNotFound', `Subnet ${subnetId} could not be found.`);
    port = interfaces.find((p) => p.fixed_ips.some((ip) => ip.subnet_id === subnetId));
    if (!port) throw new NeutronError(404, 'RouterInterfaceNotFoundForSubnet', `Router ${router.id} has no interface on subnet ${subnetId}`);
  } else {
    throw badRequest('router', 'Either subnet_id or port_id must be specified');
  }
  for (const ip of port.fixed_ips) {
    const subnet = state.subnets.get(ip.subnet_id);
    const cidr = subnet && parseCidr(subnet.cidr);
    const routed = router.routes.some((r) => {
      const hop = parseIp(r.nexthop);
      return cidr && hop && cidrContains(cidr, hop.version, hop.value);
    });
    if (routed) {
      throw new NeutronError(409, 'RouterInterfaceInUseByRoute', `Router interface for subnet ${ip.subnet_id} on router ${router.id} cannot be deleted, as it is required by one or more routes.`);
    }
    const used = [...state.floatingips.values()].some((f) => {
      const fixed = f.router_id === router.id && f.fixed_ip_address ? parseIp(f.fixed_ip_address) : undefined;
      return cidr && fixed && cidrContains(cidr, fixed.version, fixed.value);
    });
    if (used) {
      throw new NeutronError(409, 'RouterInterfaceInUseByFloatingIP', `Router interface for subnet ${ip.subnet_id} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`);
    }
  }
  const info = interfaceInfo(router, port);
  state.ports.delete(port.id);
  state.bump(router);
  return info;
}
