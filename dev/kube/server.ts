/**
 * An in-memory Kubernetes API server for development and tests, which kubectl and
 * @kubernetes/client-node use unmodified. Layout: routes.ts maps URLs to resources; handlers/ has
 * one module per verb group; admission.ts is the write strategy (prune, default, validate,
 * metadata); store.ts keeps objects, the global resourceVersion and the watch history; builtins.ts
 * and crds.ts define what is served; cleanup.ts empties deleted namespaces and CRDs;
 * request-info.ts describes each request as an authorizer would see it, for tests of RBAC.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from './api.ts';
import type { ResourceRoute } from './routes.ts';
import { Store, type StoreEvent } from './store.ts';
import { ResourceRegistry } from './registry.ts';
import { BUILTIN_TYPES, NAMESPACES } from './builtins.ts';
import { startCleanup } from './cleanup.ts';
import { admitCreate } from './admission.ts';
import { methodNotAllowed, pathNotFound } from './errors.ts';
import { sendError, sendJson } from './http.ts';
import { resolveResource } from './routes.ts';
import { coreVersions, group, groupList, resourceList, VERSION_INFO } from './discovery.ts';
import { groupVersionDocument, openApiRoot } from './openapi.ts';
import { handleGet, handleList } from './handlers/read.ts';
import { handleWatch } from './handlers/watch.ts';
import { handleCreate, handlePatch, handleUpdate } from './handlers/write.ts';
import { handleDelete, handleDeleteCollection } from './handlers/delete.ts';
import { requestRecord, type RequestRecord } from './request-info.ts';

export interface KubeApiServerOptions {
  host?: string;
  port?: number;
  /** How many events the watch history keeps; older resourceVersions get 410 Gone. */
  watchWindow?: number;
  /**
   * How often watches with allowWatchBookmarks get a BOOKMARK. The real server's cadence is about a
   * minute; the default here is 20 s, inside @kubernetes/client-node's 30 s watch inactivity timeout.
   */
  bookmarkIntervalMs?: number;
}

export interface KubeApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Drops the watch history so older resourceVersions get 410 Gone. */
  compact(): void;
  /** Watches answered 410 Gone so far: they asked for history compacted away. */
  expiredWatches(): number;
  /** Watch requests received so far. */
  watchRequests(): number;
  /**
   * Stops listening and drops every connection (watches end, requests in flight get no answer),
   * then listens on the same port again with every object and the watch history kept: a restart
   * of the API server over the same etcd.
   */
  restart(): Promise<void>;
  /** Calls `listener` with every write, as it is stored (tests that look at everything written); returns the unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  /** Calls `listener` with every request as it arrives, as the authorizer would see it (tests of a client's RBAC); returns the unsubscribe. */
  observeRequests(listener: (request: RequestRecord) => void): () => void;
}

function sendDiscovery(res: ServerResponse, body: Record<string, unknown> | undefined): void {
  if (!body) throw pathNotFound();
  sendJson(res, 200, body);
}

/** Non-resource paths: version, discovery, OpenAPI, health. Returns false when the path is a resource path. */
function serveNonResource(api: Api, segments: string[], req: IncomingMessage, res: ServerResponse): boolean {
  const path = segments.join('/');
  const { registry } = api;
  if (['healthz', 'readyz', 'livez'].includes(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
    return true;
  }
  if (path === 'version') sendJson(res, 200, VERSION_INFO);
  else if (path === 'api') sendJson(res, 200, coreVersions(req.headers.host ?? ''));
  else if (path === 'apis') sendJson(res, 200, groupList(registry));
  else if (path === 'api/v1') sendDiscovery(res, resourceList(registry, '', 'v1'));
  else if (segments[0] === 'apis' && segments.length === 2) sendDiscovery(res, group(registry, segments[1] ?? ''));
  else if (segments[0] === 'apis' && segments.length === 3) sendDiscovery(res, resourceList(registry, segments[1] ?? '', segments[2] ?? ''));
  else if (path === 'openapi/v3') sendJson(res, 200, openApiRoot(registry));
  else if (path.startsWith('openapi/v3/api/') || path.startsWith('openapi/v3/apis/')) {
    const [, , kind, first, second] = segments;
    sendDiscovery(res, kind === 'api' ? groupVersionDocument(registry, '', first ?? '') : groupVersionDocument(registry, first ?? '', second ?? ''));
  } else if (segments[0] === 'api' || segments[0] === 'apis') return false;
  else throw pathNotFound();
  return true;
}

const isWatch = (query: URLSearchParams): boolean => query.get('watch') === 'true' || query.get('watch') === '1';

async function serveResource(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const isItem = route.name !== undefined;
  switch (req.method) {
    case 'GET':
      if (isItem) return handleGet(api, route, query, req, res);
      if (isWatch(query)) return handleWatch(api, route, query, req, res);
      return handleList(api, route, query, req, res);
    case 'POST':
      if (isItem) throw methodNotAllowed();
      return handleCreate(api, route, query, req, res);
    case 'PUT':
      if (!isItem) throw methodNotAllowed();
      return handleUpdate(api, route, query, req, res);
    case 'PATCH':
      if (!isItem) throw methodNotAllowed();
      return handlePatch(api, route, query, req, res);
    case 'DELETE':
      if (route.subresource) throw methodNotAllowed();
      return isItem ? handleDelete(api, route, query, req, res) : handleDeleteCollection(api, route, query, req, res);
    default:
      throw methodNotAllowed();
  }
}

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const store = new Store(opts.watchWindow ?? 10_000);
  const registry = new ResourceRegistry();
  for (const type of BUILTIN_TYPES) registry.add(type);
  const api: Api = { store, registry, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 20_000, now: () => new Date() };
  const stopCleanup = startCleanup(api);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create(NAMESPACES, admitCreate(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { manager: 'kube-apiserver', fieldValidation: 'Ignore', now: api.now() }).object);
  }

  let watchRequests = 0;
  const requestListeners = new Set<(request: RequestRecord) => void>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isWatch(url.searchParams)) watchRequests += 1;
    if (requestListeners.size > 0) {
      const record = requestRecord(req, url);
      for (const listener of requestListeners) listener(record);
    }
    const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
    Promise.resolve()
      .then(async () => {
        if (serveNonResource(api, segments, req, res)) return;
        await serveResource(api, resolveResource(registry, segments), url.searchParams, req, res);
      })
      .catch((err: unknown) => {
        if (res.headersSent) res.end();
        else sendError(res, err);
      });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(opts.port ?? 0);
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    compact: () => store.compact(),
    expiredWatches: () => store.expired(),
    watchRequests: () => watchRequests,
    restart: async () => {
      await stopListening();
      await listen(port);
    },
    subscribe: (listener) => store.subscribe(listener),
    observeRequests: (listener) => {
      requestListeners.add(listener);
      return () => requestListeners.delete(listener);
    },
    close: () => {
      stopCleanup();
      return stopListening();
    },
  };
}
