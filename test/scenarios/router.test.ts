import { describe, expect, it } from 'vitest';
import { condition, expectAdoptedOnce, expectNotRetried, FAST_RESYNC, manifest, realCloud, useScenarios, type Scenario } from './harness.ts';

const { start } = useScenarios();

const ready = (o: { status?: Record<string, unknown> } | undefined) => condition(o, 'Ready')?.status === 'True';
const router = (name: string, spec: Record<string, unknown>) => manifest('Router', name, spec);
const subnetRef = (name: string) => ({ subnetRef: { name } });

/** The external network "public", imported read-only as the examples do. */
async function withPublic(s: Scenario): Promise<string> {
  await s.apply(manifest('Network', 'public', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'public', external: true } } }));
  return (await s.waitReady('Network', 'public')).status!.id as string;
}

/** Network "net" and a Subnet per name, 10.<20+i>.0.0/24. Returns the subnet ids by name. */
/** Deletes a router made out of band with an interface on a test's subnet (which it would keep in use). */
async function releaseRouter(s: Scenario, id: string, subnetId: string): Promise<void> {
  await s.cloud.neutron.removeRouterInterface(id, { subnet_id: subnetId });
  await s.cloud.neutron.routers.delete(id);
}

async function withSubnets(s: Scenario, ...names: string[]): Promise<Record<string, string>> {
  await s.apply(manifest('Network', 'net', { resource: {} }));
  for (const [i, name] of names.entries()) {
    await s.apply(manifest('Subnet', name, { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: `10.${20 + i}.0.0/24` } }));
  }
  const ids: Record<string, string> = {};
  for (const name of names) ids[name] = (await s.waitReady('Subnet', name)).status!.id as string;
  return ids;
}

async function interfaceSubnets(s: Scenario, routerId: string): Promise<string[]> {
  const ports = await s.cloud.neutron.ports.list({ filters: { device_id: routerId, device_owner: 'network:router_interface' } });
  return ports.flatMap((p) => p.fixed_ips.map((ip) => ip.subnet_id)).sort();
}

async function applyAndWait(s: Scenario, obj: ReturnType<typeof router>) {
  const generation = (await s.apply(obj)).metadata!.generation;
  return (await s.waitFor('Router', obj.metadata!.name!, (o) => o?.status?.observedGeneration === generation && ready(o)))!;
}

