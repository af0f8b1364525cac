// Fault injection: deterministic (seeded PRNG) errors, 429s, latency, dropped connections and lost responses.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CallFault, CallLog } from './calls.ts';
import { webobError } from './http.ts';

export type FaultMatch = {
  method?: string;
  /** A RegExp, or a substring of the full request path. */
  pathPattern?: RegExp | string;
  service?: string;
  operation?: string | RegExp;
};

export type FaultEffect =
  /** Answer with this status instead of doing the work (429 gets Retry-After). */
  | { kind?: 'error'; status: number; body?: unknown; retryAfter?: number }
  /** Wait, then handle normally. */
  | { kind: 'latency'; ms: number }
  /** Destroy the socket without a response; the request is not applied. */
  | { kind: 'drop' }
  /** Apply the request (e.g. the create happens in the cloud), then destroy the socket: the response is lost. */
  | { kind: 'lose-response' }
  /**
   * Apply the request, then hold the answer until the client goes away: the client died after the
   * cloud acted and before it heard (recorded once applied, so a test can kill the client then).
   */
  | { kind: 'hold-response' }
  /**
   * Neither apply nor answer; hold the connection until the client goes away: a request the client
   * was about to make when it died (recorded on arrival, so a test can kill the client then).
   */
  | { kind: 'hang' };

export type FaultSpec = FaultEffect & {
  match?: FaultMatch;
  /** Fire at most this many times (default: unlimited). */
  times?: number;
  /** Probability of firing per matching request, drawn from the seeded PRNG (default 1). */
  rate?: number;
};

export type Fault = { readonly spec: FaultSpec; hits: number; remove: () => void };

export type RequestInfo = { method: string; path: string; service: string; operation: string };

/** mulberry32: small, fast and good enough for reproducible fault sequences. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const textMatches = (value: string, want: string | RegExp | undefined, substring: boolean): boolean =>
  want === undefined ||
  (typeof want === 'string' ? (substring ? value.includes(want) : value === want) : want.test(value));

function matchesRequest(m: FaultMatch | undefined, req: RequestInfo): boolean {
  if (!m) return true;
  return (
    (m.method === undefined || m.method.toUpperCase() === req.method) &&
    textMatches(req.path, m.pathPattern, true) &&
    textMatches(req.service, m.service, false) &&
    textMatches(req.operation, m.operation, false)
  );
}

export class Faults {
  private readonly faults: Fault[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = prng(seed);
  }

  add(spec: FaultSpec): Fault {
    const fault: Fault = {
      spec,
      hits: 0,
      remove: () => {
        const i = this.faults.indexOf(fault);
        if (i >= 0) this.faults.splice(i, 1);
      },
    };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults.length = 0;
  }

  reseed(seed: number): void {
    this.random = prng(seed);
  }

  /** Total latency to add, and the first terminal fault that fires, for one request. */
  decide(req: RequestInfo): { latencyMs: number; effect?: Exclude<FaultEffect, { kind: 'latency' }> } {
    let latencyMs = 0;
    let effect: Exclude<FaultEffect, { kind: 'latency' }> | undefined;
    for (const fault of [...this.faults]) {
      const { spec } = fault;
      if (spec.kind !== 'latency' && effect) continue;
      if (!matchesRequest(spec.match, req)) continue;
      if (spec.times !== undefined && fault.hits >= spec.times) continue;
      if (spec.rate !== undefined && this.random() >= spec.rate) continue;
      fault.hits++;
      if (spec.kind === 'latency') latencyMs += spec.ms;
      else effect = spec;
    }
    return effect ? { latencyMs, effect } : { latencyMs };
  }
}

const STATUS_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest',
  404: 'HTTPNotFound',
  409: 'HTTPConflict',
  429: 'HTTPTooManyRequests',
  500: 'HTTPInternalServerError',
  502: 'HTTPBadGateway',
  503: 'HTTPServiceUnavailable',
  504: 'HTTPGatewayTimeout',
};

/** Nova's fault names by status (nova.api.openstack.FaultWrapper); anything else is a computeFault. */
const NOVA_FAULTS: Record<number, string> = { 400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 413: 'overLimit', 429: 'overLimit', 501: 'notImplemented', 503: 'serviceUnavailable' };

/**
 * The body a failing service would send for an injected error: Neutron's envelope, Nova's, Keystone's, or
 * (a string: sent as HTML) the webob page Glance answers errors with.
 */
export function faultBody(service: string, status: number): unknown {
  const message = status === 429 ? 'Too many requests, please retry later.' : `Injected fault: HTTP ${status}.`;
  if (service === 'network') return { NeutronError: { type: STATUS_TYPES[status] ?? `HTTP${status}`, message, detail: '' } };
  if (service === 'compute') return { [NOVA_FAULTS[status] ?? 'computeFault']: { code: status, message } };
  if (service === 'image') return webobError('text/html', status, STATUS_CODES[status] ?? 'Error', message).text;
  return { error: { code: status, title: STATUS_TYPES[status]?.replace(/^HTTP/, '') ?? 'Error', message } };
}

/** A produced answer: its status (for the call log) and how to write it. */
export type Answer = { status: number; write(res: ServerResponse): void };

/** What the call log records of a request, and what faults match on. */
export type Call = { method: string; path: string; query: Record<string, string | string[]>; service: string; operation: string };

/**
 * The request path the simulator and the real-tier proxy share: pick the fault, then drop the
 * connection, answer with the injected error (`respondError`), or produce the real answer and
 * write it, lose it (applied, then the socket destroyed) or hold it; every outcome goes to the call log.
 */
export async function serveWithFaults(
  req: IncomingMessage,
  res: ServerResponse,
  env: { faults: Faults; calls: CallLog; now: () => number },
  call: Call,
  respondError: (res: ServerResponse, status: number, headers: Record<string, string>, body: unknown) => void,
  answer: () => Promise<Answer>,
): Promise<void> {
  const record = (status: number, fault?: CallFault): void => env.calls.record({ ...call, status, ...(fault ? { fault } : {}), at: env.now() });
  const decision = env.faults.decide(call);
  if (decision.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
  const effect = decision.effect;
  if (effect?.kind === 'drop') {
    record(0, 'drop');
    req.socket.destroy();
    return;
  }
  if (effect?.kind === 'hang') {
    record(0, 'hang');
    if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once('close', resolve));
    return;
  }
  if (effect && effect.kind !== 'lose-response' && effect.kind !== 'hold-response') {
    const headers: Record<string, string> = effect.status === 429 || effect.retryAfter !== undefined ? { 'Retry-After': String(effect.retryAfter ?? 1) } : {};
    record(effect.status, 'error');
    respondError(res, effect.status, headers, effect.body ?? faultBody(call.service, effect.status));
    return;
  }
  const out = await answer();
  if (effect?.kind === 'lose-response') {
    record(out.status, 'lose-response');
    req.socket.destroy();
    return;
  }
  if (effect?.kind === 'hold-response') {
    record(out.status, 'hold-response');
    if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once('close', resolve));
    return;
  }
  record(out.status);
  out.write(res);
}
