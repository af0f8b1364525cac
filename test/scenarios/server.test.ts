// Servers on the simulated Nova and, unchanged, on real Nova (make test-real with the full profile).
import { describe, expect, it } from 'vitest';
import { condition, FAST_RESYNC, manifest, realCloud, until, useScenarios, type Obj, type Scenario, type ScenarioOptions } from './harness.ts';

const { start } = useScenarios();

/** Real Nova exists only in the real tier's full profile. */
const noNova = realCloud && !process.env.CLOUDNET_REAL_COMPUTE_URL;
/** Nova in the simulator; short builds and actions, as the fake driver's. */
const NOVA: ScenarioOptions = { sim: { compute: { buildMs: 200, taskMs: 100 } } };
const IMAGE = { name: 'fake-image' };
const TINY = { name: 'm1.tiny' };

const server = (name: string, resource: Record<string, unknown>, spec: Record<string, unknown> = {}) => manifest('Server', name, { ...spec, resource: { image: IMAGE, flavor: TINY, ...resource } });
const isSynced = (o: Obj | undefined, generation?: number) =>
  condition(o, 'Ready')?.status === 'True' && o?.status?.observedGeneration === (generation ?? o?.metadata?.generation);

/** A Network and its Subnet, Ready. */
async function network(s: Scenario, name: string, cidr: string): Promise<{ networkID: string; subnetID: string }> {
  await s.apply(manifest('Network', name, { resource: {} }));
  await s.apply(manifest('Subnet', `${name}-v4`, { resource: { networkRef: { name }, ipVersion: 4, cidr } }));
  const networkID = (await s.waitReady('Network', name)).status!.id as string;
  const subnetID = (await s.waitReady('Subnet', `${name}-v4`)).status!.id as string;
  return { networkID, subnetID };
}

/** Applies the change and waits until the server is in sync with it. */
async function applyAndSync(s: Scenario, obj: Obj, timeoutMs = 30_000): Promise<Obj> {
  const generation = (await s.apply(obj)).metadata!.generation;
  return (await s.waitFor('Server', obj.metadata!.name!, (o) => isSynced(o, generation), timeoutMs))!;
}

const nova = (s: Scenario) => s.cloud.nova;

