import { describe, expect, it } from 'vitest';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NetworkResource } from '../../src/api/network.ts';
import { parseCloudsYaml } from '../../src/cloud/openstack/config.ts';
import { network as networkAdapter } from '../../src/resources/network.ts';
import { condition, expectAdoptedOnce, expectNotRetried, FAST_RESYNC, managedListings, manifest, realCloud, until, useScenarios } from './harness.ts';

const { start } = useScenarios();

const network = (name: string, spec: Record<string, unknown>) => manifest('Network', name, spec);

describe('Network', () => {
  it('creates a minimal network, reports it, and deletes it with the object', async () => {
    const s = await start();
    await s.apply(network('app-net', { resource: {} }));
    const ready = await s.waitReady('Network', 'app-net');
    const id = ready.status!.id as string;
    const seen = await s.cloud.neutron.networks.get(id);
    expect(seen).toMatchObject({ name: 'app-net', admin_state_up: true });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`]);
    expect(ready.status).toMatchObject({ id, observedGeneration: 1, resource: { name: 'app-net', status: 'ACTIVE', adminStateUp: true } });
    expect(ready.metadata!.finalizers).toEqual(['cloudnet.io/finalizer']);
    expect(condition(ready, 'Ready')).toMatchObject({ reason: 'Available' });
    await s.waitEvent('app-net', 'Created');

    await s.delete('Network', 'app-net');
    await s.waitGone('Network', 'app-net');
    expect(await s.cloud.neutron.networks.get(id)).toBeUndefined();
  });

  it('creates a full network and updates it in place', async () => {
    const s = await start();
    const resource = { name: 'cloud-name', description: 'full', adminStateUp: false, mtu: 1400, portSecurityEnabled: false, dnsDomain: 'example.org.', tags: ['team-a', 'env-test'] };
    await s.apply(network('full', { resource }));
    const ready = await s.waitReady('Network', 'full');
    const id = ready.status!.id as string;
    const seen = await s.cloud.neutron.networks.get(id);
    expect(seen).toMatchObject({ name: 'cloud-name', description: 'full', admin_state_up: false, mtu: 1400, port_security_enabled: false, dns_domain: 'example.org.' });
    expect(seen!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'env-test', 'team-a']);
    expect(ready.status!.resource).toMatchObject({ name: 'cloud-name', mtu: 1400, adminStateUp: false, dnsDomain: 'example.org.' });

    const creates = s.calls.count({ method: 'POST', path: /\/networks$/ });
    await s.apply(network('full', { resource: { ...resource, description: 'changed', mtu: 1300, adminStateUp: true, tags: ['team-a'] } }));
    const updated = await s.waitFor('Network', 'full', (o) => o?.status?.observedGeneration === 2 && condition(o, 'Ready')?.status === 'True');
    expect(updated!.status!.id).toBe(id);
    const after = await s.cloud.neutron.networks.get(id);
    expect(after).toMatchObject({ description: 'changed', mtu: 1300, admin_state_up: true });
    expect(after!.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, 'team-a']);
    expect(updated!.status!.resource).toMatchObject({ description: 'changed', mtu: 1300 });
    expect(s.calls.count({ method: 'POST', path: /\/networks$/ })).toBe(creates);
    // Only the changed fields, with the observed revision.
    const put = s.calls.list({ method: 'PUT', operation: /network/ }).filter((c) => !c.path.endsWith('/tags'));
    expect(put).toHaveLength(1);
    await s.waitEvent('full', 'Updated');
  });

  it('corrects drift on resync and recreates a network deleted out of band', async () => {
    const s = await start(FAST_RESYNC);
    await s.apply(network('drift', { resource: { description: 'desired' } }));
    const ready = await s.waitReady('Network', 'drift');
    const id = ready.status!.id as string;
    const drifted = await s.cloud.neutron.networks.update(id, { description: 'changed by hand' });
    await s.waitFor('Network', 'drift', (o) => (o?.status?.resource?.revisionNumber ?? 0) > drifted.revision_number);
    expect(await s.cloud.neutron.networks.get(id)).toMatchObject({ description: 'desired' });

    await s.cloud.neutron.networks.delete(id);
    const recreated = await s.waitFor('Network', 'drift', (o) => !!o?.status?.id && o.status.id !== id && condition(o, 'Ready')?.status === 'True');
    expect(await s.cloud.neutron.networks.get(recreated!.status!.id as string)).toMatchObject({ name: 'drift', description: 'desired' });
    await s.waitEvent('drift', 'Recreating');
  });

  it('the drift checks of many networks share one listing a period: no GET by id, no update', async () => {
    const s = await start(FAST_RESYNC);
    const names = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
    for (const name of names) await s.apply(network(name, { resource: {} }));
    for (const name of names) await s.waitReady('Network', name);
    const byId = () => s.calls.count({ method: 'GET', path: /\/networks\/[^/]+$/ });
    const gets = byId();
    const puts = s.calls.count({ method: 'PUT' });
    const listings = managedListings(s, /\/networks$/);
    const started = Date.now();
    await until('three drift-check rounds', () => managedListings(s, /\/networks$/) >= listings + 3, 10_000);
    // The periods are 1 s ±10%: one listing each round serves all six checks.
    const rounds = (Date.now() - started) / 900 + 1;
    expect(managedListings(s, /\/networks$/) - listings).toBeLessThanOrEqual(Math.ceil(rounds));
    expect(byId()).toBe(gets);
    expect(s.calls.count({ method: 'PUT' })).toBe(puts);
  });

  it('imports by id (Managed: adopted, tagged, deleted with the object)', async () => {
    const s = await start();
    const existing = await s.cloud.neutron.networks.create({ name: 'preexisting', description: 'before' });
    await s.apply(network('adopted', { import: { id: existing.id }, resource: { name: 'preexisting', description: 'after' } }));
    const ready = await s.waitReady('Network', 'adopted');
    expect(ready.status!.id).toBe(existing.id);
    const seen = await s.cloud.neutron.networks.get(existing.id);
    expect(seen).toMatchObject({ description: 'after' });
    expect(seen!.tags).toContain(`cloudnet-uid:${ready.metadata!.uid}`);
    await s.waitEvent('adopted', 'Adopted');
    await s.delete('Network', 'adopted');
    await s.waitGone('Network', 'adopted');
    expect(await s.cloud.neutron.networks.get(existing.id)).toBeUndefined();
  });

  it('imports by filter as ObserveOnly: reported, never changed, left in place on delete', async () => {
    const s = await start();
    await s.apply(network('missing', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'no-such-network' } } }));
    await s.waitCondition('Network', 'missing', 'Ready', 'False', 'ImportNotFound');

    await s.apply(network('public', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'public', external: true } } }));
    const ready = await s.waitReady('Network', 'public');
    const [publicNet] = await s.cloud.neutron.networks.list({ filters: { name: 'public', 'router:external': true } });
    expect(ready.status!.id).toBe(publicNet!.id);
    expect(ready.status!.resource).toMatchObject({ name: 'public', external: true });
    await s.delete('Network', 'public');
    await s.waitGone('Network', 'public');
    const after = await s.cloud.neutron.networks.get(publicNet!.id);
    expect(after).toMatchObject({ name: 'public', tags: publicNet!.tags, revision_number: publicNet!.revision_number });

    // Two matches: ambiguous, nothing adopted.
    for (const twin of [await s.cloud.neutron.networks.create({ name: 'twin' }), await s.cloud.neutron.networks.create({ name: 'twin' })]) {
      s.releaseOnClose(() => s.cloud.neutron.networks.delete(twin.id));
    }
    await s.apply(network('twin', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'twin' } } }));
    const ambiguous = await s.waitCondition('Network', 'twin', 'Stalled', 'True', 'ImportAmbiguous');
    expect(condition(ambiguous, 'Ready')?.message).toMatch(/matches 2 Networks/);
  });

  it('Orphan leaves the network in the cloud without the operator tags', async () => {
    const s = await start();
    await s.apply(network('orphan', { deletionPolicy: 'Orphan', resource: { tags: ['keep-me'] } }));
    const ready = await s.waitReady('Network', 'orphan');
    await s.delete('Network', 'orphan');
    await s.waitGone('Network', 'orphan');
    expect(await s.cloud.neutron.networks.get(ready.status!.id as string)).toMatchObject({ name: 'orphan', tags: ['keep-me'] });
    s.releaseOnClose(() => s.cloud.neutron.networks.delete(ready.status!.id as string));
  });
});

describe('Network: errors', () => {
  it('a terminal cloud error stalls with the cloud message and is not retried until the spec changes', async () => {
    const s = await start();
    // shared is admin-only: the demo user gets Neutron's 403 policy error.
    await s.apply(network('forbidden', { resource: { shared: true } }));
    const stalled = await s.waitCondition('Network', 'forbidden', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(stalled, 'Ready')?.message).toMatch(/disallowed by policy/);
    expect(condition(stalled, 'Reconciling')).toBeUndefined();
    await s.waitEvent('forbidden', 'InvalidConfiguration');
    // Events that reconcile it again (an annotation, its ProviderConfig) do not retry the cloud call.
    await expectNotRetried(s, 'Network', 'forbidden', { method: 'POST', path: /\/networks$/ });
    await s.apply(network('forbidden', { resource: { shared: false } }));
    await s.waitReady('Network', 'forbidden');
  });

  it('transient errors and 429s converge to exactly one network', async () => {
    const s = await start();
    s.faults.add({ status: 503, rate: 0.5, match: { service: 'network' } });
    s.faults.add({ status: 429, retryAfter: 1, times: 2, match: { method: 'POST' } });
    s.faults.add({ kind: 'drop', times: 1, match: { method: 'GET', service: 'network' } });
    await s.apply(network('flaky', { resource: { description: 'flaky' } }));
    const ready = await s.waitReady('Network', 'flaky', 30_000);
    s.faults.clear();
    const named = await s.cloud.neutron.networks.list({ filters: { name: 'flaky' } });
    expect(named.map((n) => n.id)).toEqual([ready.status!.id]);
    expect(s.calls.count({ status: 429 })).toBeGreaterThan(0);
  });
});

describe('Network: steady state', () => {
  it.skipIf(realCloud)('objects refused for quota share one probe a period, then all follow once quota frees', async () => {
    // The operator's quota period is 1 s here (FAST); the project may have 2 networks.
    const s = await start({ sim: { quotas: { network: 2 } } });
    const names = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5'];
    for (const name of names) await s.apply(network(name, { resource: {} }));
    const stalled = async () => {
      const all = await Promise.all(names.map((n) => s.get('Network', n)));
      return all.filter((o) => condition(o, 'Stalled')?.reason === 'QuotaExceeded').length;
    };
    await until('four stalled on quota', async () => (await stalled()) === 4);
    const posts = () => s.calls.count({ method: 'POST', path: /\/networks$/ });
    const before = posts();
    const started = Date.now();
    await until('four more creates', () => posts() >= before + 4, 15_000);
    // One probe a second for the four: four take at least three seconds (each object on its own,
    // backing off from 1 s, would send four within about one).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    s.sim!.neutron.defaultQuotas.network = 10;
    for (const name of names) await s.waitReady('Network', name);
    expect(s.sim!.neutron.networks.size).toBe(names.length + 1);
  });

  it('makes zero cloud calls once Ready: events, ProviderConfig changes and a restart', async () => {
    const s = await start();
    await s.apply(network('one', { resource: {} }));
    await s.apply(network('two', { resource: { description: 'second' } }));
    await s.waitReady('Network', 'one');
    await s.waitReady('Network', 'two');
    s.calls.reset();
    await s.touchReconciled('Network', 'one', 'two', 'one', 'two');
    expect(s.calls.summary()).toEqual({});
    // A metadata change of the ProviderConfig wakes it alone: no probe, no sync.
    await s.afterReconciles('providerconfig', 1, () => s.touch('ProviderConfig', 'openstack'));
    expect(s.calls.summary()).toEqual({});
    // A spec change wakes every object using it too: the ProviderConfig probes its new settings
    // (Keystone only), the objects see the same cloud and make no call.
    await s.afterReconciles('network', 2, async () => {
      const { generation } = (await s.applyProviderConfig({ rateLimit: { qps: 20, burst: 40 } })).metadata!;
      await s.waitFor('ProviderConfig', 'openstack', (o) => o?.status?.observedGeneration === generation && condition(o, 'Ready')?.status === 'True');
    });
    expect(s.calls.summary({ service: 'network' })).toEqual({});
    s.calls.reset();

    // The restarted operator reconciles every object (and the ProviderConfig) from its fresh caches.
    await s.restartOperator('Network', 2);
    await until('the restarted operator reconciled the ProviderConfig', async () => (await s.reconciles('providerconfig')) >= 1);
    expect(s.calls.summary()).toEqual({});
  });
});

describe('Network: crash-safe create', () => {
  for (const tagsOnCreate of [true, false]) {
    it.skipIf(realCloud && tagsOnCreate)(`a lost create answer leaves exactly one network (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ sim: { tagsOnCreate } });
      s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/networks$/ } });
      await s.apply(network('lost', { resource: { tags: ['x'] } }));
      const ready = await s.waitReady('Network', 'lost');
      await expectAdoptedOnce(s, ready, await s.cloud.neutron.networks.list({ filters: { name: 'lost' } }), ['x']);
      expect(s.calls.count({ method: 'POST', path: /\/networks$/, fault: 'lose-response' })).toBe(1);
    });
  }

  // Only the simulator's clock can be set; the operator reads the cloud's from its Date headers.
  for (const skewMinutes of [-5, 5]) {
    it.skipIf(realCloud)(`a lost create answer with the cloud's clock ${Math.abs(skewMinutes)} minutes ${skewMinutes < 0 ? 'behind' : 'ahead'}: adopted, not duplicated`, async () => {
      let later = 0; // moves the cloud's clock on instead of waiting
      const s = await start({ sim: { now: () => Date.now() + skewMinutes * 60_000 + later } });
      // A namesake without tags, made 3 s (of the cloud's time) before: not the one the lost create made.
      const namesake = await s.cloud.neutron.networks.create({ name: 'lost' });
      later = 3000;
      s.faults.add({ kind: 'lose-response', times: 1, match: { method: 'POST', pathPattern: /\/networks$/ } });
      await s.apply(network('lost', { resource: {} }));
      const ready = await s.waitReady('Network', 'lost');
      const named = await s.cloud.neutron.networks.list({ filters: { name: 'lost' } });
      expect(named.map((n) => n.id).sort()).toEqual([namesake.id, ready.status!.id].sort());
      expect(ready.status!.id).not.toBe(namesake.id);
      await s.waitEvent('lost', 'Adopted');
    });
  }
});

