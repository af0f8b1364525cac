// Servers as Nova's API reads and shows them: the create body checked as Nova's JSON Schema does (at the
// request's microversion), the server view with what each microversion adds, and list filters.
import { createHash } from 'node:crypto';
import { parseIp } from '../ip.ts';
import { bookmark, isoMicro, isoSeconds, lastParam, links, type NovaContext } from './context.ts';
import { badRequest, policyDenied } from './errors.ts';
import { statusOf, type Flavor, type Server } from './model.ts';
import type { NetworkRequest, ServerNetworking } from './networking.ts';
import { invalidInput, isObj, isUuidLike, member, pyRepr, reason, rejectUnknown, stringMap, tagList, type Obj } from './schema.ts';

type CreateRequest = {
  name: string;
  imageRef: string | undefined;
  flavorRef: string;
  /** undefined: none named (2.1-2.36), Nova picks the project's network. */
  networks: NetworkRequest[] | 'auto' | 'none' | undefined;
  metadata: Record<string, string>;
  tags: string[];
  securityGroups: string[];
  keyName: string | undefined;
  availabilityZone: string | undefined;
  description: string | null;
  /** Base64, as sent; shown to admins only. */
  userData: string | null;
};

/** Create-body properties by the microversion that introduced them. */
const CREATE_PROPERTIES: [string, string][] = [
  ...['name', 'imageRef', 'flavorRef', 'adminPass', 'metadata', 'networks', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6', 'security_groups', 'user_data', 'availability_zone', 'key_name', 'min_count', 'max_count', 'return_reservation_id', 'config_drive'].map((p): [string, string] => [p, '2.1']),
  ['description', '2.19'],
  ['tags', '2.52'],
  ['hostname', '2.90'],
];

const str = (field: string, value: unknown, max = 255, min = 0): string => {
  if (typeof value !== 'string') throw invalidInput(field, value, reason.type(value, 'string'));
  if (value.length > max) throw invalidInput(field, value, reason.tooLong(value));
  if (value.length < min) throw invalidInput(field, value, reason.tooShort(value));
  return value;
};

/** `networks` items: {uuid | port, fixed_ip}; from 2.37 a bad item makes the whole value "not valid". */
function networkRequests(value: unknown, ctx: NovaContext): NetworkRequest[] | 'auto' | 'none' {
  const modern = ctx.version.atLeast('2.37');
  const invalid = (): Error => invalidInput('networks', value, modern ? reason.anyOf(value) : reason.type(value, 'array'));
  if (modern && (value === 'auto' || value === 'none')) return value;
  if (!Array.isArray(value)) throw invalid();
  return value.map((item): NetworkRequest => {
    if (!isObj(item)) throw modern ? invalid() : invalidInput('networks', item, reason.type(item, 'object'));
    const extra = Object.keys(item).filter((k) => !['uuid', 'port', 'fixed_ip', ...(ctx.version.atLeast('2.42') ? ['tag'] : [])].includes(k));
    const bad = (field: string, why: string): Error => (modern ? invalid() : invalidInput(field, item[field], why));
    if (extra.length > 0) throw modern ? invalid() : invalidInput('networks', item, reason.unexpected(extra));
    if (item.uuid !== undefined && !isUuidLike(item.uuid)) throw bad('uuid', reason.format(item.uuid, 'uuid'));
    if (item.port !== undefined && item.port !== null && !isUuidLike(item.port)) throw bad('port', reason.format(item.port, 'uuid'));
    if (item.fixed_ip !== undefined && (typeof item.fixed_ip !== 'string' || !parseIp(item.fixed_ip))) throw bad('fixed_ip', reason.anyOf(item.fixed_ip));
    if (item.uuid === undefined && !item.port) throw modern ? invalid() : badRequest('Bad networks format: network uuid is not in proper format ()');
    return {
      ...(item.uuid !== undefined ? { uuid: item.uuid as string } : {}),
      ...(item.port ? { port: item.port as string } : {}),
      ...(item.fixed_ip !== undefined ? { fixed_ip: item.fixed_ip as string } : {}),
    };
  });
}

/** POST /servers: Nova's schema checks, in jsonschema's order (properties, then required, then unknown ones). */
export function parseCreate(ctx: NovaContext, body: unknown): CreateRequest {
  const server = member(body, 'server');
  const known = CREATE_PROPERTIES.filter(([, since]) => ctx.version.atLeast(since)).map(([p]) => p);
  const has = (p: string): boolean => server[p] !== undefined && known.includes(p);
  const name = has('name') ? str('name', server.name, 255, 1) : undefined;
  if (has('imageRef') && server.imageRef !== '' && !isUuidLike(server.imageRef)) throw invalidInput('imageRef', server.imageRef, reason.anyOf(server.imageRef));
  if (has('flavorRef') && !((typeof server.flavorRef === 'string' && server.flavorRef !== '') || Number.isInteger(server.flavorRef))) {
    throw invalidInput('flavorRef', server.flavorRef, `${pyRepr(server.flavorRef)} is not of type 'string', 'integer'`);
  }
  const metadata = has('metadata') ? stringMap(server.metadata, 'metadata') : {};
  const networks = has('networks') ? networkRequests(server.networks, ctx) : undefined;
  const securityGroups = has('security_groups') ? securityGroupNames(server.security_groups) : ['default'];
  if (has('key_name')) str('key_name', server.key_name, 255, 1);
  // Nova's schema errors echo the value: user data, whole.
  if (has('user_data')) {
    const data = str('user_data', server.user_data, 65535);
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) throw invalidInput('user_data', data, reason.format(data, 'base64'));
  }
  if (has('availability_zone')) str('availability_zone', server.availability_zone);
  const tags = has('tags') ? tagList(server.tags) : [];
  const description = has('description') && server.description !== null ? str('description', server.description) : null;
  for (const count of ['min_count', 'max_count']) {
    if (has(count) && !(Number(server[count]) >= 1)) throw invalidInput(count, server[count], `${pyRepr(server[count])} is less than the minimum of 1`);
  }
  for (const p of ['name', 'flavorRef', ...(ctx.version.atLeast('2.37') ? ['networks'] : [])]) {
    if (server[p] === undefined) throw invalidInput('server', server, reason.required(p));
  }
  rejectUnknown('server', server, known);
  // One server per request: what multiple-create would make is not simulated.
  if (Number(server.min_count ?? 1) > 1 || Number(server.max_count ?? 1) > 1) throw badRequest('The simulator creates one server per request (min_count/max_count 1).');
  return {
    name: name ?? '',
    imageRef: typeof server.imageRef === 'string' && server.imageRef !== '' ? server.imageRef : undefined,
    flavorRef: String(server.flavorRef),
    networks,
    metadata,
    tags,
    securityGroups,
    keyName: has('key_name') ? (server.key_name as string) : undefined,
    availabilityZone: has('availability_zone') ? (server.availability_zone as string) : undefined,
    description,
    userData: has('user_data') ? (server.user_data as string) : null,
  };
}

