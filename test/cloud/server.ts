import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach } from 'vitest';
import { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import { parseCloudEntry } from '../../src/cloud/openstack/config.ts';

/** A request as the test server saw it. */
export interface Seen {
  method: string;
  /** Path and query, e.g. `/v2.0/networks?limit=2`. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The body as sent. */
  raw: string;
  at: number;
  /** Client port of the connection, to see keep-alive reuse. */
  remotePort: number | undefined;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as they are. */
  body?: unknown;
}

/** `hang` never answers; `drop` destroys the connection without a response. */
export type Handler = (req: Seen) => Reply | 'hang' | 'drop' | Promise<Reply | 'hang' | 'drop'>;

export interface TestServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** Starts an HTTP (or, with TLS material, HTTPS) server on 127.0.0.1 with an ephemeral port. */
export async function startServer(handler: Handler, tlsMaterial?: { key: string; cert: string }): Promise<TestServer> {
  const seen: Seen[] = [];
  const listener: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: Seen = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text === '' || !req.headers['content-type']?.includes('json') ? undefined : JSON.parse(text),
        raw: text,
        at: performance.now(),
        remotePort: req.socket.remotePort,
      };
      seen.push(request);
      void Promise.resolve(handler(request)).then((reply) => {
        if (reply === 'hang') return;
        if (reply === 'drop') {
          req.socket.destroy();
          return;
        }
        const body =
          reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
        res.writeHead(reply.status, { 'content-type': type, ...reply.headers });
        res.end(body);
      });
    });
  };
  const server = tlsMaterial ? https.createServer(tlsMaterial, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tlsMaterial ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function neutronError(type: string, message: string): unknown {
  return { NeutronError: { type, message, detail: '' } };
}

/**
 * An OpenStack client of a test server, both closed after each test of the file: `at(handler,
 * endpoints)` starts the server and points the client's fixed endpoints (relative paths) at it,
 * with a pre-issued token (no Keystone).
 */
export function useOpenStackAt(): (handler: Handler, endpoints: Partial<Record<'network' | 'compute' | 'image', string>>) => Promise<{ client: OpenStackClient; server: TestServer }> {
  const open: { client: OpenStackClient; server: TestServer }[] = [];
  afterEach(async () => {
    for (const { client, server } of open.splice(0)) {
      client.close();
      await server.close();
    }
  });
  return async (handler, endpoints) => {
    const server = await startServer(handler);
    const overrides = Object.fromEntries(Object.entries(endpoints).map(([service, path]) => [`${service}_endpoint_override`, `${server.url}${path}`]));
    const client = new OpenStackClient({ cloud: parseCloudEntry({ auth: { token: 'tok-tests' }, ...overrides }), registry: new Registry(), retry: { maxAttempts: 1 } });
    open.push({ client, server });
    return { client, server };
  };
}
