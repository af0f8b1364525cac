// Server: a Nova server on Networks (Nova makes the ports) or Ports, with its power state, flavor
// (a change resizes it and confirms the resize), interfaces (attached and detached live), metadata
// and tags. Everything that is specific to the kind; docs/openstack-notes.md has what Nova does.
import { server as serverKind, type ServerImportFilter, type ServerObserved, type ServerResource } from '../api/server.ts';
import { CloudError, isCloudError } from '../cloud/errors.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { InterfaceRequest, Nova } from '../cloud/openstack/nova.ts';
import { TAGS_ON_CREATE_MICROVERSION } from '../cloud/openstack/nova.ts';
import type { NovaFlavor, NovaInterface, NovaNetworkRequest, NovaServer } from '../cloud/openstack/nova-types.ts';
import type { NeutronPort } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { accepted, CloudPrecondition, failed, kindOf, progressing, READY, type Adapter, type CreateRequest, type Progress, type Ref, type ResolvedRefs } from '../reconcile/adapter.ts';
import { isOperatorLabel, labelMarks, labelsOwnedBy, MANAGED, ownerLabelsOfTags, ownerTag, tagMarks } from '../reconcile/marks.ts';
import { listForEach } from './neutron.ts';

/** The server with its interfaces (Nova lists them apart) and its flavor's id (2.47+ embeds a copy without one). */
export type ObservedServer = NovaServer & { interfaces: NovaInterface[]; flavorID: string | undefined };

/** How often a server in transition is looked at again: builds, resizes and power changes take seconds. */
export const SERVER_POLL_MS = 2_000;

const POWER_STATES: Record<number, string> = { 0: 'NoState', 1: 'Running', 3: 'Paused', 4: 'Shutdown', 6: 'Crashed', 7: 'Suspended' };

/** Flavors by id, per client: fetched when one is not known yet (flavors are few and rarely change). */
const flavorCache = new WeakMap<Nova, Map<string, NovaFlavor>>();

async function flavors(nova: Nova, refresh: boolean): Promise<Map<string, NovaFlavor>> {
  let known = flavorCache.get(nova);
  if (!known || refresh) {
    known = new Map((await nova.listFlavors()).map((f) => [f.id, f]));
    flavorCache.set(nova, known);
  }
  return known;
}

/** The flavor a spec names, by name or id: not found is worth another look later (a flavor may be made meanwhile). */
async function resolveFlavor(nova: Nova, ref: ServerResource['flavor']): Promise<NovaFlavor> {
  const match = (all: Map<string, NovaFlavor>) => (ref.id !== undefined ? all.get(ref.id) : [...all.values()].find((f) => f.name === ref.name));
  const found = match(await flavors(nova, false)) ?? match(await flavors(nova, true));
  if (found) return found;
  throw notFound('listFlavors', 'FlavorNotFound', `no flavor ${ref.id !== undefined ? `with id ${ref.id}` : `named "${ref.name}"`} is available to the project`);
}

/** The image a spec names: by id as given (Nova checks it), by name the single active one. */
async function resolveImage(cloud: OpenStackClient, ref: ServerResource['image']): Promise<string> {
  if (ref.id !== undefined) return ref.id;
  const images = (await cloud.glance.listImages({ name: ref.name! })).filter((i) => i.status === 'active');
  if (images.length === 1) return images[0]!.id;
  if (images.length === 0) throw notFound('listImages', 'ImageNotFound', `no active image named "${ref.name}"`);
  throw new CloudError({ provider: 'openstack', service: 'image', operation: 'listImages', status: 409, code: 'ImageAmbiguous', kind: 'terminal', message: `${images.length} active images are named "${ref.name}" (${images.map((i) => i.id).join(', ')}): name one by id` });
}

/** Nova takes at most this much user data, base64-encoded; its refusal would echo the data. */
const MAX_USER_DATA = 65535;

/** The user data to send, base64 (inline text encoded; a Secret's bytes as they are), or undefined for none. */
function userData(r: ServerResource, secretData: CreateRequest<ServerResource>['secretData']): string | undefined {
  const data = r.userDataSecretRef ? secretData(r.userDataSecretRef) : r.userData !== undefined ? Buffer.from(r.userData, 'utf8').toString('base64') : undefined;
  if (data !== undefined && data.length > MAX_USER_DATA) {
    const source = r.userDataSecretRef ? `user data of Secret ${r.userDataSecretRef.name} key ${r.userDataSecretRef.key}` : 'userData';
    throw new CloudError({ provider: 'openstack', service: 'compute', operation: 'createServer', status: 400, code: 'UserDataTooLarge', kind: 'terminal', message: `${source} is ${data.length} bytes base64-encoded; Nova takes at most ${MAX_USER_DATA}` });
  }
  return data;
}