function securityGroupNames(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalidInput('security_groups', value, reason.type(value, 'array'));
  return value.map((g, i) => {
    if (!isObj(g)) throw invalidInput(String(i), g, reason.type(g, 'object'));
    return str('name', g.name);
  });
}

/** PUT /servers/{id}: the attributes a rename may change. */
export function parseUpdate(ctx: NovaContext, body: unknown): { name?: string; description?: string | null } {
  const server = member(body, 'server');
  const known = ['name', 'accessIPv4', 'accessIPv6', 'OS-DCF:diskConfig', ...(ctx.version.atLeast('2.19') ? ['description'] : []), ...(ctx.version.atLeast('2.90') ? ['hostname'] : [])];
  const out: { name?: string; description?: string | null } = {};
  if (server.name !== undefined) out.name = str('name', server.name, 255, 1);
  if (server.description !== undefined && known.includes('description')) out.description = server.description === null ? null : str('description', server.description);
  rejectUnknown('server', server, known);
  return out;
}

/** Nova's hostname for a server name (sanitize_hostname): spaces, underscores and dots become dashes. */
export function hostnameOf(name: string): string {
  return name.replace(/[ _.]/g, '-').replace(/[^\w.-]+/g, '').toLowerCase().replace(/^[.-]+|[.-]+$/g, '').slice(0, 63) || 'server';
}

