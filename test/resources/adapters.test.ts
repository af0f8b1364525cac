// The Neutron adapters' own logic, without the OpenStack simulator (which shares the adapters'
// beliefs about Neutron): diffs against observed objects spelled the way Neutron answers
// (docs/openstack-notes.md), progress, and the ownership members.
import { describe, expect, it } from 'vitest';
import type { FloatingIPResource } from '../../src/api/floatingip.ts';
import type { NetworkResource } from '../../src/api/network.ts';
import type { PortResource } from '../../src/api/port.ts';
import type { RouterResource } from '../../src/api/router.ts';
import type { SecurityGroupResource, SecurityGroupRule } from '../../src/api/securitygroup.ts';
import type { SubnetResource } from '../../src/api/subnet.ts';
import type { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import type { ListOptions } from '../../src/cloud/openstack/neutron.ts';
import type {
  NeutronExternalGatewayInfo,
  NeutronFloatingIp,
  NeutronNetwork,
  NeutronPort,
  NeutronSecurityGroup,
  NeutronSecurityGroupRule,
  NeutronSubnet,
} from '../../src/cloud/openstack/types.ts';
import { resolvedRefs, type AnyAdapter, type Desired } from '../../src/reconcile/adapter.ts';
import { ownerTag, tagMarks } from '../../src/reconcile/marks.ts';
import { floatingIP } from '../../src/resources/floatingip.ts';
import { network } from '../../src/resources/network.ts';
import { NEUTRON_POLL_MS } from '../../src/resources/neutron.ts';
import { port } from '../../src/resources/port.ts';
import { router, type ObservedRouter } from '../../src/resources/router.ts';
import { securityGroup } from '../../src/resources/securitygroup.ts';
import { subnet } from '../../src/resources/subnet.ts';

/** Cloud IDs of the objects the specs below reference, as the reconciler resolves them. */
const IDS: Record<string, string> = {
  'Server/web': 'srv-web',
  'Server/db': 'srv-db',
  'Network/dmz': 'net-dmz',
  'Network/ext': 'net-ext',
  'Network/ext2': 'net-ext2',
  'Network/lan': 'net-lan',
  'Subnet/ext-v4': 'sub-ext4',
  'Subnet/ext-v6': 'sub-ext6',
  'Subnet/a': 'sub-a',
  'Subnet/b': 'sub-b',
  'Subnet/c': 'sub-c',
  'SecurityGroup/web': 'sg-web',
  'SecurityGroup/ssh': 'sg-ssh',
  'SecurityGroup/self': 'sg-self',
  'Port/a': 'port-a',
  'Port/b': 'port-b',
};

function want<R>(resource: R, name = 'obj'): Desired<R> {
  return { resource, refs: resolvedRefs(new Map(Object.entries(IDS))), name };
}

const ref = (name: string) => ({ name });

// Observed objects carry only the fields the adapters read.

function observedRouter(over: Partial<ObservedRouter> = {}): ObservedRouter {
  return { id: 'r-1', name: 'obj', description: '', admin_state_up: true, status: 'ACTIVE', external_gateway_info: null, routes: [], interfacePorts: [], ...over } as ObservedRouter;
}

/** A port of a router interface, with one address per subnet. */
function interfacePort(id: string, subnets: string[], owner = 'network:router_interface'): NeutronPort {
  return { id, device_id: 'r-1', device_owner: owner, fixed_ips: subnets.map((s, i) => ({ subnet_id: s, ip_address: `10.${i}.0.1` })) } as NeutronPort;
}

const MAC = 'fa:16:3e:00:00:01';

function observedPort(over: Partial<NeutronPort> = {}): NeutronPort {
  return {
    id: 'port-1',
    name: 'obj',
    description: '',
    status: 'DOWN',
    admin_state_up: true,
    mac_address: MAC,
    fixed_ips: [],
    security_groups: [],
    allowed_address_pairs: [],
    port_security_enabled: true,
    device_id: '',
    device_owner: '',
    ...over,
  } as NeutronPort;
}

/** A rule as Neutron reports it: every unset attribute null. */
function observedRule(id: string, over: Partial<NeutronSecurityGroupRule> = {}): NeutronSecurityGroupRule {
  return {
    id,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    description: '',
    ...over,
  } as NeutronSecurityGroupRule;
}

/** The two rules Neutron adds to every new group. */
const DEFAULT_EGRESS = [observedRule('eg4', { direction: 'egress' }), observedRule('eg6', { direction: 'egress', ethertype: 'IPv6' })];

function observedGroup(rules: NeutronSecurityGroupRule[], over: Partial<NeutronSecurityGroup> = {}): NeutronSecurityGroup {
  return { id: 'sg-self', name: 'obj', description: '', stateful: true, security_group_rules: rules, ...over } as NeutronSecurityGroup;
}

const SSH: SecurityGroupRule = { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 };
const SSH_BODY = { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 };

const groupSpec = (rules: SecurityGroupRule[] | undefined, over: Partial<SecurityGroupResource> = {}): SecurityGroupResource => ({ stateful: true, rules, ...over });

describe('Router diff', () => {
  const spec = (over: Partial<RouterResource> = {}): RouterResource => ({ adminStateUp: true, ...over });
  const gateway = (info: NeutronExternalGatewayInfo | null) => observedRouter({ external_gateway_info: info });

  it('sends nothing when everything matches, whatever the order and spelling', () => {
    const desired = want(
      spec({
        externalGateway: { networkRef: ref('ext'), enableSNAT: true, fixedIPs: [{ subnetRef: ref('ext-v6'), ipAddress: '2001:DB8::0:10' }] },
        interfaces: [{ subnetRef: ref('a') }, { subnetRef: ref('b') }],
        routes: [
          { destination: '10.9.0.0/16', nextHop: '10.0.0.254' },
          { destination: '2001:DB8:9::/48', nextHop: '2001:DB8::FE' },
        ],
      }),
    );
    const observed = observedRouter({
      external_gateway_info: { network_id: 'net-ext', enable_snat: true, external_fixed_ips: [{ subnet_id: 'sub-ext6', ip_address: '2001:db8::10' }] },
      interfacePorts: [interfacePort('p-b', ['sub-b']), interfacePort('p-a', ['sub-a'])],
      routes: [
        { destination: '2001:db8:9::/48', nexthop: '2001:db8::fe' },
        { destination: '10.9.0.0/16', nexthop: '10.0.0.254' },
      ],
    });
    expect(router.diff(desired, observed)).toBeUndefined();
  });

  it('sends only the changed plain fields', () => {
    expect(router.diff(want(spec({ adminStateUp: false, description: 'edge' }), 'renamed'), observedRouter())).toEqual({
      name: 'renamed',
      description: 'edge',
      admin_state_up: false,
    });
  });

  describe('external gateway', () => {
    it('is added with only what differs from what Neutron would pick', () => {
      expect(router.diff(want(spec({ externalGateway: { networkRef: ref('ext') } })), observedRouter())).toEqual({
        external_gateway_info: { network_id: 'net-ext' },
      });
      // enable_snat true is Neutron's default: not sent (admin-only in the default policy).
      expect(router.diff(want(spec({ externalGateway: { networkRef: ref('ext'), enableSNAT: true } })), observedRouter())).toEqual({
        external_gateway_info: { network_id: 'net-ext' },
      });
      expect(
        router.diff(want(spec({ externalGateway: { networkRef: ref('ext'), enableSNAT: false, fixedIPs: [{ subnetRef: ref('ext-v4') }] } })), observedRouter()),
      ).toEqual({ external_gateway_info: { network_id: 'net-ext', enable_snat: false, external_fixed_ips: [{ subnet_id: 'sub-ext4' }] } });
    });

    it('moves to another network, carrying the SNAT and addresses the new gateway would not have', () => {
      const observed = gateway({ network_id: 'net-ext', enable_snat: false, external_fixed_ips: [{ subnet_id: 'sub-ext4', ip_address: '203.0.113.10' }] });
      expect(router.diff(want(spec({ externalGateway: { networkRef: ref('ext2') } })), observed)).toEqual({ external_gateway_info: { network_id: 'net-ext2' } });
      // A new gateway starts with Neutron's default SNAT, so a false that matched the old one is sent.
      expect(router.diff(want(spec({ externalGateway: { networkRef: ref('ext2'), enableSNAT: false } })), observed)).toEqual({
        external_gateway_info: { network_id: 'net-ext2', enable_snat: false },
      });
      // Addresses that matched on the old network are requested again on the new one.
      expect(router.diff(want(spec({ externalGateway: { networkRef: ref('ext2'), fixedIPs: [{ subnetRef: ref('ext-v4') }] } })), observed)).toEqual({
        external_gateway_info: { network_id: 'net-ext2', external_fixed_ips: [{ subnet_id: 'sub-ext4' }] },
      });
    });

    it('changes enableSNAT on the same network, unset meaning Neutron default true', () => {
      const snat = (observed: boolean | undefined, desired: boolean | undefined) =>
        router.diff(want(spec({ externalGateway: { networkRef: ref('ext'), enableSNAT: desired } })), gateway({ network_id: 'net-ext', enable_snat: observed }));
      expect(snat(true, false)).toEqual({ external_gateway_info: { network_id: 'net-ext', enable_snat: false } });
      expect(snat(false, true)).toEqual({ external_gateway_info: { network_id: 'net-ext', enable_snat: true } });
      expect(snat(undefined, false)).toEqual({ external_gateway_info: { network_id: 'net-ext', enable_snat: false } });
      expect(snat(undefined, true)).toBeUndefined();
      // Unset in the spec: whatever the router has is left alone.
      expect(snat(false, undefined)).toBeUndefined();
    });

    it('changes the fixed IPs only when a request is not satisfied one for one', () => {
      const observed = gateway({
        network_id: 'net-ext',
        external_fixed_ips: [
          { subnet_id: 'sub-ext4', ip_address: '203.0.113.10' },
          { subnet_id: 'sub-ext4', ip_address: '203.0.113.11' },
        ],
      });
      const ips = (fixedIPs: NonNullable<RouterResource['externalGateway']>['fixedIPs']) =>
        router.diff(want(spec({ externalGateway: { networkRef: ref('ext'), fixedIPs } })), observed);
      expect(ips([{ ipAddress: '203.0.113.11' }, { subnetRef: ref('ext-v4'), ipAddress: '203.0.113.10' }])).toBeUndefined();
      // The subnet-only request comes first but must not take the address the other one names.
      expect(ips([{ subnetRef: ref('ext-v4') }, { ipAddress: '203.0.113.10' }])).toBeUndefined();
      expect(ips([{ subnetRef: ref('ext-v4') }, { ipAddress: '203.0.113.12' }])).toEqual({
        external_gateway_info: { network_id: 'net-ext', external_fixed_ips: [{ subnet_id: 'sub-ext4' }, { ip_address: '203.0.113.12' }] },
      });
      // One address fewer is a change too.
      expect(ips([{ ipAddress: '203.0.113.10' }])).toEqual({ external_gateway_info: { network_id: 'net-ext', external_fixed_ips: [{ ip_address: '203.0.113.10' }] } });
      expect(ips([{ subnetRef: ref('ext-v6') }, { subnetRef: ref('ext-v4') }])).toEqual({
        external_gateway_info: { network_id: 'net-ext', external_fixed_ips: [{ subnet_id: 'sub-ext6' }, { subnet_id: 'sub-ext4' }] },
      });
    });

    it('is removed with {} when the spec has none, and left absent when there is none', () => {
      expect(router.diff(want(spec()), gateway({ network_id: 'net-ext', enable_snat: true }))).toEqual({ external_gateway_info: {} });
      expect(router.diff(want(spec()), gateway(null))).toBeUndefined();
    });
  });

  describe('interfaces, a set', () => {
    it('attaches missing subnets and detaches all others, including ones attached outside the operator', () => {
      const observed = observedRouter({
        interfacePorts: [interfacePort('p-a', ['sub-a']), interfacePort('p-x', ['sub-x'], 'network:router_interface_distributed')],
      });
      expect(router.diff(want(spec({ interfaces: [{ subnetRef: ref('a') }, { subnetRef: ref('b') }, { subnetRef: ref('c') }] })), observed)).toEqual({
        interfaces: { attach: ['sub-b', 'sub-c'], detach: ['sub-x'] },
      });
    });

    it('detaches every interface when the spec lists none', () => {
      const observed = observedRouter({ interfacePorts: [interfacePort('p-a', ['sub-a']), interfacePort('p-b', ['sub-b'])] });
      expect(router.diff(want(spec()), observed)).toEqual({ interfaces: { attach: [], detach: ['sub-a', 'sub-b'] } });
      expect(router.diff(want(spec({ interfaces: [] })), observed)).toEqual({ interfaces: { attach: [], detach: ['sub-a', 'sub-b'] } });
    });

    it('counts every subnet of a port (IPv6 subnets of one network share an interface port)', () => {
      const observed = observedRouter({ interfacePorts: [interfacePort('p-ab', ['sub-a', 'sub-b'], 'network:ha_router_replicated_interface')] });
      expect(router.diff(want(spec({ interfaces: [{ subnetRef: ref('b') }, { subnetRef: ref('a') }] })), observed)).toBeUndefined();
      expect(router.diff(want(spec({ interfaces: [{ subnetRef: ref('a') }] })), observed)).toEqual({ interfaces: { attach: [], detach: ['sub-b'] } });
    });
  });

  describe('routes, a set', () => {
    const routes = [
      { destination: '2001:DB8:9::/48', nextHop: '2001:DB8::FE' },
      { destination: '10.9.0.0/16', nextHop: '10.0.0.254' },
    ];

    it('sends the whole desired list when one differs', () => {
      const observed = observedRouter({ routes: [{ destination: '10.9.0.0/16', nexthop: '10.0.0.253' }] });
      expect(router.diff(want(spec({ routes })), observed)).toEqual({
        routes: [
          { destination: '2001:DB8:9::/48', nexthop: '2001:DB8::FE' },
          { destination: '10.9.0.0/16', nexthop: '10.0.0.254' },
        ],
      });
    });

    it('removes routes added outside the operator when the spec has none', () => {
      const observed = observedRouter({ routes: [{ destination: '10.9.0.0/16', nexthop: '10.0.0.254' }] });
      expect(router.diff(want(spec()), observed)).toEqual({ routes: [] });
      expect(router.diff(want(spec()), observedRouter({ routes: [] }))).toBeUndefined();
    });
  });
});

describe('Router progress', () => {
  it('looks at the router only: ACTIVE, or DOWN when administratively down, is ready', () => {
    expect(router.progress(observedRouter({ status: 'ACTIVE' }))).toEqual({ state: 'ready' });
    expect(router.progress(observedRouter({ status: 'DOWN', admin_state_up: false }))).toEqual({ state: 'ready' });
    expect(router.progress(observedRouter({ status: 'DOWN' }))).toMatchObject({ state: 'progressing', pollAfterMs: NEUTRON_POLL_MS, busy: false });
    expect(router.progress(observedRouter({ status: 'ERROR' }))).toEqual({ state: 'failed', reason: 'CloudResourceError', message: 'router r-1 is in ERROR' });
  });
});

describe('Port diff', () => {
  const spec = (over: Partial<PortResource> = {}): PortResource => ({ networkRef: ref('lan'), adminStateUp: true, ...over });

  it('sends nothing when everything matches, whatever the order and spelling', () => {
    const desired = want(
      spec({
        fixedIPs: [{ subnetRef: ref('a') }, { ipAddress: '2001:DB8::0:20' }],
        securityGroupRefs: [ref('web'), ref('ssh')],
        allowedAddressPairs: [{ ipAddress: '10.0.0.100' }, { ipAddress: '10.0.0.0/28', macAddress: 'FA:16:3E:00:00:99' }],
        portSecurityEnabled: true,
      }),
    );
    const observed = observedPort({
      fixed_ips: [
        { subnet_id: 'sub-b', ip_address: '2001:db8::20' },
        { subnet_id: 'sub-a', ip_address: '10.0.0.5' },
      ],
      security_groups: ['sg-ssh', 'sg-web'],
      allowed_address_pairs: [
        { ip_address: '10.0.0.0/28', mac_address: 'fa:16:3e:00:00:99' },
        { ip_address: '10.0.0.100', mac_address: MAC },
      ],
    });
    expect(port.diff(desired, observed)).toBeUndefined();
  });

  it('sends only the changed plain fields', () => {
    expect(port.diff(want(spec({ adminStateUp: false, description: 'vip' }), 'renamed'), observedPort())).toEqual({
      name: 'renamed',
      description: 'vip',
      admin_state_up: false,
    });
  });

  describe('fixed IPs', () => {
    const fixed = (fixedIPs: PortResource['fixedIPs'], observed: NeutronPort['fixed_ips']) => port.diff(want(spec({ fixedIPs })), observedPort({ fixed_ips: observed }));

    it('leaves the addresses alone while unset', () => {
      expect(fixed(undefined, [{ subnet_id: 'sub-a', ip_address: '10.0.0.5' }])).toBeUndefined();
    });

    it('sends a changed address', () => {
      expect(fixed([{ subnetRef: ref('a'), ipAddress: '10.0.0.6' }], [{ subnet_id: 'sub-a', ip_address: '10.0.0.5' }])).toEqual({
        fixed_ips: [{ subnet_id: 'sub-a', ip_address: '10.0.0.6' }],
      });
      expect(fixed([{ ipAddress: '10.0.0.6' }], [{ subnet_id: 'sub-a', ip_address: '10.0.0.5' }])).toEqual({ fixed_ips: [{ ip_address: '10.0.0.6' }] });
    });

    it('pins the addresses that already satisfy a request when another changes, so none is renumbered', () => {
      expect(fixed([{ subnetRef: ref('a') }, { subnetRef: ref('b') }], [{ subnet_id: 'sub-a', ip_address: '10.0.0.5' }])).toEqual({
        fixed_ips: [{ subnet_id: 'sub-a', ip_address: '10.0.0.5' }, { subnet_id: 'sub-b' }],
      });
    });

    it('drops addresses no request asks for', () => {
      const observed = [
        { subnet_id: 'sub-a', ip_address: '10.0.0.5' },
        { subnet_id: 'sub-b', ip_address: '10.1.0.7' },
      ];
      expect(fixed([{ subnetRef: ref('a') }], observed)).toEqual({ fixed_ips: [{ subnet_id: 'sub-a', ip_address: '10.0.0.5' }] });
      expect(fixed([], observed)).toEqual({ fixed_ips: [] });
    });

    it('lets exact addresses pick first, so a subnet-only request does not take one another request names', () => {
      const observed = [
        { subnet_id: 'sub-a', ip_address: '10.0.0.5' },
        { subnet_id: 'sub-a', ip_address: '10.0.0.9' },
      ];
      expect(fixed([{ subnetRef: ref('a') }, { subnetRef: ref('a'), ipAddress: '10.0.0.5' }], observed)).toBeUndefined();
      // Two subnet-only requests are satisfied by any two addresses of the subnet.
      expect(fixed([{ subnetRef: ref('a') }, { subnetRef: ref('a') }], observed)).toBeUndefined();
    });
  });

  describe('allowed address pairs, a set', () => {
    const pairs = (allowedAddressPairs: PortResource['allowedAddressPairs'], observed: NeutronPort['allowed_address_pairs']) =>
      port.diff(want(spec({ allowedAddressPairs })), observedPort({ allowed_address_pairs: observed }));

    it("takes a pair without MAC as one with the port's own MAC, as Neutron fills it in", () => {
      expect(pairs([{ ipAddress: '10.0.0.100' }], [{ ip_address: '10.0.0.100', mac_address: MAC }])).toBeUndefined();
      // Another MAC is another pair: the desired one is sent without MAC for Neutron to fill in.
      expect(pairs([{ ipAddress: '10.0.0.100' }], [{ ip_address: '10.0.0.100', mac_address: 'fa:16:3e:00:00:02' }])).toEqual({
        allowed_address_pairs: [{ ip_address: '10.0.0.100' }],
      });
    });

    it('compares MACs case-insensitively, host prefixes as addresses and IPv6 canonically, and sends MACs lower-case', () => {
      expect(
        pairs(
          [{ ipAddress: '2001:DB8::0:1/128' }, { ipAddress: '10.0.0.7/32', macAddress: 'FA:16:3E:AA:BB:CC' }],
          [
            { ip_address: '10.0.0.7', mac_address: 'fa:16:3e:aa:bb:cc' },
            { ip_address: '2001:db8::1', mac_address: MAC },
          ],
        ),
      ).toBeUndefined();
      expect(pairs([{ ipAddress: '10.0.0.7', macAddress: 'FA:16:3E:AA:BB:CC' }], [])).toEqual({
        allowed_address_pairs: [{ ip_address: '10.0.0.7', mac_address: 'fa:16:3e:aa:bb:cc' }],
      });
    });

    it('sends the whole desired set when a pair is missing or extra', () => {
      const observed = [
        { ip_address: '10.0.0.100', mac_address: MAC },
        { ip_address: '10.0.0.101', mac_address: MAC },
      ];
      expect(pairs([{ ipAddress: '10.0.0.100' }], observed)).toEqual({ allowed_address_pairs: [{ ip_address: '10.0.0.100' }] });
      expect(pairs([], observed)).toEqual({ allowed_address_pairs: [] });
      expect(pairs(undefined, observed)).toBeUndefined();
    });
  });

  describe('security groups, a set', () => {
    const groups = (securityGroupRefs: PortResource['securityGroupRefs'], observed: string[]) =>
      port.diff(want(spec({ securityGroupRefs })), observedPort({ security_groups: observed }));

    it('sends the whole desired set when it differs, and leaves the groups alone while unset', () => {
      expect(groups([ref('web'), ref('ssh')], ['sg-ssh', 'sg-web'])).toBeUndefined();
      expect(groups([ref('web'), ref('ssh')], ['sg-web'])).toEqual({ security_groups: ['sg-web', 'sg-ssh'] });
      expect(groups([ref('web')], ['sg-web', 'sg-default'])).toEqual({ security_groups: ['sg-web'] });
      expect(groups([], ['sg-default'])).toEqual({ security_groups: [] });
      expect(groups(undefined, ['sg-default'])).toBeUndefined();
    });
  });

  describe('port security', () => {
    const observed = observedPort({ security_groups: ['sg-default'], allowed_address_pairs: [{ ip_address: '10.0.0.100', mac_address: MAC }] });

    it('turned off takes the groups and address pairs away with it (Neutron refuses otherwise)', () => {
      expect(port.diff(want(spec({ portSecurityEnabled: false })), observed)).toEqual({
        port_security_enabled: false,
        security_groups: [],
        allowed_address_pairs: [],
      });
      // Nothing to take away: only the flag.
      expect(port.diff(want(spec({ portSecurityEnabled: false })), observedPort())).toEqual({ port_security_enabled: false });
    });

    it('turned on sends the flag alone, and already off sends nothing', () => {
      expect(port.diff(want(spec({ portSecurityEnabled: true })), observedPort({ port_security_enabled: false }))).toEqual({ port_security_enabled: true });
      expect(port.diff(want(spec({ portSecurityEnabled: false })), observedPort({ port_security_enabled: false }))).toBeUndefined();
    });
  });
});

describe('Port progress', () => {
  const progress = (over: Partial<NeutronPort>) => port.progress(observedPort(over));

  it('is ready when ACTIVE, and when DOWN as asked: unbound or administratively down', () => {
    expect(progress({ status: 'ACTIVE', device_owner: 'compute:nova', 'binding:vif_type': 'ovs' })).toEqual({ state: 'ready' });
    expect(progress({ status: 'DOWN', device_owner: '' })).toEqual({ state: 'ready' });
    expect(progress({ status: 'DOWN', device_owner: 'compute:nova', 'binding:vif_type': 'unbound' })).toEqual({ state: 'ready' });
    expect(progress({ status: 'DOWN', device_owner: 'compute:nova', 'binding:vif_type': 'ovs', admin_state_up: false })).toEqual({ state: 'ready' });
  });

  it('is progressing while a bound port is DOWN or BUILD, and failed in ERROR', () => {
    expect(progress({ status: 'DOWN', device_owner: 'compute:nova', 'binding:vif_type': 'ovs' })).toEqual({
      state: 'progressing',
      reason: 'WaitingForCloud',
      message: 'port port-1 is DOWN (compute:nova)',
      pollAfterMs: NEUTRON_POLL_MS,
      busy: false,
    });
    expect(progress({ status: 'BUILD', device_owner: '' })).toMatchObject({ state: 'progressing', message: 'port port-1 is BUILD' });
    expect(progress({ status: 'ERROR', device_owner: '' })).toEqual({ state: 'failed', reason: 'CloudResourceError', message: 'port port-1 is ERROR' });
  });
});

describe('SecurityGroup rules', () => {
  const diff = (rules: SecurityGroupRule[] | undefined, observed: NeutronSecurityGroupRule[]) => securityGroup.diff(want(groupSpec(rules)), observedGroup(observed));

  // [what, desired rule, observed rule]: equal in Neutron's sense.
  const equal: [string, SecurityGroupRule, Partial<NeutronSecurityGroupRule>][] = [
    ['a protocol name and its number', SSH, { protocol: '6', port_range_min: 22, port_range_max: 22 }],
    ['a protocol number and its name', { direction: 'ingress', ethertype: 'IPv4', protocol: '17' }, { protocol: 'udp' }],
    ['icmp and 1 on IPv4', { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' }, { protocol: '1' }],
    ['any and unset', { direction: 'ingress', ethertype: 'IPv4', protocol: 'any' }, { protocol: null }],
    ['unset and any', { direction: 'ingress', ethertype: 'IPv4' }, { protocol: 'any' }],
    ['icmp on IPv6 and ipv6-icmp', { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp' }, { ethertype: 'IPv6', protocol: 'ipv6-icmp' }],
    ['icmpv6 and ipv6-icmp', { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmpv6' }, { ethertype: 'IPv6', protocol: 'ipv6-icmp' }],
    ['1 on IPv6 and ipv6-icmp', { direction: 'ingress', ethertype: 'IPv6', protocol: '1' }, { ethertype: 'IPv6', protocol: 'ipv6-icmp' }],
    ['58 and ipv6-icmp', { direction: 'ingress', ethertype: 'IPv6', protocol: '58' }, { ethertype: 'IPv6', protocol: 'ipv6-icmp' }],
    ['the port range 1-65535 and none', { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 1, portRangeMax: 65535 }, { protocol: 'tcp' }],
    ['a prefix with host bits and its network', { direction: 'ingress', ethertype: 'IPv4', remoteIPPrefix: '10.1.2.3/8' }, { remote_ip_prefix: '10.0.0.0/8' }],
    ['IPv6 prefix spellings', { direction: 'ingress', ethertype: 'IPv6', remoteIPPrefix: '2001:DB8:0::/32' }, { ethertype: 'IPv6', remote_ip_prefix: '2001:db8::/32' }],
    ['0.0.0.0/0 and no prefix', { direction: 'ingress', ethertype: 'IPv4', remoteIPPrefix: '0.0.0.0/0' }, { remote_ip_prefix: null }],
    ['::/0 and no prefix', { direction: 'egress', ethertype: 'IPv6', remoteIPPrefix: '::/0' }, { direction: 'egress', ethertype: 'IPv6' }],
    ['no prefix and 0.0.0.0/0', { direction: 'ingress', ethertype: 'IPv4' }, { remote_ip_prefix: '0.0.0.0/0' }],
    ['no description and an empty one', { direction: 'ingress', ethertype: 'IPv4', description: '' }, { description: '' }],
    ['the same remote group', { direction: 'ingress', ethertype: 'IPv4', remoteGroupRef: ref('web') }, { remote_group_id: 'sg-web' }],
    ['a remote group naming the group itself', { direction: 'ingress', ethertype: 'IPv4', remoteGroupRef: ref('self') }, { remote_group_id: 'sg-self' }],
  ];

  it.each(equal)('takes %s as equal: no change', (_, rule, observed) => {
    expect(diff([rule], [observedRule('r-1', observed)])).toBeUndefined();
  });

  // [what, desired rule, observed rule]: different rules.
  const different: [string, SecurityGroupRule, Partial<NeutronSecurityGroupRule>][] = [
    ['icmp on IPv4 and ipv6-icmp on IPv6', { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' }, { ethertype: 'IPv6', protocol: 'ipv6-icmp' }],
    ['tcp and udp', { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp' }, { protocol: 'udp' }],
    ['a port range and none', { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 1, portRangeMax: 1024 }, { protocol: 'tcp' }],
    ['two prefixes', { direction: 'ingress', ethertype: 'IPv4', remoteIPPrefix: '10.0.0.0/8' }, { remote_ip_prefix: '10.0.0.0/16' }],
    ['ingress and egress', { direction: 'ingress', ethertype: 'IPv4' }, { direction: 'egress' }],
    ['a remote address group and no remote', { direction: 'ingress', ethertype: 'IPv4' }, { remote_address_group_id: 'ag-1' }],
  ];

  it.each(different)('takes %s as different: the observed rule is replaced', (_, rule, observed) => {
    const plan = diff([rule], [observedRule('r-1', observed)]);
    expect(plan).toMatchObject({ rules: { delete: ['r-1'] } });
    expect((plan?.rules as { create: unknown[] }).create).toHaveLength(1);
  });

  it('replaces a rule that differs only in its description', () => {
    const observed = [observedRule('r-1', { protocol: 'tcp', port_range_min: 22, port_range_max: 22, description: 'ssh' })];
    expect(diff([{ ...SSH, description: 'ssh from the office' }], observed)).toEqual({
      rules: { delete: ['r-1'], create: [{ ...SSH_BODY, description: 'ssh from the office' }] },
    });
  });

  it("deletes the rules not listed, Neutron's default egress rules included", () => {
    expect(diff([SSH], DEFAULT_EGRESS)).toEqual({ rules: { delete: ['eg4', 'eg6'], create: [SSH_BODY] } });
    // Listed, they are kept.
    const egress: SecurityGroupRule[] = [
      { direction: 'egress', ethertype: 'IPv4' },
      { direction: 'egress', ethertype: 'IPv6' },
    ];
    expect(diff([SSH, ...egress], DEFAULT_EGRESS)).toEqual({ rules: { delete: [], create: [SSH_BODY] } });
    expect(diff([...egress].reverse(), DEFAULT_EGRESS)).toBeUndefined();
  });

  it('leaves the rules alone while unset, and deletes them all when empty', () => {
    expect(diff(undefined, DEFAULT_EGRESS)).toBeUndefined();
    expect(diff([], DEFAULT_EGRESS)).toEqual({ rules: { delete: ['eg4', 'eg6'], create: [] } });
  });

  it('keeps one of duplicate rules and asks once for a rule listed twice', () => {
    const observed = [observedRule('r-1', { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }), observedRule('r-2', { protocol: '6', port_range_min: 22, port_range_max: 22 })];
    expect(diff([SSH], observed)).toEqual({ rules: { delete: ['r-2'], create: [] } });
    expect(diff([SSH, SSH], [])).toEqual({ rules: { delete: [], create: [SSH_BODY] } });
  });

  it('sends a rule as the user wrote it, with its remote group resolved', () => {
    const rule: SecurityGroupRule = { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmpv6', remoteGroupRef: ref('web'), description: 'ping' };
    expect(diff([rule], [])).toEqual({
      rules: { delete: [], create: [{ direction: 'ingress', ethertype: 'IPv6', protocol: 'icmpv6', remote_group_id: 'sg-web', description: 'ping' }] },
    });
  });

  it('leaves out a rule whose remote group has no id yet, without touching the others', () => {
    const rules: SecurityGroupRule[] = [SSH, { direction: 'ingress', ethertype: 'IPv4', remoteGroupRef: ref('later') }];
    expect(diff(rules, [observedRule('r-1', { protocol: 'tcp', port_range_min: 22, port_range_max: 22 })])).toBeUndefined();
  });
});

describe('SecurityGroup fields', () => {
  it('sends only the changed fields; a cloud that reports no stateful has stateful groups', () => {
    const observed = observedGroup([], { stateful: undefined });
    expect(securityGroup.diff(want(groupSpec(undefined)), observed)).toBeUndefined();
    expect(securityGroup.diff(want(groupSpec(undefined, { stateful: false, description: 'web' }), 'renamed'), observed)).toEqual({
      name: 'renamed',
      description: 'web',
      stateful: false,
    });
    expect(securityGroup.diff(want(groupSpec(undefined)), observedGroup([], { stateful: false }))).toEqual({ stateful: true });
  });

  it('sends field changes and the rules plan together', () => {
    expect(securityGroup.diff(want(groupSpec([SSH], { description: 'web' })), observedGroup(DEFAULT_EGRESS))).toEqual({
      description: 'web',
      rules: { delete: ['eg4', 'eg6'], create: [SSH_BODY] },
    });
  });
});

describe('Subnet diff', () => {
  const spec = (over: Partial<SubnetResource> = {}): SubnetResource => ({ networkRef: ref('lan'), ipVersion: 4, cidr: '10.0.0.0/24', enableDHCP: true, ...over });

  function observedSubnet(over: Partial<NeutronSubnet> = {}): NeutronSubnet {
    return {
      id: 'sub-1',
      name: 'obj',
      description: '',
      network_id: 'net-lan',
      ip_version: 4,
      cidr: '10.0.0.0/24',
      gateway_ip: '10.0.0.1',
      enable_dhcp: true,
      allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
      dns_nameservers: [],
      host_routes: [],
      ...over,
    } as NeutronSubnet;
  }

  it('sends nothing for Neutron spellings of the desired values (normalised CIDR, IPv6, pools in any order)', () => {
    const desired = want(
      spec({
        ipVersion: 6,
        cidr: '2001:DB8:0:1:0::/64',
        gatewayIP: '2001:DB8:0:1::1',
        allocationPools: [
          { start: '2001:DB8:0:1::10', end: '2001:DB8:0:1::FF' },
          { start: '2001:DB8:0:1::1:0', end: '2001:DB8:0:1::1:FF' },
        ],
        dnsNameservers: ['2001:4860:4860:0:0:0:0:8888', '2001:4860:4860::8844'],
        hostRoutes: [{ destination: '2001:DB8:9::/48', nextHop: '2001:DB8:0:1::FE' }],
      }),
    );
    const observed = observedSubnet({
      ip_version: 6,
      cidr: '2001:db8:0:1::/64',
      gateway_ip: '2001:db8:0:1::1',
      allocation_pools: [
        { start: '2001:db8:0:1::1:0', end: '2001:db8:0:1::1:ff' },
        { start: '2001:db8:0:1::10', end: '2001:db8:0:1::ff' },
      ],
      dns_nameservers: ['2001:4860:4860::8888', '2001:4860:4860::8844'],
      host_routes: [{ destination: '2001:db8:9::/48', nexthop: '2001:db8:0:1::fe' }],
    });
    expect(subnet.diff(desired, observed)).toBeUndefined();
    // Neutron stores 10.0.0.5/24 as 10.0.0.0/24; the CIDR is immutable and never sent.
    expect(subnet.diff(want(spec({ cidr: '10.0.0.5/24' })), observedSubnet())).toBeUndefined();
  });

  it('sends only the changed mutable fields', () => {
    expect(subnet.diff(want(spec({ gatewayIP: '10.0.0.254', enableDHCP: false, description: 'lan' }), 'renamed'), observedSubnet())).toEqual({
      name: 'renamed',
      description: 'lan',
      gateway_ip: '10.0.0.254',
      enable_dhcp: false,
    });
  });

  it('sends gateway_ip null for noGateway, and leaves an unset gateway to the cloud', () => {
    expect(subnet.diff(want(spec({ noGateway: true })), observedSubnet())).toEqual({ gateway_ip: null });
    expect(subnet.diff(want(spec({ noGateway: true })), observedSubnet({ gateway_ip: null }))).toBeUndefined();
    expect(subnet.diff(want(spec()), observedSubnet({ gateway_ip: '10.0.0.99' }))).toBeUndefined();
  });

  it('sends pools, DNS servers (an ordered list) and host routes whole when they differ', () => {
    const observed = observedSubnet({
      dns_nameservers: ['10.0.0.53', '10.0.0.54'],
      host_routes: [{ destination: '10.9.0.0/16', nexthop: '10.0.0.254' }],
    });
    expect(
      subnet.diff(
        want(
          spec({
            allocationPools: [{ start: '10.0.0.10', end: '10.0.0.99' }],
            dnsNameservers: ['10.0.0.54', '10.0.0.53'],
            hostRoutes: [
              { destination: '10.9.0.0/16', nextHop: '10.0.0.254' },
              { destination: '10.8.0.0/16', nextHop: '10.0.0.254' },
            ],
          }),
        ),
        observed,
      ),
    ).toEqual({
      allocation_pools: [{ start: '10.0.0.10', end: '10.0.0.99' }],
      dns_nameservers: ['10.0.0.54', '10.0.0.53'],
      host_routes: [
        { destination: '10.9.0.0/16', nexthop: '10.0.0.254' },
        { destination: '10.8.0.0/16', nexthop: '10.0.0.254' },
      ],
    });
    // A destination with host bits is the network Neutron stores: no change.
    expect(
      subnet.diff(
        want(spec({ hostRoutes: [{ destination: '10.9.0.5/16', nextHop: '10.0.0.254' }] })),
        observedSubnet({ host_routes: [{ destination: '10.9.0.0/16', nexthop: '10.0.0.254' }] }),
      ),
    ).toBeUndefined();
  });
});

describe('Network diff', () => {
  const spec = (over: Partial<NetworkResource> = {}): NetworkResource => ({ adminStateUp: true, ...over });

  function observedNetwork(over: Partial<NeutronNetwork> = {}): NeutronNetwork {
    return {
      id: 'net-1',
      name: 'obj',
      description: '',
      status: 'ACTIVE',
      admin_state_up: true,
      mtu: 1450,
      port_security_enabled: true,
      'router:external': false,
      shared: false,
      dns_domain: '',
      ...over,
    } as NeutronNetwork;
  }

  it('sends nothing when the set fields match, and leaves unset ones to the cloud', () => {
    expect(network.diff(want(spec({ mtu: 1450, portSecurityEnabled: true, external: false, shared: false })), observedNetwork())).toBeUndefined();
    expect(network.diff(want(spec()), observedNetwork({ mtu: 9000, shared: true, dns_domain: 'example.org.' }))).toBeUndefined();
  });

  it('sends only the changed fields, by their Neutron names', () => {
    expect(
      network.diff(
        want(spec({ adminStateUp: false, mtu: 1400, portSecurityEnabled: true, external: true, dnsDomain: 'example.org.', description: 'lan' }), 'renamed'),
        observedNetwork(),
      ),
    ).toEqual({ name: 'renamed', description: 'lan', admin_state_up: false, mtu: 1400, 'router:external': true, dns_domain: 'example.org.' });
  });

  it('is ready when ACTIVE or DOWN as asked, progressing while DOWN otherwise, failed in ERROR', () => {
    expect(network.progress(observedNetwork())).toEqual({ state: 'ready' });
    expect(network.progress(observedNetwork({ status: 'DOWN', admin_state_up: false }))).toEqual({ state: 'ready' });
    expect(network.progress(observedNetwork({ status: 'DOWN' }))).toMatchObject({ state: 'progressing', message: 'network net-1 is DOWN' });
    expect(network.progress(observedNetwork({ status: 'ERROR' }))).toMatchObject({ state: 'failed', reason: 'CloudResourceError' });
  });
});

describe('FloatingIP diff', () => {
  const spec = (over: Partial<FloatingIPResource> = {}): FloatingIPResource => ({ floatingNetworkRef: ref('ext'), ...over });

  function observedFloatingIp(over: Partial<NeutronFloatingIp> = {}): NeutronFloatingIp {
    return {
      id: 'fip-1',
      description: '',
      status: 'DOWN',
      floating_ip_address: '203.0.113.5',
      floating_network_id: 'net-ext',
      port_id: 'port-a',
      fixed_ip_address: '10.0.0.5',
      ...over,
    } as NeutronFloatingIp;
  }

  it('sends nothing while associated as asked; an unset fixed address is whichever Neutron picked', () => {
    expect(floatingIP.diff(want(spec({ portRef: ref('a') })), observedFloatingIp())).toBeUndefined();
    expect(floatingIP.diff(want(spec({ portRef: ref('a'), fixedIPAddress: '10.0.0.5', address: '203.0.113.5' })), observedFloatingIp())).toBeUndefined();
    expect(floatingIP.diff(want(spec()), observedFloatingIp({ port_id: null, fixed_ip_address: null }))).toBeUndefined();
  });

  it('sends port_id together with fixed_ip_address when the association changes', () => {
    expect(floatingIP.diff(want(spec({ portRef: ref('b') })), observedFloatingIp())).toEqual({ port_id: 'port-b' });
    expect(floatingIP.diff(want(spec({ portRef: ref('b'), fixedIPAddress: '10.0.1.7' })), observedFloatingIp())).toEqual({
      port_id: 'port-b',
      fixed_ip_address: '10.0.1.7',
    });
    // Only the fixed address changes: Neutron still wants the port with it.
    expect(floatingIP.diff(want(spec({ portRef: ref('a'), fixedIPAddress: '10.0.0.6' })), observedFloatingIp())).toEqual({
      port_id: 'port-a',
      fixed_ip_address: '10.0.0.6',
    });
    expect(floatingIP.diff(want(spec({ portRef: ref('a') })), observedFloatingIp({ port_id: null, fixed_ip_address: null }))).toEqual({ port_id: 'port-a' });
  });

  it('disassociates with port_id null', () => {
    expect(floatingIP.diff(want(spec()), observedFloatingIp())).toEqual({ port_id: null });
  });

  it("with serverRef, Neutron's port_details say whether it points at the Server's port (on its network); else the port is looked up when sent", () => {
    const details = (device_id: string, network_id: string) => ({ port_details: { name: '', network_id, mac_address: '', admin_state_up: true, status: 'ACTIVE', device_id, device_owner: 'compute:nova' } });
    const onWeb = observedFloatingIp(details('srv-web', 'net-lan'));
    expect(floatingIP.diff(want(spec({ serverRef: { name: 'web' } })), onWeb)).toBeUndefined();
    expect(floatingIP.diff(want(spec({ serverRef: { name: 'web', networkRef: ref('lan') } })), onWeb)).toBeUndefined();
    expect(floatingIP.diff(want(spec({ serverRef: { name: 'web', networkRef: ref('dmz') } })), onWeb)).toEqual({ serverPort: true });
    expect(floatingIP.diff(want(spec({ serverRef: { name: 'db' } })), onWeb)).toEqual({ serverPort: true });
    expect(floatingIP.diff(want(spec({ serverRef: { name: 'web' }, fixedIPAddress: '10.0.0.6' })), onWeb)).toEqual({ serverPort: true });
    expect(floatingIP.diff(want(spec({ serverRef: { name: 'web' } })), observedFloatingIp({ port_id: null, port_details: null }))).toEqual({ serverPort: true });
  });

  it('sends a description change alone, without touching the association', () => {
    expect(floatingIP.diff(want(spec({ portRef: ref('a'), description: 'web' })), observedFloatingIp())).toEqual({ description: 'web' });
  });

  it('is ready in any state but ERROR (no L3 agent: floating IPs stay DOWN)', () => {
    expect(floatingIP.progress(observedFloatingIp({ status: 'DOWN' }))).toEqual({ state: 'ready' });
    expect(floatingIP.progress(observedFloatingIp({ status: 'ERROR' }))).toEqual({
      state: 'failed',
      reason: 'CloudResourceError',
      message: 'floating IP fip-1 (203.0.113.5) is in ERROR',
    });
  });
});

describe('ownership', () => {
  type Collection = 'networks' | 'subnets' | 'routers' | 'ports' | 'securityGroups' | 'floatingIps';
  const COLLECTIONS: Collection[] = ['networks', 'subnets', 'routers', 'ports', 'securityGroups', 'floatingIps'];

  /** A client whose Neutron lists record their options and answer `answers` (default none). */
  function recordingCloud(answers: Partial<Record<Collection, unknown[]>> = {}) {
    const lists: { collection: Collection; options: ListOptions }[] = [];
    const neutron = Object.fromEntries(
      COLLECTIONS.map((collection) => [
        collection,
        {
          list: async (options: ListOptions = {}) => {
            lists.push({ collection, options });
            return answers[collection] ?? [];
          },
        },
      ]),
    );
    return { cloud: { neutron } as unknown as OpenStackClient, lists };
  }

  const adapters: [AnyAdapter, Collection][] = [
    [network, 'networks'],
    [subnet, 'subnets'],
    [router, 'routers'],
    [port, 'ports'],
    [securityGroup, 'securityGroups'],
    [floatingIP, 'floatingIps'],
  ];

  describe.each(adapters.map(([adapter, collection]) => [adapter.kind, adapter, collection] as const))('%s', (_, adapter, collection) => {
    it('lists its owned resources by the owner tag', async () => {
      const { cloud, lists } = recordingCloud();
      expect(await adapter.listOwned(cloud, 'uid-1')).toEqual([]);
      expect(lists).toEqual([{ collection, options: { tags: [ownerTag('uid-1')] } }]);
    });

    it('marks with tags: its marks are the tags, the user marks spec.resource.tags', () => {
      expect(adapter.marks).toBe(tagMarks);
      expect(adapter.marksOf({ id: 'x', tags: ['team-a', ownerTag('uid-1')] })).toEqual(['team-a', ownerTag('uid-1')]);
      expect(adapter.marksOf({ id: 'x' })).toEqual([]);
      expect(adapter.userMarks({ tags: ['team-a'] })).toEqual(['team-a']);
      expect(adapter.userMarks({})).toEqual([]);
    });
  });

  it('Router lists the interface ports of its owned routers, and gives each router its own', async () => {
    const ports = [interfacePort('p-1', ['sub-a']), { ...interfacePort('p-2', ['sub-b']), device_id: 'r-2' }];
    const { cloud, lists } = recordingCloud({ routers: [{ id: 'r-1' }, { id: 'r-2' }], ports });
    const owned = await router.listOwned(cloud, 'uid-1');
    expect(owned.map((r) => [r.id, r.interfacePorts.map((p) => p.id)])).toEqual([
      ['r-1', ['p-1']],
      ['r-2', ['p-2']],
    ]);
    expect(lists).toEqual([
      { collection: 'routers', options: { tags: [ownerTag('uid-1')] } },
      {
        collection: 'ports',
        options: {
          filters: {
            device_id: ['r-1', 'r-2'],
            device_owner: ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'],
          },
        },
      },
    ]);
  });
});
