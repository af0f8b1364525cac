// Nova validates request bodies and query strings with JSON Schema (Python jsonschema) and words the first
// error as "Invalid input for field/attribute <field>. Value: <value>. <reason>", values printed by Python:
// these helpers reproduce that wording, including Python's repr of the offending value.
import { badRequest, type NovaError } from './errors.ts';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's repr() of a JSON value: 'single quotes', True/False/None, {'k': v}. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const escaped = [...value]
      .map((c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? (c < ' ' || c === '\x7f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c))
      .join('');
    return quote + (quote === "'" ? escaped.replaceAll("'", "\\'") : escaped) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isObj(value)) return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}

/** Python's str(): strings as they are, everything else as repr. */
const pyStr = (value: unknown): string => (typeof value === 'string' ? value : pyRepr(value));

export const invalidInput = (field: string, value: unknown, reason: string): NovaError =>
  badRequest(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${reason}`);

/** The reasons jsonschema gives, as Nova passes them on. */
export const reason = {
  required: (prop: string): string => `'${prop}' is a required property`,
  type: (value: unknown, type: string): string => `${pyRepr(value)} is not of type '${type}'`,
  unexpected: (keys: string[]): string => `Additional properties are not allowed (${keys.map(pyRepr).join(', ')} ${keys.length === 1 ? 'was' : 'were'} unexpected)`,
  tooLong: (value: unknown): string => `${pyRepr(value)} is too long`,
  tooShort: (value: unknown): string => `${pyRepr(value)} is too short`,
  pattern: (value: unknown, pattern: string): string => `${pyRepr(value)} does not match ${pyRepr(pattern)}`,
  oneOf: (value: unknown, options: string[]): string => `${pyRepr(value)} is not one of ${pyRepr(options)}`,
  anyOf: (value: unknown): string => `${pyRepr(value)} is not valid under any of the given schemas`,
  format: (value: unknown, format: string): string => `${pyRepr(value)} is not a '${format}'`,
  /** additionalProperties false next to patternProperties. */
  regexes: (keys: string[], patterns: string[]): string => `${[...keys].sort().map(pyRepr).join(', ')} ${keys.length === 1 ? 'does' : 'do'} not match any of the regexes: ${patterns.map(pyRepr).join(', ')}`,
};

/** A required property missing from the body itself: jsonschema's message alone, with no field. */
const missingAtRoot = (prop: string): NovaError => badRequest(reason.required(prop));

export function parseBody(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    throw badRequest('Malformed request body');
  }
}

/** The body's one member object (e.g. {"server": {...}}), or jsonschema's complaint. */
export function member(body: unknown, key: string): Obj {
  if (!isObj(body) || body[key] === undefined) throw missingAtRoot(key);
  const value = body[key];
  if (!isObj(value)) throw invalidInput(key, value, reason.type(value, 'object'));
  return value;
}

/** Unknown properties of an object whose schema sets additionalProperties false. */
export function rejectUnknown(field: string, value: Obj, allowed: readonly string[]): void {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalidInput(field, value, reason.unexpected(extra));
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuidLike = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;

/** A string-to-string map as Nova's metadata schema takes it (keys 1-255, values up to 255 characters). */
export function stringMap(value: unknown, field: string): Record<string, string> {
  if (!isObj(value)) throw invalidInput(field, value, reason.type(value, 'object'));
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidInput(k, v, reason.type(v, 'string'));
    if (v.length > 255) throw invalidInput(k, v, reason.tooLong(v));
  }
  const badKeys = Object.keys(value).filter((k) => !METADATA_KEY.test(k));
  if (badKeys.length > 0) throw invalidInput(field, value, reason.regexes(badKeys, [METADATA_KEY.source]));
  return { ...(value as Record<string, string>) };
}

/** Server tags: strings of 1 to 60 characters without ',' or '/', at most 50 of them (as given). */
export function tagList(value: unknown, field = 'tags'): string[] {
  if (!Array.isArray(value)) throw invalidInput(field, value, reason.type(value, 'array'));
  if (value.length > 50) throw invalidInput(field, value, reason.tooLong(value));
  value.forEach((tag, i) => {
    const why = tagProblem(tag);
    if (why) throw invalidInput(String(i), tag, why);
  });
  return [...(value as string[])];
}

/** What jsonschema says of a tag that is not one, or undefined. */
export function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return reason.type(tag, 'string');
  if (tag.length > 60) return reason.tooLong(tag);
  if (tag.length === 0) return reason.tooShort(tag);
  if (/[,/]/.test(tag)) return reason.pattern(tag, '^[^,/]*$');
  return undefined;
}
