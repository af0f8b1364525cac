// Fault injection: deterministic (seeded PRNG) errors, 429s, latency, dropped connections, lost, reset,
// truncated and slow responses.
// Generic over the labels a simulator gives its requests (OpenStack: service and operation; Exoscale: zone
// and operation); the error bodies are each simulator's own.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CallFault } from './calls.ts';
import { TokenBucket } from '../../../src/runtime/token-bucket.ts';
import { prng } from './prng.ts';

/** What a fault matches: method, path (a RegExp, or a substring of the full request path), and labels. */
export type FaultMatch<L extends string> = { method?: string; pathPattern?: RegExp | string } & { [K in L]?: string | RegExp };

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
  | { kind: 'hang' }
  /**
   * Apply the request, send the status, the headers and half the body, then reset the connection
   * (TCP RST): the connection broke while the answer was on its way.
   */
  | { kind: 'reset' }
  /**
   * Apply the request, send the status and headers with the full Content-Length but only half the
   * body, then close the connection (FIN): a truncated body, which the client must not take as whole.
   */
  | { kind: 'truncate' }
  /** Apply the request and send the answer in a few pieces spread over `ms`: a slow body. */
  | { kind: 'slow-body'; ms: number };

export type FaultSpec<L extends string> = FaultEffect & {
  match?: FaultMatch<L>;
  /** Fire at most this many times (default: unlimited). */
  times?: number;
  /** Probability of firing per matching request, drawn from the seeded PRNG (default 1). */
  rate?: number;
};

export type Fault<L extends string> = { readonly spec: FaultSpec<L>; hits: number; remove: () => void };

/** What faults match on: the request's method, full path, and its labels. */
export type RequestInfo<L extends string> = { method: string; path: string } & Record<L, string>;

const textMatches = (value: string, want: string | RegExp | undefined, substring: boolean): boolean =>
  want === undefined ||
  (typeof want === 'string' ? (substring ? value.includes(want) : value === want) : want.test(value));

function matchesRequest<L extends string>(m: FaultMatch<L> | undefined, req: RequestInfo<L>): boolean {
  if (!m) return true;
  const { method, pathPattern, ...labels } = m;
  return (
    (method === undefined || method.toUpperCase() === req.method) &&
    textMatches(req.path, pathPattern, true) &&
    Object.entries(labels).every(([label, want]) => textMatches((req as Record<string, string>)[label] ?? '', want as string | RegExp | undefined, false))
  );
}

/** A cloud's API rate limit: requests a second, and how many may come at once after a quiet spell. */
export type SimRateLimit = { qps: number; burst: number };

export class Faults<L extends string> {
  private readonly faults: Fault<L>[] = [];
  private random: () => number;
  private limit: TokenBucket | undefined;

  constructor(seed = 1) {
    this.random = prng(seed);
  }

