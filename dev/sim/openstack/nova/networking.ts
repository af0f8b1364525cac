// A server's networking, done in the simulated Neutron as Nova does it: requested networks checked by the
// API, ports created (or the user's ports bound) when the build leaves scheduling, Nova's ports deleted and
// the user's unbound when the server goes, interfaces attached and detached; addresses read back from Neutron.
import type { AuthContext } from '../keystone.ts';
import type { Neutron } from '../neutron/api.ts';
import type { ResourceDef } from '../neutron/core.ts';
import { NeutronError } from '../neutron/errors.ts';
import { addressIn } from '../neutron/ipam.ts';
import type { Network, Port } from '../neutron/model.ts';
import { networkVisible } from '../neutron/networks.ts';
import { ensureDefaultSecurityGroup } from '../neutron/security-groups.ts';
import { badRequest, conflict, itemNotFound, unexpected } from './errors.ts';
import type { PlannedPort, Server, ServerPort } from './model.ts';

/** The simulator's one compute host, named as the real tier's. */
export const COMPUTE_HOST = 'e2e-compute';
/** What the real tier's ML2 driver ("e2e") reports for the ports it binds. */
const VIF = { type: 'ovs', details: { port_filter: true, bound_drivers: { '0': 'e2e' } } };

export type NetworkRequest = { uuid?: string; port?: string | null; fixed_ip?: string };

/** A build that cannot get its networks: the server goes to ERROR with this message. */
export class BuildFailure extends Error {}

type NovaAddress = { version: 4 | 6; addr: string; 'OS-EXT-IPS:type': 'fixed' | 'floating'; 'OS-EXT-IPS-MAC:mac_addr': string };

export class ServerNetworking {
  readonly #neutron: Neutron;
  readonly #ports: ResourceDef<Port>;
  /** Ports named in create requests of servers still scheduling: in use, although not bound yet. */
  readonly #claimed: () => Set<string>;

  constructor(neutron: Neutron, claimed: () => Set<string>) {
    this.#neutron = neutron;
    const ports = neutron.resources.find((d) => d.path === 'ports');
    if (!ports) throw new Error('the simulated Neutron has no ports');
    this.#ports = ports as unknown as ResourceDef<Port>;
    this.#claimed = claimed;
  }

