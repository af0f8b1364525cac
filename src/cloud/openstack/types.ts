/**
 * Neutron v2.0 objects as the API returns them (snake_case, as on the wire), and the bodies of
 * create and update requests where they differ from the answers.
 */

/**
 * A create or update body of T: only what is sent (undefined members are not), with the request
 * shapes of R where they differ from T's, plus attributes T does not list (extensions).
 */
export type NeutronBody<T, R = object> = { [K in keyof T]?: (K extends keyof R ? R[K] : T[K]) | undefined } & Record<string, unknown>;

/** Fields every standard-attribute resource carries. */
export interface NeutronStandardAttrs {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface NeutronNetwork extends NeutronStandardAttrs {
  status: 'ACTIVE' | 'DOWN' | 'BUILD' | 'ERROR' | string;
  admin_state_up: boolean;
  shared: boolean;
  'router:external': boolean;
  mtu: number;
  port_security_enabled?: boolean;
  subnets: string[];
  availability_zone_hints: string[];
  availability_zones: string[];
  dns_domain?: string;
  ipv4_address_scope: string | null;
  ipv6_address_scope: string | null;
  is_default?: boolean;
  qos_policy_id?: string | null;
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
}

export interface NeutronAllocationPool {
  start: string;
  end: string;
}

export interface NeutronHostRoute {
  destination: string;
  nexthop: string;
}

export interface NeutronSubnet extends NeutronStandardAttrs {
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  allocation_pools: NeutronAllocationPool[];
  dns_nameservers: string[];
  host_routes: NeutronHostRoute[];
  ipv6_address_mode: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless' | null;
  ipv6_ra_mode: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless' | null;
  subnetpool_id: string | null;
  service_types: string[];
  segment_id?: string | null;
  dns_publish_fixed_ip?: boolean;
}

export interface NeutronFixedIp {
  subnet_id: string;
  ip_address: string;
}

/** A fixed IP as a request names it: a subnet (Neutron picks a free address), an address, or both. */
export type NeutronFixedIpRequest = { subnet_id: string; ip_address?: string } | { subnet_id?: string; ip_address: string };

export interface NeutronExternalGatewayInfo {
  network_id: string;
  enable_snat?: boolean;
  external_fixed_ips?: NeutronFixedIp[];
}

/** external_gateway_info in a request: {} or null removes the gateway. */
export type NeutronExternalGatewayRequest =
  | { network_id: string; enable_snat?: boolean; external_fixed_ips?: NeutronFixedIpRequest[] }
  | Record<string, never>
  | null;

export interface NeutronRouter extends NeutronStandardAttrs {
  status: string;
  admin_state_up: boolean;
  external_gateway_info: NeutronExternalGatewayInfo | null;
  routes: NeutronHostRoute[];
  distributed?: boolean;
  ha?: boolean;
  availability_zone_hints?: string[];
  availability_zones?: string[];
  flavor_id?: string | null;
}

export type NeutronRouterBody = NeutronBody<NeutronRouter, { external_gateway_info: NeutronExternalGatewayRequest }>;

/** The answer of PUT /routers/{id}/add_router_interface and remove_router_interface. */
export interface NeutronRouterInterface {
  id: string;
  subnet_id: string;
  subnet_ids: string[];
  port_id: string;
  network_id: string;
  tenant_id: string;
  project_id: string;
  tags?: string[];
}

export interface NeutronAllowedAddressPair {
  ip_address: string;
  mac_address?: string;
}

export interface NeutronPort extends NeutronStandardAttrs {
  network_id: string;
  status: 'ACTIVE' | 'DOWN' | 'BUILD' | 'ERROR' | string;
  admin_state_up: boolean;
  mac_address: string;
  fixed_ips: NeutronFixedIp[];
  device_id: string;
  device_owner: string;
  security_groups: string[];
  allowed_address_pairs: NeutronAllowedAddressPair[];
  port_security_enabled?: boolean;
  extra_dhcp_opts?: Array<{ opt_name: string; opt_value: string; ip_version?: number }>;
  qos_policy_id?: string | null;
  'binding:host_id'?: string | null;
  'binding:vif_type'?: string | null;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown> | null;
  dns_name?: string;
  dns_assignment?: Array<{ hostname: string; ip_address: string; fqdn: string }>;
}

export type NeutronPortBody = NeutronBody<NeutronPort, { fixed_ips: NeutronFixedIpRequest[] }>;

export interface NeutronSecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id?: string | null;
  description: string;
  project_id: string;
  tenant_id: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
  normalized_cidr?: string | null;
  belongs_to_default_sg?: boolean;
}

export interface NeutronSecurityGroup extends NeutronStandardAttrs {
  stateful: boolean;
  shared?: boolean;
  security_group_rules: NeutronSecurityGroupRule[];
}

export interface NeutronFloatingIp extends NeutronStandardAttrs {
  status: 'ACTIVE' | 'DOWN' | 'ERROR' | string;
  floating_ip_address: string;
  floating_network_id: string;
  router_id: string | null;
  port_id: string | null;
  fixed_ip_address: string | null;
  dns_domain?: string;
  dns_name?: string;
  qos_policy_id?: string | null;
  port_details?: {
    name: string;
    network_id: string;
    mac_address: string;
    admin_state_up: boolean;
    status: string;
    device_id: string;
    device_owner: string;
  } | null;
  port_forwardings?: unknown[];
}

export interface NeutronExtension {
  alias: string;
  name: string;
  description: string;
  updated: string;
  links: unknown[];
}

/** The rule types of the `qos` extension the operator manages (others, such as minimum_packet_rate, exist). */
export type NeutronQosRuleType = 'bandwidth_limit' | 'dscp_marking' | 'minimum_bandwidth';

/**
 * A rule as a policy's `rules` lists it (with its `type`) and as its sub-resource answers it
 * (without). `direction` exists with the qos-bw-limit-direction and qos-bw-minimum-ingress
 * extensions; before them it is egress.
 */
export interface NeutronQosRule {
  id: string;
  type?: NeutronQosRuleType | string;
  qos_policy_id?: string;
  /** ingress or egress; `any` for a minimum_packet_rate rule. */
  direction?: string;
  max_kbps?: number;
  max_burst_kbps?: number;
  dscp_mark?: number;
  min_kbps?: number;
}

export interface NeutronQosPolicy extends NeutronStandardAttrs {
  shared: boolean;
  /** The qos-default extension: the project's policy for networks created without one. */
  is_default?: boolean;
  rules: NeutronQosRule[];
}
