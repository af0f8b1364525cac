import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';
import { call } from './client.ts';

describe('Glance', () => {
  let sim: OpenStackSim;
  let token: string;
  beforeEach(async () => {
    sim = await startOpenStackSim({ compute: { images: [{ name: 'fake-image' }, { name: 'cirros' }, { name: 'cirros' }, { name: 'mine', visibility: 'private' }] } });
    token = sim.token('demo');
  });
  afterEach(() => sim.close());

  const get = (path: string, headers: Record<string, string> = {}): ReturnType<typeof call> => call(`${sim.imageUrl}${path}`, 'GET', { token, headers });

  it('is in the catalog as "image" and answers version discovery with 300', async () => {
    const catalog = await call(`${sim.url}/v3/auth/catalog`, 'GET', { token });
    expect(catalog.body.catalog.find((e: { type: string }) => e.type === 'image').endpoints[0].url).toBe(`${sim.url}/image`);
    const versions = await call(`${sim.imageUrl}`, 'GET');
    expect(versions.status).toBe(300);
    expect(versions.body.versions[0]).toEqual({ id: 'v2.15', status: 'CURRENT', links: [{ rel: 'self', href: `${sim.url}/image/v2/` }] });
  });

  it('lists by name, public images and the project own, following `next`', async () => {
    const all = await get('/v2/images');
    expect(all.body.images.map((i: { name: string }) => i.name).sort()).toEqual(['cirros', 'cirros', 'fake-image']);
    expect(all.body).toMatchObject({ first: '/v2/images', schema: '/v2/schemas/images' });
    expect(all.body).not.toHaveProperty('next');
    const [fake] = (await get('/v2/images?name=fake-image')).body.images;
    expect(fake).toMatchObject({
      name: 'fake-image', status: 'active', visibility: 'public', disk_format: 'raw', container_format: 'bare', size: 1024, checksum: '0f343b0931126a20f133d67c2b018a3b',
      os_hash_algo: 'sha512', self: `/v2/images/${fake.id}`, file: `/v2/images/${fake.id}/file`, schema: '/v2/schemas/image', owner: sim.keystone.projectByName('admin')?.id,
    });
    const page = await get('/v2/images?name=cirros&limit=1');
    expect(page.body.images).toHaveLength(1);
    expect(page.body.next).toBe(`/v2/images?name=cirros&limit=1&marker=${page.body.images[0].id}`);
    const rest = await get(page.body.next);
    expect(rest.body).toMatchObject({ first: '/v2/images?name=cirros&limit=1', images: [{ name: 'cirros' }] });
    expect(rest.body.images[0].id).not.toBe(page.body.images[0].id);
    expect((await get(`/v2/images/${fake.id}`)).body).toEqual(fake);
    const adminList = await call(`${sim.imageUrl}/v2/images`, 'GET', { token: sim.token('admin') });
    expect(adminList.body.images.map((i: { name: string }) => i.name)).toContain('mine');
  });

  it('answers errors as webob does: JSON or HTML by the Accept header', async () => {
    const missing = await get('/v2/images/00000000-0000-0000-0000-000000000000');
    expect(missing).toMatchObject({ status: 404, body: { code: '404 Not Found', title: 'Not Found', message: 'No image found with ID 00000000-0000-0000-0000-000000000000<br /><br />\n\n\n' } });
    const html = await fetch(`${sim.imageUrl}/v2/images?limit=x`, { headers: { 'X-Auth-Token': token } });
    expect([html.status, html.headers.get('content-type')]).toEqual([400, 'text/html; charset=UTF-8']);
    expect(await html.text()).toContain('<h1>400 Bad Request</h1>\n  limit param must be an integer<br /><br />');
    expect((await get('/v2/images?marker=nope')).body.message).toBe('No image found with ID nope<br /><br />\n\n\n');
    const noToken = await call(`${sim.imageUrl}/v2/images`, 'GET');
    expect(noToken).toMatchObject({ status: 401, body: { code: '401 Unauthorized', title: 'Unauthorized' } });
    expect(sim.calls.summary({ service: 'image' })).toEqual({ getImage: 1, listImages: 3 });
  });
});
