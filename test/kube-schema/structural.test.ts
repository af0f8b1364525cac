import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';

const spec = (x: Record<string, unknown>) => ({ type: 'object', properties: { spec: { type: 'object', properties: { x } } } });

describe('compileSchema rejects what the apiserver rejects in a CRD', () => {
  it.each([
    { name: 'missing type', schema: spec({ properties: { a: { type: 'string' } } }), error: /properties\[x\]\.type: Required value/ },
    { name: 'unknown type', schema: spec({ type: 'float' }), error: /Unsupported value: "float"/ },
    { name: 'root not an object', schema: { type: 'string' }, error: /must be object at the root/ },
    { name: 'type inside allOf', schema: spec({ type: 'string', allOf: [{ type: 'string' }] }), error: /allOf\[0\]\.type: Forbidden/ },
    { name: 'additionalProperties false', schema: spec({ type: 'object', additionalProperties: false }), error: /must not be false/ },
    { name: 'properties with additionalProperties', schema: spec({ type: 'object', properties: {}, additionalProperties: { type: 'string' } }), error: /mutual exclusive/ },
    { name: 'array without items', schema: spec({ type: 'array' }), error: /items: Required value/ },
    { name: '$ref', schema: spec({ $ref: '#/x' }), error: /\$ref: Forbidden/ },
    { name: 'uniqueItems', schema: spec({ type: 'array', items: { type: 'string' }, uniqueItems: true }), error: /uniqueItems cannot be set to true/ },
    { name: 'int-or-string with a type', schema: spec({ type: 'string', 'x-kubernetes-int-or-string': true }), error: /must be empty if x-kubernetes-int-or-string/ },
    { name: 'bad pattern', schema: spec({ type: 'string', pattern: '([' }), error: /must be a valid regular expression/ },
    {
      name: 'list-map key not required',
      schema: spec({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } }),
      error: /all map keys must be required or have a default value: name/,
    },
    { name: 'list-map without keys', schema: spec({ type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object' } }), error: /list-map-keys: Required value/ },
    { name: 'list-type on a string', schema: spec({ type: 'string', 'x-kubernetes-list-type': 'set' }), error: /must only be used for type array/ },
    { name: 'CEL syntax error', schema: spec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'self ==' }] }), error: /x-kubernetes-validations\[0\]\.rule: Invalid value: "self ==": compilation failed/ },
    { name: 'CEL undeclared variable', schema: spec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'slef == "a"' }] }), error: /undeclared reference to 'slef'/ },
    { name: 'CEL unknown function', schema: spec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'isFoo(self)' }] }), error: /undeclared reference to 'isFoo'/ },
    { name: 'CEL bad messageExpression', schema: spec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'true', messageExpression: "'a' +" }] }), error: /messageExpression: Invalid value/ },
    { name: 'CEL bad reason', schema: spec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'true', reason: 'Nope' }] }), error: /reason: Unsupported value: "Nope"/ },
    { name: 'CEL fieldPath to an undeclared field', schema: spec({ type: 'object', 'x-kubernetes-validations': [{ rule: 'true', fieldPath: '.nope' }] }), error: /fieldPath must be a valid path/ },
    { name: 'default of the wrong type', schema: spec({ type: 'integer', default: 'x' }), error: /properties\[x\]\.default: Invalid value: "string": must be of type integer: "string"/ },
    { name: 'default out of range', schema: spec({ type: 'integer', maximum: 5, default: 9 }), error: /default: Invalid value: 9: should be less than or equal to 5/ },
    { name: 'default with unknown fields', schema: spec({ type: 'object', properties: { a: { type: 'string' } }, default: { b: 1 } }), error: /default: Invalid value: must not have unknown fields: b/ },
    {
      name: 'transition rule under an atomic list',
      schema: spec({ type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } }),
      error: /oldSelf cannot be used on the uncorrelatable portion of the schema/,
    },
  ])('$name', ({ schema, error }) => {
    expect(() => compileSchema(schema)).toThrow(error);
  });

  it('accepts x-kubernetes-preserve-unknown-fields without a type and transition rules under list-maps', () => {
    expect(() => compileSchema(spec({ 'x-kubernetes-preserve-unknown-fields': true }))).not.toThrow();
    expect(() => compileSchema(spec({
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] },
    }))).not.toThrow();
  });
});
