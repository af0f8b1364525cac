// Field sets as server-side apply tracks ownership: the leaf fields and list items an object sets,
// shaped by the schema (list-map items `k:{...}`, set items `v:...`, atomic lists and maps as one
// leaf), and their FieldsV1 encoding (`{"f:spec":{"f:cidr":{}}}`).
import { isObject } from './structural.ts';
import type { JsonObject } from './structural.ts';
import { deepEqual } from './validate.ts';

/** One FieldsV1 key: `f:name`, `k:{"name":"a"}` or `v:"x"`. */
export type FieldPath = string[];
/** A set of paths, each kept as its JSON encoding. */
export type FieldSet = Set<string>;

// metadata is not in a CRD's schema; these are the parts of ObjectMeta apply manages.
const METADATA_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    ownerReferences: {
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'], items: { type: 'object' },
    },
  },
};
const UNTRACKED_ROOT_FIELDS = new Set(['apiVersion', 'kind']);

export function childSchema(schema: JsonObject | undefined, key: string, isRoot = false): JsonObject | undefined {
  if (isRoot && key === 'metadata') return METADATA_SCHEMA;
  if (!schema) return undefined;
  const props = schema.properties;
  if (isObject(props) && isObject(props[key])) return props[key];
  return isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
}

function itemsSchema(schema: JsonObject | undefined): JsonObject | undefined {
  return schema && isObject(schema.items) ? schema.items : undefined;
}

function listType(schema: JsonObject | undefined): string {
  return typeof schema?.['x-kubernetes-list-type'] === 'string' ? schema['x-kubernetes-list-type'] : 'atomic';
}

function listKeys(schema: JsonObject | undefined): string[] {
  const keys = schema?.['x-kubernetes-list-map-keys'];
  return Array.isArray(keys) ? keys.map(String) : [];
}

function isAtomicMap(schema: JsonObject | undefined): boolean {
  return schema?.['x-kubernetes-map-type'] === 'atomic';
}

function keyElement(item: JsonObject, keys: string[]): string {
  const key = Object.fromEntries([...keys].sort().filter((k) => k in item).map((k) => [k, item[k]]));
  return `k:${JSON.stringify(key)}`;
}

/** The fields an object sets; metadata contributes only what apply manages, apiVersion/kind nothing. */
export function fieldSetOf(obj: JsonObject, schema?: JsonObject): FieldSet {
  const out: FieldSet = new Set();
  for (const [key, value] of Object.entries(obj)) {
    if (UNTRACKED_ROOT_FIELDS.has(key)) continue;
    if (key === 'metadata') {
      if (!isObject(value)) continue;
      for (const metaKey of Object.keys(METADATA_SCHEMA.properties as JsonObject)) {
        if (value[metaKey] !== undefined) collect(value[metaKey], childSchema(METADATA_SCHEMA, metaKey), ['f:metadata', `f:${metaKey}`], out);
      }
      continue;
    }
    collect(value, childSchema(schema, key), [`f:${key}`], out);
  }
  return out;
}

function collect(value: unknown, schema: JsonObject | undefined, path: FieldPath, out: FieldSet): void {
  if (isObject(value) && !isAtomicMap(schema) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) collect(child, childSchema(schema, key), [...path, `f:${key}`], out);
    return;
  }
  if (Array.isArray(value) && value.length > 0 && listType(schema) !== 'atomic') {
    const items = itemsSchema(schema);
    for (const item of value) {
      if (listType(schema) === 'set' || !isObject(item)) {
        out.add(JSON.stringify([...path, `v:${JSON.stringify(item)}`]));
        continue;
      }
      const itemPath = [...path, keyElement(item, listKeys(schema))];
      out.add(JSON.stringify(itemPath));
      for (const [key, child] of Object.entries(item)) collect(child, childSchema(items, key), [...itemPath, `f:${key}`], out);
    }
    return;
  }
  out.add(JSON.stringify(path));
}

export function pathsOf(set: FieldSet): FieldPath[] {
  return [...set].map((p) => JSON.parse(p) as FieldPath);
}

/** Paths of the set that have no descendant in it: the values whose equality decides conflicts. */
export function leavesOf(set: FieldSet): FieldSet {
  const parents = new Set<string>();
  for (const path of pathsOf(set)) {
    for (let i = 1; i < path.length; i++) parents.add(JSON.stringify(path.slice(0, i)));
  }
  return new Set([...set].filter((p) => !parents.has(p)));
}

/** Whether the set holds `path` or anything below it. */
export function coversPath(set: FieldSet, path: FieldPath): boolean {
  const prefix = JSON.stringify(path).slice(0, -1);
  return [...set].some((p) => p === `${prefix}]` || p.startsWith(`${prefix},`));
}

