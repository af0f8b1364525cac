// The API's request pipeline, independent of node:http: the zone (first path segment, then /v2), the
// signature, the spec's route, the parameters and body against the spec's schemas, then the operation.
import { attachmentHandlers } from './attachments.ts';
import { authFailure, type ExoscaleCredentials } from './auth.ts';
import { ExoscaleError, invalid, json, notFound, refused, type SimResponse } from './errors.ts';
import type { Handler } from './handler.ts';
import { instanceHandlers } from './instances.ts';
import { privateNetworkHandlers } from './private-networks.ts';
import { checkParameters, checkRequestBody, matchPath, operationOf, ZONES } from './spec.ts';
import type { Zone } from './zone.ts';

const HANDLERS: Record<string, Handler> = {
  'list-zones': ({ endpoint }) =>
    json(200, { zones: ZONES.map((name) => ({ name, 'api-endpoint': endpoint(name), 'sos-endpoint': `https://sos-${name}.exo.io` })) }),
  'get-operation': ({ zone, params }) => {
    const op = zone.operations.poll(params.id ?? '');
    if (op === undefined) throw notFound(`operation ${params.id} not found`);
    return json(200, op);
  },
  ...instanceHandlers,
  ...privateNetworkHandlers,
  ...attachmentHandlers,
};

/** Where a request goes, known before anything is checked: what the call log and faults see. */
export type Located = {
  /** The first path segment when it is a zone of the spec, else "". */
  zone: string;
  /** The spec's path template below /v2 and the path parameters, when the path is one of the spec's. */
  route?: { template: string; params: Record<string, string> };
  /** The spec's operationId, or "unknown". */
  operation: string;
};

export function locate(method: string, path: string): Located {
  const match = /^\/([^/]+)\/v2(\/.*)$/.exec(path);
  const zone = match && ZONES.includes(match[1] ?? '') ? (match[1] ?? '') : '';
  const route = match && zone ? matchPath(match[2] ?? '') : undefined;
  const operation = route && operationOf(route.template, method)?.operationId;
  return { zone, ...(route ? { route } : {}), operation: operation ?? 'unknown' };
}

export type ApiRequest = {
  method: string;
  /** As received, with the zone prefix and /v2. */
  path: string;
  query: URLSearchParams;
  body: Buffer;
  authorization: string | undefined;
};

export type ApiEnv = {
  zones: Map<string, Zone>;
  credentials: readonly ExoscaleCredentials[];
  now: () => number;
  endpoint: (zone: string) => string;
};

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid([{ location: 'body', detail: 'is not valid JSON' }]);
  }
}

function run(req: ApiRequest, where: Located, env: ApiEnv): SimResponse {
  const zone = env.zones.get(where.zone);
  if (!zone) throw notFound(`no such endpoint: the API is at /{zone}/v2, zone one of ${ZONES.join(', ')}`);
  const failure = authFailure(req, env.credentials, env.now());
  if (failure) throw refused(403, failure);
  const { route } = where;
  if (!route || where.operation === 'unknown') throw notFound(`no such API operation: ${req.method} ${req.path}`);
  const handler = HANDLERS[where.operation];
  if (!handler) throw refused(501, `${where.operation} is not simulated`);
  const body = parseBody(req.body);
  const problems = [...checkParameters(route.template, req.method, route.params, req.query, false), ...checkRequestBody(route.template, req.method, body)];
  if (problems.length > 0) throw invalid(problems);
  return handler({ zone, params: route.params, body, endpoint: env.endpoint });
}

/** The answer to one request: the operation's, or the refusal of the first check it fails. */
export function answer(req: ApiRequest, where: Located, env: ApiEnv): SimResponse {
  try {
    return run(req, where, env);
  } catch (err) {
    if (err instanceof ExoscaleError) return err.response;
    return json(500, { message: `simulator bug: ${String(err)}` });
  }
}
