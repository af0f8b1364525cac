// What every Nova handler knows of its request, and the link, time and pagination formats Nova's views share.
import type { AuthContext } from '../keystone.ts';
import { badRequest, type NovaError } from './errors.ts';
import type { Microversion } from './microversion.ts';
import { pyRepr } from './schema.ts';

export type NovaContext = {
  /** Scheme://host[:port] as the client addressed the simulator. */
  origin: string;
  /** The compute endpoint's path prefix (e.g. "/compute"); Nova's own URLs are below it. */
  mount: string;
  version: Microversion;
  caller: AuthContext;
  query: URLSearchParams;
  rawBody: string;
};

/** Nova's self link (versioned) and bookmark link (unversioned) of an object, e.g. ("servers", id). */
export function links(ctx: NovaContext, collection: string, id: string): { rel: string; href: string }[] {
  return [
    { rel: 'self', href: `${ctx.origin}${ctx.mount}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.origin}${ctx.mount}/${collection}/${id}` },
  ];
}

export const bookmark = (ctx: NovaContext, collection: string, id: string): { rel: string; href: string }[] => [{ rel: 'bookmark', href: `${ctx.origin}${ctx.mount}/${collection}/${id}` }];

/** Nova's API timestamps: second precision, Z. */
export const isoSeconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
/** Database timestamps shown as they are (launched_at, a key pair's created_at): microseconds, no zone. */
export const isoMicro = (ms: number): string => `${isoSeconds(ms).slice(0, -1)}.000000`;

const queryInvalid = (name: string, value: string, why: string): NovaError => badRequest(`Invalid input for query parameters ${name}. Value: ${value}. ${why}`);

/** The last value of a query parameter, as Nova reads one that is given more than once. */
export const lastParam = (query: URLSearchParams, name: string): string | undefined => query.getAll(name).at(-1);

/** `limit` (digits only, capped at Nova's max_limit of 1000) and `marker` of a paginated list. */
function pageParams(query: URLSearchParams): { limit: number; marker: string | undefined } {
  const text = lastParam(query, 'limit');
  if (text !== undefined && !/^[0-9]*$/.test(text)) throw queryInvalid('limit', text, `${pyRepr(text)} does not match '^[0-9]*$'`);
  const limit = text === undefined || text === '' ? 1000 : Math.min(Number(text), 1000);
  return { limit, marker: lastParam(query, 'marker') };
}

/**
 * One page of `items` after the marker (a marker that is not there: 400), and Nova's `<collection>_links`
 * with a "next" link whenever the page is full: the request's parameters sorted by name (one value each,
 * the last in sort order), the marker set to the page's last item.
 */
export function paginate<T>(ctx: NovaContext, path: string, items: T[], idOf: (item: T) => string): { page: T[]; links?: { rel: string; href: string }[] } {
  const { limit, marker } = pageParams(ctx.query);
  let rest = items;
  if (marker !== undefined) {
    const at = items.findIndex((item) => idOf(item) === marker);
    if (at < 0) throw badRequest(`marker [${marker}] not found`);
    rest = items.slice(at + 1);
  }
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  if (last === undefined || page.length !== limit) return { page };
  const sorted = new Map([...ctx.query].sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0)));
  sorted.set('marker', idOf(last));
  const params = new URLSearchParams([...sorted]);
  return { page, links: [{ rel: 'next', href: `${ctx.origin}${ctx.mount}/v2.1/${path}?${params.toString()}` }] };
}
