import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiextensionsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig, PatchStrategy, Watch, loadYaml, makeInformer, setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { startKubeApiServer } from '../../dev/kube/server.ts';
import type { KubeApiServer } from '../../dev/kube/server.ts';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import { failure, fixtureText } from './helpers.ts';
import { until } from '../support/wait.ts';

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const GROUP = 'test.cloudnet.io';
const VERSION = 'v1alpha1';
const PLURAL = 'networks';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let server: KubeApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let crds: ApiextensionsV1Api;

function network(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Obj {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'Network', metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

async function createNetwork(namespace: string, body: Obj): Promise<Obj> {
  return (await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body })) as Obj;
}

async function getNetwork(namespace: string, name: string): Promise<Obj> {
  return (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as Obj;
}

async function patchNetwork(namespace: string, name: string, body: unknown): Promise<Obj> {
  return (await custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body }, mergePatch)) as Obj;
}

async function patchNetworkStatus(namespace: string, name: string, body: unknown): Promise<Obj> {
  return (await custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body }, mergePatch)) as Obj;
}

/** The test CRD as client-node's model (its serializer drops plain `default`/`x-kubernetes-*` keys). */
function crdFixture(): V1CustomResourceDefinition {
  return loadYaml<V1CustomResourceDefinition>(fixtureText('networks-crd.yaml'));
}

beforeAll(async () => {
  server = await startKubeApiServer({ bookmarkIntervalMs: 20 });
  kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(server.url));
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  crds = kc.makeApiClient(ApiextensionsV1Api);
  const crd = await crds.createCustomResourceDefinition({ body: crdFixture() });
  expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
});

afterAll(async () => {
  await server?.close();
});

describe('built-in kinds', () => {
  it('starts with the default and kube-system namespaces', async () => {
    const list = await core.listNamespace();
    const names = list.items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system']));
    expect(list.items[0]?.status?.phase).toBe('Active');
  });

  it('creates, reads, patches and deletes a ConfigMap', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'cfg' }, data: { a: '1' } } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const dup = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'cfg' } } }));
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', message: 'configmaps "cfg" already exists', details: { name: 'cfg', kind: 'configmaps' } });

    const merged = await core.patchNamespacedConfigMap({ namespace: 'team-a', name: 'cfg', body: { data: { b: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    expect(merged.data).toEqual({ a: '1', b: '2' });
    const jsonPatched = await core.patchNamespacedConfigMap({ namespace: 'team-a', name: 'cfg', body: [{ op: 'remove', path: '/data/a' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    expect(jsonPatched.data).toEqual({ b: '2' });

    await core.deleteNamespacedConfigMap({ namespace: 'team-a', name: 'cfg' });
    const gone = await failure(core.readNamespacedConfigMap({ namespace: 'team-a', name: 'cfg' }));
    expect(gone.code).toBe(404);
    expect(gone.status['message']).toBe('configmaps "cfg" not found');
  });

  it('generates names, honours dryRun and refuses unknown namespaces', async () => {
    const generated = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { generateName: 'gen-' } } });
    expect(generated.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const dry = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'dry' } }, dryRun: 'All' });
    expect(dry.metadata?.name).toBe('dry');
    expect((await failure(core.readNamespacedConfigMap({ namespace: 'team-a', name: 'dry' }))).code).toBe(404);
    const missing = await failure(core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }));
    expect(missing.code).toBe(404);
    expect(missing.status['message']).toBe('namespaces "nope" not found');
  });

  it('folds Secret stringData into base64 data', async () => {
    const secret = await core.createNamespacedSecret({ namespace: 'team-a', body: { metadata: { name: 'creds' }, stringData: { password: 's3cret' } } });
    expect(secret.data).toEqual({ password: Buffer.from('s3cret').toString('base64') });
    expect(secret.type).toBe('Opaque');
    expect(secret.stringData).toBeUndefined();
  });

  it('serves coordination.k8s.io Leases with optimistic concurrency', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({ namespace: 'kube-system', body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } } });
    const renewed = await leases.replaceNamespacedLease({ namespace: 'kube-system', name: 'leader', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'a', renewTime: new Date() } } });
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(Number(lease.metadata?.resourceVersion));
    const stale = await failure(leases.replaceNamespacedLease({ namespace: 'kube-system', name: 'leader', body: { ...lease, spec: { holderIdentity: 'b' } } }));
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "leader": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('stores events.k8s.io Events as core Events, found by involvedObject', async () => {
    const events = kc.makeApiClient(EventsV1Api);
    await events.createNamespacedEvent({
      namespace: 'team-a',
      body: {
        metadata: { name: 'net.1' },
        eventTime: new Date(),
        reportingController: 'cloudnet.io/operator',
        reportingInstance: 'operator-0',
        action: 'Reconcile',
        reason: 'Available',
        note: 'network is ready',
        type: 'Normal',
        regarding: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Network', name: 'net', namespace: 'team-a', uid: 'u-1' },
      },
    });
    const found = await core.listNamespacedEvent({ namespace: 'team-a', fieldSelector: 'involvedObject.kind=Network,involvedObject.name=net,involvedObject.uid=u-1' });
    expect(found.items.map((e) => [e.message, e.reportingComponent, e.involvedObject.name])).toEqual([['network is ready', 'cloudnet.io/operator', 'net']]);
    const back = await events.readNamespacedEvent({ namespace: 'team-a', name: 'net.1' });
    expect(back.note).toBe('network is ready');
    expect(back.regarding?.kind).toBe('Network');
  });
});

