import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, neutron, type Client } from './client.ts';
import { startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';

const err = (type: string, message: string): object => ({ NeutronError: { type, message, detail: '' } });

describe('Neutron resources', () => {
  let sim: OpenStackSim;
  let demo: Client;
  let admin: Client;
  let pub: string;
  beforeEach(async () => {
    sim = await startOpenStackSim();
    demo = neutron(sim, 'demo');
    admin = neutron(sim, 'admin');
    pub = sim.publicNetworkId ?? '';
  });
  afterEach(() => sim.close());

  const net = async (name = 'n', c: Client = demo): Promise<string> => (await c.post('/networks', { network: { name } })).body.network.id;
  const subnet = async (networkId: string, cidr: string, extra: object = {}): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await demo.post('/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr, ...extra } });
    expect(res.status).toBe(201);
    return res.body.subnet;
  };

  it('answers version discovery on the endpoint root and lists resources under /v2.0', async () => {
    const root = await call(`${sim.networkUrl}/`, 'GET');
    expect(root).toMatchObject({ status: 200, body: { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${sim.networkUrl}/v2.0/`, rel: 'self' }] }] } });
    const resources = await demo.get('/');
    expect(resources.body.resources.map((r: { collection: string }) => r.collection)).toContain('floatingips');
  });

  it('creates, shows, updates and deletes a network with the real shape', async () => {
    const created = await demo.post('/networks', { network: { name: 'app', description: 'd' } });
    expect(created.status).toBe(201);
    const n = created.body.network;
    expect(n).toMatchObject({
      name: 'app', description: 'd', admin_state_up: true, status: 'ACTIVE', shared: false, 'router:external': false, mtu: 1450,
      port_security_enabled: true, subnets: [], tags: [], availability_zone_hints: [], revision_number: 1, project_id: n.tenant_id,
    });
    expect(n.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(n).not.toHaveProperty('provider:network_type');
    expect((await admin.get(`/networks/${n.id}`)).body.network['provider:network_type']).toBe('vxlan');

    const updated = await demo.put(`/networks/${n.id}`, { network: { name: 'app2', mtu: 1400 } });
    expect(updated.body.network).toMatchObject({ name: 'app2', mtu: 1400, revision_number: 2 });
    // Real Neutron writes the row (and bumps the revision) for any named attribute, changed or not; not for {}.
    const same = await demo.put(`/networks/${n.id}`, { network: { name: 'app2' } });
    expect(same.body.network.revision_number).toBe(3);
    expect((await demo.put(`/networks/${n.id}`, { network: {} })).body.network.revision_number).toBe(3);

    const unknownPolicy = '00000000-0000-0000-0000-000000000001';
    expect((await demo.put(`/networks/${n.id}`, { network: { qos_policy_id: unknownPolicy } })).body).toEqual(err('QosPolicyNotFound', `QoS policy ${unknownPolicy} could not be found.`));
    expect((await demo.put(`/networks/${n.id}`, { network: { mtu: 9000 } })).body).toEqual(err('InvalidInput', 'Invalid input for operation: Requested MTU is too big, maximum is 1450.'));
    expect((await demo.del(`/networks/${n.id}`)).status).toBe(204);
    const gone = await demo.get(`/networks/${n.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(err('NetworkNotFound', `Network ${n.id} could not be found.`));
  });

  it('rejects bad input with Neutron bodies', async () => {
    const badJson = await call(`${sim.networkUrl}/v2.0/networks`, 'POST', { token: demo.token, raw: '{"network":' });
    expect(badJson).toMatchObject({ status: 400, body: err('HTTPBadRequest', 'Body contains invalid data') });
    expect((await demo.post('/networks', { network: { bogus: 1 } })).body).toEqual(err('HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"));
    expect((await demo.post('/networks', { network: { status: 'DOWN' } })).body).toEqual(err('HTTPBadRequest', "Attribute 'status' not allowed in POST"));
    const external = await demo.post('/networks', { network: { name: 'x', 'router:external': true } });
    expect(external).toMatchObject({ status: 403, body: err('PolicyNotAuthorized', '(rule:create_network and rule:create_network:router:external) is disallowed by policy') });
    const id = await net();
    expect((await demo.put(`/networks/${id}`, { network: { id: 'x' } })).body).toEqual(err('HTTPBadRequest', 'Cannot update read-only attribute id'));
    expect((await demo.post('/subnets', { subnet: { network_id: id, cidr: '10.0.0.0/24' } })).body).toEqual(err('HTTPBadRequest', "Failed to parse request. Required attribute 'ip_version' not specified"));
    expect((await demo.get('/networks?bogus=1')).body).toEqual(err('HTTPBadRequest', "['bogus'] is invalid attribute for filtering"));
  });

  it('computes subnet defaults, normalises host bits and rejects overlaps and bad CIDRs', async () => {
    const id = await net();
    const s = await subnet(id, '10.30.0.5/24');
    expect(s).toMatchObject({
      cidr: '10.30.0.0/24', gateway_ip: '10.30.0.1', allocation_pools: [{ start: '10.30.0.2', end: '10.30.0.254' }], enable_dhcp: true,
      dns_nameservers: [], host_routes: [], ip_version: 4, ipv6_address_mode: null, ipv6_ra_mode: null, subnetpool_id: null, revision_number: 0,
    });
    expect((await demo.get(`/networks/${id}`)).body.network.revision_number).toBe(2); // a new subnet bumps its network
    const overlap = await demo.post('/subnets', { subnet: { network_id: id, ip_version: 4, cidr: '10.30.0.0/25' } });
    expect(overlap).toMatchObject({ status: 400, body: err('InvalidInput', `Invalid input for operation: Requested subnet with cidr: 10.30.0.0/25 for network: ${id} overlaps with another subnet.`) });
    const invalid = await demo.post('/subnets', { subnet: { network_id: id, ip_version: 4, cidr: '10.300.0.0/24' } });
    expect(invalid.body).toEqual(err('InvalidInput', 'Invalid input for operation: 10.300.0.0/24 is not in a CIDR format.'));

    const mid = await subnet(id, '10.31.0.0/24', { gateway_ip: '10.31.0.100' });
    expect(mid.allocation_pools).toEqual([{ start: '10.31.0.1', end: '10.31.0.99' }, { start: '10.31.0.101', end: '10.31.0.254' }]);
    const none = await subnet(id, '10.32.0.0/29', { gateway_ip: null, enable_dhcp: false });
    expect(none).toMatchObject({ gateway_ip: null, allocation_pools: [{ start: '10.32.0.1', end: '10.32.0.6' }] });
    const v6 = await demo.post('/subnets', { subnet: { network_id: id, ip_version: 6, cidr: '2001:db8::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } });
    // IPv6: the gateway defaults to the subnet-router anycast address (the network address).
    expect(v6.body.subnet).toMatchObject({ gateway_ip: '2001:db8::', allocation_pools: [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }] });
    const outside = await demo.post('/subnets', { subnet: { network_id: id, ip_version: 4, cidr: '10.33.0.0/24', allocation_pools: [{ start: '10.34.0.2', end: '10.34.0.9' }] } });
    expect(outside.body).toEqual(err('OutOfBoundsAllocationPool', 'The allocation pool 10.34.0.2-10.34.0.9 spans beyond the subnet cidr 10.33.0.0/24.'));

    const upd = await demo.put(`/subnets/${s.id}`, { subnet: { dns_nameservers: ['1.1.1.1'], name: 'x' } });
    expect(upd.body.subnet).toMatchObject({ dns_nameservers: ['1.1.1.1'], name: 'x', revision_number: 1 });
    expect((await demo.put(`/subnets/${s.id}`, { subnet: { cidr: '10.9.0.0/24' } })).body).toEqual(err('HTTPBadRequest', 'Cannot update read-only attribute cidr'));
  });

  it('deleting a network with only subnets cascades; with ports it is NetworkInUse', async () => {
    const id = await net();
    const s = await subnet(id, '10.40.0.0/24');
    const port = (await demo.post('/ports', { port: { network_id: id } })).body.port;
    const inUse = await demo.del(`/networks/${id}`);
    expect(inUse).toMatchObject({ status: 409, body: err('NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network, id for these ports is: ${port.id}.`) });
    const subnetInUse = await demo.del(`/subnets/${s.id}`);
    expect(subnetInUse.body).toEqual(err('SubnetInUse', `Unable to complete operation on subnet ${s.id}: One or more ports have an IP allocation from this subnet.`));
    expect((await demo.del(`/ports/${port.id}`)).status).toBe(204);
    expect((await demo.del(`/networks/${id}`)).status).toBe(204);
    expect(sim.neutron.subnets.has(s.id)).toBe(false);
    expect((await demo.get(`/subnets/${s.id}`)).body).toEqual(err('SubnetNotFound', `Subnet ${s.id} could not be found.`));
  });

  it('allocates port addresses from the pools (at random, as Neutron) and refuses taken ones', async () => {
    const id = await net();
    const s = await subnet(id, '10.50.0.0/24', { allocation_pools: [{ start: '10.50.0.2', end: '10.50.0.100' }] });
    const p1 = (await demo.post('/ports', { port: { network_id: id, name: 'p1' } })).body.port;
    expect(p1).toMatchObject({
      name: 'p1', status: 'DOWN', device_owner: '', device_id: '', admin_state_up: true, port_security_enabled: true,
      fixed_ips: [{ subnet_id: s.id, ip_address: expect.stringMatching(/^10\.50\.0\.\d+$/) }], allowed_address_pairs: [], 'binding:vnic_type': 'normal', dns_name: '',
    });
    const host = Number(p1.fixed_ips[0].ip_address.split('.')[3]);
    expect(host).toBeGreaterThanOrEqual(2);
    expect(host).toBeLessThanOrEqual(100);
    expect(p1).not.toHaveProperty('binding:vif_type'); // binding details are for admins only
    expect(p1.dns_assignment).toEqual([{ ip_address: p1.fixed_ips[0].ip_address, hostname: `host-${p1.fixed_ips[0].ip_address.replaceAll('.', '-')}`, fqdn: `host-${p1.fixed_ips[0].ip_address.replaceAll('.', '-')}.openstacklocal.` }]);
    expect(p1.mac_address).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    const defaultSg = [...sim.neutron.security_groups.values()].find((g) => g.name === 'default' && g.project_id === p1.project_id);
    expect(p1.security_groups).toEqual([defaultSg?.id]);
    const pinned = await demo.post('/ports', { port: { network_id: id, fixed_ips: [{ subnet_id: s.id, ip_address: '10.50.0.109' }] } });
    expect(pinned.body.port.fixed_ips).toEqual([{ subnet_id: s.id, ip_address: '10.50.0.109' }]);
    const taken = await demo.post('/ports', { port: { network_id: id, fixed_ips: [{ ip_address: '10.50.0.109' }] } });
    expect(taken).toMatchObject({ status: 409, body: err('IpAddressAlreadyAllocated', `IP address 10.50.0.109 already allocated in subnet ${s.id}`) });
    const moved = await demo.put(`/ports/${p1.id}`, { port: { fixed_ips: [{ subnet_id: s.id, ip_address: '10.50.0.7' }], name: 'p1b' } });
    expect(moved.body.port).toMatchObject({ name: 'p1b', fixed_ips: [{ subnet_id: s.id, ip_address: '10.50.0.7' }], revision_number: 2 });

    const tiny = await net('tiny');
    const ts = await subnet(tiny, '10.51.0.0/30');
    expect((await demo.post('/ports', { port: { network_id: tiny } })).body.port.fixed_ips).toEqual([{ subnet_id: ts.id, ip_address: '10.51.0.2' }]);
    expect((await demo.post('/ports', { port: { network_id: tiny } })).body).toEqual(err('IpAddressGenerationFailure', `No more IP addresses available on network ${tiny}.`));
    const dual = await net('dual');
    const v4 = await subnet(dual, '10.52.0.0/24');
    const v6 = (await demo.post('/subnets', { subnet: { network_id: dual, ip_version: 6, cidr: '2001:db8:1::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } })).body.subnet;
    const both = (await demo.post('/ports', { port: { network_id: dual, mac_address: 'fa:16:3e:12:34:56' } })).body.port;
    expect(both.fixed_ips).toEqual([{ subnet_id: v4.id, ip_address: expect.stringMatching(/^10\.52\.0\.\d+$/) }, { subnet_id: v6.id, ip_address: '2001:db8:1:0:f816:3eff:fe12:3456' }]);
    expect((await demo.get('/ports/nope')).body).toEqual(err('PortNotFound', 'Port nope could not be found.'));
  });

  it('routers: gateway, interfaces (DOWN ports), routes and in-use errors', async () => {
    const id = await net();
    const s = await subnet(id, '10.60.0.0/24');
    const internal = await net('internal');
    const badGw = await demo.post('/routers', { router: { name: 'r', external_gateway_info: { network_id: internal } } });
    expect(badGw.body).toEqual(err('BadRequest', `Bad router request: Network ${internal} is not an external network.`));
    const snat = await demo.post('/routers', { router: { name: 'r', external_gateway_info: { network_id: pub, enable_snat: false } } });
    expect(snat).toMatchObject({
      status: 403,
      body: err('PolicyNotAuthorized', '(rule:create_router and (rule:create_router:external_gateway_info and (rule:create_router:external_gateway_info:network_id and rule:create_router:external_gateway_info:enable_snat))) is disallowed by policy'),
    });

    const r = (await demo.post('/routers', { router: { name: 'r', external_gateway_info: { network_id: pub } } })).body.router;
    expect(r).toMatchObject({ status: 'ACTIVE', routes: [], admin_state_up: true, external_gateway_info: { network_id: pub, enable_snat: true } });
    expect(r.external_gateway_info.external_fixed_ips).toEqual([{ subnet_id: expect.any(String), ip_address: expect.stringMatching(/^203\.0\.113\.\d+$/) }]);
    expect(r.revision_number).toBe(3); // setting a gateway writes the router twice more
    expect(r).not.toHaveProperty('ha');

    const added = await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: s.id });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ id: r.id, port_id: expect.any(String), subnet_id: s.id, subnet_ids: [s.id], network_id: id, tenant_id: r.project_id });
    const iface = (await demo.get(`/ports/${added.body.port_id}`)).body.port;
    expect(iface).toMatchObject({ device_owner: 'network:router_interface', device_id: r.id, status: 'DOWN', fixed_ips: [{ subnet_id: s.id, ip_address: '10.60.0.1' }] });
    expect((await demo.get(`/routers/${r.id}`)).body.router.revision_number).toBe(4);
    const twice = await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: s.id });
    expect(twice.body).toEqual(err('BadRequest', `Bad router request: Router already has a port on subnet ${s.id}.`));

    const routed = await demo.put(`/routers/${r.id}`, { router: { routes: [{ destination: '192.168.0.0/24', nexthop: '10.60.0.50' }] } });
    expect(routed.body.router.routes).toEqual([{ destination: '192.168.0.0/24', nexthop: '10.60.0.50' }]);
    const badRoute = await demo.put(`/routers/${r.id}`, { router: { routes: [{ destination: '192.168.0.0/24', nexthop: '10.99.0.1' }] } });
    expect(badRoute.body).toEqual(err('InvalidRoutes', "Invalid format for routes: [{'destination': '192.168.0.0/24', 'nexthop': '10.99.0.1'}], the nexthop is not connected with router"));
    expect((await demo.post('/routers', { router: { routes: [] } })).body).toEqual(err('HTTPBadRequest', "Attribute 'routes' not allowed in POST"));

    expect((await demo.del(`/routers/${r.id}`)).body).toEqual(err('RouterInUse', `Router ${r.id} has ports still attached: ${iface.id}`));
    expect((await demo.del(`/subnets/${s.id}`)).status).toBe(409);
    expect((await demo.del(`/ports/${iface.id}`)).body).toEqual(err('ServicePortInUse', `Port ${iface.id} cannot be deleted directly via the port API: has device owner network:router_interface.`));

    await demo.put(`/routers/${r.id}`, { router: { routes: [] } });
    const removed = await demo.put(`/routers/${r.id}/remove_router_interface`, { subnet_id: s.id });
    expect(removed.body).toMatchObject({ id: r.id, port_id: iface.id, subnet_id: s.id });
    expect(sim.neutron.ports.has(iface.id)).toBe(false);
    const notThere = await demo.put(`/routers/${r.id}/remove_router_interface`, { subnet_id: s.id });
    expect(notThere.body).toEqual(err('RouterInterfaceNotFoundForSubnet', `Router ${r.id} has no interface on subnet ${s.id}`));
    const cleared = await demo.put(`/routers/${r.id}`, { router: { external_gateway_info: {} } });
    expect(cleared.body.router.external_gateway_info).toBeNull();
    expect((await demo.del(`/routers/${r.id}`)).status).toBe(204);
    expect([...sim.neutron.ports.values()].filter((p) => p.device_id === r.id)).toEqual([]);
  });

  it('security groups come with egress rules; rules validate, deduplicate and block deletion while used', async () => {
    const sg = (await demo.post('/security-groups', { security_group: { name: 'web', description: 'w' } })).body.security_group;
    expect(sg).toMatchObject({ name: 'web', description: 'w', stateful: true, tags: [], revision_number: 1 });
    expect(sg.security_group_rules.map((r: { direction: string; ethertype: string; protocol: null }) => [r.direction, r.ethertype, r.protocol])).toEqual([
      ['egress', 'IPv4', null],
      ['egress', 'IPv6', null],
    ]);
    const rule = { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' };
    const created = await demo.post('/security-group-rules', { security_group_rule: rule });
    expect(created.status).toBe(201);
    expect(created.body.security_group_rule).toMatchObject({ ...rule, ethertype: 'IPv4', remote_group_id: null, normalized_cidr: '0.0.0.0/0' });
    expect(created.body.security_group_rule).not.toHaveProperty('tags');
    const dup = await demo.post('/security-group-rules', { security_group_rule: rule });
    expect(dup).toMatchObject({ status: 409, body: err('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${created.body.security_group_rule.id}.`) });
    const sameByNumber = await demo.post('/security-group-rules', { security_group_rule: { ...rule, protocol: '6', remote_ip_prefix: undefined } });
    expect(sameByNumber.body.NeutronError.type).toBe('SecurityGroupRuleExists');
    const defaultEgress = await demo.post('/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'egress', remote_ip_prefix: '::/0', ethertype: 'IPv6' } });
    expect(defaultEgress.body.NeutronError.type).toBe('SecurityGroupRuleExists');
    const noProto = await demo.post('/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', port_range_min: 80 } });
    expect(noProto.body).toEqual(err('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.'));
    expect((await demo.get(`/security-groups/${sg.id}`)).body.security_group.revision_number).toBe(2);

    const id = await net();
    await subnet(id, '10.70.0.0/24');
    const port = (await demo.post('/ports', { port: { network_id: id, security_groups: [sg.id] } })).body.port;
    expect(port.security_groups).toEqual([sg.id]);
    expect((await demo.del(`/security-groups/${sg.id}`)).body).toEqual(err('SecurityGroupInUse', `Security Group ${sg.id} in use.`));
    await demo.del(`/ports/${port.id}`);
    expect((await demo.del(`/security-group-rules/${created.body.security_group_rule.id}`)).status).toBe(204);
    expect((await demo.del(`/security-groups/${sg.id}`)).status).toBe(204);
    expect([...sim.neutron.security_group_rules.values()].filter((r) => r.security_group_id === sg.id)).toEqual([]);
    expect((await demo.get(`/security-groups/${sg.id}`)).body).toEqual(err('SecurityGroupNotFound', `Security group ${sg.id} does not exist`));

    const groups = (await demo.get('/security-groups?name=default')).body.security_groups;
    expect(groups).toHaveLength(1);
    expect(groups[0].security_group_rules).toHaveLength(4);
  });

  it('floating IPs: allocate from the external subnet, associate, move, disassociate; always DOWN', async () => {
    const internal = await net();
    const s = await subnet(internal, '10.80.0.0/24');
    const p1 = (await demo.post('/ports', { port: { network_id: internal, fixed_ips: [{ subnet_id: s.id }] } })).body.port;
    const p2 = (await demo.post('/ports', { port: { network_id: internal } })).body.port;

    expect((await demo.post('/floatingips', { floatingip: { floating_network_id: internal } })).body).toEqual(
      err('BadRequest', `Bad floatingip request: Network ${internal} is not a valid external network.`),
    );
    const unreachable = await demo.post('/floatingips', { floatingip: { floating_network_id: pub, port_id: p1.id } });
    expect(unreachable).toMatchObject({
      status: 404,
      body: err('ExternalGatewayForFloatingIPNotFound', `External network ${pub} is not reachable from subnet ${s.id}.  Therefore, cannot associate Port ${p1.id} with a Floating IP.`),
    });
    const r = (await demo.post('/routers', { router: { external_gateway_info: { network_id: pub } } })).body.router;
    await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: s.id });

    const fip = (await demo.post('/floatingips', { floatingip: { floating_network_id: pub, port_id: p1.id } })).body.floatingip;
    expect(fip).toMatchObject({
      status: 'DOWN', floating_network_id: pub, port_id: p1.id, fixed_ip_address: p1.fixed_ips[0].ip_address, router_id: r.id, floating_ip_address: expect.stringMatching(/^203\.0\.113\.\d+$/),
      port_details: { network_id: internal, mac_address: p1.mac_address, status: 'DOWN' }, tags: [], revision_number: 0, dns_name: '', dns_domain: '',
    });
    const second = await demo.post('/floatingips', { floatingip: { floating_network_id: pub, port_id: p1.id } });
    const [, address, id] = /floating IP (\S+) \(([^)]+)\)/.exec(second.body.NeutronError.message) ?? [];
    expect(second.body).toEqual(
      err('FloatingIPPortAlreadyAssociated', `Cannot associate floating IP ${address} (${id}) with port ${p1.id} using fixed IP ${p1.fixed_ips[0].ip_address}, as that fixed IP already has a floating IP on external network ${pub}.`),
    );
    const moved = await demo.put(`/floatingips/${fip.id}`, { floatingip: { port_id: p2.id } });
    expect(moved.body.floatingip).toMatchObject({ port_id: p2.id, fixed_ip_address: p2.fixed_ips[0].ip_address, status: 'DOWN', revision_number: 1 });
    const inUse = await demo.put(`/routers/${r.id}/remove_router_interface`, { subnet_id: s.id });
    expect(inUse.body.NeutronError.type).toBe('RouterInterfaceInUseByFloatingIP');
    const off = await demo.put(`/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    expect(off.body.floatingip).toMatchObject({ port_id: null, fixed_ip_address: null, router_id: null, port_details: null });
    const forbidden = await demo.post('/floatingips', { floatingip: { floating_network_id: pub, floating_ip_address: '203.0.113.99' } });
    expect(forbidden.status).toBe(403);
    const chosen = await admin.post('/floatingips', { floatingip: { floating_network_id: pub, floating_ip_address: '203.0.113.99' } });
    expect(chosen.body.floatingip.floating_ip_address).toBe('203.0.113.99');
    expect((await demo.del(`/floatingips/${fip.id}`)).status).toBe(204);
    expect([...sim.neutron.ports.values()].some((p) => p.device_id === fip.id)).toBe(false);
    expect((await demo.get(`/floatingips/${fip.id}`)).body).toEqual(err('FloatingIPNotFound', `Floating IP ${fip.id} could not be found`));
  });

  it('scopes by project: members see their own resources plus shared and external networks', async () => {
    const mine = await net('mine');
    const theirs = await net('theirs', admin);
    const shared = (await admin.post('/networks', { network: { name: 'shared', shared: true } })).body.network.id;
    const names = (await demo.get('/networks')).body.networks.map((n: { name: string }) => n.name).sort();
    expect(names).toEqual(['mine', 'public', 'shared']);
    expect((await admin.get('/networks')).body.networks).toHaveLength(4);
    expect((await demo.get(`/networks/${theirs}`)).status).toBe(404);
    expect((await demo.del(`/networks/${pub}`)).body).toEqual(err('PolicyNotAuthorized', 'rule:delete_network is disallowed by policy'));
    expect((await demo.post('/networks', { network: { name: 'plain', shared: false, 'router:external': false } })).status).toBe(201);
    const both = await demo.post('/networks', { network: { shared: true, 'router:external': true } });
    expect(both.body).toEqual(err('PolicyNotAuthorized', '((rule:create_network and rule:create_network:shared) and rule:create_network:router:external) is disallowed by policy'));
    expect((await demo.put(`/networks/${mine}`, { network: { shared: false } })).body).toEqual(err('PolicyNotAuthorized', '(rule:update_network and rule:update_network:shared) is disallowed by policy'));
    // Members see an external network and its subnet ids, not the subnets themselves (those of shared networks, yes).
    expect((await demo.get('/subnets')).body.subnets.map((s: { name: string }) => s.name)).toEqual([]);
    expect(mine).not.toBe(shared);
    // ... and may plug into a shared network, not into an external one.
    expect((await demo.post('/ports', { port: { network_id: shared } })).status).toBe(201);
    const project = sim.keystone.projectByName('demo')?.id;
    expect((await demo.post('/ports', { port: { network_id: pub } })).body).toEqual(err('HTTPForbidden', `Tenant ${project} not allowed to create port on this network`));
  });
});
