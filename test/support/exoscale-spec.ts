// Checks Exoscale API exchanges against Exoscale's OpenAPI spec (third_party/exoscale/openapi.json), as
// the simulator reads it (dev/sim/exoscale/spec.ts): requests the operator sends and answers the simulator
// gives. Stricter than the schemas alone, which ignore what they do not name: a request may not carry
// properties the operation does not know (the API ignores them: a typo would be lost silently) nor
// read-only ones (except `id` in a nested object: a reference, as detach's `instance: {id}`, whose schema
// is the whole instance with its id read-only); a response may not carry properties the spec does not
// name. Error answers have no schema on the simulated paths: they must be a classic {"message"} or the
// spec's RFC 9457 `error-response`.
import type { CallLog, CallRecord } from '../../dev/sim/exoscale/index.ts';
import {
  checkParameters,
  checkRequestBody,
  checkValue,
  jsonSchemaOf,
  matchPath,
  operationOf,
  operationPointer,
  resolveRef,
  SCHEMA_OF_JSON,
  ZONES,
  type Problem,
  type SchemaObject,
} from '../../dev/sim/exoscale/spec.ts';

export type ExchangeRequest = {
  method: string;
  /** Under /{zone}/v2 (the simulator's endpoints) or /v2 (the real ones). */
  path: string;
  query?: URLSearchParams | Record<string, string | string[]>;
  /** Parsed JSON; undefined: none. */
  body?: unknown;
};

export type ExchangeResponse = { method: string; path: string; status: number; body?: unknown };

type Located = { template: string; params: Record<string, string> };

/** The spec's route of a request, or the reason there is none. */
function locate(method: string, path: string): Located | string {
  const match = /^(?:\/([^/]+))?\/v2(\/.*)$/.exec(path);
  if (!match) return `${path} is not under /{zone}/v2 or /v2`;
  if (match[1] !== undefined && !ZONES.includes(match[1])) return `${match[1]} is not a zone of the spec (${ZONES.join(', ')})`;
  const found = matchPath(match[2] ?? '');
  if (!found) return `no path of the spec matches ${match[2]}`;
  if (!operationOf(found.template, method)) return `the spec has no ${method.toUpperCase()} ${found.template}`;
  return found;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Properties the schema does not name, and (requests) read-only ones; `depth` 0 is the body itself. */
function strays(schema: SchemaObject, value: unknown, location: string, request: boolean, depth = 0): Problem[] {
  const s = resolveRef(schema);
  if (Array.isArray(value)) return isObject(s.items) ? value.flatMap((item, i) => strays(s.items as SchemaObject, item, `${location}.${i}`, request, depth + 1)) : [];
  if (!isObject(value)) return [];
  const properties = isObject(s.properties) ? (s.properties as Record<string, SchemaObject>) : undefined;
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as SchemaObject) : undefined;
  const out: Problem[] = [];
  for (const [key, item] of Object.entries(value)) {
    const where = `${location}.${key}`;
    const property = properties?.[key];
    if (property) {
      const readOnly = property.readOnly === true || resolveRef(property).readOnly === true;
      if (request && readOnly && !(key === 'id' && depth > 0)) out.push({ location: where, detail: 'is read-only and must not be sent' });
      out.push(...strays(property, item, where, request, depth + 1));
    } else if (additional) out.push(...strays(additional, item, where, request, depth + 1));
    else if (properties && s.additionalProperties === undefined) out.push({ location: where, detail: 'is not a property of the spec' });
  }
  return out;
}

const text = (prefix: string, problems: Problem[]): string[] => problems.map((p) => `${prefix}: ${p.location} ${p.detail}`);

function searchParams(query: ExchangeRequest['query']): URLSearchParams {
  if (query instanceof URLSearchParams) return query;
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  return out;
}

