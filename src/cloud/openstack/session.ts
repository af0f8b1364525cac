import { CloudError, isCloudError } from '../errors.ts';
import type { HttpClient, HttpRequest, HttpResponse } from '../http.ts';
import type { KeystoneAuth, Token } from './auth.ts';
import { findEndpoint, regionsOffering, SERVICE_VERSIONS, versionedBaseUrl, versionRoot } from './catalog.ts';
import type { EndpointInterface, ServiceType } from './config.ts';

export interface EndpointSettings {
  regionName?: string;
  interface: EndpointInterface;
  endpointOverrides: Partial<Record<ServiceType, string>>;
}

export interface ServiceRequest extends Omit<HttpRequest, 'url' | 'service'> {
  /** Relative to the service's versioned base URL, e.g. `networks/abc`. */
  path: string;
  /** The path is relative to the version segment itself (Nova's version document), not to a project id after it. */
  fromVersionRoot?: boolean;
}

/**
 * Authenticated requests to one OpenStack service: resolves the endpoint (override, else the
 * token's catalog), adds X-Auth-Token, and re-authenticates exactly once on a 401.
 */
export class OpenStackSession {
  readonly #http: HttpClient;
  readonly #auth: KeystoneAuth;
  #endpoints: EndpointSettings;

  constructor(http: HttpClient, auth: KeystoneAuth, endpoints: EndpointSettings) {
    this.#http = http;
    this.#auth = auth;
    this.#endpoints = endpoints;
  }

  setEndpoints(endpoints: EndpointSettings): void {
    this.#endpoints = endpoints;
  }

  /** The versioned base URL of a service, e.g. `https://api.x/networking/v2.0`. */
  async endpoint(service: ServiceType, signal?: AbortSignal): Promise<string> {
    return this.#endpointFor(service, await this.#auth.token(signal));
  }

  async request<T = unknown>(service: ServiceType, req: ServiceRequest): Promise<HttpResponse<T>> {
    const { fromVersionRoot, ...request } = req;
    const send = (token: Token) => {
      const base = this.#endpointFor(service, token);
      return this.#http.request<T>({
        ...request,
        service,
        url: `${fromVersionRoot ? versionRoot(base) : base}/${req.path.replace(/^\/+/, '')}`,
        headers: { ...req.headers, 'x-auth-token': token.value },
      });
    };
    const token = await this.#auth.token(req.signal);
    try {
      return await send(token);
    } catch (err) {
      if (!isCloudError(err) || err.status !== 401) throw err;
      return send(await this.#auth.refresh(token, req.signal));
    }
  }

  #endpointFor(service: ServiceType, token: Token): string {
    const version = SERVICE_VERSIONS[service];
    const override = this.#endpoints.endpointOverrides[service];
    if (override !== undefined) return versionedBaseUrl(override, version, `endpointOverrides.${service}`);
    const query = { type: service, interface: this.#endpoints.interface, regionName: this.#endpoints.regionName };
    const url = findEndpoint(token.catalog, query);
    if (url !== undefined) return versionedBaseUrl(url, version, `the catalog's ${service} endpoint`);
    const offered = regionsOffering(token.catalog, service);
    const where = `${this.#endpoints.interface} endpoint${query.regionName ? ` in region ${query.regionName}` : ''}`;
    throw new CloudError({
      provider: this.#http.provider,
      service,
      operation: 'resolveEndpoint',
      code: 'EndpointNotFound',
      message:
        token.catalog.length === 0
          ? `no service catalog (token auth): set ${service}_endpoint_override`
          : `the catalog has no ${service} ${where} (offered: ${offered.join(', ') || 'none'})`,
      kind: 'terminal',
    });
  }
}