  get #state(): Neutron['state'] {
    return this.#neutron.state;
  }

  /**
   * The API's checks of a create request's networks (nova.network.neutron's _ports_needed_per_instance): each
   * port (found, free, with an address) and requested address (free) in turn, then the networks named (any
   * without a subnet, then any not found). None named (2.1 without `networks`, `[]`, or "auto"): the project's
   * only network, if it has one.
   */
  plan(caller: AuthContext, requested: NetworkRequest[] | 'auto' | 'none' | undefined): PlannedPort[] {
    if (requested === 'none') return [];
    if (requested === undefined || requested === 'auto' || requested.length === 0) {
      const available = this.#availableNetworks(caller);
      if (available.length > 1) throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
      const only = available[0];
      if (!only) {
        if (requested === 'auto') throw badRequest(`Unable to automatically allocate a network for project ${caller.projectId}`);
        return [];
      }
      requested = [{ uuid: only.id }];
    }
    const planned = requested.map((r): PlannedPort => {
      if (r.port) {
        if (r.fixed_ip !== undefined) throw badRequest(`Specified Fixed IP '${r.fixed_ip}' cannot be used with port '${r.port}': the two cannot be specified together.`);
        const port = this.#visiblePort(caller, r.port);
        if (!port) throw badRequest(`Port id ${r.port} could not be found.`);
        this.#checkFree(port);
        if (port.fixed_ips.length === 0) throw badRequest(`Port ${port.id} requires a FixedIP in order to be used.`);
        return { portId: port.id };
      }
      const networkId = r.uuid ?? '';
      if (r.fixed_ip !== undefined) {
        const holder = this.#state.portsOnNetwork(networkId).find((p) => p.fixed_ips.some((ip) => ip.ip_address === r.fixed_ip));
        if (holder) throw badRequest(`Fixed IP address ${r.fixed_ip} is already in use on instance ${holder.device_id}.`);
      }
      return r.fixed_ip === undefined ? { networkId } : { networkId, fixedIp: r.fixed_ip };
    });
    const networkIds = [...new Set(planned.flatMap((p) => ('networkId' in p ? [p.networkId] : [])))];
    const found = networkIds.flatMap((id) => {
      const net = this.#state.networks.get(id);
      return net && networkVisible(caller, net) ? [net] : [];
    });
    const bare = found.find((net) => this.#state.subnetsOfNetwork(net.id).length === 0);
    if (bare) throw badRequest(`Network ${bare.id} requires a subnet in order to boot instances on.`);
    const lost = networkIds.filter((id) => !found.some((net) => net.id === id));
    if (lost.length > 0) throw badRequest(`Network ${lost.join(', ')} could not be found.`);
    return planned;
  }

  /** Security group names (or ids) of the server's project, as ids; Nova refuses the first it cannot find. */
  securityGroupIds(caller: AuthContext, names: string[]): string[] {
    ensureDefaultSecurityGroup(this.#state, caller.projectId);
    return names.map((name) => {
      const groups = [...this.#state.security_groups.values()].filter((sg) => sg.project_id === caller.projectId);
      const sg = groups.find((g) => g.id === name) ?? groups.find((g) => g.name === name);
      if (!sg) throw badRequest(`Unable to find security_group with name or id '${name}'`);
      return sg.id;
    });
  }

  /** Creates and binds the build's ports; on a failure undoes what it did and throws a BuildFailure. */
  allocate(server: Server, owner: AuthContext, planned: PlannedPort[], securityGroupIds: string[]): void {
    const aborted = (why: string): BuildFailure => new BuildFailure(`Build of instance ${server.id} aborted: ${why}`);
    try {
      for (const p of planned) {
        if ('portId' in p) {
          const port = this.#state.ports.get(p.portId);
          if (!port) throw aborted(`Port ${p.portId} could not be found.`);
          this.#bind(port, server);
          server.ports.push({ id: port.id, created: false });
          continue;
        }
        const net = this.#state.networks.get(p.networkId);
        if (!net) throw aborted('Failed to allocate the network(s), not rescheduling.');
        // Nova's own rule (ExternalNetworkAttachForbidden): members may not plug into an external network.
        if (net['router:external'] && !net.shared && !owner.isAdmin) throw aborted('Failed to allocate the network(s), not rescheduling.');
        if (p.fixedIp !== undefined && !this.#state.subnetsOfNetwork(net.id).some((s) => addressIn(s, p.fixedIp ?? '') !== undefined)) {
          throw aborted(`Invalid input received: Fixed IP ${p.fixedIp} is not a valid ip address for network ${net.id}.`);
        }
        const port = this.#createPort(owner, net, p.fixedIp, securityGroupIds, () => aborted('Failed to allocate the network(s), not rescheduling.'));
        server.ports.push({ id: port.id, created: true });
        this.#bind(port, server);
      }
    } catch (err) {
      this.release(server);
      throw err;
    }
  }

  /** What the server had goes: Nova's ports are deleted, the user's unbound (their floating IPs stay). */
  release(server: Server): void {
    for (const p of server.ports.splice(0)) this.#letGo(p);
  }

  /** POST os-interface: a new port on a network (or the only one), or the user's port; answered once bound. */
  attach(server: Server, caller: AuthContext, request: { netId?: string; portId?: string; fixedIp?: string }): Port {
    if (request.portId !== undefined) {
      const port = this.#visiblePort(caller, request.portId);
      if (!port) throw itemNotFound(`Port id ${request.portId} could not be found.`);
      this.#checkFree(port);
      this.#bind(port, server);
      server.ports.push({ id: port.id, created: false });
      return port;
    }
    let netId = request.netId;
    if (netId === undefined) {
      const available = this.#availableNetworks(caller);
      if (available.length > 1) throw badRequest('Multiple possible networks found, use a Network ID to be more specific.');
      netId = available[0]?.id;
    }
    const net = netId === undefined ? undefined : this.#state.networks.get(netId);
    // The compute service fails the attach, and the API reports what came back over RPC.
    if (!net || !networkVisible(caller, net)) throw unexpected('oslo_messaging.rpc.client.RemoteError');
    if (this.#state.subnetsOfNetwork(net.id).length === 0) throw badRequest('Network requires port_security_enabled and subnet associated in order to apply security groups.');
    if (request.fixedIp !== undefined && this.#state.portsOnNetwork(net.id).some((p) => p.fixed_ips.some((ip) => ip.ip_address === request.fixedIp))) {
      throw conflict(`Fixed IP ${request.fixedIp} is already in use.`);
    }
    const port = this.#createPort(caller, net, request.fixedIp, undefined, () => unexpected('oslo_messaging.rpc.client.RemoteError'));
    server.ports.push({ id: port.id, created: true });
    this.#bind(port, server);
    return port;
  }

  /** Detaches a port of the server (a port it does not have: nothing happens, as in Nova's compute service). */
  detach(server: Server, portId: string): void {
    const at = server.ports.findIndex((p) => p.id === portId);
    const [p] = at < 0 ? [] : server.ports.splice(at, 1);
    if (p) this.#letGo(p);
  }

  /** The server's ports that still exist in Neutron, in the order they were attached. */
  ports(server: Server): Port[] {
    return server.ports.flatMap((p) => this.#state.ports.get(p.id) ?? []);
  }

  /** `addresses`: per network name, each port's fixed addresses then the floating IPs pointing at it. */
  addresses(server: Server): Record<string, NovaAddress[]> {
    const out: Record<string, NovaAddress[]> = {};
    for (const port of this.ports(server)) {
      const name = this.#state.networks.get(port.network_id)?.name ?? '';
      const entry = (addr: string, type: 'fixed' | 'floating'): NovaAddress => ({ version: addr.includes(':') ? 6 : 4, addr, 'OS-EXT-IPS:type': type, 'OS-EXT-IPS-MAC:mac_addr': port.mac_address });
      const list = (out[name] ??= []);
      for (const ip of port.fixed_ips) list.push(entry(ip.ip_address, 'fixed'));
      for (const fip of this.#state.floatingips.values()) if (fip.port_id === port.id) list.push(entry(fip.floating_ip_address, 'floating'));
    }
    return out;
  }

  /** `security_groups` of a server: one entry per group per port (Nova does not merge them). */
  securityGroups(server: Server): { name: string }[] {
    return this.ports(server).flatMap((port) =>
      port.security_groups.flatMap((id) => {
        const sg = this.#state.security_groups.get(id);
        return sg ? [{ name: sg.name || sg.id }] : [];
      }),
    );
  }

  port(id: string): Port | undefined {
    return this.#state.ports.get(id);
  }

  /** A project's networks and the shared ones: where Nova plugs a server that names none. */
  #availableNetworks(caller: AuthContext): Network[] {
    return [...this.#state.networks.values()].filter((n) => (n.project_id === caller.projectId && !n.shared) || n.shared);
  }

  #visiblePort(caller: AuthContext, id: string): Port | undefined {
    const port = this.#state.ports.get(id);
    return port && (caller.isAdmin || port.project_id === caller.projectId) ? port : undefined;
  }

  #checkFree(port: Port): void {
    if (port.device_id !== '' || this.#claimed().has(port.id)) throw conflict(`Port ${port.id} is still in use.`);
  }

  #createPort(owner: AuthContext, net: Network, fixedIp: string | undefined, securityGroupIds: string[] | undefined, failure: () => Error): Port {
    try {
      return this.#ports.create(owner, {
        network_id: net.id,
        ...(fixedIp === undefined ? {} : { fixed_ips: [{ ip_address: fixedIp }] }),
        ...(securityGroupIds === undefined ? {} : { security_groups: securityGroupIds }),
      });
    } catch (err) {
      if (err instanceof NeutronError) throw failure();
      throw err;
    }
  }

  /** Nova sets the device and the host (one revision), the driver binds the port ACTIVE (another). */
  #bind(port: Port, server: Server): void {
    Object.assign(port, { device_id: server.id, device_owner: 'compute:nova', 'binding:host_id': COMPUTE_HOST, 'binding:vif_type': VIF.type, 'binding:vif_details': structuredClone(VIF.details) });
    this.#state.bump(port);
    port.status = 'ACTIVE';
    this.#state.bump(port);
  }

  #letGo(p: ServerPort): void {
    const port = this.#state.ports.get(p.id);
    if (!port) return;
    if (p.created) {
      this.#ports.remove(this.#admin(), port);
      return;
    }
    Object.assign(port, { device_id: '', device_owner: '', status: 'DOWN', 'binding:host_id': '', 'binding:vif_type': 'unbound', 'binding:vif_details': {} });
    this.#state.bump(port);
  }

  /** Nova's service user does the deletes; Neutron's remove() needs a caller but checks nothing of it. */
  #admin(): AuthContext {
    return { userId: 'nova', userName: 'nova', projectId: 'service', projectName: 'service', roles: ['admin'], isAdmin: true };
  }
}
