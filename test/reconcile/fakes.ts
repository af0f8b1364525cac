// An in-memory cloud, a fake adapter over it and an in-memory Kubernetes, to drive the generic
// reconciler directly and see the contract step by step.
import { pino } from 'pino';
import { CloudError, type CloudErrorKind } from '../../src/cloud/errors.ts';
import { FINALIZER } from '../../src/runtime/finalizers.ts';
import { Cache } from '../../src/runtime/cache.ts';
import type { Clock } from '../../src/runtime/clock.ts';
import type { ReconcileContext } from '../../src/runtime/controller.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CloudPrecondition, type Adapter, type ManagedObject, type Ref, type ResolvedRefs } from '../../src/reconcile/adapter.ts';
import type { EventHandlers, EventSource } from '../../src/runtime/informer.ts';
import { clusterView, managedIndexes } from '../../src/reconcile/kube.ts';
import { ManagedReconciler, type ClientLookup, type ObjectWriter } from '../../src/reconcile/managed.ts';
import type { Provider, ProviderLookup } from '../../src/reconcile/provider.ts';
import type { BackoffOptions } from '../../src/reconcile/timing.ts';

/** What a Widget asks for. */
export interface WidgetResource {
  name?: string;
  size?: number;
  parentRef?: { name: string };
  /** Non-blocking references (like security group rules naming other groups), the widget itself included. */
  peerRefs?: { name: string }[];
  tags?: string[];
}
/** Import filter: by name, optionally among the children of another Widget. */
export interface WidgetFilter {
  name?: string;
  parentRef?: { name: string };
}
export interface WidgetSummary {
  name: string;
  size: number;
  state: string;
}
export interface CloudWidget {
  id: string;
  name: string;
  size: number;
  state: string;
  tags: string[];
  created_at: string;
  revision: number;
  parent_id?: string;
  peer_ids?: string[];
}
export type Widget = ManagedObject<WidgetResource, WidgetFilter, WidgetSummary>;

export type Op = 'get' | 'list' | 'create' | 'update' | 'delete' | 'tags';

export interface FaultOptions {
  message?: string;
  retryAfterMs?: number;
  /** A create still happens; its answer is lost. */
  lose?: boolean;
  status?: number;
  /** How many calls fail (default 1). */
  times?: number;
  /** The adapter reports it as a CloudPrecondition that a change of this kind may satisfy. */
  waitFor?: string;
}

/** A cloud of widgets with call accounting and faults per operation. */
export class FakeCloud {
  readonly widgets = new Map<string, CloudWidget>();
  readonly calls: { op: Op; detail?: unknown }[] = [];
  readonly #faults: { op: Op; error: () => Error; lose?: boolean; remaining: number }[] = [];
  /** false: tags given at creation are dropped (like Neutron Zed, which refuses them in POST). */
  tagsOnCreate = true;
  /** How far the cloud's clock (created_at) is ahead of the operator's. */
  clockSkewMs = 0;
  /** What the client has learnt of clockSkewMs (undefined: nothing yet). */
  knownClockOffsetMs: number | undefined;
  #ids = 0;
  now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  count(op?: Op): number {
    return op ? this.calls.filter((c) => c.op === op).length : this.calls.length;
  }

  /** The next `op` (or `times` of them) fails with a CloudError of `kind`. */
  fail(op: Op, kind: CloudErrorKind, options: FaultOptions = {}): void {
    const status = options.status ?? (kind === 'transient' ? undefined : kind === 'quota' ? 409 : 400);
    const code = status === undefined ? 'ConnectionError' : `HTTP${status}`;
    const cloudError = () =>
      new CloudError({ provider: 'fake', service: 'widgets', operation: op, status, code, message: options.message ?? `injected ${kind}`, kind, retryAfterMs: options.retryAfterMs });
    const error = (): Error => {
      const err = cloudError();
      const wokenBy = options.waitFor;
      return wokenBy ? new CloudPrecondition({ reason: `WaitingFor${wokenBy}`, message: `needs a ${wokenBy} (${err.describe()})`, wokenBy: [wokenBy], error: err }) : err;
    };
    this.#faults.push({ op, lose: options.lose, error, remaining: options.times ?? 1 });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  add(widget: Partial<CloudWidget> & { name: string }): CloudWidget {
    const w: CloudWidget = { id: `w-${++this.#ids}`, size: 1, state: 'ACTIVE', tags: [], created_at: stamp(this.now() + this.clockSkewMs), revision: 1, ...widget };
    this.widgets.set(w.id, w);
    return w;
  }

