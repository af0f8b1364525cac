// Exoscale's OpenAPI 3.0 description (third_party/exoscale/openapi.json), read by the simulator (routes,
// zones, the request validation it answers 400 for) and by the tests' spec validator (test/support): one
// reading of the spec, so both agree on what a route is and on what a schema means. OpenAPI 3.0's own
// dialect (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`) is turned into JSON Schema for Ajv.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

export type SchemaObject = { [keyword: string]: unknown };

type Parameter = { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: SchemaObject };

export type SpecOperation = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, { content?: Record<string, { schema: SchemaObject }> }>;
};

type OpenApi = {
  servers: { variables: { zone: { default: string; enum: string[] } } }[];
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, SchemaObject> };
};

const SPEC = JSON.parse(readFileSync(new URL('../../../third_party/exoscale/openapi.json', import.meta.url), 'utf8')) as OpenApi;

const zoneVariable = SPEC.servers[0]?.variables.zone;
/** The zones of the spec's server variable, each an endpoint `https://api-{zone}.exoscale.com/v2`. */
export const ZONES: readonly string[] = zoneVariable?.enum ?? [];
export const DEFAULT_ZONE = zoneVariable?.default ?? 'ch-gva-2';

/** A schema of the spec (a property's, a parameter's, a body's), `$ref`s followed. */
export function resolveRef(schema: SchemaObject): SchemaObject {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const target = SPEC.components.schemas[ref.replace('#/components/schemas/', '')];
  if (!target) throw new Error(`the spec has no schema ${ref}`);
  return resolveRef(target);
}

type Template = { template: string; pattern: RegExp; names: string[] };

// A parameter is one path segment without ':' (ids; "{id}:attach" is its own template); the template with
// the fewest parameters wins ("/dns-domain/{id}/zone" over "/dns-domain/{id}/{field}").
const TEMPLATES: Template[] = Object.keys(SPEC.paths)
  .map((template) => {
    const names: string[] = [];
    const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/:]+)';
    });
    return { template, pattern: new RegExp(`^${source}$`), names };
  })
  .sort((a, b) => a.names.length - b.names.length);

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** The spec's path template a path below /v2 falls under, and its path parameters (decoded). */
export function matchPath(path: string): { template: string; params: Record<string, string> } | undefined {
  for (const { template, pattern, names } of TEMPLATES) {
    const match = pattern.exec(path);
    if (match) return { template, params: Object.fromEntries(names.map((name, i) => [name, decode(match[i + 1] ?? '')])) };
  }
  return undefined;
}

export const operationOf = (template: string, method: string): SpecOperation | undefined => SPEC.paths[template]?.[method.toLowerCase()];

export const jsonSchemaOf = (content: Record<string, { schema: SchemaObject }> | undefined): SchemaObject | undefined => content?.['application/json']?.schema;

const SPEC_ID = 'exoscale-openapi';

/** OpenAPI 3.0 to JSON Schema: absolute `$ref`s, numeric exclusive bounds, `nullable` as `anyOf` with null. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(node)) out[key] = key === '$ref' && typeof value === 'string' ? `${SPEC_ID}${value}` : toJsonSchema(value);
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (out[exclusive] === true) {
      out[exclusive] = out[bound];
      delete out[bound];
    } else if (out[exclusive] === false) delete out[exclusive];
  }
  if (out.nullable !== true) return out;
  delete out.nullable;
  return { anyOf: [{ type: 'null' }, out] };
}

const CONVERTED = toJsonSchema(SPEC) as OpenApi;

function newAjv(coerceTypes: boolean): Ajv {
  // strict: false: the spec carries x-go-* extensions and `example`, which are no JSON Schema keywords.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes });
  addFormats.default(ajv);
  ajv.addSchema(CONVERTED, SPEC_ID);
  return ajv;
}

const bodies = newAjv(false);
/** Parameters arrive as text: "true" is a boolean, "10" an integer. */
const parameters = newAjv(true);

/** One problem with a request or a response: where (`body.instance.id`, `path.id`, `query.labels`) and what. */
export type Problem = { location: string; detail: string };

function problemsOf(errors: ErrorObject[] | null | undefined, location: string): Problem[] {
  const out = new Map<string, Problem>();
  for (const error of errors ?? []) {
    // A nullable value's anyOf adds "must be null" and "must match a schema in anyOf" to the real complaint.
    if (error.keyword === 'anyOf' || (error.keyword === 'type' && error.params.type === 'null')) continue;
    const path = error.instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (error.keyword === 'required') path.push(String(error.params.missingProperty));
    if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
    const allowed = error.keyword === 'enum' ? `: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` : '';
    const problem = { location: [location, ...path].join('.'), detail: `${error.message ?? error.keyword}${allowed}` };
    out.set(`${problem.location}: ${problem.detail}`, problem);
  }
  return [...out.values()];
}

const escape = (segment: string): string => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'));

/** The JSON pointer of a part of an operation, e.g. its request body schema. */
export const operationPointer = (template: string, method: string, ...rest: (string | number)[]): string =>
  ['', 'paths', template, method.toLowerCase(), ...rest.map(String)].map((part, i) => (i === 0 ? part : escape(part))).join('/');

export const SCHEMA_OF_JSON = ['content', 'application/json', 'schema'] as const;

/** `value` against the schema at `pointer` in the spec (Ajv compiles each once). */
function check(ajv: Ajv, pointer: string, value: unknown, location: string): Problem[] {
  const validate = ajv.getSchema(`${SPEC_ID}#${pointer}`);
  if (!validate) throw new Error(`the spec has no schema at ${pointer}`);
  return validate(value) ? [] : problemsOf(validate.errors, location);
}

/**
 * Path and query parameters against the operation's parameter schemas; `strictQuery` also refuses query
 * parameters the operation does not declare (the simulator ignores them, as the API probably does).
 */
export function checkParameters(template: string, method: string, params: Record<string, string>, query: URLSearchParams, strictQuery: boolean): Problem[] {
  const declared = operationOf(template, method)?.parameters ?? [];
  const out: Problem[] = [];
  declared.forEach((p, i) => {
    const pointer = operationPointer(template, method, 'parameters', i, 'schema');
    if (p.in === 'path') out.push(...check(parameters, pointer, params[p.name], `path.${p.name}`));
    if (p.in !== 'query') return;
    const values = query.getAll(p.name);
    if (values.length === 0 && p.required) out.push({ location: `query.${p.name}`, detail: 'is required' });
    if (values.length > 1) out.push({ location: `query.${p.name}`, detail: 'must be given once' });
    for (const value of values) out.push(...check(parameters, pointer, value, `query.${p.name}`));
  });
  if (strictQuery) {
    for (const name of new Set(query.keys())) {
      if (!declared.some((p) => p.in === 'query' && p.name === name)) out.push({ location: `query.${name}`, detail: 'is not a parameter of this operation' });
    }
  }
  return out;
}

/** A request body (parsed JSON; undefined: none) against the operation's request schema. */
export function checkRequestBody(template: string, method: string, body: unknown): Problem[] {
  const requestBody = operationOf(template, method)?.requestBody;
  if (!jsonSchemaOf(requestBody?.content)) return [];
  if (body === undefined) return requestBody?.required ? [{ location: 'body', detail: 'is required' }] : [];
  return check(bodies, operationPointer(template, method, 'requestBody', ...SCHEMA_OF_JSON), body, 'body');
}

/** A value against the schema at a JSON pointer of the spec, e.g. a response body against its status's schema. */
export const checkValue = (pointer: string, value: unknown, location: string): Problem[] => check(bodies, pointer, value, location);
