// The Exoscale provider plugin: a ProviderConfig's `exoscale` settings (zone, optional endpoint) and
// the API key and secret from Secrets become an ExoscaleClient for that zone.
import type { ProviderConfigSpec } from '../api/providerconfig.ts';
import { CloudError } from '../cloud/errors.ts';
import { ExoscaleClient, zoneEndpoint, type ExoscaleCredentials } from '../cloud/exoscale/client.ts';
import { ConfigError, type Provider, type SecretRef } from '../reconcile/provider.ts';

interface Settings {
  zone: string;
  endpoint: string;
  credentials: ExoscaleCredentials;
  rateLimit: ProviderConfigSpec['rateLimit'];
}

function secretRefs(spec: ProviderConfigSpec): SecretRef[] {
  const exo = spec.exoscale;
  return exo
    ? [
        { ...exo.apiKeySecretRef, field: 'apiKeySecretRef' },
        { ...exo.apiSecretSecretRef, field: 'apiSecretSecretRef' },
      ]
    : [];
}

export const exoscale: Provider<ExoscaleClient, Settings> = {
  name: 'exoscale',
  secretRefs,
  settings(spec, read) {
    const exo = spec.exoscale;
    if (!exo) throw new ConfigError('spec.exoscale is required for provider exoscale');
    const [key, secret] = secretRefs(spec).map((ref) => read(ref).trim());
    if (!key || !secret) throw new ConfigError('the API key and secret Secrets must not be empty');
    return { zone: exo.zone, endpoint: exo.endpoint ?? zoneEndpoint(exo.zone), credentials: { apiKey: key, apiSecret: secret }, rateLimit: spec.rateLimit };
  },
  connect: (settings, context) =>
    new ExoscaleClient({
      zone: settings.zone,
      endpoint: settings.endpoint,
      credentials: settings.credentials,
      registry: context.metrics,
      rateLimit: settings.rateLimit,
      timeoutMs: context.timeoutMs,
      retry: context.retry,
      logger: context.log,
      operationPollMs: context.operationPollMs,
      userAgent: context.userAgent,
      mayWrite: context.mayWrite,
    }),
  // The same zone, endpoint and rate limit: keep the client (its token bucket and connections), swap the credentials.
  reconfigure(client, previous, next) {
    if (previous.zone !== next.zone || previous.endpoint !== next.endpoint || JSON.stringify(previous.rateLimit) !== JSON.stringify(next.rateLimit)) return false;
    client.setCredentials(next.credentials);
    return true;
  },
  async probe(client, signal) {
    // A signed request: a wrong key or secret is refused here, before any object uses the client.
    const zones = (await client.zones(signal)).flatMap((z) => (z.name ? [z.name] : []));
    if (!zones.includes(client.zone)) {
      const message = `zone ${client.zone} is not one of the API's zones (${zones.join(', ')}): fix spec.exoscale.zone`;
      throw new CloudError({ provider: 'exoscale', service: 'api', operation: 'listZones', code: 'UnknownZone', kind: 'terminal', message });
    }
    return { message: `authenticated; zone ${client.zone} at ${client.endpoint}`, endpoints: { api: client.endpoint } };
  },
  close: (client) => client.close(),
};