describe('Router', () => {
  it('creates a minimal router and deletes it with the object', async () => {
    const s = await start();
    await s.apply(router('edge', { resource: {} }));
    const done = await s.waitReady('Router', 'edge');
    const id = done.status!.id as string;
    const seen = await s.cloud.neutron.routers.get(id);
    expect(seen).toMatchObject({ name: 'edge', admin_state_up: true, status: 'ACTIVE', external_gateway_info: null });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${done.metadata!.uid}`]);
    expect(done.status!.resource).toMatchObject({ name: 'edge', status: 'ACTIVE', adminStateUp: true, interfaces: [] });
    await s.waitEvent('edge', 'Created');
    await s.delete('Router', 'edge');
    await s.waitGone('Router', 'edge');
    expect(await s.cloud.neutron.routers.get(id)).toBeUndefined();
  });

  it('creates a full router (gateway, interfaces, routes) and updates it in place', async () => {
    const s = await start();
    const publicId = await withPublic(s);
    const subnets = await withSubnets(s, 'a', 'b', 'c');
    const full = {
      name: 'edge-router',
      description: 'full',
      externalGateway: { networkRef: { name: 'public' } },
      interfaces: [subnetRef('a'), subnetRef('b')],
      routes: [{ destination: '192.168.0.0/24', nextHop: '10.20.0.5' }],
      tags: ['team-a'],
    };
    await s.apply(router('full', { resource: full }));
    const done = await s.waitReady('Router', 'full');
    const id = done.status!.id as string;
    const seen = await s.cloud.neutron.routers.get(id);
    expect(seen).toMatchObject({ name: 'edge-router', description: 'full', routes: [{ destination: '192.168.0.0/24', nexthop: '10.20.0.5' }] });
    expect(seen!.external_gateway_info).toMatchObject({ network_id: publicId, enable_snat: true });
    expect(seen!.external_gateway_info!.external_fixed_ips).toHaveLength(1);
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${done.metadata!.uid}`, 'team-a']);
    expect(await interfaceSubnets(s, id)).toEqual([subnets.a, subnets.b].sort());
    const status = done.status!.resource;
    expect(status.externalGateway).toMatchObject({ networkID: publicId, enableSNAT: true });
    expect(status.externalGateway.fixedIPs[0].ipAddress).toMatch(/^203\.0\.113\./);
    expect(status.interfaces.map((i: { subnetID: string }) => i.subnetID).sort()).toEqual([subnets.a, subnets.b].sort());
    expect(status.routes).toEqual([{ destination: '192.168.0.0/24', nextHop: '10.20.0.5' }]);
    await s.waitEvent('full', 'Updated');

    // Swap an interface; the route moves to the subnet that stays (it must go before its subnet is detached).
    const count = (operation: string) => s.calls.count({ operation, status: 200 }) ?? 0;
    const before = { add: count('routers.add_router_interface'), remove: count('routers.remove_router_interface'), put: count('routers.update'), post: count('routers.create') };
    const updated = await applyAndWait(s, router('full', { resource: { ...full, description: 'changed', interfaces: [subnetRef('b'), subnetRef('c')], routes: [{ destination: '192.168.0.0/24', nextHop: '10.21.0.5' }] } }));
    expect(updated.status!.id).toBe(id);
    expect(await interfaceSubnets(s, id)).toEqual([subnets.b, subnets.c].sort());
    expect(await s.cloud.neutron.routers.get(id)).toMatchObject({ description: 'changed', routes: [{ destination: '192.168.0.0/24', nexthop: '10.21.0.5' }] });
    expect(updated.status!.resource.interfaces).toHaveLength(2);
    expect(count('routers.add_router_interface')).toBe(before.add + 1);
    expect(count('routers.remove_router_interface')).toBe(before.remove + 1);
    expect(count('routers.update')).toBe(before.put + 1);
    expect(count('routers.create')).toBe(before.post);

    // Without externalGateway, interfaces and routes the router has none.
    await applyAndWait(s, router('full', { resource: { name: 'edge-router' } }));
    expect(await s.cloud.neutron.routers.get(id)).toMatchObject({ external_gateway_info: null, routes: [] });
    expect(await interfaceSubnets(s, id)).toEqual([]);
  });

  it('corrects drift on resync: detaches an interface attached by hand, restores routes; recreates the router', async () => {
    const s = await start(FAST_RESYNC);
    const subnets = await withSubnets(s, 'a', 'extra');
    const resource = { interfaces: [subnetRef('a')], routes: [{ destination: '192.168.1.0/24', nextHop: '10.20.0.9' }] };
    await s.apply(router('drift', { resource }));
    const done = await s.waitReady('Router', 'drift');
    const id = done.status!.id as string;

    await s.cloud.neutron.addRouterInterface(id, { subnet_id: subnets.extra! });
    await s.cloud.neutron.routers.update(id, { routes: [] });
    const drifted = (await s.cloud.neutron.routers.get(id))!;
    await s.waitFor('Router', 'drift', (o) => (o?.status?.resource?.revisionNumber ?? 0) > drifted.revision_number && o?.status?.resource?.routes?.length === 1);
    expect(await interfaceSubnets(s, id)).toEqual([subnets.a]);
    expect((await s.cloud.neutron.routers.get(id))!.routes).toEqual([{ destination: '192.168.1.0/24', nexthop: '10.20.0.9' }]);

    // Deleted by hand (routes and interfaces first, as Neutron demands) while drift checks are off,
    // so the operator does not restore the routes in between; turned back on, it recreates the router.
    await s.apply(router('drift', { resyncPeriod: '0', resource }));
    await s.waitFor('Router', 'drift', (o) => o?.status?.observedGeneration === o?.metadata?.generation && ready(o));
    await s.cloud.neutron.routers.update(id, { routes: [] });
    await s.cloud.neutron.removeRouterInterface(id, { subnet_id: subnets.a! });
    await s.cloud.neutron.routers.delete(id);
    await s.apply(router('drift', { resource }));
    const recreated = await s.waitFor('Router', 'drift', (o) => !!o?.status?.id && o.status.id !== id && ready(o) && o.status.resource?.interfaces?.length === 1);
    expect(await interfaceSubnets(s, recreated!.status!.id as string)).toEqual([subnets.a]);
    await s.waitEvent('drift', 'Recreating');
  });

  it('waits for the Subnet of an interface, then attaches it', async () => {
    const s = await start();
    await s.apply(router('early', { resource: { interfaces: [subnetRef('a')] } }));
    const waiting = await s.waitCondition('Router', 'early', 'Ready', 'False', 'WaitingForDependency');
    expect(condition(waiting, 'Ready')?.message).toContain(`Subnet ${s.namespace}/a (interfaces[0].subnetRef) does not exist`);
    const subnets = await withSubnets(s, 'a');
    const done = await s.waitReady('Router', 'early');
    expect(await interfaceSubnets(s, done.status!.id as string)).toEqual([subnets.a]);
  });

  it('imports by id (Managed) and by filter (ObserveOnly)', async () => {
    const s = await start();
    const existing = await s.cloud.neutron.routers.create({ name: 'pre', description: 'before' });
    await s.apply(router('adopted', { import: { id: existing.id }, resource: { name: 'pre', description: 'after' } }));
    const adopted = await s.waitReady('Router', 'adopted');
    expect(adopted.status!.id).toBe(existing.id);
    const seen = await s.cloud.neutron.routers.get(existing.id);
    expect(seen).toMatchObject({ description: 'after' });
    expect(seen!.tags).toContain(`cloudnet-uid:${adopted.metadata!.uid}`);
    await s.waitEvent('adopted', 'Adopted');

    const other = await s.cloud.neutron.routers.create({ name: 'theirs' });
    const subnets = await withSubnets(s, 'a');
    await s.cloud.neutron.addRouterInterface(other.id, { subnet_id: subnets.a! });
    s.releaseOnClose(() => releaseRouter(s, other.id, subnets.a!), { beforeObjects: true });
    const theirs = (await s.cloud.neutron.routers.get(other.id))!;
    await s.apply(router('theirs', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'theirs' } } }));
    const observed = await s.waitReady('Router', 'theirs');
    expect(observed.status!.id).toBe(other.id);
    expect(observed.status!.resource.interfaces).toEqual([{ subnetID: subnets.a, portID: expect.any(String) }]);
    await s.delete('Router', 'theirs');
    await s.waitGone('Router', 'theirs');
    expect(await s.cloud.neutron.routers.get(other.id)).toMatchObject({ revision_number: theirs.revision_number, tags: theirs.tags });
    expect(await interfaceSubnets(s, other.id)).toEqual([subnets.a]);

    await s.delete('Router', 'adopted');
    await s.waitGone('Router', 'adopted');
    expect(await s.cloud.neutron.routers.get(existing.id)).toBeUndefined();
  });

  it('Orphan leaves the router, its gateway and interfaces in the cloud without the operator tags', async () => {
    const s = await start();
    const publicId = await withPublic(s);
    const subnets = await withSubnets(s, 'a');
    await s.apply(router('orphan', { deletionPolicy: 'Orphan', resource: { externalGateway: { networkRef: { name: 'public' } }, interfaces: [subnetRef('a')], tags: ['keep-me'] } }));
    const done = await s.waitReady('Router', 'orphan');
    const id = done.status!.id as string;
    await s.delete('Router', 'orphan');
    await s.waitGone('Router', 'orphan');
    const left = await s.cloud.neutron.routers.get(id);
    expect(left).toMatchObject({ tags: ['keep-me'], external_gateway_info: { network_id: publicId } });
    expect(await interfaceSubnets(s, id)).toEqual([subnets.a]);
    s.releaseOnClose(() => releaseRouter(s, id, subnets.a!), { beforeObjects: true });
  });
});

