// The OpenStack provider plugin: a ProviderConfig's `openstack` settings and Secrets (a clouds.yaml,
// or explicit fields with a password, application credential or token) become an OpenStackClient.
import type { ProviderConfigSpec } from '../api/providerconfig.ts';
import { OpenStackClient } from '../cloud/openstack/client.ts';
import { CloudConfigError, parseCloudEntry, parseCloudsYaml, type OpenStackCloudConfig } from '../cloud/openstack/config.ts';
import { ConfigError, type Provider, type ReadSecret, type SecretRef } from '../reconcile/provider.ts';

type OpenStackSpec = NonNullable<ProviderConfigSpec['openstack']>;

interface Settings {
  cloud: OpenStackCloudConfig;
  caBundle: string | undefined;
  rateLimit: ProviderConfigSpec['rateLimit'];
  /** What says that TLS verification is off, when it is. */
  insecureTLS: string | undefined;
}

/** Why the settings turn TLS verification off (the spec, or the clouds.yaml), or undefined when they do not. */
function insecureTLS(os: OpenStackSpec, cloud: OpenStackCloudConfig): string | undefined {
  const setting = os.insecureSkipTLSVerify ? 'spec.openstack.insecureSkipTLSVerify is true' : cloud.verify ? undefined : 'the clouds.yaml entry sets verify: false';
  return (
    setting &&
    `TLS certificate verification is off (${setting}): anyone on the network path can pose as the cloud and read the credentials; meant for tests, trust a private CA with caBundleSecretRef instead`
  );
}

function secretRefs(spec: ProviderConfigSpec): SecretRef[] {
  const os = spec.openstack;
  const refs: [{ name: string; key: string } | undefined, string][] = [
    [os?.credentialsSecretRef, 'credentialsSecretRef'],
    [os?.caBundleSecretRef, 'caBundleSecretRef'],
    [os?.auth?.passwordSecretRef, 'auth.passwordSecretRef'],
    [os?.auth?.applicationCredentialSecretRef, 'auth.applicationCredentialSecretRef'],
    [os?.auth?.tokenSecretRef, 'auth.tokenSecretRef'],
  ];
  return refs.flatMap(([ref, field]) => (ref ? [{ ...ref, field }] : []));
}

/** Reads the Secret a field names, when the spec names one. */
function reader(read: ReadSecret) {
  return (ref: { name: string; key: string } | undefined, field: string): string | undefined => (ref ? read({ ...ref, field }) : undefined);
}

/** The auth settings: from the clouds.yaml entry, or from the explicit fields. */
function cloudOf(os: OpenStackSpec, read: ReadSecret): OpenStackCloudConfig {
  const secret = reader(read);
  if (os.credentialsSecretRef) return parseCloudsYaml(secret(os.credentialsSecretRef, 'credentialsSecretRef')!, os.cloud ?? '');
  const a = os.auth!;
  return parseCloudEntry({
    auth_type: a.type,
    auth: {
      auth_url: a.authURL,
      username: a.username,
      user_id: a.userID,
      user_domain_name: a.userDomainName,
      user_domain_id: a.userDomainID,
      project_name: a.projectName,
      project_id: a.projectID,
      project_domain_name: a.projectDomainName,
      project_domain_id: a.projectDomainID,
      domain_name: a.domainName,
      domain_id: a.domainID,
      application_credential_id: a.applicationCredentialID,
      application_credential_name: a.applicationCredentialName,
      password: secret(a.passwordSecretRef, 'auth.passwordSecretRef'),
      application_credential_secret: secret(a.applicationCredentialSecretRef, 'auth.applicationCredentialSecretRef'),
      token: secret(a.tokenSecretRef, 'auth.tokenSecretRef'),
    },
  });
}

export const openstack: Provider<OpenStackClient, Settings> = {
  name: 'openstack',
  secretRefs,
  settings(spec, read) {
    const os = spec.openstack;
    if (!os) throw new ConfigError('spec.openstack is required for provider openstack');
    let cloud: OpenStackCloudConfig;
    try {
      cloud = cloudOf(os, read);
    } catch (err) {
      if (err instanceof CloudConfigError) throw new ConfigError(err.message);
      throw err;
    }
    const overrides = Object.fromEntries(Object.entries(os.endpointOverrides ?? {}).filter(([, url]) => url !== undefined));
    return {
      cloud: {
        ...cloud,
        regionName: os.region ?? cloud.regionName,
        interface: os.interface ?? cloud.interface,
        endpointOverrides: { ...cloud.endpointOverrides, ...overrides },
        verify: cloud.verify && !os.insecureSkipTLSVerify,
      },
      caBundle: reader(read)(os.caBundleSecretRef, 'caBundleSecretRef'),
      rateLimit: spec.rateLimit,
      insecureTLS: insecureTLS(os, cloud),
    };
  },
  connect: (settings, context) =>
    new OpenStackClient({
      cloud: settings.cloud,
      caBundle: settings.caBundle,
      rateLimit: settings.rateLimit,
      registry: context.metrics,
      logger: context.log,
      timeoutMs: context.timeoutMs,
      retry: context.retry,
      userAgent: context.userAgent,
      mayWrite: context.mayWrite,
    }),
  // Same TLS settings and rate limit: keep the client (its token bucket and connections), swap credentials and endpoints.
  reconfigure: (client, previous, next) =>
    previous.caBundle === next.caBundle && JSON.stringify(previous.rateLimit) === JSON.stringify(next.rateLimit) && client.update(next.cloud),
  async probe(client, signal) {
    const { networkEndpoint, projectId } = await client.probe(signal);
    return { message: `authenticated; network endpoint ${networkEndpoint}`, endpoints: { network: networkEndpoint }, ...(projectId ? { projectID: projectId } : {}) };
  },
  insecureTLS: (settings) => settings.insecureTLS,
  close: (client) => client.close(),
};