const notFound = (operation: string, code: string, message: string) => new CloudError({ provider: 'openstack', service: 'compute', operation, status: 404, code, kind: 'notFound', message });

const flavorIdOf = (known: Map<string, NovaFlavor>, server: NovaServer): string | undefined => [...known.values()].find((f) => f.name === server.flavor.original_name)?.id;

/** A server still being built (or deleted) has no interfaces to list yet. */
const hasInterfaces = (server: NovaServer): boolean => server.status !== 'BUILD' && server.status !== 'DELETED';

async function observe(cloud: OpenStackClient, server: NovaServer): Promise<ObservedServer> {
  const known = await flavors(cloud.nova, false);
  const interfaces = hasInterfaces(server) ? await cloud.nova.listInterfaces(server.id) : [];
  return { ...server, interfaces, flavorID: flavorIdOf(known, server) };
}

/** An interface as Nova's os-interface derives it from the server's Neutron port. */
const interfaceOf = (port: NeutronPort): NovaInterface => ({
  port_id: port.id,
  net_id: port.network_id,
  mac_addr: port.mac_address,
  port_state: port.status,
  fixed_ips: port.fixed_ips.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
});

/** Servers as observe() sees them, their interfaces read from their Neutron ports in a few requests, not one os-interface call each. */
async function observeAll(cloud: OpenStackClient, servers: NovaServer[]): Promise<ObservedServer[]> {
  if (servers.length === 0) return [];
  const known = await flavors(cloud.nova, false);
  const ports = await listForEach(servers.filter(hasInterfaces).map((s) => s.id), (ids) => cloud.neutron.ports.list({ filters: { device_id: ids } }));
  const byServer = Map.groupBy(ports, (p) => p.device_id);
  return servers.map((server) => ({ ...server, interfaces: hasInterfaces(server) ? (byServer.get(server.id) ?? []).map(interfaceOf) : [], flavorID: flavorIdOf(known, server) }));
}

/** What the networks of a spec ask for, in Nova's create shape ("none" for no network at all). */
function networkRequests(r: ServerResource, refs: ResolvedRefs): NovaNetworkRequest[] | 'none' {
  if (r.networks.length === 0) return 'none';
  return r.networks.map((n) => (n.portRef ? { port: refs.id('Port', n.portRef.name) } : { uuid: refs.id('Network', n.networkRef!.name), ...(n.fixedIP ? { fixed_ip: n.fixedIP } : {}) }));
}

const NO_SUBNET = /Network (\S+) requires a subnet/;

/**
 * Nova boots nothing on a network without a subnet (400). Applied together, a Server may come
 * before its Network's Subnet: it waits for one, retried on the backoff schedule and woken at once
 * when a Subnet object changes, instead of stalling.
 */
function waitingForSubnet(err: unknown, r: ServerResource, refs: ResolvedRefs): unknown {
  const networkId = isCloudError(err) && err.status === 400 ? NO_SUBNET.exec(err.message)?.[1] : undefined;
  if (networkId === undefined) return err;
  const named = r.networks.find((n) => n.networkRef && refs.id('Network', n.networkRef.name) === networkId)?.networkRef?.name;
  return new CloudPrecondition({
    reason: 'WaitingForSubnet',
    message: `Network ${named ?? networkId} has no subnet, and Nova boots no server on a network without one: give it a Subnet (${(err as CloudError).describe()})`,
    wokenBy: ['Subnet'],
    error: err as CloudError,
  });
}

interface InterfaceChanges {
  attach: InterfaceRequest[];
  detach: string[];
}

/**
 * The interfaces as a set: a Port object's port is attached where it is missing; a network wants one
 * interface on it (with the fixed IP, if given) that no Port object accounts for; every other
 * interface is detached.
 */
function interfaceChanges(r: ServerResource, refs: ResolvedRefs, observed: ObservedServer): InterfaceChanges | undefined {
  const unmatched = [...observed.interfaces];
  const take = (test: (i: NovaInterface) => boolean) => {
    const index = unmatched.findIndex(test);
    return index >= 0 ? unmatched.splice(index, 1)[0] : undefined;
  };
  const attach: InterfaceRequest[] = [];
  for (const n of r.networks.filter((x) => x.portRef)) {
    const port = refs.id('Port', n.portRef!.name);
    if (!take((i) => i.port_id === port)) attach.push({ port_id: port });
  }
  for (const n of r.networks.filter((x) => x.networkRef)) {
    const network = refs.id('Network', n.networkRef!.name);
    const found = take((i) => i.net_id === network && (!n.fixedIP || i.fixed_ips.some((ip) => ip.ip_address === n.fixedIP)));
    if (!found) attach.push({ net_id: network, ...(n.fixedIP ? { fixed_ips: [{ ip_address: n.fixedIP }] } : {}) });
  }
  const detach = unmatched.map((i) => i.port_id);
  return attach.length + detach.length > 0 ? { attach, detach } : undefined;
}

