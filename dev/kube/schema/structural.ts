// The structural subset of OpenAPI v3 that CustomResourceDefinitions accept, parsed once into a
// tree the validators, the defaulter and the pruner walk. Non-structural schemas are rejected
// with the reason, as the apiextensions-apiserver does when a CRD is created.

export type JsonObject = Record<string, unknown>;

export interface SchemaNode {
  type?: string;
  properties?: Map<string, SchemaNode>;
  required: string[];
  additionalProperties?: SchemaNode | true;
  items?: SchemaNode;
  enum?: unknown[];
  pattern?: { source: string; regexp: RegExp };
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum: boolean;
  exclusiveMaximum: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable: boolean;
  default?: unknown;
  hasDefault: boolean;
  preserveUnknownFields: boolean;
  intOrString: boolean;
  embeddedResource: boolean;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys: string[];
  mapType?: 'atomic' | 'granular';
  allOf: SchemaNode[];
  anyOf: SchemaNode[];
  oneOf: SchemaNode[];
  not?: SchemaNode;
  validations: JsonObject[];
  raw: JsonObject;
}

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const SUPPORTED_KEYS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'pattern', 'format',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'minProperties', 'maxProperties', 'uniqueItems', 'nullable', 'default',
  'description', 'title', 'example', 'externalDocs', 'allOf', 'anyOf', 'oneOf', 'not',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);
// Inside allOf/anyOf/oneOf/not only value validations are allowed (structural rule 3).
const FORBIDDEN_IN_JUNCTORS = [
  'type', 'additionalProperties', 'default', 'nullable', 'description', 'title',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
];

export class SchemaError extends Error {}

export function parseSchema(raw: JsonObject): SchemaNode {
  const node = parseNode(raw, 'openAPIV3Schema', false);
  if (node.type !== 'object') throw new SchemaError('openAPIV3Schema.type: Required value: must be object at the root');
  return node;
}

