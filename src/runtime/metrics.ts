import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a work queue reports; one per queue, labelled by its name. */
export interface WorkQueueMetrics {
  added(): void;
  depth(n: number): void;
  queuedFor(ms: number): void;
  workedFor(ms: number): void;
  retried(): void;
}

/** Start times (ms since epoch) of the items being processed, read at scrape time. */
export type InFlightProvider = () => number[];

const queueLatencyBuckets = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);

/**
 * The metrics controller-runtime exposes, with its names and labels, in a registry of their own
 * (not prom-client's global one) so several managers can live in one process.
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileFailures: Counter<'controller' | 'class' | 'reason'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly leaderStatus: Gauge<'name'>;
  readonly #queueDepth: Gauge<'name'>;
  readonly #queueAdds: Counter<'name'>;
  readonly #queueLatency: Histogram<'name'>;
  readonly #workDuration: Histogram<'name'>;
  readonly #retries: Counter<'name'>;
  readonly #inFlight = new Map<string, InFlightProvider>();

  constructor(options: { defaultMetrics?: boolean; now?: () => number } = {}) {
    const registers = [this.registry];
    const now = options.now ?? Date.now;
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileFailures = new Counter({
      name: 'cloudnet_reconcile_failures_total',
      help: 'Reconciles that ended in a failure, by failure class and the condition reason it left',
      labelNames: ['controller', 'class', 'reason'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60],
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'],
      registers,
    });
    this.#queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers });
    this.#queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers });
    this.#queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: queueLatencyBuckets,
      registers,
    });
    this.#workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: queueLatencyBuckets,
      registers,
    });
    this.#retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers });
    const inFlight = this.#inFlight;
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration',
      labelNames: ['name'],
      registers,
      collect() {
        const t = now();
        for (const [name, starts] of inFlight) this.set({ name }, starts().reduce((sum, s) => sum + (t - s) / 1000, 0));
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: ['name'],
      registers,
      collect() {
        const t = now();
        for (const [name, starts] of inFlight) this.set({ name }, starts().reduce((max, s) => Math.max(max, (t - s) / 1000), 0));
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Metrics for one queue; `inFlight` feeds the unfinished-work gauges at scrape time. */
  workQueue(name: string, inFlight: InFlightProvider): WorkQueueMetrics {
    this.#inFlight.set(name, inFlight);
    const labels = { name };
    this.#queueDepth.set(labels, 0);
    return {
      added: () => this.#queueAdds.inc(labels),
      depth: (n) => this.#queueDepth.set(labels, n),
      queuedFor: (ms) => this.#queueLatency.observe(labels, ms / 1000),
      workedFor: (ms) => this.#workDuration.observe(labels, ms / 1000),
      retried: () => this.#retries.inc(labels),
    };
  }
}
