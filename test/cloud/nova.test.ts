import { describe, expect, it } from 'vitest';
import type { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import { useOpenStackAt, type Handler, type TestServer } from './server.ts';

const openStackAt = useOpenStackAt();

/** Nova (and Glance) at fixed URLs; the compute URL ends with a project id, as Nova's catalog entries often do. */
const cloudAt = (handler: Handler): Promise<{ client: OpenStackClient; server: TestServer }> =>
  openStackAt(handler, { compute: '/compute/v2.1/p1', image: '/image' });

const versionDocument = (version: string) => ({ status: 200, body: { version: { id: 'v2.1', status: 'CURRENT', version, min_version: '2.1' } } });

/** Nova answering the version document at the version root and `rest` elsewhere. */
function nova(version: string, rest: Handler = () => ({ status: 200, body: {} })): Handler {
  return (req) => (req.path === '/compute/v2.1/' ? versionDocument(version) : rest(req));
}

describe('Nova microversion', () => {
  it.each([
    ['2.93', 'compute 2.93'],
    ['2.60', 'compute 2.60'],
    ['2.96', 'compute 2.93'],
    ['', 'compute 2.1'],
  ])('the cloud offers %s: every request carries %s, negotiated once from the version root', async (offered, sent) => {
    const { client, server } = await cloudAt(nova(offered));
    await client.nova.getServer('s1');
    await client.nova.getServer('s2');
    expect(server.seen.map((r) => r.path)).toEqual(['/compute/v2.1/', '/compute/v2.1/p1/servers/s1', '/compute/v2.1/p1/servers/s2']);
    expect(server.seen.slice(1).map((r) => r.headers['openstack-api-version'])).toEqual([sent, sent]);
    expect(server.seen[1]?.headers['x-openstack-nova-api-version']).toBe(sent.slice('compute '.length));
    expect(await client.nova.supports('2.52')).toBe(offered !== '' && offered >= '2.52');
  });

  it('a failed negotiation is tried again by the next request', async () => {
    let versions = 0;
    const { client } = await cloudAt((req) => {
      if (req.path !== '/compute/v2.1/') return { status: 200, body: { server: { id: 's1' } } };
      return ++versions === 1 ? { status: 503, body: 'busy' } : versionDocument('2.93');
    });
    await expect(client.nova.getServer('s1')).rejects.toMatchObject({ kind: 'transient', operation: 'getComputeVersion' });
    expect(await client.nova.getServer('s1')).toEqual({ id: 's1' });
    expect(versions).toBe(2);
  });
});

describe('Nova servers', () => {
  it('creates with the request body as given and answers the id', async () => {
    const { client, server } = await cloudAt(nova('2.93', () => ({ status: 202, body: { server: { id: 'new', links: [] } } })));
    const created = await client.nova.createServer({ name: 'web', imageRef: 'img', flavorRef: '1', networks: [{ uuid: 'net' }, { port: 'p' }], tags: ['cloudnet-managed'] });
    expect(created).toEqual({ id: 'new', links: [] });
    expect(server.seen[1]).toMatchObject({ method: 'POST', path: '/compute/v2.1/p1/servers' });
    expect(server.seen[1]?.body).toEqual({ server: { name: 'web', imageRef: 'img', flavorRef: '1', networks: [{ uuid: 'net' }, { port: 'p' }], tags: ['cloudnet-managed'] } });
  });

  it('lists by exact name (Nova matches a regular expression) and by tags, following every page', async () => {
    const all = ['a', 'b', 'c'].map((id) => ({ id, name: 'web.1' }));
    const { client, server } = await cloudAt(
      nova('2.93', (req) => {
        const marker = req.query.get('marker');
        const start = marker === null ? 0 : all.findIndex((s) => s.id === marker) + 1;
        const page = all.slice(start, start + 2);
        const links = page.length === 2 ? [{ rel: 'next', href: `http://nova.internal/v2.1/servers/detail?marker=${page.at(-1)?.id}` }] : [];
        return { status: 200, body: { servers: page, servers_links: links } };
      }),
    );
    const found = await client.nova.listServers({ name: 'web.1', tags: ['cloudnet-uid:u', 'cloudnet-managed'] });
    expect(found.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(server.seen.slice(1).map((r) => r.path)).toEqual(Array(2).fill('/compute/v2.1/p1/servers/detail'));
    expect(server.seen[1]?.query.get('name')).toBe('^web\\.1$');
    expect(server.seen[1]?.query.get('tags')).toBe('cloudnet-uid:u,cloudnet-managed');
    expect(server.seen[2]?.query.get('marker')).toBe('b');
  });

  it("compares names exactly itself: Nova's filter ignores case, and `|` is left to Nova, which escapes it", async () => {
    const { client, server } = await cloudAt(nova('2.93', () => ({ status: 200, body: { servers: [{ id: 'a', name: 'web' }, { id: 'b', name: 'Web' }], servers_links: [] } })));
    expect((await client.nova.listServers({ name: 'Web' })).map((s) => s.id)).toEqual(['b']);
    await client.nova.listServers({ name: 'a|b' });
    expect(server.seen.at(-1)?.query.get('name')).toBe('^a|b$');
  });

  it('reads a missing server as undefined; deleting one already gone succeeds', async () => {
    const { client } = await cloudAt(nova('2.93', () => ({ status: 404, body: { itemNotFound: { code: 404, message: 'Instance x could not be found.' } } })));
    expect(await client.nova.getServer('x')).toBeUndefined();
    await client.nova.deleteServer('x');
  });

  it('sends actions, metadata, tags and interface changes as Nova takes them', async () => {
    const { client, server } = await cloudAt(
      nova('2.93', (req) => {
        if (req.path.endsWith('/metadata')) return { status: 200, body: { metadata: (req.body as { metadata: unknown }).metadata } };
        if (req.path.endsWith('/tags')) return { status: 200, body: { tags: (req.body as { tags: unknown }).tags } };
        if (req.method === 'POST' && req.path.endsWith('/os-interface')) return { status: 200, body: { interfaceAttachment: { port_id: 'p9', net_id: 'n' } } };
        return { status: 202 };
      }),
    );
    await client.nova.serverAction('s', { 'os-stop': null });
    await client.nova.serverAction('s', { resize: { flavorRef: '2' } });
    expect(await client.nova.replaceMetadata('s', { role: 'web' })).toEqual({ role: 'web' });
    expect(await client.nova.replaceTags('s', ['a', 'b'])).toEqual(['a', 'b']);
    expect(await client.nova.attachInterface('s', { net_id: 'n' })).toMatchObject({ port_id: 'p9' });
    await client.nova.detachInterface('s', 'p9');
    expect(server.seen.slice(1).map((r) => `${r.method} ${r.path} ${r.raw}`)).toEqual([
      'POST /compute/v2.1/p1/servers/s/action {"os-stop":null}',
      'POST /compute/v2.1/p1/servers/s/action {"resize":{"flavorRef":"2"}}',
      'PUT /compute/v2.1/p1/servers/s/metadata {"metadata":{"role":"web"}}',
      'PUT /compute/v2.1/p1/servers/s/tags {"tags":["a","b"]}',
      'POST /compute/v2.1/p1/servers/s/os-interface {"interfaceAttachment":{"net_id":"n"}}',
      'DELETE /compute/v2.1/p1/servers/s/os-interface/p9 ',
    ]);
  });
});

describe('Glance images', () => {
  it('lists by name following `next`, and reads a missing image as undefined', async () => {
    const all = ['i1', 'i2', 'i3'].map((id) => ({ id, name: 'cirros', status: 'active', visibility: 'public' }));
    const { client, server } = await cloudAt((req) => {
      if (req.path.startsWith('/image/v2/images/')) return { status: 404, body: '404 Not Found' };
      const marker = req.query.get('marker');
      const start = marker === null ? 0 : all.findIndex((i) => i.id === marker) + 1;
      const page = all.slice(start, start + 2);
      return { status: 200, body: { images: page, ...(page.length === 2 ? { next: `/v2/images?name=cirros&marker=${page.at(-1)?.id}` } : {}) } };
    });
    expect((await client.glance.listImages({ name: 'cirros' })).map((i) => i.id)).toEqual(['i1', 'i2', 'i3']);
    expect(server.seen.map((r) => `${r.path}?${r.query.toString()}`)).toEqual(['/image/v2/images?name=cirros&limit=200', '/image/v2/images?name=cirros&limit=200&marker=i2']);
    expect(await client.glance.getImage('nope')).toBeUndefined();
  });
});
