import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultRateLimiter } from '../../src/runtime/ratelimiter.ts';
import { WorkQueue } from '../../src/runtime/workqueue.ts';
import type { WorkQueueMetrics } from '../../src/runtime/metrics.ts';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function countingMetrics() {
  const counts = { added: 0, retried: 0 };
  const metrics: WorkQueueMetrics = {
    added: () => void counts.added++,
    retried: () => void counts.retried++,
    depth: () => {},
    queuedFor: () => {},
    workedFor: () => {},
  };
  return { counts, metrics };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue', () => {
  it('1,000 events over 10 keys reconcile each key with no overlap, and a failing key backs off exponentially without delaying the others', async () => {
    const { counts, metrics } = countingMetrics();
    const queue = new WorkQueue({ name: 'network', concurrency: 4, metrics, rateLimiter: defaultRateLimiter({ floorMs: 1000, capMs: 300_000 }) });
    const keys = Array.from({ length: 10 }, (_, i) => `team-a/net-${i}`);
    const version = new Map<string, number>(keys.map((k) => [k, 0]));
    const reconciled = new Map<string, number>();
    const pendingSince = new Map<string, number>(); // oldest event not yet seen by a reconcile
    const inFlight = new Set<string>();
    const latencies: number[] = [];
    const failingStarts: number[] = [];
    let overlaps = 0;
    let maxInFlight = 0;
    let reconciles = 0;

    queue.start(async (key) => {
      if (inFlight.has(key)) overlaps++;
      inFlight.add(key);
      maxInFlight = Math.max(maxInFlight, inFlight.size);
      try {
        if (key === 'team-a/broken') {
          failingStarts.push(Date.now());
          await delay(5);
          queue.addRateLimited(key);
          return;
        }
        reconciles++;
        const since = pendingSince.get(key);
        if (since !== undefined) latencies.push(Date.now() - since);
        pendingSince.delete(key);
        const seen = version.get(key)!;
        await delay(5);
        reconciled.set(key, seen);
        queue.forget(key);
      } finally {
        inFlight.delete(key);
      }
    });

    queue.add('team-a/broken');
    const next = random(42);
    // 1,000 events spread over 100 s, while the broken key backs off.
    for (let i = 0; i < 1000; i++) {
      const key = keys[Math.floor(next() * keys.length)]!;
      version.set(key, version.get(key)! + 1);
      if (!pendingSince.has(key)) pendingSince.set(key, Date.now());
      queue.add(key);
      if (i % 10 === 9) await vi.advanceTimersByTimeAsync(1000);
    }
    await vi.advanceTimersByTimeAsync(1_200_000);

    expect(overlaps).toBe(0);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    for (const key of keys) expect(reconciled.get(key)).toBe(version.get(key));
    // Duplicates collapsed: far fewer reconciles than events, and the queue counted only the kept adds.
    expect(reconciles).toBeLessThan(1000);
    expect(reconciles).toBeGreaterThanOrEqual(keys.length);
    expect(counts.added).toBe(reconciles + failingStarts.length);
    // The healthy keys never waited behind the broken one.
    expect(Math.max(...latencies)).toBeLessThan(50);

    // Gaps between attempts: the backoff (doubling from the 1 s floor to the 5 min cap), plus the 5 ms
    // attempt and at most a few ms of queueing behind the healthy keys.
    const gaps = failingStarts.slice(1).map((t, i) => t - failingStarts[i]! - 5);
    const backoff = [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300_000, 300_000];
    expect(gaps.length).toBeGreaterThanOrEqual(backoff.length);
    backoff.forEach((ms, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(ms);
      expect(gaps[i]).toBeLessThan(ms + 20);
    });
    expect(counts.retried).toBe(failingStarts.length);
    await queue.shutdown({ drain: true });
  });

  it('a key added while it is processed is processed again afterwards, once', async () => {
    const queue = new WorkQueue({ name: 'q', concurrency: 2 });
    const runs: string[] = [];
    queue.start(async (key) => {
      runs.push(key);
      await delay(10);
    });
    queue.add('a');
    await vi.advanceTimersByTimeAsync(1);
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(runs).toEqual(['a', 'a']);
  });

  it('addAfter adds the key when due; the latest delay replaces a pending one, cancelDelayed drops it', async () => {
    const queue = new WorkQueue({ name: 'q', concurrency: 1 });
    const runs: number[] = [];
    queue.start(async () => void runs.push(Date.now()));
    const start = Date.now();
    queue.addAfter('a', 2000);
    queue.addAfter('a', 8000);
    await vi.advanceTimersByTimeAsync(7999);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual([start + 8000]);
    queue.addAfter('a', 1000);
    queue.cancelDelayed('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual([start + 8000]);
  });

  it('10,000 delayed keys hold one timer between them, and each is processed when due, in order', async () => {
    const queue = new WorkQueue({ name: 'q', concurrency: 4 });
    const runs: [string, number][] = [];
    queue.start(async (key) => void runs.push([key, Date.now()]));
    const start = Date.now();
    const next = random(3);
    const due = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const ms = 1 + Math.floor(next() * 60_000);
      due.set(`k${i}`, start + ms);
      queue.addAfter(`k${i}`, ms, i % 2 ? 'background' : 'urgent');
    }
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(10_000);
    for (const [key, at] of runs) expect(at).toBe(due.get(key));
    expect(runs.map(([, at]) => at)).toEqual([...runs.map(([, at]) => at)].sort((a, b) => a - b));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('forget resets the backoff to the floor', async () => {
    const queue = new WorkQueue({ name: 'q', concurrency: 1, rateLimiter: defaultRateLimiter({ floorMs: 1000, capMs: 60_000 }) });
    const runs: number[] = [];
    queue.start(async () => void runs.push(Date.now()));
    const start = Date.now();
    queue.addRateLimited('a');
    queue.addRateLimited('a'); // 2 s, replacing the pending 1 s
    expect(queue.numRequeues('a')).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    queue.addRateLimited('a'); // third failure: 4 s
    await vi.advanceTimersByTimeAsync(4000);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    queue.addRateLimited('a');
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs.map((t) => t - start)).toEqual([2000, 6000, 7000]);
  });

  it('a throwing process function is retried with backoff', async () => {
    const queue = new WorkQueue({ name: 'q', concurrency: 1, rateLimiter: defaultRateLimiter({ floorMs: 100, capMs: 1000 }) });
    let runs = 0;
    queue.start(async () => {
      runs++;
      throw new Error('boom');
    });
    queue.add('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toBe(3);
    await queue.shutdown({ drain: true });
  });

  it('the overall bucket limits retries across keys: 100 at once, then 10 per second', () => {
    const limiter = defaultRateLimiter({ floorMs: 1, capMs: 1000 });
    const delays = Array.from({ length: 102 }, (_, i) => limiter.when(`k${i}`));
    expect(delays.slice(0, 100).every((d) => d === 1)).toBe(true);
    expect(delays[100]).toBe(100);
    expect(delays[101]).toBe(200);
  });

  it('shutdown with drain stops intake and waits for work in flight', async () => {
    const queue = new WorkQueue({ name: 'q', concurrency: 1 });
    const started: string[] = [];
    let finish!: () => void;
    queue.start(async (key) => {
      started.push(key);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(['a']);

    let drained = false;
    const shutdown = queue.shutdown({ drain: true }).then(() => (drained = true));
    queue.add('d');
    await vi.advanceTimersByTimeAsync(100);
    expect(drained).toBe(false);
    finish();
    await shutdown;
    expect(drained).toBe(true);
    expect(started).toEqual(['a']);
    expect(queue.len()).toBe(0);
  });
});

describe('WorkQueue lanes', () => {
  it('takes routine keys only when nothing else waits, and moves one added urgently to the front lane', async () => {
    const queue = new WorkQueue({ name: 'network', concurrency: 1 });
    const order: string[] = [];
    let release: () => void = () => {};
    queue.start(async (key) => {
      order.push(key);
      if (key === 'busy') await new Promise<void>((resolve) => (release = resolve));
    });
    queue.add('busy');
    await vi.advanceTimersByTimeAsync(0);
    // While the only worker is busy: drift checks come due, then users' changes arrive.
    for (const key of ['drift-1', 'drift-2', 'drift-3']) queue.addAfter(key, 10, 'background');
    await vi.advanceTimersByTimeAsync(10);
    queue.add('create-1');
    queue.add('drift-2');
    queue.add('create-2');
    expect(queue.len()).toBe(5);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['busy', 'create-1', 'drift-2', 'create-2', 'drift-1', 'drift-3']);
  });

  it('a key re-added while it is processed keeps the lane it was re-added in, the urgent one winning', async () => {
    const queue = new WorkQueue({ name: 'network', concurrency: 1 });
    const order: string[] = [];
    const releases: (() => void)[] = [];
    queue.start(async (key) => {
      order.push(key);
      if (order.length <= 2) await new Promise<void>((resolve) => releases.push(resolve));
    });
    queue.add('a');
    await vi.advanceTimersByTimeAsync(0);
    queue.add('a', 'background');
    queue.add('b', 'background');
    queue.add('a');
    releases.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    // 'a' came back urgent: before 'b' although 'b' waited first.
    expect(order).toEqual(['a', 'a']);
    releases.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'a', 'b']);
  });
});
