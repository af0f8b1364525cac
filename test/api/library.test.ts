// The library entry cloudnet-operator/api: its example program against the operator and the
// OpenStack simulator; the typed client and waitForReady against the local API server alone (the
// test writes status itself); the types it checks at compile time.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import { CloudnetClient, NotReadyError, type Network, type NewObject, type SpecPatch, type Subnet } from '../../src/lib/api.ts';
import { installCrds, startCluster, type LocalCluster } from '../runtime/helpers.ts';
import { useScenarios } from '../scenarios/harness.ts';
import { until } from '../support/wait.ts';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'code', 'network-and-subnet.ts');

/** Runs `node script ...args` without blocking the event loop (the operator runs in this process). */
function runNode(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/code/network-and-subnet.ts', () => {
  const { start } = useScenarios();

  it('applies a Network and a Subnet through the library, waits for both and prints their cloud IDs; a second run changes nothing', async () => {
    const s = await start();
    const kubeconfig = join(tmpdir(), `cloudnet-${s.namespace}-example.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigYaml(s.cluster.server.url), { mode: 0o600 });
    try {
      const env = { ...process.env, KUBECONFIG: kubeconfig, CLOUDNET_NAMESPACE: s.namespace, CLOUDNET_PROVIDER_CONFIG: 'openstack' };
      const first = await runNode(EXAMPLE, ['--timeout-ms=30000'], env);
      expect(first, first.stderr).toMatchObject({ code: 0, stderr: '' });
      const networkID = new RegExp(`^Network ${s.namespace}/example-net: (\\S+)$`, 'm').exec(first.stdout)?.[1];
      const subnetID = new RegExp(`^Subnet ${s.namespace}/example-subnet: (\\S+) \\(10\\.20\\.0\\.0/24\\)$`, 'm').exec(first.stdout)?.[1];
      expect(networkID, first.stdout).toBeDefined();
      expect(subnetID, first.stdout).toBeDefined();
      expect(await s.cloud.neutron.networks.get(networkID!)).toMatchObject({ name: 'example-net', description: 'made from code' });
      expect(await s.cloud.neutron.subnets.get(subnetID!)).toMatchObject({ network_id: networkID, cidr: '10.20.0.0/24' });
      expect((await s.get('Network', 'example-net'))!.metadata!.generation).toBe(1);

      const again = await runNode(EXAMPLE, [`--namespace=${s.namespace}`, '--provider-config=openstack'], { ...process.env, KUBECONFIG: kubeconfig });
      expect(again).toMatchObject({ code: 0, stdout: first.stdout, stderr: '' });
      expect((await s.get('Network', 'example-net'))!.metadata!.generation).toBe(1);
    } finally {
      rmSync(kubeconfig, { force: true });
    }
  });
});

describe('CloudnetClient', () => {
  let cluster: LocalCluster;
  let client: CloudnetClient;
  let custom: CustomObjectsApi;
  const namespace = 'default';
  const spec = { providerConfigRef: { name: 'openstack' }, resource: { description: 'first' } };

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrds(cluster.server.url);
    client = new CloudnetClient(cluster.kubeConfig);
    custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await cluster?.server.close();
  });

  /** Starts the wait and resolves once it watches: what happens next reaches it by the watch, not the list. */
  async function watching<T>(wait: () => Promise<T>): Promise<{ outcome: Promise<T> }> {
    const before = cluster.server.watchRequests();
    const outcome = wait();
    outcome.catch(() => undefined); // handled by the caller, after the watch started
    await until('the wait to watch', () => cluster.server.watchRequests() > before);
    return { outcome };
  }

  /** Writes conditions as the operator would, through the status subresource. */
  async function setConditions(name: string, ...conditions: { type: string; status: 'True' | 'False'; reason: string; message: string; observedGeneration: number }[]) {
    const body = { status: { conditions: conditions.map((c) => ({ ...c, lastTransitionTime: '2026-01-01T00:00:00Z' })) } };
    await custom.patchNamespacedCustomObjectStatus(
      { group: 'cloudnet.io', version: 'v1alpha1', plural: 'networks', namespace, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  it('creates, applies, patches the spec of, gets and deletes objects of the kind it names', async () => {
    const created = await client.create('Network', { metadata: { name: 'crud' }, spec });
    expect(created).toMatchObject({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'Network', metadata: { name: 'crud', namespace, generation: 1 } });
    // Defaults applied: the server-side type has them.
    expect(created.spec.managementPolicy).toBe('Managed');

    const patched = await client.patchSpec('Network', namespace, 'crud', { resource: { mtu: 1400, description: null } });
    expect(patched.spec.resource).toEqual({ adminStateUp: true, mtu: 1400 });
    expect(patched.metadata.generation).toBe(2);

    await client.apply('Network', { metadata: { name: 'applied' }, spec });
    const reapplied = await client.apply('Network', { metadata: { name: 'applied' }, spec });
    expect(reapplied.metadata.generation).toBe(1);
    const changed = await client.apply('Network', { metadata: { name: 'applied' }, spec: { ...spec, resource: { description: 'second' } } });
    expect(changed).toMatchObject({ metadata: { generation: 2 }, spec: { resource: { description: 'second' } } });

    const got = await client.get('Network', namespace, 'crud');
    expect(got?.spec.resource?.mtu).toBe(1400);
    expect(await client.delete('Network', namespace, 'crud')).toBe(true);
    expect(await client.get('Network', namespace, 'crud')).toBeUndefined();
    expect(await client.delete('Network', namespace, 'crud')).toBe(false);
  });

  it('waitForReady resolves once Ready=True for the current generation, not on an earlier generation', async () => {
    await client.create('Network', { metadata: { name: 'ready' }, spec });
    await setConditions('ready', { type: 'Ready', status: 'True', reason: 'Available', message: 'generation 1', observedGeneration: 1 });
    await client.patchSpec('Network', namespace, 'ready', { resource: { description: 'second' } });
    const waiting = await watching(() => client.waitForReady('Network', namespace, 'ready', { timeoutMs: 10_000 }));
    await setConditions('ready', { type: 'Ready', status: 'True', reason: 'Available', message: 'generation 2', observedGeneration: 2 });
    const ready = await waiting.outcome;
    expect(ready.metadata.generation).toBe(2);
    expect(ready.status?.conditions).toEqual([expect.objectContaining({ message: 'generation 2' })]);
  });

  it('waitForReady rejects with the condition message once Stalled=True for the current generation', async () => {
    await client.create('Network', { metadata: { name: 'stalled' }, spec });
    const earlier = { type: 'Stalled', status: 'True', reason: 'InvalidConfiguration', message: 'the first spec was wrong', observedGeneration: 1 } as const;
    await setConditions('stalled', earlier, { ...earlier, type: 'Ready', status: 'False' });
    await client.patchSpec('Network', namespace, 'stalled', { resource: { mtu: 1400 } });
    const waiting = await watching(() => client.waitForReady('Network', namespace, 'stalled', { timeoutMs: 10_000 }));
    const now = { ...earlier, message: 'network create: 400 BadRequest: invalid MTU', observedGeneration: 2 };
    await setConditions('stalled', now, { ...now, type: 'Ready', status: 'False' });
    const error = await waiting.outcome.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error).toMatchObject({
      reason: 'Stalled',
      message: 'Network default/stalled is stalled (InvalidConfiguration): network create: 400 BadRequest: invalid MTU',
      object: { metadata: { generation: 2 } },
    });
  });

  it('waitForReady rejects after timeoutMs, saying what Ready showed last', async () => {
    await client.create('Network', { metadata: { name: 'slow' }, spec });
    await setConditions('slow', { type: 'Ready', status: 'False', reason: 'WaitingForDependency', message: 'waiting for ProviderConfig openstack', observedGeneration: 1 });
    const error = await client.waitForReady('Network', namespace, 'slow', { timeoutMs: 300 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error).toMatchObject({
      reason: 'Timeout',
      message: 'timed out after 300 ms waiting for Network default/slow to be Ready; last seen: Ready=False WaitingForDependency: waiting for ProviderConfig openstack',
    });
  });

  it('waitForReady rejects when the object does not exist or is deleted, and with the reason of an aborted signal', async () => {
    await expect(client.waitForReady('Network', namespace, 'absent')).rejects.toMatchObject({ reason: 'NotFound' });

    await client.create('Network', { metadata: { name: 'deleted' }, spec });
    const waiting = await watching(() => client.waitForReady('Network', namespace, 'deleted', { timeoutMs: 10_000 }));
    await client.delete('Network', namespace, 'deleted');
    await expect(waiting.outcome).rejects.toMatchObject({ reason: 'NotFound', message: 'Network default/deleted does not exist (or was deleted)' });

    await client.create('Network', { metadata: { name: 'aborted' }, spec });
    const abort = new AbortController();
    const aborted = await watching(() => client.waitForReady('Network', namespace, 'aborted', { signal: abort.signal }));
    abort.abort(new Error('shutting down'));
    await expect(aborted.outcome).rejects.toThrow('shutting down');
  });

  it('takes and returns the shape of the kind it names (compile-time checks)', () => {
    expectTypeOf<Awaited<ReturnType<typeof client.get<'Network'>>>>().toEqualTypeOf<Network | undefined>();
    expectTypeOf<Awaited<ReturnType<typeof client.waitForReady<'Subnet'>>>>().toEqualTypeOf<Subnet>();
    const providerConfigRef = { name: 'openstack' };
    const subnet: NewObject<'Subnet'> = {
      metadata: { name: 's' },
      spec: { providerConfigRef, resource: { networkRef: { name: 'n' }, ipVersion: 4, cidr: '10.0.0.0/24' } },
    };
    // @ts-expect-error a Network has no cidr
    const subnetAsNetwork: NewObject<'Network'> = { metadata: { name: 'n' }, spec: { providerConfigRef, resource: { cidr: '10.0.0.0/24' } } };
    // @ts-expect-error the kind is the one the call names
    const otherKind: NewObject<'Network'> = { kind: 'Subnet', metadata: { name: 'n' }, spec: { providerConfigRef } };
    // @ts-expect-error ipVersion is 4 or 6
    const badVersion: NewObject<'Subnet'> = { ...subnet, spec: { ...subnet.spec, resource: { ...subnet.spec.resource!, ipVersion: 5 } } };
    const removeMtu: SpecPatch<'Network'> = { resource: { mtu: null } };
    // @ts-expect-error mtu is a number
    const badMtu: SpecPatch<'Network'> = { resource: { mtu: '1400' } };
    // @ts-expect-error a required field cannot be removed
    const noProvider: SpecPatch<'Network'> = { providerConfigRef: null };
    expect([subnetAsNetwork, otherKind, badVersion, removeMtu, badMtu, noProvider]).toHaveLength(6);
  });
});
