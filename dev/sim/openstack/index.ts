// The OpenStack simulator: Keystone v3 at /v3 and Neutron v2.0 under /networking (and, with `compute`, Nova
// v2.1 under /compute and Glance v2 under /image) on one node:http server, in memory, with fault injection
// and call accounting. startOpenStackSim() is the entry point for tests.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallLog, queryRecord } from './calls.ts';
import { systemClock, type SimClock } from '../common/clock.ts';
import { listen } from '../common/server.ts';
import { prng } from '../common/prng.ts';
import { Faults, serveWithFaults } from './faults.ts';
import { DEFAULT_IMAGES, Glance, type SimImage } from './glance.ts';
import type { RoutedRequest, SimRequest, SimResponse } from './http.ts';
import { Keystone, type AuthContext, type CatalogEntry, type SimApplicationCredential, type SimUser } from './keystone.ts';
import { Neutron } from './neutron/api.ts';
import type { NeutronState, QuotaKey } from './neutron/model.ts';
import { Nova } from './nova/api.ts';
import { DEFAULT_FLAVORS, type SimFlavor } from './nova/flavors.ts';
import type { ComputeQuotaKey } from './nova/model.ts';

export type { CallFilter, CallRecord } from './calls.ts';
export { ManualClock, type SimClock } from '../common/clock.ts';
export type { Fault, FaultSpec } from './faults.ts';
export type { SimImage } from './glance.ts';
export type { SimApplicationCredential, SimUser } from './keystone.ts';
export type { SimFlavor } from './nova/flavors.ts';
export { BUILD_ERROR_KEY } from './nova/lifecycle.ts';

/** Nova and Glance: how long simulated work takes, and what is seeded. */
export type ComputeOptions = {
  /** From POST /servers to ACTIVE, in ms on the simulator's clock (default 300): half scheduling, half spawning. */
  buildMs?: number;
  /** What one action takes (stop, start, reboot, each half of a resize, confirm, revert, delete, detach; default 100). */
  taskMs?: number;
  /** Default: m1.tiny (id 1) and m1.small (id 2), as the real tier seeds them. */
  flavors?: SimFlavor[];
  /** Default: the public image "fake-image"; seeded images belong to the admin project. */
  images?: SimImage[];
  quotas?: Partial<Record<ComputeQuotaKey, number>>;
  /** The newest compute microversion served (default Zed's 2.93), e.g. '2.51': a cloud that takes no tags in a create. */
  maxMicroversion?: string;
};

export type OpenStackSimOptions = {
  host?: string;
  port?: number;
  /** true: newer Neutron, tags accepted in POST (extension tag-creation). false (default): Zed, 400. */
  tagsOnCreate?: boolean;
  /** Default: admin/admin (project admin, role admin) and demo/demo (project demo, roles member+reader). */
  users?: SimUser[];
  applicationCredentials?: SimApplicationCredential[];
  tokenTtlSeconds?: number;
  /** Clock for token expiry and timestamps (default Date.now). */
  now?: () => number;
  /** Seed of the PRNGs of fault injection and of address allocation (random, as in Neutron). */
  seed?: number;
  quotas?: Partial<Record<QuotaKey, number>>;
  /** Seed the external network "public" (203.0.113.0/24) as the real recipe does (default true). */
  publicNetwork?: boolean;
  /** Path prefix of the network endpoint in the catalog (default "/networking"). */
  networkPath?: string;
  /**
   * Nova v2.1 at <url>/compute (catalog "compute": <url>/compute/v2.1) and Glance v2 at <url>/image (catalog
   * "image"). Default off: Keystone + Neutron only, as the real tier's network profile.
   */
  compute?: boolean | ComputeOptions;
  /** Time and timers (default: the wall clock, read through `now` if given); a ManualClock steps Nova's work. */
  clock?: SimClock;
};

