// A recording, fault-injecting HTTP proxy in front of a real Keystone + Neutron (+ Nova + Glance), so
// the scenarios that need the simulator's fault injection and call accounting (dev/sim/openstack
// faults.ts, calls.ts) run against a real cloud too. Keystone is mounted at /identity, Neutron at
// /network, Nova at /compute, Glance at /image (`mounts` puts a service under another path prefix, as
// a public cloud's fixed https://api.<domain>/networking/v2.0); upstream URLs in response bodies and
// headers (the token's catalog, version documents' links) are rewritten to the proxy, so clients that
// start at the proxy's auth URL never talk to the real endpoints directly.
import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, queryRecord } from '../../dev/sim/openstack/calls.ts';
import { faultBody, Faults, serveWithFaults } from '../../dev/sim/openstack/faults.ts';

export type CloudProxyOptions = {
  /** Keystone's v3 URL (clouds.yaml auth_url), e.g. http://127.0.0.1:5000/v3. */
  authUrl: string;
  /** Neutron's endpoint as the catalog lists it, e.g. http://127.0.0.1:9696. */
  networkUrl: string;
  /** Nova's and Glance's, when the cloud has them (the real tier's full profile). */
  computeUrl?: string;
  imageUrl?: string;
  /** Seed of the fault PRNG (rates). */
  seed?: number;
  /**
   * Path prefixes of services instead of the default ones, e.g. `{ network: '/networking' }`: Neutron's
   * v2.0 API then answers under <proxy>/networking/v2.0, as on a public cloud's fixed endpoint.
   */
  mounts?: Partial<Record<Service, string>>;
};

export type CloudProxy = {
  /** http://127.0.0.1:port */
  url: string;
  /** Keystone v3 through the proxy (clouds.yaml auth_url). */
  authUrl: string;
  /** Neutron through the proxy, as the rewritten catalog lists it. */
  networkUrl: string;
  faults: Faults;
  calls: CallLog;
  /** `text` (e.g. a clouds.yaml) with the real Keystone origin replaced by the proxy's. */
  rewrite: (text: string) => string;
  close: () => Promise<void>;
};

export type Service = 'identity' | 'network' | 'compute' | 'image';
const MOUNTS: Record<Service, string> = { identity: '/identity', network: '/network', compute: '/compute', image: '/image' };

/** The services' path prefixes: the defaults, with `overrides` (a leading slash, none trailing, each distinct). */
export function mountsOf(overrides: Partial<Record<Service, string>> = {}): Record<Service, string> {
  const mounts = { ...MOUNTS };
  for (const [service, path] of Object.entries(overrides) as [Service, string][]) {
    const mount = `/${path.replace(/^\/+|\/+$/g, '')}`;
    if (mount === '/') throw new Error(`mount of ${service}: a path prefix, not "${path}"`);
    mounts[service] = mount;
  }
  const paths = Object.values(mounts);
  const nested = paths.find((a, i) => paths.some((b, j) => i !== j && (a === b || a.startsWith(`${b}/`))));
  if (nested) throw new Error(`mounts must not share a path prefix: ${nested}`);
  return mounts;
}

// Hop-by-hop and length headers: recomputed for the (possibly rewritten) body.
const SKIP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'accept-encoding']);

/** Nova's operations as the simulator (and the client) names them, e.g. createServer, serverAction:os-stop. */
function computeOperationOf(method: string, parts: string[], body: string): string {
  const [version, first, id, sub, item] = parts;
  if (version === undefined) return 'versions';
  if (first === undefined) return 'getComputeVersion';
  if (first === 'servers') {
    if (id === undefined || id === 'detail') return method === 'POST' ? 'createServer' : 'listServers';
    if (sub === undefined) return ({ GET: 'getServer', PUT: 'updateServer', DELETE: 'deleteServer' } as Record<string, string>)[method] ?? 'unknown';
    if (sub === 'action') return `serverAction:${Object.keys((JSON.parse(body || '{}') as Record<string, unknown>) ?? {})[0] ?? 'unknown'}`;
    if (sub === 'metadata') return item === undefined ? ({ GET: 'getServerMetadata', PUT: 'replaceServerMetadata', POST: 'updateServerMetadata' } as Record<string, string>)[method] ?? 'unknown' : 'serverMetadataItem';
    if (sub === 'tags') return item === undefined ? ({ GET: 'listServerTags', PUT: 'replaceServerTags', DELETE: 'deleteServerTags' } as Record<string, string>)[method] ?? 'unknown' : 'serverTag';
    if (sub === 'os-interface') return item === undefined ? (method === 'POST' ? 'attachServerInterface' : 'listServerInterfaces') : method === 'DELETE' ? 'detachServerInterface' : 'getServerInterface';
  }
  if (first === 'flavors') return id === undefined || id === 'detail' ? 'listFlavors' : 'getFlavor';
  if (first === 'os-keypairs') return id === undefined ? (method === 'POST' ? 'createKeypair' : 'listKeypairs') : method === 'DELETE' ? 'deleteKeypair' : 'getKeypair';
  return 'unknown';
}

