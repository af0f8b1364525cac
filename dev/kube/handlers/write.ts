import type { IncomingMessage, ServerResponse } from 'node:http';
import { load as loadYaml } from 'js-yaml';
import type { Api } from '../api.ts';
import type { KubeObject, ResourceType } from '../types.ts';
import type { ResourceRoute } from '../routes.ts';
import type { Admitted, WriteOptions } from '../admission.ts';
import type { ApplyConflict } from '../managed-fields.ts';
import { admitCreate, admitUpdate, checkTypeMeta } from '../admission.ts';
import { kubeTime } from '../time.ts';
import { ApiError, alreadyExists, badRequest, notFound, unsupportedMediaType } from '../errors.ts';
import { parseJson, readBody, readObjectBody, sendJson } from '../http.ts';
import { jsonPatch, mergePatch, strategicMerge } from '../patch.ts';
import { serverSideApply } from '../managed-fields.ts';
import { isObject } from '../objects.ts';
import { persistUpdate } from '../deletion.ts';
import { duplicateFields } from '../duplicate-fields.ts';
import { checkNamespaceWritable, fieldManager, fieldValidation, getExisting, isDryRun, present } from './common.ts';

const CUSTOM_RESOURCE_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

function writeOptions(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage): WriteOptions {
  const opts: WriteOptions = { manager: fieldManager(query, req), fieldValidation: fieldValidation(query), now: api.now() };
  if (route.subresource) opts.subresource = route.subresource;
  return opts;
}

/** Sets the URL's namespace on the object; a different one in the body is 400 like the real server. */
function bindNamespace(route: ResourceRoute, obj: KubeObject): void {
  if (!route.type.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  if (obj.metadata.namespace && obj.metadata.namespace !== route.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = route.namespace;
}

function create(api: Api, route: ResourceRoute, body: KubeObject, opts: WriteOptions, dryRun: boolean): Admitted {
  bindNamespace(route, body);
  const admitted = admitCreate(route.type, body, opts);
  const name = admitted.object.metadata.name ?? '';
  checkNamespaceWritable(api, route, name);
  if (api.store.get(route.type, route.namespace, name)) throw alreadyExists(route.type, name);
  return dryRun ? admitted : { ...admitted, object: api.store.create(route.type, admitted.object) };
}

function update(api: Api, route: ResourceRoute, old: KubeObject, body: KubeObject, opts: WriteOptions, dryRun: boolean): Admitted {
  bindNamespace(route, body);
  const admitted = admitUpdate(route.type, old, body, opts);
  if (!admitted.changed || dryRun) return admitted;
  return { ...admitted, object: persistUpdate(api, route.type, admitted.object) };
}

export async function handleCreate(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (route.subresource) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const { body: decoded, text } = await readObjectBody(req);
  const body = checkTypeMeta(route.type, decoded);
  const dryRun = isDryRun(query);
  const opts = writeOptions(api, route, query, req);
  opts.duplicateFields = duplicateFields(text);
  const { object, warnings } = create(api, route, body, opts, dryRun);
  sendJson(res, 201, present(route.type, object), warnings);
}

export async function handleUpdate(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { body: decoded, text } = await readObjectBody(req);
  const body = checkTypeMeta(route.type, decoded);
  const dryRun = isDryRun(query);
  const old = getExisting(api, route);
  const opts = writeOptions(api, route, query, req);
  opts.requireResourceVersion = !route.type.allowUnconditionalUpdate;
  opts.duplicateFields = duplicateFields(text);
  const { object, warnings } = update(api, route, old, body, opts, dryRun);
  sendJson(res, 200, present(route.type, object), warnings);
}

function applyConflictError(conflicts: ApplyConflict[], live: KubeObject | undefined): ApiError {
  const entries = (live?.metadata.managedFields ?? []).filter(isObject);
  const describe = (manager: string): string => {
    const entry = entries.find((e) => e['manager'] === manager && e['operation'] === 'Update');
    if (!entry) return JSON.stringify(manager);
    const sub = typeof entry['subresource'] === 'string' && entry['subresource'] ? ` with subresource ${JSON.stringify(entry['subresource'])}` : '';
    return `${JSON.stringify(manager)}${sub} using ${String(entry['apiVersion'])}`;
  };
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c.manager)}`, field: c.field }));
  let message: string;
  const [first] = conflicts;
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${describe(first.manager)}: ${first.field}`;
  } else {
    const managers = [...new Set(conflicts.map((c) => c.manager))].sort();
    const lines = managers.flatMap((m) => [`conflicts with ${describe(m)}:`, ...conflicts.filter((c) => c.manager === m).map((c) => `- ${c.field}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function parseApplyBody(text: string): unknown {
  try {
    return loadYaml(text);
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function serverSideApplyRequest(api: Api, route: ResourceRoute, query: URLSearchParams, text: string, opts: WriteOptions, dryRun: boolean): { admitted: Admitted; created: boolean } {
  if (!query.get('fieldManager')) throw badRequest('PATCH, application/apply-patch+yaml requests require a fieldManager');
  const applied = checkTypeMeta(route.type, parseApplyBody(text));
  const name = route.name ?? '';
  if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  }
  applied.metadata.name = name;
  bindNamespace(route, applied);
  const live = api.store.get(route.type, route.namespace, name);
  if (!live && route.subresource) throw notFound(route.type, name);
  const force = query.get('force') === 'true';
  const ssaOpts: Parameters<typeof serverSideApply>[2] = { manager: opts.manager, force, now: kubeTime(opts.now) };
  if (opts.subresource) ssaOpts.subresource = opts.subresource;
  if (route.type.openAPIV3Schema) ssaOpts.schema = route.type.openAPIV3Schema;
  const result = serverSideApply(live, applied, ssaOpts);
  if ('conflicts' in result) throw applyConflictError(result.conflicts, live);
  const merged = checkTypeMeta(route.type, result.object);
  const applyOpts = { ...opts, applied: true };
  if (!live) return { admitted: create(api, route, merged, applyOpts, dryRun), created: true };
  merged.metadata.resourceVersion = live.metadata.resourceVersion;
  return { admitted: update(api, route, live, merged, applyOpts, dryRun), created: false };
}

function patched(type: ResourceType, contentType: string, live: KubeObject, text: string): unknown {
  switch (contentType) {
    case 'application/merge-patch+json':
      return mergePatch(live, parseJson(text));
    case 'application/json-patch+json':
      return jsonPatch(live, parseJson(text));
    case 'application/strategic-merge-patch+json':
      if (!type.builtin) throw unsupportedMediaType(CUSTOM_RESOURCE_PATCH_TYPES);
      return strategicMerge(live, parseJson(text));
    default:
      throw unsupportedMediaType(type.builtin ? [...CUSTOM_RESOURCE_PATCH_TYPES, 'application/strategic-merge-patch+json'] : CUSTOM_RESOURCE_PATCH_TYPES);
  }
}

export async function handlePatch(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const text = await readBody(req);
  const dryRun = isDryRun(query);
  const opts = writeOptions(api, route, query, req);
  if (contentType === 'application/apply-patch+yaml') {
    const { admitted, created } = serverSideApplyRequest(api, route, query, text, opts, dryRun);
    sendJson(res, created ? 201 : 200, present(route.type, admitted.object), admitted.warnings);
    return;
  }
  const live = getExisting(api, route);
  const result = patched(route.type, contentType, live, text);
  const body = checkTypeMeta(route.type, result);
  const { object, warnings } = update(api, route, live, body, opts, dryRun);
  sendJson(res, 200, present(route.type, object), warnings);
}
