import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { CloudError, kindForStatus, parseEndpoint, parseRetryAfter } from './errors.ts';
import { cloudApiMetrics, type CloudApiMetrics } from './metrics.ts';
import { RequestThrottle, type RateLimit } from './rate-limit.ts';
import { Redactor } from './redact.ts';
import { Transport, type TlsOptions } from './transport.ts';

/**
 * The HTTP layer every cloud client uses: rate limit, timeout, safe retries, metrics, redaction
 * and error classification. Cloud-specific parts (auth headers, body shapes) stay in the caller.
 */

export type QueryValue = string | number | boolean | ReadonlyArray<string | number> | undefined;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST' | 'PATCH';
  url: string | URL;
  /** Service and operation name the metric and errors carry, e.g. network / createNetwork. */
  service: string;
  operation: string;
  headers?: Record<string, string>;
  /** Appended to the URL; arrays repeat the parameter, undefined values are skipped. */
  query?: Record<string, QueryValue>;
  /** Sent as JSON, serialised once: every attempt (and `authorize`) sees the same bytes. */
  json?: unknown;
  /** Sent as these exact bytes, instead of `json`. */
  body?: { bytes: Buffer | string; contentType: string };
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Whether sending it twice does what sending it once does, so a failed attempt may be repeated;
   * default by method (GET, HEAD, PUT and DELETE are). An action such as "attach" is not.
   */
  idempotent?: boolean;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, undefined when empty or not JSON. */
  body: T;
  /** The body's bytes as received. */
  raw: Buffer;
}

/** A request as it is about to be sent: what a signature covers. */
export interface OutgoingRequest {
  method: HttpRequest['method'];
  /** With the query. */
  url: URL;
  body: Buffer | undefined;
}

/**
 * Headers computed for each attempt over the exact request (e.g. a signature with an expiry, so a
 * retry is signed afresh). Called after the rate limit let the attempt go, just before sending.
 */
export type Authorize = (request: OutgoingRequest) => Record<string, string> | Promise<Record<string, string>>;

/** What a cloud's classifier sees of a failed response. */
export interface ErrorResponse {
  provider: string;
  service: string;
  operation: string;
  status: number;
  headers: Record<string, string>;
  text: string;
  body: unknown;
  retryAfterMs: number | undefined;
}

export type ErrorClassifier = (response: ErrorResponse) => CloudError;

export interface RetryPolicy {
  /** Total attempts for a safe request, including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface HttpClientOptions extends TlsOptions {
  /** Metric label and error field, e.g. openstack. */
  provider: string;
  registry: Registry;
  classify?: ErrorClassifier;
  /** Shared with the cloud layer, which registers passwords and tokens as it learns them. */
  redactor?: Redactor;
  rateLimit?: RateLimit;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  userAgent?: string;
  authorize?: Authorize;
  /**
   * The fence: asked right before each attempt of a write (any method but GET and HEAD) is sent;
   * false refuses it unsent and unretried (a replica that may have lost the leader lease).
   */
  mayWrite?: () => boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const READ_METHODS = new Set(['GET', 'HEAD']);
/** Node's codes for a certificate that does not verify: no retry fixes it, trusting the right CA does. */
const TLS_VERIFICATION = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(_LOCALLY)?)|CERT_(HAS_EXPIRED|NOT_YET_VALID|UNTRUSTED|REJECTED)|ERR_TLS_CERT_ALTNAME_INVALID)$/;
const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 10_000 };
const DEFAULT_RATE_LIMIT: RateLimit = { qps: 10, burst: 20 };
/** How long a 429 without Retry-After holds the bucket. */
const DEFAULT_429_PAUSE_MS = 1000;

/** Status codes after which a safe request is retried. */
function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function classifyByStatus(response: ErrorResponse): CloudError {
  return new CloudError({
    provider: response.provider,
    service: response.service,
    operation: response.operation,
    status: response.status,
    code: `HTTP${response.status}`,
    message: response.text.slice(0, 500) || `HTTP ${response.status}`,
    kind: kindForStatus(response.status),
    retryAfterMs: response.retryAfterMs,
  });
}

export function buildUrl(url: string | URL, query?: Record<string, QueryValue>): URL {
  const out = parseEndpoint(url, 'endpoint');
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) out.searchParams.append(name, String(item));
    else out.searchParams.append(name, String(value));
  }
  return out;
}

