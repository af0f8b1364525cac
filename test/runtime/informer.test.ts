import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationV1Api, CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type EventSource } from '../../src/runtime/informer.ts';
import type { ResourceType } from '../../src/runtime/client.ts';
import { kubeConfigFor, startCluster, type LocalCluster } from './helpers.ts';
import { until } from '../support/wait.ts';

const configMaps: ResourceType = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

let cluster: LocalCluster;
let core: CoreV1Api;

beforeAll(async () => {
  cluster = await startCluster();
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of ['watched', 'elsewhere']) await core.createNamespace({ body: { metadata: { name } } });
});
afterAll(async () => {
  await cluster.server.close();
});

function record(informer: EventSource) {
  const events: string[] = [];
  const v = (o: KubernetesObject) => (o as V1ConfigMap).data?.v;
  informer.addHandlers({
    add: (o) => events.push(`add ${o.metadata?.name}`),
    update: (old, o) => events.push(`update ${o.metadata?.name} ${v(old)}->${v(o)}`),
    delete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  return events;
}

const cm = (name: string, v: string, namespace = 'watched'): V1ConfigMap => ({ metadata: { name, namespace, labels: { app: 'x' } }, data: { v } });

describe('Informer against the local API server', () => {
  it('lists, watches add/update/delete, resumes after the server closes the watch, relists after 410 Gone', async () => {
    await core.createNamespacedConfigMap({ namespace: 'watched', body: cm('before', '1') });
    await core.createNamespacedConfigMap({ namespace: 'elsewhere', body: cm('ignored', '1', 'elsewhere') });
    const informer = new Informer<V1ConfigMap>({ kubeConfig: cluster.kubeConfig, resource: configMaps, namespaces: ['watched'], watchTimeoutSeconds: 1, pageSize: 1 });
    informer.cache.addIndex('byValue', (o) => [o.data?.v ?? '']);
    const events = record(informer);
    informer.start();
    try {
      await informer.waitForSync();
      expect(informer.hasSynced()).toBe(true);
      expect(events).toEqual(['add before']);
      expect(informer.cache.get('watched', 'before')?.kind).toBe('ConfigMap');
      expect(informer.cache.get('elsewhere', 'ignored')).toBeUndefined();

      await core.createNamespacedConfigMap({ namespace: 'watched', body: cm('after', '1') });
      await core.patchNamespacedConfigMap({ namespace: 'watched', name: 'after', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
      await core.deleteNamespacedConfigMap({ namespace: 'watched', name: 'before' });
      await until('add, update, delete events', () => events.length === 4);
      expect(events).toEqual(['add before', 'add after', 'update after 1->2', 'delete before']);
      expect(informer.cache.byIndex('byValue', '2').map((o) => o.metadata?.name)).toEqual(['after']);
      expect(informer.cache.byIndex('byValue', '1')).toEqual([]);

      // The server ends each watch after 1 s; the informer resumes from its resourceVersion, no relist.
      const watches = informer.stats.watches;
      await until('two reconnections', () => informer.stats.watches >= watches + 2, 10_000);
      await core.createNamespacedConfigMap({ namespace: 'watched', body: cm('resumed', '1') });
      await until('the event after reconnecting', () => events.includes('add resumed'));
      expect(informer.stats).toMatchObject({ lists: 1, relists: 0 });
      expect(events.filter((e) => e.startsWith('add'))).toEqual(['add before', 'add after', 'add resumed']);

      // A change the informer does not see (another namespace) moves the server's revision past the
      // informer's; compaction then makes its resourceVersion too old: 410 Gone -> relist.
      await core.createNamespacedConfigMap({ namespace: 'elsewhere', body: cm('bump', '1', 'elsewhere') });
      cluster.server.compact();
      await until('a relist after 410 Gone', () => informer.stats.relists >= 1 && informer.stats.lists >= 2, 10_000);
      await core.createNamespacedConfigMap({ namespace: 'watched', body: cm('relisted', '1') });
      await until('events after the relist', () => events.includes('add relisted'));
      expect(events.filter((e) => e.startsWith('add'))).toEqual(['add before', 'add after', 'add resumed', 'add relisted']);
      expect(informer.cache.list('watched').map((o) => o.metadata?.name).sort()).toEqual(['after', 'relisted', 'resumed']);
    } finally {
      await informer.stop();
    }
  });

  it('watches all namespaces of a resource in an API group', async () => {
    const leases: ResourceType = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
    const informer = new Informer<KubernetesObject>({ kubeConfig: cluster.kubeConfig, resource: leases, backoffFloorMs: 10, backoffCapMs: 50 });
    const events = record(informer);
    informer.start();
    try {
      await informer.waitForSync();
      const api = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
      await api.createNamespacedLease({ namespace: 'elsewhere', body: { metadata: { name: 'l1' }, spec: { holderIdentity: 'a' } } });
      await api.createNamespacedLease({ namespace: 'watched', body: { metadata: { name: 'l2' }, spec: { holderIdentity: 'b' } } });
      await until('lease events from two namespaces', () => events.length === 2);
      expect(informer.cache.list().map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()).toEqual(['elsewhere/l1', 'watched/l2']);
    } finally {
      await informer.stop();
    }
  });

  it('lists an API-group resource page by page', async () => {
    const leases: ResourceType = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
    const api = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
    for (let i = 0; i < 5; i++) {
      await api.createNamespacedLease({ namespace: 'watched', body: { metadata: { name: `paged-${i}` }, spec: { holderIdentity: 'p' } } });
    }
    const informer = new Informer<KubernetesObject>({ kubeConfig: cluster.kubeConfig, resource: leases, namespaces: ['watched'], pageSize: 2 });
    informer.start();
    try {
      await informer.waitForSync();
      const names = informer.cache.list().map((o) => o.metadata?.name).filter((n) => n?.startsWith('paged-'));
      expect(names.sort()).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
      expect(informer.stats.lists).toBe(1);
    } finally {
      await informer.stop();
      for (let i = 0; i < 5; i++) await api.deleteNamespacedLease({ namespace: 'watched', name: `paged-${i}` });
    }
  });

  it('transforms what it caches; refresh re-reads one object through the transform and tells the handlers', async () => {
    await core.createNamespace({ body: { metadata: { name: 'trimmed' } } });
    for (const name of ['kept', 'slim']) await core.createNamespacedConfigMap({ namespace: 'trimmed', body: cm(name, 'big', 'trimmed') });
    const keep = new Set(['kept']);
    let release!: () => void;
    const informer = new Informer<V1ConfigMap>({
      kubeConfig: cluster.kubeConfig,
      resource: configMaps,
      namespaces: ['trimmed'],
      transform: (o) => (keep.has(o.metadata!.name!) ? o : { ...o, data: undefined }),
      startAfter: new Promise<void>((resolve) => (release = resolve)),
    });
    const events = record(informer);
    informer.start();
    try {
      await new Promise((resolve) => setImmediate(resolve));
      expect(informer.stats.lists).toBe(0);
      release();
      await informer.waitForSync();
      expect(informer.cache.get('trimmed', 'kept')?.data).toEqual({ v: 'big' });
      expect(informer.cache.get('trimmed', 'slim')?.data).toBeUndefined();
      // Watched changes go through the transform too.
      await core.patchNamespacedConfigMap({ namespace: 'trimmed', name: 'slim', body: [{ op: 'replace', path: '/data/v', value: 'bigger' }] });
      await until('the update', () => events.includes('update slim undefined->undefined'));
      expect(informer.cache.get('trimmed', 'slim')?.data).toBeUndefined();

      keep.add('slim');
      await informer.refresh('trimmed', 'slim');
      expect(informer.cache.get('trimmed', 'slim')?.data).toEqual({ v: 'bigger' });
      expect(events.at(-1)).toBe('update slim undefined->bigger');
      // A version other than the cached one is left to the watch.
      const before = events.length;
      const cached = informer.cache.get('trimmed', 'kept')!;
      informer.cache.upsert({ ...cached, metadata: { ...cached.metadata, resourceVersion: '1' } });
      await informer.refresh('trimmed', 'kept');
      expect(informer.cache.get('trimmed', 'kept')?.metadata?.resourceVersion).toBe('1');
      expect(events).toHaveLength(before);
    } finally {
      await informer.stop();
    }
  });

  it('stops promptly while it waits to start', async () => {
    const informer = new Informer({ kubeConfig: cluster.kubeConfig, resource: configMaps, startAfter: new Promise(() => undefined) });
    informer.start();
    await informer.stop();
    expect(informer.stats.lists).toBe(0);
  });

  it('retries an unreachable server with exponential backoff and stops promptly', async () => {
    const unreachable = await startCluster();
    await unreachable.server.close();
    const delays: number[] = [];
    // Records each backoff and fires it on the next turn, so no real time passes.
    const clock = { now: () => Date.now(), setTimeout: (fn: () => void, ms: number) => (delays.push(ms), setImmediate(fn)), clearTimeout: (h: unknown) => clearImmediate(h as NodeJS.Immediate) };
    const informer = new Informer({ kubeConfig: unreachable.kubeConfig, resource: configMaps, clock, backoffFloorMs: 100, backoffCapMs: 800 });
    informer.start();
    await until('six retries', () => delays.length >= 6);
    await informer.stop();
    expect(delays.slice(0, 6)).toEqual([100, 200, 400, 800, 800, 800]);
    expect(informer.hasSynced()).toBe(false);
  });
});

describe('Informer relist', () => {
  it('after a 410 Gone ERROR event relists and reports objects deleted while it was not watching', async () => {
    // A scripted API: the first list has a and b; the first watch answers 410 (as an ERROR event,
    // the way kube-apiserver reports an expired resourceVersion on an open watch); the relist has
    // only b and c; later watches stay open.
    let lists = 0;
    const watchVersions: string[] = [];
    const item = (name: string, rv: string) => ({ apiVersion: 'test.io/v1', kind: 'Widget', metadata: { name, namespace: 'x', resourceVersion: rv } });
    const server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://localhost');
      res.setHeader('content-type', 'application/json');
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        const body = lists === 1 ? { items: [item('a', '1'), item('b', '2')], metadata: { resourceVersion: '2' } } : { items: [item('b', '2'), item('c', '5')], metadata: { resourceVersion: '6' } };
        res.end(JSON.stringify({ apiVersion: 'test.io/v1', kind: 'WidgetList', ...body }));
        return;
      }
      watchVersions.push(url.searchParams.get('resourceVersion') ?? '');
      if (watchVersions.length === 1) {
        res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version: 2 (4)' } }) + '\n');
        return;
      }
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Widget', apiVersion: 'test.io/v1', metadata: { resourceVersion: '7' } } }) + '\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const informer = new Informer({
      kubeConfig: kubeConfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      resource: { group: 'test.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true },
      namespaces: ['x'],
    });
    const events = record(informer);
    informer.start();
    try {
      await until('the relist and a resumed watch', () => watchVersions.length >= 2);
      expect(events).toEqual(['add a', 'add b', 'delete a', 'add c']);
      expect(watchVersions).toEqual(['2', '6']);
      expect(informer.stats).toMatchObject({ lists: 2, relists: 1 });
      expect(informer.cache.keys().sort()).toEqual(['x/b', 'x/c']);
    } finally {
      await informer.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
