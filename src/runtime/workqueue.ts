import PQueue from 'p-queue';
import { systemClock, type Clock } from './clock.ts';
import type { WorkQueueMetrics } from './metrics.ts';
import { defaultRateLimiter, type RateLimiter } from './ratelimiter.ts';

/** Processes one key; it decides about retries (addRateLimited, addAfter, forget). */
export type ProcessFn = (key: string) => Promise<void>;

export interface WorkQueueOptions {
  name: string;
  /** Keys processed at once (distinct keys; one key is never processed twice at once). */
  concurrency: number;
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: WorkQueueMetrics;
}

/**
 * A rate-limited, delaying, deduplicating work queue with client-go's semantics: a key waits at
 * most once in the queue, a key re-added while it is processed is marked dirty and queued again
 * when that processing ends, and processing is bounded by a p-queue.
 */
export class WorkQueue {
  readonly name: string;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;
  readonly #workers: PQueue;
  /** Keys waiting for a worker, in order; each has exactly one pending task in #workers. */
  readonly #queue: string[] = [];
  /** Keys that need processing: waiting in #queue, or re-added while processing. */
  readonly #dirty = new Set<string>();
  /** Key -> start time of its processing. */
  readonly #processing = new Map<string, number>();
  /** Key -> time it entered #queue. */
  readonly #queuedAt = new Map<string, number>();
  /** Delayed adds: key -> its timer. */
  readonly #waiting = new Map<string, unknown>();
  #process: ProcessFn | undefined;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#clock = options.clock ?? systemClock;
    this.#rateLimiter = options.rateLimiter ?? defaultRateLimiter({ clock: this.#clock });
    this.#metrics = options.metrics;
    this.#workers = new PQueue({ concurrency: options.concurrency, autoStart: false });
  }

  /** Starts processing with `process`; keys added before are processed now. */
  start(process: ProcessFn): void {
    this.#process = process;
    this.#workers.start();
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics?.added();
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /**
   * Adds the key once `ms` have passed, replacing a delayed add still pending for it: the latest
   * decision about a key wins, so a backoff that grew is not cut short by an earlier, shorter one.
   */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    this.cancelDelayed(key);
    if (ms <= 0) return this.add(key);
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, timer);
  }

  /** Adds the key after its rate limiter's delay (a retry), replacing a pending delayed add. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retried();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Drops the key's pending delayed add, if any. */
  cancelDelayed(key: string): void {
    if (!this.#waiting.has(key)) return;
    this.#clock.clearTimeout(this.#waiting.get(key));
    this.#waiting.delete(key);
  }

  /** The key succeeded: its backoff starts from the floor again. */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /** Keys waiting for a worker. */
  len(): number {
    return this.#queue.length;
  }

  /** Start times of the keys being processed. */
  inFlightSince(): number[] {
    return [...this.#processing.values()];
  }

  /**
   * Stops intake (adds are ignored, delayed adds cancelled, waiting keys dropped). With `drain`,
   * resolves once the keys being processed are done.
   */
  async shutdown(options: { drain: boolean }): Promise<void> {
    this.#shuttingDown = true;
    for (const timer of this.#waiting.values()) this.#clock.clearTimeout(timer);
    this.#waiting.clear();
    this.#workers.clear();
    this.#queue.length = 0;
    this.#queuedAt.clear();
    this.#metrics?.depth(0);
    if (options.drain) await this.#workers.onIdle();
  }

  #enqueue(key: string): void {
    this.#queue.push(key);
    this.#queuedAt.set(key, this.#clock.now());
    this.#metrics?.depth(this.#queue.length);
    void this.#workers.add(() => this.#next());
  }

  async #next(): Promise<void> {
    const key = this.#queue.shift();
    if (key === undefined || !this.#process) return;
    const now = this.#clock.now();
    this.#metrics?.depth(this.#queue.length);
    this.#metrics?.queuedFor(now - (this.#queuedAt.get(key) ?? now));
    this.#queuedAt.delete(key);
    this.#dirty.delete(key);
    this.#processing.set(key, now);
    try {
      await this.#process(key);
    } catch {
      // A process function should handle its own errors; one that throws anyway is retried with backoff.
      this.addRateLimited(key);
    } finally {
      this.#done(key, now);
    }
  }

  #done(key: string, startedAt: number): void {
    this.#metrics?.workedFor(this.#clock.now() - startedAt);
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
  }
}
