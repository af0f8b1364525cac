// Marker pagination as Neutron and Nova do it: a page of `key` and a `<key>_links` list whose
// `next` link carries the marker of the next page.
import type { QueryValue } from '../http.ts';
import type { ServiceType } from './config.ts';
import type { OpenStackSession } from './session.ts';

interface Link {
  rel: string;
  href: string;
}

export interface PagedList {
  service: ServiceType;
  /** Relative to the service's versioned base URL. */
  path: string;
  /** Body key of the items, e.g. `networks`, `servers`. */
  key: string;
  operation: string;
  query?: Record<string, QueryValue>;
  pageSize: number;
  signal?: AbortSignal;
}

/** Every item of every page. */
export async function listAllPages<T>(session: OpenStackSession, list: PagedList): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  for (;;) {
    const response = await session.request<Record<string, unknown>>(list.service, {
      method: 'GET',
      path: list.path,
      operation: list.operation,
      query: { ...list.query, limit: list.pageSize, marker },
      signal: list.signal,
    });
    const page = (response.body?.[list.key] ?? []) as T[];
    items.push(...page);
    const links = (response.body?.[`${list.key}_links`] ?? []) as Link[];
    const next = links.find((link) => link.rel === 'next');
    // Only the marker is taken from the link: behind a proxy or path prefix the service's own
    // host and path in the href can be wrong, while the collection URL here is right.
    const nextMarker = next === undefined ? null : new URL(next.href, 'http://service.invalid').searchParams.get('marker');
    if (page.length === 0 || nextMarker === null || nextMarker === marker) return items;
    marker = nextMarker;
  }
}