describe.skipIf(noNova)('Server', () => {
  it('boots by image and flavor names on a Network, reports it ACTIVE with its address, and deletes it with the port Nova made', async () => {
    const s = await start(NOVA);
    const { networkID } = await network(s, 'lan', '10.40.0.0/24');
    await s.apply(server('web', { networks: [{ networkRef: { name: 'lan' } }], metadata: { role: 'web' }, tags: ['team-a'] }));
    const ready = await s.waitReady('Server', 'web', 60_000);
    const id = ready.status!.id as string;
    const seen = (await nova(s).getServer(id))!;
    expect(seen).toMatchObject({ name: 'web', status: 'ACTIVE', metadata: { role: 'web' } });
    expect([...seen.tags].sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team-a']);
    expect(ready.status!.resource).toMatchObject({ status: 'ACTIVE', powerState: 'Running', flavor: { name: 'm1.tiny' }, addresses: [{ network: 'lan', type: 'fixed' }] });
    expect(ready.status!.resource.addresses[0].address).toMatch(/^10\.40\.0\./);
    const ports = await s.cloud.neutron.ports.list({ filters: { device_id: id } });
    expect(ports.map((p) => p.network_id)).toEqual([networkID]);
    await s.waitEvent('web', 'Creating');

    await s.delete('Server', 'web');
    await s.waitGone('Server', 'web', 30_000);
    expect(await nova(s).getServer(id)).toBeUndefined();
    expect(await s.cloud.neutron.ports.list({ filters: { device_id: id } })).toEqual([]);
  });

  it('plugs in a Port object, which is kept (and not deleted) while the Server uses it', async () => {
    const s = await start(NOVA);
    await network(s, 'lan', '10.41.0.0/24');
    await s.apply(manifest('Port', 'web-port', { resource: { networkRef: { name: 'lan' }, fixedIPs: [{ subnetRef: { name: 'lan-v4' }, ipAddress: '10.41.0.50' }] } }));
    const portID = (await s.waitReady('Port', 'web-port')).status!.id as string;
    await s.apply(server('web', { networks: [{ portRef: { name: 'web-port' } }] }));
    const ready = await s.waitReady('Server', 'web', 60_000);
    expect(ready.status!.resource.addresses).toMatchObject([{ network: 'lan', address: '10.41.0.50' }]);
    expect(await s.cloud.neutron.ports.get(portID)).toMatchObject({ device_id: ready.status!.id, device_owner: 'compute:nova' });

    await s.delete('Port', 'web-port');
    const blocked = await s.waitCondition('Port', 'web-port', 'Reconciling', 'True', 'DeleteBlocked');
    expect(condition(blocked, 'Reconciling')?.message).toContain(`Server ${s.namespace}/web`);
    await s.delete('Server', 'web');
    await s.waitGone('Server', 'web', 30_000);
    await s.waitGone('Port', 'web-port', 30_000);
  });

  it('powers off and on, resizes (and confirms the resize), renames, with no update sent while Nova is busy', async () => {
    const s = await start(NOVA);
    await network(s, 'lan', '10.42.0.0/24');
    const spec = { networks: [{ networkRef: { name: 'lan' } }] };
    await s.apply(server('vm', spec));
    const id = (await s.waitReady('Server', 'vm', 60_000)).status!.id as string;

    const stopped = await applyAndSync(s, server('vm', { ...spec, powerState: 'Stopped' }));
    expect(stopped.status!.resource).toMatchObject({ status: 'SHUTOFF', powerState: 'Shutdown' });
    expect(await nova(s).getServer(id)).toMatchObject({ status: 'SHUTOFF' });

    const resized = await applyAndSync(s, server('vm', { ...spec, powerState: 'Stopped', flavor: { name: 'm1.small' } }), 60_000);
    expect(resized.status!.resource).toMatchObject({ status: 'SHUTOFF', flavor: { name: 'm1.small' } });
    expect(s.calls.list({ method: 'POST', path: /\/action$/ }).map((c) => c.operation)).toEqual(['serverAction:os-stop', 'serverAction:resize', 'serverAction:confirmResize']);

    const running = await applyAndSync(s, server('vm', { ...spec, flavor: { name: 'm1.small' }, name: 'vm-renamed' }));
    expect(running.status!.resource).toMatchObject({ status: 'ACTIVE', powerState: 'Running', name: 'vm-renamed' });
    expect(await nova(s).getServer(id)).toMatchObject({ name: 'vm-renamed', status: 'ACTIVE' });
    expect(running.status!.id).toBe(id);
  });

  it('attaches and detaches a network live', async () => {
    const s = await start(NOVA);
    const lan = await network(s, 'lan', '10.43.0.0/24');
    const dmz = await network(s, 'dmz', '10.44.0.0/24');
    await s.apply(server('vm', { networks: [{ networkRef: { name: 'lan' } }] }));
    const id = (await s.waitReady('Server', 'vm', 60_000)).status!.id as string;

    const both = await applyAndSync(s, server('vm', { networks: [{ networkRef: { name: 'lan' } }, { networkRef: { name: 'dmz' }, fixedIP: '10.44.0.44' }] }));
    expect((await nova(s).listInterfaces(id)).map((i) => i.net_id).sort()).toEqual([lan.networkID, dmz.networkID].sort());
    expect(both.status!.resource.addresses).toContainEqual(expect.objectContaining({ network: 'dmz', address: '10.44.0.44' }));

    const one = await applyAndSync(s, server('vm', { networks: [{ networkRef: { name: 'dmz' }, fixedIP: '10.44.0.44' }] }));
    expect((await nova(s).listInterfaces(id)).map((i) => i.net_id)).toEqual([dmz.networkID]);
    expect(one.status!.resource.addresses.map((a: { network: string }) => a.network)).toEqual(['dmz']);
  });

  it('corrects metadata and tag drift on resync', async () => {
    const s = await start({ ...NOVA, ...FAST_RESYNC });
    await network(s, 'lan', '10.45.0.0/24');
    await s.apply(server('vm', { networks: [{ networkRef: { name: 'lan' } }], metadata: { role: 'web' }, tags: ['team-a'] }));
    const ready = await s.waitReady('Server', 'vm', 60_000);
    const id = ready.status!.id as string;
    await nova(s).replaceMetadata(id, { role: 'changed by hand', extra: 'x' });
    await nova(s).replaceTags(id, ['by-hand']);
    const desiredTags = ['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team-a'];
    // Two changes by hand: a drift check may come between them and correct them one at a time.
    await until(
      'metadata and tags corrected',
      async () => {
        const seen = (await nova(s).getServer(id))!;
        return JSON.stringify(seen.metadata) === JSON.stringify({ role: 'web' }) && JSON.stringify([...seen.tags].sort()) === JSON.stringify(desiredTags);
      },
      30_000,
    );
    const updates = (await s.events('vm')).filter((e) => e.reason === 'Updated').map((e) => e.message);
    expect(updates.join('; ')).toMatch(new RegExp(`updated Server ${id}: .*metadata`));
    expect(updates.join('; ')).toMatch(new RegExp(`updated Server ${id}: .*tags`));
  });

  it("gets a floating IP by serverRef, through a Router to the external network", async () => {
    const s = await start(NOVA);
    await s.apply(manifest('Network', 'public', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'public', external: true } } }));
    await network(s, 'lan', '10.46.0.0/24');
    await s.apply(manifest('Router', 'edge', { resource: { externalGateway: { networkRef: { name: 'public' } }, interfaces: [{ subnetRef: { name: 'lan-v4' } }] } }));
    await s.apply(server('web', { networks: [{ networkRef: { name: 'lan' } }] }));
    await s.apply(manifest('FloatingIP', 'web', { resource: { floatingNetworkRef: { name: 'public' }, serverRef: { name: 'web', networkRef: { name: 'lan' } } } }));
    const fip = await s.waitReady('FloatingIP', 'web', 60_000);
    const serverID = (await s.get('Server', 'web'))!.status!.id as string;
    const [port] = await s.cloud.neutron.ports.list({ filters: { device_id: serverID } });
    expect(fip.status!.resource).toMatchObject({ portID: port!.id });
    // Nova learns of the association from Neutron and lists the address beside the fixed one.
    const address = fip.status!.resource.floatingIPAddress as string;
    const listed = await until('Nova lists the floating address', async () => {
      const addresses = Object.values((await nova(s).getServer(serverID))!.addresses).flat();
      return addresses.some((a) => a.addr === address) && addresses;
    });
    expect(listed).toContainEqual(expect.objectContaining({ addr: address, 'OS-EXT-IPS:type': 'floating' }));
  });

  it("a server in ERROR stalls with Nova's fault, and recreateOnError boots it again", async () => {
    const s = await start(NOVA);
    await network(s, 'lan', '10.47.0.0/24');
    // m1.nohost requires a trait no host has: Nova finds no host and the server goes to ERROR.
    const fault = /No valid host was found/;
    await s.apply(server('broken', { networks: [{ networkRef: { name: 'lan' } }], flavor: { name: 'm1.nohost' } }));
    const stalled = await s.waitCondition('Server', 'broken', 'Stalled', 'True', 'ServerError', 60_000);
    expect(condition(stalled, 'Ready')?.message).toMatch(fault);
    expect(stalled!.status!.resource).toMatchObject({ status: 'ERROR' });
    expect(stalled!.status!.resource.fault).toMatch(fault);

    const first = stalled!.status!.id as string;
    await s.apply(server('broken', { networks: [{ networkRef: { name: 'lan' } }], recreateOnError: true }));
    const ready = await s.waitFor('Server', 'broken', (o) => isSynced(o) && o?.status?.id !== first, 60_000);
    expect(await nova(s).getServer(first)).toBeUndefined();
    expect(await nova(s).getServer(ready!.status!.id as string)).toMatchObject({ status: 'ACTIVE' });
    await s.waitEvent('broken', 'Recreating');
  });

  it('a Server on a Network without a Subnet yet waits for one (WaitingForSubnet, not Stalled), then boots once', async () => {
    const s = await start(NOVA);
    await s.apply(manifest('Network', 'bare', { resource: {} }));
    await s.waitReady('Network', 'bare');
    await s.apply(server('early', { networks: [{ networkRef: { name: 'bare' } }] }));
    const waiting = await s.waitCondition('Server', 'early', 'Ready', 'False', 'WaitingForSubnet', 30_000);
    expect(condition(waiting, 'Ready')?.message).toContain('Network bare has no subnet');
    expect(condition(waiting, 'Stalled')?.status ?? 'False').toBe('False');
    await s.apply(manifest('Subnet', 'bare-v4', { resource: { networkRef: { name: 'bare' }, ipVersion: 4, cidr: '10.49.0.0/24' } }));
    const ready = await s.waitReady('Server', 'early', 60_000);
    expect((await nova(s).listServers({ name: 'early' })).map((o) => o.id)).toEqual([ready.status!.id]);
  });

  it('a busy answer (409 while Nova is in a task) is retried, never Stalled', async () => {
    const s = await start(NOVA);
    await network(s, 'lan', '10.48.0.0/24');
    const spec = { networks: [{ networkRef: { name: 'lan' } }] };
    await s.apply(server('vm', spec));
    await s.waitReady('Server', 'vm', 60_000);
    const busy = { conflictingRequest: { code: 409, message: "Cannot 'stop' instance x while it is in task_state rebooting" } };
    s.faults.add({ status: 409, body: busy, times: 2, match: { method: 'POST', pathPattern: /\/action$/ } });
    const stopped = await applyAndSync(s, server('vm', { ...spec, powerState: 'Stopped' }));
    expect(stopped.status!.resource).toMatchObject({ status: 'SHUTOFF' });
    expect(s.calls.count({ method: 'POST', path: /\/action$/, status: 409 })).toBe(2);
    expect(condition(stopped, 'Stalled')).toBeUndefined();
  });

  it('boots with user data from a Secret key, waiting for the Secret; user data never shows in status or events', async () => {
    const s = await start(NOVA);
    const marker = 'hunter2-user-data';
    // Bytes as they are (a gzip header, then text): what the Secret holds is what Nova gets.
    const bytes = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(`#cloud-config\npassword: ${marker}\n`)]);
    const encoded = bytes.toString('base64');
    await s.apply(server('init', { networks: [], userDataSecretRef: { name: 'cloud-init', key: 'userData' } }));
    const waiting = await s.waitCondition('Server', 'init', 'Ready', 'False', 'WaitingForSecret');
    expect(condition(waiting, 'Ready')?.message).toMatch(/^Secret cloud-init does not exist \(userDataSecretRef\)/);
    expect(s.calls.count({ method: 'POST', path: /\/servers$/ })).toBe(0);

    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name: 'cloud-init' }, data: { other: 'eA==' } } });
    const noKey = await s.waitFor('Server', 'init', (o) => /has no key "userData"/.test(condition(o, 'Ready')?.message ?? ''));
    expect(condition(noKey, 'Ready')?.reason).toBe('WaitingForSecret');
    // The Secret's change wakes the server at once, long before its backoff would.
    await s.cluster.core.replaceNamespacedSecret({ namespace: s.namespace, name: 'cloud-init', body: { metadata: { name: 'cloud-init' }, data: { userData: encoded } } });
    const ready = await s.waitReady('Server', 'init', 60_000);
    if (s.sim) expect(s.sim.nova!.state.servers.get(ready.status!.id as string)!.userData).toBe(encoded);
    const shown = JSON.stringify([ready.status, (await s.events('init')).map((e) => e.message)]);
    expect(shown).not.toContain(marker);
    expect(shown).not.toContain(encoded);

    // Too much user data stalls before Nova is asked (its refusal would echo the data), saying why.
    const huge = '€'.repeat(30_000);
    await s.apply(server('huge', { networks: [], userData: huge }));
    const stalled = await s.waitCondition('Server', 'huge', 'Stalled', 'True');
    expect(condition(stalled, 'Ready')?.message).toMatch(/userData is 120000 bytes base64-encoded; Nova takes at most 65535/);
    expect(JSON.stringify(stalled!.status)).not.toContain('€€');
    expect(s.calls.count({ method: 'POST', path: /\/servers$/ })).toBe(1);
  });

  // An older cloud's Nova (below 2.52) takes no tags in a create: the marks go in the metadata.
  it.skipIf(realCloud)('below microversion 2.52, a create whose answer was lost is found by the marks in its metadata: exactly one server', async () => {
    const s = await start({ sim: { compute: { buildMs: 200, taskMs: 100, maxMicroversion: '2.51' } } });
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/servers$/ } });
    await s.apply(server('old', { networks: [], metadata: { role: 'web' }, tags: ['team-a'] }));
    const ready = await s.waitReady('Server', 'old', 60_000);
    const uid = ready.metadata!.uid!;
    const named = await nova(s).listServers({ name: 'old' });
    expect(named.map((x) => x.id)).toEqual([ready.status!.id]);
    expect(named[0]!.metadata).toEqual({ role: 'web', 'cloudnet-managed': 'true', 'cloudnet-uid': uid });
    expect([...named[0]!.tags].sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${uid}`, 'team-a']);
    expect((await s.events('old')).map((e) => e.message)).toContainEqual(expect.stringMatching(/^found Server .* by its ownership/));

    // The user's metadata changes; the marks stay.
    await applyAndSync(s, server('old', { networks: [], metadata: { role: 'db' }, tags: ['team-a'] }));
    expect((await nova(s).getServer(ready.status!.id as string))!.metadata).toEqual({ role: 'db', 'cloudnet-managed': 'true', 'cloudnet-uid': uid });
  });

  it('a create whose answer was lost leaves exactly one server (the tags went in the create)', async () => {
    const s = await start(NOVA);
    await network(s, 'lan', '10.49.0.0/24');
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/servers$/ } });
    await s.apply(server('lost', { networks: [{ networkRef: { name: 'lan' } }] }));
    const ready = await s.waitReady('Server', 'lost', 60_000);
    const named = await nova(s).listServers({ name: 'lost' });
    expect(named.map((x) => x.id)).toEqual([ready.status!.id]);
    expect(s.calls.count({ method: 'POST', path: /\/servers$/, fault: 'lose-response' })).toBe(1);
    await s.waitEvent('lost', 'Adopted');
  });
});