/** A request: method and path in the spec, query parameters declared and valid, path parameters valid, body valid. */
export function checkRequest(req: ExchangeRequest): string[] {
  const prefix = `${req.method} ${req.path} request`;
  const found = locate(req.method, req.path);
  if (typeof found === 'string') return [`${prefix}: ${found}`];
  const problems = [...checkParameters(found.template, req.method, found.params, searchParams(req.query), true), ...checkRequestBody(found.template, req.method, req.body)];
  const schema = jsonSchemaOf(operationOf(found.template, req.method)?.requestBody?.content);
  if (schema && req.body !== undefined) problems.push(...strays(schema, req.body, 'body', true));
  return text(prefix, problems);
}

/** An answer: a 200's body valid against the operation's 200 schema; an error's, one of the two error shapes. */
export function checkResponse(res: ExchangeResponse): string[] {
  const prefix = `${res.method} ${res.path} response ${res.status}`;
  const found = locate(res.method, res.path);
  if (typeof found === 'string') return res.status >= 400 ? text(prefix, errorProblems(res)) : [`${prefix}: ${found}`];
  const documented = operationOf(found.template, res.method)?.responses[String(res.status)];
  const schema = jsonSchemaOf(documented?.content);
  if (!schema) return res.status >= 400 ? text(prefix, errorProblems(res)) : [`${prefix}: the spec documents no JSON body for ${res.status}`];
  const pointer = operationPointer(found.template, res.method, 'responses', String(res.status), ...SCHEMA_OF_JSON);
  return text(prefix, [...checkValue(pointer, res.body, 'body'), ...strays(schema, res.body, 'body', false)]);
}

/** A classic {"message": "..."}, or RFC 9457 (the spec's `error-response`) with the status of the answer. */
function errorProblems(res: ExchangeResponse): Problem[] {
  const body = res.body;
  if (isObject(body) && 'message' in body) return typeof body.message === 'string' && Object.keys(body).length === 1 ? [] : [{ location: 'body', detail: 'a classic error body is {"message": <string>} alone' }];
  const problems = checkValue('/components/schemas/error-response', body, 'body');
  if (problems.length === 0 && isObject(body) && body.status !== res.status) problems.push({ location: 'body.status', detail: `is ${String(body.status)}, the answer ${res.status}` });
  return problems.length === 0 ? [] : [{ location: 'body', detail: 'is neither {"message": <string>} nor RFC 9457 problem details' }, ...problems];
}

/** The problems of one recorded exchange: its request's, and the others (operation label, answer). */
function callProblems(call: CallRecord): { request: string[]; other: string[] } {
  const other: string[] = [];
  const found = locate(call.method, call.path);
  const operationId = typeof found === 'string' ? 'unknown' : operationOf(found.template, call.method)?.operationId;
  if (call.operation !== operationId) other.push(`${call.method} ${call.path}: recorded as operation ${call.operation}, the spec's is ${operationId}`);
  if (call.status !== 0) other.push(...checkResponse({ method: call.method, path: call.path, status: call.status, body: call.responseBody }));
  return { request: checkRequest({ method: call.method, path: call.path, query: call.query, body: call.requestBody }), other };
}

/** One recorded exchange: its operation label (the spec's operationId), its request, and its answer if one was sent. */
export function checkCall(call: CallRecord): string[] {
  const { request, other } = callProblems(call);
  return [...request, ...other];
}

export type CallCheckOptions = {
  /**
   * Exchanges whose request a test made invalid on purpose: their requests must then break the spec (a
   * validator that missed it would be wrong); their answers are checked as any.
   */
  invalidRequest?: (call: CallRecord) => boolean;
};

/** Checks every exchange of the simulator's call log; throws with every problem listed. */
export function expectCallsValid(calls: Pick<CallLog, 'records'>, opts: CallCheckOptions = {}): void {
  const problems = calls.records.flatMap((call) => {
    const { request, other } = callProblems(call);
    if (!opts.invalidRequest?.(call)) return [...request, ...other];
    return request.length > 0 ? other : [`${call.method} ${call.path}: expected an invalid request, the spec accepts it`, ...other];
  });
  if (problems.length > 0) throw new Error(`${problems.length} problem(s) with the Exoscale exchanges:\n- ${problems.join('\n- ')}`);
}