describe('Router: deletion ordering', () => {
  it('a Subnet waits while a Router lists it, and goes once the Router lets it go', async () => {
    const s = await start();
    const subnets = await withSubnets(s, 'a', 'b');
    await s.apply(router('r', { resource: { interfaces: [subnetRef('a'), subnetRef('b')] } }));
    const done = await s.waitReady('Router', 'r');
    await s.delete('Subnet', 'a');
    const blocked = await s.waitCondition('Subnet', 'a', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(blocked, 'Ready')?.message).toBe(`waiting for Router ${s.namespace}/r to be deleted`);
    expect(await s.cloud.neutron.subnets.get(subnets.a!)).toBeDefined();

    await s.apply(router('r', { resource: { interfaces: [subnetRef('b')] } }));
    await s.waitGone('Subnet', 'a');
    expect(await s.cloud.neutron.subnets.get(subnets.a!)).toBeUndefined();
    expect(await interfaceSubnets(s, done.status!.id as string)).toEqual([subnets.b]);
  });

  it('deleting the whole topology at once leaves nothing in the cloud', async () => {
    const s = await start();
    const publicId = await withPublic(s);
    const subnets = await withSubnets(s, 'a', 'b');
    await s.apply(router('r', { resource: { externalGateway: { networkRef: { name: 'public' } }, interfaces: [subnetRef('a'), subnetRef('b')], routes: [{ destination: '192.168.2.0/24', nextHop: '10.21.0.7' }] } }));
    const done = await s.waitReady('Router', 'r');
    const netId = (await s.get('Network', 'net'))!.status!.id as string;
    await Promise.all([
      s.delete('Network', 'public'),
      s.delete('Network', 'net'),
      s.delete('Subnet', 'a'),
      s.delete('Subnet', 'b'),
      s.delete('Router', 'r'),
    ]);
    for (const [kind, name] of [['Router', 'r'], ['Subnet', 'a'], ['Subnet', 'b'], ['Network', 'net'], ['Network', 'public']] as const) await s.waitGone(kind, name);
    expect(await s.cloud.neutron.routers.get(done.status!.id as string)).toBeUndefined();
    expect(await s.cloud.neutron.subnets.get(subnets.a!)).toBeUndefined();
    expect(await s.cloud.neutron.subnets.get(subnets.b!)).toBeUndefined();
    expect(await s.cloud.neutron.networks.get(netId)).toBeUndefined();
    expect(await s.cloud.neutron.ports.list({ filters: { device_id: done.status!.id as string } })).toEqual([]);
    expect(await s.cloud.neutron.networks.get(publicId)).toBeDefined();
    // Ordered by references, not by retrying the cloud's in-use errors.
    expect(s.calls.count({ status: 409 })).toBe(0);
  });
});

