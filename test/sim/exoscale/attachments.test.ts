import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExoscaleSim, type ExoscaleSim } from '../../../dev/sim/exoscale/index.ts';
import { expectCallsValid } from '../../support/exoscale-spec.ts';
import { exoscale, settle, type Client } from './client.ts';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('Exoscale simulator: instances on private networks', () => {
  let sim: ExoscaleSim;
  let api: Client;
  let web: string;
  let db: string;
  beforeEach(async () => {
    sim = await startExoscaleSim({ operationPolls: 0 });
    api = exoscale(sim);
    web = sim.zone().addInstance({ name: 'web' });
    db = sim.zone().addInstance({ name: 'db', state: 'stopped' });
  });
  afterEach(async () => {
    expectCallsValid(sim.calls);
    await sim.close();
  });

  const create = async (body: unknown): Promise<string> => (await api.post('/private-network', body)).body.reference.id;
  const managed = (): Promise<string> => create({ name: 'managed', 'start-ip': '10.0.0.10', 'end-ip': '10.0.0.12', netmask: '255.255.255.0' });
  const attach = (net: string, body: unknown) => api.put(`/private-network/${net}:attach`, body);
  const leases = async (net: string): Promise<unknown> => (await api.get(`/private-network/${net}`)).body.leases;

  it('lists and shows seeded instances; unknown ones are 404', async () => {
    const list = await api.get('/instance');
    expect(list.body.instances).toEqual([
      { id: web, name: 'web', state: 'running', 'created-at': expect.any(String), 'private-networks': [] },
      { id: db, name: 'db', state: 'stopped', 'created-at': expect.any(String), 'private-networks': [] },
    ]);
    expect((await api.get(`/instance/${db}`)).body).toMatchObject({ id: db, name: 'db' });
    expect(await api.get(`/instance/${MISSING}`)).toMatchObject({ status: 404, body: { message: `instance ${MISSING} not found` } });
    expect((await exoscale(sim, 'de-fra-1').get(`/instance/${web}`)).status).toBe(404);
  });

  it('leases the address asked for, or the first free one, on a managed network', async () => {
    const net = await managed();
    const op = await attach(net, { instance: { id: web }, ip: '10.0.0.11' });
    expect(op.body).toMatchObject({ state: 'pending', reference: { id: net } });
    expect((await settle(api, op.body.id)).body.state).toBe('success');
    await attach(net, { instance: { id: db } });
    expect(await leases(net)).toEqual([{ ip: '10.0.0.11', 'instance-id': web }, { ip: '10.0.0.10', 'instance-id': db }]);
    const shown = (await api.get(`/instance/${web}`)).body;
    expect(shown['private-networks']).toEqual([{ id: net, 'mac-address': expect.stringMatching(/^0a(:[0-9a-f]{2}){5}$/) }]);

    await api.put(`/private-network/${net}:update-ip`, { instance: { id: db }, ip: '10.0.0.12' });
    expect(await leases(net)).toEqual([{ ip: '10.0.0.11', 'instance-id': web }, { ip: '10.0.0.12', 'instance-id': db }]);
    await api.put(`/private-network/${net}:detach`, { instance: { id: web } });
    expect(await leases(net)).toEqual([{ ip: '10.0.0.12', 'instance-id': db }]);
    expect((await api.get(`/instance/${web}`)).body['private-networks']).toEqual([]);
  });

  it('refuses addresses outside the range or leased, and a full range', async () => {
    const net = await managed();
    expect(await attach(net, { instance: { id: web }, ip: '10.0.0.13' })).toMatchObject({ status: 400, body: { message: `IP address 10.0.0.13 is outside the range 10.0.0.10-10.0.0.12 of private network ${net}` } });
    await attach(net, { instance: { id: web }, ip: '10.0.0.10' });
    expect(await attach(net, { instance: { id: db }, ip: '10.0.0.10' })).toMatchObject({ status: 409, body: { message: `IP address 10.0.0.10 is already leased to instance ${web} on private network ${net}` } });
    expect(await api.put(`/private-network/${net}:update-ip`, { instance: { id: db }, ip: '10.0.0.11' })).toMatchObject({ status: 409, body: { message: `instance ${db} is not attached to private network ${net}` } });
    await attach(net, { instance: { id: db } });
    expect(await api.put(`/private-network/${net}:update-ip`, { instance: { id: db }, ip: '10.0.0.10' })).toMatchObject({ status: 409 });
    expect(await api.put(`/private-network/${net}:update-ip`, { instance: { id: db } })).toMatchObject({ status: 400, body: { message: 'ip is required' } });
    const third = sim.zone().addInstance({ name: 'third' });
    await attach(net, { instance: { id: third } });
    const fourth = sim.zone().addInstance({ name: 'fourth' });
    expect(await attach(net, { instance: { id: fourth } })).toMatchObject({ status: 409, body: { message: `private network ${net} has no free address left in 10.0.0.10-10.0.0.12` } });
    expect(await leases(net)).toEqual([{ ip: '10.0.0.10', 'instance-id': web }, { ip: '10.0.0.11', 'instance-id': db }, { ip: '10.0.0.12', 'instance-id': third }]);
  });

  it('takes no lease on an unmanaged network, and refuses an address there', async () => {
    const net = await create({ name: 'plain' });
    expect(await attach(net, { instance: { id: web }, ip: '10.0.0.1' })).toMatchObject({ status: 400, body: { message: `private network ${net} is not managed: no IP address can be leased on it` } });
    expect((await attach(net, { instance: { id: web } })).status).toBe(200);
    expect((await api.get(`/private-network/${net}`)).body).not.toHaveProperty('leases');
    expect(sim.zone().networks.get(net)?.attachments.has(web)).toBe(true);
    expect(await api.put(`/private-network/${net}:update-ip`, { instance: { id: web }, ip: '10.0.0.1' })).toMatchObject({ status: 400 });
    // Making it managed would leave the attached instance without a lease.
    expect(await api.put(`/private-network/${net}`, { 'start-ip': '10.0.0.10', 'end-ip': '10.0.0.12', netmask: '255.255.255.0' })).toMatchObject({ status: 409 });
  });

  it('refuses attaching twice, detaching what is not attached, unknown instances and networks', async () => {
    const net = await managed();
    await attach(net, { instance: { id: web } });
    expect(await attach(net, { instance: { id: web } })).toMatchObject({ status: 409, body: { message: `instance ${web} is already attached to private network ${net}` } });
    expect(await api.put(`/private-network/${net}:detach`, { instance: { id: db } })).toMatchObject({ status: 409, body: { message: `instance ${db} is not attached to private network ${net}` } });
    expect(await attach(net, { instance: { id: MISSING } })).toMatchObject({ status: 404, body: { message: `instance ${MISSING} not found` } });
    expect(await api.put(`/private-network/${net}:detach`, { instance: { id: MISSING } })).toMatchObject({ status: 404 });
    expect(await attach(MISSING, { instance: { id: web } })).toMatchObject({ status: 404, body: { message: `private network ${MISSING} not found` } });
    expect(await attach(net, { instance: {} })).toMatchObject({ status: 400, body: { message: 'instance.id is required' } });
    // A range that would leave a lease outside it.
    expect(await api.put(`/private-network/${net}`, { 'start-ip': '10.0.0.11' })).toMatchObject({ status: 409 });
  });

  it('refuses deleting a network in use, and deletes it once detached', async () => {
    const net = await managed();
    await attach(net, { instance: { id: web } });
    expect(await api.del(`/private-network/${net}`)).toMatchObject({ status: 409, body: { message: `private network ${net} (managed) is in use: attached to instance(s) ${web}` } });
    await api.put(`/private-network/${net}:detach`, { instance: { id: web } });
    expect((await api.del(`/private-network/${net}`)).status).toBe(200);
    expect(sim.zone().networks.size).toBe(0);
  });

  it('leaves attachments unchanged when their operation fails', async () => {
    const net = await managed();
    sim.zone().failNextOperation({ operation: 'attach-instance-to-private-network', reason: 'busy', message: 'try later' });
    const failed = await attach(net, { instance: { id: web } });
    expect((await settle(api, failed.body.id)).body).toMatchObject({ state: 'failure', reason: 'busy', message: 'try later' });
    expect(await leases(net)).toEqual([]);
    await attach(net, { instance: { id: web } });
    sim.zone().failNextOperation({ operation: 'detach-instance-from-private-network' });
    const detach = await api.put(`/private-network/${net}:detach`, { instance: { id: web } });
    expect((await settle(api, detach.body.id)).body).toEqual({ id: detach.body.id, state: 'failure', reference: detach.body.reference });
    expect(await leases(net)).toEqual([{ ip: '10.0.0.10', 'instance-id': web }]);
  });
});