function parseNode(raw: unknown, path: string, inJunctor: boolean): SchemaNode {
  if (!isObject(raw)) throw new SchemaError(`${path}: Invalid value: must be an object`);
  for (const key of Object.keys(raw)) {
    if (key === '$ref' || key === 'definitions' || key === 'dependencies' || key === 'patternProperties' || key === 'additionalItems') {
      throw new SchemaError(`${path}.${key}: Forbidden: ${key} is not supported`);
    }
    if (!SUPPORTED_KEYS.has(key)) throw new SchemaError(`${path}.${key}: Forbidden: unknown schema keyword`);
    if (inJunctor && FORBIDDEN_IN_JUNCTORS.includes(key)) {
      throw new SchemaError(`${path}.${key}: Forbidden: must not be specified inside allOf, anyOf, oneOf or not`);
    }
  }
  const type = optString(raw, 'type', path);
  if (type !== undefined && !TYPES.has(type)) throw new SchemaError(`${path}.type: Unsupported value: "${type}"`);
  const intOrString = raw['x-kubernetes-int-or-string'] === true;
  const preserveUnknownFields = raw['x-kubernetes-preserve-unknown-fields'] === true;
  const embeddedResource = raw['x-kubernetes-embedded-resource'] === true;
  if (intOrString && type !== undefined) {
    throw new SchemaError(`${path}.type: Forbidden: must be empty if x-kubernetes-int-or-string is true`);
  }
  if (!inJunctor && type === undefined && !intOrString && !preserveUnknownFields) {
    throw new SchemaError(`${path}.type: Required value: must not be empty for specified object fields`);
  }
  if (embeddedResource && type !== 'object') {
    throw new SchemaError(`${path}.type: Invalid value: must be object if x-kubernetes-embedded-resource is true`);
  }

  const node: SchemaNode = {
    type,
    required: optStringArray(raw, 'required', path),
    exclusiveMinimum: raw.exclusiveMinimum === true,
    exclusiveMaximum: raw.exclusiveMaximum === true,
    nullable: raw.nullable === true,
    hasDefault: 'default' in raw,
    default: raw.default,
    preserveUnknownFields,
    intOrString,
    embeddedResource,
    listMapKeys: optStringArray(raw, 'x-kubernetes-list-map-keys', path),
    allOf: junctor(raw, 'allOf', path),
    anyOf: junctor(raw, 'anyOf', path),
    oneOf: junctor(raw, 'oneOf', path),
    validations: parseValidations(raw, path),
    raw,
  };
  if (raw.uniqueItems === true) {
    throw new SchemaError(`${path}.uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`);
  }
  if (node.hasDefault && inJunctor) throw new SchemaError(`${path}.default: Forbidden`);
  if (raw.not !== undefined) node.not = parseNode(raw.not, `${path}.not`, true);

  if (raw.properties !== undefined) {
    if (!isObject(raw.properties)) throw new SchemaError(`${path}.properties: Invalid value: must be an object`);
    if (type !== undefined && type !== 'object') throw new SchemaError(`${path}.properties: Forbidden: only allowed for type object`);
    node.properties = new Map(Object.entries(raw.properties).map(([k, v]) => [k, parseNode(v, `${path}.properties[${k}]`, inJunctor)]));
  }
  if (raw.additionalProperties !== undefined) {
    if (raw.additionalProperties === false) throw new SchemaError(`${path}.additionalProperties: Forbidden: must not be false`);
    if (node.properties) throw new SchemaError(`${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`);
    node.additionalProperties = raw.additionalProperties === true ? true : parseNode(raw.additionalProperties, `${path}.additionalProperties`, inJunctor);
  }
  if (raw.items !== undefined) {
    if (Array.isArray(raw.items)) throw new SchemaError(`${path}.items: Forbidden: items must be a schema object and not an array`);
    node.items = parseNode(raw.items, `${path}.items`, inJunctor);
  } else if (type === 'array' && !inJunctor) {
    throw new SchemaError(`${path}.items: Required value: must be specified`);
  }

  if (raw.enum !== undefined) {
    if (!Array.isArray(raw.enum)) throw new SchemaError(`${path}.enum: Invalid value: must be an array`);
    node.enum = raw.enum;
  }
  const pattern = optString(raw, 'pattern', path);
  if (pattern !== undefined) node.pattern = { source: pattern, regexp: compilePattern(pattern, path) };
  node.format = optString(raw, 'format', path);
  for (const key of ['minimum', 'maximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw new SchemaError(`${path}.${key}: Invalid value: must be a number`);
    node[key] = value;
  }
  if (node.multipleOf !== undefined && node.multipleOf <= 0) throw new SchemaError(`${path}.multipleOf: Invalid value: must be greater than zero`);

  parseListAndMapTypes(node, raw, path);
  return node;
}

function parseListAndMapTypes(node: SchemaNode, raw: JsonObject, path: string): void {
  const listType = raw['x-kubernetes-list-type'];
  if (listType !== undefined) {
    if (listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
      throw new SchemaError(`${path}.x-kubernetes-list-type: Unsupported value: ${JSON.stringify(listType)}: supported values: "atomic", "set", "map"`);
    }
    if (node.type !== 'array') throw new SchemaError(`${path}.x-kubernetes-list-type: Invalid value: must only be used for type array`);
    node.listType = listType;
  }
  if (node.listType === 'map') {
    const items = node.items;
    if (!items || items.type !== 'object') throw new SchemaError(`${path}.items.type: Required value: must be object if parent array's x-kubernetes-list-type is map`);
    if (node.listMapKeys.length === 0) throw new SchemaError(`${path}.x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`);
    for (const key of node.listMapKeys) {
      const keySchema = items.properties?.get(key);
      if (!keySchema) throw new SchemaError(`${path}.x-kubernetes-list-map-keys: Invalid value: entries must all be names of item properties: ${key}`);
      if (keySchema.type !== undefined && !['string', 'integer', 'number', 'boolean'].includes(keySchema.type)) {
        throw new SchemaError(`${path}.items.properties[${key}].type: Invalid value: must be a scalar type if parent array's x-kubernetes-list-type is map`);
      }
      if (!items.required.includes(key) && !keySchema.hasDefault) {
        throw new SchemaError(`${path}.items.required: Required value: all map keys must be required or have a default value: ${key}`);
      }
    }
  } else if (node.listMapKeys.length > 0) {
    throw new SchemaError(`${path}.x-kubernetes-list-map-keys: Forbidden: must not be set if x-kubernetes-list-type is not map`);
  }
  if (node.listType === 'set' && node.items?.type === 'object' && node.items.mapType !== 'atomic') {
    throw new SchemaError(`${path}.items.x-kubernetes-map-type: Invalid value: must be atomic as item of a list with x-kubernetes-list-type=set`);
  }
  const mapType = raw['x-kubernetes-map-type'];
  if (mapType !== undefined) {
    if (mapType !== 'atomic' && mapType !== 'granular') {
      throw new SchemaError(`${path}.x-kubernetes-map-type: Unsupported value: ${JSON.stringify(mapType)}: supported values: "atomic", "granular"`);
    }
    if (node.type !== 'object') throw new SchemaError(`${path}.x-kubernetes-map-type: Invalid value: must only be used for type object`);
    node.mapType = mapType;
  }
}

function parseValidations(raw: JsonObject, path: string): JsonObject[] {
  const value = raw['x-kubernetes-validations'];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SchemaError(`${path}.x-kubernetes-validations: Invalid value: must be a list`);
  return value.map((rule, i) => {
    if (!isObject(rule) || typeof rule.rule !== 'string' || rule.rule.trim() === '') {
      throw new SchemaError(`${path}.x-kubernetes-validations[${i}].rule: Required value`);
    }
    return rule;
  });
}

// OpenAPI patterns are ECMA 262 in theory, RE2 in the apiserver; JS RegExp with 'u' covers what CRDs use.
function compilePattern(pattern: string, path: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch (err) {
    throw new SchemaError(`${path}.pattern: Invalid value: ${JSON.stringify(pattern)}: must be a valid regular expression, but isn't: ${(err as Error).message}`);
  }
}

function junctor(raw: JsonObject, key: 'allOf' | 'anyOf' | 'oneOf', path: string): SchemaNode[] {
  const value = raw[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SchemaError(`${path}.${key}: Invalid value: must be a list`);
  return value.map((v, i) => parseNode(v, `${path}.${key}[${i}]`, true));
}

function optString(raw: JsonObject, key: string, path: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new SchemaError(`${path}.${key}: Invalid value: must be a string`);
  return value;
}

function optStringArray(raw: JsonObject, key: string, path: string): string[] {
  const value = raw[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new SchemaError(`${path}.${key}: Invalid value: must be a list of strings`);
  return value as string[];
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema of a child of an object: its property, else additionalProperties. */
export function childSchema(node: SchemaNode, key: string): SchemaNode | undefined {
  const prop = node.properties?.get(key);
  if (prop) return prop;
  return node.additionalProperties === true ? undefined : node.additionalProperties;
}

/** A field path in the apiserver's notation: `spec.ports[0].name`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}
