// Networks: tenant networks (vxlan, MTU 1450) and admin-made external/shared ones; delete cascades bare subnets.
import { httpBadRequest, invalidInput, NeutronError } from './errors.ts';
import { asBool, asInt, asList, asString, checkQuota, opt, owns, projectOf, type Caller, type ResourceDef } from './core.ts';
import type { Network, NeutronState } from './model.ts';
import { checkNetworkPolicy, networkPolicy, qosPolicyRef } from './qos.ts';
import { ensureDefaultSecurityGroup } from './security-groups.ts';

const TENANT_MTU = 1450;
const PHYSICAL_MTU = 1500;

export const networkNotFound = (id: string): NeutronError => new NeutronError(404, 'NetworkNotFound', `Network ${id} could not be found.`);

/** Availability zones come from agents, and the reference cloud runs none: every hint names a zone that is not there. */
export function availabilityZoneHints(value: unknown): string[] {
  const hints = asList('availability_zone_hints', value).map((z) => asString('availability_zone_hints', z));
  if (hints.length > 0) throw new NeutronError(404, 'AvailabilityZoneNotFound', `AvailabilityZone ${hints[0]} could not be found.`);
  return hints;
}

/** neutron-lib's _validate_dns_format: the reason a domain's labels are not DNS names, if they are not. */
function dnsFormatProblem(name: string): string | undefined {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length > 255) return `'${trimmed}' exceeds the 255 character FQDN limit`;
  const labels = trimmed.split('.');
  for (const label of labels) {
    if (!label) return 'Encountered an empty component';
    if (label.startsWith('-') || label.endsWith('-')) return `Name '${label}' must not start or end with a hyphen`;
    if (!/^([a-z0-9-]{1,63}|<project_id>|<project_name>|<user_name>|<user_id>)$/.test(label)) {
      return `Name '${label}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen`;
    }
  }
  const tld = labels.at(-1) ?? '';
  if (labels.length > 1 && /^[0-9]+$/.test(tld)) return `TLD '${tld}' must not be all numeric`;
  return undefined;
}

/** A network's dns_domain: lower-cased (the attribute's converter), then validate_dns_domain. */
function dnsDomain(value: unknown): string {
  const domain = asString('dns_domain', value).toLowerCase();
  const problem = (why: string): NeutronError => httpBadRequest(`Invalid input for dns_domain. Reason: ${why}.`);
  if (!domain) return domain;
  if (!domain.endsWith('.')) throw problem(`'${domain}' is not a FQDN`);
  const format = dnsFormatProblem(domain);
  if (format) throw problem(`'${domain}' not a valid PQDN or FQDN. Reason: ${format}`);
  if (domain.length > 253) throw problem(`'${domain}' contains ${domain.length} characters. Adding a sub-domain will cause it to exceed the maximum length of a FQDN of '255'`);
  return domain;
}

/** Networks a caller can see: their own, shared ones and external ones. */
export const networkVisible = (caller: Caller, net: Network): boolean => owns(caller, net) || net.shared || net['router:external'];

