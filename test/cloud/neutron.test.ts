import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/cloud/errors.ts';
import type { Neutron } from '../../src/cloud/openstack/neutron.ts';
import { neutronError, useOpenStackAt, type Handler, type Reply, type TestServer } from './server.ts';

const openStackAt = useOpenStackAt();

/** Neutron behind a path prefix, reached with a pre-issued token (no Keystone involved). */
async function neutronAt(handler: Handler): Promise<{ neutron: Neutron; server: TestServer }> {
  const { client, server } = await openStackAt(handler, { network: '/networking' });
  return { neutron: client.neutron, server };
}

function network(id: string, extra: Record<string, unknown> = {}) {
  return { id, name: `net-${id}`, status: 'ACTIVE', tags: [], revision_number: 1, ...extra };
}

const EXTENSIONS_WITH_TAG_CREATION = {
  extensions: [
    { alias: 'standard-attr-tag', name: 'Tag support for resources with standard attribute', description: '', updated: '', links: [] },
    { alias: 'tag-creation', name: 'Tag support for resource creation', description: '', updated: '', links: [] },
  ],
};
const EXTENSIONS_ZED = {
  extensions: [{ alias: 'standard-attr-tag', name: 'Tag support for resources with standard attribute', description: '', updated: '', links: [] }],
};
const TAGS_NOT_ALLOWED: Reply = { status: 400, body: neutronError('HTTPBadRequest', "Attribute 'tags' not allowed in POST") };