  /** Records the call; throws an injected fault (after `apply` when the answer is to be lost). */
  call<T>(op: Op, detail: unknown, apply: () => T): T {
    this.calls.push({ op, detail });
    const fault = this.#faults.find((f) => f.op === op);
    if (!fault) return apply();
    if (--fault.remaining <= 0) this.#faults.splice(this.#faults.indexOf(fault), 1);
    if (fault.lose) apply();
    throw fault.error();
  }
}

export const stamp = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const copy = <T>(v: T): T => structuredClone(v);

/** The peers that have an id; the others are left out until they do. */
const peerIds = (r: WidgetResource, refs: ResolvedRefs): string[] | undefined =>
  r.peerRefs?.flatMap((ref) => refs.find('Widget', ref.name) ?? []).sort();

/** The fake cloud as a provider plugin; the tests hand the reconciler its client directly. */
export const fakeProvider: Provider<FakeCloud, Record<string, never>> = {
  name: 'fake',
  secretRefs: () => [],
  settings: () => ({}),
  connect: () => new FakeCloud(Date.now),
  reconfigure: () => true,
  probe: async () => ({ message: 'the fake cloud answers' }),
  close: () => undefined,
};

export const widgetAdapter: Adapter<WidgetResource, WidgetFilter, WidgetSummary, CloudWidget, FakeCloud> = {
  kind: 'Widget',
  resource: { group: 'test.cloudnet.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true },
  provider: fakeProvider,
  references: (r) => [
    ...(r.parentRef ? [{ kind: 'Widget', name: r.parentRef.name, field: 'parentRef' }] : []),
    ...(r.peerRefs ?? []).map((ref, i): Ref => ({ kind: 'Widget', name: ref.name, field: `peerRefs[${i}]`, blocking: false })),
  ],
  importReferences: (f) => (f.parentRef ? [{ kind: 'Widget', name: f.parentRef.name, field: 'import.filter.parentRef' }] : []),
  get: async (cloud, id) => cloud.call('get', id, () => copy(cloud.widgets.get(id))),
  listOwned: async (cloud, tag) => cloud.call('list', { tag }, () => [...cloud.widgets.values()].filter((w) => w.tags.includes(tag)).map(copy)),
  listForImport: async (cloud, filter, refs) =>
    cloud.call('list', { filter }, () =>
      [...cloud.widgets.values()].filter((w) => w.name === filter.name && (!filter.parentRef || w.parent_id === refs.id('Widget', filter.parentRef.name))).map(copy),
    ),
  listByName: async (cloud, name, _r, refs) =>
    cloud.call('list', { name }, () => [...cloud.widgets.values()].filter((w) => w.name === name && (!_r.parentRef || w.parent_id === refs.id('Widget', _r.parentRef.name))).map(copy)),
  create: async (cloud, { resource, refs, name }, tags) =>
    cloud.call('create', { name, tags }, () => {
      const w = cloud.add({ name, size: resource.size ?? 1, tags: cloud.tagsOnCreate ? tags : [], ...(resource.parentRef ? { parent_id: refs.id('Widget', resource.parentRef.name) } : {}) });
      // Peers are set once the widget exists, so that it can name itself.
      const peers = peerIds(resource, refs.withOwnId(w.id));
      if (peers) w.peer_ids = peers;
      return copy(w);
    }),
  diff: ({ resource, refs, name }, o) => {
    const patch: Record<string, unknown> = {};
    if (o.name !== name) patch.name = name;
    if (resource.size !== undefined && o.size !== resource.size) patch.size = resource.size;
    const peers = peerIds(resource, refs);
    if (peers && peers.join() !== [...(o.peer_ids ?? [])].sort().join()) patch.peer_ids = peers;
    return Object.keys(patch).length ? patch : undefined;
  },
  update: async (cloud, o, patch) =>
    cloud.call('update', { id: o.id, patch }, () => {
      const w = cloud.widgets.get(o.id);
      if (!w) throw new CloudError({ provider: 'fake', service: 'widgets', operation: 'update', status: 404, code: 'NotFound', message: 'gone', kind: 'notFound' });
      Object.assign(w, patch, { revision: w.revision + 1 });
      return copy(w);
    }),
  delete: async (cloud, id) => cloud.call('delete', id, () => void cloud.widgets.delete(id)),
  setTags: async (cloud, o, tags) =>
    cloud.call('tags', { id: o.id, tags }, () => {
      const w = cloud.widgets.get(o.id)!;
      w.tags = [...tags];
      return copy(w);
    }),
  userTags: (r) => r.tags ?? [],
  id: (o) => o.id,
  tags: (o) => o.tags,
  createdAt: (o) => o.created_at,
  clockOffsetMs: (cloud) => cloud.knownClockOffsetMs,
  summarize: (o) => ({ name: o.name, size: o.size, state: o.state }),
  readiness: (o) => (o.state === 'ACTIVE' ? { ready: true } : { ready: false, reason: 'WaitingForCloud', message: `widget ${o.id} is ${o.state}` }),
};

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * The API server and informer in one: writes land in the cache at once, with a new
 * resourceVersion, and reach the handlers as the informer's events would.
 */
export class FakeKube implements EventSource {
  readonly cache = new Cache<ManagedObject>();
  readonly #handlers: EventHandlers<KubernetesObject>[] = [];
  /** Every version stored, oldest first, to replay a lagging informer. */
  readonly history: ManagedObject[] = [];
  readonly events: { reason: string; type: string; message: string; name: string }[] = [];
  statusWrites = 0;
  #rv = 0;
  #uids = 0;

  constructor() {
    for (const [name, fn] of Object.entries(managedIndexes(widgetAdapter))) this.cache.addIndex(name, fn);
  }

  addHandlers(handlers: EventHandlers<KubernetesObject>): void {
    this.#handlers.push(handlers);
    for (const obj of this.cache.list()) handlers.add?.(obj);
  }

  async waitForSync(): Promise<void> {}

  create(name: string, spec: Partial<Widget['spec']>): Widget {
    const obj: Widget = {
      apiVersion: 'test.cloudnet.io/v1',
      kind: 'Widget',
      metadata: { name, namespace: 'ns', uid: `uid-${++this.#uids}`, generation: 1, resourceVersion: String(++this.#rv) },
      spec: { providerConfigRef: { name: 'cloud' }, managementPolicy: 'Managed', deletionPolicy: 'Delete', ...spec },
    };
    this.cache.upsert(obj);
    for (const h of this.#handlers) h.add?.(obj);
    return obj;
  }

  get(name: string): Widget {
    return this.cache.get('ns', name) as Widget;
  }

  /** A spec change: generation + 1. */
  editSpec(name: string, change: (spec: Widget['spec']) => void): void {
    const obj = structuredClone(this.get(name));
    change(obj.spec);
    obj.metadata.generation = (obj.metadata.generation ?? 0) + 1;
    this.#store(obj);
  }

  /** kubectl delete: gone at once without finalizers, else marked. */
  delete(name: string): void {
    const obj = structuredClone(this.get(name));
    if (!obj.metadata.finalizers?.length) {
      this.cache.remove(`ns/${name}`);
      for (const h of this.#handlers) h.delete?.(obj);
      return;
    }
    obj.metadata.deletionTimestamp = new Date();
    this.#store(obj);
  }

  #store(obj: ManagedObject): ManagedObject {
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } };
    this.history.push(stored);
    if (stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length) {
      this.cache.remove(`ns/${obj.metadata.name}`);
      for (const h of this.#handlers) h.delete?.(stored);
      return stored;
    }
    const previous = this.cache.upsert(stored);
    for (const h of this.#handlers) {
      if (previous) h.update?.(previous, stored);
      else h.add?.(stored);
    }
    return stored;
  }

  writer: ObjectWriter<ManagedObject> = {
    patchStatus: async (obj, compute) => {
      const current = this.cache.get(obj.metadata.namespace, obj.metadata.name);
      if (!current) return undefined;
      const patch = compute(current);
      if (patch === undefined) return undefined;
      this.statusWrites++;
      return this.#store({ ...current, status: applyMergePatch(current.status, patch) as ManagedObject['status'] });
    },
    addFinalizer: async (obj) => {
      const current = this.cache.get(obj.metadata.namespace, obj.metadata.name)!;
      return this.#store({ ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata.finalizers ?? []), FINALIZER] } });
    },
    removeFinalizer: async (obj) => {
      const current = this.cache.get(obj.metadata.namespace, obj.metadata.name)!;
      return this.#store({ ...current, metadata: { ...current.metadata, finalizers: (current.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) } });
    },
  };
}

export class ManualClock implements Clock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now = () => this.t;
  setTimeout = (): unknown => undefined;
  clearTimeout = (): void => undefined;
  advance(ms: number): void {
    this.t += ms;
  }
}

export type WidgetReconciler = ManagedReconciler<WidgetResource, WidgetFilter, WidgetSummary, CloudWidget, FakeCloud>;

export interface Harness {
  kube: FakeKube;
  cloud: FakeCloud;
  clock: ManualClock;
  provider: { lookup: ProviderLookup<FakeCloud> };
  reconciler: WidgetReconciler;
  reconcile(name: string): ReturnType<WidgetReconciler['reconcile']>;
}

const silent = pino({ level: 'silent' });

export interface ReconcilerParts {
  kube: FakeKube;
  provider: { lookup: ProviderLookup<FakeCloud> };
  clock: Clock;
  resyncPeriodMs?: number;
  backoff?: BackoffOptions;
}

/** The generic reconciler over the fake adapter, cloud and Kubernetes. */
export function widgetReconciler(parts: ReconcilerParts): WidgetReconciler {
  const { kube, provider } = parts;
  return new ManagedReconciler({
    adapter: widgetAdapter,
    objects: kube.cache as Cache<Widget>,
    writer: kube.writer as ObjectWriter<Widget>,
    cluster: clusterView(new Map([['Widget', kube.cache]])),
    // Every widget's ProviderConfig is the one the test sets up.
    providers: (() => provider.lookup) as ClientLookup,
    events: { event: (obj, type, reason, message) => kube.events.push({ reason, type, message, name: obj.metadata.name }) },
    resyncPeriodMs: parts.resyncPeriodMs ?? 600_000,
    backoff: parts.backoff ?? { floorMs: 1000, capMs: 60_000 },
    clock: parts.clock,
  });
}

export function harness(options: { resyncPeriodMs?: number } = {}): Harness {
  const clock = new ManualClock();
  const kube = new FakeKube();
  const cloud = new FakeCloud(clock.now);
  const provider: { lookup: ProviderLookup<FakeCloud> } = { lookup: { ready: true, client: cloud } };
  const reconciler = widgetReconciler({ kube, provider, clock, resyncPeriodMs: options.resyncPeriodMs });
  const ctx = (name: string): ReconcileContext => ({ key: `ns/${name}`, namespace: 'ns', name, reconcileID: 'test', log: silent });
  return { kube, cloud, clock, provider, reconciler, reconcile: (name) => reconciler.reconcile(`ns/${name}`, ctx(name)) };
}
