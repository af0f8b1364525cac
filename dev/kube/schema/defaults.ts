// Structural defaulting: a property that is absent (or null where null is not allowed) gets a
// copy of its schema default, and defaulting continues inside it, top-down, as the apiserver does.
import type { FieldCause } from './validate.ts';
import { pruneValue } from './prune.ts';
import { childSchema, isObject, SchemaError } from './structural.ts';
import type { SchemaNode } from './structural.ts';
import { validateValue } from './validate.ts';

export function applyDefaults(node: SchemaNode, value: unknown, isRoot = false): void {
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items) return;
    value.forEach((item, i) => {
      if (item === null && items.hasDefault && !items.nullable) value[i] = structuredClone(items.default);
      applyDefaults(items, value[i]);
    });
    return;
  }
  if (!isObject(value)) return;
  for (const [name, prop] of node.properties ?? []) {
    if (isRoot && name === 'metadata') continue;
    if (prop.hasDefault && (!(name in value) || (value[name] === null && !prop.nullable))) {
      value[name] = structuredClone(prop.default);
    } else if (value[name] === null && !prop.nullable) {
      // Nulls the schema does not allow and cannot default are dropped before defaulting.
      delete value[name];
    }
  }
  for (const [key, child] of Object.entries(value)) {
    if (isRoot && key === 'metadata') continue;
    const schema = childSchema(node, key);
    if (schema) applyDefaults(schema, child);
  }
}

/** A CRD is rejected when a default would not validate or would be pruned (`where` names the node). */
export function checkDefaults(node: SchemaNode, where = 'openAPIV3Schema'): void {
  if (node.hasDefault && node.default !== null) {
    const value = structuredClone(node.default);
    const removed: string[] = [];
    pruneValue(node, value, '', removed);
    if (removed.length > 0) throw new SchemaError(`${where}.default: Invalid value: must not have unknown fields: ${removed.join(', ')}`);
    applyDefaults(node, value);
    const causes: FieldCause[] = [];
    validateValue(node, value, '', causes);
    if (causes.length > 0) throw new SchemaError(`${where}.default: ${causes.map((c) => c.message).join(', ')}`);
  }
  for (const [name, prop] of node.properties ?? []) checkDefaults(prop, `${where}.properties[${name}]`);
  if (node.additionalProperties && node.additionalProperties !== true) checkDefaults(node.additionalProperties, `${where}.additionalProperties`);
  if (node.items) checkDefaults(node.items, `${where}.items`);
}
