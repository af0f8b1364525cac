// Field ownership (metadata.managedFields) for server-side apply and for ordinary writes, after
// structured-merge-diff: an applier owns exactly what it last applied; changing a field another
// manager owns is a conflict unless forced; an Update takes ownership of the fields it changes.
import {
  coversPath, decodeFieldsV1, encodeFieldsV1, fieldSetOf, formatPath, leavesOf, mergeMetadata, mergeValue, pathsOf,
  removeAt, valueAt, childSchema,
} from './schema/field-set.ts';
import type { FieldSet } from './schema/field-set.ts';
import { isObject } from './schema/structural.ts';
import { deepEqual } from './schema/validate.ts';

export interface ApplyConflict { manager: string; field: string }

interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
}

type Obj = Record<string, unknown>;

function metadataOf(obj: Obj | undefined): Obj {
  return obj && isObject(obj.metadata) ? obj.metadata : {};
}

function entriesOf(obj: Obj | undefined): ManagerEntry[] {
  const raw = metadataOf(obj).managedFields;
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((e) => {
    const entry: ManagerEntry = {
      manager: String(e.manager ?? ''),
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: String(e.apiVersion ?? ''),
      time: String(e.time ?? ''),
      fields: decodeFieldsV1(e.fieldsV1),
    };
    if (typeof e.subresource === 'string' && e.subresource !== '') entry.subresource = e.subresource;
    return entry;
  });
}

function encodeEntries(entries: ManagerEntry[]): Obj[] {
  return entries.filter((e) => e.fields.size > 0).map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    time: e.time,
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFieldsV1(e.fields),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

function withManagedFields(obj: Obj, entries: ManagerEntry[]): void {
  const managedFields = encodeEntries(entries);
  const metadata = { ...metadataOf(obj) };
  if (managedFields.length > 0) metadata.managedFields = managedFields;
  else delete metadata.managedFields;
  obj.metadata = metadata;
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((p) => b.has(p));
}

function withoutManagedFields(obj: Obj | undefined): Obj | undefined {
  if (!obj) return obj;
  const { managedFields: _, ...metadata } = metadataOf(obj);
  return { ...obj, metadata };
}

function minus(set: FieldSet, removed: Iterable<string>): FieldSet {
  const result = new Set(set);
  for (const p of removed) result.delete(p);
  return result;
}

export function serverSideApply(
  live: Obj | undefined,
  applied: Obj,
  opts: { manager: string; force: boolean; now: string; subresource?: string; schema?: Obj },
): { object: Obj } | { conflicts: ApplyConflict[] } {
  const subresource = opts.subresource ?? '';
  const entries = entriesOf(live);
  const isMine = (e: ManagerEntry) => e.manager === opts.manager && e.operation === 'Apply' && (e.subresource ?? '') === subresource;
  const mine = entries.find(isMine);
  const appliedFields = fieldSetOf(applied, opts.schema);

  // A conflict is a field the applier sets to a value other than the live one, owned by someone else.
  const appliedLeaves = leavesOf(appliedFields);
  const conflicts: ApplyConflict[] = [];
  const taken = new Map<ManagerEntry, string[]>();
  for (const entry of entries) {
    if (entry === mine) continue;
    for (const p of entry.fields) {
      if (!appliedLeaves.has(p)) continue;
      const path = JSON.parse(p) as string[];
      const was = valueAt(live, path);
      if (was.found && deepEqual(was.value, valueAt(applied, path).value)) continue;
      conflicts.push({ manager: entry.manager, field: formatPath(path) });
      taken.set(entry, [...(taken.get(entry) ?? []), p]);
    }
  }
  if (conflicts.length > 0 && !opts.force) return { conflicts };

  const others = entries.filter((e) => e !== mine).map((e) => ({ ...e, fields: minus(e.fields, taken.get(e) ?? []) }));
  const object: Obj = structuredClone(live ?? {});
  // Fields the applier stopped applying go away unless another manager still owns them (or
  // something below them). Outermost first: list items are found by their key fields.
  const dropped = pathsOf(minus(mine?.fields ?? new Set(), appliedFields)).sort((a, b) => a.length - b.length);
  for (const path of dropped) {
    if (!coversPath(appliedFields, path) && !others.some((e) => coversPath(e.fields, path))) removeAt(object, path);
  }
  for (const [key, value] of Object.entries(applied)) {
    if (key === 'metadata') {
      if (isObject(value)) object.metadata = mergeMetadata(live ? metadataOf(object) : undefined, value);
      continue;
    }
    object[key] = mergeValue(object[key], value, childSchema(opts.schema, key));
  }

  // A no-op apply keeps its timestamp, so that re-applying the same config changes nothing.
  const unchanged = mine !== undefined && sameSet(mine.fields, appliedFields) && deepEqual(withoutManagedFields(object), withoutManagedFields(live));
  const entry: ManagerEntry = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: String(applied.apiVersion ?? live?.apiVersion ?? ''),
    time: unchanged ? mine.time : opts.now,
    fields: appliedFields,
  };
  if (subresource) entry.subresource = subresource;
  withManagedFields(object, placeEntry(entries, others, mine, entry));
  return { object };
}

/** Keeps managers in their existing order with the applier's entry in its old place (or last). */
function placeEntry(entries: ManagerEntry[], others: ManagerEntry[], mine: ManagerEntry | undefined, entry: ManagerEntry): ManagerEntry[] {
  let otherIndex = 0;
  const result = entries.map((e) => (e === mine ? entry : others[otherIndex++]!));
  return mine ? result : [...result, entry];
}

export function recordUpdate(
  old: Obj | undefined,
  updated: Obj,
  opts: { manager: string; now: string; subresource?: string; operation: 'Update' },
): void {
  const apiVersion = String(updated.apiVersion ?? old?.apiVersion ?? '');
  const subresource = opts.subresource ?? '';
  const entries = entriesOf(old);
  const before = old ? fieldSetOf(old) : new Set<string>();
  const after = fieldSetOf(updated);
  const afterLeaves = leavesOf(after);
  const changed = [...after].filter((p) => {
    if (!before.has(p)) return true;
    if (!afterLeaves.has(p)) return false;
    const path = JSON.parse(p) as string[];
    return !deepEqual(valueAt(old, path).value, valueAt(updated, path).value);
  });
  const gone = [...before].filter((p) => !after.has(p));
  const isMine = (e: ManagerEntry) =>
    e.manager === opts.manager && e.operation === 'Update' && (e.subresource ?? '') === subresource && e.apiVersion === apiVersion;
  const mine = entries.find(isMine);
  const rest = entries.map((e) => (e === mine ? e : { ...e, fields: minus(e.fields, [...changed, ...gone]) }));
  let result = rest;
  if (mine || changed.length > 0) {
    const entry: ManagerEntry = {
      manager: opts.manager,
      operation: opts.operation,
      apiVersion,
      time: changed.length > 0 || !mine ? opts.now : mine.time,
      fields: new Set([...minus(mine?.fields ?? new Set(), gone), ...changed]),
    };
    if (subresource) entry.subresource = subresource;
    result = mine ? rest.map((e) => (e === mine ? entry : e)) : [...rest, entry];
  }
  withManagedFields(updated, result);
}
