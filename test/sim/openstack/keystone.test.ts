import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from './client.ts';
import { startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';

const UNAUTHORIZED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };

const passwordAuth = (user: object, scope?: object): object => ({
  auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) },
});

describe('Keystone v3', () => {
  let sim: OpenStackSim;
  let clock = 1_800_000_000_000;
  beforeEach(async () => {
    clock = 1_800_000_000_000;
    sim = await startOpenStackSim({ tokenTtlSeconds: 60, now: () => clock, applicationCredentials: [{ id: 'ac1', name: 'ci', secret: 's3cret', user: 'demo' }] });
  });
  afterEach(() => sim.close());

  it('serves the version documents for discovery', async () => {
    const v3 = await call(`${sim.url}/v3`, 'GET');
    expect(v3.status).toBe(200);
    expect(v3.body.version).toMatchObject({ id: 'v3.14', status: 'stable', links: [{ rel: 'self', href: `${sim.url}/v3/` }] });
    const root = await call(`${sim.url}/`, 'GET');
    expect(root.status).toBe(300);
    expect(root.body.versions.values[0].id).toBe('v3.14');
  });

  it('issues a project-scoped token by names with the catalog', async () => {
    const res = await call(`${sim.url}/v3/auth/tokens`, 'POST', {
      body: passwordAuth({ name: 'demo', domain: { name: 'Default' }, password: 'demo' }, { project: { name: 'demo', domain: { name: 'Default' } } }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-subject-token')).toMatch(/^gAAAAAB/);
    const token = res.body.token;
    expect(token.methods).toEqual(['password']);
    expect(token.user).toMatchObject({ name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(token.project).toMatchObject({ name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(token.roles.map((r: { name: string }) => r.name)).toEqual(['member', 'reader']);
    expect(new Date(token.expires_at).getTime() - new Date(token.issued_at).getTime()).toBe(60_000);
    const network = token.catalog.find((e: { type: string }) => e.type === 'network');
    expect(network.endpoints.map((e: { interface: string }) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(network.endpoints[0]).toMatchObject({ region: 'RegionOne', region_id: 'RegionOne', url: `${sim.url}/networking` });
    expect(token.catalog.find((e: { type: string }) => e.type === 'identity').endpoints[0].url).toBe(`${sim.url}/v3`);
  });

  it('accepts ids for the user, the domain and the project', async () => {
    const project = sim.keystone.projectByName('demo');
    const user = sim.keystone.users.find((u) => u.name === 'demo');
    const byIds = await call(`${sim.url}/v3/auth/tokens`, 'POST', { body: passwordAuth({ id: user?.id, password: 'demo' }, { project: { id: project?.id } }) });
    expect(byIds.status).toBe(201);
    const byDomainId = await call(`${sim.url}/v3/auth/tokens`, 'POST', {
      body: passwordAuth({ name: 'demo', domain: { id: 'default' }, password: 'demo' }, { project: { name: 'demo', domain: { id: 'default' } } }),
    });
    expect(byDomainId.status).toBe(201);
    expect(byDomainId.body.token.project.id).toBe(project?.id);
  });

  it('answers 401 with the Keystone body for bad credentials and foreign projects', async () => {
    const wrong = await call(`${sim.url}/v3/auth/tokens`, 'POST', { body: passwordAuth({ name: 'demo', domain: { name: 'Default' }, password: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(UNAUTHORIZED);
    const foreign = await call(`${sim.url}/v3/auth/tokens`, 'POST', {
      body: passwordAuth({ name: 'demo', domain: { name: 'Default' }, password: 'demo' }, { project: { name: 'admin', domain: { name: 'Default' } } }),
    });
    expect(foreign.status).toBe(401);
  });

  it('supports application credentials (project-bound) and token re-scoping', async () => {
    const ac = await call(`${sim.url}/v3/auth/tokens`, 'POST', {
      body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 's3cret' } } } },
    });
    expect(ac.status).toBe(201);
    expect(ac.body.token.project.name).toBe('demo');
    expect(ac.body.token.application_credential).toMatchObject({ id: 'ac1', name: 'ci' });
    const badSecret = await call(`${sim.url}/v3/auth/tokens`, 'POST', {
      body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 'x' } } } },
    });
    expect(badSecret.status).toBe(401);

    const unscoped = await call(`${sim.url}/v3/auth/tokens`, 'POST', { body: passwordAuth({ name: 'demo', domain: { name: 'Default' }, password: 'demo' }) });
    expect(unscoped.status).toBe(201);
    expect(unscoped.body.token.project).toBeUndefined();
    const rescoped = await call(`${sim.url}/v3/auth/tokens`, 'POST', {
      body: { auth: { identity: { methods: ['token'], token: { id: unscoped.headers.get('x-subject-token') } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } },
    });
    expect(rescoped.status).toBe(201);
    expect(rescoped.body.token.project.name).toBe('demo');
  });

  it('validates tokens, serves the catalog, and expires tokens (Neutron then answers 401)', async () => {
    const token = sim.token('demo');
    const validated = await call(`${sim.url}/v3/auth/tokens`, 'GET', { token, headers: { 'X-Subject-Token': token } });
    expect(validated.status).toBe(200);
    expect(validated.body.token.user.name).toBe('demo');
    const missing = await call(`${sim.url}/v3/auth/tokens`, 'GET', { token, headers: { 'X-Subject-Token': 'gAAAAABnope' } });
    expect(missing.status).toBe(404);
    const catalog = await call(`${sim.url}/v3/auth/catalog`, 'GET', { token });
    expect(catalog.body.catalog.map((e: { type: string }) => e.type).sort()).toEqual(['identity', 'network']);
    expect((await call(`${sim.networkUrl}/v2.0/networks`, 'GET', { token })).status).toBe(200);

    clock += 61_000;
    const expired = await call(`${sim.networkUrl}/v2.0/networks`, 'GET', { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(UNAUTHORIZED);
    expect(expired.headers.get('www-authenticate')).toBe(`Keystone uri="${sim.url}/v3"`);
    expect((await call(`${sim.url}/v3/auth/catalog`, 'GET', { token })).status).toBe(401);
    expect((await call(`${sim.networkUrl}/v2.0/networks`, 'GET', { token: 'gAAAAABunknown' })).status).toBe(401);
    expect((await call(`${sim.networkUrl}/v2.0/networks`, 'GET')).status).toBe(401);
  });

  it('revokes tokens', async () => {
    const token = sim.token('demo');
    const revoked = await call(`${sim.url}/v3/auth/tokens`, 'DELETE', { token, headers: { 'X-Subject-Token': token } });
    expect(revoked.status).toBe(204);
    expect((await call(`${sim.networkUrl}/v2.0/networks`, 'GET', { token })).status).toBe(401);
  });
});