describe('Router: errors', () => {
  it('an admin-only gateway setting stalls with the cloud policy message and is not retried', async () => {
    const s = await start();
    await withPublic(s);
    await s.apply(router('snat', { resource: { externalGateway: { networkRef: { name: 'public' }, enableSNAT: false } } }));
    const stalled = await s.waitCondition('Router', 'snat', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toMatch(/disallowed by policy/);
    await s.waitEvent('snat', 'InvalidConfiguration');
    await expectNotRetried(s, 'Router', 'snat', { method: 'POST', path: /\/routers$/ });
    // enableSNAT: true is Neutron's default: nothing admin-only is sent.
    const done = await applyAndWait(s, router('snat', { resource: { externalGateway: { networkRef: { name: 'public' }, enableSNAT: true } } }));
    expect(done.status!.resource.externalGateway).toMatchObject({ enableSNAT: true });
  });

  it('an interface on a subnet without a gateway stalls with the cloud message', async () => {
    const s = await start();
    await s.apply(manifest('Network', 'net', { resource: {} }));
    await s.apply(manifest('Subnet', 'nogw', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.30.0.0/24', noGateway: true } }));
    await s.waitReady('Subnet', 'nogw');
    await s.apply(router('r', { resource: { interfaces: [subnetRef('nogw')] } }));
    const stalled = await s.waitCondition('Router', 'r', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toMatch(/must have a gateway IP/);
    await applyAndWait(s, router('r', { resource: { interfaces: [] } }));
  });

  it('detaching a subnet that a route still goes through stalls as a Conflict until the route goes too', async () => {
    const s = await start();
    const subnets = await withSubnets(s, 'a', 'b');
    const routes = [{ destination: '192.168.4.0/24', nextHop: '10.20.0.4' }];
    await s.apply(router('r', { resource: { interfaces: [subnetRef('a'), subnetRef('b')], routes } }));
    const done = await s.waitReady('Router', 'r');
    await s.apply(router('r', { resource: { interfaces: [subnetRef('b')], routes } }));
    const stalled = await s.waitCondition('Router', 'r', 'Stalled', 'True', 'Conflict');
    expect(condition(stalled, 'Ready')?.message).toMatch(/required by one or more routes/);
    await applyAndWait(s, router('r', { resource: { interfaces: [subnetRef('b')] } }));
    expect(await interfaceSubnets(s, done.status!.id as string)).toEqual([subnets.b]);
  });

  it('transient errors and 429s converge to exactly one router with its interfaces', async () => {
    const s = await start();
    const subnets = await withSubnets(s, 'a');
    s.faults.add({ status: 503, rate: 0.4, match: { service: 'network' } });
    s.faults.add({ status: 429, retryAfter: 1, times: 2, match: { method: 'POST' } });
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'PUT', pathPattern: /add_router_interface$/ } });
    s.faults.add({ kind: 'drop', times: 1, match: { method: 'GET', service: 'network' } });
    await s.apply(router('flaky', { resource: { interfaces: [subnetRef('a')] } }));
    const done = await s.waitReady('Router', 'flaky', 30_000);
    s.faults.clear();
    const named = await s.cloud.neutron.routers.list({ filters: { name: 'flaky' } });
    expect(named.map((r) => r.id)).toEqual([done.status!.id]);
    expect(await interfaceSubnets(s, done.status!.id as string)).toEqual([subnets.a]);
    expect(s.calls.count({ status: 429 })).toBeGreaterThan(0);
    expect(s.calls.count({ operation: 'routers.add_router_interface', fault: 'lose-response' })).toBe(1);
  });
});

describe('Router: steady state', () => {
  it('makes zero cloud calls once Ready', async () => {
    const s = await start();
    await withPublic(s);
    await withSubnets(s, 'a');
    await s.apply(router('r', { resource: { externalGateway: { networkRef: { name: 'public' } }, interfaces: [subnetRef('a')], routes: [{ destination: '192.168.3.0/24', nextHop: '10.20.0.3' }] } }));
    await s.waitReady('Router', 'r');
    s.calls.reset();
    await s.touchReconciled('Router', 'r', 'r', 'r');
    // A spec change of a referenced Subnet wakes the Router, whose resolved ids are unchanged: no call of its own.
    await s.afterReconciles('router', 1, async () => {
      const { generation } = (await s.apply(manifest('Subnet', 'a', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.20.0.0/24', description: 'changed' } }))).metadata!;
      await s.waitFor('Subnet', 'a', (o) => o?.status?.observedGeneration === generation && ready(o));
    });
    expect(s.calls.summary({ operation: /^routers\./ })).toEqual({});
    s.calls.reset();
    await s.restartOperator('Router', 1);
    expect(s.calls.summary()).toEqual({});
  });
});

describe('Router: crash-safe', () => {
  for (const tagsOnCreate of [true, false]) {
    it.skipIf(realCloud && tagsOnCreate)(`a lost create answer leaves exactly one router (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ sim: { tagsOnCreate } });
      s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/routers$/ } });
      await s.apply(router('lost', { resource: { tags: ['x'] } }));
      const done = await s.waitReady('Router', 'lost');
      await expectAdoptedOnce(s, done, await s.cloud.neutron.routers.list({ filters: { name: 'lost' } }), ['x']);
    });
  }

  it('a lost add_router_interface answer, retried, attaches the subnet once', async () => {
    const s = await start();
    const subnets = await withSubnets(s, 'a');
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'PUT', pathPattern: /add_router_interface$/ } });
    await s.apply(router('r', { resource: { interfaces: [subnetRef('a')] } }));
    const done = await s.waitReady('Router', 'r');
    expect(await interfaceSubnets(s, done.status!.id as string)).toEqual([subnets.a]);
    // The HTTP layer retried the PUT; Neutron's "already has a port on subnet" means done.
    expect(s.calls.list({ operation: 'routers.add_router_interface' }).map((c) => c.fault ?? c.status)).toEqual(['lose-response', 400]);
    expect(condition(done, 'Stalled')).toBeUndefined();
  });

  it("a repeat that races its first request (timed out, still attaching) gets Neutron's 409 for the gateway address: done, not a conflict", async () => {
    const s = await start();
    const subnets = await withSubnets(s, 'a');
    // Real Neutron creates the interface's port (device_id the router) before it binds it to the router:
    // a repeat in between passes the "already has a port" check and fails on the gateway address.
    const raced = { NeutronError: { type: 'IpAddressAlreadyAllocated', message: `IP address 10.20.0.1 already allocated in subnet ${subnets.a}`, detail: '' } };
    s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'PUT', pathPattern: /add_router_interface$/ } });
    s.faults.add({ status: 409, body: raced, times: 1, match: { method: 'PUT', pathPattern: /add_router_interface$/ } });
    await s.apply(router('r', { resource: { interfaces: [subnetRef('a')] } }));
    const done = await s.waitReady('Router', 'r');
    expect(await interfaceSubnets(s, done.status!.id as string)).toEqual([subnets.a]);
    expect(s.calls.list({ operation: 'routers.add_router_interface' }).map((c) => c.fault ?? c.status)).toEqual(['lose-response', 'error']);
    expect(condition(done, 'Stalled')).toBeUndefined();
  });
});