/** The server's metadata without the operator's marks (set below 2.52, kept while the server lives), and the marks alone. */
const userMetadata = (o: NovaServer) => labelMarks.withoutOperator(o.metadata ?? {});
const operatorMetadata = (o: NovaServer) => Object.fromEntries(Object.entries(o.metadata ?? {}).filter(([key]) => isOperatorLabel(key)));

function serverProgress(o: ObservedServer, r?: ServerResource): Progress {
  const task = o['OS-EXT-STS:task_state'];
  if (o.status === 'ERROR') return failed('ServerError', `server ${o.id} is in ERROR${o.fault?.message ? `: ${o.fault.message}` : ''}`, { recreate: r?.recreateOnError });
  // Not busy: the update that follows confirms the resize.
  if (o.status === 'VERIFY_RESIZE') return progressing(`server ${o.id} was resized to ${o.flavor.original_name}; confirming`, SERVER_POLL_MS, { reason: 'Resizing' });
  if (task) return progressing(`server ${o.id} is ${o.status} (${task})`, SERVER_POLL_MS, { busy: true });
  if (o.status === 'ACTIVE' || o.status === 'SHUTOFF') return READY;
  return progressing(`server ${o.id} is ${o.status}`, SERVER_POLL_MS, { busy: true });
}

const references = (r: ServerResource): Ref[] => [
  ...r.networks.map((n, i): Ref => (n.portRef ? { kind: 'Port', name: n.portRef.name, field: `networks[${i}].portRef` } : { kind: 'Network', name: n.networkRef!.name, field: `networks[${i}].networkRef` })),
  ...(r.securityGroupRefs ?? []).map((g, i): Ref => ({ kind: 'SecurityGroup', name: g.name, field: `securityGroupRefs[${i}]` })),
];