describe('custom resources', () => {
  it('applies schema defaults and rejects invalid objects with 422 causes', async () => {
    const created = await createNetwork('team-a', network('defaults', { cidr: '10.0.0.0/24' }));
    expect(created.spec).toEqual({ cidr: '10.0.0.0/24', mtu: 1500 });
    expect(created.metadata?.generation).toBe(1);
    const bad = await failure(createNetwork('team-a', network('too-big', { cidr: '10.0.0.0/24', mtu: 70000 })));
    expect(bad.code).toBe(422);
    expect(bad.status).toMatchObject({
      reason: 'Invalid',
      message: 'Network.test.cloudnet.io "too-big" is invalid: spec.mtu: Invalid value: 70000: spec.mtu in body should be less than or equal to 9216',
      details: { name: 'too-big', group: GROUP, kind: 'Network', causes: [{ reason: 'FieldValueInvalid', field: 'spec.mtu' }] },
    });
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const created = await createNetwork('team-a', network('stale', { cidr: '10.0.1.0/24' }));
    await patchNetwork('team-a', 'stale', { spec: { description: 'changed' } });
    const stale = await failure(custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'team-a', plural: PLURAL, name: 'stale', body: created }));
    expect(stale.code).toBe(409);
    expect(stale.status['message']).toBe(
      'Operation cannot be fulfilled on networks.test.cloudnet.io "stale": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('bumps generation on spec changes only and writes status only through /status', async () => {
    await createNetwork('team-a', network('gen', { cidr: '10.0.2.0/24' }));
    const labelled = await patchNetwork('team-a', 'gen', { metadata: { labels: { tier: 'web' } }, status: { observedGeneration: 99 } });
    expect(labelled.metadata?.generation).toBe(1);
    expect(labelled.status).toBeUndefined();
    const specChanged = await patchNetwork('team-a', 'gen', { spec: { mtu: 9000 } });
    expect(specChanged.metadata?.generation).toBe(2);
    const status = await patchNetworkStatus('team-a', 'gen', { spec: { mtu: 1280 }, status: { observedGeneration: 2 } });
    expect(status.status).toEqual({ observedGeneration: 2 });
    expect(status.spec?.['mtu']).toBe(9000);
    expect(status.metadata?.generation).toBe(2);
    const noop = await patchNetworkStatus('team-a', 'gen', { status: { observedGeneration: 2 } });
    expect(noop.metadata?.resourceVersion).toBe(status.metadata?.resourceVersion);
  });

  it('holds a deletion while finalizers remain', async () => {
    await createNetwork('team-a', { ...network('held', { cidr: '10.0.3.0/24' }), metadata: { name: 'held', finalizers: ['test.cloudnet.io/hold'] } });
    const deleting = (await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'team-a', plural: PLURAL, name: 'held' })) as Obj;
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    const stillThere = await getNetwork('team-a', 'held');
    expect(stillThere.metadata?.deletionTimestamp).toBeDefined();
    expect(stillThere.metadata?.['deletionGracePeriodSeconds']).toBe(0);
    // The real registry's markAsDeleting: marking an object deleted is a change of generation.
    expect(stillThere.metadata?.generation).toBe(2);
    const refused = await failure(patchNetwork('team-a', 'held', { metadata: { finalizers: ['test.cloudnet.io/hold', 'another'] } }));
    expect(refused.code).toBe(422);
    await patchNetwork('team-a', 'held', { metadata: { finalizers: null } });
    expect((await failure(getNetwork('team-a', 'held'))).code).toBe(404);
  });

  it('rejects strategic merge patch on custom resources with 415', async () => {
    await createNetwork('team-a', network('smp', { cidr: '10.0.4.0/24' }));
    const refused = await failure(custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: 'team-a', plural: PLURAL, name: 'smp', body: { spec: { mtu: 1400 } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    ));
    expect(refused.code).toBe(415);
    expect(refused.status['reason']).toBe('UnsupportedMediaType');
  });

  it('selects by labels and fields and pages with limit/continue', async () => {
    await core.createNamespace({ body: { metadata: { name: 'select' } } });
    const labels: Record<string, Record<string, string>> = {
      a: { env: 'prod', tier: 'web' },
      b: { env: 'dev', tier: 'web' },
      c: { env: 'prod' },
      d: { env: 'test', owner: 'x' },
    };
    for (const [name, l] of Object.entries(labels)) await createNetwork('select', network(name, { cidr: '10.1.0.0/24' }, l));
    const names = async (labelSelector?: string, fieldSelector?: string) => {
      const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'select', plural: PLURAL, labelSelector, fieldSelector })) as { items: Obj[] };
      return list.items.map((i) => i.metadata?.name);
    };
    expect(await names('env=prod')).toEqual(['a', 'c']);
    expect(await names('env==prod,tier=web')).toEqual(['a']);
    expect(await names('env!=prod')).toEqual(['b', 'd']);
    expect(await names('env in (dev,test)')).toEqual(['b', 'd']);
    expect(await names('env notin (prod)')).toEqual(['b', 'd']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!tier')).toEqual(['c', 'd']);
    expect(await names(undefined, 'metadata.name=c')).toEqual(['c']);
    expect(await names(undefined, 'metadata.namespace=select,metadata.name!=c')).toEqual(['a', 'b', 'd']);
    const badField = await failure(names(undefined, 'spec.cidr=x'));
    expect(badField.code).toBe(400);

    const page1 = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'select', plural: PLURAL, limit: 3 })) as { items: Obj[]; metadata: { continue?: string; resourceVersion: string; remainingItemCount?: number } };
    expect(page1.items.map((i) => i.metadata?.name)).toEqual(['a', 'b', 'c']);
    expect(page1.metadata.remainingItemCount).toBe(1);
    const page2 = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'select', plural: PLURAL, limit: 3, _continue: page1.metadata.continue })) as { items: Obj[]; metadata: { continue?: string; resourceVersion: string } };
    expect(page2.items.map((i) => i.metadata?.name)).toEqual(['d']);
    expect(page2.metadata.continue).toBeUndefined();
    expect(page2.metadata.resourceVersion).toBe(page1.metadata.resourceVersion);

    const all = (await custom.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, resourcePlural: PLURAL, labelSelector: 'env' })) as { items: Obj[] };
    expect(all.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(['select/a', 'select/b', 'select/c', 'select/d']);
  });
});