/** The operation label a request gets in the call log, named as the simulator names it (e.g. "networks.create"). */
export function operationOf(service: Service, method: string, path: string, body = ''): string {
  const parts = path.split('/').filter(Boolean);
  if (service === 'compute') return computeOperationOf(method, parts, body);
  if (service === 'image') return parts.length <= 1 ? 'versions' : parts[2] === undefined ? 'listImages' : 'getImage';
  if (service === 'identity') {
    if (parts.length === 0) return 'versions';
    if (parts.length === 1 && parts[0] === 'v3') return 'version';
    if (parts[1] === 'auth' && parts[2] === 'tokens') return method === 'POST' ? 'tokens.issue' : method === 'DELETE' ? 'tokens.revoke' : 'tokens.validate';
    if (parts[1] === 'auth' && parts[2] === 'catalog') return 'catalog.show';
    return parts[1] ? `${parts[1]}.${method === 'GET' ? 'list' : method.toLowerCase()}` : 'unknown';
  }
  if (parts.length === 0) return 'versions';
  const [, first, id, sub] = parts;
  if (parts[0] !== 'v2.0') return 'unknown';
  if (first === undefined) return 'resources.list';
  const collection = first.replaceAll('-', '_');
  if (id === undefined) return `${collection}.${method === 'POST' ? 'create' : 'list'}`;
  if (sub === undefined) return `${collection}.${({ GET: 'show', PUT: 'update', DELETE: 'delete' } as Record<string, string>)[method] ?? 'unknown'}`;
  if (sub === 'tags') return `${collection}.tags.${method === 'GET' ? 'list' : method === 'PUT' ? (parts.length > 4 ? 'add' : 'replace') : 'delete'}`;
  return `${collection}.${sub}`;
}

const readAll = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

function copyHeaders(headers: IncomingHttpHeaders, map: (value: string) => string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || SKIP_HEADERS.has(key)) continue;
    out[key] = Array.isArray(value) ? value.map(map) : map(value);
  }
  return out;
}

export async function startCloudProxy(opts: CloudProxyOptions): Promise<CloudProxy> {
  const upstreams: Partial<Record<Service, URL>> = {
    identity: new URL(new URL(opts.authUrl).origin),
    network: new URL(new URL(opts.networkUrl).origin),
    ...(opts.computeUrl ? { compute: new URL(new URL(opts.computeUrl).origin) } : {}),
    ...(opts.imageUrl ? { image: new URL(new URL(opts.imageUrl).origin) } : {}),
  };
  const mounts = mountsOf(opts.mounts);
  const faults = new Faults(opts.seed ?? 1);
  const calls = new CallLog();
  let origin = '';
  const toProxy = (text: string): string =>
    (Object.entries(upstreams) as [Service, URL][]).reduce((out, [service, upstream]) => out.replaceAll(upstream.origin, `${origin}${mounts[service]}`), text);

  const forward = (service: Service, req: IncomingMessage, path: string, body: Buffer): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = upstreams[service]!;
      const headers = copyHeaders(req.headers, (v) => v);
      headers['content-length'] = String(body.length);
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (res) => {
        readAll(res).then((raw) => {
          const text = toProxy(raw.toString('utf8'));
          const rewritten = Buffer.from(text, 'utf8');
          resolve({ status: res.statusCode ?? 502, headers: { ...copyHeaders(res.headers, toProxy), 'content-length': String(rewritten.length) }, body: rewritten });
        }, reject);
      });
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const service = (Object.keys(upstreams) as Service[]).find((s) => url.pathname === mounts[s] || url.pathname.startsWith(`${mounts[s]}/`));
    const method = req.method ?? 'GET';
    if (!service) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 404, title: 'Not Found', message: 'not a proxied service' } }));
      return;
    }
    const upstreamPath = url.pathname.slice(mounts[service].length) || '/';
    const operation = operationOf(service, method, upstreamPath, body.toString('utf8'));
    const call = { method, path: url.pathname, query: queryRecord(url.searchParams), service, operation };
    const json = (r: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void => {
      const text = JSON.stringify(body);
      r.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
    };
    await serveWithFaults(req, res, { faults, calls, now: Date.now }, call, json, async () => {
      try {
        const answer = await forward(service, req, `${upstreamPath}${url.search}`, body);
        return { status: answer.status, write: (r) => r.writeHead(answer.status, answer.headers).end(answer.body) };
      } catch {
        return { status: 502, write: (r) => json(r, 502, {}, faultBody(service, 502)) };
      }
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authPath = new URL(opts.authUrl).pathname.replace(/\/$/, '');
  const networkPath = new URL(opts.networkUrl).pathname.replace(/\/$/, '');
  return {
    url: origin,
    authUrl: `${origin}${mounts.identity}${authPath}`,
    networkUrl: `${origin}${mounts.network}${networkPath}`,
    faults,
    calls,
    rewrite: toProxy,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
