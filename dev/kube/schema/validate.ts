// OpenAPI value validation of a custom resource, worded as the apiextensions-apiserver words it
// (kube-openapi messages converted to field errors).
import { NO_OLD, oldChild, oldItem } from './correlation.ts';
import type { OldValue } from './correlation.ts';
import { matchesFormat } from './formats.ts';
import { childSchema, isObject, joinPath } from './structural.ts';
import type { SchemaNode } from './structural.ts';

export interface FieldCause {
  /** FieldValueInvalid | FieldValueRequired | FieldValueNotSupported | FieldValueTypeInvalid | FieldValueForbidden | FieldValueTooLong | FieldValueTooMany | FieldValueDuplicate */
  reason: string;
  /** The part of the apiserver's message after `<field>: `. */
  message: string;
  /** e.g. "spec.cidr" */
  field: string;
}

/** A Go-style rendering of a bad value as field.Error prints it. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

function typeInvalid(field: string, value: unknown, detail: string): FieldCause {
  return { reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

function tooMany(field: string, count: number, max: number): FieldCause {
  return { reason: 'FieldValueTooMany', field, message: `Too many: ${count}: must have at most ${max} items` };
}

export function required(field: string, detail = ''): FieldCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueForbidden', field, message: detail ? `Forbidden: ${detail}` : 'Forbidden' };
}

export function duplicate(field: string, value: unknown): FieldCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` };
}

/** The JSON type name kube-openapi reports for a value of the wrong type. */
function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether `value` has the type the node declares (CEL rules only run where it does). */
export function typeMatches(node: SchemaNode, value: unknown): boolean {
  if (node.intOrString) return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  switch (node.type) {
    case 'object': return isObject(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Appends the causes `value` violates. On update `old` is the correlated old value: a subtree the
 * update leaves unchanged reports nothing (ratcheting, so that tightening a schema does not block
 * unrelated edits of objects stored before).
 */
export function validateValue(node: SchemaNode, value: unknown, path: string, out: FieldCause[], isRoot = false, old: OldValue = NO_OLD): void {
  if (old.present && deepEqual(old.value, value)) return;
  const at = path === '' ? '' : `${path} in body `;
  if (value === null) {
    if (!node.nullable && (node.type !== undefined || node.intOrString)) {
      out.push(typeInvalid(path, 'null', `${at}must be of type ${node.intOrString ? 'integer-or-string' : node.type}: "null"`));
    }
    return;
  }
  if (!typeMatches(node, value)) {
    const typeName = jsonTypeName(value);
    out.push(typeInvalid(path, typeName, `${at}must be of type ${node.intOrString ? 'integer-or-string' : node.type}: ${JSON.stringify(typeName)}`));
    return;
  }
  if (typeof value === 'string') validateString(node, value, path, at, out);
  if (typeof value === 'number') validateNumber(node, value, path, at, out);
  if (node.enum && !node.enum.some((e) => deepEqual(e, value))) {
    const supported = node.enum.map((e) => JSON.stringify(typeof e === 'string' ? e : JSON.stringify(e))).join(', ');
    out.push({ reason: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${formatValue(value)}: supported values: ${supported}` });
  }
  if (Array.isArray(value)) validateArray(node, value, path, at, out, old);
  if (isObject(value)) validateObject(node, value, path, at, out, isRoot, old);
  validateJunctors(node, value, path, at, out);
}

function validateString(node: SchemaNode, value: string, path: string, at: string, out: FieldCause[]): void {
  const length = [...value].length;
  if (node.maxLength !== undefined && length > node.maxLength) {
    out.push({ reason: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${node.maxLength} ${node.maxLength === 1 ? 'byte' : 'bytes'}` });
  }
  if (node.minLength !== undefined && length < node.minLength) {
    out.push(invalid(path, value, `${at}should be at least ${node.minLength} chars long`));
  }
  if (node.pattern && !node.pattern.regexp.test(value)) {
    out.push(invalid(path, value, `${at}should match '${node.pattern.source}'`));
  }
  if (node.format !== undefined && !matchesFormat(node.format, value)) {
    out.push(invalid(path, value, `${at}must be of type ${node.format}: ${JSON.stringify(value)}`));
  }
}

function validateNumber(node: SchemaNode, value: number, path: string, at: string, out: FieldCause[]): void {
  if (node.maximum !== undefined) {
    if (node.exclusiveMaximum ? value >= node.maximum : value > node.maximum) {
      out.push(invalid(path, value, `${at}should be less than ${node.exclusiveMaximum ? '' : 'or equal to '}${node.maximum}`));
    }
  }
  if (node.minimum !== undefined) {
    if (node.exclusiveMinimum ? value <= node.minimum : value < node.minimum) {
      out.push(invalid(path, value, `${at}should be greater than ${node.exclusiveMinimum ? '' : 'or equal to '}${node.minimum}`));
    }
  }
  if (node.multipleOf !== undefined) {
    const quotient = value / node.multipleOf;
    if (Math.abs(quotient - Math.round(quotient)) > 1e-9) out.push(invalid(path, value, `${at}should be a multiple of ${node.multipleOf}`));
  }
}

function validateArray(node: SchemaNode, value: unknown[], path: string, at: string, out: FieldCause[], old: OldValue): void {
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    out.push(tooMany(path, value.length, node.maxItems));
  }
  if (node.minItems !== undefined && value.length < node.minItems) {
    out.push(invalid(path, value.length, `${at}should have at least ${node.minItems} items`));
  }
  if (node.items) {
    const items = node.items;
    value.forEach((item, i) => validateValue(items, item, joinPath(path, i), out, false, oldItem(node, item, old)));
  }
  if (node.listType === 'set') {
    value.forEach((item, i) => {
      if (value.findIndex((other) => deepEqual(other, item)) < i) out.push(duplicate(joinPath(path, i), item));
    });
  }
  if (node.listType === 'map') {
    const keyOf = (item: unknown) => (isObject(item) ? Object.fromEntries(node.listMapKeys.map((k) => [k, item[k] ?? null])) : item);
    value.forEach((item, i) => {
      const key = keyOf(item);
      if (value.findIndex((other) => deepEqual(keyOf(other), key)) < i) out.push(duplicate(joinPath(path, i), key));
    });
  }
}

function validateObject(node: SchemaNode, value: Record<string, unknown>, path: string, at: string, out: FieldCause[], isRoot: boolean, old: OldValue): void {
  const count = Object.keys(value).length;
  if (node.maxProperties !== undefined && count > node.maxProperties) {
    out.push(tooMany(path, count, node.maxProperties));
  }
  if (node.minProperties !== undefined && count < node.minProperties) {
    out.push(invalid(path, count, `${at}should have at least ${node.minProperties} properties`));
  }
  for (const name of node.required) {
    if (!(name in value) && !(isRoot && name === 'metadata')) out.push(required(joinPath(path, name)));
  }
  for (const [key, child] of Object.entries(value)) {
    // The server validates metadata (and apiVersion/kind) of the object itself; a CRD schema may
    // only add restrictions on metadata.name and generateName.
    if (isRoot && key === 'metadata') {
      validateObjectName(node.properties?.get('metadata'), child, out);
      continue;
    }
    if (isRoot && (key === 'apiVersion' || key === 'kind')) continue;
    const schema = childSchema(node, key);
    if (schema) validateValue(schema, child, joinPath(path, key), out, false, oldChild(old, key));
  }
  if (node.embeddedResource) {
    for (const key of ['apiVersion', 'kind']) {
      if (typeof value[key] !== 'string' || value[key] === '') out.push(required(joinPath(path, key), 'must not be empty'));
    }
  }
}

function validateObjectName(metadata: SchemaNode | undefined, value: unknown, out: FieldCause[]): void {
  if (!metadata || !isObject(value)) return;
  for (const key of ['name', 'generateName']) {
    const schema = metadata.properties?.get(key);
    if (schema && typeof value[key] === 'string') validateValue(schema, value[key], joinPath('metadata', key), out);
  }
}

function validateJunctors(node: SchemaNode, value: unknown, path: string, at: string, out: FieldCause[]): void {
  const passes = (schema: SchemaNode) => {
    const errs: FieldCause[] = [];
    validateValue(schema, value, path, errs);
    return errs;
  };
  for (const schema of node.allOf) out.push(...passes(schema));
  if (node.anyOf.length > 0 && !node.anyOf.some((s) => passes(s).length === 0)) {
    out.push(invalid(path, value, `${at}must validate at least one schema (anyOf)`));
  }
  if (node.oneOf.length > 0 && node.oneOf.filter((s) => passes(s).length === 0).length !== 1) {
    out.push(invalid(path, value, `${at}must validate one and only one schema (oneOf)`));
  }
  if (node.not && passes(node.not).length === 0) {
    out.push(invalid(path, value, `${at}must not validate the schema (not)`));
  }
}
