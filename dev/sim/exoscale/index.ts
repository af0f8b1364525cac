// The Exoscale API v2 simulator: every zone of the spec at /{zone}/v2 on one node:http server, in memory,
// with signature checks, private networks, instances (seeded), asynchronous operations, fault injection
// and call accounting. startExoscaleSim() is the entry point for tests.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallLog as SharedCallLog, queryRecord, type CallFilterOf, type CallRecordBase } from '../common/calls.ts';
import { systemClock, type SimClock } from '../common/clock.ts';
import { listen } from '../common/server.ts';
import { Faults as SharedFaults, serveWithFaults, type Answer, type Fault as SharedFault, type FaultSpec as SharedFaultSpec } from '../common/faults.ts';
import { answer, locate } from './api.ts';
import { DEFAULT_CREDENTIALS, type ExoscaleCredentials } from './auth.ts';
import type { SimResponse } from './errors.ts';
import { DEFAULT_ZONE, ZONES } from './spec.ts';
import { Zone } from './zone.ts';

export { ManualClock, type SimClock } from '../common/clock.ts';
export { DEFAULT_CREDENTIALS, type ExoscaleCredentials } from './auth.ts';
export type { OperationFailure, OperationReason } from './operations.ts';
export { DEFAULT_ZONE, ZONES } from './spec.ts';
export type { Instance, InstanceState, PrivateNetwork, Zone } from './zone.ts';

/**
 * One exchange. `operation` is the spec's operationId of the route ("create-private-network"; "unknown"
 * off the spec); the bodies are parsed JSON (a request body that is not JSON: its text), so a test can
 * check every exchange against the spec afterwards (test/support/exoscale-spec.ts).
 */
export type CallRecord = CallRecordBase & {
  /** "" when the path does not start with a zone of the spec. */
  zone: string;
  requestBody?: unknown;
  /** Absent when no response was sent (drop, hang) or it had no body. */
  responseBody?: unknown;
};
export type CallFilter = CallFilterOf<CallRecord>;
export class CallLog extends SharedCallLog<CallRecord> {}

type Labels = 'zone' | 'operation';
/** Faults match on method, pathPattern, zone and operation (the spec's operationId). */
export type FaultSpec = SharedFaultSpec<Labels>;
export type Fault = SharedFault<Labels>;
export class Faults extends SharedFaults<Labels> {}

export type ExoscaleSimOptions = {
  host?: string;
  port?: number;
  /** Accepted API keys (default: DEFAULT_CREDENTIALS); the first is `sim.credentials`. */
  credentials?: ExoscaleCredentials[];
  /** Polls of GET /operation/{id} answered "pending" before the operation ends (default 1; 0: ended at the first poll). */
  operationPolls?: number;
  /** Time for signature expiry and timestamps (default: the wall clock). */
  clock?: SimClock;
  /** Seed of the fault PRNG (rates). */
  seed?: number;
};

export type ExoscaleSim = {
  /** http://host:port */
  url: string;
  /** The API endpoint of a zone (default ch-gva-2): <url>/<zone>/v2, as https://api-<zone>.exoscale.com/v2. */
  endpoint: (zone?: string) => string;
  /** The first accepted key pair. */
  credentials: ExoscaleCredentials;
  clock: SimClock;
  faults: Faults;
  calls: CallLog;
  /** A zone's state, for seeding and assertions: networks, instances, addInstance, failNextOperation, operations. */
  zone: (name?: string) => Zone;
  close: () => Promise<void>;
};

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** The body as the call log keeps it: parsed JSON, else its text; undefined when empty. */
function logged(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An answer to write; Date comes from the simulator's clock, as a real server's from its own. */
function toAnswer(out: SimResponse, now: () => number, headers: Record<string, string> = {}): Answer {
  const text = JSON.stringify(out.body);
  return {
    status: out.status,
    body: out.body,
    write: (res: ServerResponse) => {
      res.writeHead(out.status, {
        Date: new Date(now()).toUTCString(),
        'X-Request-Id': randomUUID(),
        'Content-Type': out.contentType ?? 'application/json',
        'Content-Length': String(Buffer.byteLength(text)),
        ...headers,
      });
      res.end(text);
    },
  };
}

const injectedMessage = (status: number): string => (status === 429 ? 'Too many requests, please retry later.' : `Injected fault: HTTP ${status}.`);

export async function startExoscaleSim(opts: ExoscaleSimOptions = {}): Promise<ExoscaleSim> {
  const clock = opts.clock ?? systemClock();
  const now = clock.now;
  const credentials = opts.credentials ?? [DEFAULT_CREDENTIALS];
  const first = credentials[0];
  if (!first) throw new Error('the Exoscale simulator needs at least one API key');
  const zones = new Map(ZONES.map((name) => [name, new Zone(name, opts.operationPolls ?? 1, now)]));
  const faults = new Faults(opts.seed ?? 1);
  const calls = new CallLog();
  let origin = '';
  const endpoint = (zone = DEFAULT_ZONE): string => `${origin}/${zone}/v2`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const target = req.url ?? '/';
    const path = target.split('?')[0] ?? '/';
    const query = new URL(target, 'http://sim').searchParams;
    const method = req.method ?? 'GET';
    const where = locate(method, path);
    const requestBody = logged(body);
    const call = { method, path, query: queryRecord(query), zone: where.zone, operation: where.operation, ...(requestBody !== undefined ? { requestBody } : {}) };
    const record = (status: number, fault: CallRecord['fault'], out: Answer | undefined): void =>
      calls.record({ ...call, status, ...(fault ? { fault } : {}), ...(out?.body !== undefined ? { responseBody: out.body } : {}), at: now() });
    await serveWithFaults(
      req,
      res,
      { faults, record },
      call,
      (status, headers, injected) => toAnswer({ status, body: injected ?? { message: injectedMessage(status) } }, now, headers),
      async () => toAnswer(answer({ method, path, query, body, authorization: req.headers.authorization }, where, { zones, credentials, now, endpoint }), now),
    );
  };

  const listening = await listen(handle, { host: opts.host, port: opts.port, clock });
  origin = listening.origin;

  return {
    url: origin,
    endpoint,
    credentials: first,
    clock,
    faults,
    calls,
    zone: (name = DEFAULT_ZONE) => {
      const zone = zones.get(name);
      if (!zone) throw new Error(`no zone ${name}: one of ${ZONES.join(', ')}`);
      return zone;
    },
    close: listening.close,
  };
}