describe('Neutron list', () => {
  it('follows *_links next pages until exhausted, sending filters and tags', async () => {
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => network(id));
    const { neutron, server } = await neutronAt((req) => {
      const limit = Number(req.query.get('limit'));
      const marker = req.query.get('marker');
      const start = marker === null ? 0 : all.findIndex((n) => n.id === marker) + 1;
      const page = all.slice(start, start + limit);
      const links = [];
      // Like Neutron, a full page gets a next link, even when nothing follows; the href names
      // another host (as behind a proxy) and must not be followed blindly.
      if (page.length === limit) {
        links.push({ rel: 'next', href: `http://internal-neutron:9696/v2.0/networks?limit=${limit}&marker=${page.at(-1)?.id}` });
      }
      if (marker !== null) links.push({ rel: 'previous', href: `http://internal-neutron:9696/v2.0/networks?marker=${page[0]?.id}&page_reverse=True` });
      return { status: 200, body: { networks: page, networks_links: links } };
    });
    const found = await neutron.networks.list({
      filters: { 'router:external': false, status: 'ACTIVE' },
      tags: ['cloudnet-managed', 'cloudnet-uid:1234'],
      tagsAny: ['x', 'y'],
      pageSize: 2,
    });
    expect(found.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(server.seen).toHaveLength(3);
    expect(server.seen.map((r) => r.path)).toEqual(Array(3).fill('/networking/v2.0/networks'));
    expect(server.seen.map((r) => r.query.get('marker'))).toEqual([null, 'b', 'd']);
    const first = server.seen[0]?.query;
    expect(first?.get('router:external')).toBe('false');
    expect(first?.get('tags')).toBe('cloudnet-managed,cloudnet-uid:1234');
    expect(first?.get('tags-any')).toBe('x,y');
    expect(first?.has('not-tags')).toBe(false);
  });

  it('stops at an empty page that still carries a next link', async () => {
    let calls = 0;
    const { neutron } = await neutronAt(() => {
      calls++;
      const networks = calls === 1 ? [network('a')] : [];
      return { status: 200, body: { networks, networks_links: [{ rel: 'next', href: `/v2.0/networks?marker=m${calls}` }] } };
    });
    expect(await neutron.networks.list({ pageSize: 1 })).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it('uses each collection path and body key', async () => {
    const { neutron, server } = await neutronAt((req) => ({
      status: 200,
      body: req.path.endsWith('security-groups') ? { security_groups: [{ id: 'sg' }] } : { floatingips: [{ id: 'fip' }] },
    }));
    expect((await neutron.securityGroups.list())[0]?.id).toBe('sg');
    expect((await neutron.floatingIps.list())[0]?.id).toBe('fip');
    expect(server.seen.map((r) => r.path)).toEqual(['/networking/v2.0/security-groups', '/networking/v2.0/floatingips']);
  });
});

describe('Neutron get, update, delete', () => {
  it('get returns the object, or undefined on 404', async () => {
    const { neutron } = await neutronAt((req) =>
      req.path.endsWith('/n1')
        ? { status: 200, body: { network: network('n1') } }
        : { status: 404, body: neutronError('NetworkNotFound', 'Network n2 could not be found.') },
    );
    expect((await neutron.networks.get('n1'))?.name).toBe('net-n1');
    expect(await neutron.networks.get('n2')).toBeUndefined();
  });

  it('update sends only the patch, with If-Match: revision_number=N', async () => {
    const { neutron, server } = await neutronAt(() => ({ status: 200, body: { network: network('n1', { name: 'renamed', revision_number: 4 }) } }));
    const updated = await neutron.networks.update('n1', { name: 'renamed' }, 3);
    expect(updated.revision_number).toBe(4);
    expect(server.seen[0]).toMatchObject({ method: 'PUT', path: '/networking/v2.0/networks/n1', body: { network: { name: 'renamed' } } });
    expect(server.seen[0]?.headers['if-match']).toBe('revision_number=3');
    await neutron.networks.update('n1', { name: 'again' });
    expect(server.seen[1]?.headers['if-match']).toBeUndefined();
  });

  it('a stale revision is a staleRevision error', async () => {
    const { neutron } = await neutronAt(() => ({
      status: 412,
      body: neutronError('RevisionNumberConstraintFailed', 'Constrained to 999, but current revision is 2'),
    }));
    await expect(neutron.networks.update('n1', { name: 'x' }, 999)).rejects.toMatchObject({ kind: 'staleRevision', status: 412 });
  });

  it('delete treats 404 as done and reports an in-use 409 as busy', async () => {
    const { neutron } = await neutronAt((req) =>
      req.path.endsWith('/gone')
        ? { status: 404, body: neutronError('NetworkNotFound', 'Network gone could not be found.') }
        : { status: 409, body: neutronError('NetworkInUse', 'Unable to complete operation on network busy. There are one or more ports still in use on the network, id for these ports is: p1.') },
    );
    await expect(neutron.networks.delete('gone')).resolves.toBeUndefined();
    await expect(neutron.networks.delete('busy')).rejects.toMatchObject({ kind: 'busy', code: 'NetworkInUse' });
  });
});

describe('Neutron tags', () => {
  it('replace-all, add and remove (a missing tag counts as removed)', async () => {
    const { neutron, server } = await neutronAt((req) => {
      if (req.method === 'PUT' && req.path.endsWith('/tags')) return { status: 200, body: req.body };
      if (req.method === 'PUT') return { status: 201 };
      return { status: 404, body: neutronError('TagNotFound', 'Tag x could not be found.') };
    });
    expect(await neutron.ports.replaceTags('p1', ['a', 'b'])).toEqual(['a', 'b']);
    await neutron.ports.addTag('p1', 'cloudnet-uid:1/2');
    await neutron.ports.removeTag('p1', 'x');
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /networking/v2.0/ports/p1/tags',
      'PUT /networking/v2.0/ports/p1/tags/cloudnet-uid%3A1%2F2',
      'DELETE /networking/v2.0/ports/p1/tags/x',
    ]);
    expect(server.seen[0]?.body).toEqual({ tags: ['a', 'b'] });
  });

  it('sends tags in the POST when the cloud advertises tag-creation (extensions fetched once)', async () => {
    const { neutron, server } = await neutronAt((req) => {
      if (req.path.endsWith('/extensions')) return { status: 200, body: EXTENSIONS_WITH_TAG_CREATION };
      const body = (req.body as { network: Record<string, unknown> }).network;
      return { status: 201, body: { network: network('n1', body) } };
    });
    const created = await neutron.networks.create({ name: 'app', tags: ['cloudnet-managed'] });
    await neutron.networks.create({ name: 'app2', tags: ['cloudnet-managed'] });
    expect(created.tags).toEqual(['cloudnet-managed']);
    expect(server.seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /networking/v2.0/extensions',
      'POST /networking/v2.0/networks',
      'POST /networking/v2.0/networks',
    ]);
    expect(server.seen[1]?.body).toEqual({ network: { name: 'app', tags: ['cloudnet-managed'] } });
  });

  it('without tag-creation (Zed): POST without tags, then PUT the tags', async () => {
    const { neutron, server } = await neutronAt((req) => {
      if (req.path.endsWith('/extensions')) return { status: 200, body: EXTENSIONS_ZED };
      if (req.path.endsWith('/tags')) return { status: 200, body: req.body };
      const body = (req.body as { subnet: Record<string, unknown> }).subnet;
      if ('tags' in body) return TAGS_NOT_ALLOWED;
      return { status: 201, body: { subnet: { id: 's1', ...body, tags: [] } } };
    });
    const created = await neutron.subnets.create({ name: 's', cidr: '10.0.0.0/24', tags: ['cloudnet-managed', 'cloudnet-uid:u'] });
    expect(created).toMatchObject({ id: 's1', tags: ['cloudnet-managed', 'cloudnet-uid:u'] });
    expect(server.seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /networking/v2.0/extensions',
      'POST /networking/v2.0/subnets',
      'PUT /networking/v2.0/subnets/s1/tags',
    ]);
    expect(server.seen[1]?.body).toEqual({ subnet: { name: 's', cidr: '10.0.0.0/24' } });
  });

  it("learns from a 400 \"Attribute 'tags' not allowed in POST\" and stops sending tags in POST", async () => {
    const { neutron, server } = await neutronAt((req) => {
      // Advertises tag-creation but refuses it: the 400 wins.
      if (req.path.endsWith('/extensions')) return { status: 200, body: EXTENSIONS_WITH_TAG_CREATION };
      if (req.path.endsWith('/tags')) return { status: 200, body: req.body };
      const body = (req.body as { router: Record<string, unknown> }).router;
      if ('tags' in body) return TAGS_NOT_ALLOWED;
      return { status: 201, body: { router: { id: `r${server.seen.length}`, ...body, tags: [] } } };
    });
    await neutron.routers.create({ name: 'r', tags: ['t1'] });
    await neutron.routers.create({ name: 'r', tags: ['t1'] });
    expect(server.seen.map((r) => `${r.method} ${r.path.replace(/\/r\d+\//, '/ID/')}`)).toEqual([
      'GET /networking/v2.0/extensions',
      'POST /networking/v2.0/routers',
      'POST /networking/v2.0/routers',
      'PUT /networking/v2.0/routers/ID/tags',
      'POST /networking/v2.0/routers',
      'PUT /networking/v2.0/routers/ID/tags',
    ]);
  });

  it('a tagging failure after the create names the created id', async () => {
    const { neutron } = await neutronAt((req) => {
      if (req.path.endsWith('/extensions')) return { status: 200, body: EXTENSIONS_ZED };
      if (req.path.endsWith('/tags')) return { status: 403, body: neutronError('PolicyNotAuthorized', 'disallowed by policy') };
      return { status: 201, body: { port: { id: 'p9', tags: [] } } };
    });
    const err = await neutron.ports.create({ name: 'p', tags: ['t'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ createdId: 'p9', kind: 'terminal', code: 'PolicyNotAuthorized' });
    expect((err as Error).message).toContain('port p9 was created but tagging it failed');
  });

  it('creates without tags never look at extensions', async () => {
    const { neutron, server } = await neutronAt(() => ({ status: 201, body: { security_group: { id: 'sg1' } } }));
    await neutron.securityGroups.create({ name: 'web' });
    expect(server.seen.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /networking/v2.0/security-groups']);
    expect(server.seen[0]?.body).toEqual({ security_group: { name: 'web' } });
  });
});

