import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isCloudError } from '../errors.ts';
import { HttpClient, type HttpRequest, type QueryValue, type RetryPolicy } from '../http.ts';
import type { RateLimit } from '../rate-limit.ts';
import { classifyExoscaleError } from './errors.ts';
import { FIRST_POLL_MS } from './operations.ts';
import { authorization, SIGNATURE_TTL_S } from './signing.ts';
import type { Instance, Operation, PrivateNetwork, PrivateNetworkFields, Zone } from './types.ts';

/** The metric and error label of every request: Exoscale has one API. */
const SERVICE = 'api';

/** `https://api-{zone}.exoscale.com/v2`, the API of one zone. */
export const zoneEndpoint = (zone: string): string => `https://api-${zone}.exoscale.com/v2`;

export interface ExoscaleCredentials {
  apiKey: string;
  apiSecret: string;
}

export interface ExoscaleClientOptions {
  zone: string;
  /** API v2 base URL, ending in /v2 (default the zone's). */
  endpoint?: string;
  credentials: ExoscaleCredentials;
  registry: Registry;
  rateLimit?: RateLimit;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** First poll interval of operations (default the official clients' 3 s; tests shorten it). */
  operationPollMs?: number;
  /** Unix seconds for signature expiry (default: the API's clock, as its Date headers show it). */
  now?: () => number;
  userAgent?: string;
  /** The fence: see HttpClientOptions. */
  mayWrite?: () => boolean;
}

type Call = Pick<HttpRequest, 'method' | 'operation' | 'json' | 'idempotent' | 'signal'> & { path: string; query?: Record<string, QueryValue> };

/**
 * One ProviderConfig's Exoscale API v2 client: every request signed afresh per attempt
 * (EXO2-HMAC-SHA256, valid 600 s) through the HTTP layer's authorize hook, so a retry never
 * carries a stale signature; credentials swap in place when their Secret rotates.
 */
export class ExoscaleClient {
  readonly http: HttpClient;
  readonly zone: string;
  readonly endpoint: string;
  readonly operationPollMs: number;
  #credentials: ExoscaleCredentials;
  readonly #now: () => number;

  constructor(options: ExoscaleClientOptions) {
    this.zone = options.zone;
    this.endpoint = (options.endpoint ?? zoneEndpoint(options.zone)).replace(/\/+$/, '');
    this.operationPollMs = options.operationPollMs ?? FIRST_POLL_MS;
    this.#credentials = options.credentials;
    // Signed in the API's clock: a host clock minutes off would make every signature expired or too long-lived.
    this.#now = options.now ?? (() => Math.floor((Date.now() + (this.http.clockOffsetMs(SERVICE) ?? 0)) / 1000));
    this.http = new HttpClient({
      provider: 'exoscale',
      registry: options.registry,
      classify: classifyExoscaleError,
      rateLimit: options.rateLimit,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      logger: options.logger,
      userAgent: options.userAgent,
      mayWrite: options.mayWrite,
      authorize: (request) => ({ authorization: authorization(this.#credentials.apiKey, this.#credentials.apiSecret, request, this.#now() + SIGNATURE_TTL_S) }),
    });
    this.http.redactor.add(options.credentials.apiSecret);
  }

  /** New credentials for the next request (a rotated Secret); the old secret stays redacted. */
  setCredentials(credentials: ExoscaleCredentials): void {
    this.http.redactor.add(credentials.apiSecret);
    this.#credentials = credentials;
  }

  close(): void {
    this.http.close();
  }

  async #call<T>(call: Call): Promise<T> {
    const response = await this.http.request<T>({ ...call, url: `${this.endpoint}/${call.path}`, service: SERVICE });
    return response.body;
  }

  /** undefined for a 404. */
  async #find<T>(call: Call): Promise<T | undefined> {
    try {
      return await this.#call<T>(call);
    } catch (err) {
      if (isCloudError(err, 'notFound')) return undefined;
      throw err;
    }
  }

  async zones(signal?: AbortSignal): Promise<Zone[]> {
    return (await this.#call<{ zones?: Zone[] }>({ method: 'GET', path: 'zone', operation: 'listZones', signal })).zones ?? [];
  }

  /** Every private network of the zone (the API has neither filters nor pages). */
  async listPrivateNetworks(signal?: AbortSignal): Promise<PrivateNetwork[]> {
    return (await this.#call<{ 'private-networks'?: PrivateNetwork[] }>({ method: 'GET', path: 'private-network', operation: 'listPrivateNetworks', signal }))['private-networks'] ?? [];
  }

  getPrivateNetwork(id: string): Promise<PrivateNetwork | undefined> {
    return this.#find({ method: 'GET', path: `private-network/${encodeURIComponent(id)}`, operation: 'getPrivateNetwork' });
  }

  createPrivateNetwork(fields: PrivateNetworkFields): Promise<Operation> {
    return this.#call({ method: 'POST', path: 'private-network', operation: 'createPrivateNetwork', json: fields });
  }

  updatePrivateNetwork(id: string, fields: PrivateNetworkFields): Promise<Operation> {
    return this.#call({ method: 'PUT', path: `private-network/${encodeURIComponent(id)}`, operation: 'updatePrivateNetwork', json: fields });
  }

  /** undefined when the network is already gone. */
  deletePrivateNetwork(id: string): Promise<Operation | undefined> {
    return this.#find({ method: 'DELETE', path: `private-network/${encodeURIComponent(id)}`, operation: 'deletePrivateNetwork' });
  }

  /** Clears a field (the API's reset-field: labels), which an update cannot send empty. */
  resetPrivateNetworkField(id: string, field: 'labels'): Promise<Operation> {
    return this.#call({ method: 'DELETE', path: `private-network/${encodeURIComponent(id)}/${field}`, operation: 'resetPrivateNetworkField' });
  }

  // Attach, detach and update-ip are PUTs that are not idempotent (a repeat is refused): never repeated blindly.
  attachInstance(id: string, instanceId: string, ip?: string): Promise<Operation> {
    return this.#call({ method: 'PUT', path: `private-network/${encodeURIComponent(id)}:attach`, operation: 'attachInstanceToPrivateNetwork', json: { instance: { id: instanceId }, ...(ip ? { ip } : {}) }, idempotent: false });
  }

  detachInstance(id: string, instanceId: string): Promise<Operation> {
    return this.#call({ method: 'PUT', path: `private-network/${encodeURIComponent(id)}:detach`, operation: 'detachInstanceFromPrivateNetwork', json: { instance: { id: instanceId } }, idempotent: false });
  }

  updateInstanceIp(id: string, instanceId: string, ip: string): Promise<Operation> {
    return this.#call({ method: 'PUT', path: `private-network/${encodeURIComponent(id)}:update-ip`, operation: 'updatePrivateNetworkInstanceIp', json: { instance: { id: instanceId }, ip }, idempotent: false });
  }

  getOperation(id: string): Promise<Operation> {
    return this.#call({ method: 'GET', path: `operation/${encodeURIComponent(id)}`, operation: 'getOperation' });
  }

  async listInstances(): Promise<Instance[]> {
    return (await this.#call<{ instances?: Instance[] }>({ method: 'GET', path: 'instance', operation: 'listInstances' })).instances ?? [];
  }
}
