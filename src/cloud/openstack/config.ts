import { load } from 'js-yaml';

/**
 * OpenStack connection settings in the clouds.yaml vocabulary (openstacksdk), so a Secret can
 * carry the same clouds.yaml the `openstack` CLI reads, or the same fields one by one.
 */

export type ServiceType = 'identity' | 'network' | 'compute' | 'image';
export type EndpointInterface = 'public' | 'internal' | 'admin';
export type AuthType = 'password' | 'applicationCredential' | 'token';

export interface OpenStackAuth {
  type: AuthType;
  /** Keystone v3 URL; required except for token auth with endpoint overrides. */
  authUrl?: string;
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  token?: string;
}

export interface OpenStackCloudConfig {
  auth: OpenStackAuth;
  regionName?: string;
  interface: EndpointInterface;
  /** Fixed service URLs (with or without the version segment, any path prefix). */
  endpointOverrides: Partial<Record<ServiceType, string>>;
  /** clouds.yaml `cacert`: a file path; the PEM itself comes from the ProviderConfig's Secret. */
  cacertFile?: string;
  /** TLS verification; on unless explicitly disabled. */
  verify: boolean;
}

export class CloudConfigError extends Error {
  override readonly name = 'CloudConfigError';
}

const SERVICE_TYPES: ServiceType[] = ['identity', 'network', 'compute', 'image'];

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CloudConfigError(`${what} must be a mapping`);
  }
  return value as Record<string, unknown>;
}

/** YAML turns `password: 123456` into a number; credentials are always strings. */
function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function parseInterface(value: unknown): EndpointInterface {
  const name = (str(value) ?? 'public').replace(/URL$/, '');
  if (name === 'public' || name === 'internal' || name === 'admin') return name;
  throw new CloudConfigError(`interface must be public, internal or admin, got "${name}"`);
}

function parseAuthType(value: unknown, auth: Record<string, unknown>): AuthType {
  const name = str(value);
  if (name === undefined) {
    if (auth.application_credential_secret !== undefined) return 'applicationCredential';
    if (auth.token !== undefined && auth.password === undefined) return 'token';
    return 'password';
  }
  if (name === 'password' || name === 'v3password') return 'password';
  if (name === 'v3applicationcredential' || name === 'applicationcredential') return 'applicationCredential';
  if (name === 'token' || name === 'v3token' || name === 'admin_token') return 'token';
  throw new CloudConfigError(
    `auth_type "${name}" is not supported (use password, v3applicationcredential or token)`,
  );
}

function validate(config: OpenStackCloudConfig): OpenStackCloudConfig {
  const { auth } = config;
  const missing = (what: string) => new CloudConfigError(`${auth.type} auth needs ${what}`);
  if (auth.type !== 'token' && auth.authUrl === undefined) throw missing('auth.auth_url');
  if (auth.type === 'password') {
    if (auth.password === undefined) throw missing('auth.password');
    if (auth.userId === undefined && auth.username === undefined) throw missing('auth.username or auth.user_id');
    if (auth.userId === undefined && auth.userDomainId === undefined && auth.userDomainName === undefined) {
      throw missing('auth.user_domain_name or auth.user_domain_id (a username is unique only within a domain)');
    }
    // Neutron and Nova resources live in a project; an unscoped token has no catalog either.
    if (auth.projectId === undefined && auth.projectName === undefined) {
      throw missing('auth.project_id or auth.project_name');
    }
    if (
      auth.projectName !== undefined &&
      auth.projectDomainId === undefined &&
      auth.projectDomainName === undefined
    ) {
      throw missing('auth.project_domain_name or auth.project_domain_id with auth.project_name');
    }
  }
  if (auth.type === 'applicationCredential') {
    if (auth.applicationCredentialSecret === undefined) throw missing('auth.application_credential_secret');
    if (auth.applicationCredentialId === undefined) {
      if (auth.applicationCredentialName === undefined) {
        throw missing('auth.application_credential_id or auth.application_credential_name');
      }
      if (auth.userId === undefined && auth.username === undefined) {
        throw missing('auth.user_id or auth.username with an application credential name');
      }
    }
  }
  if (auth.type === 'token' && auth.token === undefined) throw missing('auth.token');
  return config;
}

