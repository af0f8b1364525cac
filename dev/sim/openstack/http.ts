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
