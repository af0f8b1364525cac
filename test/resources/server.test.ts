// The Server adapter's own logic: what differs between a spec and a server as Nova reports it
// (docs/openstack-notes.md), and where a server stands.
import { describe, expect, it } from 'vitest';
import type { ServerResource } from '../../src/api/server.ts';
import type { NovaInterface } from '../../src/cloud/openstack/nova-types.ts';
import { resolvedRefs, type Desired } from '../../src/reconcile/adapter.ts';
import { server, SERVER_POLL_MS, type ObservedServer } from '../../src/resources/server.ts';

const IDS = new Map(Object.entries({ 'Network/lan': 'net-lan', 'Network/dmz': 'net-dmz', 'Port/db': 'port-db', 'SecurityGroup/web': 'sg-web' }));

function want(over: Partial<ServerResource> = {}, name = 'web'): Desired<ServerResource> {
  const resource: ServerResource = { image: { name: 'cirros' }, flavor: { name: 'm1.tiny' }, networks: [{ networkRef: { name: 'lan' } }], powerState: 'Running', recreateOnError: false, ...over };
  return { resource, refs: resolvedRefs(IDS), name };
}

const itf = (port: string, net: string, ip = '10.0.0.5'): NovaInterface => ({ port_id: port, net_id: net, mac_addr: 'fa:16:3e:00:00:01', port_state: 'ACTIVE', fixed_ips: [{ subnet_id: 's', ip_address: ip }] });

function observed(over: Partial<ObservedServer> = {}): ObservedServer {
  return {
    id: 'srv-1',
    name: 'web',
    status: 'ACTIVE',
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:vm_state': 'active',
    'OS-EXT-STS:power_state': 1,
    addresses: {},
    flavor: { original_name: 'm1.tiny', vcpus: 1, ram: 64, disk: 1 },
    flavorID: '1',
    image: { id: 'img' },
    key_name: null,
    metadata: {},
    tags: [],
    config_drive: '',
    tenant_id: 'p',
    created: '2026-12-06T03:36:32Z',
    updated: '2026-12-06T03:36:35Z',
    interfaces: [itf('p-lan', 'net-lan')],
    ...over,
  };
}

describe('Server diff', () => {
  it('nothing to do when the server is as asked', () => {
    expect(server.diff(want(), observed())).toBeUndefined();
    expect(server.diff(want({ flavor: { id: '1' }, metadata: { a: 'b' } }), observed({ metadata: { a: 'b' } }))).toBeUndefined();
  });

  it('a flavor change resizes (by name or by id); a resized server waiting for it is confirmed', () => {
    expect(server.diff(want({ flavor: { name: 'm1.small' } }), observed())).toEqual({ resize: { name: 'm1.small' } });
    expect(server.diff(want({ flavor: { id: '2' } }), observed())).toEqual({ resize: { id: '2' } });
    const verify = observed({ status: 'VERIFY_RESIZE', flavor: { original_name: 'm1.small', vcpus: 1, ram: 128, disk: 1 }, flavorID: '2' });
    expect(server.diff(want({ flavor: { name: 'm1.small' } }), verify)).toEqual({ confirmResize: true });
  });

  it('the power state follows the spec: one transition at a time, after a resize', () => {
    expect(server.diff(want({ powerState: 'Stopped' }), observed())).toEqual({ power: 'Stopped' });
    expect(server.diff(want(), observed({ status: 'SHUTOFF', 'OS-EXT-STS:power_state': 4 }))).toEqual({ power: 'Running' });
    expect(server.diff(want({ powerState: 'Stopped' }), observed({ status: 'SHUTOFF' }))).toBeUndefined();
    expect(server.diff(want({ powerState: 'Stopped', flavor: { name: 'm1.small' } }), observed())).toEqual({ resize: { name: 'm1.small' } });
  });

  it('interfaces as a set: Port objects and networks attached where missing, the rest detached', () => {
    const networks = [{ portRef: { name: 'db' } }, { networkRef: { name: 'lan' } }, { networkRef: { name: 'dmz' }, fixedIP: '10.9.0.9' }];
    expect(server.diff(want({ networks }), observed({ interfaces: [itf('p-lan', 'net-lan'), itf('p-old', 'net-old')] }))).toEqual({
      interfaces: { attach: [{ port_id: 'port-db' }, { net_id: 'net-dmz', fixed_ips: [{ ip_address: '10.9.0.9' }] }], detach: ['p-old'] },
    });
    // Each interface answers one request: two on the same network need two interfaces.
    expect(server.diff(want({ networks: [{ networkRef: { name: 'lan' } }, { networkRef: { name: 'lan' } }] }), observed())).toEqual({
      interfaces: { attach: [{ net_id: 'net-lan' }], detach: [] },
    });
    // A fixed IP the interface does not have is a different interface.
    expect(server.diff(want({ networks: [{ networkRef: { name: 'lan' }, fixedIP: '10.0.0.9' }] }), observed())).toEqual({
      interfaces: { attach: [{ net_id: 'net-lan', fixed_ips: [{ ip_address: '10.0.0.9' }] }], detach: ['p-lan'] },
    });
    expect(server.diff(want({ networks: [] }), observed())).toEqual({ interfaces: { attach: [], detach: ['p-lan'] } });
  });

  it('renames and replaces metadata; unset metadata is left alone', () => {
    expect(server.diff(want({ metadata: { role: 'web' } }, 'web-2'), observed({ metadata: { role: 'db', other: 'x' } }))).toEqual({ name: 'web-2', metadata: { role: 'web' } });
    expect(server.diff(want(), observed({ metadata: { set: 'elsewhere' } }))).toBeUndefined();
  });

  it("the operator's marks in metadata (clouds below 2.52) are neither drift nor the user's", () => {
    const marked = { 'cloudnet-managed': 'true', 'cloudnet-uid': 'u-1' };
    expect(server.diff(want({ metadata: { role: 'web' } }), observed({ metadata: { role: 'web', ...marked } }))).toBeUndefined();
    expect(server.diff(want({ metadata: {} }), observed({ metadata: marked }))).toBeUndefined();
    expect(server.diff(want({ metadata: { role: 'db' } }), observed({ metadata: { role: 'web', ...marked } }))).toEqual({ metadata: { role: 'db' } });
  });
});

