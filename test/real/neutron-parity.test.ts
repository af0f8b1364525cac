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

  parity('qos: policies as admin: shape, filters, update, tags, defaults, delete', async (t) => {
    const demo = t.projects.demo;
    const p1 = await t.create('create', 'admin', '/qos/policies', { policy: { name: `${RUN}-q1`, description: 'd' } }, 'q1');
    await t.create('create shared', 'admin', '/qos/policies', { policy: { name: `${RUN}-q2`, shared: true } }, 'q2');
    t.see('show', await t.neutron('admin', 'GET', `/qos/policies/${p1.id}`));
    const names = (x: Json): string[] => x.policies.map((p: Json) => p.name).sort();
    t.see('filter name', await t.neutron('admin', 'GET', `/qos/policies?name=${RUN}-q1`));
    t.see('filter shared', await t.neutron('admin', 'GET', `/qos/policies?name=${RUN}-q1&name=${RUN}-q2&shared=true`), { pick: names });
    t.see('sort and limit', await t.neutron('admin', 'GET', `/qos/policies?name=${RUN}-q1&name=${RUN}-q2&sort_key=name&sort_dir=desc&limit=1`), { pick: (x) => [names(x), (x.policies_links ?? []).map((l: Json) => l.rel)] });
    t.see('unknown filter', await t.neutron('admin', 'GET', '/qos/policies?bogus=1'));
    t.see('update', await t.neutron('admin', 'PUT', `/qos/policies/${p1.id}`, { policy: { name: `${RUN}-q1b`, description: 'e' } }));
    t.see('update read-only', await t.neutron('admin', 'PUT', `/qos/policies/${p1.id}`, { policy: { rules: [] } }));
    t.see('unknown attribute', await t.neutron('admin', 'POST', '/qos/policies', { policy: { name: `${RUN}-x`, bogus: 1 } }));
    t.see('tags in POST (Zed)', await t.neutron('admin', 'POST', '/qos/policies', { policy: { name: `${RUN}-x`, tags: ['a'] } }));
    t.see('bad shared', await t.neutron('admin', 'POST', '/qos/policies', { policy: { name: `${RUN}-x`, shared: 'maybe' } }));
    t.see('add tag', await t.neutron('admin', 'PUT', `/qos/policies/${p1.id}/tags/${RUN}`));
    // The tags API names a QoS policy by its collection alone: a bulk replace under /qos/ is refused.
    t.see('replace tags under /qos/', await t.neutron('admin', 'PUT', `/qos/policies/${p1.id}/tags`, { tags: [RUN, 'b'] }));
    t.see('replace tags', await t.neutron('admin', 'PUT', `/policies/${p1.id}/tags`, { tags: [RUN, 'b'] }));
    // Neutron keeps tags as a set: compared sorted.
    t.see('list tags', await t.neutron('admin', 'GET', `/policies/${p1.id}/tags`), { pick: (x) => [...(x.tags as string[])].sort() });
    t.see('remove tag', await t.neutron('admin', 'DELETE', `/policies/${p1.id}/tags/b`));
    t.see('filter tags', await t.neutron('admin', 'GET', `/qos/policies?tags=${RUN}`), { pick: names });
    t.see('revision after tag', await t.neutron('admin', 'GET', `/qos/policies/${p1.id}`), { pick: (x) => [x.policy.tags, x.policy.revision_number] });
    const def = await t.create('default for the member project', 'admin', '/qos/policies', { policy: { name: `${RUN}-qd`, project_id: demo, is_default: true } }, 'qd');
    t.see('second default', await t.neutron('admin', 'POST', '/qos/policies', { policy: { name: `${RUN}-qd2`, project_id: demo, is_default: true } }));
    t.see('filter is_default', await t.neutron('admin', 'GET', `/qos/policies?project_id=${demo}&is_default=true`), { pick: names });
    const net = await t.create('member network gets the default', 'demo', '/networks', { network: { name: `${RUN}-qdn` } }, 'qdn');
    t.note('network policy', net?.qos_policy_id === def?.id);
    t.see('network shows it', await t.neutron('demo', 'GET', `/networks/${net.id}`), { pick: (x) => [x.network.qos_policy_id, x.network.revision_number] });
    await t.create('admin network does not', 'admin', '/networks', { network: { name: `${RUN}-qan` } }, 'qan');
    t.see('delete the default in use', await t.neutron('admin', 'DELETE', `/qos/policies/${def.id}`));
    t.see('unset default', await t.neutron('admin', 'PUT', `/qos/policies/${def.id}`, { policy: { is_default: false } }), { pick: (x) => [x.policy.is_default, x.policy.revision_number] });
    await t.create('member network without default', 'demo', '/networks', { network: { name: `${RUN}-qdn2` } }, 'qdn2');
    t.see('delete', await t.neutron('admin', 'DELETE', `/qos/policies/${p1.id}`));
    t.see('show deleted', await t.neutron('admin', 'GET', `/qos/policies/${p1.id}`));
    t.see('delete deleted', await t.neutron('admin', 'DELETE', `/qos/policies/${p1.id}`));
  });

  parity('qos: what a member may do (policy.yaml defaults of Zed)', async (t) => {
    const demo = t.projects.demo;
    t.see('member creates a policy', await t.neutron('demo', 'POST', '/qos/policies', { policy: { name: `${RUN}-m` } }));
    t.see('member creates a shared policy', await t.neutron('demo', 'POST', '/qos/policies', { policy: { name: `${RUN}-m`, shared: true } }));
    t.see('member creates a bad policy', await t.neutron('demo', 'POST', '/qos/policies', { policy: { name: `${RUN}-m`, bogus: 1 } }));
    const priv = await t.create('admin private policy', 'admin', '/qos/policies', { policy: { name: `${RUN}-mp` } }, 'mp');
    const shared = await t.create('admin shared policy', 'admin', '/qos/policies', { policy: { name: `${RUN}-ms`, shared: true } }, 'ms');
    const own = await t.create('policy of the member project', 'admin', '/qos/policies', { policy: { name: `${RUN}-mo`, project_id: demo } }, 'mo');
    const rule = await t.create('rule of the shared policy', 'admin', `/qos/policies/${shared.id}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 1000 } }, 'ms-rule');
    t.see('member lists', await t.neutron('demo', 'GET', `/qos/policies?name=${RUN}-mp&name=${RUN}-ms&name=${RUN}-mo`), { pick: (x) => x.policies.map((p: Json) => p.name).sort() });
    t.see('member shows private', await t.neutron('demo', 'GET', `/qos/policies/${priv.id}`));
    t.see('member shows shared', await t.neutron('demo', 'GET', `/qos/policies/${shared.id}`));
    t.see('member shows own', await t.neutron('demo', 'GET', `/qos/policies/${own.id}`));
    t.see('member updates own', await t.neutron('demo', 'PUT', `/qos/policies/${own.id}`, { policy: { name: `${RUN}-mo2` } }));
    t.see('member updates shared', await t.neutron('demo', 'PUT', `/qos/policies/${shared.id}`, { policy: { name: `${RUN}-ms2` } }));
    t.see('member updates private', await t.neutron('demo', 'PUT', `/qos/policies/${priv.id}`, { policy: { name: `${RUN}-mp2` } }));
    t.see('member deletes own', await t.neutron('demo', 'DELETE', `/qos/policies/${own.id}`));
    t.see('member deletes private', await t.neutron('demo', 'DELETE', `/qos/policies/${priv.id}`));
    t.see('member adds a rule to own', await t.neutron('demo', 'POST', `/qos/policies/${own.id}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 1 } }));
    t.see('member adds a rule to private', await t.neutron('demo', 'POST', `/qos/policies/${priv.id}/dscp_marking_rules`, { dscp_marking_rule: { dscp_mark: 8 } }));
    t.see('member lists rules of shared', await t.neutron('demo', 'GET', `/qos/policies/${shared.id}/bandwidth_limit_rules`));
    t.see('member lists rules of private', await t.neutron('demo', 'GET', `/qos/policies/${priv.id}/bandwidth_limit_rules`));
    t.see('member shows a rule', await t.neutron('demo', 'GET', `/qos/policies/${shared.id}/bandwidth_limit_rules/${rule.id}`));
    t.see('member updates a rule', await t.neutron('demo', 'PUT', `/qos/policies/${shared.id}/bandwidth_limit_rules/${rule.id}`, { bandwidth_limit_rule: { max_kbps: 2 } }));
    t.see('member deletes a rule', await t.neutron('demo', 'DELETE', `/qos/policies/${shared.id}/bandwidth_limit_rules/${rule.id}`));
    t.see('member shows a rule by alias', await t.neutron('demo', 'GET', `/qos/alias_bandwidth_limit_rules/${rule.id}`));
    t.see('member updates a rule by alias', await t.neutron('demo', 'PUT', `/qos/alias_bandwidth_limit_rules/${rule.id}`, { alias_bandwidth_limit_rule: { max_kbps: 2 } }));
    t.see('member tags shared', await t.neutron('demo', 'PUT', `/qos/policies/${shared.id}/tags/${RUN}`));
    t.see('member tags private', await t.neutron('demo', 'PUT', `/qos/policies/${priv.id}/tags/${RUN}`));
    t.see('member lists rule types', await t.neutron('demo', 'GET', '/qos/rule-types'), { pick: (x) => x.rule_types.map((r: Json) => r.type).sort() });
    t.see('member shows a rule type', await t.neutron('demo', 'GET', '/qos/rule-types/bandwidth_limit'));
    const net = await t.create('member network with the shared policy', 'demo', '/networks', { network: { name: `${RUN}-mn`, qos_policy_id: shared.id } }, 'mn');
    t.see('member network with the private policy', await t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-mx`, qos_policy_id: priv.id } }));
    t.see('member port with own policy', await t.neutron('demo', 'POST', '/ports', { port: { name: `${RUN}-mport`, network_id: net.id, qos_policy_id: own.id } }), { pick: (x) => [x.port?.qos_policy_id, x.port?.qos_network_policy_id] });
    const mport = (await t.neutron('demo', 'GET', `/ports?name=${RUN}-mport`)).body.ports[0];
    if (mport) t.cleanup(() => t.neutron('admin', 'DELETE', `/ports/${mport.id}`));
    t.see('admin puts the private policy on the member network', await t.neutron('admin', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: priv.id } }), { pick: (x) => [x.network.qos_policy_id, x.network.revision_number] });
    t.see('member shows its network', await t.neutron('demo', 'GET', `/networks/${net.id}`), { pick: (x) => x.network.qos_policy_id });
    t.see('member takes it off', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: null } }));
    t.see('member replaces it', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: shared.id } }));
  });

  parity('qos: rules: defaults, validation, conflicts, rule types, the policy revision', async (t) => {
    const p = await t.create('policy', 'admin', '/qos/policies', { policy: { name: `${RUN}-qr` } }, 'qr');
    const base = `/qos/policies/${p.id}`;
    const bw = await t.create('bandwidth limit', 'admin', `${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 1000 } }, 'bw');
    t.see('same direction again', await t.neutron('admin', 'POST', `${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 5, max_burst_kbps: 10 } }));
    await t.create('ingress', 'admin', `${base}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: '5', max_burst_kbps: 10, direction: 'ingress' } }, 'bw-in');
    const post = (kind: string, body: Json) => t.neutron('admin', 'POST', `${base}/${kind}_rules`, { [`${kind}_rule`]: body });
    t.see('negative', await post('bandwidth_limit', { max_kbps: -1 }));
    t.see('too large', await post('bandwidth_limit', { max_kbps: 2147483648 }));
    t.see('not an integer', await post('bandwidth_limit', { max_kbps: 'x' }));
    t.see('null', await post('bandwidth_limit', { max_kbps: null }));
    t.see('missing max_kbps', await post('bandwidth_limit', { direction: 'ingress' }));
    t.see('bad direction', await post('bandwidth_limit', { max_kbps: 1, direction: 'up' }));
    t.see('unknown attribute', await post('bandwidth_limit', { max_kbps: 1, bogus: 1 }));
    t.see('dscp 9', await post('dscp_marking', { dscp_mark: 9 }));
    t.see('dscp 64', await post('dscp_marking', { dscp_mark: 64 }));
    await t.create('dscp 46', 'admin', `${base}/dscp_marking_rules`, { dscp_marking_rule: { dscp_mark: '46' } }, 'dscp');
    t.see('second dscp', await post('dscp_marking', { dscp_mark: 8 }));
    t.see('minimum above the limit', await post('minimum_bandwidth', { min_kbps: 2000 }));
    await t.create('minimum ingress', 'admin', `${base}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 100, direction: 'ingress' } }, 'min');
    t.see('minimum direction any', await post('minimum_bandwidth', { min_kbps: 1, direction: 'any' }));
    t.see('limit below the minimum', await t.neutron('admin', 'PUT', `${base}/bandwidth_limit_rules/${bw.id}`, { bandwidth_limit_rule: { max_kbps: 50 } }));
    await t.create('packet rate limit', 'admin', `${base}/packet_rate_limit_rules`, { packet_rate_limit_rule: { max_kpps: 10 } }, 'pps');
    await t.create('minimum packet rate any', 'admin', `${base}/minimum_packet_rate_rules`, { minimum_packet_rate_rule: { min_kpps: 10, direction: 'any' } }, 'min-pps');
    // Neutron lists a policy's rules in no particular order.
    const byContent = (rules: Json[]): Json[] => [...rules].sort((a, b) => `${a.type}/${a.direction}`.localeCompare(`${b.type}/${b.direction}`));
    t.see('policy with its rules', await t.neutron('admin', 'GET', base), { pick: (x) => ({ ...x.policy, rules: byContent(x.policy.rules) }) });
    t.see('update a rule', await t.neutron('admin', 'PUT', `${base}/bandwidth_limit_rules/${bw.id}`, { bandwidth_limit_rule: { max_kbps: 3000 } }));
    t.see('update a rule to its own values', await t.neutron('admin', 'PUT', `${base}/bandwidth_limit_rules/${bw.id}`, { bandwidth_limit_rule: { max_kbps: 3000 } }));
    t.see('update into a conflict', await t.neutron('admin', 'PUT', `${base}/bandwidth_limit_rules/${bw.id}`, { bandwidth_limit_rule: { direction: 'ingress' } }));
    t.see('update the id', await t.neutron('admin', 'PUT', `${base}/bandwidth_limit_rules/${bw.id}`, { bandwidth_limit_rule: { id: bw.id } }));
    t.see('revision after updates', await t.neutron('admin', 'GET', base), { pick: (x) => x.policy.revision_number });
    t.see('list rules', await t.neutron('admin', 'GET', `${base}/bandwidth_limit_rules?max_kbps=3000`));
    t.see('bandwidth limit direction is no filter', await t.neutron('admin', 'GET', `${base}/bandwidth_limit_rules?direction=egress`));
    t.see('nor a sort key', await t.neutron('admin', 'GET', `${base}/bandwidth_limit_rules?sort_key=direction&sort_dir=asc`));
    t.see('minimum bandwidth direction is one', await t.neutron('admin', 'GET', `${base}/minimum_bandwidth_rules?direction=egress`));
    t.see('show rule', await t.neutron('admin', 'GET', `${base}/bandwidth_limit_rules/${bw.id}`));
    t.see('rule of another type', await t.neutron('admin', 'GET', `${base}/dscp_marking_rules/${bw.id}`));
    t.see('missing rule', await t.neutron('admin', 'GET', `${base}/bandwidth_limit_rules/00000000-0000-0000-0000-000000000000`));
    t.see('rules of a missing policy', await t.neutron('admin', 'GET', '/qos/policies/00000000-0000-0000-0000-000000000000/bandwidth_limit_rules'));
    t.see('rule for a missing policy', await t.neutron('admin', 'POST', '/qos/policies/00000000-0000-0000-0000-000000000000/bandwidth_limit_rules', { bandwidth_limit_rule: { max_kbps: 1 } }));
    t.see('update by alias', await t.neutron('admin', 'PUT', `/qos/alias_bandwidth_limit_rules/${bw.id}`, { alias_bandwidth_limit_rule: { max_burst_kbps: 7 } }));
    t.see('alias of another type', await t.neutron('admin', 'GET', `/qos/alias_dscp_marking_rules/${bw.id}`));
    t.see('alias of the packet rate limit (none)', await t.neutron('admin', 'GET', `/qos/alias_packet_rate_limit_rules/${bw.id}`));
    t.see('delete rule', await t.neutron('admin', 'DELETE', `${base}/bandwidth_limit_rules/${bw.id}`));
    t.see('delete it again', await t.neutron('admin', 'DELETE', `${base}/bandwidth_limit_rules/${bw.id}`));
    t.see('revision after delete', await t.neutron('admin', 'GET', base), { pick: (x) => [x.policy.revision_number, x.policy.rules.length] });
    t.see('rule types', await t.neutron('admin', 'GET', '/qos/rule-types'), { pick: (x) => x.rule_types.map((r: Json) => r.type).sort() });
    t.see('rule types, all_rules', await t.neutron('admin', 'GET', '/qos/rule-types?all_rules=true'), { pick: (x) => x.rule_types.map((r: Json) => r.type).sort() });
    for (const type of ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'packet_rate_limit', 'minimum_packet_rate']) {
      t.see(`rule type ${type}`, await t.neutron('admin', 'GET', `/qos/rule-types/${type}`));
    }
    t.see('unknown rule type', await t.neutron('admin', 'GET', '/qos/rule-types/bogus'));
    t.see('unknown rule type filter', await t.neutron('admin', 'GET', '/qos/rule-types?bogus=1'));
  });

  parity('qos: qos_policy_id on networks, ports and floating IPs; a policy in use; minimum bandwidth on vxlan', async (t, pub) => {
    const p = await t.create('policy', 'admin', '/qos/policies', { policy: { name: `${RUN}-qa`, shared: true } }, 'qa');
    const net = await t.create('network with policy', 'demo', '/networks', { network: { name: `${RUN}-qan1`, qos_policy_id: p.id } }, 'net');
    await t.create('subnet', 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.80.0.0/24' } }, 'sub');
    const port = await t.create('port on it', 'demo', '/ports', { port: { name: `${RUN}-qap`, network_id: net.id } }, 'port');
    t.see('network in use', await t.neutron('admin', 'DELETE', `/qos/policies/${p.id}`));
    t.see('port policy', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: p.id } }), { pick: (x) => [x.port.qos_policy_id, x.port.qos_network_policy_id, x.port.revision_number] });
    t.see('port in use first', await t.neutron('admin', 'DELETE', `/qos/policies/${p.id}`));
    t.see('not a UUID', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: 'q1' } }));
    t.see('unknown policy', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: '00000000-0000-0000-0000-000000000000' } }));
    t.see('clear port', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: null } }), { pick: (x) => [x.port.qos_policy_id, x.port.qos_network_policy_id, x.port.revision_number] });
    t.see('clear network', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: null } }), { pick: (x) => [x.network.qos_policy_id, x.network.revision_number] });
    t.see('port after the network cleared', await t.neutron('demo', 'GET', `/ports/${port.id}`), { pick: (x) => [x.port.qos_policy_id, x.port.qos_network_policy_id, x.port.revision_number] });
    t.see('set network again', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: p.id } }), { pick: (x) => [x.network.qos_policy_id, x.network.revision_number] });
    t.see('same policy again', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: p.id } }), { pick: (x) => [x.network.qos_policy_id, x.network.revision_number] });
    const fip = await t.create('floating IP with policy', 'demo', '/floatingips', { floatingip: { floating_network_id: pub, qos_policy_id: p.id } }, 'fip');
    const priv = await t.create('private policy', 'admin', '/qos/policies', { policy: { name: `${RUN}-qpriv` } }, 'qpriv');
    await t.create('floating IP with a policy the member does not see', 'demo', '/floatingips', { floatingip: { floating_network_id: pub, qos_policy_id: priv.id } }, 'fip2');
    t.see('fip unknown policy', await t.neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: pub, qos_policy_id: '00000000-0000-0000-0000-000000000000' } }));
    await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: null } });
    t.see('fip in use', await t.neutron('admin', 'DELETE', `/qos/policies/${p.id}`));
    t.see('clear fip', await t.neutron('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { qos_policy_id: null } }), { pick: (x) => [x.floatingip.qos_policy_id, x.floatingip.revision_number] });
    const min = await t.create('minimum bandwidth policy', 'admin', '/qos/policies', { policy: { name: `${RUN}-qmin`, shared: true } }, 'qmin');
    await t.create('minimum bandwidth rule', 'admin', `/qos/policies/${min.id}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 100 } }, 'qmin-rule');
    t.see('minimum bandwidth on a vxlan network', await t.neutron('demo', 'PUT', `/networks/${net.id}`, { network: { qos_policy_id: min.id } }));
    t.see('minimum bandwidth on a new vxlan network', await t.neutron('demo', 'POST', '/networks', { network: { name: `${RUN}-qan2`, qos_policy_id: min.id } }));
    t.see('minimum bandwidth on a port of it', await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: min.id } }));
    t.see('new port with it', await t.neutron('demo', 'POST', '/ports', { port: { name: `${RUN}-qap2`, network_id: net.id, qos_policy_id: min.id } }));
    t.see('no such port left behind', await t.neutron('demo', 'GET', `/ports?name=${RUN}-qap2`));
    const bw = await t.create('limit policy on the port', 'admin', '/qos/policies', { policy: { name: `${RUN}-qbw`, shared: true } }, 'qbw');
    await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: bw.id } });
    t.see('minimum rule on a policy a port uses', await t.neutron('admin', 'POST', `/qos/policies/${bw.id}/minimum_bandwidth_rules`, { minimum_bandwidth_rule: { min_kbps: 100 } }));
    t.see('limit rule on it', await t.neutron('admin', 'POST', `/qos/policies/${bw.id}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 100 } }), { body: false });
    t.see('port with the limit policy', await t.neutron('demo', 'GET', `/ports/${port.id}`), { pick: (x) => [x.port.qos_policy_id, x.port.revision_number] });
    await t.neutron('demo', 'PUT', `/ports/${port.id}`, { port: { qos_policy_id: null } });
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
