// A minimal fetch client for the simulator's tests: JSON in, {status, body, headers} out.
import type { OpenStackSim } from '../../../dev/sim/openstack/index.ts';

export type Reply = { status: number; body: any; headers: Headers }; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Client = {
  token: string;
  get: (path: string) => Promise<Reply>;
  post: (path: string, body: unknown) => Promise<Reply>;
  put: (path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>;
  del: (path: string, headers?: Record<string, string>) => Promise<Reply>;
};

export async function call(url: string, method: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.token) headers['X-Auth-Token'] = opts.token;
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A Neutron client for one simulated user; paths are relative to <network endpoint>/v2.0. */
export function neutron(sim: OpenStackSim, user = 'demo'): Client {
  const token = sim.token(user);
  const base = `${sim.networkUrl}/v2.0`;
  return {
    token,
    get: (path) => call(`${base}${path}`, 'GET', { token }),
    post: (path, body) => call(`${base}${path}`, 'POST', { token, body }),
    put: (path, body, headers) => call(`${base}${path}`, 'PUT', { token, body, ...(headers ? { headers } : {}) }),
    del: (path, headers) => call(`${base}${path}`, 'DELETE', { token, ...(headers ? { headers } : {}) }),
  };
}

/**
 * A Nova client for one simulated user at one compute microversion (default 2.93; null: no header, i.e. 2.1);
 * paths are relative to the compute endpoint (<url>/compute/v2.1).
 */
export function nova(sim: OpenStackSim, user = 'demo', version: string | null = '2.93'): Client {
  const token = sim.token(user);
  const base = sim.computeUrl ?? '';
  const headers = (extra?: Record<string, string>): Record<string, string> => ({ ...(version === null ? {} : { 'OpenStack-API-Version': `compute ${version}` }), ...extra });
  return {
    token,
    get: (path) => call(`${base}${path}`, 'GET', { token, headers: headers() }),
    post: (path, body) => call(`${base}${path}`, 'POST', { token, body, headers: headers() }),
    put: (path, body, extra) => call(`${base}${path}`, 'PUT', { token, body, headers: headers(extra) }),
    del: (path, extra) => call(`${base}${path}`, 'DELETE', { token, headers: headers(extra) }),
  };
}