/** One `clouds.<name>` entry (or the same fields given explicitly) to a validated config. */
export function parseCloudEntry(entry: unknown): OpenStackCloudConfig {
  const cloud = asRecord(entry, 'cloud entry');
  const rawAuth = asRecord(cloud.auth ?? {}, 'auth');
  // openstacksdk: a bare domain_id/domain_name with a project scope applies to user and project.
  const hasProject = rawAuth.project_id !== undefined || rawAuth.project_name !== undefined;
  const sharedDomainId = hasProject ? str(rawAuth.domain_id) : undefined;
  const sharedDomainName = hasProject ? str(rawAuth.domain_name) : undefined;
  const userDomainId = str(rawAuth.user_domain_id) ?? sharedDomainId;
  const userDomainName = str(rawAuth.user_domain_name) ?? (userDomainId ? undefined : sharedDomainName);
  const projectDomainId = str(rawAuth.project_domain_id) ?? sharedDomainId;
  const projectDomainName = str(rawAuth.project_domain_name) ?? (projectDomainId ? undefined : sharedDomainName);
  const auth: OpenStackAuth = {
    type: parseAuthType(cloud.auth_type, rawAuth),
    authUrl: str(rawAuth.auth_url),
    username: str(rawAuth.username) ?? str(rawAuth.user_name),
    userId: str(rawAuth.user_id),
    password: str(rawAuth.password),
    userDomainName,
    userDomainId,
    projectName: str(rawAuth.project_name) ?? str(rawAuth.tenant_name),
    projectId: str(rawAuth.project_id) ?? str(rawAuth.tenant_id),
    projectDomainName,
    projectDomainId,
    applicationCredentialId: str(rawAuth.application_credential_id),
    applicationCredentialName: str(rawAuth.application_credential_name),
    applicationCredentialSecret: str(rawAuth.application_credential_secret),
    token: str(rawAuth.token),
  };
  const endpointOverrides: Partial<Record<ServiceType, string>> = {};
  for (const service of SERVICE_TYPES) {
    const url = str(cloud[`${service}_endpoint_override`]);
    if (url !== undefined) endpointOverrides[service] = url;
  }
  const verify = cloud.verify === undefined ? true : cloud.verify !== false && cloud.verify !== 'false';
  return validate({
    auth,
    regionName: str(cloud.region_name),
    interface: parseInterface(cloud.interface ?? cloud.endpoint_type),
    endpointOverrides,
    cacertFile: str(cloud.cacert),
    verify,
  });
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || typeof over !== 'object' || over === null) {
    return over === undefined ? base : over;
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) out[key] = deepMerge(out[key], value);
  return out;
}

/**
 * Reads `clouds.<cloudName>` from a clouds.yaml text, merged with an optional secure.yaml
 * (the openstacksdk convention for keeping passwords in a second file).
 */
export function parseCloudsYaml(cloudsYaml: string, cloudName: string, secureYaml?: string): OpenStackCloudConfig {
  const document = (text: string, file: string) => {
    try {
      return asRecord(load(text), file);
    } catch (err) {
      // js-yaml quotes the offending line, which may hold a password: keep only the reason.
      const reason = err instanceof Error && 'reason' in err ? String(err.reason) : 'invalid YAML';
      throw new CloudConfigError(`${file}: ${reason}`);
    }
  };
  const clouds = asRecord(document(cloudsYaml, 'clouds.yaml').clouds ?? {}, 'clouds.yaml "clouds"');
  const secure =
    secureYaml === undefined ? {} : asRecord(document(secureYaml, 'secure.yaml').clouds ?? {}, 'secure.yaml "clouds"');
  const entry = deepMerge(clouds[cloudName], secure[cloudName]);
  if (entry === undefined) {
    const names = Object.keys(clouds).join(', ') || 'none';
    throw new CloudConfigError(`cloud "${cloudName}" not found in clouds.yaml (clouds: ${names})`);
  }
  return parseCloudEntry(entry);
}

/** Values the redactor must know for this configuration. */
export function secretsOf(auth: OpenStackAuth): Array<string | undefined> {
  return [auth.password, auth.applicationCredentialSecret, auth.token];
}
