// The fields and CEL rules of a structural OpenAPI schema (what a CRD holds), flattened for a
// reference page: one entry per field, in declaration order, with its constraints in words.
import { immutable, immutableOptional, type Rule } from './cel.ts';
import type { JSONSchemaProps } from './crd.ts';
import { code } from './markdown.ts';

export interface Field {
  /** e.g. spec.resource.allocationPools[].start; a map's values are <key>. */
  path: string;
  /** e.g. string (cidr), array of string, map of string to string. */
  type: string;
  /** Must be set whenever its parent is. */
  required: boolean;
  default?: unknown;
  /** Admission cannot change it after creation (a `self == oldSelf` rule, or its parent's immutableOptional rule). */
  immutable: boolean;
  /** Enum, pattern, bounds and list semantics, each in a few words of Markdown; the rules are listed apart. */
  constraints: string[];
  description: string;
}

export interface FieldRule {
  /** The field the API server reports the error for. */
  path: string;
  message: string;
  /** A transition rule (it reads oldSelf): checked on updates only. */
  onUpdate: boolean;
}

const IMMUTABLE = immutable('').rule;

const rulesOf = (schema: JSONSchemaProps): Rule[] => (schema['x-kubernetes-validations'] as Rule[] | undefined) ?? [];

function typeOf(schema: JSONSchemaProps): string {
  if (schema.type === 'array') return `array of ${schema.items ? typeOf(schema.items) : 'any'}`;
  if (schema.type === 'object' && schema.additionalProperties) return `map of string to ${typeOf(schema.additionalProperties)}`;
  if (schema.type === undefined) return 'any';
  return typeof schema.format === 'string' ? `${schema.type} (${schema.format})` : schema.type;
}

/** `low` to `high`, either of them possibly absent or exclusive. */
function range(what: string, low: number | undefined, high: number | undefined, exclusive: { low?: boolean; high?: boolean } = {}): string[] {
  if (low !== undefined && high !== undefined && !exclusive.low && !exclusive.high) return [`${what}${low} to ${high}`];
  return [
    ...(low === undefined ? [] : [`${what}${exclusive.low ? '>' : '≥'} ${low}`]),
    ...(high === undefined ? [] : [`${what}${exclusive.high ? '<' : '≤'} ${high}`]),
  ];
}

/** The keywords that narrow a value of this schema itself (not its items or properties). */
function boundsOf(schema: JSONSchemaProps): string[] {
  const n = schema as Record<string, number | undefined>;
  // A lower bound of 0 on a length or a count says nothing.
  const positive = (value: number | undefined) => (value === 0 ? undefined : value);
  const listType = schema['x-kubernetes-list-type'];
  return [
    ...(schema.enum ? [`one of ${schema.enum.map((v) => code(JSON.stringify(v))).join(', ')}`] : []),
    ...(typeof schema.pattern === 'string' ? [`matches ${code(schema.pattern)}`] : []),
    ...range('length ', positive(n.minLength), n.maxLength),
    ...range('', n.minimum, n.maximum, { low: schema.exclusiveMinimum === true, high: schema.exclusiveMaximum === true }),
    ...(typeof schema.multipleOf === 'number' ? [`multiple of ${schema.multipleOf}`] : []),
    ...range('items ', positive(n.minItems), n.maxItems),
    ...range('entries ', positive(n.minProperties), n.maxProperties),
    ...(listType === 'set' ? ['a set: no duplicates'] : []),
    ...(listType === 'map' ? [`one item per ${(schema['x-kubernetes-list-map-keys'] as string[]).map(code).join(' + ')}`] : []),
    ...(schema['x-kubernetes-preserve-unknown-fields'] === true ? ['any fields'] : []),
  ];
}

/** The constraints of a field: its own, and those of its scalar items or map values ("each ..."). */
function constraintsOf(schema: JSONSchemaProps): string[] {
  const element = schema.items ?? schema.additionalProperties;
  const scalarElement = element && element.type !== 'object' && element.type !== 'array';
  return [...boundsOf(schema), ...(scalarElement ? boundsOf(element).map((c) => `each ${c}`) : [])];
}

/** Where an object's children go: its properties, its items' or its map values' (a list of objects). */
function childrenOf(schema: JSONSchemaProps, path: string): { schema: JSONSchemaProps; path: string } | undefined {
  if (schema.properties) return { schema, path };
  if (schema.items) return childrenOf(schema.items, `${path}[]`);
  if (schema.additionalProperties) return childrenOf(schema.additionalProperties, `${path}.<key>`);
  return undefined;
}

/** Every field under `schema` (an object), depth first, and every CEL rule on it or under it. */
export function describeSchema(schema: JSONSchemaProps, root: string): { fields: Field[]; rules: FieldRule[] } {
  const fields: Field[] = [];
  const rules: FieldRule[] = [];
  const visit = (node: JSONSchemaProps, path: string) => {
    for (const rule of rulesOf(node)) {
      rules.push({ path: `${path}${rule.fieldPath ?? ''}`, message: rule.message, onUpdate: rule.rule.includes('oldSelf') });
    }
    // Rules on items (a list of objects) or map values are listed under the path of one of them.
    const element = node.items ?? node.additionalProperties;
    if (element && !element.properties) visit(element, node.items ? `${path}[]` : `${path}.<key>`);
    const container = childrenOf(node, path);
    if (!container) return;
    if (container.schema !== node) return visit(container.schema, container.path);
    const parentRules = rulesOf(node).map((r) => r.rule);
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      const fieldPath = `${path}.${name}`;
      fields.push({
        path: fieldPath,
        type: typeOf(property),
        required: node.required?.includes(name) ?? false,
        ...(property.default !== undefined ? { default: property.default } : {}),
        immutable: rulesOf(property).some((r) => r.rule === IMMUTABLE) || parentRules.includes(immutableOptional(name, '').rule),
        constraints: constraintsOf(property),
        description: property.description ?? '',
      });
      visit(property, fieldPath);
    }
  };
  visit(schema, root);
  return { fields, rules };
}