interface WatchEvent {
  type: string;
  object: Obj & { code?: number; reason?: string };
}

/** Collects watch events until `until` says stop; resolves with everything seen. */
async function watchUntil(path: string, query: Record<string, string | number | boolean | undefined>, until: (events: WatchEvent[]) => boolean, during: () => Promise<void> = async () => {}): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => {
      events.push({ type, object: object as WatchEvent['object'] });
      if (until(events)) finish();
    },
    (err) => (err ? fail(err) : finish()),
  );
  await during();
  await finished;
  controller.abort();
  return events;
}

describe('watch', () => {
  const path = `/apis/${GROUP}/${VERSION}/namespaces/watched/${PLURAL}`;

  it('streams ADDED, MODIFIED, DELETED and BOOKMARK events from a resourceVersion', async () => {
    await core.createNamespace({ body: { metadata: { name: 'watched' } } });
    const existing = await createNetwork('watched', network('before', { cidr: '10.2.0.0/24' }));
    const initial = await watchUntil(path, {}, (e) => e.length >= 1);
    expect(initial.map((e) => [e.type, e.object.metadata?.name])).toEqual([['ADDED', 'before']]);

    const events = await watchUntil(
      path,
      { resourceVersion: existing.metadata?.resourceVersion, allowWatchBookmarks: true },
      (e) => e.some((x) => x.type === 'DELETED') && e.some((x) => x.type === 'BOOKMARK'),
      async () => {
        await createNetwork('watched', network('w', { cidr: '10.2.1.0/24' }));
        await patchNetwork('watched', 'w', { spec: { mtu: 1400 } });
        await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'watched', plural: PLURAL, name: 'w' });
      },
    );
    const changes = events.filter((e) => e.type !== 'BOOKMARK').map((e) => [e.type, e.object.metadata?.name]);
    expect(changes).toEqual([['ADDED', 'w'], ['MODIFIED', 'w'], ['DELETED', 'w']]);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired ERROR event', async () => {
    const before = await createNetwork('watched', network('old', { cidr: '10.2.2.0/24' }));
    await patchNetwork('watched', 'old', { spec: { mtu: 1300 } });
    server.compact();
    const expired = server.expiredWatches();
    const events = await watchUntil(path, { resourceVersion: before.metadata?.resourceVersion }, (e) => e.length >= 1);
    expect(events[0]?.type).toBe('ERROR');
    expect(events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(server.expiredWatches()).toBe(expired + 1);
  });

  it('restarts on the same port with its objects and watch history: open watches end, and resume from where they were', async () => {
    const kept = await createNetwork('watched', network('kept', { cidr: '10.2.3.0/24' }));
    const watchRequests = server.watchRequests();
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(kc).watch(path, { resourceVersion: kept.metadata?.resourceVersion }, () => undefined, resolve);
    });
    await until('the watch served', () => server.watchRequests() > watchRequests);
    const url = server.url;
    await server.restart();
    await ended;
    expect(server.url).toBe(url);
    expect((await getNetwork('watched', 'kept')).metadata).toMatchObject({ uid: kept.metadata?.uid, resourceVersion: kept.metadata?.resourceVersion });
    const events = await watchUntil(path, { resourceVersion: kept.metadata?.resourceVersion }, (e) => e.length >= 1, async () => {
      await patchNetwork('watched', 'kept', { spec: { mtu: 1280 } });
    });
    expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([['MODIFIED', 'kept']]);
    expect(server.watchRequests()).toBe(watchRequests + 2);
  });
});