export type OpenStackSim = {
  /** http://host:port */
  url: string;
  /** Keystone v3 (clouds.yaml auth_url). */
  authUrl: string;
  /** The network endpoint as the catalog lists it (no version suffix). */
  networkUrl: string;
  /** The compute endpoint as the catalog lists it (<url>/compute/v2.1), with `compute` only. */
  computeUrl: string | undefined;
  /** The image endpoint as the catalog lists it (<url>/image), with `compute` only. */
  imageUrl: string | undefined;
  keystone: Keystone;
  /** Neutron's state: networks, subnets, routers, ports, security_groups, ... maps, for out-of-band changes. */
  neutron: NeutronState;
  neutronApi: Neutron;
  /** Nova: `nova.state.servers` etc. for assertions, `nova.fail(id, message)` to break a server. */
  nova: Nova | undefined;
  glance: Glance | undefined;
  clock: SimClock;
  faults: Faults;
  calls: CallLog;
  /** Id of the seeded external network "public" (undefined when publicNetwork is false). */
  publicNetworkId: string | undefined;
  /** A project-scoped token for a simulated user, without an HTTP round trip. */
  token: (user?: string) => string;
  /**
   * Deletes a resource out of band, as an admin would with the CLI: Neutron's cascades and in-use errors apply
   * (throws the NeutronError). `path` is the URL segment: "networks", "security-groups", "floatingips", ...
   */
  deleteResource: (path: string, id: string) => void;
  close: () => Promise<void>;
};

export const DEFAULT_USERS: SimUser[] = [
  { name: 'admin', password: 'admin', project: 'admin', roles: ['admin', 'member', 'reader'] },
  { name: 'demo', password: 'demo', project: 'demo', roles: ['member', 'reader'] },
];

