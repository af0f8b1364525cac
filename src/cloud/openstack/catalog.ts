import { parseEndpoint } from '../errors.ts';
import type { EndpointInterface, ServiceType } from './config.ts';

/** Keystone v3 service catalog, as in the token body and GET /v3/auth/catalog. */
export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface EndpointQuery {
  type: ServiceType;
  interface: EndpointInterface;
  regionName?: string;
}

/** Version segment each client speaks; catalogs and overrides may or may not include it. */
export const SERVICE_VERSIONS: Record<ServiceType, string> = {
  identity: 'v3',
  network: 'v2.0',
  compute: 'v2.1',
  image: 'v2',
};

/**
 * The endpoint URL for a service type, interface and (optional) region, or undefined.
 * Without a region the first matching endpoint wins, as in openstacksdk.
 */
export function findEndpoint(catalog: readonly CatalogService[], query: EndpointQuery): string | undefined {
  for (const service of catalog) {
    if (service.type !== query.type) continue;
    const endpoint = service.endpoints.find(
      (candidate) =>
        candidate.interface.replace(/URL$/, '') === query.interface &&
        (query.regionName === undefined ||
          candidate.region_id === query.regionName ||
          candidate.region === query.regionName),
    );
    if (endpoint) return endpoint.url;
  }
  return undefined;
}

/** Regions that offer a service type, for error messages that say what would have worked. */
export function regionsOffering(catalog: readonly CatalogService[], type: ServiceType): string[] {
  const regions = new Set<string>();
  for (const service of catalog) {
    if (service.type !== type) continue;
    for (const endpoint of service.endpoints) {
      const region = endpoint.region_id ?? endpoint.region;
      if (region) regions.add(`${region}/${endpoint.interface}`);
    }
  }
  return [...regions].sort();
}

/**
 * Base URL including the API version, keeping any path prefix: `https://api.x/networking`
 * and `https://api.x/networking/v2.0/` both give `https://api.x/networking/v2.0`. A URL that
 * already has a version segment (even followed by a project id, as Nova's often is) is kept.
 * `what`: where the URL came from, for the error when it does not parse.
 */
export function versionedBaseUrl(url: string, version: string, what: string): string {
  const parsed = parseEndpoint(url, what);
  const path = parsed.pathname.replace(/\/+$/, '');
  const hasVersion = path.split('/').some((segment) => /^v\d+(\.\d+)?$/.test(segment));
  parsed.pathname = hasVersion ? path : `${path}/${version}`;
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** The versioned base URL without what follows the version segment (a project id in some Nova catalogs). */
export function versionRoot(baseUrl: string): string {
  const parsed = new URL(baseUrl);
  const segments = parsed.pathname.split('/');
  const version = segments.findIndex((segment) => /^v\d+(\.\d+)?$/.test(segment));
  if (version >= 0) parsed.pathname = segments.slice(0, version + 1).join('/');
  return parsed.toString().replace(/\/+$/, '');
}
