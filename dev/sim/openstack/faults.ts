// Fault injection for the OpenStack simulator (and the real-tier proxy): the shared machinery
// (../common/faults.ts) with faults matching on service and operation, and each service's error body.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Faults as SharedFaults, serveWithFaults as serveShared, type Fault as SharedFault, type FaultSpec as SharedFaultSpec } from '../common/faults.ts';
import type { CallLog } from './calls.ts';
import { webobError } from './http.ts';

type Labels = 'service' | 'operation';
export type FaultSpec = SharedFaultSpec<Labels>;
export type Fault = SharedFault<Labels>;

export class Faults extends SharedFaults<Labels> {}

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

/** What the call log records of a request, and what faults match on. */
export type Call = { method: string; path: string; query: Record<string, string | string[]>; service: string; operation: string };

/**
 * The shared request path (../common/faults.ts) as the simulator and the real-tier proxy use it: an injected
 * error gets the service's body unless the fault gives one; every outcome goes to `calls`.
 */
export function serveWithFaults(
  req: IncomingMessage,
  res: ServerResponse,
  env: { faults: Faults; calls: CallLog; now: () => number },
  call: Call,
  respondError: (res: ServerResponse, status: number, headers: Record<string, string>, body: unknown) => void,
  answer: () => Promise<{ status: number; write(res: ServerResponse): void }>,
): Promise<void> {
  return serveShared(
    req,
    res,
    {
      faults: env.faults,
      record: (status, fault) => env.calls.record({ ...call, status, ...(fault ? { fault } : {}), userAgent: req.headers['user-agent'], at: env.now() }),
    },
    call,
    (status, headers, body) => ({ status, write: (r) => respondError(r, status, headers, body ?? faultBody(call.service, status)) }),
    answer,
  );
}