describe('ProviderConfig', () => {
  it('reports bad credentials, picks up a rotated Secret without restart, and wakes waiting objects', async () => {
    const s = await start();
    const ns = s.namespace;
    const yaml = s.backend.cloudsYaml.replace(/password: .*/, 'password: wrong');
    await s.cluster.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'bad' }, stringData: { 'clouds.yaml': yaml } } });
    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'rotating' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'bad' }, cloud: s.backend.cloudName } } });
    const failed = await s.waitCondition('ProviderConfig', 'rotating', 'Ready', 'False', 'AuthenticationFailed');
    expect(JSON.stringify(failed!.status)).not.toContain('wrong');
    await s.apply({ ...manifest('Network', 'waiting', { resource: {} }), spec: { providerConfigRef: { name: 'rotating' }, resource: {} } });
    const waiting = await s.waitCondition('Network', 'waiting', 'Ready', 'False', 'ProviderNotReady');
    expect(condition(waiting, 'Ready')?.message).toContain(`ProviderConfig ${ns}/rotating is not Ready`);

    await s.cluster.core.replaceNamespacedSecret({ namespace: ns, name: 'bad', body: { metadata: { name: 'bad' }, stringData: { 'clouds.yaml': s.backend.cloudsYaml } } });
    await s.waitReady('ProviderConfig', 'rotating');
    await s.waitReady('Network', 'waiting');
  });

  it('takes explicit auth fields with the password from a Secret, and endpoint overrides', async () => {
    const s = await start();
    const { authUrl, networkUrl } = s.backend;
    const { username, password, userDomainName, projectName, projectDomainName } = parseCloudsYaml(s.backend.cloudsYaml, s.backend.cloudName).auth;
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name: 'password' }, stringData: { password: password! } } });
    await s.apply({
      kind: 'ProviderConfig',
      metadata: { name: 'explicit' },
      spec: {
        provider: 'openstack',
        openstack: {
          auth: { type: 'password', authURL: authUrl, username, userDomainName, projectName, projectDomainName, passwordSecretRef: { name: 'password' } },
          endpointOverrides: { network: networkUrl },
        },
        rateLimit: { qps: 50, burst: 5 },
      },
    });
    const ready = await s.waitReady('ProviderConfig', 'explicit');
    expect(ready.status!.endpoints).toEqual({ network: `${networkUrl}/v2.0` });
    const secret = await s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'password' });
    expect(secret.metadata?.finalizers).toContain('cloudnet.io/finalizer');
    await s.apply({ ...manifest('Network', 'via-explicit', {}), spec: { providerConfigRef: { name: 'explicit' }, resource: {} } });
    const net = await s.waitReady('Network', 'via-explicit');
    // status.projectID: the project Keystone scoped the token to, which owns what the operator makes.
    expect((await s.cloud.neutron.networks.get(net.status!.id as string))!.project_id).toBe(ready.status!.projectID);
  });

  it('caches Secrets no ProviderConfig reads without their data, and loads one a ProviderConfig comes to read', async () => {
    const s = await start();
    const body = { metadata: { name: 'later' }, stringData: { 'clouds.yaml': s.backend.cloudsYaml, unrelated: 'x'.repeat(100_000) } };
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body });
    await until('the operator cached the Secret', () => s.cachedSecret('later'));
    expect(s.cachedSecret('later')!.data).toBeUndefined();
    expect(Object.keys(s.cachedSecret('cloud-credentials')!.data!)).toEqual(['clouds.yaml']);

    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'later' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'later' }, cloud: s.backend.cloudName } } });
    await s.waitReady('ProviderConfig', 'later');
    expect(Object.keys(s.cachedSecret('later')!.data!).sort()).toEqual(['clouds.yaml', 'unrelated']);
    // A restarted operator lists Secrets after ProviderConfigs: the ones they read come with their data.
    await s.stopOperator();
    await s.startOperator();
    await until('the restarted operator cached the Secret', () => s.cachedSecret('later'));
    expect(s.cachedSecret('later')!.data).toBeDefined();
    expect(s.cachedSecret('cloud-credentials')!.data).toBeDefined();
  });

  it('pointing a ProviderConfig at another Secret keeps its objects Ready throughout', async () => {
    const s = await start();
    await s.apply(network('steady', { resource: {} }));
    await s.waitReady('Network', 'steady');
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name: 'other' }, stringData: { 'clouds.yaml': s.backend.cloudsYaml } } });
    await until('the operator cached the Secret, without its data', () => s.cachedSecret('other') && !s.cachedSecret('other')!.data);
    // Every Ready status the Network shows until the switch is over.
    const seen: string[] = [];
    let over = false;
    const watched = s.waitFor('Network', 'steady', (o) => (seen.push(condition(o, 'Ready')!.status), over));
    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'openstack' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'other' }, cloud: s.backend.cloudName } } });
    await s.waitFor('ProviderConfig', 'openstack', (o) => o?.metadata?.generation === 2 && o.status?.observedGeneration === 2 && condition(o, 'Ready')?.status === 'True');
    over = true;
    await s.touch('Network', 'steady');
    await watched;
    expect(new Set(seen)).toEqual(new Set(['True']));
    expect(s.cachedSecret('other')!.data).toBeDefined();
  });

  it('a missing Secret or key is waited for (WaitingForSecret) until it comes; an object of another cloud\'s ProviderConfig says so', async () => {
    const s = await start();
    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'nokey' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'cloud-credentials', key: 'nope' }, cloud: s.backend.cloudName } } });
    const waiting = await s.waitCondition('ProviderConfig', 'nokey', 'Reconciling', 'True', 'WaitingForSecret');
    expect(condition(waiting, 'Ready')?.message).toBe(`Secret ${s.namespace}/cloud-credentials (credentialsSecretRef) has no key "nope"`);
    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'exo' }, spec: { provider: 'exoscale', exoscale: { zone: 'ch-gva-2', apiKeySecretRef: { name: 'x' }, apiSecretSecretRef: { name: 'x' } } } });
    const exo = await s.waitCondition('ProviderConfig', 'exo', 'Reconciling', 'True', 'WaitingForSecret');
    expect(condition(exo, 'Ready')?.message).toBe(`Secret ${s.namespace}/x (apiKeySecretRef) does not exist`);
    // The key coming wakes the ProviderConfig: no restart, no spec change.
    const credentials = await s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' });
    const data = { ...credentials.data, nope: credentials.data!['clouds.yaml']! };
    await s.cluster.core.patchNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials', body: { data } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await s.waitReady('ProviderConfig', 'nokey');
    await s.apply({ kind: 'Network', metadata: { name: 'n' }, spec: { providerConfigRef: { name: 'exo' }, resource: {} } });
    const wrong = await s.waitCondition('Network', 'n', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(wrong, 'Ready')?.message).toBe(`ProviderConfig ${s.namespace}/exo is for exoscale; a Network needs a ProviderConfig of provider openstack`);
  });

  it('a ProviderConfig whose deletion the API server drops right after it ends leaves its Secret released (found by the chaos suite)', async () => {
    const s = await start();
    let restarting: Promise<void> | undefined;
    const unsubscribe = s.cluster.server.subscribe((event) => {
      if (event.type === 'DELETED' && event.storageKey.endsWith('providerconfigs') && !restarting) restarting = s.cluster.server.restart();
    });
    await s.delete('ProviderConfig', 'openstack');
    await s.waitGone('ProviderConfig', 'openstack');
    await restarting;
    unsubscribe();
    const finalizers = async () => (await s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' })).metadata?.finalizers ?? [];
    await until('the Secret released', async () => (await finalizers()).length === 0, 10_000);
  });

  it('deleting everything at once deletes the cloud resources first, then the ProviderConfig and its Secret', async () => {
    const s = await start();
    await s.apply(network('a', { resource: {} }));
    await s.apply(network('b', { resource: {} }));
    const a = await s.waitReady('Network', 'a');
    const b = await s.waitReady('Network', 'b');
    const secret = await s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' });
    expect(secret.metadata?.finalizers).toContain('cloudnet.io/finalizer');
    await Promise.all([
      s.delete('ProviderConfig', 'openstack'),
      s.cluster.core.deleteNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' }),
      s.delete('Network', 'a'),
      s.delete('Network', 'b'),
    ]);
    await s.waitGone('Network', 'a');
    await s.waitGone('Network', 'b');
    await s.waitGone('ProviderConfig', 'openstack');
    await until('the Secret is deleted', () => s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' }).then(() => false, () => true));
    expect(await s.cloud.neutron.networks.get(a.status!.id as string)).toBeUndefined();
    expect(await s.cloud.neutron.networks.get(b.status!.id as string)).toBeUndefined();
  });
});

