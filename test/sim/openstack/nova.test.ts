import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_ERROR_KEY, ManualClock, startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';
import { call, neutron, nova, type Client, type Reply } from './client.ts';

const ZERO = '00000000-0000-0000-0000-000000000000';
const BUILD_MS = 200;
const TASK_MS = 100;

const fault = (name: string, code: number, message: string): object => ({ [name]: { code, message } });
const state = (r: Reply): unknown[] => [r.body.server.status, r.body.server['OS-EXT-STS:task_state'], r.body.server['OS-EXT-STS:vm_state'], r.body.server['OS-EXT-STS:power_state']];

describe('Nova', () => {
  let sim: OpenStackSim;
  let clock: ManualClock;
  let demo: Client;
  let admin: Client;
  let net: Client;
  let image: string;
  beforeEach(async () => {
    clock = new ManualClock();
    sim = await startOpenStackSim({ compute: { buildMs: BUILD_MS, taskMs: TASK_MS }, clock });
    demo = nova(sim, 'demo');
    admin = nova(sim, 'admin');
    net = neutron(sim, 'demo');
    image = [...(sim.glance?.images.values() ?? [])][0]?.id ?? '';
  });
  afterEach(() => sim.close());

  /** A demo network with one subnet. */
  const network = async (name = 'n', cidr = '10.1.0.0/24'): Promise<{ id: string; subnet: string }> => {
    const id = (await net.post('/networks', { network: { name } })).body.network.id;
    const subnet = (await net.post('/subnets', { subnet: { network_id: id, ip_version: 4, cidr } })).body.subnet.id;
    return { id, subnet };
  };
  const create = async (server: object, client = demo): Promise<string> => {
    const res = await client.post('/servers', { server: { name: 'vm', imageRef: image, flavorRef: '1', networks: 'none', ...server } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.server.id;
  };
  /** A server that is ACTIVE: created, then the whole build time on the clock. */
  const active = async (server: object = {}): Promise<string> => {
    const id = await create(server);
    clock.advance(BUILD_MS);
    return id;
  };
  const action = (id: string, body: object, client = demo): Promise<Reply> => client.post(`/servers/${id}/action`, body);

  it('serves the version document and answers each request at its microversion', async () => {
    const doc = await call(`${sim.computeUrl}/`, 'GET');
    expect(doc.body.version).toMatchObject({ id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1', links: [{ rel: 'self', href: `${sim.computeUrl}/` }, expect.anything()] });
    expect(doc.headers.get('openstack-api-version')).toBe('compute 2.1');
    expect((await call(`${sim.url}/compute/`, 'GET')).body.versions.map((v: { id: string }) => v.id)).toEqual(['v2.0', 'v2.1']);

    const at = async (headers: Record<string, string>): Promise<Reply> => call(`${sim.computeUrl}/servers`, 'GET', { token: demo.token, headers });
    const none = await at({});
    expect([none.headers.get('openstack-api-version'), none.headers.get('x-openstack-nova-api-version'), none.headers.get('vary')]).toEqual(['compute 2.1', '2.1', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version']);
    expect((await at({ 'OpenStack-API-Version': 'compute latest' })).headers.get('openstack-api-version')).toBe('compute 2.93');
    expect((await at({ 'X-OpenStack-Nova-API-Version': '2.47' })).headers.get('openstack-api-version')).toBe('compute 2.47');
    expect(await at({ 'OpenStack-API-Version': 'compute 2.latest' })).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'API Version String 2.latest is of invalid format. Must be of format MajorNum.MinorNum.'),
    });
    const tooNew = await at({ 'OpenStack-API-Version': 'compute 2.94' });
    expect(tooNew).toMatchObject({ status: 406, body: fault('computeFault', 406, 'Version 2.94 is not supported by the API. Minimum is 2.1 and maximum is 2.93.') });
    expect(tooNew.headers.get('openstack-api-version')).toBe('compute 2.94');
    const noToken = await call(`${sim.computeUrl}/servers`, 'GET');
    expect(noToken).toMatchObject({ status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } });
  });

  it('builds a server: BUILD (scheduling, then spawning with its port bound), then ACTIVE', async () => {
    const { id: netId } = await network();
    const res = await demo.post('/servers', { server: { name: 'web', imageRef: image, flavorRef: '1', networks: [{ uuid: netId }], metadata: { role: 'web' }, tags: ['b', 'a', 'b'] } });
    expect(res.status).toBe(202);
    const id = res.body.server.id;
    expect(res.body.server).toEqual({
      id,
      links: [{ rel: 'self', href: `${sim.computeUrl}/servers/${id}` }, { rel: 'bookmark', href: `${sim.url}/compute/servers/${id}` }],
      'OS-DCF:diskConfig': 'MANUAL',
      security_groups: [{ name: 'default' }],
      adminPass: expect.stringMatching(/^\w{12}$/),
    });

    const building = await demo.get(`/servers/${id}`);
    expect(state(building)).toEqual(['BUILD', 'scheduling', 'building', 0]);
    // Until scheduled, the server is a build request: its tags as given, no host, no port yet.
    expect(building.body.server).toMatchObject({ tags: ['b', 'a', 'b'], hostId: '', 'OS-EXT-AZ:availability_zone': '', addresses: {}, progress: 0 });
    expect((await net.get(`/ports?device_id=${id}`)).body.ports).toEqual([]);

    clock.advance(BUILD_MS / 2);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['BUILD', 'spawning', 'building', 0]);
    const [port] = (await neutron(sim, 'admin').get(`/ports?device_id=${id}`)).body.ports;
    expect(port).toMatchObject({ device_owner: 'compute:nova', status: 'ACTIVE', revision_number: 3, 'binding:host_id': 'e2e-compute', 'binding:vif_type': 'ovs' });

    clock.advance(BUILD_MS / 2);
    const shown = await demo.get(`/servers/${id}`);
    expect(state(shown)).toEqual(['ACTIVE', null, 'active', 1]);
    expect(shown.body.server).toMatchObject({
      name: 'web',
      tags: ['a', 'b'],
      metadata: { role: 'web' },
      hostId: expect.stringMatching(/^[0-9a-f]{56}$/),
      'OS-EXT-AZ:availability_zone': 'nova',
      'OS-SRV-USG:launched_at': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000$/),
      flavor: { vcpus: 1, ram: 64, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: {} },
      image: { id: image, links: [{ rel: 'bookmark', href: `${sim.url}/compute/images/${image}` }] },
      addresses: { n: [{ version: 4, addr: port.fixed_ips[0].ip_address, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.mac_address }] },
      security_groups: [{ name: 'default' }],
      server_groups: [],
      'OS-EXT-SRV-ATTR:hostname': 'web',
    });
    expect(shown.body.server).not.toHaveProperty('OS-EXT-SRV-ATTR:host');
    expect((await admin.get(`/servers/${id}`)).body.server).toMatchObject({ 'OS-EXT-SRV-ATTR:host': 'e2e-compute', host_status: 'UP' });
    const old = await nova(sim, 'demo', '2.46').get(`/servers/${id}`);
    expect(old.body.server.flavor).toEqual({ id: '1', links: [{ rel: 'bookmark', href: `${sim.url}/compute/flavors/1` }] });
    const v21 = (await nova(sim, 'demo', null).get(`/servers/${id}`)).body.server;
    expect(v21).not.toHaveProperty('tags');
    expect(v21).not.toHaveProperty('locked');
  });

  it('refuses bad create requests with Nova bodies, in Nova order', async () => {
    const { id: netId } = await network();
    const bare = (await net.post('/networks', { network: { name: 'bare' } })).body.network.id;
    const refused = async (server: object, version = '2.93'): Promise<unknown> => (await nova(sim, 'demo', version).post('/servers', { server })).body;
    const base = { name: 'x', imageRef: image, flavorRef: '1' };
    expect(await refused(base)).toEqual(fault('badRequest', 400, `Invalid input for field/attribute server. Value: {'name': 'x', 'imageRef': '${image}', 'flavorRef': '1'}. 'networks' is a required property`));
    expect(await refused({ ...base, networks: 'none', tags: ['a'] }, '2.51')).toEqual(
      fault('badRequest', 400, `Invalid input for field/attribute server. Value: {'name': 'x', 'imageRef': '${image}', 'flavorRef': '1', 'networks': 'none', 'tags': ['a']}. Additional properties are not allowed ('tags' was unexpected)`),
    );
    expect(await refused({ ...base, networks: 'bogus' })).toEqual(fault('badRequest', 400, "Invalid input for field/attribute networks. Value: bogus. 'bogus' is not valid under any of the given schemas"));
    expect(await refused({ ...base, name: '', networks: 'none' })).toEqual(fault('badRequest', 400, "Invalid input for field/attribute name. Value: . '' is too short"));
    expect(await refused({ name: 'x', flavorRef: '1', networks: 'none' })).toEqual(fault('badRequest', 400, 'Missing imageRef attribute'));
    expect(await refused({ ...base, imageRef: ZERO, flavorRef: '999', networks: 'none' })).toEqual(fault('badRequest', 400, 'Flavor 999 could not be found.'));
    expect(await refused({ ...base, imageRef: ZERO, networks: [{ uuid: ZERO }] })).toEqual(fault('badRequest', 400, 'Can not find requested image'));
    expect(await refused({ ...base, networks: [{ uuid: ZERO }] })).toEqual(fault('badRequest', 400, `Network ${ZERO} could not be found.`));
    expect(await refused({ ...base, networks: [{ uuid: ZERO }, { uuid: bare }] })).toEqual(fault('badRequest', 400, `Network ${bare} requires a subnet in order to boot instances on.`));
    expect(await refused({ ...base, networks: [{ port: ZERO }] })).toEqual(fault('badRequest', 400, `Port id ${ZERO} could not be found.`));
    expect(await refused({ ...base, networks: [{ uuid: netId }], security_groups: [{ name: 'nope' }] })).toEqual(fault('badRequest', 400, "Unable to find security_group with name or id 'nope'"));
    expect(await refused({ ...base, networks: 'none', key_name: 'nope' })).toEqual(fault('badRequest', 400, 'Invalid key_name provided.'));
    expect(await refused({ ...base, networks: 'none', metadata: { a: 1 } })).toEqual(fault('badRequest', 400, "Invalid input for field/attribute a. Value: 1. 1 is not of type 'string'"));
    // Without networks (2.1) or with "auto", Nova picks the project's only network; with two it cannot.
    await network('second', '10.2.0.0/24');
    expect(await refused({ ...base, networks: 'auto' })).toEqual(fault('conflictingRequest', 409, 'Multiple possible networks found, use a Network ID to be more specific.'));

    // A port is in use once a server is being built on it, before it is bound.
    const port = (await net.post('/ports', { port: { network_id: netId } })).body.port;
    await create({ networks: [{ port: port.id }] });
    expect(await refused({ ...base, networks: [{ port: port.id }] })).toEqual(fault('conflictingRequest', 409, `Port ${port.id} is still in use.`));
    expect(await refused({ ...base, networks: [{ uuid: netId, fixed_ip: port.fixed_ips[0].ip_address }] })).toEqual(
      fault('badRequest', 400, `Fixed IP address ${port.fixed_ips[0].ip_address} is already in use on instance .`),
    );
  });

  it('enforces the instances, cores and RAM quotas with Nova words', async () => {
    const admin = sim.keystone.projectByName('admin')?.id ?? '';
    expect((await demo.put(`/os-quota-sets/${admin}`, { quota_set: { instances: 0 } })).body).toEqual(fault('forbidden', 403, "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed."));
    expect((await nova(sim, 'admin').put(`/os-quota-sets/${admin}`, { quota_set: { instances: 0 } })).status).toBe(200);
    const over = await nova(sim, 'admin').post('/servers', { server: { name: 'q', imageRef: image, flavorRef: '1', networks: 'none' } });
    expect(over).toMatchObject({ status: 403, body: fault('forbidden', 403, 'Quota exceeded for instances: Requested 1, but already used 0 of 0 instances') });
    await nova(sim, 'admin').put(`/os-quota-sets/${admin}`, { quota_set: { cores: 0, ram: 0 } });
    expect((await nova(sim, 'admin').post('/servers', { server: { name: 'q', imageRef: image, flavorRef: '1', networks: 'none' } })).body).toEqual(
      fault('forbidden', 403, 'Quota exceeded for cores, instances, ram: Requested 1, 1, 64, but already used 0, 0, 0 of 0, 0, 0 cores, instances, ram'),
    );
    expect((await nova(sim, 'admin').del(`/os-quota-sets/${admin}`)).status).toBe(202);
    expect((await nova(sim, 'admin').get(`/os-quota-sets/${admin}`)).body.quota_set).toMatchObject({ instances: 10, cores: 20, ram: 51200 });
    await active();
    expect((await demo.get('/limits')).body.limits.absolute).toMatchObject({ maxTotalInstances: 10, totalInstancesUsed: 1, totalRAMUsed: 64 });
  });

  it('stops, starts and reboots through task states, refusing what Nova refuses', async () => {
    const scheduling = await create({});
    expect((await action(scheduling, { 'os-stop': null })).body).toEqual(fault('itemNotFound', 404, `Instance ${scheduling} could not be found.`));
    expect((await action(scheduling, { reboot: { type: 'HARD' } })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'reboot' instance ${scheduling} while it is in vm_state building`));
    expect((await action(ZERO, { 'os-start': null })).body).toEqual(fault('itemNotFound', 404, `Instance ${ZERO} has no mapping to a cell.`));
    expect((await action(ZERO, { reboot: { type: 'SOFT' } })).body).toEqual(fault('itemNotFound', 404, `Instance ${ZERO} could not be found.`));
    clock.advance(BUILD_MS);

    const id = scheduling;
    expect((await action(id, { 'os-start': null })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'start' instance ${id} while it is in vm_state active`));
    expect((await action(id, { 'os-stop': null })).status).toBe(202);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['ACTIVE', 'powering-off', 'active', 1]);
    expect((await action(id, { 'os-stop': null })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'stop' instance ${id} while it is in task_state powering-off`));
    clock.advance(TASK_MS);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['SHUTOFF', null, 'stopped', 4]);
    expect((await action(id, { reboot: { type: 'SOFT' } })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'reboot' instance ${id} while it is in vm_state stopped`));

    await action(id, { 'os-start': null });
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['SHUTOFF', 'powering-on', 'stopped', 4]);
    clock.advance(TASK_MS);
    await action(id, { reboot: { type: 'SOFT' } });
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['REBOOT', 'rebooting', 'active', 1]);
    expect((await action(id, { reboot: { type: 'SOFT' } })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'reboot' instance ${id} while it is in task_state rebooting`));
    // A hard reboot may take over a soft one.
    expect((await action(id, { reboot: { type: 'HARD' } })).status).toBe(202);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['HARD_REBOOT', 'rebooting_hard', 'active', 1]);
    clock.advance(TASK_MS);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['ACTIVE', null, 'active', 1]);

    expect((await action(id, { reboot: { type: 'x' } })).body).toEqual(fault('badRequest', 400, "Invalid input for field/attribute type. Value: x. 'x' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']"));
    expect((await action(id, { bogus: null })).body).toEqual(fault('badRequest', 400, 'There is no such action: bogus'));
    expect(sim.calls.count({ service: 'compute', operation: 'serverAction:reboot' })).toBe(7);
  });

  it('resizes to VERIFY_RESIZE, confirms (still VERIFY_RESIZE until done) and reverts to the old flavor', async () => {
    const id = await active();
    expect((await action(id, { resize: { flavorRef: '1' } })).body).toEqual(fault('badRequest', 400, 'When resizing, instances must change flavor!'));
    expect((await action(id, { resize: { flavorRef: '999' } })).body).toEqual(fault('badRequest', 400, 'Flavor 999 could not be found.'));
    expect((await action(id, { confirmResize: null })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'confirmResize' instance ${id} while it is in vm_state active`));
    expect((await action(id, { resize: { flavorRef: '2' } })).status).toBe(202);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['RESIZE', 'resize_prep', 'active', 1]);
    expect((await action(id, { resize: { flavorRef: '2' } })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'resize' instance ${id} while it is in task_state resize_prep`));
    clock.advance(TASK_MS / 2);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['RESIZE', 'resize_migrated', 'active', 1]);
    clock.advance(TASK_MS / 2);
    const verify = await demo.get(`/servers/${id}`);
    expect(state(verify)).toEqual(['VERIFY_RESIZE', null, 'resized', 1]);
    expect(verify.body.server.flavor.original_name).toBe('m1.small');
    expect((await action(id, { 'os-stop': null })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'stop' instance ${id} while it is in vm_state resized`));

    expect((await action(id, { confirmResize: null })).status).toBe(204);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['VERIFY_RESIZE', null, 'resized', 1]);
    expect((await action(id, { confirmResize: null })).body).toEqual(fault('badRequest', 400, 'Instance has not been resized.'));
    clock.advance(TASK_MS);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['ACTIVE', null, 'active', 1]);

    await action(id, { 'os-stop': null });
    clock.advance(TASK_MS);
    await action(id, { resize: { flavorRef: '1' } });
    clock.advance(TASK_MS);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['VERIFY_RESIZE', null, 'resized', 4]);
    expect((await action(id, { revertResize: null })).status).toBe(202);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['REVERT_RESIZE', 'resize_reverting', 'resized', 4]);
    clock.advance(TASK_MS);
    const reverted = await demo.get(`/servers/${id}`);
    expect(state(reverted)).toEqual(['SHUTOFF', null, 'stopped', 4]);
    expect(reverted.body.server.flavor.original_name).toBe('m1.small');
  });

  it('fails a build on request (ERROR with a fault), releasing its ports; breaks a server out of band', async () => {
    const { id: netId } = await network();
    const id = await active({ networks: [{ uuid: netId }], metadata: { [BUILD_ERROR_KEY]: '' } });
    const failed = (await demo.get(`/servers/${id}`)).body.server;
    expect(state({ body: { server: failed } } as Reply)).toEqual(['ERROR', null, 'error', 0]);
    expect(failed).toMatchObject({
      fault: { code: 500, created: expect.any(String), message: `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${id}.` },
      hostId: '',
      addresses: {},
    });
    expect((await net.get(`/ports?network_id=${netId}`)).body.ports).toEqual([]);
    // It never ran: Nova refuses actions that need a launched server.
    expect((await action(id, { 'os-stop': null })).body).toEqual(fault('conflictingRequest', 409, `Instance ${id} is in an invalid state for 'stop'`));

    const custom = await active({ metadata: { [BUILD_ERROR_KEY]: 'No valid host was found.' } });
    expect((await demo.get(`/servers/${custom}`)).body.server.fault.message).toBe('No valid host was found.');
    const outside = await active();
    sim.nova?.fail(outside, 'hypervisor lost');
    expect((await demo.get(`/servers/${outside}`)).body.server).toMatchObject({ status: 'ERROR', fault: { code: 500, message: 'hypervisor lost' } });
    expect((await action(outside, { 'os-stop': null })).status).toBe(202);
  });

  it('deletes: task deleting, DELETED, then 404; its port goes, a user port stays unbound with its floating IP', async () => {
    const { id: netId, subnet } = await network();
    const router = (await net.post('/routers', { router: { name: 'r', external_gateway_info: { network_id: sim.publicNetworkId } } })).body.router.id;
    await net.put(`/routers/${router}/add_router_interface`, { subnet_id: subnet });
    const port = (await net.post('/ports', { port: { network_id: netId } })).body.port;
    const fip = (await net.post('/floatingips', { floatingip: { floating_network_id: sim.publicNetworkId, port_id: port.id } })).body.floatingip;
    const id = await active({ networks: [{ port: port.id }, { uuid: netId }] });
    const shown = (await demo.get(`/servers/${id}`)).body.server;
    expect(shown.addresses.n.map((a: { addr: string; 'OS-EXT-IPS:type': string }) => [a.addr, a['OS-EXT-IPS:type']])).toEqual([
      [port.fixed_ips[0].ip_address, 'fixed'],
      [fip.floating_ip_address, 'floating'],
      [expect.stringMatching(/^10\.1\.0\.\d+$/), 'fixed'],
    ]);
    expect(shown.security_groups).toEqual([{ name: 'default' }, { name: 'default' }]);
    const created = (await net.get(`/ports?device_id=${id}`)).body.ports.find((p: { id: string }) => p.id !== port.id).id;
    expect((await net.get(`/ports/${port.id}`)).body.port).toMatchObject({ device_id: id, device_owner: 'compute:nova', status: 'ACTIVE', revision_number: port.revision_number + 2 });

    expect((await demo.del(`/servers/${id}`)).status).toBe(204);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['ACTIVE', 'deleting', 'active', 1]);
    clock.advance(TASK_MS / 2);
    expect(state(await demo.get(`/servers/${id}`))).toEqual(['DELETED', null, 'deleted', 0]);
    expect((await demo.get('/servers')).body.servers).toEqual([]);
    clock.advance(TASK_MS / 2);
    expect((await demo.get(`/servers/${id}`))).toMatchObject({ status: 404, body: fault('itemNotFound', 404, `Instance ${id} could not be found.`) });
    expect((await demo.del(`/servers/${id}`)).status).toBe(404);
    expect((await net.get(`/ports/${created}`)).status).toBe(404);
    expect((await net.get(`/ports/${port.id}`)).body.port).toMatchObject({ device_id: '', device_owner: '', status: 'DOWN', revision_number: port.revision_number + 3 });
    expect((await net.get(`/floatingips/${fip.id}`)).body.floatingip.port_id).toBe(port.id);
  });

  it('replaces and edits metadata and tags, refusing them while building and before 2.26', async () => {
    const building = await create({});
    expect((await demo.put(`/servers/${building}/metadata`, { metadata: { a: 'b' } })).body).toEqual(fault('conflictingRequest', 409, `Cannot 'update metadata' instance ${building} while it is in vm_state building`));
    expect((await demo.put(`/servers/${building}/tags/x`)).body).toEqual(fault('conflictingRequest', 409, `Cannot 'update tag' instance ${building} while it is in vm_state building`));
    clock.advance(BUILD_MS);
    const id = building;
    expect((await demo.put(`/servers/${id}/metadata`, { metadata: { a: '1', b: '2' } })).body).toEqual({ metadata: { a: '1', b: '2' } });
    expect((await demo.post(`/servers/${id}/metadata`, { metadata: { c: '3' } })).body).toEqual({ metadata: { a: '1', b: '2', c: '3' } });
    expect((await demo.put(`/servers/${id}/metadata/d`, { meta: { d: '4' } })).body).toEqual({ meta: { d: '4' } });
    expect((await demo.put(`/servers/${id}/metadata/e`, { meta: { d: '4' } })).body).toEqual(fault('badRequest', 400, 'Request body and URI mismatch'));
    expect((await demo.put(`/servers/${id}/metadata/d`, { meta: { d: '4', e: '5' } })).body).toEqual(
      fault('badRequest', 400, "Invalid input for field/attribute meta. Value: {'d': '4', 'e': '5'}. {'d': '4', 'e': '5'} has too many properties"),
    );
    expect((await demo.del(`/servers/${id}/metadata/d`)).status).toBe(204);
    expect((await demo.get(`/servers/${id}/metadata/d`)).body).toEqual(fault('itemNotFound', 404, 'Metadata item was not found'));
    expect((await demo.put(`/servers/${id}/metadata`, { metadata: { 'a/b': '1' } })).body).toEqual(
      fault('badRequest', 400, "Invalid input for field/attribute metadata. Value: {'a/b': '1'}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'"),
    );

    expect((await demo.put(`/servers/${id}/tags`, { tags: ['b', 'a', 'b'] })).body).toEqual({ tags: ['a', 'b'] });
    const added = await demo.put(`/servers/${id}/tags/c`);
    expect([added.status, added.headers.get('location')]).toEqual([201, `${sim.computeUrl}/servers/${id}/tags/c`]);
    expect((await demo.put(`/servers/${id}/tags/c`)).status).toBe(204);
    expect((await demo.get(`/servers/${id}/tags/c`)).status).toBe(204);
    expect((await demo.get(`/servers/${id}/tags/z`)).body).toEqual(fault('itemNotFound', 404, `Server ${id} has no tag 'z'`));
    expect((await demo.del(`/servers/${id}/tags/z`)).body).toEqual(fault('itemNotFound', 404, `Instance ${id} has no tag 'z'`));
    expect((await demo.put(`/servers/${id}/tags`, { tags: ['a,b'] })).body).toEqual(fault('badRequest', 400, "Invalid input for field/attribute 0. Value: a,b. 'a,b' does not match '^[^,/]*$'"));
    expect((await demo.put(`/servers/${id}/tags/a,b`)).body).toEqual(
      fault('badRequest', 400, "Tag 'a,b' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: 'a,b' does not match '^[^,/]*$'"),
    );
    expect((await nova(sim, 'demo', '2.25').get(`/servers/${id}/tags`)).body).toEqual(fault('itemNotFound', 404, 'The resource could not be found.'));
    expect((await demo.get(`/servers/${ZERO}/tags`)).body).toEqual(fault('itemNotFound', 404, `Instance ${ZERO} has no mapping to a cell.`));
    expect((await demo.del(`/servers/${id}/tags`)).status).toBe(204);
    expect((await demo.get(`/servers/${id}`)).body.server).toMatchObject({ metadata: { a: '1', b: '2', c: '3' }, tags: [] });
  });

  it('attaches and detaches interfaces, updating Neutron ports and addresses', async () => {
    const { id: netId } = await network();
    const { id: net2 } = await network('n2', '10.2.0.0/24');
    const id = await active({ networks: [{ uuid: netId }] });
    const attached = await demo.post(`/servers/${id}/os-interface`, { interfaceAttachment: { net_id: net2, fixed_ips: [{ ip_address: '10.2.0.50' }] } });
    expect(attached.body.interfaceAttachment).toEqual({
      net_id: net2, port_id: expect.any(String), mac_addr: expect.stringMatching(/^fa:16:3e/), port_state: 'ACTIVE', fixed_ips: [{ subnet_id: expect.any(String), ip_address: '10.2.0.50' }], tag: null,
    });
    const portId = attached.body.interfaceAttachment.port_id;
    expect((await demo.get(`/servers/${id}/os-interface`)).body.interfaceAttachments).toHaveLength(2);
    expect(Object.keys((await demo.get(`/servers/${id}`)).body.server.addresses)).toEqual(['n', 'n2']);
    const again = await demo.post(`/servers/${id}/os-interface`, { interfaceAttachment: { net_id: net2, fixed_ips: [{ ip_address: '10.2.0.50' }] } });
    expect(again.body).toEqual(fault('conflictingRequest', 409, 'Fixed IP 10.2.0.50 is already in use.'));
    expect((await demo.post(`/servers/${id}/os-interface`, { interfaceAttachment: { port_id: portId } })).body).toEqual(fault('conflictingRequest', 409, `Port ${portId} is still in use.`));
    expect((await demo.post(`/servers/${id}/os-interface`, { interfaceAttachment: { port_id: ZERO } })).body).toEqual(fault('itemNotFound', 404, `Port id ${ZERO} could not be found.`));
    expect((await demo.post(`/servers/${id}/os-interface`, { interfaceAttachment: { net_id: ZERO } })).status).toBe(500);
    expect((await demo.post(`/servers/${id}/os-interface`, { interfaceAttachment: { fixed_ips: [{ ip_address: '10.2.0.51' }] } })).body).toEqual(fault('badRequest', 400, 'Must input network_id when request IP address'));

    expect((await demo.del(`/servers/${id}/os-interface/${portId}`)).status).toBe(202);
    expect((await demo.del(`/servers/${id}/os-interface/${ZERO}`)).status).toBe(202);
    expect((await net.get(`/ports/${portId}`)).status).toBe(200);
    clock.advance(TASK_MS);
    expect((await net.get(`/ports/${portId}`)).status).toBe(404);
    expect(Object.keys((await demo.get(`/servers/${id}`)).body.server.addresses)).toEqual(['n']);
  });

  it('lists with a case-insensitive name regular expression, tag filters and sorted next links', async () => {
    const a = await active({ name: 'web-1', tags: ['x', 'y'] });
    const b = await active({ name: 'web-2', tags: ['y', 'z'] });
    await active({ name: 'db' });
    const names = async (query: string): Promise<string[]> => (await demo.get(`/servers${query}`)).body.servers.map((s: { name: string }) => s.name);
    expect(await names('?name=WEB')).toEqual(['web-2', 'web-1']);
    // Nova escapes '|' for MySQL: no alternatives.
    expect(await names('?name=web|db')).toEqual([]);
    expect(await names('?tags=y')).toEqual(['web-2', 'web-1']);
    expect(await names('?tags=x,y')).toEqual(['web-1']);
    expect(await names('?tags-any=x,z')).toEqual(['web-2', 'web-1']);
    expect(await names('?not-tags=x')).toEqual(['db', 'web-2']);
    expect(await names('?tags=x&tags=z')).toEqual(['web-2']);
    const page = await demo.get('/servers?name=web&limit=1');
    expect(page.body.servers_links).toEqual([{ rel: 'next', href: `${sim.computeUrl}/servers?limit=1&name=web&marker=${b}` }]);
    const next = await demo.get(`/servers/detail?name=web&limit=1&marker=${b}`);
    expect([next.body.servers.map((s: { id: string }) => s.id), next.body.servers_links]).toEqual([[a], [{ rel: 'next', href: `${sim.computeUrl}/servers/detail?limit=1&marker=${a}&name=web` }]]);
    expect((await demo.get('/servers?limit=0')).body).toEqual({ servers: [] });
    expect((await demo.get(`/servers?marker=${ZERO}`)).body).toEqual(fault('badRequest', 400, `marker [${ZERO}] not found`));
    expect((await demo.get('/servers?limit=x')).body).toEqual(fault('badRequest', 400, "Invalid input for query parameters limit. Value: x. 'x' does not match '^[0-9]*$'"));
    expect((await demo.get('/servers?bogus=1')).body).toEqual(fault('badRequest', 400, "'bogus' does not match any of the regexes: '^_'"));
    expect((await demo.get('/servers/detail?all_tenants=1')).body).toEqual(fault('forbidden', 403, "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed."));
    expect((await admin.get('/servers')).body.servers).toEqual([]);
    expect((await admin.get('/servers?all_tenants=1')).body.servers).toHaveLength(3);
  });

  it('serves flavors, key pairs and quota sets', async () => {
    expect((await demo.get('/flavors')).body.flavors.map((f: { id: string; name: string }) => [f.id, f.name])).toEqual([['1', 'm1.tiny'], ['2', 'm1.small'], ['3', 'm1.nohost']]);
    const detail = await demo.get('/flavors/detail?limit=1');
    expect(detail.body).toEqual({
      flavors: [{
        id: '1', name: 'm1.tiny', ram: 64, disk: 1, swap: 0, 'OS-FLV-EXT-DATA:ephemeral': 0, 'OS-FLV-DISABLED:disabled': false, vcpus: 1, 'os-flavor-access:is_public': true,
        rxtx_factor: 1, links: [{ rel: 'self', href: `${sim.computeUrl}/flavors/1` }, { rel: 'bookmark', href: `${sim.url}/compute/flavors/1` }], description: null, extra_specs: {},
      }],
      flavors_links: [{ rel: 'next', href: `${sim.computeUrl}/flavors/detail?limit=1&marker=1` }],
    });
    expect((await nova(sim, 'demo', null).get('/flavors/2')).body.flavor).toMatchObject({ swap: '', ram: 128 });
    expect((await demo.get('/flavors/999')).body).toEqual(fault('itemNotFound', 404, 'Flavor 999 could not be found.'));

    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl probe';
    const imported = await demo.post('/os-keypairs', { keypair: { name: 'k1', public_key: key } });
    expect(imported).toMatchObject({ status: 201, body: { keypair: { name: 'k1', type: 'ssh', fingerprint: '65:96:2d:fc:e8:d5:a9:11:64:0c:0f:ea:00:6e:5b:bd', public_key: key } } });
    expect((await demo.post('/os-keypairs', { keypair: { name: 'k1', public_key: key } })).body).toEqual(fault('conflictingRequest', 409, "Key pair 'k1' already exists."));
    expect((await demo.post('/os-keypairs', { keypair: { name: 'k2', public_key: 'bad' } })).body).toEqual(fault('badRequest', 400, 'Keypair data is invalid: failed to generate fingerprint'));
    expect((await demo.get('/os-keypairs')).body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual(['k1']);
    const generated = await nova(sim, 'demo', '2.91').post('/os-keypairs', { keypair: { name: 'gen' } });
    expect(generated.body.keypair).toMatchObject({ public_key: expect.stringMatching(/^ssh-rsa /), private_key: expect.stringMatching(/^-----BEGIN RSA PRIVATE KEY-----/) });
    expect((await demo.del('/os-keypairs/k1')).status).toBe(204);
    const userId = sim.keystone.users.find((u) => u.name === 'demo')?.id;
    expect((await demo.get('/os-keypairs/k1')).body).toEqual(fault('itemNotFound', 404, `Keypair k1 not found for user ${userId}`));
    const own = sim.keystone.projectByName('demo')?.id ?? '';
    expect(Object.keys((await demo.get(`/os-quota-sets/${own}`)).body.quota_set).sort()).toEqual(['cores', 'id', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups']);
  });

  it('injects faults into compute and image requests and accounts for them', async () => {
    sim.faults.add({ match: { service: 'compute', operation: 'createServer' }, status: 503, times: 1 });
    const refused = await demo.post('/servers', { server: { name: 'vm', imageRef: image, flavorRef: '1', networks: 'none' } });
    expect(refused).toMatchObject({ status: 503, body: fault('serviceUnavailable', 503, 'Injected fault: HTTP 503.') });
    expect(sim.nova?.state.servers.size).toBe(0);
    sim.faults.add({ match: { service: 'image', operation: 'listImages' }, status: 429, retryAfter: 2, times: 1 });
    const limited = await fetch(`${sim.imageUrl}/v2/images`, { headers: { 'X-Auth-Token': demo.token } });
    expect([limited.status, limited.headers.get('retry-after'), limited.headers.get('content-type')]).toEqual([429, '2', 'text/html; charset=UTF-8']);
    await limited.text();
    const id = await create({});
    await action(id, { 'os-stop': null });
    expect(sim.calls.summary({ service: 'compute' })).toEqual({ createServer: 2, 'serverAction:os-stop': 1 });
    expect(sim.calls.count({ service: 'image', operation: 'listImages', fault: 'error' })).toBe(1);
  });
});

describe('Nova off (the default)', () => {
  it('is neither served nor in the catalog', async () => {
    const sim = await startOpenStackSim();
    try {
      expect(sim.computeUrl).toBeUndefined();
      const catalog = await call(`${sim.url}/v3/auth/catalog`, 'GET', { token: sim.token() });
      expect(catalog.body.catalog.map((e: { type: string }) => e.type)).toEqual(['identity', 'network']);
      expect((await call(`${sim.url}/compute/v2.1/`, 'GET')).status).toBe(404);
    } finally {
      await sim.close();
    }
  });
});

describe('Nova of an older cloud (maxMicroversion)', () => {
  it('serves microversions up to its newest only: no tags in a create below 2.52', async () => {
    const sim = await startOpenStackSim({ compute: { maxMicroversion: '2.51' } });
    try {
      expect((await call(`${sim.computeUrl}/`, 'GET')).body.version).toMatchObject({ version: '2.51', min_version: '2.1' });
      const demo = nova(sim, 'demo');
      const at = async (version: string): Promise<Reply> => call(`${sim.computeUrl}/servers`, 'GET', { token: demo.token, headers: { 'OpenStack-API-Version': `compute ${version}` } });
      expect((await at('latest')).headers.get('openstack-api-version')).toBe('compute 2.51');
      expect(await at('2.52')).toMatchObject({ status: 406, body: fault('computeFault', 406, 'Version 2.52 is not supported by the API. Minimum is 2.1 and maximum is 2.51.') });
      await expect(startOpenStackSim({ compute: { maxMicroversion: '2.94' } })).rejects.toThrow('maxMicroversion 2.94: give one from 2.1 to 2.93');
    } finally {
      await sim.close();
    }
  });
});
