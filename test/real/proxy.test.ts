// The recording, fault-injecting proxy in front of real Keystone + Neutron: it forwards, records every call,
// rewrites the catalog and version links to itself, and each fault kind behaves as in the simulator.
// Real tier only (CLOUDNET_REAL=1: make test-real).
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realRequested, startRealOpenStack, type RealOpenStack } from './backend.ts';
import { mountsOf, startCloudProxy, type CloudProxy } from './proxy.ts';

type Catalog = { type: string; endpoints: { url: string; interface: string }[] }[];

describe('the cloud proxy\'s mounts', () => {
  it('are /identity, /network, /compute and /image unless a service is put under another path prefix', () => {
    expect(mountsOf()).toEqual({ identity: '/identity', network: '/network', compute: '/compute', image: '/image' });
    expect(mountsOf({ network: 'networking/' })).toEqual({ identity: '/identity', network: '/networking', compute: '/compute', image: '/image' });
    expect(mountsOf({ network: '/api/networking' }).network).toBe('/api/networking');
  });

  it('refuses a prefix that is empty or shared with another service', () => {
    expect(() => mountsOf({ network: '/' })).toThrow(/a path prefix/);
    expect(() => mountsOf({ network: '/identity' })).toThrow(/must not share a path prefix/);
    expect(() => mountsOf({ network: '/compute/network' })).toThrow(/must not share a path prefix: \/compute\/network/);
  });
});

