// Fault injection: deterministic (seeded PRNG) errors, 429s, latency, dropped connections and lost responses.
// Generic over the labels a simulator gives its requests (OpenStack: service and operation; Exoscale: zone
// and operation); the error bodies are each simulator's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  | { kind: 'hang' };

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

/** A produced answer: its status and body (for the call log) and how to write it. */
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
 * destroyed) or hold it; every outcome is recorded.
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
  if (effect && effect.kind !== 'lose-response' && effect.kind !== 'hold-response') {
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
  env.record(out.status, undefined, out);
  out.write(res);
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
