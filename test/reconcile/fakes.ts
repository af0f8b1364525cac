// An in-memory cloud, a fake adapter over it and an in-memory Kubernetes, to drive the generic
// reconciler directly and see the contract step by step.
import { pino } from 'pino';
import { CloudError, type CloudErrorKind } from '../../src/cloud/errors.ts';
import { FINALIZER } from '../../src/runtime/finalizers.ts';
import { Cache } from '../../src/runtime/cache.ts';
import { systemClock, type Clock } from '../../src/runtime/clock.ts';
import { Controller, type ReconcileContext } from '../../src/runtime/controller.ts';
import type { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { changedBeyondOwnWrites } from '../../src/runtime/predicates.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  accepted,
  CloudPrecondition,
  failed,
  isAccepted,
  kindOf,
  progressing,
  READY,
  type Accepted,
  type Adapter,
  type ManagedObject,
  type OperationStatus,
  type Ref,
  type ResolvedRefs,
} from '../../src/reconcile/adapter.ts';
import { labelMarks, ownerTag, tagMarks, type Labels } from '../../src/reconcile/marks.ts';
import type { EventHandlers, EventSource } from '../../src/runtime/informer.ts';
import { clusterView, managedIndexes, type ObjectWriter } from '../../src/reconcile/kube.ts';
import { ManagedReconciler, type ClientLookup } from '../../src/reconcile/managed.ts';
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
  labels?: Record<string, string>;
  /** A widget in ERROR is deleted and created again. */
  recreateOnError?: boolean;
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
/** ACTIVE; BUILD (in transition, takes changes); BUSY (in transition, refuses them); ERROR (failed for good). */
export type WidgetState = 'ACTIVE' | 'BUILD' | 'BUSY' | 'ERROR';
export interface CloudWidget {
  id: string;
  name: string;
  size: number;
  state: WidgetState;
  tags: string[];
  labels: Record<string, string>;
  created_at: string;
  revision: number;
  parent_id?: string;
  peer_ids?: string[];
}
export type Widget = ManagedObject<WidgetResource, WidgetFilter, WidgetSummary>;

export type Op = 'get' | 'list' | 'create' | 'update' | 'delete' | 'tags' | 'operation';

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

/** An operation of the asynchronous mode: applied once polled `remaining` more times, or failed. */
interface Operation {
  remaining: number;
  apply(): string | undefined;
  failure?: { reason: string; message: string };
  resourceId?: string;
  done: boolean;
}

/** A cloud of widgets with call accounting and faults per operation. */
export class FakeCloud {
  readonly widgets = new Map<string, CloudWidget>();
  readonly calls: { op: Op; detail?: unknown }[] = [];
  readonly #faults: { op: Op; error: () => Error; lose?: boolean; remaining: number }[] = [];
  readonly #operations = new Map<string, Operation>();
  /** false: marks given at creation are dropped (like Neutron Zed, which refuses tags in POST). */
  tagsOnCreate = true;
  /**
   * Asynchronous mode (like Exoscale): every create, update and delete answers with an operation
   * that is done after `polls` polls (`fail`: it fails then, with that reason and message). A
   * create's operation names the new widget's id only once it is done, unless `idAtOnce`.
   */
  async: { polls: number; pollAfterMs: number; idAtOnce?: boolean; fail?: { reason: string; message: string; retry?: boolean } } | undefined;
  /** Updates carry the observed revision and a stale one is refused (like Neutron's If-Match). */
  conditionalUpdates = false;
  /** Widgets per page of a listing of the marked ones. */
  pageSize = 100;
  /** How far the cloud's clock (created_at) is ahead of the operator's. */
  clockSkewMs = 0;
  /** What the client has learnt of clockSkewMs (undefined: nothing yet). */
  knownClockOffsetMs: number | undefined;
  #ids = 0;
  #ops = 0;
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

