import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExoscaleSim, type ExoscaleSim } from '../../../dev/sim/exoscale/index.ts';
import { expectCallsValid } from '../../support/exoscale-spec.ts';
import { until } from '../../support/wait.ts';
import { exoscale, send, sign, type Client } from './client.ts';

describe('Exoscale simulator: fault injection and call accounting', () => {
  let sim: ExoscaleSim;
  let api: Client;
  beforeEach(async () => {
    sim = await startExoscaleSim({ seed: 7, operationPolls: 0 });
    api = exoscale(sim);
  });
  afterEach(async () => {
    expectCallsValid(sim.calls);
    await sim.close();
  });

  it('fails matching requests a number of times with a classic body; 429 gets Retry-After', async () => {
    const fault = sim.faults.add({ match: { operation: 'list-private-networks', zone: 'ch-gva-2' }, status: 503, times: 2 });
    expect(await api.get('/private-network')).toMatchObject({ status: 503, body: { message: 'Injected fault: HTTP 503.' } });
    expect((await exoscale(sim, 'de-fra-1').get('/private-network')).status).toBe(200);
    expect((await api.get('/private-network')).status).toBe(503);
    expect((await api.get('/private-network')).status).toBe(200);
    expect(fault.hits).toBe(2);
    sim.faults.add({ match: { method: 'POST', pathPattern: '/private-network' }, status: 429, retryAfter: 5, times: 1 });
    const limited = await api.post('/private-network', { name: 'n' });
    expect(limited).toMatchObject({ status: 429, body: { message: 'Too many requests, please retry later.' } });
    expect(limited.headers.get('retry-after')).toBe('5');
    expect(sim.zone().networks.size).toBe(0);
    sim.faults.add({ match: { operation: /^get-/ }, status: 500, body: { message: 'boom' }, times: 1 });
    expect(await api.get('/zone')).toMatchObject({ status: 200 });
    expect(await api.get(`/instance/${sim.zone().addInstance({ name: 'i' })}`)).toMatchObject({ status: 500, body: { message: 'boom' } });
  });

  it('draws rates from the seeded PRNG: the same seed, the same sequence', async () => {
    const run = async (s: ExoscaleSim): Promise<number[]> => {
      s.faults.add({ match: { operation: 'list-zones' }, status: 500, rate: 0.4 });
      const client = exoscale(s);
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await client.get('/zone')).status);
      return out;
    };
    const first = await run(sim);
    const other = await startExoscaleSim({ seed: 7 });
    try {
      expect(await run(other)).toEqual(first);
    } finally {
      await other.close();
    }
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  it('adds latency, drops, loses and holds responses', async () => {
    sim.faults.add({ match: { operation: 'list-zones' }, kind: 'latency', ms: 100, times: 1 });
    const t0 = performance.now();
    expect((await api.get('/zone')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);

    sim.faults.add({ match: { operation: 'create-private-network' }, kind: 'drop', times: 1 });
    await expect(api.post('/private-network', { name: 'dropped' })).rejects.toThrow();
    expect(sim.zone().networks.size).toBe(0);

    sim.faults.add({ match: { operation: 'create-private-network' }, kind: 'lose-response', times: 1 });
    await expect(api.post('/private-network', { name: 'lost' })).rejects.toThrow();
    expect([...sim.zone().networks.values()].map((n) => n.name)).toEqual(['lost']);
    expect(sim.calls.list({ fault: 'lose-response' })).toMatchObject([{ status: 200, responseBody: { state: 'pending' } }]);

    sim.faults.add({ match: { operation: 'create-private-network' }, kind: 'hold-response', times: 1 });
    const client = new AbortController();
    const url = `${sim.endpoint()}/private-network`;
    const body = JSON.stringify({ name: 'held' });
    const held = send(url, 'POST', { authorization: sign(sim.credentials, 'POST', url, body, sim.clock.now()), body, signal: client.signal });
    await until('the held create applied', () => sim.calls.count({ fault: 'hold-response' }) === 1);
    expect([...sim.zone().networks.values()].map((n) => n.name)).toEqual(['lost', 'held']);
    client.abort();
    await expect(held).rejects.toThrow();
  });

  it('hangs a request, neither applied nor answered, until the client goes away', async () => {
    sim.faults.add({ match: { operation: 'create-private-network' }, kind: 'hang', times: 1 });
    const client = new AbortController();
    const url = `${sim.endpoint()}/private-network`;
    const body = JSON.stringify({ name: 'hung' });
    const hung = send(url, 'POST', { authorization: sign(sim.credentials, 'POST', url, body, sim.clock.now()), body, signal: client.signal });
    await until('the hung request recorded', () => sim.calls.count({ fault: 'hang' }) === 1);
    client.abort();
    await expect(hung).rejects.toThrow();
    expect(sim.zone().networks.size).toBe(0);
    expect(sim.calls.list({ fault: 'hang' })).toMatchObject([{ status: 0, method: 'POST', operation: 'create-private-network', requestBody: { name: 'hung' } }]);
  });

  it('records zone, operation, query and both bodies of every exchange', async () => {
    const id = (await api.post('/private-network', { name: 'a', labels: { k: 'v' } })).body.reference.id;
    await exoscale(sim, 'at-vie-2').get('/private-network');
    await api.get(`/instance?labels=${encodeURIComponent('k=v')}`);
    await send(`${sim.endpoint()}/zone`, 'GET');
    expect(sim.calls.summary()).toEqual({ 'create-private-network': 1, 'list-private-networks': 1, 'list-instances': 1, 'list-zones': 1 });
    expect(sim.calls.list({ operation: 'create-private-network' })).toEqual([
      {
        method: 'POST',
        path: '/ch-gva-2/v2/private-network',
        query: {},
        zone: 'ch-gva-2',
        operation: 'create-private-network',
        requestBody: { name: 'a', labels: { k: 'v' } },
        status: 200,
        responseBody: { id: expect.any(String), state: 'pending', reference: { id, link: `/v2/private-network/${id}`, command: 'get-private-network' } },
        at: expect.any(Number),
      },
    ]);
    expect(sim.calls.list({ zone: 'at-vie-2' })).toMatchObject([{ operation: 'list-private-networks', responseBody: { 'private-networks': [] } }]);
    expect(sim.calls.list({ operation: 'list-instances' })).toMatchObject([{ query: { labels: 'k=v' } }]);
    expect(sim.calls.list({ status: 403 })).toMatchObject([{ operation: 'list-zones', responseBody: { message: 'missing Authorization header' } }]);
    sim.calls.reset();
    expect(sim.calls.count()).toBe(0);
  });
});
