// PrivateNetwork on Exoscale: a private network and the instances attached to it. Every mutation is an
// operation: one is sent at a time, and a pending one is polled before the next (the reconciler
// records it in status.pendingOperation, so a restart resumes the poll).
import { privateNetwork as privateNetworkKind, type PrivateNetworkImportFilter, type PrivateNetworkObserved, type PrivateNetworkResource } from '../api/privatenetwork.ts';
import type { ExoscaleClient } from '../cloud/exoscale/client.ts';
import { CloudError } from '../cloud/errors.ts';
import { operationPollAfterMs, retryable } from '../cloud/exoscale/operations.ts';
import type { Instance, Operation, PrivateNetwork, PrivateNetworkFields, PrivateNetworkOptions } from '../cloud/exoscale/types.ts';
import { exoscale } from '../providers/exoscale.ts';
import { accepted, kindOf, type Accepted, type Adapter, type OperationStatus } from '../reconcile/adapter.ts';
import { isManagedLabels, labelMarks, labelsOwnedBy, type Labels } from '../reconcile/marks.ts';
import { detachingFirst, instanceChanges, instancesProgress, type InstanceChanges } from './instance-set.ts';
import { sameList } from './neutron.ts';

/** The network with the instances attached to it (their private-networks say so, leased or not) and the zone's instances. */
export interface ObservedExoscalePrivateNetwork {
  network: PrivateNetwork;
  /** Instance id -> its lease, if it has one. */
  attached: Map<string, string | undefined>;
  /** Every instance of the zone, to find instances by name. */
  instances: Instance[];
  zone: string;
}

function withInstances(cloud: ExoscaleClient, network: PrivateNetwork, instances: Instance[]): ObservedExoscalePrivateNetwork {
  const leases = new Map((network.leases ?? []).map((l) => [l['instance-id'], l.ip]));
  const attached = new Map(instances.filter((i) => (i['private-networks'] ?? []).some((n) => n.id === network.id)).map((i) => [i.id, leases.get(i.id)]));
  return { network, attached, instances, zone: cloud.zone };
}

const observe = async (cloud: ExoscaleClient, network: PrivateNetwork): Promise<ObservedExoscalePrivateNetwork> => withInstances(cloud, network, await cloud.listInstances());

async function get(cloud: ExoscaleClient, id: string): Promise<ObservedExoscalePrivateNetwork | undefined> {
  const network = await cloud.getPrivateNetwork(id);
  return network && observe(cloud, network);
}

/** The zone's instances are listed once for all the networks. */
async function observeAll(cloud: ExoscaleClient, networks: PrivateNetwork[]): Promise<ObservedExoscalePrivateNetwork[]> {
  if (networks.length === 0) return [];
  const instances = await cloud.listInstances();
  return networks.map((n) => withInstances(cloud, n, instances));
}

/** The writable fields the spec sets (labels are marks: the reconciler keeps them). */
function fields(r: PrivateNetworkResource, name: string): PrivateNetworkFields {
  return {
    name,
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.netmask !== undefined ? { 'start-ip': r.startIP, 'end-ip': r.endIP, netmask: r.netmask } : {}),
    ...(r.dhcpOptions !== undefined ? { options: options(r.dhcpOptions) } : {}),
  };
}

function options(o: NonNullable<PrivateNetworkResource['dhcpOptions']>): PrivateNetworkOptions {
  return {
    ...(o.routers?.length ? { routers: o.routers } : {}),
    ...(o.dnsServers?.length ? { 'dns-servers': o.dnsServers } : {}),
    ...(o.ntpServers?.length ? { 'ntp-servers': o.ntpServers } : {}),
    ...(o.domainSearch?.length ? { 'domain-search': o.domainSearch } : {}),
  };
}

const OPTION_KEYS = ['routers', 'dns-servers', 'ntp-servers', 'domain-search'] as const;
const sameOptions = (a: PrivateNetworkOptions = {}, b: PrivateNetworkOptions = {}) => OPTION_KEYS.every((k) => sameList(a[k] ?? [], b[k] ?? []));

