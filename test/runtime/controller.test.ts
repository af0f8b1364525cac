import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Controller, type ReconcileContext, type ReconcileResult } from '../../src/runtime/controller.ts';
import type { EventHandlers, EventSource } from '../../src/runtime/informer.ts';
import { createLogger } from '../../src/runtime/log.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { defaultRateLimiter } from '../../src/runtime/ratelimiter.ts';

/** The slice of an Informer a Controller uses, synced, with a way to fire events. */
function fakeInformer() {
  const handlers: EventHandlers<KubernetesObject>[] = [];
  const informer: EventSource = { addHandlers: (h) => void handlers.push(h), waitForSync: async () => {} };
  return {
    informer,
    add: (obj: KubernetesObject) => handlers.forEach((h) => h.add?.(obj)),
    update: (previous: KubernetesObject, obj: KubernetesObject) => handlers.forEach((h) => h.update?.(previous, obj)),
  };
}

const obj = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name, namespace: 'team-a' }, ...extra });

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info', destination }) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Controller', () => {
  it('maps reconcile outcomes to the queue and to metrics', async () => {
    const primary = fakeInformer();
    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const runs: Record<string, number[]> = {};
    const outcomes: Record<string, () => ReconcileResult> = {
      'team-a/ok': () => undefined,
      'team-a/later': () => ({ requeueAfter: 30_000 }),
      'team-a/again': () => ({ requeue: true }),
      'team-a/broken': () => {
        throw new Error('cloud said no');
      },
    };
    const controller = new Controller({
      name: 'network',
      kind: 'Network',
      primary: primary.informer,
      concurrency: 2,
      log: createLogger({ level: 'silent' }),
      metrics,
      rateLimiter: defaultRateLimiter({ floorMs: 1000, capMs: 60_000 }),
      reconcile: async (key) => {
        (runs[key] ??= []).push(Date.now());
        return outcomes[key]!();
      },
    });
    await controller.start();
    const t0 = Date.now();
    for (const name of ['ok', 'later', 'again', 'broken']) primary.add(obj(name));
    await vi.advanceTimersByTimeAsync(30_500);
    const at = (key: string) => runs[key]!.map((t) => t - t0);
    expect(at('team-a/ok')).toEqual([0]);
    expect(at('team-a/later')).toEqual([0, 30_000]);
    expect(at('team-a/again')).toEqual([0, 1000, 3000, 7000, 15_000]);
    expect(at('team-a/broken')).toEqual([0, 1000, 3000, 7000, 15_000]);

    const text = await metrics.registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="network",result="success"} 1');
    expect(text).toContain('controller_runtime_reconcile_total{controller="network",result="requeue_after"} 2');
    expect(text).toContain('controller_runtime_reconcile_total{controller="network",result="requeue"} 5');
    expect(text).toContain('controller_runtime_reconcile_total{controller="network",result="error"} 5');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="network"} 5');
    await controller.stop();
  });

  it('gives each reconcile a reconcileID and a logger naming the object', async () => {
    const primary = fakeInformer();
    const { lines, log } = logSink();
    const contexts: ReconcileContext[] = [];
    const controller = new Controller({
      name: 'subnet',
      kind: 'Subnet',
      primary: primary.informer,
      concurrency: 1,
      log,
      reconcile: async (_key, ctx) => {
        contexts.push(ctx);
        ctx.log.info({ password: 'hunter2' }, 'reconciling');
      },
    });
    await controller.start();
    primary.add(obj('app'));
    await vi.advanceTimersByTimeAsync(0);
    primary.add(obj('app'));
    await vi.advanceTimersByTimeAsync(0);
    expect(contexts.map((c) => [c.namespace, c.name])).toEqual([['team-a', 'app'], ['team-a', 'app']]);
    expect(contexts[0]!.reconcileID).toMatch(/^[0-9a-f-]{36}$/);
    expect(contexts[0]!.reconcileID).not.toBe(contexts[1]!.reconcileID);
    const line = lines.find((l) => l.msg === 'reconciling')!;
    expect(line).toMatchObject({ level: 'info', controller: 'subnet', kind: 'Subnet', namespace: 'team-a', name: 'app', reconcileID: contexts[0]!.reconcileID, password: '[REDACTED]' });
    await controller.stop();
  });

  it('wakes primary objects through secondary watches, old and new references alike', async () => {
    const primary = fakeInformer();
    const secondary = fakeInformer();
    const keys: string[] = [];
    const controller = new Controller({
      name: 'subnet',
      kind: 'Subnet',
      primary: primary.informer,
      watches: [{ informer: secondary.informer, map: (o) => ((o as { users?: string[] }).users ?? []).map((u) => `team-a/${u}`) }],
      concurrency: 1,
      log: createLogger({ level: 'silent' }),
      reconcile: async (key) => void keys.push(key),
    });
    await controller.start();
    secondary.add(obj('net', { users: ['s1'] }));
    await vi.advanceTimersByTimeAsync(0);
    secondary.update(obj('net', { users: ['s1'] }), obj('net', { users: ['s2'] }));
    await vi.advanceTimersByTimeAsync(0);
    expect(keys).toEqual(['team-a/s1', 'team-a/s1', 'team-a/s2']);
    await controller.stop();
  });

  it('updates wake only when their predicate says so; adds and deletes always do', async () => {
    const primary = fakeInformer();
    const secondary = fakeInformer();
    const keys: string[] = [];
    const sized = (o: unknown) => (o as { size?: number }).size;
    const controller = new Controller({
      name: 'subnet',
      kind: 'Subnet',
      primary: primary.informer,
      primaryChanged: (previous, o) => sized(previous) !== sized(o),
      watches: [{ informer: secondary.informer, map: () => ['team-a/s1'], changed: (previous, o) => sized(previous) !== sized(o) }],
      concurrency: 1,
      log: createLogger({ level: 'silent' }),
      reconcile: async (key) => void keys.push(key),
    });
    await controller.start();
    primary.add(obj('s2', { size: 1 }));
    await vi.advanceTimersByTimeAsync(0);
    primary.update(obj('s2', { size: 1 }), obj('s2', { size: 1, status: 'echo' }));
    secondary.update(obj('net', { size: 1 }), obj('net', { size: 1, status: 'echo' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(keys).toEqual(['team-a/s2']);
    primary.update(obj('s2', { size: 1 }), obj('s2', { size: 2 }));
    secondary.update(obj('net', { size: 1 }), obj('net', { size: 2 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(keys).toEqual(['team-a/s2', 'team-a/s2', 'team-a/s1']);
    await controller.stop();
  });

  it('the latest reconcile decides when its key comes back: a longer delay replaces a shorter one pending', async () => {
    const primary = fakeInformer();
    const runs: number[] = [];
    const delays = [1000, 60_000];
    const controller = new Controller({
      name: 'subnet',
      kind: 'Subnet',
      primary: primary.informer,
      concurrency: 1,
      log: createLogger({ level: 'silent' }),
      reconcile: async () => {
        runs.push(Date.now());
        return { requeueAfter: delays.shift() ?? 60_000 };
      },
    });
    await controller.start();
    const t0 = Date.now();
    primary.add(obj('s1'));
    await vi.advanceTimersByTimeAsync(0);
    // An event before the 1 s requeue: that reconcile asks for 60 s, and the pending 1 s is dropped.
    primary.add(obj('s1'));
    await vi.advanceTimersByTimeAsync(59_999);
    expect(runs.map((t) => t - t0)).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.map((t) => t - t0)).toEqual([0, 0, 60_000]);
    await controller.stop();
  });

  it('stop drains a reconcile in flight and takes no new work', async () => {
    const primary = fakeInformer();
    let finish!: () => void;
    const keys: string[] = [];
    const controller = new Controller({
      name: 'port',
      kind: 'Port',
      primary: primary.informer,
      concurrency: 1,
      log: createLogger({ level: 'silent' }),
      reconcile: async (key) => {
        keys.push(key);
        await new Promise<void>((resolve) => (finish = resolve));
      },
    });
    await controller.start();
    primary.add(obj('p1'));
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = controller.stop({ drain: true }).then(() => (stopped = true));
    primary.add(obj('p2'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(keys).toEqual(['team-a/p1']);
  });
});
