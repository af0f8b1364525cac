// The simulator must answer as real Keystone + Neutron do: each case runs the same requests against both and
// compares the transcripts (status codes, NeutronError types and messages, bodies modulo ids/timestamps/MACs).
// Runs only on the real tier (CLOUDNET_REAL=1, set by `make test-real`), which provides real services.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startOpenStackSim, type OpenStackSim } from '../../dev/sim/openstack/index.ts';
import { extensions } from '../../dev/sim/openstack/neutron/extensions.ts';
import { realRequested, startRealOpenStack, type RealOpenStack } from './backend.ts';
import { expectSameTranscripts, Target, unordered } from './parity.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const RUN = `parity-${randomUUID().slice(0, 8)}`;

describe.runIf(realRequested())('simulator parity with real Keystone + Neutron (needs CLOUDNET_REAL=1: make test-real)', () => {
  let sim: OpenStackSim;
  let real: RealOpenStack;
  let targets: Target[];

  beforeAll(async () => {
    real = await startRealOpenStack();
    sim = await startOpenStackSim();
    targets = [new Target('sim', sim.authUrl), new Target('real', real.authUrl)];
    for (const t of targets) await t.init();
  }, 120_000);

  afterAll(async () => {
    await sim?.close();
    await real?.close();
  }, 60_000);

  /** One case: `seq` runs against the simulator and against real Neutron; their transcripts must be equal. */
  const parity = (name: string, seq: (t: Target, pub: string) => Promise<void>): void => {
    const publicNetwork = (t: Target) => {
      const pub = t.kind === 'sim' ? (sim.publicNetworkId ?? '') : real.publicNetworkId;
      t.label(pub, 'public');
      return pub;
    };
    it(name, () => expectSameTranscripts(targets, name, publicNetwork, seq));
  };

  parity('keystone: tokens, catalog, wrong password, no token', async (t) => {
    const ok = await t.issueToken('demo');
    t.note('token shape', {
      status: ok.status,
      keys: Object.keys(ok.body.token).sort(),
      roles: ok.body.token.roles.map((r: Json) => r.name).sort(),
      project: ok.body.token.project.name,
      user: ok.body.token.user.name,
      network: ok.body.token.catalog.filter((s: Json) => s.type === 'network').map((s: Json) => s.endpoints.map((e: Json) => e.interface).sort()),
    });
    t.see('wrong password', await t.issueToken('demo', 'nope'));
    t.see('neutron without token', await t.neutron(null, 'GET', '/networks'));
  });

  parity('network: defaults, update and revisions, If-Match, policy, not found', async (t) => {
    const net = await t.create('create', 'demo', '/networks', { network: { name: `${RUN}-net` } }, 'net');
    t.see('show', await t.neutron('demo', 'GET', `/networks/${net.id}`));
    t.see('rename', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { name: `${RUN}-net2` } }));
    t.see('same name again (no change)', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { name: `${RUN}-net2` } }));
    t.see('stale If-Match', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { description: 'x' } }, { 'If-Match': 'revision_number=1' }));
    const rev = (await t.neutron('demo', 'GET', `/networks/${net.id}`)).body.network.revision_number;
    t.see('current If-Match', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { description: 'x' } }, { 'If-Match': `revision_number=${rev}` }));
    t.see('mtu too big', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { mtu: 9000 } }));
    t.see('member creates external', await t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-ext`, 'router:external': true } }));
    t.see('member creates shared', await t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-shared`, shared: true } }));
    t.see('unknown attribute', await t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-x`, bogus: 1 } }));
    t.see('read-only attribute', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { status: 'DOWN' } }));
    t.see('bad JSON', await t.raw('POST', `${t.networkUrl}/v2.0/networks`, { raw: '{"network":', headers: { 'X-Auth-Token': t.token('demo') } }));
    t.see('admin view', await t.neutron('admin', 'GET', `/networks/${net.id}`));
    // Its revision is its history: scenarios mark it and take the marks off again (an import as Managed).
    const withoutRevision = (body: Json) => ({ ...body, networks: body.networks.map(({ revision_number: _, ...n }: Json) => n) });
    t.see('public as member', await t.neutron('demo', 'GET', `/networks?name=public`), { pick: withoutRevision });
    const publicSubnet = (await t.neutron('admin', 'GET', '/subnets?name=public-subnet')).body.subnets[0].id;
    t.label(publicSubnet, 'public-subnet');
    t.see('public subnet as member', await t.neutron('demo', 'GET', `/subnets/${publicSubnet}`));
    t.see('public subnet in a member list', await t.neutron('demo', 'GET', '/subnets?cidr=203.0.113.0/24'));
    t.see('delete', await t.neutron('demo', 'DELETE', `/networks/${net.id}`));
    t.see('show deleted', await t.neutron('demo', 'GET', `/networks/${net.id}`));
    t.see('delete deleted', await t.neutron('demo', 'DELETE', `/networks/${net.id}`));
  });

  parity('visibility across projects: private, shared and external networks and their subnets', async (t) => {
    const priv = await t.create('admin network', 'admin', '/networks', { network: { name: `${RUN}-priv` } }, 'priv');
    const privSub = await t.create('admin subnet', 'admin', '/subnets', { subnet: { network_id: priv.id, ip_version: 4, cidr: '10.90.0.0/24' } }, 'priv-sub');
    const shared = await t.create('shared network', 'admin', '/networks', { network: { name: `${RUN}-shared`, shared: true } }, 'shared');
    const sharedSub = await t.create('shared subnet', 'admin', '/subnets', { subnet: { network_id: shared.id, ip_version: 4, cidr: '10.91.0.0/24' } }, 'shared-sub');
    t.see('member shows admin network', await t.neutron('demo', 'GET', `/networks/${priv.id}`));
    t.see('member shows admin subnet', await t.neutron('demo', 'GET', `/subnets/${privSub.id}`));
    t.see('member shows shared network', await t.neutron('demo', 'GET', `/networks/${shared.id}`), { pick: (x) => [x.network.shared, x.network.subnets] });
    t.see('member shows shared subnet', await t.neutron('demo', 'GET', `/subnets/${sharedSub.id}`), { pick: (x) => x.subnet.cidr });
    t.see('member lists networks by name', await t.neutron('demo', 'GET', `/networks?name=${RUN}-priv&name=${RUN}-shared`), { pick: (x) => x.networks.map((n: Json) => n.name) });
    t.see('member deletes shared network', await t.neutron('demo', 'DELETE', `/networks/${shared.id}`));
    await t.create('member adds a subnet to the shared network', 'demo', '/subnets', { subnet: { network_id: shared.id, ip_version: 4, cidr: '10.92.0.0/24' } }, 'member-sub');
    t.see('member port on the external network', await t.neutron('demo', 'POST', '/ports', { port: { network_id: t.kind === 'sim' ? (sim.publicNetworkId ?? '') : real.publicNetworkId } }));
    t.see('member adds a subnet to the external network', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: t.kind === 'sim' ? (sim.publicNetworkId ?? '') : real.publicNetworkId, ip_version: 4, cidr: '10.93.0.0/24' } }));
    const port = await t.create('member port on shared network', 'demo', '/ports', { port: { network_id: shared.id, name: `${RUN}-sp`, fixed_ips: [{ subnet_id: sharedSub.id }] } }, 'sp');
    t.note('port owner', port?.project_id === t.projects.demo);
  });

  parity('tags: add, replace, check, remove, filters, tags in POST', async (t) => {
    const a = await t.create('create a', 'demo', '/networks', { network: { name: `${RUN}-a` } }, 'a');
    const b = await t.create('create b', 'demo', '/networks', { network: { name: `${RUN}-b` } }, 'b');
    t.see('tags in POST (Zed)', await t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-c`, tags: ['x'] } }));
    t.see('add tag', await t.neutron('demo', 'PUT', `/networks/${a.id}/tags/${RUN}`));
    t.see('add same tag', await t.neutron('demo', 'PUT', `/networks/${a.id}/tags/${RUN}`));
    t.see('revision after tagging', await t.neutron('demo', 'GET', `/networks/${a.id}`), { pick: (x) => x.network.revision_number });
    t.see('replace tags', await t.neutron('demo', 'PUT', `/networks/${b.id}/tags`, { tags: [RUN, 'blue', 'blue'] }));
    t.see('list tags', await t.neutron('demo', 'GET', `/networks/${b.id}/tags`));
    t.see('check tag', await t.neutron('demo', 'GET', `/networks/${b.id}/tags/blue`));
    t.see('check missing tag', await t.neutron('demo', 'GET', `/networks/${b.id}/tags/red`));
    t.see('remove missing tag', await t.neutron('demo', 'DELETE', `/networks/${b.id}/tags/red`));
    const names = (x: Json): string[] => x.networks.map((n: Json) => n.name).sort();
    t.see('filter tags', await t.neutron('demo', 'GET', `/networks?tags=${RUN}`), { pick: names });
    t.see('filter tags all', await t.neutron('demo', 'GET', `/networks?tags=${RUN},blue`), { pick: names });
    t.see('filter tags-any', await t.neutron('demo', 'GET', `/networks?tags-any=blue,nothing`), { pick: names });
    t.see('filter not-tags', await t.neutron('demo', 'GET', `/networks?tags=${RUN}&not-tags=blue`), { pick: names });
    t.see('remove tag', await t.neutron('demo', 'DELETE', `/networks/${b.id}/tags/blue`));
    t.see('clear tags', await t.neutron('demo', 'DELETE', `/networks/${b.id}/tags`));
    t.see('after clear', await t.neutron('demo', 'GET', `/networks/${b.id}`), { pick: (x) => [x.network.tags, x.network.revision_number] });
    t.see('tag with comma', await t.neutron('demo', 'PUT', `/networks/${a.id}/tags`, { tags: ['a,b'] }));
  });

  parity('filters, sorting and pagination links', async (t) => {
    for (const i of [1, 2, 3]) {
      const n = await t.create(`create ${i}`, 'demo', '/networks', { network: { name: `${RUN}-p${i}` } }, `p${i}`);
      await t.neutron('demo', 'PUT', `/networks/${n.id}/tags/${RUN}-page`);
    }
    const names = (key: string) => (x: Json) => ({ names: x.networks.map((n: Json) => n.name), links: x[`${key}_links`] });
    const page1 = t.see('limit 2 sorted by name', await t.neutron('demo', 'GET', `/networks?tags=${RUN}-page&limit=2&sort_key=name&sort_dir=asc`), { pick: names('networks') });
    const next = page1.body.networks_links?.find((l: Json) => l.rel === 'next')?.href;
    if (next) t.see('next page', await t.raw('GET', next, { headers: { 'X-Auth-Token': t.token('demo') } }), { pick: names('networks') });
    t.see('name filter', await t.neutron('demo', 'GET', `/networks?name=${RUN}-p2`), { pick: names('networks') });
    t.see('two values of one filter', await t.neutron('demo', 'GET', `/networks?name=${RUN}-p2&name=${RUN}-p3`), { pick: (x) => x.networks.map((n: Json) => n.name).sort() });
    t.see('boolean filter', await t.neutron('demo', 'GET', `/networks?tags=${RUN}-page&admin_state_up=false`), { pick: names('networks') });
    t.see('fields', await t.neutron('demo', 'GET', `/networks?name=${RUN}-p1&fields=id&fields=name`));
    t.see('unknown filter', await t.neutron('demo', 'GET', `/networks?bogus=1`));
    t.see('bad limit', await t.neutron('demo', 'GET', `/networks?limit=x`));
    t.see('bad sort dir', await t.neutron('demo', 'GET', `/networks?sort_key=name&sort_dir=up`));
  });

  parity('subnets: defaults, CIDR normalisation, errors, cascade on network delete', async (t) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-sn` } }, 'net');
    const sub = await t.create('subnet defaults', 'demo', '/subnets', { subnet: { name: `${RUN}-s1`, network_id: net.id, ip_version: 4, cidr: '10.20.0.5/24' } }, 's1');
    t.see('network after subnet', await t.neutron('demo', 'GET', `/networks/${net.id}`), { pick: (x) => [x.network.subnets, x.network.revision_number] });
    t.see('overlap', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.20.0.0/25' } }));
    t.see('invalid cidr', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.300.0.0/24' } }));
    t.see('gateway outside', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.21.0.0/24', gateway_ip: '10.99.0.1' } }));
    t.see('pool outside', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.22.0.0/24', allocation_pools: [{ start: '10.22.1.1', end: '10.22.1.9' }] } }));
    t.see('pool containing gateway', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.23.0.0/24', allocation_pools: [{ start: '10.23.0.1', end: '10.23.0.9' }] } }));
    t.see('version mismatch', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: '10.24.0.0/24' } }));
    t.see('missing network', await t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: '00000000-0000-0000-0000-000000000000', ip_version: 4, cidr: '10.25.0.0/24' } }));
    await t.create('full subnet', 'demo', '/subnets', {
      subnet: {
        name: `${RUN}-s2`, network_id: net.id, ip_version: 4, cidr: '10.26.0.0/24', gateway_ip: null, enable_dhcp: false,
        allocation_pools: [{ start: '10.26.0.10', end: '10.26.0.20' }], dns_nameservers: ['192.0.2.53'], host_routes: [{ destination: '192.0.2.0/24', nexthop: '10.26.0.1' }],
        description: 'd',
      },
    }, 's2');
    await t.create('ipv6 slaac', 'demo', '/subnets', { subnet: { name: `${RUN}-s6`, network_id: net.id, ip_version: 6, cidr: 'fd00:26::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } }, 's6');
    t.see('update gateway and dns', await t.neutron('demo', 'PUT', `/subnets/${sub.id}`, { subnet: { gateway_ip: '10.20.0.254', dns_nameservers: ['192.0.2.1'] } }));
    t.see('update cidr (read-only)', await t.neutron('demo', 'PUT', `/subnets/${sub.id}`, { subnet: { cidr: '10.20.0.0/23' } }));
    t.see('delete network with only subnets', await t.neutron('demo', 'DELETE', `/networks/${net.id}`));
    t.see('subnet gone', await t.neutron('demo', 'GET', `/subnets/${sub.id}`));
  });

  parity('ports: defaults, fixed IPs, in-use errors, security groups', async (t) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-pn` } }, 'net');
    const s1 = await t.create('subnet', 'demo', '/subnets', { subnet: { name: `${RUN}-ps1`, network_id: net.id, ip_version: 4, cidr: '10.30.0.0/24', allocation_pools: [{ start: '10.30.0.2', end: '10.30.0.100' }] } }, 's1');
    const port = await t.create('port defaults', 'demo', '/ports', { port: { name: `${RUN}-p1`, network_id: net.id } }, 'p1');
    t.see('admin view', await t.neutron('admin', 'GET', `/ports/${port.id}`));
    const ip = port.fixed_ips[0].ip_address;
    t.note('allocated address is in the pool', /^10\.30\.0\.\d+$/.test(ip) && Number(ip.split('.')[3]) >= 2 && Number(ip.split('.')[3]) <= 100);
    t.see('same address again', await t.neutron('demo', 'POST', '/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: ip }] } }));
    await t.create('port with address outside the pool', 'demo', '/ports', { port: { name: `${RUN}-p2`, network_id: net.id, fixed_ips: [{ subnet_id: s1.id, ip_address: '10.30.0.200' }] } }, 'p2');
    t.see('address outside subnet', await t.neutron('demo', 'POST', '/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: s1.id, ip_address: '10.31.0.5' }] } }));
    t.see('missing network', await t.neutron('demo', 'POST', '/ports', { port: { network_id: '00000000-0000-0000-0000-000000000000' } }));
    const sg = await t.create('security group', 'demo', '/security-groups', { security_group: { name: `${RUN}-psg` } }, 'sg');
    t.see('set security groups', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { security_groups: [sg.id], allowed_address_pairs: [{ ip_address: '10.30.0.0/24' }] } }));
    t.see('disable port security with groups', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { port_security_enabled: false } }));
    t.see('disable port security, no groups', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { port_security_enabled: false, security_groups: [] } }));
    t.see('delete security group in use', await t.neutron('demo', 'DELETE', `/security-groups/${sg.id}`), { body: false });
    t.see('delete subnet in use', await t.neutron('demo', 'DELETE', `/subnets/${s1.id}`));
    const inUse = await t.neutron('demo', 'DELETE', `/networks/${net.id}`);
    t.note('delete network in use', { status: inUse.status, type: inUse.body?.NeutronError?.type, ports: unordered(inUse.body?.NeutronError?.message.match(/is: (.*)\.$/)?.[1].split(',').map((id: string) => t.norm(id)) ?? []) });
    t.see('filter by fixed ip', await t.neutron('demo', 'GET', `/ports?fixed_ips=ip_address=10.30.0.200`), { pick: (x) => x.ports.map((p: Json) => p.name) });
    t.see('filter by subnet', await t.neutron('demo', 'GET', `/ports?network_id=${net.id}&fixed_ips=subnet_id=${s1.id}`), { pick: (x) => x.ports.map((p: Json) => p.name).sort() });
  });

  parity('security groups: default rules, rules, duplicates, default group', async (t) => {
    const sg = await t.create('create', 'demo', '/security-groups', { security_group: { name: `${RUN}-sg`, description: 'd' } }, 'sg');
    const rule = await t.create('rule', 'demo', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' } }, 'rule');
    t.see('duplicate rule', await t.neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' } }));
    t.see('group after rule', await t.neutron('demo', 'GET', `/security-groups/${sg.id}`), { pick: (x) => ({ ...x.security_group, security_group_rules: unordered(x.security_group_rules ?? x.security_group.security_group_rules) }) });
    t.see('port range without protocol', await t.neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', port_range_min: 22 } }));
    t.see('min > max', await t.neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 30, port_range_max: 20 } }));
    t.see('ethertype conflict', await t.neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' } }));
    t.see('bad direction', await t.neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'sideways' } }));
    t.see('delete rule', await t.neutron('demo', 'DELETE', `/security-group-rules/${rule.id}`));
    t.see('group revision', await t.neutron('demo', 'GET', `/security-groups/${sg.id}`), { pick: (x) => x.security_group.revision_number });
    t.see('default group', await t.neutron('demo', 'GET', `/security-groups?name=default`), {
      pick: (x) => x.security_groups.map((g: Json) => ({ name: g.name, description: g.description, rules: unordered(g.security_group_rules.map((r: Json) => [r.direction, r.ethertype, r.remote_group_id === g.id])) })),
    });
    t.see('create another default', await t.neutron('demo', 'POST', '/security-groups', { security_group: { name: 'default' } }));
    t.see('rename', await t.neutron('demo', 'PUT', `/security-groups/${sg.id}`, { security_group: { name: `${RUN}-sg2` } }), { pick: (x) => [x.security_group.name, x.security_group.revision_number] });
  });

  parity('routers: gateway, interfaces, in-use errors, routes', async (t, pub) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-rn` } }, 'net');
    const sub = await t.create('subnet', 'demo', '/subnets', { subnet: { name: `${RUN}-rs`, network_id: net.id, ip_version: 4, cidr: '10.40.0.0/24' } }, 'sub');
    const router = await t.create('router with gateway', 'demo', '/routers', { router: { name: `${RUN}-r`, external_gateway_info: { network_id: pub } } }, 'router');
    t.see('gateway on internal network', await t.neutron('demo', 'POST', '/routers', { router: { name: `${RUN}-bad`, external_gateway_info: { network_id: net.id } } }));
    t.see('member sets enable_snat', await t.neutron('demo', 'PUT', `/routers/${router.id}`, { router: { external_gateway_info: { network_id: pub, enable_snat: false } } }));
    const add = t.see('add interface', await t.neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id }));
    if (add.status === 200) t.cleanup(() => t.neutron('admin', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }));
    t.see('add interface twice', await t.neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id }));
    t.see('router after interface', await t.neutron('demo', 'GET', `/routers/${router.id}`));
    t.see('interface port', await t.neutron('demo', 'GET', `/ports?device_id=${router.id}`), { pick: (x) => x.ports.map((p: Json) => [p.device_owner, p.status, p.fixed_ips, p.name, p.admin_state_up]) });
    t.see('delete router in use', await t.neutron('demo', 'DELETE', `/routers/${router.id}`), { body: false });
    const iface = (await t.neutron('demo', 'GET', `/ports?device_id=${router.id}&device_owner=network:router_interface`)).body.ports[0]?.id;
    t.see('delete the interface port directly', await t.neutron('demo', 'DELETE', `/ports/${iface}`));
    t.see('delete subnet in use', await t.neutron('demo', 'DELETE', `/subnets/${sub.id}`));
    t.see('extra route', await t.neutron('demo', 'PUT', `/routers/${router.id}`, { router: { routes: [{ destination: '192.0.2.0/24', nexthop: '10.40.0.9' }] } }), { pick: (x) => x.router.routes });
    t.see('unreachable nexthop', await t.neutron('demo', 'PUT', `/routers/${router.id}`, { router: { routes: [{ destination: '192.0.2.0/24', nexthop: '10.99.0.9' }] } }));
    t.see('remove interface', await t.neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }), { body: false });
    t.see('remove interface again', await t.neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }));
    t.see('clear routes and gateway', await t.neutron('demo', 'PUT', `/routers/${router.id}`, { router: { routes: [], external_gateway_info: {} } }));
  });

  parity('floating IPs: create, associate, move, disassociate, errors', async (t, pub) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-fn` } }, 'net');
    const sub = await t.create('subnet', 'demo', '/subnets', { subnet: { name: `${RUN}-fs`, network_id: net.id, ip_version: 4, cidr: '10.50.0.0/24' } }, 'sub');
    const p1 = await t.create('port 1', 'demo', '/ports', { port: { name: `${RUN}-fp1`, network_id: net.id } }, 'p1');
    const p2 = await t.create('port 2', 'demo', '/ports', { port: { name: `${RUN}-fp2`, network_id: net.id } }, 'p2');
    t.see('on internal network', await t.neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: net.id } }));
    t.see('unreachable port', await t.neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: pub, port_id: p1.id } }));
    const router = await t.create('router', 'demo', '/routers', { router: { name: `${RUN}-fr`, external_gateway_info: { network_id: pub } } }, 'router');
    await t.neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    t.cleanup(() => t.neutron('admin', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }));
    const fip = await t.create('create associated', 'demo', '/floatingips', { floatingip: { floating_network_id: pub, port_id: p1.id, description: 'd' } }, 'fip');
    t.note('address in the public pool', /^203\.0\.113\.\d+$/.test(fip?.floating_ip_address ?? ''));
    t.see('second for same fixed IP', await t.neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: pub, port_id: p1.id } }), { body: false, mask: /203\.0\.113\.\d+(?= \()/ });
    t.see('port revision after association', await t.neutron('demo', 'GET', `/ports/${p1.id}`), { pick: (x) => x.port.revision_number });
    t.see('move', await t.neutron('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: p2.id } }), { pick: (x) => [x.floatingip.port_id, x.floatingip.router_id, x.floatingip.status, x.floatingip.revision_number] });
    t.see('delete router with floating IP', await t.neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }), { body: false });
    t.see('disassociate', await t.neutron('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } }));
    t.see('port revisions after move and disassociation', await t.neutron('demo', 'GET', `/ports?network_id=${net.id}`), { pick: (x) => unordered(x.ports.map((p: Json) => [p.name, p.revision_number])) });
    t.see('reassociate', await t.neutron('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: p1.id } }), { pick: (x) => [x.floatingip.port_id, x.floatingip.fixed_ip_address !== null] });
    t.see('delete associated port', await t.neutron('demo', 'DELETE', `/ports/${p1.id}`));
    t.see('floating IP after port delete', await t.neutron('demo', 'GET', `/floatingips/${fip.id}`), { pick: (x) => [x.floatingip.port_id, x.floatingip.fixed_ip_address, x.floatingip.router_id, x.floatingip.status] });
    t.see('filter by network', await t.neutron('demo', 'GET', `/floatingips?floating_network_id=${pub}&description=d`), { pick: (x) => x.floatingips.length });
  });

  parity('extensions the simulator lists exist in real Neutron with the same names', async (t) => {
    const list = (await t.neutron('demo', 'GET', '/extensions')).body.extensions as Json[];
    t.note('tag-creation (newer Neutron only)', list.some((e) => e.alias === 'tag-creation'));
    const simAliases = extensions(false).map((e) => e.alias);
    t.note('aliases of the simulator present here', simAliases.filter((a) => list.some((e) => e.alias === a)));
    // standard-attr-tag names its resources in Python set order, which differs from process to process.
    const name = (e: Json): string | null => (e ? (e.alias === 'standard-attr-tag' ? e.name.replace(/: .*/, '') : e.name) : null);
    t.note('names', simAliases.map((a) => name(list.find((e) => e.alias === a))));
    t.see('show one', await t.neutron('demo', 'GET', '/extensions/router'), { pick: (x) => Object.keys(x.extension).sort() });
    t.see('show missing', await t.neutron('demo', 'GET', '/extensions/bogus'));
    t.see('versions', await t.raw('GET', `${t.networkUrl}/`), { pick: (x) => x.versions.map((v: Json) => [v.id, v.status]) });
    t.see('unknown collection', await t.neutron('demo', 'GET', '/bogus'));
    t.see('bad token', await t.raw('GET', `${t.networkUrl}/v2.0/networks`, { headers: { 'X-Auth-Token': 'gAAAAABnot-a-token' } }));
  });

  parity('tags on every taggable kind; none on rules', async (t, pub) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-tn` } }, 'net');
    const sub = await t.create('subnet', 'demo', '/subnets', { subnet: { name: `${RUN}-ts`, network_id: net.id, ip_version: 4, cidr: '10.60.0.0/24' } }, 'sub');
    const port = await t.create('port', 'demo', '/ports', { port: { name: `${RUN}-tp`, network_id: net.id } }, 'port');
    const router = await t.create('router', 'demo', '/routers', { router: { name: `${RUN}-tr` } }, 'router');
    const sg = await t.create('security group', 'demo', '/security-groups', { security_group: { name: `${RUN}-tsg` } }, 'sg');
    const fip = await t.create('floating ip', 'demo', '/floatingips', { floatingip: { floating_network_id: pub } }, 'fip');
    for (const [path, id, singular] of [['subnets', sub.id, 'subnet'], ['ports', port.id, 'port'], ['routers', router.id, 'router'], ['security-groups', sg.id, 'security_group'], ['floatingips', fip.id, 'floatingip']]) {
      t.see(`${path}: add tag`, await t.neutron('demo', 'PUT', `/${path}/${id}/tags/${RUN}`));
      t.see(`${path}: filter`, await t.neutron('demo', 'GET', `/${path}?tags=${RUN}`), { pick: (x) => Object.values(x)[0] instanceof Array ? (Object.values(x)[0] as Json[]).map((r) => r.id) : x });
      t.see(`${path}: revision`, await t.neutron('demo', 'GET', `/${path}/${id}`), { pick: (x) => [x[singular].tags, x[singular].revision_number] });
    }
    t.see('tags of a missing resource', await t.neutron('demo', 'PUT', `/networks/00000000-0000-0000-0000-000000000000/tags/${RUN}`));
    const rule = sg.security_group_rules[0].id;
    t.see('rule tags', await t.neutron('demo', 'PUT', `/security-group-rules/${rule}/tags/${RUN}`));
  });

  parity('ports: IPv6 and dual-stack addressing, two IPv4 subnets, fixed IP changes, MAC, dns_name', async (t) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-6n` } }, 'net');
    await t.create('v4 a', 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.61.0.0/24' } }, 'v4a');
    await t.create('v4 b', 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.62.0.0/24' } }, 'v4b');
    await t.create('v6 stateful', 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: 'fd00:61::/64' } }, 'v6a');
    await t.create('v6 dhcpv6-stateful', 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: 'fd00:62::/64', ipv6_address_mode: 'dhcpv6-stateful' } }, 'v6b');
    await t.create('v6 slaac', 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: 'fd00:63::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } }, 'v6c');
    const port = await t.neutron('demo', 'POST', '/ports', { port: { name: `${RUN}-6p`, network_id: net.id, mac_address: 'fa:16:3e:61:62:63' } });
    t.cleanup(() => t.neutron('admin', 'DELETE', `/ports/${port.body.port?.id}`));
    const kinds = (p: Json): Json => unordered(p.fixed_ips.map((f: Json) => (f.ip_address.includes(':') ? (f.ip_address.startsWith('fd00:63:') ? f.ip_address : 'v6') : 'v4')));
    t.note('one IPv4, one stateful IPv6, every SLAAC subnet (EUI-64)', { status: port.status, kinds: kinds(port.body.port) });
    const id = port.body.port.id;
    t.label(id, 'port');
    t.see('pin to subnet b', await t.neutron('demo', 'PUT', `/ports/${id}`, { port: { fixed_ips: [{ ip_address: '10.62.0.50' }], dns_name: 'web-1' } }), {
      pick: (x) => [x.port.fixed_ips.map((f: Json) => f.ip_address), x.port.dns_name, x.port.dns_assignment, x.port.revision_number],
    });
    t.see('MAC in use', await t.neutron('demo', 'POST', '/ports', { port: { network_id: net.id, mac_address: 'fa:16:3e:61:62:63' } }));
    t.see('invalid MAC', await t.neutron('demo', 'POST', '/ports', { port: { network_id: net.id, mac_address: 'zz' } }));
    t.see('IP of no subnet', await t.neutron('demo', 'POST', '/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '192.0.2.9' }] } }));
    t.see('If-Match on delete', await t.neutron('demo', 'DELETE', `/ports/${id}`, undefined, { 'If-Match': 'revision_number=99' }));
  });

  parity('pagination: forward, reverse, markers', async (t) => {
    const ids: string[] = [];
    for (const i of [1, 2, 3, 4, 5]) {
      const n = await t.create(`create ${i}`, 'demo', '/networks', { network: { name: `${RUN}-pg${i}` } }, `pg${i}`);
      ids.push(n.id);
      await t.neutron('demo', 'PUT', `/networks/${n.id}/tags/${RUN}-pg`);
    }
    const page = (x: Json): Json => ({ names: x.networks.map((n: Json) => n.name), links: (x.networks_links ?? []).map((l: Json) => l.rel) });
    const q = `tags=${RUN}-pg&sort_key=name&sort_dir=asc`;
    t.see('first page', await t.neutron('demo', 'GET', `/networks?${q}&limit=2`), { pick: page });
    t.see('marker', await t.neutron('demo', 'GET', `/networks?${q}&limit=2&marker=${ids[1]}`), { pick: page });
    t.see('last page', await t.neutron('demo', 'GET', `/networks?${q}&limit=2&marker=${ids[3]}`), { pick: page });
    t.see('reverse', await t.neutron('demo', 'GET', `/networks?${q}&limit=2&marker=${ids[2]}&page_reverse=True`), { pick: page });
    t.see('exact page', await t.neutron('demo', 'GET', `/networks?${q}&limit=5`), { pick: page });
    t.see('limit 0', await t.neutron('demo', 'GET', `/networks?${q}&limit=0`), { pick: page });
    t.see('descending', await t.neutron('demo', 'GET', `/networks?tags=${RUN}-pg&sort_key=name&sort_dir=desc`), { pick: page });
    t.see('unknown marker', await t.neutron('demo', 'GET', `/networks?${q}&limit=2&marker=00000000-0000-0000-0000-000000000000`), { pick: page });
  });

  // What the bad-input corpus (test/corpus) found the simulator answering otherwise than Neutron: each refusal
  // with its type, message and detail, and the nearest requests Neutron takes.
  parity('bad input: security group rules, in the order Neutron checks them', async (t) => {
    const sg = await t.create('group', 'demo', '/security-groups', { security_group: { name: `${RUN}-bad-sg` } }, 'sg');
    const rule = (fields: Json) => t.neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...fields } });
    const icmpv6 = t.see('icmpv6 on IPv4', await rule({ protocol: 'icmpv6' }));
    t.note('icmpv6 on IPv4: detail', icmpv6.body?.NeutronError?.detail);
    for (const protocol of ['58', 'ICMPv6', 'ipv6-route', '43', 'ipv6-frag', 'ipv6-encap', 'ipv6-nonxt', 'ipv6-opts']) t.see(`${protocol} on IPv4`, await rule({ protocol }));
    t.see('ICMP type out of range before the ethertype conflict', await rule({ protocol: 'icmpv6', port_range_min: 300 }));
    for (const protocol of ['any', 'foo', '256']) t.see(`protocol ${protocol}`, await rule({ protocol }));
    t.see('ports on gre', await rule({ protocol: 'gre', port_range_min: 5, port_range_max: 6 }));
    t.see('the whole range on gre is no range', await rule({ protocol: 'gre', port_range_min: 1, port_range_max: 65535 }), { body: false });
    t.see('ICMP code without type', await rule({ protocol: 'icmp', port_range_max: 6 }));
    t.see('TCP port 0', await rule({ protocol: 'tcp', port_range_min: 0, port_range_max: 10 }));
    t.see('TCP first port only', await rule({ protocol: 'tcp', port_range_min: 22 }));
    t.see('prefix and group', await rule({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: sg.id }));
    t.see('protocol ip', await rule({ protocol: 'ip' }), { body: false });
    t.see('protocol 0 is ip', await rule({ protocol: '0' }));
  });

  parity('bad input: subnets (pools, DHCP, nameservers, host routes) and networks (zones, DNS domains)', async (t) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-bad-net` } }, 'net');
    const subnet = (fields: Json) => t.neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.70.0.0/24', ...fields } });
    const overlapping = t.see('overlapping pools', await subnet({ allocation_pools: [{ start: '10.70.0.10', end: '10.70.0.50' }, { start: '10.70.0.40', end: '10.70.0.60' }] }));
    t.note('overlapping pools: detail', overlapping.body?.NeutronError?.detail);
    t.see('overlapping pools, the other way round', await subnet({ allocation_pools: [{ start: '10.70.0.40', end: '10.70.0.60' }, { start: '10.70.0.10', end: '10.70.0.50' }] }));
    t.see('pool backwards', await subnet({ allocation_pools: [{ start: '10.70.0.50', end: '10.70.0.10' }] }));
    t.see('pool of two versions', await subnet({ allocation_pools: [{ start: '10.70.0.10', end: '2001:db8::10' }] }));
    t.see('pool from the network address', await subnet({ gateway_ip: null, allocation_pools: [{ start: '10.70.0.0', end: '10.70.0.10' }] }));
    t.see('pool to the broadcast address', await subnet({ allocation_pools: [{ start: '10.70.0.200', end: '10.70.0.255' }] }));
    t.see('IPv6 pool from the network address', await subnet({ ip_version: 6, cidr: 'fd00:70::/64', allocation_pools: [{ start: 'fd00:70::', end: 'fd00:70::10' }] }));
    t.see('gateway on the network address', await subnet({ gateway_ip: '10.70.0.0' }));
    t.see('/31 with DHCP', await subnet({ cidr: '10.71.0.4/31' }));
    t.see('/31 without DHCP', await subnet({ cidr: '10.71.0.4/31', enable_dhcp: false }));
    t.see('six nameservers', await subnet({ dns_nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6'] }));
    t.see('nameserver twice', await subnet({ dns_nameservers: ['192.0.2.1', '192.0.2.1'] }));
    const routes = (n: number) => Array.from({ length: n }, (_, i) => ({ destination: `192.168.${i}.0/24`, nexthop: '10.70.0.254' }));
    t.see('21 host routes', await subnet({ host_routes: routes(21) }));
    t.see('host route with host bits', await subnet({ host_routes: [{ destination: '192.168.1.1/24', nexthop: '10.70.0.254' }] }));
    t.see('host route twice', await subnet({ host_routes: [...routes(1), ...routes(1)] }));
    await t.create('subnet', 'demo', '/subnets', { subnet: { name: `${RUN}-bad-sub`, network_id: net.id, ip_version: 4, cidr: '10.72.0.0/24' } }, 'sub');
    t.see('a bad pool is found before an overlapping CIDR', await subnet({ cidr: '10.72.0.0/25', allocation_pools: [{ start: '10.72.0.50', end: '10.72.0.10' }] }));
    const network = (fields: Json) => t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-bad-net2`, ...fields } });
    const zone = t.see('unknown availability zone', await network({ availability_zone_hints: ['nowhere'] }));
    t.note('unknown availability zone: detail', zone.body?.NeutronError?.detail);
    for (const domain of ['example.org', 'a_b.org.', `${'a'.repeat(64)}.org.`, 'example.123.', '-a.org.', 'a..org.']) t.see(`dns_domain ${domain}`, await network({ dns_domain: domain }));
    const upper = await network({ dns_domain: 'Example.org.' });
    if (upper.body?.network?.id) t.cleanup(() => t.neutron('admin', 'DELETE', `/networks/${upper.body.network.id}`));
    t.note('dns_domain in capitals, lower-cased', [upper.status, upper.body?.network?.dns_domain]);
  });

  parity('bad input: ports, tags, routers and a floating IP behind a router of another network', async (t, pub) => {
    const net = await t.create('network', 'demo', '/networks', { network: { name: `${RUN}-bad-pn` } }, 'net');
    const sub = await t.create('subnet', 'demo', '/subnets', { subnet: { name: `${RUN}-bad-ps`, network_id: net.id, ip_version: 4, cidr: '10.73.0.0/24' } }, 'sub');
    const port = (fields: Json) => t.neutron('demo', 'POST', '/ports', { port: { network_id: net.id, ...fields } });
    t.see('network address', await port({ fixed_ips: [{ subnet_id: sub.id, ip_address: '10.73.0.0' }] }));
    t.see('broadcast address', await port({ fixed_ips: [{ subnet_id: sub.id, ip_address: '10.73.0.255' }] }));
    t.see('network address of no given subnet', await port({ fixed_ips: [{ ip_address: '10.73.0.0' }] }));
    const bare = await t.create('network without subnets', 'demo', '/networks', { network: { name: `${RUN}-bad-bare` } }, 'bare');
    t.see('an address on a network without subnets', await t.neutron('demo', 'POST', '/ports', { port: { network_id: bare.id, fixed_ips: [{ ip_address: '10.9.0.5' }] } }));
    t.see('address pair twice', await port({ allowed_address_pairs: [{ ip_address: '10.73.0.9' }, { ip_address: '10.73.0.9' }] }));
    t.see('address pair twice with a MAC', await port({ allowed_address_pairs: [{ ip_address: '10.73.0.9', mac_address: 'fa:16:3e:00:00:09' }, { ip_address: '10.73.0.9', mac_address: 'fa:16:3e:00:00:09' }] }));
    t.see('tag of 255 characters', await t.neutron('demo', 'PUT', `/networks/${net.id}/tags`, { tags: ['t'.repeat(255)] }));
    t.see('tag of 256 characters', await t.neutron('demo', 'PUT', `/networks/${net.id}/tags`, { tags: ['t'.repeat(256)] }));
    t.see('a member tags the external network of the admin', await t.neutron('demo', 'PUT', `/networks/${pub}/tags`, { tags: [`${RUN}-mark`] }));
    t.see('and clears them again', await t.neutron('demo', 'PUT', `/networks/${pub}/tags`, { tags: [] }));
    t.see('a member deletes the external network of the admin', await t.neutron('demo', 'DELETE', `/networks/${pub}`));

    const other = await t.create('other network', 'demo', '/networks', { network: { name: `${RUN}-bad-on` } }, 'other');
    const otherSub = await t.create('other subnet, same CIDR', 'demo', '/subnets', { subnet: { name: `${RUN}-bad-os`, network_id: other.id, ip_version: 4, cidr: '10.73.0.0/24' } }, 'other-sub');
    const router = await t.create('router', 'demo', '/routers', { router: { name: `${RUN}-bad-r`, external_gateway_info: { network_id: pub } } }, 'router');
    const attach = t.see('interface', await t.neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: otherSub.id }), { body: false });
    if (attach.status === 200) t.cleanup(() => t.neutron('admin', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: otherSub.id }));
    t.see('interface overlapping another', await t.neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id }));
    const vm = await t.create('port', 'demo', '/ports', { port: { name: `${RUN}-bad-vm`, network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: '10.73.0.20' }] } }, 'vm');
    t.see('floating IP for a port whose subnet only shares a routed CIDR', await t.neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: pub, port_id: vm.id } }));
    const routes = (list: Json[]) => t.neutron('demo', 'PUT', `/routers/${router.id}`, { router: { routes: list } });
    t.see('nexthop is the router', await routes([{ destination: '192.168.0.0/24', nexthop: '10.73.0.1' }]));
    t.see('nexthop on the gateway network', await routes([{ destination: '192.168.0.0/24', nexthop: '203.0.113.254' }]), { pick: (x) => x.router.routes });
    t.see('destination with host bits', await routes([{ destination: '192.168.1.1/24', nexthop: '10.73.0.5' }]));
    t.see('31 routes', await routes(Array.from({ length: 31 }, (_, i) => ({ destination: `192.168.${i}.0/24`, nexthop: '10.73.0.5' }))));
    t.see('30 routes', await routes(Array.from({ length: 30 }, (_, i) => ({ destination: `192.168.${i}.0/24`, nexthop: '10.73.0.5' }))), { pick: (x) => x.router.routes.length });
    t.see('clear routes', await routes([]), { pick: (x) => x.router.routes });
  });

  parity('quotas: show, details, over quota, policy', async (t) => {
    const admin = t.projects.admin;
    // openstack.sh raises project demo's quotas (every test of a run shares it); the admin project keeps the defaults.
    t.see('member reads own quota', await t.neutron('demo', 'GET', `/quotas/${t.projects.demo}`), { pick: (x) => Object.keys(x.quota).sort() });
    t.see('admin reads the defaults', await t.neutron('admin', 'GET', `/quotas/${admin}`));
    t.see('member reads admin quota', await t.neutron('demo', 'GET', `/quotas/${admin}`));
    t.see('member sets quota', await t.neutron('demo', 'PUT', `/quotas/${t.projects.demo}`, { quota: { router: 100 } }));
    const routers = (await t.neutron('admin', 'GET', `/routers?project_id=${admin}`)).body.routers.length;
    t.cleanup(() => t.neutron('admin', 'DELETE', `/quotas/${admin}`));
    t.see('admin sets quota', await t.neutron('admin', 'PUT', `/quotas/${admin}`, { quota: { router: routers + 1 } }), { pick: (x) => x.quota.router - routers });
    await t.create('router within quota', 'admin', '/routers', { router: { name: `${RUN}-q1` } }, 'q1');
    t.see('router over quota', await t.neutron('admin', 'POST', '/routers', { router: { name: `${RUN}-q2` } }));
    t.see('details', await t.neutron('admin', 'GET', `/quotas/${admin}/details`), { pick: (x) => ({ keys: Object.keys(x.quota).sort(), router: { ...x.quota.router, used: x.quota.router.used - routers, limit: x.quota.router.limit - routers } }) });
    t.see('unknown quota key', await t.neutron('admin', 'PUT', `/quotas/${admin}`, { quota: { bogus: 1 } }));
  });
});