/** Only the fields that differ; the range goes as a whole (the API checks its three parts together). */
function changedFields(want: PrivateNetworkFields, have: PrivateNetwork): PrivateNetworkFields | undefined {
  const changed: PrivateNetworkFields = {};
  if (want.name !== have.name) changed.name = want.name;
  if (want.description !== undefined && want.description !== (have.description ?? '')) changed.description = want.description;
  if (want.netmask !== undefined && (want['start-ip'] !== have['start-ip'] || want['end-ip'] !== have['end-ip'] || want.netmask !== have.netmask)) {
    Object.assign(changed, { 'start-ip': want['start-ip'], 'end-ip': want['end-ip'], netmask: want.netmask });
  }
  if (want.options !== undefined && !sameOptions(want.options, have.options)) changed.options = want.options;
  return Object.keys(changed).length > 0 ? changed : undefined;
}

/** An operation that failed in its first answer: the cloud's words, classified like a failed poll. */
function operationError(operation: Operation, what: string): CloudError {
  return new CloudError({
    provider: 'exoscale',
    service: 'api',
    operation: what,
    code: operation.state === 'timeout' ? 'OperationTimedOut' : 'OperationFailed',
    kind: retryable(operation) ? 'transient' : 'terminal',
    message: `${operation.reason ?? operation.state}: ${operation.message ?? 'no message'}`,
  });
}

/**
 * An operation's first answer: done (undefined), still running (Accepted, to be polled), or failed
 * (thrown). `startedAt` is now: the first poll comes at the start of the schedule.
 */
function settle(cloud: ExoscaleClient, operation: Operation, what: string): Accepted | undefined {
  if (operation.state === 'success') return undefined;
  if (operation.state === 'pending') return accepted({ id: operation.reference?.id, operation: operation.id, pollAfterMs: operationPollAfterMs(0, cloud.operationPollMs) });
  throw operationError(operation, what);
}

async function pollOperation(cloud: ExoscaleClient, { id, startedAt }: { id: string; startedAt: string }): Promise<OperationStatus> {
  const operation = await cloud.getOperation(id);
  if (operation.state === 'pending') return { state: 'pending', pollAfterMs: operationPollAfterMs(Date.now() - Date.parse(startedAt), cloud.operationPollMs) };
  if (operation.state === 'success') return { state: 'done', ...(operation.reference?.id ? { id: operation.reference.id } : {}) };
  const failure = operationError(operation, 'operation');
  return { state: 'failed', reason: failure.code, message: failure.message, retry: failure.kind === 'transient' };
}

/** A request that answers with an operation, named for errors. */
type Mutation = [what: string, send: () => Promise<Operation>];

/** The mutations of a patch, in the order they are sent: fields, then detach (freeing addresses), update-ip, attach. */
function mutations(cloud: ExoscaleClient, id: string, patch: Record<string, unknown>): Mutation[] {
  const fieldsPatch = patch.fields as PrivateNetworkFields | undefined;
  const changes = patch.instances as InstanceChanges | undefined;
  return [
    ...(fieldsPatch ? [['updatePrivateNetwork', () => cloud.updatePrivateNetwork(id, fieldsPatch)] satisfies Mutation] : []),
    ...(changes?.detach ?? []).map((i): Mutation => ['detachInstance', () => cloud.detachInstance(id, i)]),
    ...(changes?.updateIp ?? []).map((c): Mutation => ['updateInstanceIp', () => cloud.updateInstanceIp(id, c.id, c.ip)]),
    ...(changes?.attach ?? []).map((c): Mutation => ['attachInstance', () => cloud.attachInstance(id, c.id, c.ip)]),
  ];
}

