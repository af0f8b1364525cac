// A signed fetch client for the Exoscale simulator's tests, signing with the operator's own code
// (src/cloud/exoscale/signing.ts): JSON in, {status, body, headers} out.
import { authorization, SIGNATURE_TTL_S } from '../../../src/cloud/exoscale/signing.ts';
import type { ExoscaleCredentials, ExoscaleSim } from '../../../dev/sim/exoscale/index.ts';

export type Reply = { status: number; body: any; headers: Headers }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Authorization header for a request, valid `ttl` seconds from `nowMs` (the official clients' 600 by default). */
export function sign(credentials: ExoscaleCredentials, method: string, url: string, body: string | undefined, nowMs: number, ttl = SIGNATURE_TTL_S): string {
  return authorization(credentials.key, credentials.secret, { method, url: new URL(url), body: body === undefined ? undefined : Buffer.from(body) }, Math.floor(nowMs / 1000) + ttl);
}

/** Sends a request as it is: the header given (or none) and the body text given. */
export async function send(url: string, method: string, opts: { authorization?: string; body?: string; signal?: AbortSignal } = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.authorization !== undefined) headers.Authorization = opts.authorization;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export type Client = {
  get: (path: string) => Promise<Reply>;
  post: (path: string, body: unknown) => Promise<Reply>;
  put: (path: string, body?: unknown) => Promise<Reply>;
  del: (path: string) => Promise<Reply>;
};

/** A client of one zone (default ch-gva-2) signing with the simulator's key; paths are relative to /{zone}/v2. */
export function exoscale(sim: ExoscaleSim, zone?: string, credentials: ExoscaleCredentials = sim.credentials): Client {
  const request = (method: string, path: string, payload?: unknown): Promise<Reply> => {
    const url = `${sim.endpoint(zone)}${path}`;
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    return send(url, method, { authorization: sign(credentials, method, url, body, sim.clock.now()), ...(body !== undefined ? { body } : {}) });
  };
  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    put: (path, body) => request('PUT', path, body),
    del: (path) => request('DELETE', path),
  };
}

/** Polls GET /operation/{id} until the operation is no longer pending (at most `maxPolls` times); returns it. */
export async function settle(client: Client, operationId: string, maxPolls = 10): Promise<Reply> {
  for (let i = 0; i < maxPolls; i++) {
    const reply = await client.get(`/operation/${operationId}`);
    if (reply.status !== 200 || reply.body.state !== 'pending') return reply;
  }
  throw new Error(`operation ${operationId} still pending after ${maxPolls} polls`);
}