  /** The next `times` calls of `op` throw `error()`: a failure that is not a CloudError. */
  throwOn(op: Op, error: () => Error, times = Infinity): void {
    this.#faults.push({ op, error, remaining: times });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** The id the next widget will have (a create that names it before the widget exists). */
  reserveId(): string {
    return `w-${++this.#ids}`;
  }

  add(widget: Partial<CloudWidget> & { name: string }): CloudWidget {
    const w: CloudWidget = { id: widget.id ?? this.reserveId(), size: 1, state: 'ACTIVE', tags: [], labels: {}, created_at: stamp(this.now() + this.clockSkewMs), revision: 1, ...widget };
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

  /**
   * A mutation: applied at once, or in asynchronous mode an operation applied when polled enough
   * (`apply` returns the id of the widget it made or changed).
   */
  mutate<T>(apply: () => T & { id: string }, resourceId?: string): (T & { id: string }) | Accepted {
    const mode = this.async;
    if (!mode) return apply();
    const id = `op-${++this.#ops}`;
    this.#operations.set(id, { remaining: mode.polls, apply: () => apply().id, failure: mode.fail, resourceId, done: false });
    return accepted({ operation: id, pollAfterMs: mode.pollAfterMs, ...(resourceId ? { id: resourceId } : {}) });
  }

  /** Polls an operation: one step nearer its end. */
  poll(id: string): OperationStatus {
    const op = this.#operations.get(id);
    if (!op) throw new CloudError({ provider: 'fake', service: 'widgets', operation: 'operation', status: 404, code: 'NotFound', message: `operation ${id} not found`, kind: 'notFound' });
    if (!op.done && op.remaining-- > 0) return { state: 'pending', pollAfterMs: this.async?.pollAfterMs ?? 1000 };
    if (op.failure) return { state: 'failed', ...op.failure };
    if (!op.done) {
      op.resourceId = op.apply() ?? op.resourceId;
      op.done = true;
    }
    return { state: 'done', ...(op.resourceId ? { id: op.resourceId } : {}) };
  }
}

export const stamp = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const copy = <T>(v: T): T => structuredClone(v);

/** The peers that have an id; the others are left out until they do. */
const peerIds = (r: WidgetResource, refs: ResolvedRefs): string[] | undefined =>
  r.peerRefs?.flatMap((ref) => refs.find('Widget', ref.name) ?? []).sort();

/** The widgets `marked` selects, a page (one call) at a time. */
async function listPages(cloud: FakeCloud, marked: (w: CloudWidget) => boolean): Promise<CloudWidget[]> {
  const all = [...cloud.widgets.values()].filter(marked);
  const out: CloudWidget[] = [];
  for (let page = 0; page === 0 || page * cloud.pageSize < all.length; page++) {
    out.push(...cloud.call('list', { managed: true, page }, () => all.slice(page * cloud.pageSize, (page + 1) * cloud.pageSize).map(copy)));
  }
  return out;
}

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

/** How often the widget adapter looks at a widget in transition. */
export const WIDGET_POLL_MS = 5_000;

const stale = () => new CloudError({ provider: 'fake', service: 'widgets', operation: 'update', status: 412, code: 'PreconditionFailed', message: 'revision changed', kind: 'staleRevision' });
const gone = () => new CloudError({ provider: 'fake', service: 'widgets', operation: 'update', status: 404, code: 'NotFound', message: 'gone', kind: 'notFound' });

/** Widgets marked with tags; on a cloud with tagsOnCreate false, a lost create is found by its intent. */
export const widgetAdapter: Adapter<WidgetResource, WidgetFilter, WidgetSummary, CloudWidget, FakeCloud> = {
  ...kindOf({ kind: 'Widget', plural: 'widgets' }, fakeProvider),
  resource: { group: 'test.cloudnet.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true },
  references: (r) => [
    ...(r.parentRef ? [{ kind: 'Widget', name: r.parentRef.name, field: 'parentRef' }] : []),
    ...(r.peerRefs ?? []).map((ref, i): Ref => ({ kind: 'Widget', name: ref.name, field: `peerRefs[${i}]`, blocking: false })),
  ],
  importReferences: (f) => (f.parentRef ? [{ kind: 'Widget', name: f.parentRef.name, field: 'import.filter.parentRef' }] : []),
  get: async (cloud, id) => cloud.call('get', id, () => copy(cloud.widgets.get(id))),
  listForImport: async (cloud, filter, refs) =>
    cloud.call('list', { filter }, () =>
      [...cloud.widgets.values()].filter((w) => w.name === filter.name && (!filter.parentRef || w.parent_id === refs.id('Widget', filter.parentRef.name))).map(copy),
    ),
  marks: tagMarks,
  marksOf: (o) => o.tags,
  userMarks: (r) => r.tags ?? [],
  listOwned: async (cloud, uid) => cloud.call('list', { tag: ownerTag(uid) }, () => [...cloud.widgets.values()].filter((w) => w.tags.includes(ownerTag(uid))).map(copy)),
  listManaged: async (cloud) => listPages(cloud, (w) => w.tags.includes('cloudnet-managed')),
  setMarks: async (cloud, o, tags) =>
    cloud.call('tags', { id: o.id, tags }, () => {
      const w = cloud.widgets.get(o.id)!;
      w.tags = [...tags];
      return copy(w);
    }),
  marksOnCreate: async (cloud) => cloud.tagsOnCreate,
  intentAdoption: {
    listByName: async (cloud, name, r, refs) =>
      cloud.call('list', { name }, () => [...cloud.widgets.values()].filter((w) => w.name === name && (!r.parentRef || w.parent_id === refs.id('Widget', r.parentRef.name))).map(copy)),
    clockOffsetMs: (cloud) => cloud.knownClockOffsetMs,
  },
  createdAt: (o) => o.created_at,
  create: async (cloud, { resource, refs, name }, tags) =>
    cloud.call('create', { name, tags }, () =>
      cloud.mutate(() => {
        const w = cloud.add({ name, size: resource.size ?? 1, tags: cloud.tagsOnCreate ? [...tags] : [], ...(resource.parentRef ? { parent_id: refs.id('Widget', resource.parentRef.name) } : {}) });
        // Peers are set once the widget exists, so that it can name itself.
        const peers = peerIds(resource, refs.withOwnId(w.id));
        if (peers) w.peer_ids = peers;
        return copy(w);
      }),
    ),
  diff: ({ resource, refs, name }, o) => {
    const patch: Record<string, unknown> = {};
    if (o.name !== name) patch.name = name;
    if (resource.size !== undefined && o.size !== resource.size) patch.size = resource.size;
    const peers = peerIds(resource, refs);
    if (peers && peers.join() !== [...(o.peer_ids ?? [])].sort().join()) patch.peer_ids = peers;
    return Object.keys(patch).length ? patch : undefined;
  },
  update: async (cloud, o, patch) =>
    cloud.call('update', { id: o.id, patch }, () =>
      cloud.mutate(() => {
        const w = cloud.widgets.get(o.id);
        if (!w) throw gone();
        if (cloud.conditionalUpdates && w.revision !== o.revision) throw stale();
        Object.assign(w, patch, { revision: w.revision + 1 });
        return copy(w);
      }, o.id),
    ),
  delete: async (cloud, id) =>
    cloud.call('delete', id, () => {
      const answer = cloud.mutate(() => {
        cloud.widgets.delete(id);
        return { id };
      }, id);
      return isAccepted(answer) ? answer : undefined;
    }),
  operation: async (cloud, { id }) => cloud.call('operation', id, () => cloud.poll(id)),
  id: (o) => o.id,
  summarize: (o) => ({ name: o.name, size: o.size, state: o.state }),
  progress: (o, r) => {
    if (o.state === 'ACTIVE') return READY;
    if (o.state === 'ERROR') return failed('WidgetError', `widget ${o.id} is in ERROR`, { recreate: r?.recreateOnError });
    return progressing(`widget ${o.id} is ${o.state}`, WIDGET_POLL_MS, { busy: o.state === 'BUSY' });
  },
};

/** Widgets marked with labels, which always go in the create request (like Exoscale): no intent adoption. */
export const labelWidgetAdapter: Adapter<WidgetResource, WidgetFilter, WidgetSummary, CloudWidget, FakeCloud, Labels> = {
  ...widgetAdapter,
  marks: labelMarks,
  marksOf: (o) => o.labels,
  userMarks: (r) => r.labels ?? {},
  listOwned: async (cloud, uid) => cloud.call('list', { label: uid }, () => [...cloud.widgets.values()].filter((w) => w.labels['cloudnet-uid'] === uid).map(copy)),
  listManaged: async (cloud) => listPages(cloud, (w) => w.labels['cloudnet-managed'] === 'true'),
  setMarks: async (cloud, o, labels) =>
    cloud.call('tags', { id: o.id, labels }, () => {
      const w = cloud.widgets.get(o.id)!;
      w.labels = { ...labels };
      return copy(w);
    }),
  marksOnCreate: undefined,
  intentAdoption: undefined,
  create: async (cloud, { resource, refs, name }, labels) =>
    cloud.call('create', { name, labels }, () => {
      const id = cloud.async?.idAtOnce ? cloud.reserveId() : undefined;
      return cloud.mutate(() => copy(cloud.add({ ...(id ? { id } : {}), name, size: resource.size ?? 1, labels: { ...labels }, ...(resource.parentRef ? { parent_id: refs.id('Widget', resource.parentRef.name) } : {}) })), id);
    }),
};

/** Applies a JSON merge patch (RFC 7386) as the API server does. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
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
  /** Secrets by namespace/name, as the API server has them. */
  readonly secrets = new Map<string, { data?: Record<string, string> }>();
  statusWrites = 0;
  /** The informer lags: writes are stored but reach the cache only when a test upserts them (history has them). */
  lagging = false;
  /** The latest stored version of each object, as the API server has it. */
  readonly #stored = new Map<string, ManagedObject>();
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

  /** `attempted`: an earlier reconcile already worked on it (it has the finalizer), e.g. before a restart. */
  create(name: string, spec: Partial<Widget['spec']>, options: { attempted?: boolean } = {}): Widget {
    const obj: Widget = {
      apiVersion: 'test.cloudnet.io/v1',
      kind: 'Widget',
      metadata: { name, namespace: 'ns', uid: `uid-${++this.#uids}`, generation: 1, resourceVersion: String(++this.#rv), ...(options.attempted ? { finalizers: [FINALIZER] } : {}) },
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
    this.#stored.delete(`ns/${obj.metadata.name}`);
    if (stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length) {
      this.cache.remove(`ns/${obj.metadata.name}`);
      for (const h of this.#handlers) h.delete?.(stored);
      return stored;
    }
    this.#stored.set(`ns/${obj.metadata.name}`, stored);
    if (this.lagging) return stored;
    const previous = this.cache.upsert(stored);
    for (const h of this.#handlers) {
      if (previous) h.update?.(previous, stored);
      else h.add?.(stored);
    }
    return stored;
  }

  /** The object as the API server has it (ahead of the cache while the informer lags). */
  #current(obj: ManagedObject): ManagedObject | undefined {
    return (this.lagging ? this.#stored.get(`ns/${obj.metadata.name}`) : undefined) ?? this.cache.get(obj.metadata.namespace, obj.metadata.name);
  }

  writer: ObjectWriter<ManagedObject> = {
    patchStatus: async (obj, compute) => {
      const current = this.#current(obj);
      if (!current) return undefined;
      const patch = compute(current);
      if (patch === undefined) return undefined;
      this.statusWrites++;
      return this.#store({ ...current, status: applyMergePatch(current.status, patch) as ManagedObject['status'] });
    },
    addFinalizer: async (obj) => {
      const current = this.#current(obj)!;
      return this.#store({ ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata.finalizers ?? []), FINALIZER] } });
    },
    removeFinalizer: async (obj) => {
      const current = this.#current(obj)!;
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

/** Over tag- or label-marked widgets. */
export type WidgetReconciler = ManagedReconciler<WidgetResource, WidgetFilter, WidgetSummary, CloudWidget, FakeCloud, unknown>;

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
  /** Default widgetAdapter (tags). */
  adapter?: typeof widgetAdapter | typeof labelWidgetAdapter;
}

/** The generic reconciler over the fake adapter, cloud and Kubernetes. */
export function widgetReconciler(parts: ReconcilerParts): WidgetReconciler {
  const { kube, provider } = parts;
  return new ManagedReconciler({
    adapter: (parts.adapter ?? widgetAdapter) as Adapter<WidgetResource, WidgetFilter, WidgetSummary, CloudWidget, FakeCloud, unknown>,
    objects: kube.cache as Cache<Widget>,
    writer: kube.writer as ObjectWriter<Widget>,
    cluster: clusterView(new Map([['Widget', kube.cache]])),
    // Every widget's ProviderConfig is the one the test sets up.
    providers: (() => provider.lookup) as ClientLookup,
    secrets: { get: async (namespace, name) => kube.secrets.get(`${namespace}/${name}`) },
    events: { event: (obj, type, reason, message) => kube.events.push({ reason, type, message, name: obj.metadata.name }) },
    resyncPeriodMs: parts.resyncPeriodMs ?? 600_000,
    backoff: parts.backoff ?? { floorMs: 1000, capMs: 60_000 },
    clock: parts.clock,
  });
}

export function harness(options: { resyncPeriodMs?: number; adapter?: ReconcilerParts['adapter'] } = {}): Harness {
  const clock = new ManualClock();
  const kube = new FakeKube();
  const cloud = new FakeCloud(clock.now);
  const provider: { lookup: ProviderLookup<FakeCloud> } = { lookup: { ready: true, client: cloud } };
  const reconciler = widgetReconciler({ kube, provider, clock, resyncPeriodMs: options.resyncPeriodMs, adapter: options.adapter });
  const ctx = (name: string): ReconcileContext => ({ key: `ns/${name}`, namespace: 'ns', name, reconcileID: 'test', log: silent });
  return { kube, cloud, clock, provider, reconciler, reconcile: (name) => reconciler.reconcile(`ns/${name}`, ctx(name)) };
}

/**
 * The operator's loop in miniature, on the system clock (tests fake the timers): the fake API
 * server's events drive a Controller over the generic reconciler, with the operator's default
 * backoff schedule.
 */
export async function widgetOperator(options: { metrics?: RuntimeMetrics } = {}) {
  const kube = new FakeKube();
  const cloud = new FakeCloud(Date.now);
  const provider: { lookup: ProviderLookup<FakeCloud> } = { lookup: { ready: true, client: cloud } };
  const reconciler = widgetReconciler({ kube, provider, clock: systemClock, backoff: {}, resyncPeriodMs: 3_600_000 });
  const controller = new Controller({
    name: 'widget',
    kind: 'Widget',
    primary: kube,
    primaryChanged: changedBeyondOwnWrites(FINALIZER),
    reconcile: reconciler.reconcile,
    concurrency: 1,
    log: silent,
    metrics: options.metrics,
  });
  await controller.start();
  return { kube, cloud, provider, reconciler, controller };
}
