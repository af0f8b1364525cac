import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorization } from '../../../src/cloud/exoscale/signing.ts';
import { DEFAULT_CREDENTIALS, ManualClock, startExoscaleSim, type ExoscaleSim } from '../../../dev/sim/exoscale/index.ts';
import { expectCallsValid } from '../../support/exoscale-spec.ts';
import { exoscale, send, sign } from './client.ts';

describe('Exoscale simulator: request signatures', () => {
  let sim: ExoscaleSim;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 5, 1));
    sim = await startExoscaleSim({ clock, credentials: [DEFAULT_CREDENTIALS, { key: 'EXO000000000000000000000002', secret: 'Y'.repeat(43) }] });
  });
  afterEach(async () => {
    expectCallsValid(sim.calls);
    const secrets = [DEFAULT_CREDENTIALS.secret, 'Y'.repeat(43)];
    for (const call of sim.calls.records) for (const secret of secrets) expect(JSON.stringify(call.responseBody) ?? '').not.toContain(secret);
    await sim.close();
  });

  const zones = (): string => `${sim.endpoint()}/zone`;

  it('accepts a request signed by the operator\'s signing code, with any accepted key', async () => {
    expect(await exoscale(sim).get('/zone')).toMatchObject({ status: 200, body: { zones: expect.arrayContaining([{ name: 'ch-gva-2', 'api-endpoint': sim.endpoint('ch-gva-2'), 'sos-endpoint': 'https://sos-ch-gva-2.exo.io' }]) } });
    expect((await exoscale(sim, 'de-fra-1', { key: 'EXO000000000000000000000002', secret: 'Y'.repeat(43) }).get('/zone')).status).toBe(200);
  });

  it('signs the single-valued query parameters it lists', async () => {
    const url = `${sim.endpoint()}/instance?manager-type=instance-pool&labels=a%3Db`;
    const auth = sign(sim.credentials, 'GET', url, undefined, clock.now());
    expect(auth).toContain('signed-query-args=labels;manager-type');
    expect(await send(url, 'GET', { authorization: auth })).toMatchObject({ status: 200, body: { instances: [] } });
  });

  it('refuses a missing or garbled header', async () => {
    expect(await send(zones(), 'GET')).toEqual(expect.objectContaining({ status: 403, body: { message: 'missing Authorization header' } }));
    const garbled = await send(zones(), 'GET', { authorization: 'EXO2-HMAC-SHA256 credential=EXO1' });
    expect(garbled).toMatchObject({ status: 403, body: { message: expect.stringMatching(/^malformed Authorization header/) } });
    expect((await send(zones(), 'GET', { authorization: 'Bearer x' })).status).toBe(403);
  });

  it('refuses a wrong secret, an unknown key, an expired signature', async () => {
    const wrongSecret = sign({ key: DEFAULT_CREDENTIALS.key, secret: 'Z'.repeat(43) }, 'GET', zones(), undefined, clock.now());
    expect(await send(zones(), 'GET', { authorization: wrongSecret })).toMatchObject({ status: 403, body: { message: 'invalid request signature' } });
    const unknownKey = sign({ key: 'EXO999999999999999999999999', secret: DEFAULT_CREDENTIALS.secret }, 'GET', zones(), undefined, clock.now());
    expect(await send(zones(), 'GET', { authorization: unknownKey })).toMatchObject({ status: 403, body: { message: 'unknown API key EXO999999999999999999999999' } });
    const signed = sign(sim.credentials, 'GET', zones(), undefined, clock.now());
    clock.advance(601_000);
    expect(await send(zones(), 'GET', { authorization: signed })).toMatchObject({ status: 403, body: { message: expect.stringMatching(/^request expired at /) } });
  });

  it('refuses a tampered body, path, or signed query value', async () => {
    const url = `${sim.endpoint()}/private-network`;
    const auth = sign(sim.credentials, 'POST', url, JSON.stringify({ name: 'a' }), clock.now());
    expect(await send(url, 'POST', { authorization: auth, body: JSON.stringify({ name: 'b' }) })).toMatchObject({ status: 403, body: { message: 'invalid request signature' } });
    // Another zone is another path: the zone prefix is signed.
    const other = sign(sim.credentials, 'GET', zones(), undefined, clock.now());
    expect((await send(`${sim.endpoint('de-fra-1')}/zone`, 'GET', { authorization: other })).status).toBe(403);
    const query = `${sim.endpoint()}/instance?labels=a`;
    const signedQuery = sign(sim.credentials, 'GET', query, undefined, clock.now());
    expect(await send(`${sim.endpoint()}/instance?labels=b`, 'GET', { authorization: signedQuery })).toMatchObject({ status: 403, body: { message: 'invalid request signature' } });
    expect(sim.zone().networks.size).toBe(0);
  });

  it('checks the signature of the body bytes as sent', async () => {
    const url = `${sim.endpoint()}/private-network`;
    const body = '{ "name" : "spaced" }';
    const auth = authorization(sim.credentials.key, sim.credentials.secret, { method: 'POST', url: new URL(url), body: Buffer.from(body) }, Math.floor(clock.now() / 1000) + 60);
    expect((await send(url, 'POST', { authorization: auth, body })).status).toBe(200);
  });
});
