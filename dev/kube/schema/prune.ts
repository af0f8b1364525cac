// Pruning: fields the schema does not specify are dropped unless x-kubernetes-preserve-unknown-fields
// (or additionalProperties: true) keeps them. Embedded resources keep apiVersion, kind and metadata.
import { childSchema, isObject, joinPath } from './structural.ts';
import type { SchemaNode } from './structural.ts';

const OBJECT_HEADER = new Set(['apiVersion', 'kind', 'metadata']);

export function pruneValue(node: SchemaNode, value: unknown, path: string, removed: string[], isRoot = false): void {
  if (Array.isArray(value)) {
    const items = node.items;
    if (items) value.forEach((item, i) => pruneValue(items, item, joinPath(path, i), removed));
    return;
  }
  if (!isObject(value)) return;
  const keepsUnknown = node.preserveUnknownFields || node.additionalProperties === true;
  for (const key of Object.keys(value)) {
    if ((isRoot || node.embeddedResource) && OBJECT_HEADER.has(key)) continue;
    const schema = childSchema(node, key);
    if (schema) {
      pruneValue(schema, value[key], joinPath(path, key), removed);
    } else if (!keepsUnknown) {
      delete value[key];
      removed.push(joinPath(path, key));
    }
  }
}
