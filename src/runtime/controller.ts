import { randomUUID } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey, splitKey } from './cache.ts';
import { FencedError, isApiServerError } from './client.ts';
import { systemClock, type Clock } from './clock.ts';
import type { EventSource } from './informer.ts';
import type { Logger } from './log.ts';
import type { RuntimeMetrics } from './metrics.ts';
import type { UpdatePredicate } from './predicates.ts';
import type { RateLimiter } from './ratelimiter.ts';
import { WorkQueue } from './workqueue.ts';

const RESULTS = ['success', 'error', 'requeue', 'requeue_after'] as const;

export interface ReconcileContext {
  key: string;
  namespace: string | undefined;
  name: string;
  reconcileID: string;
  /** Carries kind, namespace, name and reconcileID. */
  log: Logger;
}

/**
 * requeueAfter (ms): reconcile again after that delay, `routine` (a drift check) in the background
 * lane behind user-driven work; requeue: retry with backoff without counting an error; failure:
 * the reconcile ended in a failure it reported on the object (counted by class and reason).
 */
export type ReconcileResult = { requeueAfter?: number; routine?: boolean; requeue?: boolean; failure?: { class: string; reason: string } } | void;

export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;

/** A watch on another resource whose changes wake primary objects (e.g. a Subnet's Network). */
export interface SecondaryWatch {
  informer: EventSource;
  /** Keys ("namespace/name") of the primary objects to reconcile when `obj` changes. */
  map: (obj: KubernetesObject) => string[];
  /** Which updates are mapped (adds and deletes always are); default every one. */
  changed?: UpdatePredicate;
}

export interface ControllerOptions {
  /** Lower-case kind, used in metric labels and logs (e.g. "network"). */
  name: string;
  kind: string;
  primary: EventSource;
  /** Which updates of a primary object wake it (adds and deletes always do); default every one. */
  primaryChanged?: UpdatePredicate;
  watches?: SecondaryWatch[];
  reconcile: Reconciler;
  concurrency: number;
  log: Logger;
  metrics?: RuntimeMetrics;
  rateLimiter?: RateLimiter;
  clock?: Clock;
}

/**
 * Wires informers to a work queue and a reconcile function with controller-runtime's contract:
 * a throw retries with backoff, { requeueAfter } forgets the backoff and comes back after the
 * delay, success forgets the backoff. Unlike controller-runtime, the latest reconcile alone
 * decides when its key comes back (WorkQueue.addAfter replaces a pending delay; success cancels
 * it), so a backoff that grew is not cut short by a shorter one still pending.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;
  readonly #clock: Clock;
  #started = false;
  #active = 0;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.name = options.name;
    this.#clock = options.clock ?? systemClock;
    this.queue = new WorkQueue({
      name: options.name,
      concurrency: options.concurrency,
      clock: this.#clock,
      rateLimiter: options.rateLimiter,
      metrics: options.metrics?.workQueue(options.name, () => this.queue.inFlightSince()),
    });
    const controller = options.name;
    options.metrics?.maxConcurrentReconciles.set({ controller }, options.concurrency);
    options.metrics?.activeWorkers.set({ controller }, 0);
    // Every series exists from the start (as in controller-runtime), so rate() sees the first increment.
    options.metrics?.reconcileErrors.inc({ controller }, 0);
    for (const result of RESULTS) options.metrics?.reconcileTotal.inc({ controller, result }, 0);

    const enqueue = (obj: KubernetesObject) => this.queue.add(objectKey(obj));
    const primaryChanged = options.primaryChanged ?? (() => true);
    options.primary.addHandlers({
      add: enqueue,
      update: (previous, obj) => {
        if (primaryChanged(previous, obj)) enqueue(obj);
      },
      delete: enqueue,
    });
    for (const watch of options.watches ?? []) {
      const enqueueMapped = (obj: KubernetesObject) => {
        for (const key of watch.map(obj)) this.queue.add(key);
      };
      const changed = watch.changed ?? (() => true);
      watch.informer.addHandlers({
        add: enqueueMapped,
        // Both sides: a reference moved away from a primary wakes the old one too.
        update: (previous, obj) => {
          if (!changed(previous, obj)) return;
          enqueueMapped(previous);
          enqueueMapped(obj);
        },
        delete: enqueueMapped,
      });
    }
  }

  /** Starts reconciling once every informer this controller reads has synced. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const informers = [this.#options.primary, ...(this.#options.watches ?? []).map((w) => w.informer)];
    await Promise.all(informers.map((i) => i.waitForSync(signal)));
    this.queue.start((key) => this.#process(key));
    this.#options.log.info({ controller: this.name, concurrency: this.#options.concurrency }, 'controller started');
  }

  /** Stops intake; with drain, waits for reconciles in flight. */
  async stop(options: { drain: boolean } = { drain: true }): Promise<void> {
    await this.queue.shutdown(options);
  }

  async #process(key: string): Promise<void> {
    const { name: controller, reconcile, metrics } = this.#options;
    const { namespace, name } = splitKey(key);
    const reconcileID = randomUUID();
    const log = this.#options.log.child({ controller, kind: this.#options.kind, namespace, name, reconcileID });
    const started = this.#clock.now();
    metrics?.activeWorkers.set({ controller }, ++this.#active);
    let result: (typeof RESULTS)[number];
    try {
      const outcome = await reconcile(key, { key, namespace, name, reconcileID, log });
      if (outcome?.failure) metrics?.reconcileFailures.inc({ controller, ...outcome.failure });
      if (outcome?.requeueAfter && outcome.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.requeueAfter, outcome.routine ? 'background' : 'urgent');
        result = 'requeue_after';
      } else if (outcome?.requeue) {
        this.queue.addRateLimited(key);
        result = 'requeue';
      } else {
        this.queue.forget(key);
        this.queue.cancelDelayed(key);
        result = 'success';
      }
    } catch (err) {
      // The reconciler reports every failure on the object; what reaches here could not be written there.
      this.queue.addRateLimited(key);
      result = 'error';
      const failure = isApiServerError(err) ? 'kubernetes' : 'internal';
      metrics?.reconcileErrors.inc({ controller });
      metrics?.reconcileFailures.inc({ controller, class: failure, reason: 'ReconcileError' });
      const what =
        err instanceof FencedError
          ? 'a write was not sent: this replica may no longer hold the leader lease'
          : failure === 'kubernetes'
            ? 'the Kubernetes API refused or did not answer'
            : 'unexpected error (a bug, please report it)';
      log.error({ err, class: failure, retries: this.queue.numRequeues(key) }, `${what}; retrying with backoff`);
    } finally {
      metrics?.activeWorkers.set({ controller }, --this.#active);
      metrics?.reconcileTime.observe({ controller }, (this.#clock.now() - started) / 1000);
    }
    metrics?.reconcileTotal.inc({ controller, result });
  }
}
