import PQueue from 'p-queue';
import { systemClock, type Clock } from './clock.ts';
import type { WorkQueueMetrics } from './metrics.ts';
import { defaultRateLimiter, type RateLimiter } from './ratelimiter.ts';
import { Schedule } from './schedule.ts';

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

/** Which line a key waits in: routine work (drift checks) waits behind everything else. */
export type Lane = 'urgent' | 'background';

/**
 * A rate-limited, delaying, deduplicating work queue with client-go's semantics: a key waits at
 * most once in the queue, a key re-added while it is processed is marked dirty and queued again
 * when that processing ends, and processing is bounded by a p-queue. Keys added for routine work
 * wait in a background lane that a worker takes from only when no other key waits; a key added
 * urgently while it waits there moves to the front lane.
 */
export class WorkQueue {
  readonly name: string;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;
  readonly #workers: PQueue;
  /** Keys waiting for a worker, by lane, in order; each waiting key has exactly one pending task in #workers. */
  readonly #queue: Record<Lane, string[]> = { urgent: [], background: [] };
  /** The lane of a key re-added (dirty) while it is processed. */
  readonly #dirtyLane = new Map<string, Lane>();
  /** Keys that need processing: waiting in #queue, or re-added while processing. */
  readonly #dirty = new Set<string>();
  /** Key -> start time of its processing. */
  readonly #processing = new Map<string, number>();
  /** Key -> time it entered #queue. */
  readonly #queuedAt = new Map<string, number>();
  /** Delayed adds: key -> when, in which lane; one timer, set for the earliest, serves them all. */
  readonly #delayed = new Schedule<Lane>();
  #timer: unknown;
  #timerAt = Infinity;
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

  add(key: string, lane: Lane = 'urgent'): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) {
      if (lane === 'urgent') this.#promote(key);
      return;
    }
    this.#metrics?.added();
    this.#dirty.add(key);
    if (this.#processing.has(key)) {
      this.#dirtyLane.set(key, lane);
      return;
    }
    this.#enqueue(key, lane);
  }

  /** A key waiting in the background lane (or marked so while processed) moves to the urgent one. */
  #promote(key: string): void {
    if (this.#dirtyLane.has(key)) this.#dirtyLane.set(key, 'urgent');
    const at = this.#queue.background.indexOf(key);
    if (at < 0) return;
    this.#queue.background.splice(at, 1);
    this.#queue.urgent.push(key);
  }

  /**
   * Adds the key once `ms` have passed, replacing a delayed add still pending for it: the latest
   * decision about a key wins, so a backoff that grew is not cut short by an earlier, shorter one.
   */
  addAfter(key: string, ms: number, lane: Lane = 'urgent'): void {
    if (this.#shuttingDown) return;
    this.cancelDelayed(key);
    if (ms <= 0) return this.add(key, lane);
    this.#delayed.set(key, this.#clock.now() + ms, lane);
    this.#armTimer();
  }

  /** Sets the one timer for the earliest delayed add (a cancelled one leaves it early: it then finds nothing due). */
  #armTimer(): void {
    const at = this.#delayed.nextAt();
    if (at === this.#timerAt) return;
    this.#clearTimer();
    if (at === Infinity) return;
    this.#timerAt = at;
    // Timers overflow past 2^31 ms and would fire at once; a longer wait is taken in steps.
    const ms = Math.min(Math.max(0, at - this.#clock.now()), 2 ** 31 - 1);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      for (const [key, lane] of this.#delayed.takeDue(this.#clock.now())) this.add(key, lane);
      this.#armTimer();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Adds the key after its rate limiter's delay (a retry), replacing a pending delayed add. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retried();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Drops the key's pending delayed add, if any. */
  cancelDelayed(key: string): void {
    this.#delayed.delete(key);
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
    return this.#queue.urgent.length + this.#queue.background.length;
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
    this.#clearTimer();
    this.#delayed.clear();
    this.#workers.clear();
    this.#queue.urgent.length = 0;
    this.#queue.background.length = 0;
    this.#dirtyLane.clear();
    this.#queuedAt.clear();
    this.#metrics?.depth(0);
    if (options.drain) await this.#workers.onIdle();
  }

  #enqueue(key: string, lane: Lane): void {
    this.#queue[lane].push(key);
    this.#queuedAt.set(key, this.#clock.now());
    this.#metrics?.depth(this.len());
    void this.#workers.add(() => this.#next());
  }

  async #next(): Promise<void> {
    const key = this.#queue.urgent.shift() ?? this.#queue.background.shift();
    if (key === undefined || !this.#process) return;
    const now = this.#clock.now();
    this.#metrics?.depth(this.len());
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
    const lane = this.#dirtyLane.get(key) ?? 'urgent';
    this.#dirtyLane.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key, lane);
  }
}
