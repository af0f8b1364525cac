import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Api } from '../api.ts';
import type { KubeObject } from '../types.ts';
import type { ResourceRoute } from '../routes.ts';
import { apiVersionOf } from '../types.ts';
import { badRequest } from '../errors.ts';
import { sendJson } from '../http.ts';
import { parseFieldSelector, parseLabelSelector } from '../selectors.ts';
import { parseIncludeObject, toTable, wantsTable } from '../table.ts';
import { getExisting, present } from './common.ts';

/** Objects under the route (one namespace or all) matching labelSelector and fieldSelector. */
export function selectObjects(api: Api, route: ResourceRoute, query: URLSearchParams): KubeObject[] {
  const byLabel = parseLabelSelector(query.get('labelSelector'));
  const byField = parseFieldSelector(query.get('fieldSelector'), route.type.fieldSelectors);
  return api.store.list(route.type, route.namespace).filter((o) => byLabel(o) && byField(o));
}

function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof parsed['rv'] === 'number' && typeof parsed['start'] === 'string') return { rv: parsed['rv'], start: parsed['start'] };
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** limit/continue paging in key order; a page continues after the last key it returned. */
function paginate(objects: KubeObject[], query: URLSearchParams, currentRv: number) {
  const continueParam = query.get('continue');
  const token = continueParam ? decodeContinue(continueParam) : undefined;
  const after = token ? objects.filter((o) => objectKey(o) > token.start) : objects;
  const rv = token?.rv ?? currentRv;
  const limit = Number(query.get('limit') ?? '0');
  const meta: Record<string, unknown> = { resourceVersion: String(rv) };
  if (!Number.isInteger(limit) || limit <= 0 || after.length <= limit) return { items: after, meta };
  const items = after.slice(0, limit);
  const last = items[items.length - 1] as KubeObject;
  meta['continue'] = encodeContinue({ rv, start: objectKey(last) });
  meta['remainingItemCount'] = after.length - limit;
  return { items, meta };
}

export function handleGet(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const obj = getExisting(api, route);
  if (wantsTable(req.headers.accept)) {
    const table = toTable(route.type, [obj], { resourceVersion: obj.metadata.resourceVersion }, parseIncludeObject(query.get('includeObject')), api.now().getTime());
    sendJson(res, 200, table);
    return;
  }
  sendJson(res, 200, present(route.type, obj));
}

export function handleList(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const { items, meta } = paginate(selectObjects(api, route, query), query, api.store.currentRevision());
  if (wantsTable(req.headers.accept)) {
    sendJson(res, 200, toTable(route.type, items, meta, parseIncludeObject(query.get('includeObject')), api.now().getTime()));
    return;
  }
  const type = route.type;
  // Core lists omit each item's apiVersion/kind, custom resource lists carry them, as the real server does.
  const presented = items.map((o) => (type.builtin ? { ...present(type, o), apiVersion: undefined, kind: undefined } : present(type, o)));
  sendJson(res, 200, { apiVersion: apiVersionOf(type), kind: type.listKind, metadata: meta, items: presented });
}