// The wiring of references (waiting for a dependency, deletion blocked by dependents) with real
// informers, before a second kind exists: Networks whose description "after:<name>" references another.
const orderedNetworks = {
  ...networkAdapter,
  references: (r: NetworkResource) => (r.description?.startsWith('after:') ? [{ kind: 'Network', name: r.description.slice(6), field: 'description' }] : []),
};

describe('references between objects', () => {
  it('a dependent waits for its dependency (woken by its events) and blocks its deletion until it is gone', async () => {
    const s = await start({ controllers: { adapters: [orderedNetworks] } });
    await s.apply(network('dependent', { resource: { description: 'after:base' } }));
    const waiting = await s.waitCondition('Network', 'dependent', 'Ready', 'False', 'WaitingForDependency');
    expect(condition(waiting, 'Ready')?.message).toBe(`waiting for Network ${s.namespace}/base (description) does not exist`);
    expect(waiting!.metadata!.finalizers).toBeUndefined();

    await s.apply(network('base', { resource: {} }));
    await s.waitReady('Network', 'dependent');

    await s.delete('Network', 'base');
    const blocked = await s.waitCondition('Network', 'base', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(blocked, 'Ready')?.message).toBe(`waiting for Network ${s.namespace}/dependent to be deleted`);
    expect(await s.cloud.neutron.networks.get(blocked!.status!.id as string)).toBeDefined();
    await s.delete('Network', 'dependent');
    await s.waitGone('Network', 'base');
    expect(await s.cloud.neutron.networks.get(blocked!.status!.id as string)).toBeUndefined();
  });
});
