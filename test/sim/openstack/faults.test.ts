import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, neutron, type Client } from './client.ts';
import { startOpenStackSim, type OpenStackSim } from '../../../dev/sim/openstack/index.ts';
import { until } from '../../support/wait.ts';

/** A raw exchange: the status if one arrived, the body bytes received, and how the answer ended ('end' or the error code). */
function exchange(url: string, method: string, token: string, body?: unknown): Promise<{ status?: number; received: string; ended: string }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const req = request(url, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } }, (res) => {
      const chunks: Buffer[] = [];
      const done = (ended: string) => resolve({ status: res.statusCode, received: Buffer.concat(chunks).toString('utf8'), ended });
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done('end'));
      res.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ received: '', ended: err.code ?? err.message }));
    req.end(payload);
  });
}

describe('fault injection and call accounting', () => {
  let sim: OpenStackSim;
  let demo: Client;
  beforeEach(async () => {
    sim = await startOpenStackSim({ publicNetwork: false, seed: 42 });
    demo = neutron(sim);
  });
  afterEach(() => sim.close());

  const networkCount = (): number => sim.neutron.networks.size;

  it('fails a matching request a fixed number of times with the service-shaped body', async () => {
    const fault = sim.faults.add({ match: { method: 'GET', pathPattern: /\/v2\.0\/networks$/ }, status: 503, times: 2 });
    const a = await demo.get('/networks');
    expect(a.status).toBe(503);
    expect(a.body).toEqual({ NeutronError: { type: 'HTTPServiceUnavailable', message: 'Injected fault: HTTP 503.', detail: '' } });
    expect((await demo.get('/networks')).status).toBe(503);
    expect((await demo.get('/networks')).status).toBe(200);
    expect((await demo.post('/networks', { network: {} })).status).toBe(201);
    expect(fault.hits).toBe(2);
    const keystone = sim.faults.add({ match: { service: 'identity' }, status: 500, times: 1 });
    const auth = await call(`${sim.url}/v3/auth/tokens`, 'POST', { body: {} });
    expect(auth).toMatchObject({ status: 500, body: { error: { code: 500 } } });
    keystone.remove();
  });

  it('draws error rates from a seeded PRNG: the same seed gives the same sequence', async () => {
    const run = async (s: OpenStackSim): Promise<number[]> => {
      s.faults.add({ match: { operation: 'networks.list' }, status: 500, rate: 0.3 });
      const c = neutron(s);
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await c.get('/networks')).status);
      return out;
    };
    const first = await run(sim);
    const other = await startOpenStackSim({ publicNetwork: false, seed: 42 });
    try {
      expect(await run(other)).toEqual(first);
    } finally {
      await other.close();
    }
    const failures = first.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(30);
    expect(sim.calls.count({ operation: 'networks.list', fault: 'error' })).toBe(failures);
  });

  it('answers 429 with Retry-After', async () => {
    sim.faults.add({ match: { operation: 'networks.create' }, status: 429, retryAfter: 7, times: 1 });
    sim.faults.add({ match: { operation: 'networks.list' }, status: 429, times: 1 });
    const create = await demo.post('/networks', { network: {} });
    expect(create.status).toBe(429);
    expect(create.headers.get('retry-after')).toBe('7');
    expect(networkCount()).toBe(0);
    expect((await demo.get('/networks')).headers.get('retry-after')).toBe('1');
  });

  it('limits the request rate: requests over the burst are answered 429 with Retry-After and not applied', async () => {
    sim.faults.limitRate({ qps: 1, burst: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await demo.post('/networks', { network: {} })).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(networkCount()).toBe(3);
    const limited = await demo.get('/networks');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toEqual({ NeutronError: { type: 'HTTPTooManyRequests', message: 'Too many requests, please retry later.', detail: '' } });
    sim.faults.limitRate(undefined);
    expect((await demo.get('/networks')).status).toBe(200);
  });

  it('adds latency', async () => {
    sim.faults.add({ match: { operation: 'networks.list' }, kind: 'latency', ms: 120, times: 1 });
    const t0 = performance.now();
    expect((await demo.get('/networks')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it('drops connections without applying the request', async () => {
    sim.faults.add({ match: { operation: 'networks.create' }, kind: 'drop', times: 1 });
    await expect(demo.post('/networks', { network: { name: 'x' } })).rejects.toThrow();
    expect(networkCount()).toBe(0);
    expect(sim.calls.list({ operation: 'networks.create' })).toMatchObject([{ status: 0, fault: 'drop', method: 'POST' }]);
    expect((await demo.post('/networks', { network: { name: 'x' } })).status).toBe(201);
  });

  it('holds a request, neither applied nor answered, until the client goes away', async () => {
    sim.faults.add({ match: { operation: 'networks.create' }, kind: 'hang', times: 1 });
    const client = new AbortController();
    const held = fetch(`${sim.networkUrl}/v2.0/networks`, {
      method: 'POST',
      headers: { 'X-Auth-Token': demo.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ network: { name: 'held' } }),
      signal: client.signal,
    });
    await until('the held request recorded', () => sim.calls.count({ fault: 'hang' }) === 1);
    client.abort();
    await expect(held).rejects.toThrow();
    expect(networkCount()).toBe(0);
    expect(sim.calls.list({ operation: 'networks.create' })).toMatchObject([{ status: 0, fault: 'hang', method: 'POST' }]);
    expect((await demo.post('/networks', { network: { name: 'held' } })).status).toBe(201);
  });

  it('applies a request and holds its answer until the client goes away', async () => {
    sim.faults.add({ match: { operation: 'networks.create' }, kind: 'hold-response', times: 1 });
    const client = new AbortController();
    const held = fetch(`${sim.networkUrl}/v2.0/networks`, {
      method: 'POST',
      headers: { 'X-Auth-Token': demo.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ network: { name: 'applied' } }),
      signal: client.signal,
    });
    await until('the applied request recorded', () => sim.calls.count({ fault: 'hold-response' }) === 1);
    expect([...sim.neutron.networks.values()].map((n) => n.name)).toEqual(['applied']);
    client.abort();
    await expect(held).rejects.toThrow();
    expect(sim.calls.list({ operation: 'networks.create' })).toMatchObject([{ status: 201, fault: 'hold-response', method: 'POST' }]);
  });

  it('loses the response of a create that happened in the cloud', async () => {
    sim.faults.add({ match: { method: 'POST', pathPattern: '/v2.0/networks' }, kind: 'lose-response', times: 1 });
    await expect(demo.post('/networks', { network: { name: 'lost' } })).rejects.toThrow();
    expect([...sim.neutron.networks.values()].map((n) => n.name)).toEqual(['lost']);
    expect(sim.calls.list({ operation: 'networks.create' })).toMatchObject([{ status: 201, fault: 'lose-response' }]);
    const again = await demo.get('/networks?name=lost');
    expect(again.body.networks).toHaveLength(1);
  });

  it('closes the connection halfway through the body of an applied request: the client sees the status, then an error', async () => {
    sim.faults.add({ match: { operation: 'networks.create' }, kind: 'truncate', times: 1 });
    const answer = await exchange(`${sim.networkUrl}/v2.0/networks`, 'POST', demo.token, { network: { name: 'cut' } });
    expect(answer).toMatchObject({ status: 201, ended: 'ECONNRESET' });
    expect(answer.received.length).toBeGreaterThan(0);
    expect(() => JSON.parse(answer.received)).toThrow();
    expect([...sim.neutron.networks.values()].map((n) => n.name)).toEqual(['cut']);
    expect(sim.calls.list({ operation: 'networks.create' })).toMatchObject([{ status: 201, fault: 'truncate' }]);
  });

  it('resets the connection of an applied request partway through its answer', async () => {
    sim.faults.add({ match: { operation: 'networks.create' }, kind: 'reset', times: 1 });
    // The RST may overtake the half answer sent before it: the client sees the reset, with or without a status.
    const answer = await exchange(`${sim.networkUrl}/v2.0/networks`, 'POST', demo.token, { network: { name: 'reset' } });
    expect(answer.ended).toBe('ECONNRESET');
    expect([...sim.neutron.networks.values()].map((n) => n.name)).toEqual(['reset']);
    expect(sim.calls.list({ operation: 'networks.create' })).toMatchObject([{ status: 201, fault: 'reset' }]);
  });

  it('sends a slow body in pieces over the time asked, whole', async () => {
    sim.faults.add({ match: { operation: 'networks.list' }, kind: 'slow-body', ms: 200, times: 1 });
    await demo.post('/networks', { network: { name: 'slow' } });
    const t0 = performance.now();
    const answer = await exchange(`${sim.networkUrl}/v2.0/networks`, 'GET', demo.token);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(answer).toMatchObject({ status: 200, ended: 'end' });
    expect(JSON.parse(answer.received).networks.map((n: { name: string }) => n.name)).toEqual(['slow']);
    expect(sim.calls.count({ fault: 'slow-body' })).toBe(1);
  });

  it('records every request with service, operation, status and query', async () => {
    const id = (await demo.post('/networks', { network: { name: 'a' } })).body.network.id;
    await demo.get(`/networks?name=a&name=b`);
    await demo.put(`/networks/${id}/tags/x`);
    await demo.get(`/networks/nope`);
    await call(`${sim.url}/v3`, 'GET');
    expect(sim.calls.summary({ service: 'network' })).toEqual({ 'networks.create': 1, 'networks.list': 1, 'networks.tags.add': 1, 'networks.show': 1 });
    expect(sim.calls.list({ operation: 'networks.list' })[0]).toMatchObject({ method: 'GET', path: '/networking/v2.0/networks', query: { name: ['a', 'b'] }, status: 200, service: 'network' });
    expect(sim.calls.count({ status: 404 })).toBe(1);
    expect(sim.calls.count({ service: 'identity', operation: 'version' })).toBe(1);
    expect(sim.calls.count({ method: 'PUT', path: /\/tags\// })).toBe(1);
    sim.calls.reset();
    expect(sim.calls.count()).toBe(0);
  });
});
