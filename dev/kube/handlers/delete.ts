import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Api } from '../api.ts';
import type { ResourceRoute } from '../routes.ts';
import type { Preconditions } from '../deletion.ts';
import { apiVersionOf } from '../types.ts';
import { badRequest, successStatus } from '../errors.ts';
import { parseJson, readBody, sendJson } from '../http.ts';
import { checkPreconditions, deleteObject } from '../deletion.ts';
import { isObject } from '../objects.ts';
import { getExisting, isDryRun, present } from './common.ts';
import { selectObjects } from './read.ts';

const PROPAGATION_POLICIES = ['Orphan', 'Background', 'Foreground'];

interface DeleteOptions {
  preconditions?: Preconditions;
  dryRun: boolean;
}

/** DeleteOptions from the body (client-node, kubectl) and the query; propagationPolicy is accepted (no GC here). */
async function readDeleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const text = await readBody(req);
  const body = text.trim() === '' ? {} : parseJson(text);
  const opts = isObject(body) ? body : {};
  const policy = opts['propagationPolicy'] ?? query.get('propagationPolicy');
  if (policy !== undefined && policy !== null && !PROPAGATION_POLICIES.includes(String(policy))) {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const dryRunValues = Array.isArray(opts['dryRun']) ? opts['dryRun'].map(String) : [];
  const result: DeleteOptions = { dryRun: isDryRun(query) || dryRunValues.includes('All') };
  if (isObject(opts['preconditions'])) result.preconditions = opts['preconditions'] as Preconditions;
  return result;
}

/** 200 with a Success Status when removed, 200 with the object while finalizers hold it (as the real server). */
export async function handleDelete(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const opts = await readDeleteOptions(req, query);
  const obj = getExisting(api, route);
  checkPreconditions(route.type, obj, opts.preconditions);
  const outcome = deleteObject(api, route.type, obj, opts.dryRun);
  if (!outcome.removed) {
    sendJson(res, 200, present(route.type, outcome.object));
    return;
  }
  sendJson(res, 200, successStatus(route.type, route.name ?? '', obj.metadata.uid));
}

export async function handleDeleteCollection(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const opts = await readDeleteOptions(req, query);
  const items = selectObjects(api, route, query).map((obj) => present(route.type, deleteObject(api, route.type, obj, opts.dryRun).object));
  sendJson(res, 200, {
    apiVersion: apiVersionOf(route.type),
    kind: route.type.listKind,
    metadata: { resourceVersion: String(api.store.currentRevision()) },
    items,
  });
}
