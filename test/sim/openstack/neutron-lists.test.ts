import { afterEach, describe, expect, it } from 'vitest';
import { call, neutron } from './client.ts';
import { startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';

const err = (type: string, message: string): object => ({ NeutronError: { type, message, detail: '' } });

describe('Neutron tags, lists, revisions and quotas', () => {
  let sim: OpenStackSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  const start = async (opts: Parameters<typeof startOpenStackSim>[0] = {}) => {
    sim = await startOpenStackSim({ publicNetwork: false, ...opts });
    return { sim, demo: neutron(sim, 'demo'), admin: neutron(sim, 'admin') };
  };

  it('manages tags through /tags and bumps the revision on each change', async () => {
    const { demo } = await start();
    const id = (await demo.post('/networks', { network: { name: 'n' } })).body.network.id;
    expect((await demo.put(`/networks/${id}/tags/cloudnet-managed`)).status).toBe(201);
    expect((await demo.put(`/networks/${id}/tags/cloudnet-managed`)).status).toBe(201);
    expect((await demo.get(`/networks/${id}/tags`)).body).toEqual({ tags: ['cloudnet-managed'] });
    expect((await demo.get(`/networks/${id}/tags/cloudnet-managed`)).status).toBe(204);
    const missing = await demo.get(`/networks/${id}/tags/other`);
    expect(missing).toMatchObject({ status: 404, body: err('TagNotFound', 'Tag other could not be found.') });
    const replaced = await demo.put(`/networks/${id}/tags`, { tags: ['a', 'cloudnet-uid:123'] });
    expect(replaced).toMatchObject({ status: 200, body: { tags: ['a', 'cloudnet-uid:123'] } });
    expect((await demo.get(`/networks/${id}`)).body.network).toMatchObject({ tags: ['a', 'cloudnet-uid:123'], revision_number: 3 });
    expect((await demo.del(`/networks/${id}/tags/a`)).status).toBe(204);
    expect((await demo.del(`/networks/${id}/tags/a`)).status).toBe(404);
    expect((await demo.del(`/networks/${id}/tags`)).status).toBe(204);
    expect((await demo.get(`/networks/${id}`)).body.network).toMatchObject({ tags: [], revision_number: 5 });
    expect((await demo.put(`/networks/${id}/tags/${'x'.repeat(256)}`)).status).toBe(400);
    expect((await demo.put(`/security-group-rules/x/tags/a`)).status).toBe(404);
  });

  it('filters on tags, tags-any, not-tags and not-tags-any', async () => {
    const { demo } = await start();
    const mk = async (name: string, tags: string[]) => {
      const id = (await demo.post('/networks', { network: { name } })).body.network.id;
      await demo.put(`/networks/${id}/tags`, { tags });
    };
    await mk('ab', ['a', 'b']);
    await mk('a', ['a']);
    await mk('c', ['c']);
    const names = async (query: string): Promise<string[]> => (await demo.get(`/networks?${query}`)).body.networks.map((n: { name: string }) => n.name).sort();
    expect(await names('tags=a,b')).toEqual(['ab']);
    expect(await names('tags=a&tags=b')).toEqual(['ab']);
    expect(await names('tags-any=b,c')).toEqual(['ab', 'c']);
    expect(await names('not-tags=a,b')).toEqual(['a', 'c']);
    expect(await names('not-tags-any=a')).toEqual(['c']);
    expect(await names('tags=a&not-tags=b')).toEqual(['a']);
  });

  it('filters on any attribute (repeated = OR) and returns only the requested fields', async () => {
    const { demo } = await start();
    for (const [name, up] of [['x', true], ['y', false], ['z', true]] as const) {
      await demo.post('/networks', { network: { name, admin_state_up: up } });
    }
    const names = async (query: string): Promise<string[]> => (await demo.get(`/networks?${query}`)).body.networks.map((n: { name: string }) => n.name).sort();
    expect(await names('name=x&name=y')).toEqual(['x', 'y']);
    expect(await names('admin_state_up=False')).toEqual(['y']);
    expect(await names('admin_state_up=true&name=z')).toEqual(['z']);
    const fields = await demo.get('/networks?fields=id&fields=name&name=x');
    expect(Object.keys(fields.body.networks[0]).sort()).toEqual(['id', 'name']);
    const one = await demo.get(`/networks/${fields.body.networks[0].id}?fields=status`);
    expect(one.body).toEqual({ network: { status: 'ACTIVE' } });
  });

  it('paginates with limit, marker, page_reverse and *_links like Neutron', async () => {
    const { sim, demo } = await start();
    for (let i = 0; i < 5; i++) await demo.post('/networks', { network: { name: `n${i}` } });
    const all = (await demo.get('/networks')).body.networks.map((n: { id: string }) => n.id);
    expect(all).toEqual([...all].sort());
    expect((await demo.get('/networks')).body).not.toHaveProperty('networks_links');

    const page1 = await demo.get('/networks?limit=2');
    expect(page1.body.networks.map((n: { id: string }) => n.id)).toEqual(all.slice(0, 2));
    const next = page1.body.networks_links.find((l: { rel: string }) => l.rel === 'next');
    expect(next.href).toBe(`${sim.networkUrl}/v2.0/networks?limit=2&marker=${all[1]}`);
    const page2 = await demo.get(`/networks?limit=2&marker=${all[1]}`);
    expect(page2.body.networks.map((n: { id: string }) => n.id)).toEqual(all.slice(2, 4));
    const prev = page2.body.networks_links.find((l: { rel: string }) => l.rel === 'previous');
    expect(prev.href).toBe(`${sim.networkUrl}/v2.0/networks?limit=2&marker=${all[2]}&page_reverse=True`);
    const back = await demo.get(`/networks?limit=2&marker=${all[2]}&page_reverse=True`);
    expect(back.body.networks.map((n: { id: string }) => n.id)).toEqual(all.slice(0, 2));
    const last = await demo.get(`/networks?limit=2&marker=${all[3]}`);
    expect(last.body.networks.map((n: { id: string }) => n.id)).toEqual([all[4]]);
    expect(last.body.networks_links.map((l: { rel: string }) => l.rel)).toEqual(['previous']);

    // Following "next" links until they stop visits every network exactly once.
    const seen: string[] = [];
    let url: string | undefined = `${sim.networkUrl}/v2.0/networks?limit=2`;
    while (url) {
      type Page = { networks: { id: string }[]; networks_links?: { rel: string; href: string }[] };
      const page: Page = (await call(url, 'GET', { token: demo.token })).body;
      seen.push(...page.networks.map((n) => n.id));
      url = page.networks.length ? page.networks_links?.find((l) => l.rel === 'next')?.href : undefined;
    }
    expect(seen).toEqual(all);
    expect((await demo.get('/networks?limit=x')).body).toEqual(err('BadRequest', "Bad limit request: Limit must be an integer 0 or greater and not 'x'."));
    expect((await demo.get('/networks?sort_key=name')).body).toEqual(err('HTTPBadRequest', 'The number of sort_keys and sort_dirs must be same'));
    expect((await demo.get('/networks?sort_key=name&sort_dir=desc')).body.networks.map((n: { name: string }) => n.name)).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
  });

  it('enforces If-Match: revision_number=N with 412', async () => {
    const { demo } = await start();
    const id = (await demo.post('/networks', { network: { name: 'n' } })).body.network.id;
    const stale = await demo.put(`/networks/${id}`, { network: { name: 'm' } }, { 'If-Match': 'revision_number=999' });
    expect(stale).toMatchObject({ status: 412, body: err('RevisionNumberConstraintFailed', 'Constrained to 999, but current revision is 1') });
    const ok = await demo.put(`/networks/${id}`, { network: { name: 'm' } }, { 'If-Match': 'revision_number=1' });
    expect(ok.body.network).toMatchObject({ name: 'm', revision_number: 2 });
    expect((await demo.del(`/networks/${id}`, { 'If-Match': 'revision_number=1' })).status).toBe(412);
    const malformed = await demo.put(`/networks/${id}`, { network: { name: 'k' } }, { 'If-Match': 'revision_number=x' });
    expect(malformed.body).toEqual(err('BadRequest', 'Bad if-match request: Revision number etag must be in the format of revision_number=<int>.'));
    expect((await demo.del(`/networks/${id}`, { 'If-Match': 'revision_number=2' })).status).toBe(204);
  });

  it('answers OverQuota with the real body and exposes quotas', async () => {
    const { sim, demo, admin } = await start({ quotas: { router: 1 } });
    expect((await demo.post('/routers', { router: { name: 'r1' } })).status).toBe(201);
    const over = await demo.post('/routers', { router: { name: 'r2' } });
    expect(over).toMatchObject({ status: 409, body: err('OverQuota', "Quota exceeded for resources: ['router'].") });
    const project = sim.keystone.projectByName('demo')?.id ?? '';
    expect((await demo.get(`/quotas/${project}`)).body.quota).toMatchObject({ router: 1, network: 100, port: 500 });
    expect((await demo.put(`/quotas/${project}`, { quota: { router: 5 } })).status).toBe(403);
    expect((await admin.put(`/quotas/${project}`, { quota: { router: 2 } })).body.quota.router).toBe(2);
    expect((await demo.post('/routers', { router: { name: 'r2' } })).status).toBe(201);
    expect((await demo.get(`/quotas/${project}/details`)).body.quota.router).toEqual({ limit: 2, used: 2, reserved: 0 });
    sim.neutron.quotas.set(project, { network: 0 });
    expect((await demo.post('/networks', { network: {} })).body).toEqual(err('OverQuota', "Quota exceeded for resources: ['network']."));
  });

  it('Zed behaviour: tags in POST are refused, and no tag-creation extension is advertised', async () => {
    const { demo } = await start();
    const res = await demo.post('/networks', { network: { name: 'n', tags: ['cloudnet-managed'] } });
    expect(res).toMatchObject({ status: 400, body: err('HTTPBadRequest', "Attribute 'tags' not allowed in POST") });
    expect(res.body.NeutronError.message).toBe("Attribute 'tags' not allowed in POST");
    const aliases = (await demo.get('/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    expect(aliases).toContain('standard-attr-tag');
    expect(aliases).toContain('revision-if-match');
    expect(aliases).not.toContain('tag-creation');
    expect((await demo.get('/extensions/standard-attr-tag')).body.extension.alias).toBe('standard-attr-tag');
  });

  it('newer behaviour: tags in POST are applied and tag-creation is advertised', async () => {
    const { demo } = await start({ tagsOnCreate: true });
    const res = await demo.post('/networks', { network: { name: 'n', tags: ['cloudnet-managed', 'cloudnet-uid:1'] } });
    expect(res.status).toBe(201);
    expect(res.body.network).toMatchObject({ tags: ['cloudnet-managed', 'cloudnet-uid:1'], revision_number: 1 });
    expect((await demo.get('/networks?tags=cloudnet-uid:1')).body.networks).toHaveLength(1);
    const aliases = (await demo.get('/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    expect(aliases).toContain('tag-creation');
    // Rules carry no tags at all: the attribute is unknown to them.
    const sg = (await demo.post('/security-groups', { security_group: { name: 'g' } })).body.security_group.id;
    const rule = await demo.post('/security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', tags: ['x'] } });
    expect(rule.body).toEqual(err('HTTPBadRequest', "Unrecognized attribute(s) 'tags'"));
  });

  it('lets tests change state out of band, bumping the revision', async () => {
    const { sim, demo } = await start();
    const id = (await demo.post('/networks', { network: { name: 'n' } })).body.network.id;
    const rec = sim.neutron.networks.get(id);
    if (!rec) throw new Error('network missing from state');
    sim.neutron.mutate(rec, { name: 'drifted' });
    expect((await demo.get(`/networks/${id}`)).body.network).toMatchObject({ name: 'drifted', revision_number: 2 });
    const subnet = (await demo.post('/subnets', { subnet: { network_id: id, ip_version: 4, cidr: '10.1.0.0/24' } })).body.subnet.id;
    const port = (await demo.post('/ports', { port: { network_id: id } })).body.port.id;
    expect(() => sim.deleteResource('networks', id)).toThrow(/ports still in use/);
    sim.deleteResource('ports', port);
    sim.deleteResource('networks', id);
    expect((await demo.get(`/networks/${id}`)).status).toBe(404);
    expect(sim.neutron.subnets.has(subnet)).toBe(false);
  });
});