export const privateNetwork: Adapter<PrivateNetworkResource, PrivateNetworkImportFilter, PrivateNetworkObserved, ObservedExoscalePrivateNetwork, ExoscaleClient, Labels> = {
  ...kindOf(privateNetworkKind, exoscale),
  references: () => [],
  get,
  listForImport: async (cloud, f) => observeAll(cloud, (await cloud.listPrivateNetworks()).filter((n) => f.name === undefined || n.name === f.name)),
  marks: labelMarks,
  marksOf: (o) => o.network.labels ?? {},
  userMarks: (r) => r.labels ?? {},
  // The API lists a zone's networks whole, without filters: the labels are matched here.
  listOwned: async (cloud, uid) => observeAll(cloud, (await cloud.listPrivateNetworks()).filter((n) => labelsOwnedBy(n.labels ?? {}, uid))),
  listManaged: async (cloud) => observeAll(cloud, (await cloud.listPrivateNetworks()).filter((n) => isManagedLabels(n.labels ?? {}))),
  async setMarks(cloud, o, labels) {
    const operation = labelMarks.isEmpty(labels) ? await cloud.resetPrivateNetworkField(o.network.id, 'labels') : await cloud.updatePrivateNetwork(o.network.id, { labels: { ...labels } });
    // Accepted is as good as done here: the API applies labels at once, and the drift check reads them back.
    settle(cloud, operation, 'setLabels');
    return { ...o, network: { ...o.network, labels: { ...labels } } };
  },
  // Exoscale reports no creation time; labels travel in the create, so no intent needs one.
  createdAt: () => undefined,
  async create(cloud, { resource, name }, labels) {
    const operation = await cloud.createPrivateNetwork({ ...fields(resource, name), labels: { ...labels } });
    const pending = settle(cloud, operation, 'createPrivateNetwork');
    if (pending) return pending;
    const created = operation.reference?.id ? await get(cloud, operation.reference.id) : undefined;
    return created ?? accepted({ id: operation.reference?.id, pollAfterMs: operationPollAfterMs(0, cloud.operationPollMs) });
  },
  diff: ({ resource, name }, o) => {
    const patch: Record<string, unknown> = {};
    const changed = changedFields(fields(resource, name), o.network);
    if (changed) patch.fields = changed;
    const instances = instanceChanges(resource.instances, o.instances, o.attached);
    if (instances) patch.instances = instances;
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  async update(cloud, o, patch) {
    for (const [what, send] of mutations(cloud, o.network.id, patch)) {
      const pending = settle(cloud, await send(), what);
      if (pending) return pending;
    }
    return (await get(cloud, o.network.id)) ?? o;
  },
  async delete(cloud, id) {
    const observed = await get(cloud, id);
    if (!observed) return;
    // A network with instances attached is not deleted: detach them first, whoever attached them.
    if (observed.attached.size > 0) {
      const ids = [...observed.attached.keys()];
      for (const instance of ids) settle(cloud, await cloud.detachInstance(id, instance), 'detachInstance');
      throw detachingFirst({ provider: 'exoscale', service: 'api' }, ids, id);
    }
    const operation = await cloud.deletePrivateNetwork(id);
    return operation && settle(cloud, operation, 'deletePrivateNetwork');
  },
  operation: pollOperation,
  id: (o) => o.network.id,
  summarize: ({ network: n, attached, zone }) => ({
    name: n.name,
    ...(n.description !== undefined ? { description: n.description } : {}),
    ...(n.labels !== undefined ? { labels: n.labels } : {}),
    ...(n['start-ip'] !== undefined ? { startIP: n['start-ip'], endIP: n['end-ip'], netmask: n.netmask } : {}),
    ...(n.options !== undefined
      ? {
          dhcpOptions: {
            ...(n.options.routers ? { routers: n.options.routers } : {}),
            ...(n.options['dns-servers'] ? { dnsServers: n.options['dns-servers'] } : {}),
            ...(n.options['ntp-servers'] ? { ntpServers: n.options['ntp-servers'] } : {}),
            ...(n.options['domain-search'] ? { domainSearch: n.options['domain-search'] } : {}),
          },
        }
      : {}),
    ...(n.vni !== undefined ? { vni: n.vni } : {}),
    // Every attached instance, with its lease on a managed network (an unmanaged one leases nothing).
    leases: [...attached].map(([instanceID, ip]) => ({ instanceID, ...(ip ? { ip } : {}) })),
    zone,
  }),
  progress: (o, r) => instancesProgress(r?.instances, o.instances, `in zone ${o.zone}`),
};
