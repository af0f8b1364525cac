import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloudError } from '../../src/cloud/errors.ts';
import { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import { parseCloudEntry, type OpenStackCloudConfig } from '../../src/cloud/openstack/config.ts';
import { networkCatalog, tokenReply, UNAUTHORIZED } from './keystone.ts';
import { startServer, type Handler, type Reply, type Seen, type TestServer } from './server.ts';

const PASSWORD = 'demo-Pa55word!';
const LIST: Reply = { status: 200, body: { networks: [] } };

let server: TestServer | undefined;
let client: OpenStackClient | undefined;

afterEach(async () => {
  vi.useRealTimers();
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

function passwordCloud(url: string, extra: Record<string, unknown> = {}, auth: Record<string, unknown> = {}): OpenStackCloudConfig {
  return parseCloudEntry({
    auth: {
      auth_url: `${url}/identity`,
      username: 'demo',
      password: PASSWORD,
      user_domain_name: 'Default',
      project_name: 'demo',
      project_domain_id: 'default',
      ...auth,
    },
    region_name: 'RegionOne',
    ...extra,
  });
}

/** Keystone at /identity issuing tok-1, tok-2, ...; Neutron elsewhere answered by `neutron`. */
async function start(neutron: Handler, tokenOptions: Parameters<typeof tokenReply>[1] = {}): Promise<{ keystone: Seen[]; neutron: Seen[]; url: string }> {
  let issued = 0;
  const keystone: Seen[] = [];
  const network: Seen[] = [];
  server = await startServer((req) => {
    if (req.path === '/identity/v3/auth/tokens' && req.method === 'POST') {
      keystone.push(req);
      return tokenReply(`tok-${++issued}`, { catalog: networkCatalog(server?.url ?? ''), ...tokenOptions });
    }
    network.push(req);
    return neutron(req);
  });
  return { keystone, neutron: network, url: server.url };
}

function makeClient(cloud: OpenStackCloudConfig, registry = new Registry()): OpenStackClient {
  client = new OpenStackClient({ cloud, registry, retry: { maxAttempts: 1 }, rateLimit: { qps: 1000, burst: 1000 } });
  return client;
}

describe('Keystone password auth', () => {
  it('sends a project-scoped password body with domains by name and id', async () => {
    const seen = await start(() => LIST);
    await makeClient(passwordCloud(seen.url)).neutron.networks.list();
    expect(seen.keystone[0]?.body).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'demo', domain: { name: 'Default' }, password: PASSWORD } },
        },
        scope: { project: { name: 'demo', domain: { id: 'default' } } },
      },
    });
  });

  it('scopes by project id and names the user by id when given', async () => {
    const seen = await start(() => LIST);
    await makeClient(passwordCloud(seen.url, {}, { user_id: 'u-1', project_id: 'p-1' })).neutron.networks.list();
    expect(seen.keystone[0]?.body).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { id: 'u-1', password: PASSWORD } } },
        scope: { project: { id: 'p-1' } },
      },
    });
  });

  it('reuses the token until shortly before it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const seen = await start(() => LIST, { lifetimeMs: 3_600_000 });
    const neutron = makeClient(passwordCloud(seen.url)).neutron;
    await neutron.networks.list();
    await neutron.networks.list();
    vi.setSystemTime(Date.now() + 3_600_000 - 6 * 60_000);
    await neutron.networks.list();
    expect(seen.keystone).toHaveLength(1);
    expect(seen.neutron.map((r) => r.headers['x-auth-token'])).toEqual(['tok-1', 'tok-1', 'tok-1']);
    vi.setSystemTime(Date.now() + 2 * 60_000);
    await neutron.networks.list();
    expect(seen.keystone).toHaveLength(2);
    expect(seen.neutron[3]?.headers['x-auth-token']).toBe('tok-2');
  });

  for (const skewMs of [-2 * 3_600_000, 2 * 3_600_000]) {
    it(`counts the token's lifetime on our clock: Keystone's ${skewMs < 0 ? 'behind' : 'ahead'} by two hours changes nothing`, async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const seen = await start(() => LIST, { lifetimeMs: 3_600_000, clockSkewMs: skewMs });
      const neutron = makeClient(passwordCloud(seen.url)).neutron;
      await neutron.networks.list();
      await neutron.networks.list();
      expect(seen.keystone).toHaveLength(1);
      vi.setSystemTime(Date.now() + 3_600_000 - 60_000);
      await neutron.networks.list();
      expect(seen.keystone).toHaveLength(2);
    });
  }

  it('concurrent first requests share one authentication', async () => {
    const seen = await start(() => LIST);
    const neutron = makeClient(passwordCloud(seen.url)).neutron;
    await Promise.all([1, 2, 3, 4, 5].map(() => neutron.networks.list()));
    expect(seen.keystone).toHaveLength(1);
  });

  it('re-authenticates exactly once when concurrent requests all get a 401', async () => {
    const seen = await start((req) => (req.headers['x-auth-token'] === 'tok-1' ? UNAUTHORIZED : LIST));
    const neutron = makeClient(passwordCloud(seen.url)).neutron;
    // Cache tok-1 first so that every caller below sends it and gets its own 401.
    await neutron.session.endpoint('network');
    expect(seen.keystone).toHaveLength(1);
    await Promise.all([1, 2, 3, 4, 5, 6].map(() => neutron.networks.list()));
    expect(seen.keystone).toHaveLength(2);
    expect(seen.neutron.filter((r) => r.headers['x-auth-token'] === 'tok-1')).toHaveLength(6);
    expect(seen.neutron.filter((r) => r.headers['x-auth-token'] === 'tok-2')).toHaveLength(6);
  });

  it('a second 401 after re-authentication is final (unauthorized), not a loop', async () => {
    const seen = await start(() => UNAUTHORIZED);
    const err = await makeClient(passwordCloud(seen.url)).neutron.networks.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ status: 401, kind: 'unauthorized', code: 'Unauthorized' });
    expect(seen.keystone).toHaveLength(2);
    expect(seen.neutron).toHaveLength(2);
  });

  it('rejected credentials surface as unauthorized without the password', async () => {
    server = await startServer(() => ({
      status: 401,
      body: { error: { code: 401, title: 'Unauthorized', message: `The password ${PASSWORD} is wrong.` } },
    }));
    const registry = new Registry();
    const err = (await makeClient(passwordCloud(server.url), registry).neutron.networks.list().catch((e: unknown) => e)) as CloudError;
    expect(err).toMatchObject({ kind: 'unauthorized', service: 'identity', operation: 'authenticate' });
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)} ${await registry.metrics()}`).not.toContain(PASSWORD);
    expect(server.seen).toHaveLength(1);
  });

  it('new credentials (a rotated Secret) drop the cached token', async () => {
    const seen = await start(() => LIST);
    const openstack = makeClient(passwordCloud(seen.url));
    await openstack.neutron.networks.list();
    expect(openstack.update(passwordCloud(seen.url))).toBe(true);
    await openstack.neutron.networks.list();
    expect(seen.keystone).toHaveLength(1);
    expect(openstack.update(passwordCloud(seen.url, {}, { password: 'rotated-Pa55' }))).toBe(true);
    await openstack.neutron.networks.list();
    expect(seen.keystone).toHaveLength(2);
    expect(seen.keystone[1]?.body).toMatchObject({ auth: { identity: { password: { user: { password: 'rotated-Pa55' } } } } });
    expect(seen.neutron[2]?.headers['x-auth-token']).toBe('tok-2');
    expect(openstack.update(passwordCloud(seen.url, { verify: false }))).toBe(false);
  });
});

describe('Keystone application credentials', () => {
  it('by id: no scope in the body', async () => {
    const seen = await start(() => LIST);
    const cloud = parseCloudEntry({
      auth: { auth_url: `${seen.url}/identity/v3`, application_credential_id: 'ac-1', application_credential_secret: 'ac-Secret' },
    });
    await makeClient(cloud).neutron.networks.list();
    expect(seen.keystone[0]?.body).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 'ac-Secret' } } },
    });
  });

  it('by name with the owning user', async () => {
    const seen = await start(() => LIST);
    const cloud = parseCloudEntry({
      auth: {
        auth_url: `${seen.url}/identity/v3`,
        application_credential_name: 'ci',
        application_credential_secret: 'ac-Secret',
        username: 'ops',
        user_domain_name: 'Default',
      },
    });
    await makeClient(cloud).neutron.networks.list();
    expect(seen.keystone[0]?.body).toEqual({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { name: 'ci', secret: 'ac-Secret', user: { name: 'ops', domain: { name: 'Default' } } },
        },
      },
    });
  });
});

describe('endpoints', () => {
  it('picks the catalog endpoint for the region and interface', async () => {
    let catalogUrl = '';
    server = await startServer((req) => {
      if (req.path.endsWith('/auth/tokens')) return tokenReply('tok', { catalog: networkCatalog(catalogUrl, ['RegionOne', 'RegionTwo']) });
      return LIST;
    });
    catalogUrl = server.url;
    await makeClient(passwordCloud(server.url, { region_name: 'RegionTwo', interface: 'internal' })).neutron.networks.list();
    expect(server.seen[1]?.path).toBe('/RegionTwo-internal/v2.0/networks');
  });

  it('probe authenticates and resolves the network endpoint and the project (for ProviderConfig readiness)', async () => {
    const seen = await start(() => LIST);
    expect(await makeClient(passwordCloud(seen.url)).probe()).toEqual({ networkEndpoint: `${seen.url}/RegionOne-public/v2.0`, projectId: 'p1' });
    expect(seen.keystone).toHaveLength(1);
    expect(seen.neutron).toHaveLength(0);
  });

  it('a region missing from the catalog is a terminal error naming what is offered', async () => {
    const seen = await start(() => LIST);
    const err = await makeClient(passwordCloud(seen.url, { region_name: 'Mars' })).neutron.networks.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'terminal', code: 'EndpointNotFound' });
    expect((err as Error).message).toContain('RegionOne/public');
  });

  it.each(['/networking', '/networking/', '/networking/v2.0', '/networking/v2.0/'])(
    'a pre-issued token with network_endpoint_override %s: no Keystone call, path prefix kept',
    async (suffix) => {
      server = await startServer((req) => (req.headers['x-auth-token'] === 'fixed-TOKEN-1' ? LIST : UNAUTHORIZED));
      const cloud = parseCloudEntry({
        auth_type: 'token',
        auth: { token: 'fixed-TOKEN-1' },
        network_endpoint_override: `${server.url}${suffix}`,
      });
      await makeClient(cloud).neutron.networks.list({ filters: { name: 'a' } });
      expect(server.seen).toHaveLength(1);
      expect(server.seen[0]?.url).toBe('/networking/v2.0/networks?name=a&limit=500');
    },
  );

  it('an endpoint override wins over the catalog', async () => {
    const seen = await start(() => LIST);
    await makeClient(passwordCloud(seen.url, { network_endpoint_override: `${seen.url}/fixed/v2.0` })).neutron.networks.list();
    expect(seen.neutron[0]?.path).toBe('/fixed/v2.0/networks');
  });

  it('a rejected pre-issued token is final and redacted; there is nothing to re-authenticate with', async () => {
    server = await startServer(() => ({
      status: 401,
      body: { error: { code: 401, title: 'Unauthorized', message: 'Token fixed-TOKEN-2 expired' } },
    }));
    const cloud = parseCloudEntry({ auth: { token: 'fixed-TOKEN-2' }, network_endpoint_override: server.url });
    const err = (await makeClient(cloud).neutron.networks.list().catch((e: unknown) => e)) as CloudError;
    expect(err).toMatchObject({ kind: 'unauthorized', code: 'TokenRejected' });
    expect(server.seen).toHaveLength(1);
    expect(err.message).not.toContain('fixed-TOKEN-2');
  });

  it('probe sends a pre-issued token to Neutron once: accepted, it is Ready; rejected, it says to provide a new token', async () => {
    server = await startServer((req) => (req.headers['x-auth-token'] === 'fixed-TOKEN-4' ? LIST : UNAUTHORIZED));
    const good = parseCloudEntry({ auth: { token: 'fixed-TOKEN-4' }, network_endpoint_override: `${server.url}/networking` });
    expect(await makeClient(good).probe()).toEqual({ networkEndpoint: `${server.url}/networking/v2.0`, projectId: undefined });
    expect(server.seen.map((r) => r.url)).toEqual(['/networking/v2.0/networks?limit=1&fields=id']);

    const revoked = parseCloudEntry({ auth: { token: 'fixed-TOKEN-5' }, network_endpoint_override: `${server.url}/networking` });
    const err = (await makeClient(revoked).probe().catch((e: unknown) => e)) as CloudError;
    expect(err).toMatchObject({ kind: 'unauthorized', code: 'TokenRejected' });
    expect(err.message).toBe('the cloud refused the pre-issued token (401): it has expired or was revoked; provide a new token');
    expect(err.message).not.toContain('fixed-TOKEN-5');
  });

  it('token auth without an override says which override to set', async () => {
    const cloud = parseCloudEntry({ auth: { token: 'fixed-TOKEN-3' } });
    const err = await makeClient(cloud).neutron.networks.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'terminal', code: 'EndpointNotFound' });
    expect((err as Error).message).toContain('network_endpoint_override');
  });
});
