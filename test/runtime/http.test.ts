import { describe, expect, it } from 'vitest';
import { serveHttp, parseBindAddress } from '../../src/runtime/http.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { createLogger } from '../../src/runtime/log.ts';
import type { EventSource } from '../../src/runtime/informer.ts';

const silent = createLogger({ level: 'silent' });

/** The slice of an Informer a Controller uses, already synced. */
const syncedInformer = (): EventSource => ({ addHandlers: () => {}, waitForSync: async () => {} });

describe('metrics and probes', () => {
  it('serves controller-runtime metric names on /metrics and the probes on their own address', async () => {
    const metrics = new RuntimeMetrics();
    let ready = false;
    const controller = new Controller({ name: 'network', kind: 'Network', primary: syncedInformer(), reconcile: async () => {}, concurrency: 3, log: silent, metrics });
    await controller.start();
    controller.queue.add('a/n');
    await new Promise((resolve) => setImmediate(resolve));
    metrics.leaderStatus.set({ name: 'test' }, 1);
    const servers = await serveHttp({ metricsBindAddress: '127.0.0.1:0', healthProbeBindAddress: '127.0.0.1:0', registry: metrics.registry, healthz: () => true, readyz: () => ready });
    try {
      const text = await (await fetch(`http://${servers.metrics}/metrics`)).text();
      for (const name of [
        'controller_runtime_reconcile_total{controller="network",result="success"} 1',
        'controller_runtime_reconcile_total{controller="network",result="error"} 0',
        'controller_runtime_reconcile_errors_total{controller="network"} 0',
        'controller_runtime_reconcile_time_seconds_bucket{le="0.005",controller="network"}',
        'controller_runtime_max_concurrent_reconciles{controller="network"} 3',
        'controller_runtime_active_workers{controller="network"} 0',
        'workqueue_depth{name="network"} 0',
        'workqueue_adds_total{name="network"} 1',
        'workqueue_queue_duration_seconds_bucket',
        'workqueue_work_duration_seconds_bucket',
        'workqueue_retries_total',
        'workqueue_unfinished_work_seconds{name="network"} 0',
        'workqueue_longest_running_processor_seconds{name="network"} 0',
        'leader_election_master_status{name="test"} 1',
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
      ]) {
        expect(text).toContain(name);
      }
      expect((await fetch(`http://${servers.probes}/healthz`)).status).toBe(200);
      expect((await fetch(`http://${servers.probes}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`http://${servers.probes}/readyz`)).status).toBe(200);
      expect((await fetch(`http://${servers.metrics}/healthz`)).status).toBe(404);
    } finally {
      await servers.close();
      await controller.stop();
    }
  });

  it('two registries live side by side', () => {
    expect(() => [new RuntimeMetrics({ defaultMetrics: false }), new RuntimeMetrics({ defaultMetrics: false })]).not.toThrow();
  });

  it('parses Go-style bind addresses', () => {
    expect(parseBindAddress(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseBindAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseBindAddress('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
    expect(parseBindAddress('0')).toBeUndefined();
    expect(() => parseBindAddress('localhost')).toThrow(/invalid bind address/);
  });
});