describe.runIf(realRequested())('the cloud proxy in front of real Keystone + Neutron (needs CLOUDNET_REAL=1: make test-real)', () => {
  let real: RealOpenStack;
  let proxy: CloudProxy;
  let token: string;
  const made: string[] = [];

  beforeAll(async () => {
    real = await startRealOpenStack();
    proxy = await startCloudProxy({ authUrl: real.authUrl, networkUrl: real.networkUrl, computeUrl: real.computeUrl, imageUrl: real.imageUrl, seed: 3 });
    token = await issueToken();
    proxy.calls.reset();
  }, 120_000);

  afterEach(async () => {
    proxy.faults.clear();
    proxy.calls.reset();
    for (const id of made.splice(0)) await fetch(`${real.networkUrl}/v2.0/networks/${id}`, { method: 'DELETE', headers: { 'X-Auth-Token': await real.token('demo') } });
  });

  afterAll(async () => {
    await proxy?.close();
    await real?.close();
  }, 60_000);

  /** A password token request for demo, through the proxy. */
  async function requestToken(): Promise<Response> {
    const domain = { id: 'default' };
    const res = await fetch(`${proxy.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain, password: 'demo' } } }, scope: { project: { name: 'demo', domain } } } }),
    });
    expect(res.status).toBe(201);
    return res;
  }

  const issueToken = async (): Promise<string> => (await requestToken()).headers.get('x-subject-token')!;

  const createNetwork = (name: string): Promise<Response> =>
    fetch(`${proxy.networkUrl}/v2.0/networks`, { method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: JSON.stringify({ network: { name } }) });

  /** The networks of this name in the real cloud, asked without the proxy; remembered for deletion. */
  async function inCloud(name: string): Promise<string[]> {
    const res = await fetch(`${real.networkUrl}/v2.0/networks?name=${name}`, { headers: { 'X-Auth-Token': await real.token('demo') } });
    const ids = ((await res.json()) as { networks: { id: string }[] }).networks.map((n) => n.id);
    made.push(...ids);
    return ids;
  }

  it('rewrites the token catalog and version links to itself and records the token request', async () => {
    const res = await requestToken();
    const catalog = ((await res.json()) as { token: { catalog: Catalog } }).token.catalog;
    // Every service the proxy stands in front of (placement, with the full profile, it does not).
    const proxied = ['identity', 'network', 'compute', 'image'];
    const urls = catalog.filter((s) => proxied.includes(s.type)).flatMap((s) => s.endpoints.map((e) => e.url));
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`${proxy.url}/`)).toBe(true);
    expect(catalog.find((s) => s.type === 'network')!.endpoints.map((e) => e.url)).toContain(proxy.networkUrl);
    expect(proxy.calls.list()).toMatchObject([{ method: 'POST', service: 'identity', operation: 'tokens.issue', status: 201 }]);

    const versions = (await (await fetch(`${proxy.networkUrl}/`)).json()) as { versions: { links: { href: string }[] }[] };
    expect(versions.versions[0]!.links[0]!.href).toBe(`${proxy.networkUrl}/v2.0/`);
    const identity = (await (await fetch(proxy.authUrl)).json()) as { version: { links: { href: string }[] } };
    expect(identity.version.links[0]!.href).toBe(`${proxy.authUrl}/`);
  });

  it('forwards Neutron requests and records method, path, query, status, service and operation', async () => {
    const name = `proxy-${randomUUID().slice(0, 8)}`;
    const created = await createNetwork(name);
    expect(created.status).toBe(201);
    const list = await fetch(`${proxy.networkUrl}/v2.0/networks?name=${name}`, { headers: { 'X-Auth-Token': token } });
    expect(((await list.json()) as { networks: { name: string }[] }).networks.map((n) => n.name)).toEqual([name]);
    expect(await inCloud(name)).toHaveLength(1);
    expect(proxy.calls.list().map(({ at: _at, userAgent: _userAgent, ...c }) => c)).toEqual([
      { method: 'POST', path: '/network/v2.0/networks', query: {}, status: 201, service: 'network', operation: 'networks.create' },
      { method: 'GET', path: '/network/v2.0/networks', query: { name }, status: 200, service: 'network', operation: 'networks.list' },
    ]);
  });

  it('answers an injected error with a Neutron error body, without forwarding', async () => {
    const name = `proxy-${randomUUID().slice(0, 8)}`;
    proxy.faults.add({ status: 409, times: 1, match: { method: 'POST', service: 'network' } });
    const res = await createNetwork(name);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ NeutronError: { type: 'HTTPConflict', message: 'Injected fault: HTTP 409.', detail: '' } });
    expect(await inCloud(name)).toEqual([]);
    expect(proxy.calls.count({ status: 409, fault: 'error', operation: 'networks.create' })).toBe(1);
  });

  it('answers an injected 429 with Retry-After', async () => {
    proxy.faults.add({ status: 429, retryAfter: 2, times: 1, match: { operation: 'networks.list' } });
    const res = await fetch(`${proxy.networkUrl}/v2.0/networks`, { headers: { 'X-Auth-Token': token } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { NeutronError: { type: string } }).NeutronError.type).toBe('HTTPTooManyRequests');
    const again = await fetch(`${proxy.networkUrl}/v2.0/networks`, { headers: { 'X-Auth-Token': token } });
    expect(again.status).toBe(200);
  });

  it('delays a request by injected latency, then forwards it', async () => {
    proxy.faults.add({ kind: 'latency', ms: 300, match: { operation: 'networks.list' } });
    const started = performance.now();
    const res = await fetch(`${proxy.networkUrl}/v2.0/networks`, { headers: { 'X-Auth-Token': token } });
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(proxy.calls.list({ operation: 'networks.list' })).toMatchObject([{ status: 200 }]);
  });

  it('drops a request: no answer, nothing happens in the cloud', async () => {
    const name = `proxy-${randomUUID().slice(0, 8)}`;
    proxy.faults.add({ kind: 'drop', times: 1, match: { method: 'POST', pathPattern: /\/networks$/ } });
    await expect(createNetwork(name)).rejects.toThrow();
    expect(await inCloud(name)).toEqual([]);
    expect(proxy.calls.list()).toMatchObject([{ method: 'POST', status: 0, fault: 'drop' }]);
  });

  it('serves Neutron under another path prefix (mounts), as a public cloud\'s fixed endpoint, and records it as Neutron', async () => {
    const prefixed = await startCloudProxy({ authUrl: real.authUrl, networkUrl: real.networkUrl, mounts: { network: '/networking' } });
    try {
      expect(prefixed.networkUrl).toBe(`${prefixed.url}/networking`);
      const res = await fetch(`${prefixed.url}/networking/v2.0/networks?limit=1&fields=id`, { headers: { 'X-Auth-Token': token } });
      expect(res.status).toBe(200);
      const versions = (await (await fetch(`${prefixed.url}/networking/`)).json()) as { versions: { links: { href: string }[] }[] };
      expect(versions.versions[0]!.links[0]!.href).toBe(`${prefixed.url}/networking/v2.0/`);
      expect((await fetch(`${prefixed.url}/network/v2.0/networks`, { headers: { 'X-Auth-Token': token } })).status).toBe(404);
      expect(prefixed.calls.list().map(({ path, service, operation, status }) => ({ path, service, operation, status }))).toEqual([
        { path: '/networking/v2.0/networks', service: 'network', operation: 'networks.list', status: 200 },
        { path: '/networking/', service: 'network', operation: 'versions', status: 200 },
      ]);
    } finally {
      await prefixed.close();
    }
  });

  it('loses a response: the create happens in the real cloud, the client gets no answer', async () => {
    const name = `proxy-${randomUUID().slice(0, 8)}`;
    proxy.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/networks$/ } });
    await expect(createNetwork(name)).rejects.toThrow();
    expect(await inCloud(name)).toHaveLength(1);
    expect(proxy.calls.list()).toMatchObject([{ method: 'POST', status: 201, fault: 'lose-response', operation: 'networks.create' }]);
  });
});
