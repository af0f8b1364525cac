import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestThrottle } from '../../src/cloud/rate-limit.ts';

/** Starts `count` acquires and records, for each, the fake time at which it was let through. */
function acquireMany(bucket: RequestThrottle, count: number, start: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) void bucket.acquire().then(() => times.push(Date.now() - start));
  return times;
}

describe('RequestThrottle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a burst through at once, then paces at qps', async () => {
    const start = Date.now();
    const bucket = new RequestThrottle({ qps: 5, burst: 3 });
    const times = acquireMany(bucket, 6, start);
    await vi.advanceTimersByTimeAsync(0);
    expect(times).toEqual([0, 0, 0]);
    await vi.advanceTimersByTimeAsync(199);
    expect(times).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 0, 0, 200]);
    await vi.advanceTimersByTimeAsync(400);
    expect(times).toEqual([0, 0, 0, 200, 400, 600]);
  });

  it('refills while idle but never beyond the burst', async () => {
    const bucket = new RequestThrottle({ qps: 10, burst: 2 });
    await vi.advanceTimersByTimeAsync(60_000);
    const start = Date.now();
    const times = acquireMany(bucket, 3, start);
    await vi.advanceTimersByTimeAsync(100);
    expect(times).toEqual([0, 0, 100]);
  });

  it('a pause holds back every caller until it ends, then releases them at the burst rate', async () => {
    const start = Date.now();
    const bucket = new RequestThrottle({ qps: 1, burst: 2 });
    bucket.pause(3000);
    expect(bucket.pausedFor()).toBe(3000);
    const times = acquireMany(bucket, 3, start);
    await vi.advanceTimersByTimeAsync(2999);
    expect(times).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([3000, 3000]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(times).toEqual([3000, 3000, 4000]);
  });

  it('overlapping pauses extend, never shorten', async () => {
    const bucket = new RequestThrottle({ qps: 100, burst: 10 });
    bucket.pause(2000);
    bucket.pause(500);
    expect(bucket.pausedFor()).toBe(2000);
    const times = acquireMany(bucket, 1, Date.now());
    await vi.advanceTimersByTimeAsync(1999);
    expect(times).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([2000]);
  });

  it('an aborted waiter leaves the queue and does not consume a token', async () => {
    const bucket = new RequestThrottle({ qps: 1, burst: 1 });
    await bucket.acquire();
    const controller = new AbortController();
    const aborted = bucket.acquire(controller.signal);
    const times = acquireMany(bucket, 1, Date.now());
    controller.abort(new Error('shutdown'));
    await expect(aborted).rejects.toThrow('shutdown');
    await vi.advanceTimersByTimeAsync(1000);
    expect(times).toEqual([1000]);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new RequestThrottle({ qps: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new RequestThrottle({ qps: 1, burst: 0 })).toThrow(RangeError);
  });
});
