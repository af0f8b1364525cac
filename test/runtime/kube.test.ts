import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseConfig } from '../../src/config.ts';
import { Manager } from '../../src/manager.ts';
import { ResourceClient, type ResourceType } from '../../src/runtime/client.ts';
import { markReady } from '../../src/runtime/conditions.ts';
import { EventRecorder, kubeEventSink } from '../../src/runtime/events.ts';
import { addFinalizer, FINALIZER, removeFinalizer } from '../../src/runtime/finalizers.ts';
import { createLogger } from '../../src/runtime/log.ts';
import { patchStatus } from '../../src/runtime/status.ts';
import { startCluster, type LocalCluster } from './helpers.ts';
import { until } from '../support/wait.ts';

const widgets: ResourceType = { group: 'test.cloudnet.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
type Widget = KubernetesObject & { spec?: { size?: number }; status?: { conditions?: unknown[]; observed?: number } };

let cluster: LocalCluster;
let custom: CustomObjectsApi;

beforeAll(async () => {
  cluster = await startCluster();
  custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  await cluster.kubeConfig.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
    body: {
      metadata: { name: 'widgets.test.cloudnet.io' },
      spec: {
        group: 'test.cloudnet.io',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  status: {
                    type: 'object',
                    properties: {
                      observed: { type: 'integer' },
                      conditions: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: Object.fromEntries(
                            ['type', 'status', 'reason', 'message', 'lastTransitionTime'].map((f) => [f, { type: 'string' }]).concat([['observedGeneration', { type: 'integer' }]]),
                          ),
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
  // The CRD's resources are served once it is established.
  await until('the widgets resource', () => custom.listNamespacedCustomObject({ ...widgets, namespace: 'default' }).then(() => true, () => false));
});
afterAll(async () => {
  await cluster.server.close();
});

const createWidget = (name: string): Promise<Widget> =>
  custom.createNamespacedCustomObject({ ...widgets, namespace: 'default', body: { apiVersion: 'test.cloudnet.io/v1', kind: 'Widget', metadata: { name }, spec: { size: 1 } } });

describe('runtime helpers against the local API server', () => {
  it('finalizers and status patches are conditional on resourceVersion and retry conflicts', async () => {
    const client = new ResourceClient<Widget>(cluster.kubeConfig, widgets);
    const widget = await createWidget('w1');
    // A merge patch carrying a stale resourceVersion is a 409, which is what makes these safe.
    await client.patch('default', 'w1', { metadata: { labels: { touched: 'yes' } } });
    await expect(client.patch('default', 'w1', { metadata: { resourceVersion: widget.metadata!.resourceVersion, finalizers: ['x'] } })).rejects.toMatchObject({ code: 409 });

    const withFinalizer = await addFinalizer(client, widget); // stale copy: conflict, refetch, retry
    expect(withFinalizer?.metadata?.finalizers).toEqual([FINALIZER]);
    expect(withFinalizer?.metadata?.labels).toEqual({ touched: 'yes' });

    const now = new Date();
    const patched = await patchStatus(client, widget, (current) => ({ observed: current.spec?.size, conditions: markReady([], { reason: 'Available', message: 'ok' }, current.metadata?.generation, now) }));
    expect(patched?.status).toMatchObject({ observed: 1, conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] });

    await custom.deleteNamespacedCustomObject({ ...widgets, namespace: 'default', name: 'w1' });
    const deleting = await client.get('default', 'w1');
    expect(deleting?.metadata?.deletionTimestamp).toBeDefined();
    await removeFinalizer(client, deleting!);
    await until('the widget to be gone', async () => (await client.get('default', 'w1')) === undefined);
  });

  it('works the same on core resources', async () => {
    const secrets = new ResourceClient(cluster.kubeConfig, { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true });
    await cluster.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'clouds' }, stringData: { 'clouds.yaml': 'x' } } });
    const secret = await secrets.get('default', 'clouds');
    expect(typeof secret?.metadata?.creationTimestamp).toBe('string');
    const updated = await addFinalizer(secrets, secret!);
    expect(updated?.metadata?.finalizers).toEqual([FINALIZER]);
    expect((await secrets.list({ namespace: 'default' })).items.map((s) => s.metadata?.name)).toContain('clouds');
    await removeFinalizer(secrets, updated!);
    expect((await secrets.get('default', 'clouds'))?.metadata?.finalizers ?? []).toEqual([]);
    expect(await secrets.get('default', 'missing')).toBeUndefined();
  });

  it('records Events and aggregates repeats with a patch', async () => {
    const widget = await createWidget('w2');
    const recorder = new EventRecorder({ sink: kubeEventSink(cluster.kubeConfig), instance: 'test_1' });
    recorder.event(widget, 'Warning', 'TransientError', 'cloud answered 503');
    recorder.event(widget, 'Warning', 'TransientError', 'cloud answered 503');
    recorder.event(widget, 'Normal', 'Created', 'created');
    await recorder.flush();
    const events = (await cluster.kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'w2');
    expect(events.map((e) => [e.reason, e.count]).sort()).toEqual([['Created', 1], ['TransientError', 2]]);
    expect(events[0]).toMatchObject({ involvedObject: { kind: 'Widget', uid: widget.metadata!.uid }, reportingComponent: 'cloudnet.io/cloudnet-operator' });
  });
});

describe('Manager', () => {
  it('runs registered controllers, is ready once synced, and shuts down gracefully', async () => {
    const parsed = parseConfig(['--no-leader-elect', '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0', '--namespaces', 'default']);
    if (parsed.help) throw new Error('unexpected help');
    const reconciled: string[] = [];
    const manager = new Manager({
      config: parsed.config,
      kubeConfig: cluster.kubeConfig,
      log: createLogger({ level: 'silent' }),
      controllers: [
        {
          name: 'widget',
          kind: 'Widget',
          setup: (ctx) => ({
            primary: ctx.informer(widgets),
            reconcile: async (key) => {
              reconciled.push(key);
              if (key === 'default/slow') await new Promise((resolve) => setTimeout(resolve, 300));
              if (key === 'default/slow') order.push('slow reconcile finished');
            },
          }),
        },
      ],
    });
    const order: string[] = [];
    const run = manager.run().then((code) => {
      order.push('manager stopped');
      return code;
    });
    try {
      await until('the manager to be ready', () => manager.ready());
      expect((await fetch(`http://${manager.addresses.probes}/readyz`)).status).toBe(200);
      await createWidget('w3');
      await until('a reconcile of the new widget', () => reconciled.includes('default/w3'));
      const metrics = await (await fetch(`http://${manager.addresses.metrics}/metrics`)).text();
      expect(metrics).toContain('controller_runtime_reconcile_total{controller="widget",result="success"}');
      await createWidget('slow');
      await until('the slow reconcile to start', () => reconciled.includes('default/slow'));
    } finally {
      manager.shutdown('test');
    }
    expect(await run).toBe(0);
    // Shutdown waited for the reconcile in flight.
    expect(order).toEqual(['slow reconcile finished', 'manager stopped']);
  });
});
