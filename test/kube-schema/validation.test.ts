import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';

// Each case: a property schema under spec.x, a value, and the causes the apiserver would answer.
const cases: { name: string; schema: Record<string, unknown>; value: unknown; causes: { reason: string; message: string; field?: string }[] }[] = [
  { name: 'type integer given a string', schema: { type: 'integer' }, value: 'abc', causes: [{ reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.x in body must be of type integer: "string"' }] },
  { name: 'type integer given a float', schema: { type: 'integer' }, value: 1.5, causes: [{ reason: 'FieldValueTypeInvalid', message: 'Invalid value: "number": spec.x in body must be of type integer: "number"' }] },
  { name: 'type string given a bool', schema: { type: 'string' }, value: true, causes: [{ reason: 'FieldValueTypeInvalid', message: 'Invalid value: "boolean": spec.x in body must be of type string: "boolean"' }] },
  { name: 'type object given an array', schema: { type: 'object' }, value: [], causes: [{ reason: 'FieldValueTypeInvalid', message: 'Invalid value: "array": spec.x in body must be of type object: "array"' }] },
  { name: 'type number accepts an integer', schema: { type: 'number' }, value: 3, causes: [] },
  { name: 'null when not nullable', schema: { type: 'string' }, value: null, causes: [{ reason: 'FieldValueTypeInvalid', message: 'Invalid value: "null": spec.x in body must be of type string: "null"' }] },
  { name: 'null when nullable', schema: { type: 'string', nullable: true }, value: null, causes: [] },
  { name: 'maximum', schema: { type: 'integer', maximum: 9216 }, value: 70000, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 70000: spec.x in body should be less than or equal to 9216' }] },
  { name: 'maximum boundary', schema: { type: 'integer', maximum: 9216 }, value: 9216, causes: [] },
  { name: 'exclusiveMaximum', schema: { type: 'integer', maximum: 10, exclusiveMaximum: true }, value: 10, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 10: spec.x in body should be less than 10' }] },
  { name: 'minimum', schema: { type: 'integer', minimum: 68 }, value: 1, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 1: spec.x in body should be greater than or equal to 68' }] },
  { name: 'exclusiveMinimum', schema: { type: 'number', minimum: 0, exclusiveMinimum: true }, value: 0, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.x in body should be greater than 0' }] },
  { name: 'multipleOf', schema: { type: 'integer', multipleOf: 8 }, value: 12, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 12: spec.x in body should be a multiple of 8' }] },
  { name: 'multipleOf ok', schema: { type: 'number', multipleOf: 0.5 }, value: 1.5, causes: [] },
  { name: 'maxLength counts characters', schema: { type: 'string', maxLength: 3 }, value: 'äöü', causes: [] },
  { name: 'maxLength', schema: { type: 'string', maxLength: 255 }, value: 'a'.repeat(256), causes: [{ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 255 bytes' }] },
  { name: 'minLength', schema: { type: 'string', minLength: 3 }, value: 'ab', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "ab": spec.x in body should be at least 3 chars long' }] },
  { name: 'pattern', schema: { type: 'string', pattern: '^[a-z]+$' }, value: 'ABC', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "ABC": spec.x in body should match \'^[a-z]+$\'' }] },
  { name: 'enum', schema: { type: 'string', enum: ['A', 'B'] }, value: 'x', causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "x": supported values: "A", "B"' }] },
  { name: 'enum of integers', schema: { type: 'integer', enum: [4, 6] }, value: 5, causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: 5: supported values: "4", "6"' }] },
  { name: 'format cidr', schema: { type: 'string', format: 'cidr' }, value: '10.0.0.0/33', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "10.0.0.0/33": spec.x in body must be of type cidr: "10.0.0.0/33"' }] },
  { name: 'format cidr ipv6', schema: { type: 'string', format: 'cidr' }, value: 'fd00::/64', causes: [] },
  { name: 'format ipv4', schema: { type: 'string', format: 'ipv4' }, value: '10.0.0.256', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "10.0.0.256": spec.x in body must be of type ipv4: "10.0.0.256"' }] },
  { name: 'format ipv4 rejects ipv6', schema: { type: 'string', format: 'ipv4' }, value: '::1', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "::1": spec.x in body must be of type ipv4: "::1"' }] },
  { name: 'format ipv6', schema: { type: 'string', format: 'ipv6' }, value: '2001:db8::1', causes: [] },
  { name: 'format uuid', schema: { type: 'string', format: 'uuid' }, value: 'not-a-uuid', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "not-a-uuid": spec.x in body must be of type uuid: "not-a-uuid"' }] },
  { name: 'format date-time', schema: { type: 'string', format: 'date-time' }, value: '2026-02-30T00:00:00Z', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "2026-02-30T00:00:00Z": spec.x in body must be of type date-time: "2026-02-30T00:00:00Z"' }] },
  { name: 'format byte', schema: { type: 'string', format: 'byte' }, value: 'aGVsbG8=', causes: [] },
  { name: 'format hostname', schema: { type: 'string', format: 'hostname' }, value: 'bad_host!', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "bad_host!": spec.x in body must be of type hostname: "bad_host!"' }] },
  { name: 'format int32 is not checked', schema: { type: 'integer', format: 'int32' }, value: 5_000_000_000, causes: [] },
  { name: 'maxItems', schema: { type: 'array', items: { type: 'string' }, maxItems: 1 }, value: ['a', 'b'], causes: [{ reason: 'FieldValueTooMany', message: 'Too many: 2: must have at most 1 items' }] },
  { name: 'minItems', schema: { type: 'array', items: { type: 'string' }, minItems: 1 }, value: [], causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.x in body should have at least 1 items' }] },
  { name: 'items', schema: { type: 'array', items: { type: 'integer' } }, value: [1, 'a'], causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.x[1]', message: 'Invalid value: "string": spec.x[1] in body must be of type integer: "string"' }] },
  { name: 'maxProperties', schema: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 }, value: { a: 'a', b: 'b' }, causes: [{ reason: 'FieldValueTooMany', message: 'Too many: 2: must have at most 1 items' }] },
  { name: 'minProperties', schema: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 }, value: {}, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.x in body should have at least 1 properties' }] },
  { name: 'additionalProperties schema', schema: { type: 'object', additionalProperties: { type: 'integer' } }, value: { a: 'b' }, causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.x.a', message: 'Invalid value: "string": spec.x.a in body must be of type integer: "string"' }] },
  { name: 'required', schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }, value: {}, causes: [{ reason: 'FieldValueRequired', field: 'spec.x.name', message: 'Required value' }] },
  { name: 'int-or-string accepts both', schema: { 'x-kubernetes-int-or-string': true }, value: '50%', causes: [] },
  { name: 'int-or-string rejects bool', schema: { 'x-kubernetes-int-or-string': true }, value: false, causes: [{ reason: 'FieldValueTypeInvalid', message: 'Invalid value: "boolean": spec.x in body must be of type integer-or-string: "boolean"' }] },
  { name: 'list-type set duplicates', schema: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } }, value: ['a', 'b', 'a'], causes: [{ reason: 'FieldValueDuplicate', field: 'spec.x[2]', message: 'Duplicate value: "a"' }] },
  {
    name: 'list-type map duplicate keys',
    schema: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } } },
    value: [{ name: 'http', port: 80 }, { name: 'http', port: 8080 }],
    causes: [{ reason: 'FieldValueDuplicate', field: 'spec.x[1]', message: 'Duplicate value: {"name":"http"}' }],
  },
  { name: 'list-type atomic allows duplicates', schema: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: { type: 'string' } }, value: ['a', 'a'], causes: [] },
  { name: 'anyOf', schema: { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] }, value: 'c', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "c": spec.x in body must validate at least one schema (anyOf)' }] },
  { name: 'oneOf both match', schema: { type: 'string', oneOf: [{ pattern: '^a' }, { maxLength: 5 }] }, value: 'ab', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "ab": spec.x in body must validate one and only one schema (oneOf)' }] },
  { name: 'allOf', schema: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 5 }] }, value: 9, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 9: spec.x in body should be less than or equal to 5' }] },
  { name: 'not', schema: { type: 'string', not: { enum: ['forbidden'] } }, value: 'forbidden', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "forbidden": spec.x in body must not validate the schema (not)' }] },
  {
    name: 'embedded resource needs apiVersion and kind',
    schema: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
    value: { spec: {} },
    causes: [
      { reason: 'FieldValueRequired', field: 'spec.x.apiVersion', message: 'Required value: must not be empty' },
      { reason: 'FieldValueRequired', field: 'spec.x.kind', message: 'Required value: must not be empty' },
    ],
  },
];

describe('OpenAPI validation', () => {
  it.each(cases)('$name', ({ schema, value, causes }) => {
    const compiled = compileSchema({ type: 'object', properties: { spec: { type: 'object', properties: { x: schema } } } });
    const got = compiled.validate({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'Subnet', metadata: { name: 'a' }, spec: { x: value } });
    expect(got).toEqual(causes.map((c) => ({ field: 'spec.x', ...c })));
  });

  it('does not validate root metadata, apiVersion or kind against the schema', () => {
    const compiled = compileSchema({ type: 'object', required: ['metadata', 'spec'], properties: { metadata: { type: 'string' }, spec: { type: 'object' } } });
    expect(compiled.validate({ apiVersion: 1, kind: 2, metadata: { name: 'a' }, spec: {} })).toEqual([]);
    expect(compiled.validate({ metadata: { name: 'a' } })).toEqual([{ reason: 'FieldValueRequired', field: 'spec', message: 'Required value' }]);
  });

  it('validates only name and generateName of the root metadata, as the schema restricts them', () => {
    const compiled = compileSchema({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } } } });
    expect(compiled.validate({ metadata: { name: 'abcdef', labels: 3 } })).toEqual([
      { reason: 'FieldValueTooLong', field: 'metadata.name', message: 'Too long: may not be more than 5 bytes' },
    ]);
  });

  it('reports every violation, not only the first', () => {
    const compiled = compileSchema({
      type: 'object',
      properties: { spec: { type: 'object', required: ['cidr'], properties: { mtu: { type: 'integer', maximum: 9216 }, name: { type: 'string', maxLength: 2 } } } },
    });
    const got = compiled.validate({ spec: { mtu: 70000, name: 'abc' } });
    expect(got.map((c) => c.field).sort()).toEqual(['spec.cidr', 'spec.mtu', 'spec.name']);
  });

  it('ratchets on update: unchanged invalid values are accepted, changed ones are not', () => {
    const compiled = compileSchema({
      type: 'object',
      properties: { spec: { type: 'object', properties: { name: { type: 'string', maxLength: 3 }, mtu: { type: 'integer', maximum: 9000 } } } },
    });
    const old = { metadata: { name: 'a' }, spec: { name: 'toolong', mtu: 1 } };
    expect(compiled.validate({ metadata: { name: 'a' }, spec: { name: 'toolong', mtu: 2 } }, old)).toEqual([]);
    expect(compiled.validate({ metadata: { name: 'a' }, spec: { name: 'stilltoolong', mtu: 2 } }, old).map((c) => c.field)).toEqual(['spec.name']);
    expect(compiled.validate({ metadata: { name: 'a' }, spec: { name: 'toolong', mtu: 2 } }).map((c) => c.field)).toEqual(['spec.name']);
  });
});
