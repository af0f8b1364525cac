// PrivateNetwork on the Exoscale simulator: the whole lifecycle through asynchronous operations, every
// exchange checked against Exoscale's OpenAPI spec when the scenario closes (exoscale-harness.ts). There
// is no real Exoscale here: the real tier (CLOUDNET_TEST_BACKEND=real) skips this file.
import { readFileSync, readdirSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../dev/sim/exoscale/index.ts';
import { condition, realCloud, until, type Obj } from './harness.ts';
import { privateNetwork, useExoscaleScenarios, type ExoscaleScenario } from './exoscale-harness.ts';

const { start } = useExoscaleScenarios();

const DHCP = { startIP: '10.0.0.20', endIP: '10.0.0.200', netmask: '255.255.255.0' };

/** The simulator's network of a Ready object. */
const inCloud = (s: ExoscaleScenario, obj: Obj) => s.zone.networks.get(obj.status!.id as string);

const ownerLabels = (obj: Obj) => ({ 'cloudnet-managed': 'true', 'cloudnet-uid': obj.metadata!.uid! });

describe.skipIf(realCloud)('PrivateNetwork', () => {
  it('creates a network without DHCP (an instance attached) and one with managed DHCP, reports them, and deletes them', async () => {
    const s = await start();
    const db = s.zone.addInstance({ name: 'db' });
    await s.apply(privateNetwork('plain', { resource: { instances: [{ name: 'db' }] } }));
    await s.apply(privateNetwork('dhcp', { resource: { name: 'backend', description: 'Backend', labels: { team: 'a' }, ...DHCP, dhcpOptions: { dnsServers: ['10.0.0.1'], domainSearch: ['example.org'] } } }));
    const plain = (await s.waitFor('PrivateNetwork', 'plain', (o) => condition(o, 'Ready')?.status === 'True' && o?.status?.resource?.leases?.length === 1))!;
    const dhcp = await s.waitReady('PrivateNetwork', 'dhcp');
    // Without managed DHCP an attached instance has no lease address.
    expect(plain.status!.resource).toMatchObject({ name: 'plain', zone: 'ch-gva-2', vni: expect.any(Number), leases: [{ instanceID: db }] });
    expect(plain.status!.resource.startIP).toBeUndefined();
    expect(dhcp.status!.resource).toMatchObject({ name: 'backend', description: 'Backend', labels: { team: 'a', ...ownerLabels(dhcp) }, ...DHCP, dhcpOptions: { dnsServers: ['10.0.0.1'], domainSearch: ['example.org'] } });
    expect(inCloud(s, dhcp)).toMatchObject({ name: 'backend', 'start-ip': '10.0.0.20', labels: { team: 'a', ...ownerLabels(dhcp) } });
    // The marks went in the create: no second call for them, and no create intent.
    expect(s.calls.count({ method: 'POST' })).toBe(2);
    expect(s.calls.count({ operation: 'update-private-network' })).toBe(0);
    expect(condition(dhcp, 'Ready')?.message).toBe(`PrivateNetwork ${dhcp.status!.id} is available`);
    await s.delete('PrivateNetwork', 'plain');
    await s.delete('PrivateNetwork', 'dhcp');
    await s.waitGone('PrivateNetwork', 'plain');
    await s.waitGone('PrivateNetwork', 'dhcp');
    expect(s.zone.networks.size).toBe(0);
  });

  it('updates description, labels and DHCP options in place, and clears labels and options', async () => {
    const s = await start();
    await s.apply(privateNetwork('n', { resource: { labels: { team: 'a' }, ...DHCP, dhcpOptions: { dnsServers: ['10.0.0.1'] } } }));
    const created = await s.waitReady('PrivateNetwork', 'n');
    await s.apply(privateNetwork('n', { resource: { description: 'changed', labels: { team: 'b', env: 'prod' }, ...DHCP, endIP: '10.0.0.250', dhcpOptions: { dnsServers: ['10.0.0.2'], ntpServers: ['10.0.0.3'] } } }));
    await s.waitFor('PrivateNetwork', 'n', (o) => o?.status?.resource?.endIP === '10.0.0.250' && o.status.resource.labels?.env === 'prod' && condition(o, 'Ready')?.status === 'True');
    expect(inCloud(s, created)).toMatchObject({
      description: 'changed',
      'end-ip': '10.0.0.250',
      labels: { team: 'b', env: 'prod', ...ownerLabels(created) },
      options: { 'dns-servers': ['10.0.0.2'], 'ntp-servers': ['10.0.0.3'] },
    });
    await s.apply(privateNetwork('n', { resource: { description: 'changed', labels: {}, ...DHCP, endIP: '10.0.0.250', dhcpOptions: {} } }));
    const cleared = await s.waitFor('PrivateNetwork', 'n', (o) => o?.status?.resource?.labels?.team === undefined && o?.status?.resource?.dhcpOptions?.dnsServers === undefined && condition(o, 'Ready')?.status === 'True');
    // The operator's own labels stay: clearing the user's labels resets them and puts the marks back.
    expect(inCloud(s, cleared!)!.labels).toEqual(ownerLabels(created));
    expect(inCloud(s, cleared!)!.options ?? {}).toEqual({});
  });

  it('attaches instances by name and id, moves a lease (update-ip), detaches one, and waits for an instance that does not exist yet', async () => {
    const s = await start();
    const web1 = s.zone.addInstance({ name: 'web-1' });
    const web2 = s.zone.addInstance({ name: 'web-2' });
    await s.apply(privateNetwork('n', { resource: { ...DHCP, instances: [{ name: 'web-1', ip: '10.0.0.25' }, { id: web2 }] } }));
    const ready = await s.waitFor('PrivateNetwork', 'n', (o) => condition(o, 'Ready')?.status === 'True' && o?.status?.resource?.leases?.length === 2);
    const leases = (o: Obj | undefined) => Object.fromEntries(((o?.status?.resource?.leases ?? []) as { instanceID: string; ip: string }[]).map((l) => [l.instanceID, l.ip]));
    expect(leases(ready)).toEqual({ [web1]: '10.0.0.25', [web2]: expect.stringMatching(/^10\.0\.0\./) });
    await s.apply(privateNetwork('n', { resource: { ...DHCP, instances: [{ name: 'web-1', ip: '10.0.0.26' }] } }));
    const moved = await s.waitFor('PrivateNetwork', 'n', (o) => condition(o, 'Ready')?.status === 'True' && Object.keys(leases(o)).length === 1 && leases(o)[web1] === '10.0.0.26');
    expect(leases(moved)).toEqual({ [web1]: '10.0.0.26' });
    expect(s.calls.count({ operation: 'update-private-network-instance-ip' })).toBe(1);
    expect(s.calls.count({ operation: 'detach-instance-from-private-network' })).toBe(1);
    await s.apply(privateNetwork('n', { resource: { ...DHCP, instances: [{ name: 'web-1', ip: '10.0.0.26' }, { name: 'web-3' }] } }));
    const waiting = await s.waitCondition('PrivateNetwork', 'n', 'Ready', 'False', 'WaitingForInstance');
    expect(condition(waiting, 'Ready')?.message).toContain('instance "web-3" does not exist in zone ch-gva-2');
    const web3 = s.zone.addInstance({ name: 'web-3' });
    await s.touch('PrivateNetwork', 'n');
    await s.waitFor('PrivateNetwork', 'n', (o) => condition(o, 'Ready')?.status === 'True' && leases(o)[web3] !== undefined);
    // A second instance of that name: the next observation (here a spec change) cannot tell which is meant.
    s.zone.addInstance({ name: 'web-3' });
    await s.apply(privateNetwork('n', { resource: { ...DHCP, description: 'two web-3', instances: [{ name: 'web-1', ip: '10.0.0.26' }, { name: 'web-3' }] } }));
    const ambiguous = await s.waitCondition('PrivateNetwork', 'n', 'Stalled', 'True', 'InstanceAmbiguous');
    expect(condition(ambiguous, 'Ready')?.message).toContain('2 instances in zone ch-gva-2 are named "web-3"');
    // Deleting the object detaches what is attached, then deletes the network.
    await s.delete('PrivateNetwork', 'n');
    await s.waitGone('PrivateNetwork', 'n', 30_000);
    expect(s.zone.networks.size).toBe(0);
  });

  it('imports by id and by name: ObserveOnly leaves it untouched, Orphan leaves it without the operator labels', async () => {
    const s = await start();
    const made = async (name: string) => {
      await s.apply(privateNetwork(`made-${name}`, { resource: { name, labels: { team: 'a' } }, deletionPolicy: 'Orphan' }));
      const obj = await s.waitReady('PrivateNetwork', `made-${name}`);
      await s.delete('PrivateNetwork', `made-${name}`);
      await s.waitGone('PrivateNetwork', `made-${name}`);
      return obj.status!.id as string;
    };
    const byId = await made('by-id');
    await made('by-name');
    expect(s.zone.networks.get(byId)!.labels).toEqual({ team: 'a' });
    await s.apply(privateNetwork('watch', { managementPolicy: 'ObserveOnly', import: { id: byId } }));
    const watched = await s.waitReady('PrivateNetwork', 'watch');
    expect(watched.status!.resource).toMatchObject({ name: 'by-id', labels: { team: 'a' } });
    await s.apply(privateNetwork('adopt', { import: { filter: { name: 'by-name' } }, resource: { name: 'by-name', description: 'adopted' } }));
    const adopted = await s.waitReady('PrivateNetwork', 'adopt');
    expect(inCloud(s, adopted)).toMatchObject({ description: 'adopted', labels: ownerLabels(adopted) });
    const mutations = s.calls.count({ method: /^(POST|PUT|DELETE)$/ });
    await s.delete('PrivateNetwork', 'watch');
    await s.waitGone('PrivateNetwork', 'watch');
    expect(s.calls.count({ method: /^(POST|PUT|DELETE)$/ })).toBe(mutations);
    expect(s.zone.networks.get(byId)!.labels).toEqual({ team: 'a' });
  });

  it('corrects drift on resync and recreates a network deleted out of band', async () => {
    const s = await start({ controllers: { resyncPeriodMs: 1000 } });
    const web1 = s.zone.addInstance({ name: 'web-1' });
    await s.apply(privateNetwork('n', { resource: { description: 'kept', ...DHCP, dhcpOptions: { dnsServers: ['10.0.0.1'] }, instances: [{ name: 'web-1', ip: '10.0.0.25' }] } }));
    const ready = (await s.waitFor('PrivateNetwork', 'n', (o) => condition(o, 'Ready')?.status === 'True' && o?.status?.resource?.leases?.length === 1))!;
    const network = inCloud(s, ready)!;
    network.description = 'drifted';
    network.options = {};
    network.attachments.delete(web1);
    network.labels = { other: 'x' };
    await until('drift corrected', () => {
      const n = inCloud(s, ready)!;
      return n.description === 'kept' && n.options?.['dns-servers']?.[0] === '10.0.0.1' && n.attachments.get(web1)?.ip === '10.0.0.25' && n.labels?.['cloudnet-uid'] === ready.metadata!.uid && n.labels?.other === undefined;
    }, 15_000);
    s.zone.networks.delete(network.id);
    const recreated = await s.waitFor('PrivateNetwork', 'n', (o) => !!o?.status?.id && o.status.id !== ready.status!.id && condition(o, 'Ready')?.status === 'True' && o.status.resource?.leases?.length === 1);
    expect(s.zone.networks.size).toBe(1);
    expect(inCloud(s, recreated!)).toMatchObject({ description: 'kept', labels: ownerLabels(ready) });
  });

  it('the drift checks of several networks share one zone listing a period: no GET by id', async () => {
    const s = await start({ controllers: { resyncPeriodMs: 1000 } });
    const names = ['d0', 'd1', 'd2', 'd3'];
    for (const name of names) await s.apply(privateNetwork(name, { resource: { description: name } }));
    for (const name of names) await s.waitFor('PrivateNetwork', name, (o) => condition(o, 'Ready')?.status === 'True');
    const count = (operation: string) => s.calls.count({ operation });
    const [gets, lists, instances, mutations] = [count('get-private-network'), count('list-private-networks'), count('list-instances'), s.calls.count({ method: /^(POST|PUT|DELETE)$/ })];
    const started = Date.now();
    await until('three drift-check rounds', () => count('list-instances') >= instances + 3, 10_000);
    // The periods are 1 s ±10%: each round one list of the zone's networks and one of its instances serves all four.
    const rounds = Math.ceil((Date.now() - started) / 900 + 1);
    expect(count('list-private-networks') - lists).toBeLessThanOrEqual(rounds);
    // (The last round's instance list may still be on its way.)
    expect(count('list-private-networks') - lists - (count('list-instances') - instances)).toBeLessThanOrEqual(1);
    expect(count('get-private-network')).toBe(gets);
    expect(s.calls.count({ method: /^(POST|PUT|DELETE)$/ })).toBe(mutations);
  });

  it('the example of examples/exoscale/ reaches Ready with its instances attached', async () => {
    const s = await start();
    const dir = new URL('../../examples/exoscale/', import.meta.url);
    const objects = readdirSync(dir).sort().map((f) => load(readFileSync(new URL(f, dir), 'utf8')) as Obj);
    // The scenario has its own Secret and ProviderConfig (on its own simulator); the example's must match the dev simulator's.
    expect(objects.find((o) => o.kind === 'Secret')).toMatchObject({ stringData: { apiKey: DEFAULT_CREDENTIALS.key, apiSecret: DEFAULT_CREDENTIALS.secret } });
    const app = { 'app-1': s.zone.addInstance({ name: 'app-1' }), 'app-2': s.zone.addInstance({ name: 'app-2' }) };
    for (const obj of objects.filter((o) => o.kind === 'PrivateNetwork')) await s.apply(obj);
    const backend = await s.waitFor('PrivateNetwork', 'backend', (o) => condition(o, 'Ready')?.status === 'True' && o?.status?.resource?.leases?.length === 2);
    expect(backend!.status!.resource.leases).toEqual(expect.arrayContaining([{ instanceID: app['app-1'], ip: '10.20.0.10' }, { instanceID: app['app-2'], ip: expect.any(String) }]));
  });

  it('makes zero cloud calls once Ready', async () => {
    const s = await start();
    s.zone.addInstance({ name: 'web-1' });
    await s.apply(privateNetwork('n', { resource: { ...DHCP, instances: [{ name: 'web-1' }] } }));
    await s.waitFor('PrivateNetwork', 'n', (o) => condition(o, 'Ready')?.status === 'True' && o?.status?.resource?.leases?.length === 1);
    const before = s.calls.count();
    await s.touchReconciled('PrivateNetwork', 'n', 'n', 'n');
    expect(s.calls.count()).toBe(before);
  });
});

describe.skipIf(realCloud)('PrivateNetwork: operations and errors', () => {
  it('an operation that fails for the request stalls with its message; one the cloud may get over is sent again', async () => {
    const s = await start();
    s.zone.failNextOperation({ operation: 'create-private-network', reason: 'incorrect', message: 'netmask rejected by the zone' });
    await s.apply(privateNetwork('n', { resource: DHCP }));
    const stalled = await s.waitCondition('PrivateNetwork', 'n', 'Stalled', 'True', 'OperationFailed');
    expect(condition(stalled, 'Ready')?.message).toContain('failed: incorrect: netmask rejected by the zone; change the spec to retry');
    expect(stalled!.status!.id).toBeUndefined();
    expect(s.zone.networks.size).toBe(0);
    s.zone.failNextOperation({ operation: 'create-private-network', reason: 'busy', message: 'try again' });
    await s.apply(privateNetwork('n', { resource: { ...DHCP, description: 'second try' } }));
    await s.waitReady('PrivateNetwork', 'n');
    expect(s.calls.count({ operation: 'create-private-network' })).toBe(3);
    expect(s.zone.networks.size).toBe(1);
    expect((await s.events('n')).map((e) => e.reason)).toEqual(expect.arrayContaining(['OperationFailed']));
  });

  it('429 and 5xx storms converge to exactly one network with its instance', async () => {
    const s = await start({ sim: { seed: 7 } });
    const web1 = s.zone.addInstance({ name: 'web-1' });
    s.faults.add({ status: 503, rate: 0.4, times: 20 });
    s.faults.add({ status: 429, retryAfter: 0, rate: 0.3, times: 10 });
    s.faults.add({ kind: 'lose-response', match: { method: 'POST' }, times: 1 });
    await s.apply(privateNetwork('n', { resource: { ...DHCP, instances: [{ name: 'web-1' }] } }));
    const ready = await s.waitFor('PrivateNetwork', 'n', (o) => condition(o, 'Ready')?.status === 'True' && o?.status?.resource?.leases?.length === 1, 30_000);
    expect(s.zone.networks.size).toBe(1);
    expect([...inCloud(s, ready!)!.attachments.keys()]).toEqual([web1]);
    expect(s.calls.count({ status: 503 }) + s.calls.count({ status: 429 })).toBeGreaterThan(0);
  });
});

describe.skipIf(realCloud)('PrivateNetwork: crash safety', () => {
  it('an operation still pending when the operator is SIGKILLed is resumed after the restart: exactly one network', async () => {
    const s = await start({ operator: 'process', sim: { operationPolls: 2 } });
    await s.apply(privateNetwork('n', { resource: DHCP }));
    const pending = await s.waitFor('PrivateNetwork', 'n', (o) => !!o?.status?.pendingOperation, 30_000);
    expect(pending!.status!.pendingOperation).toMatchObject({ action: 'create' });
    await s.killOperator();
    await s.startOperator();
    const ready = await s.waitReady('PrivateNetwork', 'n', 30_000);
    expect(ready.status!.id).toBe(pending!.status!.id);
    expect(s.zone.networks.size).toBe(1);
    expect(s.calls.count({ operation: 'create-private-network' })).toBe(1);
  });
});

describe.skipIf(realCloud)('ProviderConfig: exoscale', () => {
  it('a wrong API secret is not Ready with the API\'s 403 message (never the secret); a rotated Secret is picked up without a restart', async () => {
    const s = await start();
    await s.apply(privateNetwork('n', { resource: {} }));
    await s.waitReady('PrivateNetwork', 'n');
    const { key, secret } = s.sim.credentials;
    const wrong = `${secret.slice(0, -4)}XXXX`;
    await s.cluster.core.replaceNamespacedSecret({ namespace: s.namespace, name: 'exoscale-credentials', body: { metadata: { name: 'exoscale-credentials' }, stringData: { apiKey: key, apiSecret: wrong } } });
    const refused = await s.waitCondition('ProviderConfig', 'exoscale', 'Ready', 'False');
    expect(condition(refused, 'Ready')?.message).toMatch(/403.*signature/i);
    expect(JSON.stringify(refused)).not.toContain(wrong);
    await s.cluster.core.replaceNamespacedSecret({ namespace: s.namespace, name: 'exoscale-credentials', body: { metadata: { name: 'exoscale-credentials' }, stringData: { apiKey: key, apiSecret: secret } } });
    await s.waitReady('ProviderConfig', 'exoscale');
    await s.apply(privateNetwork('m', { resource: {} }));
    await s.waitReady('PrivateNetwork', 'm');
    for (const name of ['n', 'm']) expect(JSON.stringify(await s.events(name))).not.toContain(secret);
  });
});