export const server: Adapter<ServerResource, ServerImportFilter, ServerObserved, ObservedServer, OpenStackClient> = {
  ...kindOf(serverKind, openstack),
  references,
  get: async (cloud, id) => {
    const found = await cloud.nova.getServer(id);
    return found && found.status !== 'DELETED' ? observe(cloud, found) : undefined;
  },
  listForImport: async (cloud, f) => observeAll(cloud, await cloud.nova.listServers({ name: f.name, tags: f.tags })),
  marks: tagMarks,
  marksOf: (o) => o.tags ?? [],
  userMarks: (r) => r.tags ?? [],
  listOwned: async (cloud, uid) => {
    if (await cloud.nova.supports(TAGS_ON_CREATE_MICROVERSION)) return observeAll(cloud, await cloud.nova.listServers({ tags: [ownerTag(uid)] }));
    // Nova filters by tags, not by metadata: a create whose answer was lost is marked in metadata only.
    const owned = (x: NovaServer) => (x.tags ?? []).includes(ownerTag(uid)) || labelsOwnedBy(x.metadata ?? {}, uid);
    return observeAll(cloud, (await cloud.nova.listServers({})).filter(owned));
  },
  // Every server the operator made carries the managed tag once its create is through (below 2.52 the tags follow the create).
  listManaged: async (cloud) => observeAll(cloud, await cloud.nova.listServers({ tags: [MANAGED] })),
  setMarks: async (cloud, observed, tags) => ({ ...observed, tags: await cloud.nova.replaceTags(observed.id, tags) }),
  createdAt: (o) => o.created,
  secretInputs: (r) => (r.userDataSecretRef ? [{ ...r.userDataSecretRef, field: 'userDataSecretRef' }] : []),
  create: async (cloud, { resource: r, refs, name, secretData }, tags) => {
    const [imageRef, flavor, tagsInCreate] = await Promise.all([resolveImage(cloud, r.image), resolveFlavor(cloud.nova, r.flavor), cloud.nova.supports(TAGS_ON_CREATE_MICROVERSION)]);
    // Below 2.52 the marks go in the metadata (the tags follow in a second call), so the create is always marked.
    const metadata = { ...r.metadata, ...(tagsInCreate ? {} : ownerLabelsOfTags(tags)) };
    const user_data = userData(r, secretData);
    // Nova's refusals echo the user data: it must not reach a condition, an event or a log.
    cloud.http.redactor.add(user_data);
    try {
      const created = await cloud.nova.createServer({
        name,
        imageRef,
        flavorRef: flavor.id,
        networks: networkRequests(r, refs),
        ...(r.securityGroupRefs ? { security_groups: r.securityGroupRefs.map((g) => ({ name: refs.id('SecurityGroup', g.name) })) } : {}),
        ...(r.keyName ? { key_name: r.keyName } : {}),
        ...(user_data !== undefined ? { user_data } : {}),
        ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        ...(tagsInCreate ? { tags: [...tags] } : {}),
        ...(r.availabilityZone ? { availability_zone: r.availabilityZone } : {}),
        ...(r.configDrive !== undefined ? { config_drive: r.configDrive } : {}),
      });
      // Nova answers with the id before the server exists: it is looked at again, being built.
      return accepted({ id: created.id, pollAfterMs: SERVER_POLL_MS });
    } catch (err) {
      throw waitingForSubnet(err, r, refs);
    } finally {
      cloud.http.redactor.remove(user_data);
    }
  },
  diff: ({ resource: r, refs, name }, o) => {
    const patch: Record<string, unknown> = {};
    if (o.name !== name) patch.name = name;
    if (r.metadata && !labelMarks.same(r.metadata, userMetadata(o))) patch.metadata = r.metadata;
    const interfaces = interfaceChanges(r, refs, o);
    if (interfaces) patch.interfaces = interfaces;
    if (o.status === 'VERIFY_RESIZE') patch.confirmResize = true;
    else if (r.flavor.id !== undefined ? o.flavorID !== r.flavor.id : o.flavor.original_name !== r.flavor.name) patch.resize = r.flavor;
    else if (r.powerState === 'Stopped' ? o.status === 'ACTIVE' : o.status === 'SHUTOFF') patch.power = r.powerState;
    return Object.keys(patch).length > 0 ? patch : undefined;
  },
  // Renames, metadata and interfaces at once; then one transition (confirm, resize or power), which
  // Nova carries out after answering: the server is looked at again, busy until it is done.
  update: async (cloud, o, patch) => {
    const { nova } = cloud;
    // The answers of a rename and a metadata change are the server as it now is: no read after them.
    let current: ObservedServer = o;
    if (typeof patch.name === 'string') current = { ...current, ...(await nova.updateServer(o.id, { name: patch.name })) };
    if (patch.metadata) current = { ...current, metadata: await nova.replaceMetadata(o.id, { ...(patch.metadata as Record<string, string>), ...operatorMetadata(o) }) };
    const interfaces = patch.interfaces as InterfaceChanges | undefined;
    for (const port of interfaces?.detach ?? []) await nova.detachInterface(o.id, port);
    for (const request of interfaces?.attach ?? []) await nova.attachInterface(o.id, request);
    if (patch.confirmResize) await nova.serverAction(o.id, { confirmResize: null });
    else if (patch.resize) await nova.serverAction(o.id, { resize: { flavorRef: (await resolveFlavor(nova, patch.resize as ServerResource['flavor'])).id } });
    else if (patch.power) await nova.serverAction(o.id, patch.power === 'Stopped' ? { 'os-stop': null } : { 'os-start': null });
    const transition = patch.confirmResize || patch.resize || patch.power;
    if (transition || interfaces) return accepted({ id: o.id, pollAfterMs: SERVER_POLL_MS });
    return current;
  },
  delete: async (cloud, id) => {
    await cloud.nova.deleteServer(id);
    // Nova deletes after it answers: the server is looked at until it is gone.
    return accepted({ id, pollAfterMs: SERVER_POLL_MS });
  },
  id: (o) => o.id,
  summarize: (o) => ({
    name: o.name,
    status: o.status,
    taskState: o['OS-EXT-STS:task_state'] ?? undefined,
    powerState: POWER_STATES[o['OS-EXT-STS:power_state']] ?? String(o['OS-EXT-STS:power_state']),
    imageID: typeof o.image === 'object' ? o.image.id : undefined,
    flavor: { name: o.flavor.original_name, vcpus: o.flavor.vcpus, ramMiB: o.flavor.ram, diskGiB: o.flavor.disk },
    addresses: Object.entries(o.addresses ?? {}).flatMap(([network, addresses]) =>
      addresses.map((a) => ({ network, address: a.addr, type: a['OS-EXT-IPS:type'], macAddress: a['OS-EXT-IPS-MAC:mac_addr'] })),
    ),
    fault: o.status === 'ERROR' ? o.fault?.message : undefined,
    availabilityZone: o['OS-EXT-AZ:availability_zone'] || undefined,
    keyName: o.key_name ?? undefined,
    metadata: o.metadata,
    tags: [...(o.tags ?? [])].sort(),
    projectID: o.tenant_id,
    createdAt: o.created,
    updatedAt: o.updated,
  }),
  progress: serverProgress,
};
