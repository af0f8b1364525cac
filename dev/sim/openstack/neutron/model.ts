// Neutron's resources as stored by the simulator, and the state they live in.
import { randomUUID } from 'node:crypto';

export type Obj = Record<string, unknown>;

export type Standard = {
  id: string;
  project_id: string;
  tenant_id: string;
  description: string;
  created_at: string;
  updated_at: string;
  revision_number: number;
};
export type Tagged = Standard & { tags: string[] };

export type Network = Tagged & {
  name: string;
  admin_state_up: boolean;
  status: string;
  shared: boolean;
  'router:external': boolean;
  mtu: number;
  port_security_enabled: boolean;
  availability_zone_hints: string[];
  availability_zones: string[];
  dns_domain: string;
  ipv4_address_scope: string | null;
  ipv6_address_scope: string | null;
  is_default: boolean;
  qos_policy_id: string | null;
  'provider:network_type': string;
  'provider:physical_network': string | null;
  'provider:segmentation_id': number | null;
};

export type Pool = { start: string; end: string };
export type Route = { destination: string; nexthop: string };
export type FixedIp = { subnet_id: string; ip_address: string };

export type Subnet = Tagged & {
  name: string;
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: Pool[];
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: Route[];
  ipv6_address_mode: string | null;
  ipv6_ra_mode: string | null;
  service_types: string[];
  subnetpool_id: string | null;
};

export type GatewayInfo = { network_id: string; enable_snat: boolean; external_fixed_ips: FixedIp[] };

export type Router = Tagged & {
  name: string;
  admin_state_up: boolean;
  status: string;
  external_gateway_info: GatewayInfo | null;
  routes: Route[];
  availability_zone_hints: string[];
  availability_zones: string[];
  flavor_id: string | null;
  distributed: boolean;
  ha: boolean;
};

export type Port = Tagged & {
  name: string;
  network_id: string;
  admin_state_up: boolean;
  mac_address: string;
  fixed_ips: FixedIp[];
  device_id: string;
  device_owner: string;
  status: string;
  security_groups: string[];
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  port_security_enabled: boolean;
  extra_dhcp_opts: Obj[];
  'binding:host_id': string;
  'binding:vif_type': string;
  'binding:vif_details': Obj;
  'binding:profile': Obj;
  'binding:vnic_type': string;
  dns_name: string;
  qos_policy_id: string | null;
  qos_network_policy_id: string | null;
  resource_request: null;
};

export type SecurityGroup = Tagged & { name: string; stateful: boolean; shared: boolean };

export type SecurityGroupRule = Standard & {
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  normalized_cidr: string | null;
  /** Created by Neutron itself (a group's default rules): shown with a null description. */
  builtin: boolean;
  /** The row id of the standard attributes, which Neutron shows for rules embedded in their group. */
  standard_attr_id: number;
};

export type FloatingIp = Tagged & {
  floating_network_id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  router_id: string | null;
  status: string;
  qos_policy_id: string | null;
  dns_domain: string;
  dns_name: string;
};

export type QosPolicy = Tagged & { name: string; shared: boolean };

/** A QoS rule: its type's parameters (max_kbps, direction, ...) kept as the API took them. */
export type QosRule = Standard & { qos_policy_id: string; type: string; params: Obj };

export type QuotaKey = 'network' | 'subnet' | 'port' | 'router' | 'floatingip' | 'security_group' | 'security_group_rule' | 'rbac_policy' | 'subnetpool';

/** Neutron's default quotas (-1: unlimited). */
export const DEFAULT_QUOTAS: Record<QuotaKey, number> = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  rbac_policy: 10,
  subnetpool: -1,
};

/** Neutron's timestamps have second precision and a Z suffix. */
const stamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export class NeutronState {
  readonly networks = new Map<string, Network>();
  readonly subnets = new Map<string, Subnet>();
  readonly routers = new Map<string, Router>();
  readonly ports = new Map<string, Port>();
  readonly security_groups = new Map<string, SecurityGroup>();
  readonly security_group_rules = new Map<string, SecurityGroupRule>();
  readonly floatingips = new Map<string, FloatingIp>();
  readonly qos_policies = new Map<string, QosPolicy>();
  readonly qos_rules = new Map<string, QosRule>();
  /** Each project's default QoS policy (qos-default): new networks without one get it. */
  readonly qosDefaults = new Map<string, string>();
  /** Per-project overrides of DEFAULT_QUOTAS (and of `defaultQuotas`). */
  readonly quotas = new Map<string, Partial<Record<QuotaKey, number>>>();
  defaultQuotas: Record<QuotaKey, number>;
  /** Draws in [0, 1) for address allocation (Neutron picks addresses at random). */
  readonly random: () => number;
  private readonly now: () => number;
  private macCounter = 0;

  constructor(now: () => number, random: () => number, defaultQuotas: Partial<Record<QuotaKey, number>> = {}) {
    this.now = now;
    this.random = random;
    this.defaultQuotas = { ...DEFAULT_QUOTAS, ...defaultQuotas };
  }

  /**
   * Standard attributes for a new resource owned by `projectId`. The first revision Neutron reports differs by
   * kind: 1 for networks, ports, routers and security groups, 0 for subnets, floating IPs and rules.
   */
  standard(projectId: string, description = '', revision = 1): Standard {
    const t = stamp(this.now());
    return { id: randomUUID(), project_id: projectId, tenant_id: projectId, description, created_at: t, updated_at: t, revision_number: revision };
  }

  /** Every change bumps revision_number and updated_at, as Neutron's standard attributes do. */
  bump(rec: Standard): void {
    rec.revision_number++;
    rec.updated_at = stamp(this.now());
  }

  /** Applies an out-of-band change (as another cloud user would), bumping the revision. */
  mutate<T extends Standard>(rec: T, patch: Partial<T>): T {
    Object.assign(rec, patch);
    this.bump(rec);
    return rec;
  }

  quotaFor(projectId: string, key: QuotaKey): number {
    return this.quotas.get(projectId)?.[key] ?? this.defaultQuotas[key];
  }

  countOwned(projectId: string, key: QuotaKey): number {
    const store: Map<string, Standard> = {
      network: this.networks,
      subnet: this.subnets,
      port: this.ports,
      router: this.routers,
      floatingip: this.floatingips,
      security_group: this.security_groups,
      security_group_rule: this.security_group_rules,
      rbac_policy: new Map<string, Standard>(),
      subnetpool: new Map<string, Standard>(),
    }[key];
    let n = 0;
    for (const rec of store.values()) if (rec.project_id === projectId) n++;
    return n;
  }

  private standardAttrCounter = 0;

  nextStandardAttrId(): number {
    return ++this.standardAttrCounter;
  }

  nextMac(): string {
    const n = ++this.macCounter;
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'));
    return `fa:16:3e:${bytes.join(':')}`;
  }

  portsOnNetwork(networkId: string): Port[] {
    return [...this.ports.values()].filter((p) => p.network_id === networkId);
  }

  subnetsOfNetwork(networkId: string): Subnet[] {
    return [...this.subnets.values()].filter((s) => s.network_id === networkId);
  }

  portsWithIpOn(subnetId: string): Port[] {
    return [...this.ports.values()].filter((p) => p.fixed_ips.some((ip) => ip.subnet_id === subnetId));
  }

  routerInterfaces(routerId: string): Port[] {
    return [...this.ports.values()].filter((p) => p.device_id === routerId && p.device_owner === 'network:router_interface');
  }
}
