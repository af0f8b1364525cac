import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoreV1Event } from '@kubernetes/client-node';
import { EventRecorder, REPORTING_CONTROLLER, type EventSink } from '../../src/runtime/events.ts';

function memorySink() {
  const events = new Map<string, CoreV1Event>();
  const calls: string[] = [];
  const sink: EventSink = {
    create: async (namespace, event) => {
      calls.push('create');
      events.set(`${namespace}/${event.metadata!.name}`, structuredClone(event));
      return event;
    },
    patch: async (namespace, name, patch) => {
      calls.push('patch');
      const existing = events.get(`${namespace}/${name}`);
      if (!existing) throw Object.assign(new Error('not found'), { code: 404 });
      Object.assign(existing, patch);
      return existing;
    },
  };
  return { sink, events, calls };
}

const subnet = { apiVersion: 'cloudnet.io/v1alpha1', kind: 'Subnet', metadata: { name: 'app', namespace: 'team-a', uid: 'u-1', resourceVersion: '7' } };

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('EventRecorder', () => {
  it('records a core/v1 Event about the object', async () => {
    const { sink, events } = memorySink();
    const recorder = new EventRecorder({ sink, instance: 'host_1' });
    recorder.event(subnet, 'Normal', 'Created', 'created subnet 10.0.0.0/24');
    await recorder.flush();
    const [event] = [...events.values()];
    expect(event).toMatchObject({
      metadata: { namespace: 'team-a' },
      involvedObject: { apiVersion: 'cloudnet.io/v1alpha1', kind: 'Subnet', name: 'app', namespace: 'team-a', uid: 'u-1' },
      type: 'Normal',
      reason: 'Created',
      message: 'created subnet 10.0.0.0/24',
      count: 1,
      reportingComponent: REPORTING_CONTROLLER,
      reportingInstance: 'host_1',
      source: { component: 'cloudnet-operator' },
    });
    expect(event!.metadata!.name).toMatch(/^app\.[0-9a-f]+$/);
  });

  it('aggregates repeats into one Event with a count and the latest timestamp', async () => {
    const { sink, events, calls } = memorySink();
    const recorder = new EventRecorder({ sink, instance: 'host_1' });
    recorder.event(subnet, 'Warning', 'TransientError', 'Neutron answered 503');
    vi.advanceTimersByTime(30_000);
    recorder.event(subnet, 'Warning', 'TransientError', 'Neutron answered 503');
    vi.advanceTimersByTime(30_000);
    recorder.event(subnet, 'Warning', 'TransientError', 'Neutron answered 503');
    recorder.event(subnet, 'Warning', 'TransientError', 'Neutron answered 504');
    await recorder.flush();
    expect(calls).toEqual(['create', 'patch', 'patch', 'create']);
    const byMessage = new Map([...events.values()].map((e) => [e.message, e]));
    expect(byMessage.get('Neutron answered 503')).toMatchObject({ count: 3, firstTimestamp: new Date('2026-01-01T00:00:00Z'), lastTimestamp: new Date('2026-01-01T00:01:00Z') });
    expect(byMessage.get('Neutron answered 504')?.count).toBe(1);
  });

  it('creates a new Event when the aggregated one was deleted', async () => {
    const { sink, events, calls } = memorySink();
    const recorder = new EventRecorder({ sink, instance: 'host_1' });
    recorder.event(subnet, 'Normal', 'Updated', 'updated');
    await recorder.flush();
    events.clear();
    recorder.event(subnet, 'Normal', 'Updated', 'updated');
    await recorder.flush();
    expect(calls).toEqual(['create', 'patch', 'create']);
    expect([...events.values()][0]?.count).toBe(1);
  });

  it('a hot loop cannot flood: 25 events per object, then one per 5 minutes', async () => {
    const { sink, calls } = memorySink();
    const recorder = new EventRecorder({ sink, instance: 'host_1' });
    for (let i = 0; i < 100; i++) recorder.event(subnet, 'Warning', 'Failed', `attempt ${i}`);
    recorder.event({ ...subnet, metadata: { ...subnet.metadata, name: 'other', uid: 'u-2' } }, 'Normal', 'Created', 'other object');
    await recorder.flush();
    expect(calls).toHaveLength(26);
    expect(recorder.dropped).toBe(75);
    vi.advanceTimersByTime(300_000);
    recorder.event(subnet, 'Warning', 'Failed', 'later');
    recorder.event(subnet, 'Warning', 'Failed', 'later again');
    await recorder.flush();
    expect(calls).toHaveLength(27);
  });
});
