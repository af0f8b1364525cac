/**
 * The one error type every cloud client throws. `kind` is what the reconciler acts on (docs/design.md,
 * "Errors, retries and what wakes an object"); each cloud maps its own bodies to it in one place.
 */
export type CloudErrorKind =
  /** Network failure, timeout, 429, 5xx: retry with backoff. */
  | 'transient'
  /**
   * Refused for now because of other resources or a transition under way (in use, no free
   * address, a server mid-task): retry with backoff; a refused delete is DeleteBlocked.
   */
  | 'busy'
  /** The cloud refuses the request as specified (400, 403, ...): Stalled until the spec changes. */
  | 'terminal'
  /** The addressed resource does not exist (404). */
  | 'notFound'
  /** The request conflicts with existing state (an IP already allocated, a duplicate rule). */
  | 'conflict'
  /** Over quota: reason QuotaExceeded, retried slowly. */
  | 'quota'
  /** Optimistic concurrency failure (412): refetch and retry. */
  | 'staleRevision'
  /** Credentials rejected (401 after one re-authentication, or by the identity service). */
  | 'unauthorized';

export interface CloudErrorInit {
  provider: string;
  service: string;
  operation: string;
  /** HTTP status; undefined when no response arrived (connection error, timeout). */
  status?: number;
  /** The cloud's machine-readable error type, e.g. NetworkInUse, or ConnectionError/Timeout. */
  code: string;
  /** The cloud's human-readable message, already redacted. */
  message: string;
  kind: CloudErrorKind;
  retryAfterMs?: number;
  /** Set when the failure came after the resource was created (e.g. tagging it failed). */
  createdId?: string;
}

export class CloudError extends Error {
  override readonly name = 'CloudError';
  readonly provider: string;
  readonly service: string;
  readonly operation: string;
  readonly status: number | undefined;
  readonly code: string;
  readonly kind: CloudErrorKind;
  readonly retryAfterMs: number | undefined;
  readonly createdId: string | undefined;

  constructor(init: CloudErrorInit) {
    super(init.message);
    this.provider = init.provider;
    this.service = init.service;
    this.operation = init.operation;
    this.status = init.status;
    this.code = init.code;
    this.kind = init.kind;
    this.retryAfterMs = init.retryAfterMs;
    this.createdId = init.createdId;
  }

  /** One line for conditions and logs: what failed, how, and the cloud's words. */
  describe(): string {
    const status = this.status === undefined ? '' : ` ${this.status}`;
    return `${this.service} ${this.operation}:${status} ${this.code}: ${this.message}`;
  }
}

/**
 * A URL from the ProviderConfig or the cloud's catalog that does not parse: a configuration error
 * found only at run time, which no retry fixes until the configuration changes.
 */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

/** `url` parsed, or an EndpointError naming `what` it is (any user:password@ left out). */
export function parseEndpoint(url: string | URL, what: string): URL {
  try {
    return new URL(url);
  } catch {
    const shown = String(url).replace(/\/\/[^/@]*@/, '//').slice(0, 200);
    throw new EndpointError(`${what} ${JSON.stringify(shown)} is not a valid URL`);
  }
}

export function isCloudError(err: unknown, kind?: CloudErrorKind): err is CloudError {
  return err instanceof CloudError && (kind === undefined || err.kind === kind);
}

/** What any cloud's HTTP status means when its body says nothing more specific. */
export function kindForStatus(status: number): CloudErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'notFound';
  if (status === 409) return 'conflict';
  if (status === 412) return 'staleRevision';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'terminal';
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