export function networks(state: NeutronState): ResourceDef<Network> {
  let segmentation = 1000;
  const mtuOf = (type: string, mtu: number | undefined): number => {
    const max = type === 'vxlan' ? TENANT_MTU : PHYSICAL_MTU;
    if (mtu !== undefined && mtu > max) throw invalidInput(`Requested MTU is too big, maximum is ${max}.`);
    return mtu ?? max;
  };
  return {
    path: 'networks',
    collection: 'networks',
    singular: 'network',
    quota: 'network',
    taggable: true,
    store: state.networks,
    notFound: networkNotFound,
    post: ['name', 'description', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'availability_zone_hints', 'dns_domain', 'qos_policy_id', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'project_id', 'tenant_id'],
    put: ['name', 'description', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'dns_domain', 'qos_policy_id'],
    readOnly: ['id', 'status', 'subnets', 'availability_zones', 'ipv4_address_scope', 'ipv6_address_scope', 'is_default', 'created_at', 'updated_at', 'revision_number', 'tags'],
    required: [],
    adminOnly: ['shared', 'router:external', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id'],
    defaults: { shared: false, 'router:external': false },
    create(caller, body) {
      const projectId = projectOf(caller, body, 'create_network');
      checkQuota(state, projectId, 'network');
      const type = opt(body, 'provider:network_type', asString, 'vxlan');
      const net: Network = {
        ...state.standard(projectId, opt(body, 'description', asString, '')),
        name: opt(body, 'name', asString, ''),
        admin_state_up: opt(body, 'admin_state_up', asBool, true),
        status: 'ACTIVE',
        shared: opt(body, 'shared', asBool, false),
        'router:external': opt(body, 'router:external', asBool, false),
        mtu: mtuOf(type, body.mtu === undefined ? undefined : asInt('mtu', body.mtu)),
        port_security_enabled: opt(body, 'port_security_enabled', asBool, true),
        availability_zone_hints: opt(body, 'availability_zone_hints', (_attr, v) => availabilityZoneHints(v), []),
        availability_zones: [],
        dns_domain: opt(body, 'dns_domain', (_attr, v) => dnsDomain(v), ''),
        ipv4_address_scope: null,
        ipv6_address_scope: null,
        is_default: false,
        qos_policy_id: networkPolicy(state, caller, body.qos_policy_id, projectId),
        'provider:network_type': type,
        'provider:physical_network': body['provider:physical_network'] === undefined ? null : asString('provider:physical_network', body['provider:physical_network']),
        'provider:segmentation_id': type === 'vxlan' ? (body['provider:segmentation_id'] === undefined ? ++segmentation : asInt('provider:segmentation_id', body['provider:segmentation_id'])) : null,
        tags: [],
      };
      checkNetworkPolicy(state, net);
      ensureDefaultSecurityGroup(state, projectId);
      state.networks.set(net.id, net);
      return net;
    },
    update(caller, net, body) {
      if (body.name !== undefined) net.name = asString('name', body.name);
      if (body.description !== undefined) net.description = asString('description', body.description);
      if (body.admin_state_up !== undefined) net.admin_state_up = asBool('admin_state_up', body.admin_state_up);
      if (body.shared !== undefined) net.shared = asBool('shared', body.shared);
      if (body['router:external'] !== undefined) net['router:external'] = asBool('router:external', body['router:external']);
      if (body.mtu !== undefined) net.mtu = mtuOf(net['provider:network_type'], asInt('mtu', body.mtu));
      if (body.port_security_enabled !== undefined) net.port_security_enabled = asBool('port_security_enabled', body.port_security_enabled);
      if (body.dns_domain !== undefined) net.dns_domain = dnsDomain(body.dns_domain);
      if (body.qos_policy_id !== undefined) {
        const policyId = qosPolicyRef(state, caller, body.qos_policy_id, net.qos_policy_id);
        const changed = policyId !== net.qos_policy_id;
        net.qos_policy_id = policyId;
        if (changed) checkNetworkPolicy(state, net);
      }
    },
    remove(_caller, net) {
      const inUse = state.portsOnNetwork(net.id).filter((p) => p.device_owner !== 'network:dhcp');
      if (inUse.length > 0) {
        throw new NeutronError(409, 'NetworkInUse', `Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network, id for these ports is: ${inUse.map((p) => p.id).join(',')}.`);
      }
      for (const subnet of state.subnetsOfNetwork(net.id)) state.subnets.delete(subnet.id);
      state.networks.delete(net.id);
    },
    visible: networkVisible,
    render(caller, net, view) {
      const out: Record<string, unknown> = { ...net, subnets: state.subnetsOfNetwork(net.id).map((s) => s.id) };
      // The auto-allocated-topology extension adds is_default to create answers and lists only.
      if (view === 'show' || view === 'update') delete out.is_default;
      if (!caller.isAdmin) for (const key of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id']) delete out[key];
      return out;
    },
  };
}
