// The request/response shapes every simulated service handles, independent of node:http.

export type SimRequest = {
  method: string;
  /** Path below the service's mount point (e.g. "/v2.0/networks" for the network service). */
  path: string;
  /** Full request path, as received. */
  fullPath: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  rawBody: string;
  /** Scheme://host[:port] as the client addressed the server. */
  origin: string;
};

export type SimResponse = {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent as it is, not as JSON (webob's HTML error pages); its Content-Type goes in `headers`. */
  text?: string;
};

/** A routed request: its accounting labels, and the work to do (run only if no fault intervenes). */
export type RoutedRequest = {
  service: string;
  operation: string;
  run: () => SimResponse;
};

export const json = (status: number, body: unknown, headers?: Record<string, string>): SimResponse =>
  headers ? { status, body, headers } : { status, body };

export const noContent = (): SimResponse => ({ status: 204 });

/** The media type a client prefers among `offers` (webob's acceptable_offers: by q, ties in offer order). */
function preferred(accept: string, offers: string[]): string | undefined {
  const ranges = accept
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [range = '', ...params] = part.split(';').map((p) => p.trim());
      const q = params.find((p) => p.startsWith('q='));
      return { range: range.toLowerCase(), q: q === undefined ? 1 : Number(q.slice(2)) };
    });
  const qOf = (offer: string): number => {
    const [type] = offer.split('/');
    const match = ranges.find((r) => r.range === offer) ?? ranges.find((r) => r.range === `${type}/*`) ?? ranges.find((r) => r.range === '*/*');
    return match?.q ?? 0;
  };
  const scored = offers.map((offer, i) => ({ offer, q: qOf(offer), i })).filter((o) => o.q > 0);
  scored.sort((a, b) => b.q - a.q || a.i - b.i);
  return scored[0]?.offer;
}

/**
 * An error answered by webob itself (Nova's unknown URLs, Glance's errors, Neutron's missing extension):
 * HTML, JSON or plain text, as the request's Accept header prefers.
 */
export function webobError(accept: string | undefined, status: number, title: string, explanation: string, detail = '', headers?: Record<string, string>): SimResponse {
  const body = `${explanation}<br /><br />\n${detail}\n\n`;
  const line = `${status} ${title}`;
  const match = preferred(accept ?? '', ['text/html', 'application/json']);
  if (match === 'application/json') return { status, body: { message: body, code: line, title }, ...(headers ? { headers } : {}) };
  if (match === 'text/html') {
    const text = `<html>\n <head>\n  <title>${line}</title>\n </head>\n <body>\n  <h1>${line}</h1>\n  ${body}\n </body>\n</html>`;
    return { status, text, headers: { 'Content-Type': 'text/html; charset=UTF-8', ...headers } };
  }
  const plain = body.replaceAll('\n', ' ').replace(/<br.*?>/gis, '\n').replace(/<.*?>/gs, '');
  return { status, text: `${line}\n\n${plain}`, headers: { 'Content-Type': 'text/plain; charset=UTF-8', ...headers } };
}
