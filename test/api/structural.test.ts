// Every generated CRD is one the API server accepts: a structural schema, valid names,
// printer columns pointing at real fields, and CEL rules that compile.
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';
import { toOpenAPI } from '../../src/api/crd.ts';
import type { JSONSchemaProps } from '../../src/api/crd.ts';
import { kinds, managedKinds } from '../../src/api/index.ts';
import { defaulted } from '../../src/api/schema.ts';

const FORBIDDEN_KEYWORDS = ['$ref', '$id', '$schema', 'anyOf', 'oneOf', 'allOf', 'not', 'const', 'patternProperties', 'uniqueItems'];

// apiextensions.k8s.io/v1 JSONSchemaProps fields this project uses, with the JSON type each must
// decode from; an unknown key or a wrong type makes the API server reject the CRD.
const isString = (v: unknown) => typeof v === 'string';
const isNumber = (v: unknown) => typeof v === 'number';
const isBoolean = (v: unknown) => typeof v === 'boolean';
const isStrings = (v: unknown) => Array.isArray(v) && v.every(isString);
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const KEYWORD_TYPES: Record<string, (v: unknown) => boolean> = {
  type: isString,
  description: isString,
  format: isString,
  pattern: isString,
  default: () => true,
  enum: Array.isArray,
  required: isStrings,
  properties: isObject,
  additionalProperties: isObject,
  items: isObject,
  minimum: isNumber,
  maximum: isNumber,
  exclusiveMinimum: isBoolean,
  exclusiveMaximum: isBoolean,
  multipleOf: isNumber,
  minLength: Number.isInteger,
  maxLength: Number.isInteger,
  minItems: Number.isInteger,
  maxItems: Number.isInteger,
  minProperties: Number.isInteger,
  maxProperties: Number.isInteger,
  nullable: isBoolean,
  'x-kubernetes-list-type': (v) => v === 'atomic' || v === 'set' || v === 'map',
  'x-kubernetes-list-map-keys': isStrings,
  'x-kubernetes-preserve-unknown-fields': isBoolean,
  'x-kubernetes-validations': Array.isArray,
};
const RULE_REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];

/** Every schema node with its path. */
function* nodes(schema: JSONSchemaProps, path = ''): Generator<[string, JSONSchemaProps]> {
  yield [path, schema];
  for (const [name, property] of Object.entries(schema.properties ?? {})) yield* nodes(property, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items, `${path}[*]`);
  if (schema.additionalProperties) yield* nodes(schema.additionalProperties, `${path}.*`);
}

