// The simulator must answer as real Nova and Glance do: each case runs the same requests against both and
// compares the transcripts (statuses, fault bodies, server views modulo ids/addresses/timestamps). Runs only
// on the real tier (CLOUDNET_REAL=1) with Nova in the catalog (PROFILE=full); it skips without it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startOpenStackSim, type OpenStackSim, type SimFlavor } from '../../dev/sim/openstack/index.ts';
import { realRequested, startRealOpenStack, type RealOpenStack } from './backend.ts';
import { expectSameTranscripts, Target, unordered, type Reply } from './parity.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const RUN = `parity-${randomUUID().slice(0, 8)}`;
const ZERO = '00000000-0000-0000-0000-000000000000';
/** An ed25519 public key (no private half anywhere): fingerprints are then the same on both sides. */
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl parity';

/** The state of a server that can be compared: what Nova says it is doing. */
const state = (x: Json): Json => x.server && [x.server.status, x.server['OS-EXT-STS:task_state'], x.server['OS-EXT-STS:vm_state'], x.server['OS-EXT-STS:power_state']];

describe.runIf(realRequested())('simulator parity with real Nova + Glance (needs CLOUDNET_REAL=1 and PROFILE=full)', () => {
  let sim: OpenStackSim;
  let real: RealOpenStack;
  let targets: Target[] = [];
  let imageIds: Record<'sim' | 'real', string>;

  beforeAll(async () => {
    real = await startRealOpenStack();
    const realTarget = new Target('real', real.authUrl);
    await realTarget.init();
    if (!realTarget.computeUrl) return;
    // The simulator gets the real cloud's flavors: a cloud seeded by an older recipe (m1.small with disk 2)
    // would otherwise differ in data, not in behaviour.
    const flavors = (await realTarget.nova('admin', 'GET', '/flavors/detail')).body.flavors.map(
      (f: Json): SimFlavor => ({ id: f.id, name: f.name, ram: f.ram, vcpus: f.vcpus, disk: f.disk, extraSpecs: f.extra_specs ?? {} }),
    );
    // Build and task times of the order of the fake driver's, so that a second request lands in the task.
    sim = await startOpenStackSim({ compute: { flavors, buildMs: 800, taskMs: 400 } });
    const simTarget = new Target('sim', sim.authUrl);
    await simTarget.init();
    targets = [simTarget, realTarget];
    const image = async (t: Target): Promise<string> => (await t.glance('demo', '/v2/images?name=fake-image')).body.images[0].id;
    imageIds = { sim: await image(simTarget), real: await image(realTarget) };
  }, 120_000);

  afterAll(async () => {
    await sim?.close();
    await real?.close();
  }, 60_000);

  /** One case: `seq` runs against the simulator and against the real cloud; their transcripts must be equal. */
  const parity = (name: string, seq: (t: Target, image: string) => Promise<void>): void => {
    it(name, async (ctx) => {
      if (targets.length === 0) return ctx.skip(); // no Nova in the catalog: PROFILE=network
      const image = (t: Target) => {
        t.label(imageIds[t.kind], 'image');
        return imageIds[t.kind];
      };
      await expectSameTranscripts(targets, name, image, seq);
    }, 180_000);
  };

  /** Polls GET /servers/{id} until `done` holds (or the server is gone: 404). */
  const until = async (t: Target, id: string, done: (server: Json) => boolean): Promise<Reply> => {
    for (const deadline = Date.now() + 60_000; ; ) {
      const reply = await t.nova('demo', 'GET', `/servers/${id}`);
      if (reply.status === 404 || done(reply.body.server) || Date.now() > deadline) return reply;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const settled = (status: string) => (s: Json): boolean => s.status === status && s['OS-EXT-STS:task_state'] === null;

  /** Deletes a server and waits until it is gone (its ports with it, so its network can go next). */
  const remove = async (t: Target, id: string): Promise<Reply> => {
    const reply = await t.nova('admin', 'DELETE', `/servers/${id}`);
    await until(t, id, () => false);
    return reply;
  };

  /** POST /servers as demo; labels the server, schedules its deletion. */
  const boot = async (t: Target, label: string, server: Json, version?: string): Promise<{ reply: Reply; id: string }> => {
    const reply = await t.nova('demo', 'POST', '/servers', { server }, version ? { version } : {});
    const id = reply.body?.server?.id;
    if (id) {
      t.label(id, label);
      t.cleanup(() => remove(t, id));
    }
    return { reply, id };
  };

  /** Labels the addresses of a server's ports (Neutron draws them at random). */
  const labelPorts = async (t: Target, id: string, label: string): Promise<Json[]> => {
    const ports = (await t.neutron('admin', 'GET', `/ports?device_id=${id}`)).body.ports;
    ports.forEach((p: Json, i: number) => {
      t.label(p.id, `${label}-port${i}`);
      t.labelAddresses(p, `${label}-port${i}`);
    });
    return ports;
  };

  /** A network with one subnet, created as demo; deleted after the servers on it. */
  const network = async (t: Target, name: string, cidr: string): Promise<{ net: Json; sub: Json }> => {
    const net = await t.create(`network ${name}`, 'demo', '/networks', { network: { name: `${RUN}-${name}` } }, name);
    const sub = await t.create(`subnet ${name}`, 'demo', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr } }, `${name}-sub`);
    return { net, sub };
  };

  const headersOf = (reply: Reply): Json => ({ status: reply.status, standard: reply.headers.get('openstack-api-version'), legacy: reply.headers.get('x-openstack-nova-api-version') });

  parity('nova: version document, microversion headers, refused versions, no token', async (t) => {
    const doc = await t.raw('GET', `${t.computeUrl}/`);
    t.see('version document', doc);
    t.note('version document headers', headersOf(doc));
    const q = `/servers?name=^${RUN}-none$`;
    t.note('no header: 2.1', headersOf(await t.nova('demo', 'GET', q, undefined, { version: null })));
    t.note('compute latest', headersOf(await t.nova('demo', 'GET', q, undefined, { version: 'latest' })));
    t.note('compute 2.60', headersOf(await t.nova('demo', 'GET', q, undefined, { version: '2.60' })));
    t.note('legacy header only', headersOf(await t.nova('demo', 'GET', q, undefined, { version: null, headers: { 'X-OpenStack-Nova-API-Version': '2.47' } })));
    t.see('compute 2.latest', await t.nova('demo', 'GET', q, undefined, { version: '2.latest' }));
    const tooNew = t.see('compute 2.94', await t.nova('demo', 'GET', q, undefined, { version: '2.94' }));
    t.note('compute 2.94 headers', headersOf(tooNew));
    t.see('compute 2.0', await t.nova('demo', 'GET', q, undefined, { version: '2.0' }));
    t.see('no token', await t.nova(null, 'GET', q));
    t.see('unknown server', await t.nova('demo', 'GET', `/servers/${ZERO}`));
    t.see('list, nothing matches', await t.nova('demo', 'GET', `/servers/detail${q.slice('/servers'.length)}`));
  });

  parity('nova: create errors', async (t, image) => {
    const { net } = await network(t, 'ce', '10.81.0.0/24');
    const base = { name: `${RUN}-x`, imageRef: image, flavorRef: '1' };
    const create = (step: string, server: Json, version?: string): Promise<Reply> => t.nova('demo', 'POST', '/servers', { server }, version ? { version } : {}).then((r) => t.see(step, r));
    await create('no networks at 2.93', base);
    await create('tags at 2.51', { ...base, networks: 'none', tags: ['a'] }, '2.51');
    await create('networks "bogus"', { ...base, networks: 'bogus' });
    await create('networks "none" at 2.36', { ...base, networks: 'none' }, '2.36');
    await create('no name', { imageRef: image, flavorRef: '1', networks: 'none' });
    await create('empty name', { ...base, name: '', networks: 'none' });
    await create('no flavorRef', { name: base.name, imageRef: image, networks: 'none' });
    await create('no imageRef', { name: base.name, flavorRef: '1', networks: 'none' });
    await create('unknown property', { ...base, networks: 'none', bogus: 1 });
    await create('unknown flavor', { ...base, flavorRef: '999', networks: 'none' });
    await create('unknown image', { ...base, imageRef: ZERO, networks: 'none' });
    await create('unknown flavor and image', { ...base, imageRef: ZERO, flavorRef: '999', networks: 'none' });
    await create('unknown network', { ...base, networks: [{ uuid: ZERO }] });
    await create('unknown image and network', { ...base, imageRef: ZERO, networks: [{ uuid: ZERO }] });
    await create('unknown port', { ...base, networks: [{ port: ZERO }] });
    await create('bad uuid', { ...base, networks: [{ uuid: 'not-a-uuid' }] });
    await create('bad fixed_ip', { ...base, networks: [{ uuid: net.id, fixed_ip: 'bad' }] });
    await create('network without subnet', { ...base, networks: [{ uuid: (await t.create('bare network', 'demo', '/networks', { network: { name: `${RUN}-bare` } }, 'bare')).id }] });
    await create('unknown security group', { ...base, networks: [{ uuid: net.id }], security_groups: [{ name: `${RUN}-nope` }] });
    await create('unknown key pair', { ...base, networks: 'none', key_name: `${RUN}-nope` });
    await create('metadata value not a string', { ...base, networks: 'none', metadata: { a: 1 } });
    await create('tag with a comma', { ...base, networks: 'none', tags: ['a,b'] });
    // Both echo the user data in the message: the operator must redact it.
    await create('user_data not base64', { ...base, networks: 'none', user_data: 'not base64!' });
    await create('user_data too long', { ...base, networks: 'none', user_data: 'A'.repeat(65536) });
    t.see('no server in the body', await t.nova('demo', 'POST', '/servers', { bogus: {} }));
    t.see('not JSON', await t.raw('POST', `${t.computeUrl}/servers`, { raw: '{"server":', headers: { 'X-Auth-Token': t.token('demo'), 'OpenStack-API-Version': 'compute 2.93' } }));
  });

  // What the bad-input corpus (test/corpus/server) sends Nova that the cases above do not.
  parity('nova: bad input of the corpus', async (t, image) => {
    const { net, sub } = await network(t, 'bi', '10.82.0.0/24');
    const base = { name: `${RUN}-bi`, imageRef: image, flavorRef: '1', networks: 'none' };
    const create = (step: string, server: Json): Promise<Reply> => t.nova('demo', 'POST', '/servers', { server }).then((r) => t.see(step, r));
    await create('tag with a slash', { ...base, tags: ['a/b'] });
    await create('metadata key with a slash', { ...base, metadata: { 'team/role': 'web' } });
    await create('unknown availability zone', { ...base, availability_zone: 'nowhere' });
    await create('imageRef that is no UUID', { ...base, imageRef: 'fake-image' });
    await t.create('port holding an address', 'demo', '/ports', { port: { name: `${RUN}-bi-port`, network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: '10.82.0.20' }] } }, 'held');
    await create('fixed_ip a port of no server holds', { ...base, networks: [{ uuid: net.id, fixed_ip: '10.82.0.20' }] });
    const { reply, id } = await boot(t, 'outside', { ...base, networks: [{ uuid: net.id, fixed_ip: '10.99.0.5' }] });
    t.see('fixed_ip on none of the subnets: accepted', reply, { pick: (x) => Object.keys(x.server).sort() });
    if (id) t.see('then ERROR, with the fault', await until(t, id, (x) => x.status === 'ERROR'), { pick: (x) => [x.server.status, x.server.fault?.code, x.server.fault?.message] });
  });

  parity('nova: quota exceeded (admin project, instances 0)', async (t, image) => {
    const admin = t.projects.admin;
    t.cleanup(() => t.nova('admin', 'DELETE', `/os-quota-sets/${admin}`));
    t.see('member sets a quota', await t.nova('demo', 'PUT', `/os-quota-sets/${admin}`, { quota_set: { instances: 0 } }));
    t.see('member reads another project', await t.nova('demo', 'GET', `/os-quota-sets/${admin}`));
    t.see('admin sets instances 0', await t.nova('admin', 'PUT', `/os-quota-sets/${admin}`, { quota_set: { instances: 0 } }));
    t.see('over quota', await t.nova('admin', 'POST', '/servers', { server: { name: `${RUN}-q`, imageRef: image, flavorRef: '1', networks: 'none' } }));
    t.see('admin sets instances, cores and ram 0', await t.nova('admin', 'PUT', `/os-quota-sets/${admin}`, { quota_set: { cores: 0, ram: 0 } }));
    t.see('over three quotas', await t.nova('admin', 'POST', '/servers', { server: { name: `${RUN}-q`, imageRef: image, flavorRef: '1', networks: 'none' } }));
    t.see('reset', await t.nova('admin', 'DELETE', `/os-quota-sets/${admin}`));
    t.see('own quota', await t.nova('demo', 'GET', `/os-quota-sets/${t.projects.demo}`), { pick: (x) => Object.keys(x.quota_set).sort() });
  });

  parity('nova: create -> ACTIVE -> show, the port in Neutron, lists, delete -> 404', async (t, image) => {
    const { net } = await network(t, 'life', '10.82.0.0/24');
    const { reply, id } = await boot(t, 'web', { name: `${RUN}-web`, imageRef: image, flavorRef: '1', networks: [{ uuid: net.id }], metadata: { role: 'web' }, tags: ['b', 'a', 'b'], user_data: 'I2Nsb3VkLWNvbmZpZwo=' });
    t.see('create', reply, { pick: (x) => ({ ...x, server: { ...x.server, adminPass: typeof x.server.adminPass } }) });
    t.see('action while scheduling', await t.nova('demo', 'POST', `/servers/${id}/action`, { 'os-stop': null }));
    t.see('building', await t.nova('demo', 'GET', `/servers/${id}`), { pick: (x) => [x.server.status, x.server['OS-EXT-STS:vm_state'], x.server.tags, x.server.metadata] });
    t.see('metadata while building', await t.nova('demo', 'PUT', `/servers/${id}/metadata`, { metadata: { a: 'b' } }));
    t.see('tags while building', await t.nova('demo', 'PUT', `/servers/${id}/tags`, { tags: ['c'] }));
    await until(t, id, settled('ACTIVE'));
    await labelPorts(t, id, 'web');
    t.see('show ACTIVE', await t.nova('demo', 'GET', `/servers/${id}`));
    t.see('show at 2.1', await t.nova('demo', 'GET', `/servers/${id}`, undefined, { version: null }));
    t.see('user data: admins only', await t.nova('admin', 'GET', `/servers/${id}`), { pick: (x) => [x.server['OS-EXT-SRV-ATTR:user_data'], 'OS-EXT-SRV-ATTR:user_data' in (x.server ?? {})] });
    t.see('show at 2.46 (flavor link)', await t.nova('demo', 'GET', `/servers/${id}`, undefined, { version: '2.46' }), { pick: (x) => x.server.flavor });
    t.see('port of the server', await t.neutron('demo', 'GET', `/ports?device_id=${id}`), { pick: (x) => x.ports.map((p: Json) => [p.device_owner, p.status, p.revision_number, p.name, p.security_groups.length]) });
    t.see('port as admin (binding)', await t.neutron('admin', 'GET', `/ports?device_id=${id}`), { pick: (x) => x.ports.map((p: Json) => [p['binding:host_id'] !== '', p['binding:vif_type'], p['binding:vif_details']]) });

    const second = await boot(t, 'db', { name: `${RUN}-db`, imageRef: image, flavorRef: '1', networks: 'none', tags: ['a'] });
    await until(t, second.id, settled('ACTIVE'));
    const names = (x: Json): Json => ({ names: x.servers.map((s: Json) => s.name), links: x.servers_links });
    t.see('list by exact name', await t.nova('demo', 'GET', `/servers/detail?name=^${RUN}-web$`), { pick: names });
    t.see('name is a case-insensitive regular expression', await t.nova('demo', 'GET', `/servers?name=${RUN.toUpperCase()}-(WEB|DB)`), { pick: names });
    t.see('list by tag', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&tags=a,b`), { pick: names });
    t.see('list by tags-any', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&tags-any=b,z`), { pick: names });
    t.see('list by not-tags', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&not-tags=b`), { pick: names });
    t.see('repeated tags: the last counts', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&tags=b&tags=a`), { pick: names });
    t.see('tags ignored before 2.26', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&tags=b`, undefined, { version: '2.25' }), { pick: names });
    const page = t.see('first page', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&limit=1`));
    const marker = new URL(page.body.servers_links?.[0]?.href ?? 'http://x/').searchParams.get('marker');
    t.see('next page', await t.nova('demo', 'GET', `/servers/detail?name=^${RUN}-&limit=1&marker=${marker}`), { pick: names });
    t.see('limit 0', await t.nova('demo', 'GET', `/servers?name=^${RUN}-&limit=0`));
    t.see('unknown marker', await t.nova('demo', 'GET', `/servers?limit=1&marker=${ZERO}`));
    t.see('bad limit', await t.nova('demo', 'GET', '/servers?limit=x'));
    t.see('bad name', await t.nova('demo', 'GET', '/servers?name=('));
    t.see('unknown filter', await t.nova('demo', 'GET', '/servers?bogus=1'));
    t.see('all_tenants as a member', await t.nova('demo', 'GET', '/servers/detail?all_tenants=1'));
    t.see('rename', await t.nova('demo', 'PUT', `/servers/${second.id}`, { server: { name: `${RUN}-db2` } }), { pick: (x) => x.server.name });

    t.see('delete', await t.nova('demo', 'DELETE', `/servers/${id}`));
    t.see('gone', await until(t, id, () => false));
    t.see('delete again', await t.nova('demo', 'DELETE', `/servers/${id}`));
    t.see('its port went with it', await t.neutron('demo', 'GET', `/ports?device_id=${id}`));
  });

  parity('nova: stop, start, reboot and their conflicts', async (t, image) => {
    const { id } = await boot(t, 'srv', { name: `${RUN}-power`, imageRef: image, flavorRef: '1', networks: 'none' });
    await until(t, id, settled('ACTIVE'));
    const act = (step: string, action: Json): Promise<Reply> => t.nova('demo', 'POST', `/servers/${id}/action`, action).then((r) => t.see(step, r));
    await act('start while active', { 'os-start': null });
    await act('stop', { 'os-stop': null });
    // Sent at once after the stop's answer: real Nova's fake driver powers off within a few hundred
    // ms, so only one request can reliably land while it is stopping (a second one raced it in CI).
    await act('stop while stopping', { 'os-stop': null });
    t.see('stopped', await until(t, id, settled('SHUTOFF')), { pick: state });
    await act('stop while stopped', { 'os-stop': null });
    await act('soft reboot while stopped', { reboot: { type: 'SOFT' } });
    await act('start', { 'os-start': null });
    t.see('started', await until(t, id, settled('ACTIVE')), { pick: state });
    await act('soft reboot', { reboot: { type: 'SOFT' } });
    await act('soft reboot while rebooting', { reboot: { type: 'SOFT' } });
    t.see('rebooted', await until(t, id, settled('ACTIVE')), { pick: state });
    await act('hard reboot', { reboot: { type: 'HARD' } });
    await act('soft reboot while rebooting hard', { reboot: { type: 'SOFT' } });
    t.see('rebooted hard', await until(t, id, settled('ACTIVE')), { pick: state });
    await act('reboot without type', { reboot: {} });
    await act('reboot of a bad type', { reboot: { type: 'x' } });
    await act('unknown action', { bogus: null });
    t.see('action on an unknown server', await t.nova('demo', 'POST', `/servers/${ZERO}/action`, { 'os-stop': null }));
  });

  parity('nova: resize -> VERIFY_RESIZE -> confirm; revert', async (t, image) => {
    const { id } = await boot(t, 'srv', { name: `${RUN}-resize`, imageRef: image, flavorRef: '1', networks: 'none' });
    await until(t, id, settled('ACTIVE'));
    const act = (step: string, action: Json): Promise<Reply> => t.nova('demo', 'POST', `/servers/${id}/action`, action).then((r) => t.see(step, r));
    const flavorState = (x: Json): Json => [...state(x), x.server.flavor.original_name];
    await act('to the same flavor', { resize: { flavorRef: '1' } });
    await act('to an unknown flavor', { resize: { flavorRef: '999' } });
    await act('without flavorRef', { resize: {} });
    await act('confirm while active', { confirmResize: null });
    await act('revert while active', { revertResize: null });
    await act('resize', { resize: { flavorRef: '2' } });
    await act('resize while resizing', { resize: { flavorRef: '2' } });
    await act('stop while resizing', { 'os-stop': null });
    t.see('verify', await until(t, id, settled('VERIFY_RESIZE')), { pick: flavorState });
    await act('stop while resized', { 'os-stop': null });
    await act('resize while resized', { resize: { flavorRef: '1' } });
    await act('confirm', { confirmResize: null });
    await act('confirm again', { confirmResize: null });
    t.see('confirmed', await until(t, id, settled('ACTIVE')), { pick: flavorState });
    await act('resize back', { resize: { flavorRef: '1' } });
    t.see('verify again', await until(t, id, settled('VERIFY_RESIZE')), { pick: flavorState });
    await act('revert', { revertResize: null });
    t.see('reverting', await t.nova('demo', 'GET', `/servers/${id}`), { pick: (x) => x.server.status });
    t.see('reverted', await until(t, id, settled('ACTIVE')), { pick: flavorState });
  });

  parity('nova: metadata and tags, replace and item by item', async (t, image) => {
    const { id } = await boot(t, 'srv', { name: `${RUN}-meta`, imageRef: image, flavorRef: '1', networks: 'none', metadata: { keep: 'no' } });
    await until(t, id, settled('ACTIVE'));
    const m = (step: string, method: string, path: string, body?: Json, version?: string): Promise<Reply> =>
      t.nova('demo', method, `/servers/${id}${path}`, body, version ? { version } : {}).then((r) => t.see(step, r));
    await m('replace metadata', 'PUT', '/metadata', { metadata: { a: '1', b: '2' } });
    await m('merge metadata', 'POST', '/metadata', { metadata: { c: '3' } });
    await m('read metadata', 'GET', '/metadata');
    await m('set one', 'PUT', '/metadata/d', { meta: { d: '4' } });
    await m('set one, URI mismatch', 'PUT', '/metadata/e', { meta: { d: '4' } });
    await m('set one, two items', 'PUT', '/metadata/d', { meta: { d: '4', e: '5' } });
    await m('read one', 'GET', '/metadata/d');
    await m('delete one', 'DELETE', '/metadata/d');
    await m('read a missing one', 'GET', '/metadata/d');
    await m('delete a missing one', 'DELETE', '/metadata/d');
    await m('value not a string', 'PUT', '/metadata', { metadata: { a: 1 } });
    await m('no metadata key', 'PUT', '/metadata', { meta: {} });
    await m('bad key', 'PUT', '/metadata', { metadata: { 'a/b': '1' } });
    await m('replace tags (unsorted, twice)', 'PUT', '/tags', { tags: ['b', 'a', 'b'] });
    await m('add a tag', 'PUT', '/tags/c');
    await m('add it again', 'PUT', '/tags/c');
    await m('check a tag', 'GET', '/tags/c');
    await m('check a missing tag', 'GET', '/tags/z');
    await m('delete a missing tag', 'DELETE', '/tags/z');
    await m('delete a tag', 'DELETE', '/tags/c');
    await m('list tags', 'GET', '/tags');
    await m('tag with a comma', 'PUT', '/tags', { tags: ['a,b'] });
    await m('tag too long', 'PUT', '/tags', { tags: ['x'.repeat(61)] });
    await m('no tags key', 'PUT', '/tags', { tag: [] });
    await m('tags before 2.26', 'GET', '/tags', undefined, '2.25');
    await m('clear tags', 'DELETE', '/tags');
    t.see('server after', await t.nova('demo', 'GET', `/servers/${id}`), { pick: (x) => [x.server.metadata, x.server.tags] });
  });

  parity('nova: interfaces attached and detached, a port of the user, floating IPs in addresses', async (t, image) => {
    const { net, sub } = await network(t, 'if', '10.83.0.0/24');
    const { net: net2 } = await network(t, 'if2', '10.84.0.0/24');
    const router = await t.create('router', 'demo', '/routers', { router: { name: `${RUN}-ifr`, external_gateway_info: { network_id: t.kind === 'sim' ? (sim.publicNetworkId ?? '') : real.publicNetworkId } } }, 'router');
    await t.neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    t.cleanup(() => t.neutron('admin', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }));
    const port = await t.create('port of the user', 'demo', '/ports', { port: { name: `${RUN}-own`, network_id: net.id } }, 'own');
    const fip = await t.create('floating IP on it', 'demo', '/floatingips', { floatingip: { floating_network_id: t.kind === 'sim' ? (sim.publicNetworkId ?? '') : real.publicNetworkId, port_id: port.id } }, 'fip');
    const revision = async (): Promise<number> => (await t.neutron('demo', 'GET', `/ports/${port.id}`)).body.port.revision_number;
    const before = await revision();

    const { id } = await boot(t, 'srv', { name: `${RUN}-if`, imageRef: image, flavorRef: '1', networks: [{ port: port.id }] });
    await until(t, id, settled('ACTIVE'));
    t.see('addresses: fixed and floating', await t.nova('demo', 'GET', `/servers/${id}`), { pick: (x) => [x.server.addresses, x.server.security_groups] });
    t.note('port revision after binding', (await revision()) - before);
    t.see('the port bound', await t.neutron('demo', 'GET', `/ports/${port.id}`), { pick: (x) => [x.port.device_id, x.port.device_owner, x.port.status] });
    t.see('second server on the port', await t.nova('demo', 'POST', '/servers', { server: { name: `${RUN}-if2`, imageRef: image, flavorRef: '1', networks: [{ port: port.id }] } }));
    t.see('fixed IP in use', await t.nova('demo', 'POST', '/servers', { server: { name: `${RUN}-if2`, imageRef: image, flavorRef: '1', networks: [{ uuid: net.id, fixed_ip: port.fixed_ips[0].ip_address }] } }));

    const attach = (step: string, body: Json): Promise<Reply> => t.nova('demo', 'POST', `/servers/${id}/os-interface`, body).then((r) => t.see(step, r));
    const added = await t.nova('demo', 'POST', `/servers/${id}/os-interface`, { interfaceAttachment: { net_id: net2.id, fixed_ips: [{ ip_address: '10.84.0.50' }] } });
    const addedPort = added.body.interfaceAttachment?.port_id;
    if (addedPort) t.label(addedPort, 'added');
    t.see('attach a network with an address', added);
    // Ordered by port id, which is random: compared as a set.
    t.see('interfaces', await t.nova('demo', 'GET', `/servers/${id}/os-interface`), { pick: (x) => unordered(t.norm(x.interfaceAttachments)) });
    t.see('one interface', await t.nova('demo', 'GET', `/servers/${id}/os-interface/${addedPort}`));
    t.see('addresses after attach', await t.nova('demo', 'GET', `/servers/${id}`), { pick: (x) => x.server.addresses });
    await attach('that address again', { interfaceAttachment: { net_id: net2.id, fixed_ips: [{ ip_address: '10.84.0.50' }] } });
    await attach('a port in use', { interfaceAttachment: { port_id: port.id } });
    await attach('an unknown port', { interfaceAttachment: { port_id: ZERO } });
    await attach('an unknown network', { interfaceAttachment: { net_id: ZERO } });
    await attach('network and port', { interfaceAttachment: { net_id: net2.id, port_id: port.id } });
    await attach('address without network', { interfaceAttachment: { fixed_ips: [{ ip_address: '10.84.0.51' }] } });
    t.see('detach', await t.nova('demo', 'DELETE', `/servers/${id}/os-interface/${addedPort}`));
    t.see('detach an unknown port', await t.nova('demo', 'DELETE', `/servers/${id}/os-interface/${ZERO}`));
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      if ((await t.neutron('demo', 'GET', `/ports/${addedPort}`)).status === 404) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.see('the attached port is deleted', await t.neutron('demo', 'GET', `/ports/${addedPort}`));
    t.see('interfaces after detach', await t.nova('demo', 'GET', `/servers/${id}/os-interface`), { pick: (x) => x.interfaceAttachments.map((i: Json) => i.port_id) });

    const bound = await revision();
    t.see('delete the server', await remove(t, id));
    t.note('port revision after unbinding', (await revision()) - bound);
    t.see('the port is kept, unbound', await t.neutron('demo', 'GET', `/ports/${port.id}`), { pick: (x) => [x.port.device_id, x.port.device_owner, x.port.status] });
    t.see('its floating IP too', await t.neutron('demo', 'GET', `/floatingips/${fip.id}`), { pick: (x) => [x.floatingip.port_id, x.floatingip.fixed_ip_address !== null] });
  });

  parity('nova: flavors and key pairs', async (t) => {
    t.see('flavors', await t.nova('demo', 'GET', '/flavors'));
    t.see('flavors in detail', await t.nova('demo', 'GET', '/flavors/detail'));
    t.see('one page of flavors', await t.nova('demo', 'GET', '/flavors/detail?limit=1'), { pick: (x) => [x.flavors.map((f: Json) => f.id), x.flavors_links] });
    t.see('flavor at 2.1', await t.nova('demo', 'GET', '/flavors/1', undefined, { version: null }));
    t.see('unknown flavor', await t.nova('demo', 'GET', '/flavors/999'));
    t.see('unknown marker', await t.nova('demo', 'GET', '/flavors?marker=999'));
    t.see('extra specs', await t.nova('demo', 'GET', '/flavors/1/os-extra_specs'));

    const name = `${RUN}-key`;
    t.cleanup(() => t.nova('demo', 'DELETE', `/os-keypairs/${name}`));
    t.see('import a key', await t.nova('demo', 'POST', '/os-keypairs', { keypair: { name, public_key: PUBLIC_KEY } }));
    t.see('import it again', await t.nova('demo', 'POST', '/os-keypairs', { keypair: { name, public_key: PUBLIC_KEY } }));
    t.see('no public key at 2.93', await t.nova('demo', 'POST', '/os-keypairs', { keypair: { name: `${RUN}-k2` } }));
    t.see('a bad public key', await t.nova('demo', 'POST', '/os-keypairs', { keypair: { name: `${RUN}-k2`, public_key: 'bad' } }));
    t.see('a bad name', await t.nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'bad name!', public_key: PUBLIC_KEY } }));
    t.see('show', await t.nova('demo', 'GET', `/os-keypairs/${name}`), { pick: (x) => ({ ...x.keypair, id: typeof x.keypair.id }) });
    t.see('list', await t.nova('demo', 'GET', '/os-keypairs'), { pick: (x) => x.keypairs.filter((k: Json) => k.keypair.name.startsWith(RUN)) });
    t.see('delete', await t.nova('demo', 'DELETE', `/os-keypairs/${name}`));
    t.see('delete again', await t.nova('demo', 'DELETE', `/os-keypairs/${name}`));
    t.see('generated before 2.92', await t.nova('demo', 'POST', '/os-keypairs', { keypair: { name: `${RUN}-gen` } }, { version: '2.91' }), {
      pick: (x) => ({ keys: Object.keys(x.keypair).sort(), rsa: x.keypair.public_key.startsWith('ssh-rsa '), pem: x.keypair.private_key.startsWith('-----BEGIN RSA PRIVATE KEY-----') }),
    });
    t.see('delete the generated one', await t.nova('demo', 'DELETE', `/os-keypairs/${RUN}-gen`));
  });

  parity('glance: images list, show, pagination and errors', async (t, image) => {
    t.see('versions', await t.raw('GET', t.imageUrl), { pick: (x) => x.versions.map((v: Json) => [v.id, v.status]) });
    t.see('list by name', await t.glance('demo', '/v2/images?name=fake-image'));
    t.see('one page', await t.glance('demo', '/v2/images?name=fake-image&limit=1'));
    t.see('after the last', await t.glance('demo', `/v2/images?limit=1&marker=${image}&name=fake-image`));
    t.see('show', await t.glance('demo', `/v2/images/${image}`));
    t.see('unknown image', await t.glance('demo', `/v2/images/${ZERO}`));
    t.see('bad limit', await t.glance('demo', '/v2/images?limit=x'));
    t.see('unknown marker', await t.glance('demo', `/v2/images?marker=${ZERO}`));
    t.see('unknown attribute as a filter', await t.glance('demo', '/v2/images?bogus=1'));
    t.see('no token', await t.glance(null, '/v2/images'));
  });
});