interface TreeNode { member: boolean; children: Map<string, TreeNode> }

export function encodeFieldsV1(set: FieldSet): JsonObject {
  const root: TreeNode = { member: false, children: new Map() };
  for (const path of pathsOf(set)) {
    let node = root;
    for (const element of path) {
      let child = node.children.get(element);
      if (!child) {
        child = { member: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.member = true;
  }
  const encode = (node: TreeNode): JsonObject => {
    const out: JsonObject = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const key of [...node.children.keys()].sort()) out[key] = encode(node.children.get(key)!);
    return out;
  };
  return encode(root);
}

export function decodeFieldsV1(fields: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, path: FieldPath) => {
    if (!isObject(node)) return;
    for (const [key, child] of Object.entries(node)) {
      if (key === '.') {
        out.add(JSON.stringify(path));
        continue;
      }
      if (isObject(child) && Object.keys(child).length === 0) out.add(JSON.stringify([...path, key]));
      else walk(child, [...path, key]);
    }
  };
  walk(fields, []);
  return out;
}

/** `.spec.ports[name="http"].port`, as apply conflicts name fields. */
export function formatPath(path: FieldPath): string {
  return path.map((element) => {
    const body = element.slice(2);
    if (element.startsWith('f:')) return `.${body}`;
    if (element.startsWith('k:')) {
      return `[${Object.entries(JSON.parse(body) as JsonObject).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
    if (element.startsWith('v:')) return `[=${body}]`;
    return `[${body}]`;
  }).join('');
}

function findChild(container: unknown, element: string): { found: boolean; value?: unknown; remove?: () => void } {
  const body = element.slice(2);
  if (element.startsWith('f:')) {
    if (!isObject(container) || !(body in container)) return { found: false };
    return { found: true, value: container[body], remove: () => delete container[body] };
  }
  if (!Array.isArray(container)) return { found: false };
  const match = element.startsWith('k:')
    ? (item: unknown) => isObject(item) && Object.entries(JSON.parse(body) as JsonObject).every(([k, v]) => deepEqual(item[k], v))
    : element.startsWith('v:')
      ? (item: unknown) => deepEqual(item, JSON.parse(body))
      : (_: unknown, i: number) => i === Number(body);
  const index = container.findIndex(match);
  if (index < 0) return { found: false };
  return { found: true, value: container[index], remove: () => container.splice(index, 1) };
}

export function valueAt(obj: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let current: { found: boolean; value?: unknown } = { found: true, value: obj };
  for (const element of path) {
    current = findChild(current.value, element);
    if (!current.found) return current;
  }
  return current;
}

export function removeAt(obj: unknown, path: FieldPath): void {
  const parent = valueAt(obj, path.slice(0, -1));
  if (parent.found) findChild(parent.value, path[path.length - 1]!).remove?.();
}

/** The object after applying `applied` onto `live`: maps merge per key, list-maps per item, sets by value. */
export function mergeValue(live: unknown, applied: unknown, schema: JsonObject | undefined): unknown {
  if (isObject(live) && isObject(applied) && !isAtomicMap(schema)) {
    const result: JsonObject = { ...live };
    for (const [key, value] of Object.entries(applied)) result[key] = mergeValue(live[key], value, childSchema(schema, key));
    return result;
  }
  if (Array.isArray(live) && Array.isArray(applied)) {
    const type = listType(schema);
    if (type === 'set') return [...live, ...applied.filter((item) => !live.some((l) => deepEqual(l, item)))];
    if (type === 'map') {
      const keys = listKeys(schema);
      const result = [...live];
      for (const item of applied) {
        const index = isObject(item) ? result.findIndex((l) => isObject(l) && keyElement(l, keys) === keyElement(item, keys)) : -1;
        if (index < 0) result.push(structuredClone(item));
        else result[index] = mergeValue(result[index], item, itemsSchema(schema));
      }
      return result;
    }
  }
  return structuredClone(applied);
}

/** Merges applied metadata: the managed parts per key, the rest only where the object is new. */
export function mergeMetadata(live: JsonObject | undefined, applied: JsonObject): JsonObject {
  const result: JsonObject = { ...(live ?? {}) };
  for (const [key, value] of Object.entries(applied)) {
    if (key === 'managedFields') continue;
    const managed = childSchema(METADATA_SCHEMA, key);
    if (managed) result[key] = mergeValue(live?.[key], value, managed);
    else if (!live) result[key] = structuredClone(value);
  }
  return result;
}
