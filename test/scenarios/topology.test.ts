// The whole example topology of examples/openstack/, as a user runs it: `kubectl apply -f` of every
// file at once, everything Ready, the cloud checked with the real `openstack` CLI, then
// `kubectl delete -f` of everything at once converging with nothing of ours left in the cloud.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import { examples, withoutHarnessCredentials, type Manifest } from './examples.ts';
import { until, useScenarios, type Obj, type Scenario } from './harness.ts';

const run = promisify(execFile);

const { start } = useScenarios();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudnet-topology-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The examples for this test's cloud, written to files as `kubectl apply -f` takes them. */
function examplesFor(scenario: Scenario): { files: string; manifests: Manifest[] } {
  const files = join(dir, 'examples');
  mkdirSync(files, { recursive: true });
  const applied = examples(scenario.backend, { servers: true });
  for (const { file, manifest } of applied) writeFileSync(join(files, file), dump(manifest));
  return { files, manifests: applied.map((e) => e.manifest) };
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'kube-cache'), ...args]);
  return stdout;
}

/** The real openstack CLI, as the test's cloud user, JSON out. */
async function openstack<T = Record<string, unknown>[]>(scenario: Scenario, ...args: string[]): Promise<T> {
  const { stdout } = await run('openstack', ['--os-cloud', scenario.backend.cloudName, ...args, '-f', 'json'], {
    env: { ...process.env, OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') },
  });
  return JSON.parse(stdout) as T;
}

/** Every cloud resource the test's user sees, by collection: ids, to compare before and after. */
async function cloudInventory(s: Scenario): Promise<Record<string, string[]>> {
  const n = s.cloud.neutron;
  const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();
  return {
    networks: ids(await n.networks.list()),
    subnets: ids(await n.subnets.list()),
    routers: ids(await n.routers.list()),
    ports: ids(await n.ports.list()),
    securityGroups: ids(await n.securityGroups.list()),
    floatingIps: ids(await n.floatingIps.list()),
    servers: ids(await s.cloud.nova.listServers({})),
  };
}

describe('examples/openstack topology', () => {
  it('kubectl apply -f of every file at once reaches Ready; kubectl delete -f of everything at once leaves nothing in the cloud', async () => {
    // With Nova: the example server and its floating IP.
    const s = await start({ sim: { compute: { buildMs: 200, taskMs: 100 } } });
    const ns = s.namespace;
    await withoutHarnessCredentials(s);
    writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(s.cluster.server.url));
    writeFileSync(join(dir, 'clouds.yaml'), s.backend.cloudsYaml);
    const { files, manifests } = examplesFor(s);
    const before = await cloudInventory(s);

    await kubectl('apply', '-n', ns, '-f', files);
    const managed = manifests.filter((m) => m.kind !== 'Secret');
    const objects = new Map<string, Obj>();
    for (const m of managed) objects.set(`${m.kind}/${m.metadata.name}`, await s.waitReady(m.kind, m.metadata.name, 60_000));
    const obj = (key: string): Obj => objects.get(key)!;
    const id = (key: string): string => obj(key).status!.id as string;
    const ownTags = (key: string) => ['cloudnet-managed', `cloudnet-uid:${obj(key).metadata!.uid}`, 'example'];
    expect(await kubectl('get', 'cloudnet', '-n', ns, '-o', 'name')).toMatch(/floatingip\.cloudnet\.io\/web-0/);

    // What the real openstack CLI shows matches the objects' status.
    const [networks, subnets, routers, ports, groups, fips] = await Promise.all([
      openstack(s, 'network', 'list', '--long'),
      openstack(s, 'subnet', 'list', '--long'),
      openstack(s, 'router', 'list', '--long'),
      openstack(s, 'port', 'list', '--long'),
      openstack(s, 'security', 'group', 'list'),
      openstack(s, 'floating', 'ip', 'list', '--long'),
    ]);
    const row = (rows: Record<string, unknown>[], key: string) => {
      const found = rows.find((r) => r.ID === id(key));
      expect(found, `${key} (${id(key)}) in the openstack CLI's list`).toBeDefined();
      return found!;
    };
    const tagsOf = (r: Record<string, unknown>) => [...(r.Tags as string[])].sort();
    expect(row(networks, 'Network/app-net')).toMatchObject({ Name: 'app-net', Subnets: [id('Subnet/app-subnet')] });
    expect(tagsOf(row(networks, 'Network/app-net'))).toEqual(ownTags('Network/app-net'));
    expect(row(networks, 'Network/public')).toMatchObject({ Name: 'public', 'Router Type': true });
    expect(row(subnets, 'Subnet/app-subnet')).toMatchObject({ Name: 'app-subnet', Network: id('Network/app-net'), Subnet: '10.10.0.0/24', Gateway: '10.10.0.1' });
    expect(tagsOf(row(subnets, 'Subnet/app-subnet'))).toEqual(ownTags('Subnet/app-subnet'));
    expect(row(routers, 'Router/app-router')).toMatchObject({ Name: 'app-router', 'External gateway info': { network_id: id('Network/public') } });
    expect(tagsOf(row(routers, 'Router/app-router'))).toEqual(ownTags('Router/app-router'));
    expect(row(ports, 'Port/web-0')).toMatchObject({ Name: 'web-0', 'Fixed IP Addresses': [{ subnet_id: id('Subnet/app-subnet'), ip_address: '10.10.0.5' }] });
    expect(tagsOf(row(ports, 'Port/web-0'))).toEqual(ownTags('Port/web-0'));
    expect(row(groups, 'SecurityGroup/web')).toMatchObject({ Name: 'web', Description: 'ssh and ping from anywhere' });
    expect(tagsOf(row(groups, 'SecurityGroup/web'))).toEqual(ownTags('SecurityGroup/web'));
    const fip = obj('FloatingIP/web-0').status!.resource;
    expect(row(fips, 'FloatingIP/web-0')).toMatchObject({
      'Floating IP Address': fip.floatingIPAddress,
      'Fixed IP Address': '10.10.0.5',
      Port: id('Port/web-0'),
      'Floating Network': id('Network/public'),
      Router: id('Router/app-router'),
      Description: 'web-0 public address',
    });
    expect(tagsOf(row(fips, 'FloatingIP/web-0'))).toEqual(ownTags('FloatingIP/web-0'));
    // The server ACTIVE with its fixed address and the floating one (Nova learns of it from Neutron).
    const serverFip = obj('FloatingIP/web-1').status!.resource.floatingIPAddress as string;
    const shown = await until('the openstack CLI shows both addresses of web-1', async () => {
      const server = await openstack<Record<string, unknown>>(s, 'server', 'show', id('Server/web-1'));
      return JSON.stringify(server.addresses).includes(serverFip) && server;
    });
    expect(shown).toMatchObject({ name: 'web-1', status: 'ACTIVE', flavor: expect.stringContaining('m1.tiny') });
    expect(JSON.stringify(shown.addresses)).toMatch(/10\.10\.0\.\d+/);
    const rules = await openstack(s, 'security', 'group', 'rule', 'list', id('SecurityGroup/web'));
    expect(rules.map((r) => `${String(r.Direction)} ${String(r.Ethertype)} ${String(r['IP Protocol'])} ${String(r['Port Range'])}`).sort()).toEqual([
      'egress IPv4 null ',
      'egress IPv6 null ',
      'ingress IPv4 icmp ',
      'ingress IPv4 tcp 22:22',
    ]);

    // Everything at once, the ProviderConfig and its Secret included.
    await kubectl('delete', '-n', ns, '-f', files, '--timeout=60s');
    for (const m of managed) await s.waitGone(m.kind, m.metadata.name, 30_000);
    expect((await kubectl('get', 'cloudnet', '-n', ns, '-o', 'name')).trim()).toBe('');
    await until('the example Secret is gone', () => s.cluster.core.readNamespacedSecret({ namespace: ns, name: 'openstack-clouds' }).then(() => false, () => true));
    expect(await cloudInventory(s)).toEqual(before);

    const after = await Promise.all([
      openstack(s, 'network', 'list'),
      openstack(s, 'subnet', 'list'),
      openstack(s, 'router', 'list'),
      openstack(s, 'port', 'list'),
      openstack(s, 'security', 'group', 'list'),
      openstack(s, 'floating', 'ip', 'list'),
      openstack(s, 'server', 'list'),
    ]);
    const made = [...objects.keys()].filter((k) => k !== 'Network/public').map(id);
    for (const list of after) expect(list.map((r) => r.ID).filter((i) => made.includes(i as string))).toEqual([]);
    if (s.sim) {
      // Only what the simulator was seeded with (and the default group Neutron gives every project) remains.
      const state = s.sim.neutron;
      expect([...state.networks.values()].map((n) => n.name)).toEqual(['public']);
      expect([...state.subnets.values()].map((n) => n.name)).toEqual(['public-subnet']);
      // Neutron gives every project one default group (here: admin's and the demo user's).
      const groups = [...state.security_groups.values()];
      expect(new Set(groups.map((g) => g.name))).toEqual(new Set(['default']));
      expect(new Set(groups.map((g) => g.project_id)).size).toBe(groups.length);
      expect(state.routers.size + state.ports.size + state.floatingips.size).toBe(0);
      expect(s.sim.nova!.state.servers.size).toBe(0);
      expect(after[0].map((r) => r.Name)).toEqual(['public']);
      expect(after[4].map((r) => r.Name)).toEqual(['default']);
      for (const list of [after[2], after[3], after[5], after[6]]) expect(list).toEqual([]);
    }
  }, 120_000);
});
