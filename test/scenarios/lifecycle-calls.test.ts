// What one lifecycle of each kind costs in cloud calls (issue 14, P2): create, one update, delete,
// counted at the cloud (the simulator, or the proxy in front of the real services). The counts
// are pinned: a change that spends a call more fails here.
import { describe, expect, it } from 'vitest';
import { adminProviderConfig } from './admin.ts';
import { manifest, realCloud, useScenarios, type Scenario } from './harness.ts';

const { start } = useScenarios();

/** The calls at the cloud's services since `from`, as "METHOD path" with ids elided; Keystone left out (tokens are shared). */
function callsSince(s: Scenario, from: number): string[] {
  return s.calls.records
    .slice(from)
    .filter((c) => c.service !== 'identity')
    .map((c) => `${c.method} ${c.path.replace(/^.*?\/v2(\.\d+)?\//, '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`);
}

interface Lifecycle {
  create: string[];
  update: string[];
  delete: string[];
}

/** Creates `kind` `name` with `spec`, changes it to `changed`, deletes it; the calls of each step. */
async function lifecycle(s: Scenario, kind: string, name: string, spec: Record<string, unknown>, changed: Record<string, unknown>): Promise<Lifecycle> {
  let mark = s.calls.records.length;
  const step = () => {
    const calls = callsSince(s, mark);
    mark = s.calls.records.length;
    return calls;
  };
  await s.apply(manifest(kind, name, spec));
  await s.waitReady(kind, name);
  const create = step();
  await s.apply(manifest(kind, name, changed));
  await s.waitFor(kind, name, (o) => o?.status?.observedGeneration === 2 && o.status.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
  const update = step();
  await s.delete(kind, name);
  await s.waitGone(kind, name);
  return { create, update, delete: step() };
}

/** Networks, subnets and the external network the kinds below stand on, made first (their calls are not counted). */
async function groundwork(s: Scenario): Promise<void> {
  await s.apply(manifest('Network', 'public', { managementPolicy: 'ObserveOnly', import: { filter: { name: 'public', external: true } } }));
  await s.apply(manifest('Network', 'net', { resource: {} }));
  await s.apply(manifest('Subnet', 'subnet', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.44.0.0/24' } }));
  for (const [kind, name] of [['Network', 'public'], ['Network', 'net'], ['Subnet', 'subnet']] as const) await s.waitReady(kind, name);
}

// The simulator takes tags only after the create (as Neutron up to Zed does): a create is the POST and the PUT of the tags.
describe('calls per lifecycle', () => {
  it('Network, Subnet, Port, FloatingIP: create 2 (POST, tags), update 1 (PUT, no read), delete 1', async () => {
    const s = await start();
    await groundwork(s);
    const kinds = {
      Network: [{ resource: { description: 'a' } }, { resource: { description: 'b' } }],
      Subnet: [{ resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.45.0.0/24', description: 'a' } }, { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.45.0.0/24', description: 'b' } }],
      Port: [{ resource: { networkRef: { name: 'net' }, description: 'a' } }, { resource: { networkRef: { name: 'net' }, description: 'b' } }],
      FloatingIP: [{ resource: { floatingNetworkRef: { name: 'public' }, description: 'a' } }, { resource: { floatingNetworkRef: { name: 'public' }, description: 'b' } }],
    } as const;
    const paths = { Network: 'networks', Subnet: 'subnets', Port: 'ports', FloatingIP: 'floatingips' } as const;
    for (const [kind, [spec, changed]] of Object.entries(kinds)) {
      const path = paths[kind as keyof typeof paths];
      const calls = await lifecycle(s, kind, `lc-${path}`, spec, changed);
      expect(calls, kind).toEqual({
        create: [`POST ${path}`, `PUT ${path}/{id}/tags`],
        update: [`PUT ${path}/{id}`],
        delete: [`DELETE ${path}/{id}`],
      });
    }
  });
});

// The kinds whose updates are not conditional, or are more than one request, read the resource before changing it.
describe('calls per lifecycle: kinds that read before an update', () => {
  it('Router: update reads the router and its interface ports; delete reads them too (interfaces and routes go first)', async () => {
    const s = await start();
    await groundwork(s);
    expect(await lifecycle(s, 'Router', 'lc-router', { resource: { description: 'a' } }, { resource: { description: 'b' } })).toEqual({
      create: ['POST routers', 'PUT routers/{id}/tags'],
      update: ['GET routers/{id}', 'GET ports', 'PUT routers/{id}'],
      delete: ['GET routers/{id}', 'GET ports', 'DELETE routers/{id}'],
    });
  });

  it('SecurityGroup: update reads the group (its rules are changed one by one, unconditionally)', async () => {
    const s = await start();
    await groundwork(s);
    expect(await lifecycle(s, 'SecurityGroup', 'lc-sg', { resource: { description: 'a' } }, { resource: { description: 'b' } })).toEqual({
      create: ['POST security-groups', 'PUT security-groups/{id}/tags'],
      update: ['GET security-groups/{id}', 'PUT security-groups/{id}'],
      delete: ['DELETE security-groups/{id}'],
    });
  });

  it('QoSPolicy: update reads the policy, then sends the policy fields and each changed rule, and reads it again', async () => {
    const s = await start();
    // Neutron lets only administrators write QoS policies.
    await adminProviderConfig(s);
    const spec = (description: string, maxKbps: number) => ({ providerConfigRef: { name: 'admin' }, resource: { description, rules: { bandwidthLimits: [{ direction: 'egress', maxKbps }] } } });
    expect(await lifecycle(s, 'QoSPolicy', 'lc-qos', spec('a', 1000), spec('b', 2000))).toEqual({
      // "GET extensions": whether Neutron takes tags in a create, asked once per client (this ProviderConfig's first create).
      create: ['GET extensions', 'POST qos/policies', 'PUT policies/{id}/tags', 'POST qos/policies/{id}/bandwidth_limit_rules', 'GET qos/policies/{id}'],
      update: ['GET qos/policies/{id}', 'PUT qos/policies/{id}', 'PUT qos/policies/{id}/bandwidth_limit_rules/{id}', 'GET qos/policies/{id}'],
      delete: ['DELETE qos/policies/{id}'],
    });
  });
});

describe.skipIf(realCloud)('calls per lifecycle: kinds with Nova (simulator: polls of a build depend on its timing)', () => {
  it('PrivateNetwork on OpenStack: observed with its subnet, ports and the project servers; delete looks for attached servers only', async () => {
    const s = await start({ sim: { compute: { buildMs: 200, taskMs: 100 } } });
    await groundwork(s);
    expect(await lifecycle(s, 'PrivateNetwork', 'lc-pn', { resource: { description: 'a' } }, { resource: { description: 'b' } })).toEqual({
      // "GET " is Nova's version document: the microversion, once per client.
      create: ['POST networks', 'PUT networks/{id}/tags', 'GET ', 'GET servers/detail'],
      update: ['GET networks/{id}', 'GET subnets', 'GET ports', 'GET servers/detail', 'PUT networks/{id}'],
      delete: ['GET ports', 'DELETE networks/{id}'],
    });
  });

  it('Server: image and flavor by name, the build polled; a rename is read, sent, and its answer kept; delete is confirmed', async () => {
    const s = await start({ sim: { compute: { buildMs: 200, taskMs: 100 } } });
    await groundwork(s);
    const spec = { image: { name: 'fake-image' }, flavor: { name: 'm1.tiny' }, networks: [{ networkRef: { name: 'net' } }] };
    const calls = await lifecycle(s, 'Server', 'lc-server', { resource: spec }, { resource: { ...spec, name: 'renamed' } });
    // The image, the flavors and Nova's version document ("GET ": the microversion, once per client) are asked for at once.
    expect({ ...calls, create: [...calls.create.slice(0, 3).sort(), ...calls.create.slice(3)] }).toEqual({
      create: ['GET ', 'GET flavors/detail', 'GET images', 'POST servers', 'GET servers/{id}', 'GET servers/{id}/os-interface'],
      update: ['GET servers/{id}', 'GET servers/{id}/os-interface', 'PUT servers/{id}'],
      delete: ['DELETE servers/{id}', 'GET servers/{id}'],
    });
  });
});
