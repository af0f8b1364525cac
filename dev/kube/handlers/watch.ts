import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Api } from '../api.ts';
import type { KubeObject } from '../types.ts';
import type { ResourceRoute } from '../routes.ts';
import type { Bucket, StoreEvent } from '../store.ts';
import { fromStored } from '../store.ts';
import { apiVersionOf } from '../types.ts';
import { badRequest, expired } from '../errors.ts';
import { parseFieldSelector, parseLabelSelector } from '../selectors.ts';
import { clone } from '../objects.ts';
import { parseIncludeObject, toTable, wantsTable } from '../table.ts';
import { present } from './common.ts';
import { selectObjects } from './read.ts';

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * How an event looks through a filtered watch: an object that starts matching is ADDED, one that
 * stops matching is DELETED (like the watch cache does), others pass or are dropped.
 */
function filtered(event: StoreEvent, bucket: Bucket, matches: (o: KubeObject) => boolean): { type: WatchType; object: KubeObject } | undefined {
  const object = fromStored(bucket, clone(event.object));
  const previous = event.previous ? fromStored(bucket, clone(event.previous)) : undefined;
  const now = matches(object);
  const before = previous !== undefined && matches(previous);
  if (event.type === 'ADDED') return now ? { type: 'ADDED', object } : undefined;
  if (event.type === 'DELETED') return now || before ? { type: 'DELETED', object } : undefined;
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object };
  if (!before || !previous) return undefined;
  previous.metadata.resourceVersion = object.metadata.resourceVersion;
  return { type: 'DELETED', object: previous };
}

export function handleWatch(api: Api, route: ResourceRoute, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const type = route.type;
  const byLabel = parseLabelSelector(query.get('labelSelector'));
  const byField = parseFieldSelector(query.get('fieldSelector'), route.type.fieldSelectors);
  const matches = (o: KubeObject) => (route.namespace === undefined || o.metadata.namespace === route.namespace) && byLabel(o) && byField(o);
  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rvParam)}: must be a non-negative integer`);
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const write = (eventType: string, object: unknown) => res.write(`${JSON.stringify({ type: eventType, object })}\n`);
  // `kubectl get -w` asks for Tables: then every event carries a one-row Table, as the real server sends.
  const asTable = wantsTable(req.headers.accept);
  const include = parseIncludeObject(query.get('includeObject'));
  const send = (eventType: WatchType, obj: KubeObject) =>
    write(eventType, asTable ? toTable(type, [obj], { resourceVersion: obj.metadata.resourceVersion }, include, api.now().getTime()) : present(type, obj));
  const bookmark = (rv: number, annotations?: Record<string, string>) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (annotations) metadata['annotations'] = annotations;
    write('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata });
  };

  let lastRv: number;
  if (rvParam === '' || rvParam === '0' || sendInitialEvents) {
    lastRv = api.store.currentRevision();
    for (const obj of selectObjects(api, route, query)) send('ADDED', obj);
    if (sendInitialEvents) bookmark(lastRv, { 'k8s.io/initial-events-end': 'true' });
  } else {
    const from = Number(rvParam);
    const history = api.store.eventsSince(from);
    if (!history) {
      const status = expired(`too old resource version: ${from} (${api.store.oldestWatchableRevision()})`).toStatus();
      write('ERROR', status);
      res.end();
      return;
    }
    lastRv = from;
    for (const event of history) {
      if (event.storageKey !== type.storageKey) continue;
      const shown = filtered(event, type, matches);
      if (shown) send(shown.type, shown.object);
      lastRv = event.rv;
    }
  }

  const unsubscribe = api.store.subscribe((event) => {
    if (event.storageKey !== type.storageKey || event.rv <= lastRv) return;
    lastRv = event.rv;
    const shown = filtered(event, type, matches);
    if (shown) send(shown.type, shown.object);
  });
  const timers: NodeJS.Timeout[] = [];
  if (query.get('allowWatchBookmarks') === 'true') {
    timers.push(setInterval(() => bookmark(Math.max(lastRv, api.store.currentRevision())), api.bookmarkIntervalMs));
  }
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
  if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
  const stop = () => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
  };
  res.on('close', stop);
  req.on('close', stop);
}