describe('Neutron router and floating IP actions', () => {
  it('add/remove router interface and extra routes', async () => {
    const { neutron, server } = await neutronAt((req) => {
      if (req.path.endsWith('remove_router_interface')) return { status: 404, body: neutronError('RouterInterfaceNotFoundForSubnet', 'not found') };
      if (req.path.endsWith('add_router_interface')) return { status: 200, body: { id: 'r1', subnet_id: 's1', port_id: 'p1' } };
      return { status: 200, body: { router: { id: 'r1', routes: (req.body as { router: { routes: unknown } }).router.routes } } };
    });
    expect(await neutron.addRouterInterface('r1', { subnet_id: 's1' })).toMatchObject({ port_id: 'p1' });
    await neutron.removeRouterInterface('r1', { subnet_id: 's1' });
    const routes = [{ destination: '10.1.0.0/24', nexthop: '10.0.0.5' }];
    expect((await neutron.addExtraRoutes('r1', routes)).routes).toEqual(routes);
    expect(server.seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /networking/v2.0/routers/r1/add_router_interface',
      'PUT /networking/v2.0/routers/r1/remove_router_interface',
      'PUT /networking/v2.0/routers/r1/add_extraroutes',
    ]);
    expect(server.seen[0]?.body).toEqual({ subnet_id: 's1' });
    expect(server.seen[2]?.body).toEqual({ router: { routes } });
  });

  it('associates, moves and disassociates a floating IP through PUT port_id', async () => {
    const { neutron, server } = await neutronAt((req) => ({
      status: 200,
      body: { floatingip: { id: 'f1', ...(req.body as { floatingip: object }).floatingip } },
    }));
    await neutron.associateFloatingIp('f1', 'p1', { fixedIpAddress: '10.0.0.5', revisionNumber: 2 });
    await neutron.associateFloatingIp('f1', 'p2');
    const detached = await neutron.disassociateFloatingIp('f1');
    expect(detached.port_id).toBeNull();
    expect(server.seen.map((r) => r.body)).toEqual([
      { floatingip: { port_id: 'p1', fixed_ip_address: '10.0.0.5' } },
      { floatingip: { port_id: 'p2' } },
      { floatingip: { port_id: null } },
    ]);
    expect(server.seen[0]?.headers['if-match']).toBe('revision_number=2');
  });

  it('a floating IP whose port is not yet routed to the external network is busy, not notFound', async () => {
    const { neutron } = await neutronAt(() => ({
      status: 404,
      body: neutronError('ExternalGatewayForFloatingIPNotFound', 'External network e is not reachable from subnet s.  Therefore, cannot associate Port p with a Floating IP.'),
    }));
    await expect(neutron.associateFloatingIp('f1', 'p')).rejects.toMatchObject({ kind: 'busy' });
  });
});