describe('Server progress', () => {
  it('ACTIVE and SHUTOFF are ready; a task in flight is busy; BUILD is busy; VERIFY_RESIZE is not (it gets confirmed)', () => {
    expect(server.progress(observed())).toEqual({ state: 'ready' });
    expect(server.progress(observed({ status: 'SHUTOFF' }))).toEqual({ state: 'ready' });
    expect(server.progress(observed({ 'OS-EXT-STS:task_state': 'powering-off' }))).toEqual({ state: 'progressing', reason: 'WaitingForCloud', message: 'server srv-1 is ACTIVE (powering-off)', pollAfterMs: SERVER_POLL_MS, busy: true });
    expect(server.progress(observed({ status: 'BUILD', 'OS-EXT-STS:task_state': 'spawning' }))).toMatchObject({ state: 'progressing', busy: true });
    expect(server.progress(observed({ status: 'VERIFY_RESIZE' }))).toMatchObject({ state: 'progressing', reason: 'Resizing', busy: false });
  });

  it("ERROR is failed, with Nova's fault", () => {
    expect(server.progress(observed({ status: 'ERROR', fault: { code: 500, message: 'Exceeded maximum number of retries.' } }))).toEqual({
      state: 'failed',
      reason: 'ServerError',
      message: 'server srv-1 is in ERROR: Exceeded maximum number of retries.',
    });
  });
});

describe('Server status', () => {
  it('summarizes what Nova reports: addresses by network, the flavor, the power state, and the fault only in ERROR', () => {
    const o = observed({
      addresses: { lan: [{ addr: '10.0.0.5', version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01' }, { addr: '203.0.113.20', version: 4, 'OS-EXT-IPS:type': 'floating' }] },
      'OS-EXT-AZ:availability_zone': 'nova',
      fault: { code: 500, message: 'old fault' },
      tags: ['b', 'a'],
    });
    expect(server.summarize(o)).toMatchObject({
      status: 'ACTIVE',
      powerState: 'Running',
      imageID: 'img',
      flavor: { name: 'm1.tiny', vcpus: 1, ramMiB: 64, diskGiB: 1 },
      addresses: [
        { network: 'lan', address: '10.0.0.5', type: 'fixed', macAddress: 'fa:16:3e:00:00:01' },
        { network: 'lan', address: '203.0.113.20', type: 'floating' },
      ],
      availabilityZone: 'nova',
      tags: ['a', 'b'],
    });
    expect(server.summarize(o).fault).toBeUndefined();
  });

  it('references its Networks, Port objects and SecurityGroups, all blocking', () => {
    expect(server.references(want({ networks: [{ portRef: { name: 'db' } }, { networkRef: { name: 'lan' } }], securityGroupRefs: [{ name: 'web' }] }).resource)).toEqual([
      { kind: 'Port', name: 'db', field: 'networks[0].portRef' },
      { kind: 'Network', name: 'lan', field: 'networks[1].networkRef' },
      { kind: 'SecurityGroup', name: 'web', field: 'securityGroupRefs[0]' },
    ]);
  });
});
