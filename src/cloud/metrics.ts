import { Counter, Histogram, type Registry } from 'prom-client';

/** Per-request cloud API metrics; labels are fixed vocabularies, never URLs or IDs. */
export interface CloudApiMetrics {
  requests: Counter<'provider' | 'service' | 'operation' | 'code'>;
  duration: Histogram<'provider' | 'service' | 'operation'>;
}

// Many clients (one per ProviderConfig) share one registry, which refuses duplicate names.
const byRegistry = new WeakMap<Registry, CloudApiMetrics>();

export function cloudApiMetrics(registry: Registry): CloudApiMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics === undefined) {
    metrics = {
      requests: new Counter({
        name: 'cloudnet_cloud_api_requests_total',
        help: 'Cloud API requests by provider, service, operation and HTTP status (or error/timeout).',
        labelNames: ['provider', 'service', 'operation', 'code'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'cloudnet_cloud_api_request_duration_seconds',
        help: 'Cloud API request latency in seconds, per attempt.',
        labelNames: ['provider', 'service', 'operation'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
