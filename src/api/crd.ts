// TypeBox schema -> apiextensions.k8s.io/v1 structural OpenAPI schema, and the CRD around it.
// The API server accepts only structural schemas: every node typed, no $ref, no
// `additionalProperties: false` (unknown fields are pruned instead), enums instead of unions.
import { Kind, OptionalKind } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';

export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  enum?: unknown[];
  default?: unknown;
  [keyword: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

// Keywords copied as they are; everything else TypeBox adds ($id, const, anyOf...) is translated or refused.
const PASSED_KEYWORDS = [
  'description',
  'default',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'nullable',
];

function keywords(schema: TSchema): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  for (const [key, value] of Object.entries(schema)) {
    if (PASSED_KEYWORDS.includes(key) || key.startsWith('x-kubernetes-')) out[key] = value;
  }
  // JSON Schema's numeric exclusive bounds are OpenAPI v3.0's minimum/maximum + a boolean flag.
  if (typeof schema.exclusiveMinimum === 'number') Object.assign(out, { minimum: schema.exclusiveMinimum, exclusiveMinimum: true });
  if (typeof schema.exclusiveMaximum === 'number') Object.assign(out, { maximum: schema.exclusiveMaximum, exclusiveMaximum: true });
  return out;
}

function scalarType(value: unknown, path: string): 'string' | 'integer' | 'number' | 'boolean' {
  if (typeof value === 'string' || typeof value === 'boolean') return typeof value as 'string' | 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  throw new Error(`${path}: literal ${String(value)} has no OpenAPI type`);
}

/** Converts a TypeBox schema to a structural OpenAPI v3 schema; throws on what the API server refuses. */
export function toOpenAPI(schema: TSchema, path = '$'): JSONSchemaProps {
  const kind = schema[Kind] as string;
  switch (kind) {
    case 'Object': {
      const properties: Record<string, JSONSchemaProps> = {};
      const required: string[] = [];
      for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
        const optional = property[OptionalKind] === 'Optional';
        const hasDefault = property.default !== undefined;
        if (optional && hasDefault) {
          throw new Error(`${path}.${name}: optional with a default; use defaulted() so the types say it is always set`);
        }
        if (!optional && !hasDefault) required.push(name);
        properties[name] = toOpenAPI(property, `${path}.${name}`);
      }
      return { type: 'object', ...keywords(schema), properties, ...(required.length > 0 ? { required } : {}) };
    }
    case 'Record': {
      const values = Object.values(schema.patternProperties as Record<string, TSchema>);
      if (values.length !== 1 || values[0] === undefined) throw new Error(`${path}: a map needs exactly one value schema`);
      return { type: 'object', ...keywords(schema), additionalProperties: toOpenAPI(values[0], `${path}.*`) };
    }
    case 'Array':
      return { type: 'array', ...keywords(schema), items: toOpenAPI(schema.items as TSchema, `${path}[*]`) };
    case 'String':
    case 'Integer':
    case 'Number':
    case 'Boolean':
      return { type: schema.type as JSONSchemaProps['type'], ...keywords(schema) };
    case 'Literal':
      return { type: scalarType(schema.const, path), ...keywords(schema), enum: [schema.const] };
    case 'Union': {
      const members = schema.anyOf as TSchema[];
      if (!members.every((m) => m[Kind] === 'Literal')) {
        throw new Error(`${path}: only unions of literals (enums) are structural`);
      }
      const values = members.map((m) => m.const as unknown);
      const types = new Set(values.map((v) => scalarType(v, path)));
      if (types.size !== 1) throw new Error(`${path}: an enum must have values of one type`);
      return { type: [...types][0], ...keywords(schema), enum: values };
    }
    case 'Unknown':
      if (schema['x-kubernetes-preserve-unknown-fields'] !== true) {
        throw new Error(`${path}: an untyped field must set x-kubernetes-preserve-unknown-fields`);
      }
      return keywords(schema);
    default:
      throw new Error(`${path}: TypeBox kind ${kind} has no structural OpenAPI form`);
  }
}
