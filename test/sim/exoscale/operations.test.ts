import { afterEach, describe, expect, it } from 'vitest';
import { startExoscaleSim, type ExoscaleSim } from '../../../dev/sim/exoscale/index.ts';
import { expectCallsValid } from '../../support/exoscale-spec.ts';
import { exoscale, settle } from './client.ts';

describe('Exoscale simulator: operations', () => {
  let sim: ExoscaleSim;
  afterEach(async () => {
    expectCallsValid(sim.calls);
    await sim.close();
  });

  it('stays pending for one poll by default, then succeeds', async () => {
    sim = await startExoscaleSim();
    const api = exoscale(sim);
    const op = (await api.post('/private-network', { name: 'n' })).body;
    expect((await api.get(`/operation/${op.id}`)).body).toEqual({ id: op.id, state: 'pending', reference: op.reference });
    expect((await api.get(`/operation/${op.id}`)).body).toEqual({ id: op.id, state: 'success', reference: op.reference });
    expect((await api.get(`/operation/${op.id}`)).body.state).toBe('success');
  });

  it.each([0, 3])('stays pending for operationPolls %i poll(s)', async (polls) => {
    sim = await startExoscaleSim({ operationPolls: polls });
    const api = exoscale(sim);
    const op = (await api.post('/private-network', { name: 'n' })).body;
    const states: string[] = [];
    for (let i = 0; i <= polls; i++) states.push((await api.get(`/operation/${op.id}`)).body.state);
    expect(states).toEqual([...Array<string>(polls).fill('pending'), 'success']);
  });

  it('fails the next matching mutation on request: a failed create leaves no network', async () => {
    sim = await startExoscaleSim({ operationPolls: 0 });
    const api = exoscale(sim);
    sim.zone().failNextOperation({ operation: 'create-private-network', reason: 'unavailable', message: 'no capacity' });
    const failed = (await api.post('/private-network', { name: 'doomed' })).body;
    expect(failed).toMatchObject({ state: 'pending', reference: { id: expect.any(String) } });
    expect((await api.get(`/private-network/${failed.reference.id}`)).status).toBe(404);
    expect((await settle(api, failed.id)).body).toEqual({ id: failed.id, state: 'failure', reason: 'unavailable', message: 'no capacity', reference: failed.reference });
    expect((await api.get('/private-network')).body).toEqual({ 'private-networks': [] });
    // Consumed: the next create succeeds.
    const next = (await api.post('/private-network', { name: 'fine' })).body;
    expect((await settle(api, next.id)).body.state).toBe('success');
  });

  it('leaves the network unchanged when an update fails, and can end in timeout', async () => {
    sim = await startExoscaleSim({ operationPolls: 0 });
    const api = exoscale(sim);
    const id = (await api.post('/private-network', { name: 'n', labels: { a: '1' } })).body.reference.id;
    const other = (await api.post('/private-network', { name: 'other' })).body.reference.id;
    sim.zone().failNextOperation({ reference: id, reason: 'conflict', message: 'busy elsewhere' });
    // Matched by reference: the other network's update is not the one failing.
    expect((await settle(api, (await api.put(`/private-network/${other}`, { name: 'other2' })).body.id)).body.state).toBe('success');
    const update = await api.put(`/private-network/${id}`, { name: 'renamed', labels: {} });
    expect((await settle(api, update.body.id)).body).toMatchObject({ state: 'failure', reason: 'conflict', message: 'busy elsewhere' });
    expect((await api.get(`/private-network/${id}`)).body).toMatchObject({ name: 'n', labels: { a: '1' } });

    sim.zone().failNextOperation({ state: 'timeout' });
    const deleted = await api.del(`/private-network/${id}`);
    expect((await settle(api, deleted.body.id)).body).toEqual({ id: deleted.body.id, state: 'timeout', reference: deleted.body.reference });
    expect((await api.get(`/private-network/${id}`)).status).toBe(200);
  });

  it('keeps operations in their zone', async () => {
    sim = await startExoscaleSim({ operationPolls: 0 });
    const op = (await exoscale(sim, 'at-vie-1').post('/private-network', { name: 'n' })).body;
    expect((await exoscale(sim, 'ch-gva-2').get(`/operation/${op.id}`)).status).toBe(404);
    expect((await exoscale(sim, 'at-vie-1').get(`/operation/${op.id}`)).body.state).toBe('success');
    expect(sim.zone('at-vie-1').operations.byId.get(op.id)).toMatchObject({ command: 'create-private-network', polls: 1 });
  });
});