/** The schema node a printer column's JSONPath selects (array indexes and filters step into items). */
function resolve(schema: JSONSchemaProps, jsonPath: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = schema;
  for (const step of jsonPath.slice(1).split(/\.(?![^[]*\])/)) {
    const [, name, index] = /^([^[]+)(\[.*\])?$/.exec(step) ?? [];
    node = name === undefined ? undefined : node?.properties?.[name];
    if (index !== undefined) node = node?.items;
  }
  return node;
}

const openAPI = (kind: (typeof kinds)[number]) => kind.crd.spec.versions[0]!.schema.openAPIV3Schema;

describe.each(kinds.map((k) => [k.kind, k] as const))('%s CRD', (_, kind) => {
  const schema = openAPI(kind);

  it('is named, grouped and versioned as docs/design.md says', () => {
    const { crd } = kind;
    expect(crd.metadata.name).toBe(`${kind.plural}.cloudnet.io`);
    expect(crd.spec.group).toBe('cloudnet.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.categories).toEqual(['cloudnet']);
    expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('declares root metadata as a bare object and requires spec', () => {
    expect(schema.properties?.metadata).toEqual({ type: 'object' });
    expect(schema.required).toEqual(['spec']);
  });

  it('is structural: every node typed, no forbidden keywords, no additionalProperties: false', () => {
    for (const [path, node] of nodes(schema)) {
      expect(node.type, `${path} has no type`).toBeDefined();
      for (const keyword of FORBIDDEN_KEYWORDS) expect(node, `${path} has ${keyword}`).not.toHaveProperty(keyword);
      expect(typeof node.additionalProperties, `${path}: additionalProperties`).not.toBe('boolean');
      if (node.type === 'object' && path !== '.metadata') {
        expect(node.properties !== undefined, `${path}: properties xor additionalProperties`).not.toBe(
          node.additionalProperties !== undefined,
        );
      }
      if (node.type === 'array') expect(node.items, `${path} has no items`).toBeDefined();
    }
  });

  it('uses only JSONSchemaProps keywords, each of its JSON type', () => {
    for (const [path, node] of nodes(schema)) {
      for (const [key, value] of Object.entries(node)) {
        expect(KEYWORD_TYPES[key]?.(value), `${path}: ${key} = ${JSON.stringify(value)}`).toBe(true);
      }
    }
  });

  it('gives every CEL rule a message, a valid reason and a fieldPath to an existing field', () => {
    for (const [path, node] of nodes(schema)) {
      for (const rule of (node['x-kubernetes-validations'] ?? []) as Record<string, unknown>[]) {
        expect(Object.keys(rule).every((k) => ['rule', 'message', 'reason', 'fieldPath'].includes(k)), path).toBe(true);
        expect(rule.message, `${path}: ${String(rule.rule)}`).toMatch(/\S/);
        if (rule.reason !== undefined) expect(RULE_REASONS).toContain(rule.reason);
        if (rule.fieldPath !== undefined) {
          expect(resolve(node, String(rule.fieldPath)), `${path}: fieldPath ${String(rule.fieldPath)}`).toBeDefined();
        }
      }
    }
  });

  it('lists only existing, non-defaulted fields as required', () => {
    for (const [path, node] of nodes(schema)) {
      for (const name of node.required ?? []) {
        const property = node.properties?.[name];
        expect(property, `${path} requires missing ${name}`).toBeDefined();
        expect(property?.default, `${path}.${name} is required and defaulted`).toBeUndefined();
      }
    }
  });

  it('keys list-maps by required scalar fields', () => {
    for (const [path, node] of nodes(schema)) {
      if (node['x-kubernetes-list-type'] !== 'map') {
        expect(node, path).not.toHaveProperty('x-kubernetes-list-map-keys');
        continue;
      }
      const keys = node['x-kubernetes-list-map-keys'] as string[];
      expect(keys.length, path).toBeGreaterThan(0);
      for (const key of keys) {
        expect(node.items?.required, `${path}: map key ${key} must be required`).toContain(key);
        expect(['string', 'integer', 'boolean'], `${path}: map key ${key} must be a scalar`).toContain(
          node.items?.properties?.[key]?.type,
        );
      }
    }
  });

  it('bounds every list that a CEL rule iterates, so the API server can estimate its cost', () => {
    for (const [path, node] of nodes(schema.properties!.spec!)) {
      if (node.type === 'array') expect(node.maxItems, `${path} has no maxItems`).toBeDefined();
    }
  });

  it('has printer columns pointing at existing fields, ending with Ready, Reason, Age', () => {
    const columns = kind.crd.spec.versions[0]!.additionalPrinterColumns;
    expect(columns.slice(-3).map((c) => c.name)).toEqual(['Ready', 'Reason', 'Age']);
    expect(columns.at(-1)).toMatchObject({ type: 'date', jsonPath: '.metadata.creationTimestamp' });
    expect(columns.length).toBeGreaterThan(3);
    for (const column of columns) {
      if (column.jsonPath.startsWith('.metadata.')) continue;
      expect(resolve(schema, column.jsonPath), `${column.name}: ${column.jsonPath}`).toBeDefined();
    }
  });

  it('compiles in the local API server: structural, defaults valid, CEL rules compile', () => {
    expect(() => compileSchema(schema as Record<string, unknown>)).not.toThrow();
  });
});

describe.each(managedKinds.map((k) => [k.kind, k] as const))('managed %s', (_, kind) => {
  it('shows the ID column and the common envelope', () => {
    const columns = kind.crd.spec.versions[0]!.additionalPrinterColumns;
    expect(columns.find((c) => c.name === 'ID')).toEqual({ name: 'ID', type: 'string', jsonPath: '.status.id' });
    const spec = openAPI(kind).properties!.spec!;
    expect(Object.keys(spec.properties ?? {}).sort()).toEqual(
      ['deletionPolicy', 'import', 'managementPolicy', 'providerConfigRef', 'resource', 'resyncPeriod'].sort(),
    );
    expect(spec.required).toEqual(['providerConfigRef']);
    const status = openAPI(kind).properties!.status!;
    expect(Object.keys(status.properties ?? {}).sort()).toEqual(
      ['conditions', 'id', 'lastSyncTime', 'observedGeneration', 'pendingCreate', 'pendingOperation', 'resource'].sort(),
    );
    expect(status.properties?.conditions).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
  });
});

describe('toOpenAPI', () => {
  it('turns unions of literals into enums and maps into additionalProperties, dropping $id', () => {
    const schema = Type.Object(
      {
        mode: Type.Union([Type.Literal('a'), Type.Literal('b')], { description: 'a or b' }),
        version: Type.Union([Type.Literal(4), Type.Literal(6)]),
        labels: Type.Optional(Type.Record(Type.String(), Type.String())),
        flag: defaulted(Type.Boolean(), false),
      },
      { $id: 'Thing', additionalProperties: false, 'x-kubernetes-validations': [{ rule: 'true', message: 'm' }] },
    );
    expect(toOpenAPI(schema)).toEqual({
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'true', message: 'm' }],
      properties: {
        mode: { type: 'string', description: 'a or b', enum: ['a', 'b'] },
        version: { type: 'integer', enum: [4, 6] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        flag: { type: 'boolean', default: false },
      },
      required: ['mode', 'version'],
    });
  });

  it('refuses what the API server would refuse, naming the field', () => {
    const union = Type.Object({ x: Type.Union([Type.String(), Type.Object({})]) });
    expect(() => toOpenAPI(union)).toThrow('$.x: only unions of literals');
    const ref = Type.Object({ y: Type.Ref('Other') });
    expect(() => toOpenAPI(ref)).toThrow('$.y: TypeBox kind Ref');
    const mixed = Type.Union([Type.Literal('a'), Type.Literal(1)]);
    expect(() => toOpenAPI(mixed)).toThrow('one type');
    const untyped = Type.Object({ z: Type.Unknown() });
    expect(() => toOpenAPI(untyped)).toThrow('x-kubernetes-preserve-unknown-fields');
  });

  it('writes exclusive bounds the OpenAPI v3.0 way', () => {
    expect(toOpenAPI(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }))).toEqual({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 1,
      exclusiveMaximum: true,
    });
  });

  it('refuses an optional field with a default, whose TS type would wrongly say it may be absent', () => {
    const schema = Type.Object({ n: Type.Optional(Type.Integer({ default: 1 })) });
    expect(() => toOpenAPI(schema)).toThrow('$.n: optional with a default');
  });
});
