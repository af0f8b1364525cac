import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { JsonObject } from './objects.ts';
import { clone, deepEqual, isObject } from './objects.ts';
import { ApiError, badRequest } from './errors.ts';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** RFC 6902 JSON patch; a failing operation is 422 like the real server. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return jsonpatch.applyPatch(clone(target), operations as Operation[], true, false).newDocument;
  } catch (err) {
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Lists built-in kinds merge instead of replace under strategic merge patch (their Go struct tags):
 * primitive lists are unioned, object lists are merged by their merge key.
 */
const MERGED_LISTS: Record<string, string | null> = {
  'metadata.finalizers': null,
  'metadata.ownerReferences': 'uid',
};

function mergeList(path: string, target: unknown, patch: unknown[], deletions: unknown[]): unknown[] {
  const mergeKey = MERGED_LISTS[path];
  const current = Array.isArray(target) ? clone(target) : [];
  if (mergeKey === null) {
    const union = [...current];
    for (const item of patch) if (!union.some((c) => deepEqual(c, item))) union.push(item);
    return union.filter((item) => !deletions.some((d) => deepEqual(d, item)));
  }
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = current.findIndex((c) => isObject(c) && c[mergeKey as string] === item[mergeKey as string]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) current.splice(index, 1);
    } else if (index >= 0) current[index] = strategicMerge(current[index], item, path);
    else current.push(strategicMerge(undefined, item, path));
  }
  return current;
}

/**
 * Strategic merge patch for built-in kinds: merge-patch semantics plus the `$patch: replace|delete`,
 * `$retainKeys` and `$deleteFromPrimitiveList` directives, ignoring `$setElementOrder`.
 */
export function strategicMerge(target: unknown, patch: unknown, path = ''): unknown {
  if (!isObject(patch)) return clone(patch);
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  const base: JsonObject = directive === 'replace' || !isObject(target) ? {} : { ...target };
  const retainKeys = patch['$retainKeys'];
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const childPath = path ? `${path}.${key}` : key;
    const deletions = patch[`$deleteFromPrimitiveList/${key}`];
    if (value === null) delete base[key];
    else if (Array.isArray(value) && childPath in MERGED_LISTS) {
      base[key] = mergeList(childPath, base[key], value, Array.isArray(deletions) ? deletions : []);
    } else {
      const merged = strategicMerge(base[key], value, childPath);
      if (merged === undefined) delete base[key];
      else base[key] = merged;
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    const listKey = key.startsWith('$deleteFromPrimitiveList/') ? key.slice('$deleteFromPrimitiveList/'.length) : undefined;
    if (listKey && !(listKey in patch) && Array.isArray(base[listKey]) && Array.isArray(value)) {
      base[listKey] = (base[listKey] as unknown[]).filter((item) => !value.some((d) => deepEqual(d, item)));
    }
  }
  if (Array.isArray(retainKeys)) {
    for (const key of Object.keys(base)) if (!retainKeys.includes(key)) delete base[key];
  }
  return base;
}
