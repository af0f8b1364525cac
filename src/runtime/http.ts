import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Check = () => boolean;

/** host:port from Go-style bind addresses (":8080" = all interfaces); "0" disables the server. */
export function parseBindAddress(address: string): { host: string; port: number } | undefined {
  if (address === '0' || address === '') return undefined;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid bind address "${address}"`);
  return { host: host || '0.0.0.0', port };
}

export interface HttpServers {
  /** Bound addresses ("host:port"), e.g. to find ephemeral ports. */
  metrics: string | undefined;
  probes: string | undefined;
  close(): Promise<void>;
}

export interface HttpOptions {
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  registry: Registry;
  healthz: Check;
  readyz: Check;
}

/** /metrics on one address, /healthz and /readyz on another (controller-runtime's layout). */
export async function serveHttp(options: HttpOptions): Promise<HttpServers> {
  const metrics = await listen(options.metricsBindAddress, async (path) => {
    if (path !== '/metrics') return undefined;
    return { status: 200, type: options.registry.contentType, body: await options.registry.metrics() };
  });
  const probes = await listen(options.healthProbeBindAddress, async (path) => {
    const check = path === '/healthz' ? options.healthz : path === '/readyz' ? options.readyz : undefined;
    if (!check) return undefined;
    const ok = check();
    return { status: ok ? 200 : 503, type: 'text/plain', body: ok ? 'ok' : 'not ready' };
  });
  return {
    metrics: metrics && addressOf(metrics),
    probes: probes && addressOf(probes),
    close: async () => {
      await Promise.all([metrics, probes].map((s) => s && close(s)));
    },
  };
}

type Handler = (path: string) => Promise<{ status: number; type: string; body: string } | undefined>;

async function listen(address: string, handle: Handler): Promise<Server | undefined> {
  const bind = parseBindAddress(address);
  if (!bind) return undefined;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    handle(path).then(
      (answer) => {
        if (!answer) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        else res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function addressOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