describe('informer', () => {
  it('lists then follows changes through client-node makeInformer', async () => {
    await core.createNamespace({ body: { metadata: { name: 'informed' } } });
    await createNetwork('informed', network('first', { cidr: '10.3.0.0/24' }));
    const informer = makeInformer<Obj>(kc, `/apis/${GROUP}/${VERSION}/namespaces/informed/${PLURAL}`, () =>
      custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'informed', plural: PLURAL }) as never);
    const seen: string[] = [];
    const deleted = new Promise<void>((resolve) => {
      informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
      informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.spec?.['mtu']}`));
      informer.on('delete', (o) => {
        seen.push(`delete ${o.metadata?.name}`);
        resolve();
      });
    });
    const connected = new Promise<void>((resolve) => informer.on('connect', () => resolve()));
    await informer.start();
    await connected;
    await createNetwork('informed', network('second', { cidr: '10.3.1.0/24' }));
    await patchNetwork('informed', 'second', { spec: { mtu: 1280 } });
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'informed', plural: PLURAL, name: 'second' });
    await deleted;
    await informer.stop();
    expect(seen).toEqual(['add first', 'add second', 'update second 1280', 'delete second']);
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['first']);
  });
});

describe('CustomResourceDefinitions', () => {
  it('stops serving and deletes the objects of a deleted CRD', async () => {
    const crd = crdFixture();
    const name = 'gadgets.other.cloudnet.io';
    crd.metadata = { name };
    crd.spec.group = 'other.cloudnet.io';
    crd.spec.names = { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' };
    await crds.createCustomResourceDefinition({ body: crd });
    await custom.createNamespacedCustomObject({ group: 'other.cloudnet.io', version: VERSION, namespace: 'team-a', plural: 'gadgets', body: { apiVersion: `other.cloudnet.io/${VERSION}`, kind: 'Gadget', metadata: { name: 'g' }, spec: { cidr: '10.9.0.0/24' } } });
    const deleted = await watchUntil(
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      { fieldSelector: `metadata.name=${name}` },
      (e) => e.some((x) => x.type === 'DELETED'),
      async () => {
        await crds.deleteCustomResourceDefinition({ name });
      },
    );
    expect(deleted.at(-1)?.type).toBe('DELETED');
    const gone = await failure(custom.listNamespacedCustomObject({ group: 'other.cloudnet.io', version: VERSION, namespace: 'team-a', plural: 'gadgets' }));
    expect(gone.code).toBe(404);
  });
});
