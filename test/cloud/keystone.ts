import type { CatalogService } from '../../src/cloud/openstack/catalog.ts';
import type { Reply } from './server.ts';

/** A Keystone v3 token answer (201 + X-Subject-Token) in the shape real Keystone sends. */
export function tokenReply(
  token: string,
  options: { catalog?: CatalogService[]; issuedAt?: number; lifetimeMs?: number; /** Keystone's clock minus ours. */ clockSkewMs?: number } = {},
): Reply {
  const issuedAt = options.issuedAt ?? Date.now() + (options.clockSkewMs ?? 0);
  const expiresAt = issuedAt + (options.lifetimeMs ?? 3_600_000);
  // Keystone prints microseconds: 2026-11-24T23:00:00.000000Z.
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  return {
    status: 201,
    headers: { 'x-subject-token': token },
    body: {
      token: {
        methods: ['password'],
        user: { domain: { id: 'default', name: 'Default' }, id: 'u1', name: 'demo', password_expires_at: null },
        audit_ids: ['x'],
        expires_at: iso(expiresAt),
        issued_at: iso(issuedAt),
        project: { domain: { id: 'default', name: 'Default' }, id: 'p1', name: 'demo' },
        is_domain: false,
        roles: [{ id: 'r1', name: 'member' }],
        catalog: options.catalog ?? [],
      },
    },
  };
}

/** A catalog with a network service in each of the given regions, each under its own path prefix. */
export function networkCatalog(baseUrl: string, regions: string[] = ['RegionOne']): CatalogService[] {
  return [
    {
      type: 'identity',
      name: 'keystone',
      endpoints: [{ interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: `${baseUrl}/identity/v3` }],
    },
    {
      type: 'network',
      name: 'neutron',
      endpoints: regions.flatMap((region) =>
        (['public', 'internal', 'admin'] as const).map((iface) => ({
          id: `${region}-${iface}`,
          interface: iface,
          region,
          region_id: region,
          url: `${baseUrl}/${region}-${iface}/`,
        })),
      ),
    },
  ];
}

export const UNAUTHORIZED: Reply = {
  status: 401,
  headers: { 'www-authenticate': 'Keystone uri="http://127.0.0.1:5000"' },
  body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } },
};