  add(spec: FaultSpec<L>): Fault<L> {
    const fault: Fault<L> = {
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

  /** Every request over `limit` (undefined: none) is answered 429 with Retry-After in whole seconds, as clouds send it. */
  limitRate(limit: SimRateLimit | undefined): void {
    this.limit = limit && new TokenBucket(limit.qps, limit.burst);
  }

  reseed(seed: number): void {
    this.random = prng(seed);
  }

  /** Total latency to add, and the first terminal fault that fires, for one request. */
  decide(req: RequestInfo<L>): { latencyMs: number; effect?: Exclude<FaultEffect, { kind: 'latency' }> } {
    // A rate limiter answers before the service does any work.
    if (this.limit && !this.limit.tryTake()) return { latencyMs: 0, effect: { status: 429, retryAfter: Math.max(1, Math.ceil(this.limit.msUntilToken() / 1000)) } };
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

/**
 * A produced answer: its status and body (for the call log) and how to write it, with one
 * writeHead(status, headers) and one end(body) (what the faults that shape a body capture).
 */
export type Answer = { status: number; body?: unknown; write(res: ServerResponse): void };

export type ServeEnv<L extends string> = {
  faults: Faults<L>;
  /** Logs the outcome: the status sent (0: none), the fault that shaped it, the answer produced if any. */
  record: (status: number, fault: CallFault | undefined, answer: Answer | undefined) => void;
};

/**
 * The request path every simulator (and the real-tier proxy) shares: pick the fault, then drop the
 * connection, answer with the injected error (`injectedError`: the service's error for that status, or
 * the fault's own body), or produce the real answer and write it, lose it (applied, then the socket
 * destroyed), hold it, cut it short or send it slowly; every outcome is recorded.
 */
export async function serveWithFaults<L extends string>(
  req: IncomingMessage,
  res: ServerResponse,
  env: ServeEnv<L>,
  call: RequestInfo<L>,
  injectedError: (status: number, headers: Record<string, string>, body: unknown) => Answer,
  answer: () => Promise<Answer>,
): Promise<void> {
  const decision = env.faults.decide(call);
  if (decision.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
  const effect = decision.effect;
  if (effect?.kind === 'drop') {
    env.record(0, 'drop', undefined);
    req.socket.destroy();
    return;
  }
  if (effect?.kind === 'hang') {
    env.record(0, 'hang', undefined);
    if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once('close', resolve));
    return;
  }
  if (effect && (effect.kind === undefined || effect.kind === 'error')) {
    const headers: Record<string, string> = effect.status === 429 || effect.retryAfter !== undefined ? { 'Retry-After': String(effect.retryAfter ?? 1) } : {};
    const out = injectedError(effect.status, headers, effect.body);
    env.record(out.status, 'error', out);
    out.write(res);
    return;
  }
  const out = await answer();
  if (effect?.kind === 'lose-response') {
    env.record(out.status, 'lose-response', out);
    req.socket.destroy();
    return;
  }
  if (effect?.kind === 'hold-response') {
    env.record(out.status, 'hold-response', out);
    if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once('close', resolve));
    return;
  }
  if (effect?.kind === 'reset' || effect?.kind === 'truncate' || effect?.kind === 'slow-body') {
    env.record(out.status, effect.kind, out);
    await sendShaped(req, res, written(out), effect);
    return;
  }
  env.record(out.status, undefined, out);
  out.write(res);
}

/** An answer as bytes: what its write() sends. */
type Written = { status: number; headers: OutgoingHttpHeaders; body: Buffer };

/** Captures what an answer writes (see Answer), so that a fault can send it in pieces or cut it short. */
function written(out: Answer): Written {
  const captured: Written = { status: out.status, headers: {}, body: Buffer.alloc(0) };
  const sink = {
    writeHead(status: number, headers: OutgoingHttpHeaders = {}) {
      captured.status = status;
      captured.headers = headers;
      return sink;
    },
    end(body?: string | Buffer) {
      if (body !== undefined) captured.body = Buffer.from(body);
      return sink;
    },
  };
  out.write(sink as unknown as ServerResponse);
  return captured;
}

const SLOW_BODY_PIECES = 4;

/** Sends a captured answer slowly (slow-body), or half of its body before a reset or a close (reset, truncate). */
async function sendShaped(req: IncomingMessage, res: ServerResponse, out: Written, effect: { kind: 'reset' | 'truncate' } | { kind: 'slow-body'; ms: number }): Promise<void> {
  // The answer's own headers, Content-Length included: a cut body falls short of it.
  res.writeHead(out.status, out.headers);
  res.flushHeaders();
  if (effect.kind === 'slow-body') {
    const size = Math.ceil(out.body.length / SLOW_BODY_PIECES);
    for (let at = 0; at < out.body.length && !req.socket.destroyed; at += size) {
      await new Promise((resolve) => setTimeout(resolve, effect.ms / SLOW_BODY_PIECES));
      res.write(out.body.subarray(at, at + size));
    }
    res.end();
    return;
  }
  // An answer without a body (a 204) has nothing to cut: it arrives whole before the connection goes.
  await new Promise<void>((resolve) => res.write(out.body.subarray(0, Math.floor(out.body.length / 2)), () => resolve()));
  if (effect.kind === 'reset') req.socket.resetAndDestroy();
  else req.socket.end();
}

/** The command-line options of every simulator that shape its load: `--latency MS` and `--rate-limit QPS[/BURST]`. */
export const LOAD_OPTIONS = {
  latency: { type: 'string' },
  'rate-limit': { type: 'string' },
} as const;

/** Applies LOAD_OPTIONS: latency added to every answer, and 429 for requests over the rate limit. */
export function applyLoadOptions<L extends string>(faults: Faults<L>, values: { latency?: string; 'rate-limit'?: string }): void {
  if (values.latency) faults.add({ kind: 'latency', ms: Number(values.latency) });
  if (values['rate-limit']) faults.limitRate(parseRateLimit(values['rate-limit']));
}

/** "QPS" or "QPS/BURST" (burst default QPS), as the simulators' --rate-limit takes it. */
function parseRateLimit(text: string): SimRateLimit {
  const [qps, burst] = text.split('/').map(Number);
  if (!(qps! > 0) || (burst !== undefined && !(burst >= 1))) throw new Error(`invalid rate limit "${text}" (use QPS or QPS/BURST)`);
  return { qps: qps!, burst: burst ?? qps! };
}