function parseJson(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HttpClient {
  readonly provider: string;
  readonly redactor: Redactor;
  readonly bucket: RequestThrottle;
  readonly #transport: Transport;
  readonly #metrics: CloudApiMetrics;
  readonly #classify: ErrorClassifier;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger | undefined;
  readonly #userAgent: string;
  readonly #authorize: Authorize | undefined;
  readonly #mayWrite: (() => boolean) | undefined;
  readonly #clockOffsets = new Map<string, number>();
  /** service -> headers every request to it carries (e.g. a negotiated API microversion). */
  readonly #serviceHeaders = new Map<string, Record<string, string>>();

  constructor(options: HttpClientOptions) {
    this.provider = options.provider;
    this.redactor = options.redactor ?? new Redactor();
    this.bucket = new RequestThrottle(options.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.#transport = new Transport(options);
    this.#metrics = cloudApiMetrics(options.registry);
    this.#classify = options.classify ?? classifyByStatus;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#logger = options.logger;
    this.#userAgent = options.userAgent ?? 'cloudnet-operator';
    this.#authorize = options.authorize;
    this.#mayWrite = options.mayWrite;
  }

  /** Headers every later request to `service` carries (a request's own headers win). */
  setServiceHeaders(service: string, headers: Record<string, string>): void {
    this.#serviceHeaders.set(service, lowerCased(headers));
  }

  /** Sends the request; resolves for 2xx/3xx, throws a CloudError otherwise. */
  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    const url = buildUrl(req.url, req.query);
    const headers: Record<string, string> = {
      'user-agent': this.#userAgent,
      accept: 'application/json',
      ...this.#serviceHeaders.get(req.service),
      ...lowerCased(req.headers ?? {}),
    };
    let body: Buffer | undefined;
    if (req.body !== undefined) {
      body = Buffer.from(req.body.bytes);
      headers['content-type'] = req.body.contentType;
    } else if (req.json !== undefined) {
      body = Buffer.from(JSON.stringify(req.json));
      headers['content-type'] = 'application/json';
    }
    const attempts = (req.idempotent ?? SAFE_METHODS.has(req.method)) ? this.#retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(req, url, headers, body);
      if (!(result instanceof CloudError)) return result as HttpResponse<T>;
      if (result.status === 429) this.bucket.pause(result.retryAfterMs ?? DEFAULT_429_PAUSE_MS);
      const retryable = result.status === undefined || retryableStatus(result.status);
      // A long Retry-After is the reconciler's to wait out (requeue), not a blocked worker's.
      const waitTooLong = (result.retryAfterMs ?? 0) > this.#retry.maxDelayMs;
      if (!retryable || waitTooLong || attempt >= attempts) throw result;
      // After a 429 the paused bucket already makes every caller wait.
      const delay = result.status === 429 ? 0 : (result.retryAfterMs ?? this.#backoff(attempt));
      await sleep(delay, req.signal);
    }
  }

  close(): void {
    this.#transport.close();
  }

  /**
   * How far the service's clock is ahead of ours (negative: behind), from the Date header of its
   * last response; undefined until one had it. Never more than the true offset: the header is
   * truncated to the second and read after the server wrote it.
   */
  clockOffsetMs(service: string): number | undefined {
    return this.#clockOffsets.get(service);
  }

  /** Full jitter (AWS architecture blog "Exponential Backoff And Jitter"). */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.random() * ceiling;
  }

  async #attempt(
    req: HttpRequest,
    url: URL,
    baseHeaders: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<HttpResponse | CloudError> {
    await this.bucket.acquire(req.signal);
    const headers = this.#authorize ? { ...baseHeaders, ...lowerCased(await this.#authorize({ method: req.method, url, body })) } : baseHeaders;
    const labels = { provider: this.provider, service: req.service, operation: req.operation };
    // After the last wait, so the answer is as of sending; thrown, so that request() does not retry it.
    if (this.#mayWrite && !READ_METHODS.has(req.method) && !this.#mayWrite()) {
      this.#logger?.warn({ ...labels, method: req.method }, 'cloud write not sent: this replica may no longer hold the leader lease');
      throw new CloudError({ ...labels, code: 'NotLeader', message: 'not sent: this replica may no longer hold the leader lease', kind: 'transient' });
    }
    const timeout = new AbortController();
    const timeoutMs = req.timeoutMs ?? this.#timeoutMs;
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout.signal]) : timeout.signal;
    const started = performance.now();
    try {
      const response = await this.#transport.send({ method: req.method, url, headers, body, signal });
      const seconds = (performance.now() - started) / 1000;
      const serverTime = Date.parse(response.headers.date ?? '');
      if (!Number.isNaN(serverTime)) this.#clockOffsets.set(req.service, serverTime - Date.now());
      this.#metrics.requests.inc({ ...labels, code: String(response.status) });
      this.#metrics.duration.observe(labels, seconds);
      this.#logger?.debug({ ...labels, method: req.method, status: response.status, seconds }, 'cloud api request');
      const contentType = response.headers['content-type'];
      if (response.status < 400) {
        const parsed = parseJson(response.body.toString('utf8'), contentType);
        return { status: response.status, headers: response.headers, body: parsed, raw: response.body };
      }
      // Clouds echo request data in error messages: redact before anything reads the body.
      const text = this.redactor.redact(response.body.toString('utf8'));
      return this.#classify({
        ...labels,
        status: response.status,
        headers: response.headers,
        text,
        body: parseJson(text, contentType),
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      });
    } catch (err) {
      // The caller's own cancellation (shutdown) is not a cloud failure.
      if (req.signal?.aborted) throw req.signal.reason;
      const timedOut = timeout.signal.aborted;
      const code = timedOut ? 'timeout' : 'error';
      this.#metrics.requests.inc({ ...labels, code });
      this.#metrics.duration.observe(labels, (performance.now() - started) / 1000);
      const detail = timedOut ? `no response within ${timeoutMs} ms` : (err as Error).message;
      this.#logger?.debug({ ...labels, method: req.method, error: this.redactor.redact(detail) }, 'cloud api request failed');
      if (TLS_VERIFICATION.test(String((err as { code?: unknown }).code))) {
        const advice = "the cloud's certificate is not trusted: give its CA (the ProviderConfig's caBundleSecretRef, or cacert in clouds.yaml)";
        // Node's own hint (--use-system-ca) is not the operator user's to follow.
        const reason = detail.replace(/; if the root CA is installed locally.*$/, '');
        return new CloudError({ ...labels, code: 'TLSVerificationFailed', message: this.redactor.redact(`${req.method} ${url.host}${url.pathname}: ${reason}; ${advice}`), kind: 'terminal' });
      }
      return new CloudError({
        ...labels,
        code: timedOut ? 'Timeout' : 'ConnectionError',
        message: this.redactor.redact(`${req.method} ${url.host}${url.pathname}: ${detail}`),
        kind: 'transient',
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
