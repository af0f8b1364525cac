import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExoscaleSim, type CallRecord, type ExoscaleSim } from '../../../dev/sim/exoscale/index.ts';
import { expectCallsValid } from '../../support/exoscale-spec.ts';
import { exoscale, settle, type Client, type Reply } from './client.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('Exoscale simulator: private networks', () => {
  let sim: ExoscaleSim;
  let api: Client;
  /** Requests these tests break on purpose: the spec validator must find them invalid. */
  let invalid: Set<CallRecord>;
  beforeEach(async () => {
    sim = await startExoscaleSim({ operationPolls: 0 });
    api = exoscale(sim);
    invalid = new Set();
  });
  afterEach(async () => {
    expectCallsValid(sim.calls, { invalidRequest: (call) => invalid.has(call) });
    await sim.close();
  });

  const breaking = async (request: Promise<Reply>): Promise<Reply> => {
    const from = sim.calls.records.length;
    const reply = await request;
    for (const call of sim.calls.records.slice(from)) invalid.add(call);
    return reply;
  };

  const create = async (body: unknown): Promise<string> => {
    const reply = await api.post('/private-network', body);
    expect(reply.status).toBe(200);
    expect((await settle(api, reply.body.id)).body.state).toBe('success');
    return reply.body.reference.id;
  };

  it('creates a network without a DHCP range: unmanaged, no leases', async () => {
    const reply = await api.post('/private-network', { name: 'plain', description: 'no DHCP', labels: { team: 'net' } });
    expect(reply.body).toEqual({ id: expect.stringMatching(UUID), state: 'pending', reference: { id: expect.stringMatching(UUID), link: `/v2/private-network/${reply.body.reference.id}`, command: 'get-private-network' } });
    const id = reply.body.reference.id;
    // In the model at once, labels and all, while the operation is still pending.
    expect((await api.get(`/private-network/${id}`)).body).toEqual({ id, name: 'plain', description: 'no DHCP', labels: { team: 'net' }, vni: 1 });
    expect((await settle(api, reply.body.id)).body).toEqual({ id: reply.body.id, state: 'success', reference: reply.body.reference });
  });

  it('creates a managed network with its range and options; VNIs are unique per zone', async () => {
    const options = { routers: ['10.0.0.1'], 'dns-servers': ['10.0.0.2'], 'ntp-servers': ['10.0.0.3'], 'domain-search': ['example.net'] };
    const id = await create({ name: 'dhcp', 'start-ip': '10.0.0.10', 'end-ip': '10.0.0.20', netmask: '255.255.255.0', options });
    const second = await create({ name: 'other' });
    expect((await api.get(`/private-network/${id}`)).body).toEqual({ id, name: 'dhcp', 'start-ip': '10.0.0.10', 'end-ip': '10.0.0.20', netmask: '255.255.255.0', options, vni: 1, leases: [] });
    const list = await api.get('/private-network');
    expect(list.body['private-networks'].map((n: { id: string; vni: number }) => [n.id, n.vni])).toEqual([[id, 1], [second, 2]]);
    // Resources live in one zone.
    expect((await exoscale(sim, 'de-fra-1').get('/private-network')).body).toEqual({ 'private-networks': [] });
    expect((await exoscale(sim, 'de-fra-1').get(`/private-network/${id}`)).status).toBe(404);
  });

  it('updates the fields given, options and labels replaced as a whole', async () => {
    const id = await create({ name: 'n', description: 'd', labels: { a: '1', b: '2' }, options: { routers: ['10.0.0.1'], 'dns-servers': ['10.0.0.2'] } });
    const reply = await api.put(`/private-network/${id}`, { name: 'renamed', labels: { c: '3' }, options: { 'ntp-servers': ['10.0.0.3'] } });
    expect(reply.body).toMatchObject({ state: 'pending', reference: { id } });
    expect((await api.get(`/private-network/${id}`)).body).toEqual({ id, name: 'renamed', description: 'd', labels: { c: '3' }, options: { 'ntp-servers': ['10.0.0.3'] }, vni: 1 });
    await api.put(`/private-network/${id}`, { 'start-ip': '192.168.1.1', 'end-ip': '192.168.1.254', netmask: '255.255.255.0' });
    expect((await api.get(`/private-network/${id}`)).body).toMatchObject({ 'start-ip': '192.168.1.1', 'end-ip': '192.168.1.254', netmask: '255.255.255.0', leases: [] });
  });

  it('resets labels, and deletes', async () => {
    const id = await create({ name: 'n', labels: { a: '1' } });
    expect((await api.del(`/private-network/${id}/labels`)).body).toMatchObject({ state: 'pending', reference: { id } });
    expect((await api.get(`/private-network/${id}`)).body).toEqual({ id, name: 'n', vni: 1 });
    const deleted = await api.del(`/private-network/${id}`);
    expect(deleted.body).toMatchObject({ state: 'pending', reference: { id } });
    expect((await settle(api, deleted.body.id)).body.state).toBe('success');
    expect((await api.get(`/private-network/${id}`)).status).toBe(404);
    expect((await api.get('/private-network')).body).toEqual({ 'private-networks': [] });
    expect(sim.calls.summary()).toMatchObject({ 'create-private-network': 1, 'reset-private-network-field': 1, 'delete-private-network': 1, 'get-operation': 2 });
  });

  it('answers 404 with a classic body for unknown networks, operations and paths', async () => {
    for (const reply of [await api.get(`/private-network/${MISSING}`), await api.put(`/private-network/${MISSING}`, { name: 'x' }), await api.del(`/private-network/${MISSING}`), await api.del(`/private-network/${MISSING}/labels`)]) {
      expect(reply).toMatchObject({ status: 404, body: { message: `private network ${MISSING} not found` } });
    }
    expect(await api.get(`/operation/${MISSING}`)).toMatchObject({ status: 404, body: { message: `operation ${MISSING} not found` } });
    expect(await breaking(api.get('/no-such-thing'))).toMatchObject({ status: 404, body: { message: 'no such API operation: GET /ch-gva-2/v2/no-such-thing' } });
  });

  it('refuses bodies that break the spec with RFC 9457 problem details', async () => {
    const bad = { name: '', 'start-ip': '10.0.0.300', labels: { a: 1 }, options: { routers: ['router'] } };
    const reply = await breaking(api.post('/private-network', bad));
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, detail: expect.stringContaining('body.name') });
    expect(reply.body.errors).toEqual([
      { location: 'body.name', detail: 'must NOT have fewer than 1 characters' },
      { location: 'body.start-ip', detail: 'must match format "ipv4"' },
      { location: 'body.labels.a', detail: 'must be string' },
      { location: 'body.options.routers.0', detail: 'must match format "ipv4"' },
    ]);
    expect((await breaking(api.post('/private-network', { description: 'x'.repeat(256) }))).body.errors).toEqual([
      { location: 'body.name', detail: 'must have required property \'name\'' },
      { location: 'body.description', detail: 'must NOT have more than 255 characters' },
    ]);
    expect((await breaking(api.get('/private-network/not-a-uuid'))).body.errors).toEqual([{ location: 'path.id', detail: 'must match format "uuid"' }]);
    const id = await create({ name: 'n' });
    expect((await breaking(api.del(`/private-network/${id}/name`))).body.errors).toEqual([{ location: 'path.field', detail: 'must be equal to one of the allowed values: "labels"' }]);
    // Unknown properties are ignored, as the API probably does (the spec validator still flags them).
    expect((await breaking(api.post('/private-network', { name: 'extra', vni: 7 }))).status).toBe(200);
    expect([...sim.zone().networks.values()].find((n) => n.name === 'extra')?.vni).toBe(2);
    expect(sim.zone().networks.size).toBe(2);
  });

  it('refuses ranges that are no range: 400 with a classic body', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'n', 'start-ip': '10.0.0.1', 'end-ip': '10.0.0.9' }, 'start-ip, end-ip and netmask must be set together (a managed network)'],
      [{ name: 'n', 'start-ip': '10.0.0.9', 'end-ip': '10.0.0.1', netmask: '255.255.255.0' }, 'start-ip 10.0.0.9 is after end-ip 10.0.0.1'],
      [{ name: 'n', 'start-ip': '10.0.0.9', 'end-ip': '10.0.1.1', netmask: '255.255.255.0' }, 'end-ip 10.0.1.1 is outside the network 10.0.0.0/24 of start-ip'],
      [{ name: 'n', 'start-ip': '10.0.0.1', 'end-ip': '10.0.0.9', netmask: '255.0.255.0' }, 'netmask 255.0.255.0 is not a valid netmask'],
    ];
    for (const [body, message] of cases) expect(await api.post('/private-network', body)).toMatchObject({ status: 400, body: { message } });
    const id = await create({ name: 'n', 'start-ip': '10.0.0.1', 'end-ip': '10.0.0.9', netmask: '255.255.255.0' });
    expect(await api.put(`/private-network/${id}`, { 'end-ip': '10.0.0.0' })).toMatchObject({ status: 400, body: { message: 'start-ip 10.0.0.1 is after end-ip 10.0.0.0' } });
    expect(sim.zone().networks.size).toBe(1);
  });
});
