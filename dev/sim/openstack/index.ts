// The OpenStack simulator: Keystone v3 at /v3 and Neutron v2.0 under /networking on one node:http server,
// in memory, with fault injection and call accounting. startOpenStackSim() is the entry point for tests.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, queryRecord } from './calls.ts';
import { Faults, prng, serveWithFaults } from './faults.ts';
import type { RoutedRequest, SimRequest, SimResponse } from './http.ts';
import { Keystone, type AuthContext, type SimApplicationCredential, type SimUser } from './keystone.ts';
import { Neutron } from './neutron/api.ts';
import type { NeutronState, QuotaKey } from './neutron/model.ts';

export type { CallFilter, CallRecord } from './calls.ts';
export type { Fault, FaultSpec } from './faults.ts';
export type { SimApplicationCredential, SimUser } from './keystone.ts';

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
};

export type OpenStackSim = {
  /** http://host:port */
  url: string;
  /** Keystone v3 (clouds.yaml auth_url). */
  authUrl: string;
  /** The network endpoint as the catalog lists it (no version suffix). */
  networkUrl: string;
  keystone: Keystone;
  /** Neutron's state: networks, subnets, routers, ports, security_groups, ... maps, for out-of-band changes. */
  neutron: NeutronState;
  neutronApi: Neutron;
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
  if (out.body === undefined) {
    res.writeHead(out.status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(out.body);
  res.writeHead(out.status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export async function startOpenStackSim(opts: OpenStackSimOptions = {}): Promise<OpenStackSim> {
  const now = opts.now ?? Date.now;
  const networkPath = opts.networkPath ?? '/networking';
  let origin = '';
  const keystone = new Keystone({
    users: opts.users ?? DEFAULT_USERS,
    applicationCredentials: opts.applicationCredentials ?? [],
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    now,
    catalog: () => [
      { type: 'identity', name: 'keystone', url: `${origin}/v3` },
      { type: 'network', name: 'neutron', url: `${origin}${networkPath}` },
    ],
  });
  const neutronApi = new Neutron({
    tagsOnCreate: opts.tagsOnCreate ?? false,
    now,
    random: prng(opts.seed ?? 1),
    ...(opts.quotas ? { defaultQuotas: opts.quotas } : {}),
    authenticate: (token) => keystone.authenticate(token),
  });
  const faults = new Faults(opts.seed ?? 1);
  const calls = new CallLog();

  const route = (sim: SimRequest): RoutedRequest => {
    if (sim.fullPath === networkPath || sim.fullPath.startsWith(`${networkPath}/`)) {
      return neutronApi.route({ ...sim, path: sim.fullPath.slice(networkPath.length) || '/' }, networkPath);
    }
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
    await serveWithFaults(req, res, { faults, calls, now }, call, (r, status, headersOut, body) => send(r, { status, headers: headersOut, body }, now), async () => {
      let out: SimResponse;
      try {
        out = routed.run();
      } catch (err) {
        out = { status: 500, body: { NeutronError: { type: 'HTTPInternalServerError', message: `simulator bug: ${String(err)}`, detail: '' } } };
      }
      return { status: out.status, write: (r) => send(r, out, now) };
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  let publicNetworkId: string | undefined;
  if (opts.publicNetwork ?? true) publicNetworkId = seedPublicNetwork(neutronApi, keystone);

  return {
    url: origin,
    authUrl: `${origin}/v3`,
    networkUrl: `${origin}${networkPath}`,
    keystone,
    neutron: neutronApi.state,
    neutronApi,
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
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
