// The clouds.yaml that openstack.sh writes works for the real `openstack` CLI against real Keystone + Neutron,
// and what the CLI does is what the HTTP API then shows. Real tier only (CLOUDNET_REAL=1: make test-real).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realRequested, startRealOpenStack, type RealOpenStack } from './backend.ts';

const run = promisify(execFile);

describe.runIf(realRequested())('the openstack CLI with the clouds.yaml of openstack.sh (needs CLOUDNET_REAL=1: make test-real)', () => {
  let real: RealOpenStack;

  beforeAll(async () => {
    real = await startRealOpenStack();
  }, 120_000);

  afterAll(async () => {
    await real?.close();
  }, 60_000);

  const os = async (cloud: string, ...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const { stdout } = await run('openstack', ['--os-cloud', cloud, ...args], { env: { ...process.env, OS_CLIENT_CONFIG_FILE: real.cloudsYamlPath } });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  };

  it('lists the seeded external network as the member and as the admin', async () => {
    for (const cloud of [real.cloudName, real.adminCloudName]) {
      const networks = await os(cloud, 'network', 'list', '--external', '-f', 'json');
      expect(networks).toContainEqual(expect.objectContaining({ ID: real.publicNetworkId, Name: 'public' }));
    }
  }, 60_000);

  it('creates, tags and deletes a network the HTTP API then agrees about', async () => {
    const name = `cli-${randomUUID().slice(0, 8)}`;
    const created = await os(real.cloudName, 'network', 'create', '--tag', 'cloudnet-cli', name, '-f', 'json');
    try {
      const res = await fetch(`${real.networkUrl}/v2.0/networks/${created.id}`, { headers: { 'X-Auth-Token': await real.token('demo') } });
      expect(((await res.json()) as { network: unknown }).network).toMatchObject({ name, tags: ['cloudnet-cli'], status: 'ACTIVE', mtu: 1450 });
    } finally {
      await os(real.cloudName, 'network', 'delete', created.id);
    }
    const gone = await fetch(`${real.networkUrl}/v2.0/networks/${created.id}`, { headers: { 'X-Auth-Token': await real.token('demo') } });
    expect(gone.status).toBe(404);
  }, 60_000);
});