/** clouds.yaml as openstacksdk reads it: cloud "sim" (demo, a member) and "sim-admin", with the passwords of `users`. */
export function simCloudsYaml(authUrl: string, users: SimUser[] = DEFAULT_USERS): string {
  const cloud = (name: string, user: string): string => {
    const u = users.find((x) => x.name === user);
    return [
      `  ${name}:`,
      '    auth:',
      `      auth_url: ${authUrl}`,
      `      username: ${user}`,
      // A JSON string is a YAML scalar: any password, quoted.
      `      password: ${JSON.stringify(u?.password ?? user)}`,
      `      project_name: ${u?.project ?? user}`,
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    interface: public',
      '    identity_api_version: 3',
    ].join('\n');
  };
  return `clouds:\n${cloud('sim', 'demo')}\n${cloud('sim-admin', 'admin')}\n`;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Writes the answer; Date comes from the simulator's clock, as a real server's from its own. */
function send(res: ServerResponse, out: SimResponse, now: () => number): void {
  const headers: Record<string, string> = { Date: new Date(now()).toUTCString(), 'X-Openstack-Request-Id': `req-${randomUUID()}`, ...out.headers };
  if (out.text !== undefined) {
    res.writeHead(out.status, { ...headers, 'Content-Length': String(Buffer.byteLength(out.text)) });
    res.end(out.text);
    return;
  }
  if (out.body === undefined) {
    res.writeHead(out.status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(out.body);
  res.writeHead(out.status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

const COMPUTE_PATH = '/compute';
const IMAGE_PATH = '/image';

export async function startOpenStackSim(opts: OpenStackSimOptions = {}): Promise<OpenStackSim> {
  const clock = opts.clock ?? systemClock(opts.now);
  const now = clock.now;
  const networkPath = opts.networkPath ?? '/networking';
  const compute = opts.compute === true ? {} : opts.compute || undefined;
  let origin = '';
  const keystone = new Keystone({
    users: opts.users ?? DEFAULT_USERS,
    applicationCredentials: opts.applicationCredentials ?? [],
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    now,
    catalog: (): CatalogEntry[] => [
      { type: 'identity', name: 'keystone', url: `${origin}/v3` },
      { type: 'network', name: 'neutron', url: `${origin}${networkPath}` },
      ...(compute
        ? [
            { type: 'compute', name: 'nova', url: `${origin}${COMPUTE_PATH}/v2.1` },
            { type: 'image', name: 'glance', url: `${origin}${IMAGE_PATH}` },
          ]
        : []),
    ],
  });
  const authenticate = (token: string | undefined): AuthContext | undefined => keystone.authenticate(token);
  const neutronApi = new Neutron({
    tagsOnCreate: opts.tagsOnCreate ?? false,
    now,
    random: prng(opts.seed ?? 1),
    ...(opts.quotas ? { defaultQuotas: opts.quotas } : {}),
    authenticate,
  });
  const glance = compute && new Glance({ now, authenticate });
  const nova =
    compute &&
    glance &&
    new Nova({
      neutron: neutronApi,
      glance,
      clock,
      timing: { buildMs: compute.buildMs ?? 300, taskMs: compute.taskMs ?? 100 },
      flavors: compute.flavors ?? DEFAULT_FLAVORS,
      ...(compute.quotas ? { quotas: compute.quotas } : {}),
      ...(compute.maxMicroversion ? { maxMicroversion: compute.maxMicroversion } : {}),
      authenticate,
    });
  const faults = new Faults(opts.seed ?? 1);
  const calls = new CallLog();

  const under = (sim: SimRequest, mount: string): SimRequest | undefined =>
    sim.fullPath === mount || sim.fullPath.startsWith(`${mount}/`) ? { ...sim, path: sim.fullPath.slice(mount.length) || '/' } : undefined;
  const route = (sim: SimRequest): RoutedRequest => {
    const network = under(sim, networkPath);
    if (network) return neutronApi.route(network, networkPath);
    const computeReq = nova && under(sim, COMPUTE_PATH);
    if (nova && computeReq) return nova.route(computeReq, COMPUTE_PATH);
    const imageReq = glance && under(sim, IMAGE_PATH);
    if (glance && imageReq) return glance.route(imageReq, IMAGE_PATH);
    return (
      keystone.route(sim) ?? {
        service: 'identity',
        operation: 'unknown',
        run: () => ({ status: 404, body: { error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } } }),
      }
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sim');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const sim: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      fullPath: url.pathname,
      query: url.searchParams,
      headers,
      rawBody,
      origin: `http://${req.headers.host ?? new URL(origin).host}`,
    };
    const routed = route(sim);
    const call = { method: sim.method, path: sim.fullPath, query: queryRecord(sim.query), service: routed.service, operation: routed.operation };
    // An injected error's body is JSON, or (Glance's) an HTML page.
    const respondError = (r: ServerResponse, status: number, headersOut: Record<string, string>, body: unknown): void =>
      send(r, typeof body === 'string' ? { status, headers: { ...headersOut, 'Content-Type': 'text/html; charset=UTF-8' }, text: body } : { status, headers: headersOut, body }, now);
    await serveWithFaults(req, res, { faults, calls, now }, call, respondError, async () => {
      let out: SimResponse;
      try {
        out = routed.run();
      } catch (err) {
        out = { status: 500, body: { NeutronError: { type: 'HTTPInternalServerError', message: `simulator bug: ${String(err)}`, detail: '' } } };
      }
      return { status: out.status, write: (r) => send(r, out, now) };
    });
  };

  const listening = await listen(handle, { host: opts.host, port: opts.port, clock });
  origin = listening.origin;

  let publicNetworkId: string | undefined;
  if (opts.publicNetwork ?? true) publicNetworkId = seedPublicNetwork(neutronApi, keystone);
  if (glance && compute) for (const image of compute.images ?? DEFAULT_IMAGES) glance.seed(image, adminCaller(keystone).projectId);

  return {
    url: origin,
    authUrl: `${origin}/v3`,
    networkUrl: `${origin}${networkPath}`,
    computeUrl: compute && `${origin}${COMPUTE_PATH}/v2.1`,
    imageUrl: compute && `${origin}${IMAGE_PATH}`,
    keystone,
    neutron: neutronApi.state,
    neutronApi,
    nova,
    glance,
    clock,
    faults,
    calls,
    publicNetworkId,
    token: (user = 'demo') => keystone.issue(user),
    deleteResource: (path, id) => {
      const def = resourceDef(neutronApi, path);
      const rec = def.store.get(id);
      if (!rec) throw def.notFound(id);
      def.remove(adminCaller(keystone), rec);
    },
    close: listening.close,
  };
}

function adminCaller(keystone: Keystone): AuthContext {
  const admin = keystone.users.find((u) => u.roles.includes('admin'));
  const caller = admin && keystone.authenticate(keystone.issue(admin.name));
  if (!caller) throw new Error('the simulator needs a user with the admin role for out-of-band changes');
  return caller;
}

function resourceDef(api: Neutron, path: string): Neutron['resources'][number] {
  const def = api.resources.find((r) => r.path === path);
  if (!def) throw new Error(`no Neutron resource "${path}"`);
  return def;
}

/** The external network the real recipe seeds: "public", flat, 203.0.113.0/24 (TEST-NET-3), pool .10-.250. */
function seedPublicNetwork(api: Neutron, keystone: Keystone): string {
  const caller = adminCaller(keystone);
  const net = resourceDef(api, 'networks').create(caller, { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' });
  resourceDef(api, 'subnets').create(caller, {
    name: 'public-subnet',
    network_id: net.id,
    ip_version: 4,
    cidr: '203.0.113.0/24',
    gateway_ip: '203.0.113.1',
    enable_dhcp: false,
    allocation_pools: [{ start: '203.0.113.10', end: '203.0.113.250' }],
  });
  return net.id;
}