/** The embedded flavor (2.47+) or a link to it. */
function flavorView(ctx: NovaContext, flavor: Flavor): Obj {
  if (!ctx.version.atLeast('2.47')) return { id: flavor.id, links: bookmark(ctx, 'flavors', flavor.id) };
  return { vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: flavor.ephemeral, swap: flavor.swap, original_name: flavor.name, extra_specs: { ...flavor.extraSpecs } };
}

const PROGRESS_STATUSES = ['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'];

/** The server as GET /servers/{id} (`show`) or /servers/detail (`detail`, without server_groups) shows it. */
export function serverView(ctx: NovaContext, server: Server, net: ServerNetworking, view: 'show' | 'detail'): Obj {
  const v = ctx.version;
  const status = statusOf(server);
  const groups = net.securityGroups(server);
  const out: Obj = {
    id: server.id,
    name: server.name,
    status,
    tenant_id: server.projectId,
    user_id: server.userId,
    metadata: { ...server.metadata },
    hostId: server.host ? createHash('sha224').update(server.projectId + server.host).digest('hex') : '',
    image: { id: server.imageId, links: bookmark(ctx, 'images', server.imageId) },
    flavor: flavorView(ctx, server.flavor),
    created: isoSeconds(server.created),
    updated: isoSeconds(server.updated),
    addresses: net.addresses(server),
    accessIPv4: '',
    accessIPv6: '',
    links: links(ctx, 'servers', server.id),
    'OS-DCF:diskConfig': 'MANUAL',
    ...(server.fault && (server.vmState === 'error' || server.vmState === 'deleted') ? { fault: { code: server.fault.code, created: isoSeconds(server.fault.created), message: server.fault.message } } : {}),
    ...(PROGRESS_STATUSES.includes(status) ? { progress: 0 } : {}),
    'OS-EXT-AZ:availability_zone': server.availabilityZone,
    config_drive: '',
    key_name: server.keyName,
    'OS-SRV-USG:launched_at': server.launchedAt === null ? null : isoMicro(server.launchedAt),
    'OS-SRV-USG:terminated_at': server.terminatedAt === null ? null : isoMicro(server.terminatedAt),
    ...(groups.length > 0 ? { security_groups: groups } : {}),
    'OS-EXT-STS:task_state': server.taskState,
    'OS-EXT-STS:vm_state': server.vmState,
    'OS-EXT-STS:power_state': server.powerState,
    'os-extended-volumes:volumes_attached': [],
  };
  if (ctx.caller.isAdmin) {
    Object.assign(out, { 'OS-EXT-SRV-ATTR:host': server.host, 'OS-EXT-SRV-ATTR:instance_name': server.instanceName, 'OS-EXT-SRV-ATTR:hypervisor_hostname': server.host });
    if (v.atLeast('2.3')) {
      Object.assign(out, {
        'OS-EXT-SRV-ATTR:reservation_id': server.reservationId,
        'OS-EXT-SRV-ATTR:launch_index': 0,
        'OS-EXT-SRV-ATTR:hostname': server.hostname,
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': server.host ? '/dev/sda' : null,
        'OS-EXT-SRV-ATTR:user_data': server.userData,
      });
    }
    if (v.atLeast('2.16')) out.host_status = server.host ? 'UP' : '';
  }
  if (v.atLeast('2.9')) out.locked = false;
  if (v.atLeast('2.73')) out.locked_reason = null;
  if (v.atLeast('2.19')) out.description = server.description;
  if (v.atLeast('2.26')) out.tags = [...server.tags];
  if (v.atLeast('2.63')) out.trusted_image_certificates = null;
  if (v.atLeast('2.90')) out['OS-EXT-SRV-ATTR:hostname'] = server.hostname;
  if (v.atLeast('2.71') && view === 'show') out.server_groups = [];
  return out;
}

