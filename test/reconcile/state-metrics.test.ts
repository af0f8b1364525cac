// The state metrics: per kind and state from what the informer caches hold at scrape time, and the
// age of the oldest object that is not Ready.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ManagedObject } from '../../src/reconcile/adapter.ts';
import { registerStateMetrics } from '../../src/reconcile/state-metrics.ts';

const NOW = Date.parse('2026-01-01T01:00:00Z');

function obj(name: string, created: string, conditions: { type: string; status: string; reason: string; lastTransitionTime?: string }[] = []): ManagedObject {
  return {
    apiVersion: 'cloudnet.io/v1alpha1',
    kind: 'Network',
    metadata: { name, namespace: 'ns', creationTimestamp: created as unknown as Date },
    spec: { providerConfigRef: { name: 'cloud' } },
    status: { conditions: conditions.map((c) => ({ message: '', lastTransitionTime: created, ...c })) },
  } as ManagedObject;
}

async function scrape(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values) out[`${metric.name}{${Object.entries(v.labels).map(([k, l]) => `${k}=${l}`).join(',')}}`] = v.value;
  }
  return out;
}

describe('state metrics', () => {
  it('count each kind by state and give the age of the oldest not-Ready object, as the caches hold them at scrape time', async () => {
    const networks: ManagedObject[] = [
      obj('ready', '2026-01-01T00:00:00Z', [{ type: 'Ready', status: 'True', reason: 'Available' }]),
      obj('stalled', '2026-01-01T00:00:00Z', [
        { type: 'Ready', status: 'False', reason: 'InvalidConfiguration', lastTransitionTime: '2026-01-01T00:30:00Z' },
        { type: 'Stalled', status: 'True', reason: 'InvalidConfiguration' },
      ]),
      obj('waiting', '2026-01-01T00:50:00Z', [
        { type: 'Ready', status: 'False', reason: 'WaitingForDependency', lastTransitionTime: '2026-01-01T00:50:00Z' },
        { type: 'Reconciling', status: 'True', reason: 'WaitingForDependency' },
      ]),
      obj('busy', '2026-01-01T00:55:00Z', [
        { type: 'Ready', status: 'False', reason: 'CloudBusy', lastTransitionTime: '2026-01-01T00:55:00Z' },
        { type: 'Reconciling', status: 'True', reason: 'CloudBusy' },
      ]),
      // Not reconciled yet: no conditions, not Ready since its creation.
      obj('new', '2026-01-01T00:59:00Z'),
    ];
    const registry = new Registry();
    const kinds = new Map([
      ['Network', { list: () => networks }],
      ['Subnet', { list: (): ManagedObject[] => [] }],
    ]);
    registerStateMetrics(registry, kinds, () => NOW);

    expect(await scrape(registry)).toEqual({
      'cloudnet_objects{kind=Network,state=Ready}': 1,
      'cloudnet_objects{kind=Network,state=NotReady}': 4,
      'cloudnet_objects{kind=Network,state=Reconciling}': 2,
      'cloudnet_objects{kind=Network,state=Stalled}': 1,
      'cloudnet_objects{kind=Network,state=Waiting}': 1,
      'cloudnet_objects{kind=Subnet,state=Ready}': 0,
      'cloudnet_objects{kind=Subnet,state=NotReady}': 0,
      'cloudnet_objects{kind=Subnet,state=Reconciling}': 0,
      'cloudnet_objects{kind=Subnet,state=Stalled}': 0,
      'cloudnet_objects{kind=Subnet,state=Waiting}': 0,
      // The stalled one: not Ready since 00:30.
      'cloudnet_oldest_not_ready_seconds{kind=Network}': 1800,
      'cloudnet_oldest_not_ready_seconds{kind=Subnet}': 0,
    });

    // Read afresh at every scrape: everything Ready now.
    networks.splice(1);
    expect(await scrape(registry)).toMatchObject({ 'cloudnet_objects{kind=Network,state=NotReady}': 0, 'cloudnet_oldest_not_ready_seconds{kind=Network}': 0 });
  });
});
