// JSON values as CEL rules see them, typed by the schema as Kubernetes does: integer -> int,
// number -> double, strings of format date-time/duration/byte -> timestamp/duration/bytes, and
// declared property names escaped (`x-y` -> `x__dash__y`, `namespace` -> `__namespace__`).
import type { CelInput } from '@bufbuild/cel';
import { create } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { childSchema, isObject } from './structural.ts';
import type { SchemaNode } from './structural.ts';

const RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

/** The name a declared property has in CEL, or undefined when it cannot be accessed. */
function escapeProperty(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  const escaped = name.replace(/_/g, '__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__');
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(escaped) ? escaped : undefined;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

function toDuration(s: string): CelInput | undefined {
  const m = /^([+-])?((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(s);
  if (!m) return undefined;
  let seconds = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) seconds += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  if (m[1] === '-') seconds = -seconds;
  const whole = Math.trunc(seconds);
  return create(DurationSchema, { seconds: BigInt(whole), nanos: Math.round((seconds - whole) * 1e9) });
}

function toCelString(node: SchemaNode | undefined, value: string): CelInput {
  switch (node?.format) {
    case 'date':
    case 'date-time':
    case 'datetime': {
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? value : timestampFromDate(date);
    }
    case 'duration':
      return toDuration(value) ?? value;
    case 'byte':
      return new Uint8Array(Buffer.from(value, 'base64'));
    default:
      return value;
  }
}

export function toCel(node: SchemaNode | undefined, value: unknown, isRoot = false): CelInput {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return node?.type !== 'number' && Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string') return toCelString(node, value);
  if (Array.isArray(value)) return value.map((item) => toCel(node?.items, item));
  if (!isObject(value)) return value as CelInput;
  const entries: [string, CelInput][] = [];
  for (const [key, child] of Object.entries(value)) {
    if (isRoot && key === 'metadata' && isObject(child)) {
      // Rules see only name and generateName of the root object's metadata.
      const meta = Object.entries(child).filter(([k]) => k === 'name' || k === 'generateName');
      entries.push([key, new Map(meta) as CelInput]);
      continue;
    }
    const declared = node?.properties?.get(key);
    const name = declared ? escapeProperty(key) : key;
    if (name !== undefined) entries.push([name, toCel(node ? childSchema(node, key) : undefined, child)]);
  }
  return new Map(entries) as CelInput;
}