/** GET /servers: id, name and links only. */
export const briefView = (ctx: NovaContext, server: Server): Obj => ({ id: server.id, name: server.name, links: links(ctx, 'servers', server.id) });

/** The list's query parameters (others are refused from 2.75 on, as Nova's schema then does). */
const LIST_PARAMS = [
  'name', 'status', 'image', 'flavor', 'tags', 'tags-any', 'not-tags', 'not-tags-any', 'changes-since', 'changes-before', 'limit', 'marker',
  'sort_key', 'sort_dir', 'all_tenants', 'project_id', 'tenant_id', 'user_id', 'deleted', 'ip', 'ip6', 'reservation_id', 'host', 'node',
  'availability_zone', 'key_name', 'config_drive', 'description', 'locked', 'uuid', 'hostname', 'vm_state', 'task_state', 'power_state',
];

/**
 * The servers a list request selects, newest first: the caller's project (an admin's, or all with all_tenants),
 * name as a case-insensitive regular expression (Nova on MySQL), tags (2.26+), status, image, flavor.
 */
export function selectServers(ctx: NovaContext, servers: Iterable<Server>, detail: boolean): Server[] {
  const q = ctx.query;
  if (ctx.version.atLeast('2.75')) {
    const unknown = [...new Set(q.keys())].filter((k) => !LIST_PARAMS.includes(k) && !k.startsWith('_'));
    if (unknown.length > 0) throw badRequest(reason.regexes(unknown, ['^_']));
  }
  const allTenants = q.has('all_tenants') && !/^(0|false|f|no|n|off)$/i.test(lastParam(q, 'all_tenants') ?? '');
  if (allTenants && !ctx.caller.isAdmin) throw policyDenied(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`);
  const name = lastParam(q, 'name');
  let nameRe: RegExp | undefined;
  if (name !== undefined) {
    try {
      new RegExp(name);
    } catch {
      throw badRequest(`Invalid input for query parameters name. Value: ${name}. ${pyRepr(name)} is not a 'regex'`);
    }
    // MySQL's REGEXP on a case-insensitive column; Nova escapes every '|' for it (so no alternatives).
    nameRe = new RegExp(name.replaceAll('|', '\\|'), 'i');
  }
  const tagsOf = (key: string): string[] | undefined => (ctx.version.atLeast('2.26') ? lastParam(q, key)?.split(',').filter(Boolean) : undefined);
  const [all, any, notAll, notAny] = ['tags', 'tags-any', 'not-tags', 'not-tags-any'].map(tagsOf);
  const project = ctx.caller.isAdmin && allTenants ? (lastParam(q, 'project_id') ?? lastParam(q, 'tenant_id')) : ctx.caller.projectId;
  const status = lastParam(q, 'status')?.toUpperCase();
  const image = lastParam(q, 'image');
  const flavor = lastParam(q, 'flavor');
  const since = lastParam(q, 'changes-since');
  return [...servers]
    .filter((s) => s.vmState !== 'deleted' && (project === undefined || s.projectId === project))
    .filter((s) => !nameRe || nameRe.test(s.name))
    .filter((s) => (!all?.length || all.every((t) => s.tags.includes(t))) && (!any?.length || any.some((t) => s.tags.includes(t))))
    .filter((s) => (!notAll?.length || !notAll.every((t) => s.tags.includes(t))) && (!notAny?.length || !notAny.some((t) => s.tags.includes(t))))
    .filter((s) => (status === undefined || statusOf(s) === status) && (image === undefined || s.imageId === image) && (flavor === undefined || s.flavor.id === flavor))
    .filter((s) => since === undefined || s.updated >= Date.parse(since))
    .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
}
