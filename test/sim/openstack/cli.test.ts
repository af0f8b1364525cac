// The real `openstack` CLI (python3-openstackclient / openstacksdk) against the simulator run as a process.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnnounced, stopProcess } from '../../support/process.ts';

const run = promisify(execFile);
// `make test` installs the CLI (python3-openstackclient); without it these tests fail, never skip.

describe('the simulator as a process', () => {
  let child: ChildProcess;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ossim-'));
    const started = await startAnnounced(join(import.meta.dirname, '../../../dev/sim/openstack/main.ts'), ['--port', '0', '--clouds-yaml', join(dir, 'clouds.yaml'), '--compute', '--build-ms', '50', '--task-ms', '50']);
    child = started.child;
    url = (JSON.parse(started.firstLine) as { url: string }).url;
  });

  afterAll(async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  const os = async (...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const { stdout } = await run('openstack', ['--os-cloud', 'sim', ...args], { env: { ...process.env, OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') } });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  };

  it('writes a clouds.yaml for cloud "sim"', () => {
    const yaml = readFileSync(join(dir, 'clouds.yaml'), 'utf8');
    expect(yaml).toContain(`auth_url: ${url}/v3`);
    expect(yaml).toMatch(/username: demo[\s\S]*project_name: demo[\s\S]*region_name: RegionOne[\s\S]*interface: public/);
  });

  it('answers plain HTTP', async () => {
    const res = await fetch(`${url}/networking/`);
    expect(res.status).toBe(200);
  });

  it(`openstack CLI: creates, lists by tag, shows, sets and deletes networks`, async () => {
    const created = await os('network', 'create', '--tag', 'cloudnet-managed', 'cli-net', '-f', 'json');
    expect(created).toMatchObject({ name: 'cli-net', status: 'ACTIVE', mtu: 1450 });
    const listed = await os('network', 'list', '--tags', 'cloudnet-managed', '-f', 'json');
    expect(listed.map((n: { Name: string }) => n.Name)).toEqual(['cli-net']);
    await os('network', 'set', '--name', 'cli-net2', '--description', 'd', created.id);
    const shown = await os('network', 'show', created.id, '-f', 'json');
    expect(shown).toMatchObject({ name: 'cli-net2', description: 'd', tags: ['cloudnet-managed'] });
    await os('network', 'delete', created.id);
    const after = await os('network', 'list', '-f', 'json');
    expect(after.map((n: { Name: string }) => n.Name)).toEqual(['public']);
  }, 60_000);

  it(`openstack CLI: builds and tears down a topology: subnet, router, security group, port, floating IP`, async () => {
    await os('network', 'create', 'topo', '-f', 'json');
    const subnet = await os('subnet', 'create', '--network', 'topo', '--subnet-range', '10.7.0.5/24', 'topo-sub', '-f', 'json');
    expect(subnet).toMatchObject({ cidr: '10.7.0.0/24', gateway_ip: '10.7.0.1' });
    await os('router', 'create', 'topo-r', '-f', 'json');
    await os('router', 'set', '--external-gateway', 'public', 'topo-r');
    await os('router', 'add', 'subnet', 'topo-r', 'topo-sub');
    await os('security', 'group', 'create', 'topo-sg', '-f', 'json');
    const rule = await os('security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'topo-sg', '-f', 'json');
    expect(rule).toMatchObject({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, direction: 'ingress' });
    const port = await os('port', 'create', '--network', 'topo', '--security-group', 'topo-sg', 'topo-p', '-f', 'json');
    expect(port).toMatchObject({ status: 'DOWN', fixed_ips: [{ ip_address: expect.stringMatching(/^10\.7\.0\.\d+$/) }] });
    const fip = await os('floating', 'ip', 'create', '--port', 'topo-p', 'public', '-f', 'json');
    expect(fip).toMatchObject({ status: 'DOWN', fixed_ip_address: port.fixed_ips[0].ip_address, port_id: port.id });
    const ports = await os('port', 'list', '--router', 'topo-r', '-f', 'json');
    expect(ports).toHaveLength(1);

    await os('floating', 'ip', 'unset', '--port', fip.id);
    await os('floating', 'ip', 'delete', fip.id);
    await os('port', 'delete', 'topo-p');
    await os('router', 'remove', 'subnet', 'topo-r', 'topo-sub');
    await os('router', 'unset', '--external-gateway', 'topo-r');
    await os('router', 'delete', 'topo-r');
    await os('security', 'group', 'delete', 'topo-sg');
    await os('network', 'delete', 'topo');
    expect(await os('subnet', 'list', '-f', 'json')).toEqual([]); // an external network's subnet is not the member's to see
    expect(await os('router', 'list', '-f', 'json')).toEqual([]);
    expect(await os('floating', 'ip', 'list', '-f', 'json')).toEqual([]);
  }, 120_000);

  it(`openstack CLI: sets, shows and lists by tag subnets, routers, ports, security groups and floating IPs`, async () => {
    await os('network', 'create', 'tagged', '-f', 'json');
    const ids: Record<string, string> = {
      subnet: (await os('subnet', 'create', '--network', 'tagged', '--subnet-range', '10.8.0.0/24', 'tagged-sub', '-f', 'json')).id,
      router: (await os('router', 'create', 'tagged-r', '-f', 'json')).id,
      port: (await os('port', 'create', '--network', 'tagged', 'tagged-p', '-f', 'json')).id,
      'security group': (await os('security', 'group', 'create', 'tagged-sg', '-f', 'json')).id,
      'floating ip': (await os('floating', 'ip', 'create', 'public', '-f', 'json')).id,
    };
    for (const [resource, id] of Object.entries(ids)) {
      const words = resource.split(' ');
      await os(...words, 'set', '--tag', 'cli-tag', '--description', `set by the CLI`, id!);
      expect(await os(...words, 'show', id!, '-f', 'json'), resource).toMatchObject({ id, description: 'set by the CLI', tags: ['cli-tag'] });
      const listed = await os(...words, 'list', '--tags', 'cli-tag', '-f', 'json');
      expect(listed.map((item: { ID: string }) => item.ID), resource).toEqual([id]);
    }
    for (const [resource, id] of Object.entries(ids).reverse()) await os(...resource.split(' '), 'delete', id!);
    await os('network', 'delete', 'tagged');
  }, 120_000);

  it(`openstack CLI: flavors, images, and a server: create, list, show, set properties and tags, delete`, async () => {
    expect((await os('flavor', 'list', '-f', 'json')).map((f: { Name: string; RAM: number }) => [f.Name, f.RAM])).toEqual([['m1.tiny', 64], ['m1.small', 128], ['m1.nohost', 64]]);
    expect(await os('image', 'list', '-f', 'json')).toMatchObject([{ Name: 'fake-image', Status: 'active' }]);
    await os('network', 'create', 'vm-net', '-f', 'json');
    await os('subnet', 'create', '--network', 'vm-net', '--subnet-range', '10.9.0.0/24', 'vm-sub', '-f', 'json');
    const created = await os('server', 'create', '--flavor', 'm1.tiny', '--image', 'fake-image', '--network', 'vm-net', '--wait', 'vm1', '-f', 'json');
    expect(created).toMatchObject({ name: 'vm1', status: 'ACTIVE', flavor: 'm1.tiny (1)', addresses: { 'vm-net': [expect.stringMatching(/^10\.9\.0\.\d+$/)] } });
    const listed = await os('server', 'list', '-f', 'json');
    expect(listed).toMatchObject([{ ID: created.id, Name: 'vm1', Status: 'ACTIVE', Image: 'fake-image', Flavor: 'm1.tiny' }]);
    expect(await os('server', 'show', 'vm1', '-f', 'json')).toMatchObject({ id: created.id, image: expect.stringContaining('fake-image'), properties: {} });
    await os('server', 'set', '--property', 'role=web', 'vm1');
    // Tags need compute microversion 2.26; the CLI speaks 2.1 unless told.
    await os('--os-compute-api-version', '2.26', 'server', 'set', '--tag', 'blue', 'vm1');
    expect(await os('--os-compute-api-version', '2.26', 'server', 'show', created.id, '-f', 'json')).toMatchObject({ properties: { role: 'web' }, tags: ['blue'] });
    await os('server', 'delete', '--wait', 'vm1');
    expect(await os('server', 'list', '-f', 'json')).toEqual([]);
    expect(await os('port', 'list', '--network', 'vm-net', '-f', 'json')).toEqual([]);
    await os('network', 'delete', 'vm-net');
  }, 120_000);

  it('stops on SIGTERM', async () => {
    expect(await stopProcess(child)).toBe(0);
  });
});
