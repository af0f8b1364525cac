import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { systemClock, type Clock } from './clock.ts';
import { isNotFound } from './client.ts';
import type { Logger } from './log.ts';
import { TokenBucket } from './token-bucket.ts';

export const REPORTING_CONTROLLER = 'cloudnet.io/cloudnet-operator';
export const COMPONENT = 'cloudnet-operator';

export type EventType = 'Normal' | 'Warning';

/** Where events go; the default writes core/v1 Events through client-node. */
export interface EventSink {
  create(namespace: string, event: CoreV1Event): Promise<CoreV1Event>;
  patch(namespace: string, name: string, patch: Partial<CoreV1Event>): Promise<CoreV1Event>;
}

export function kubeEventSink(kubeConfig: KubeConfig): EventSink {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    create: (namespace, body) => api.createNamespacedEvent({ namespace, body }),
    patch: (namespace, name, body) => api.patchNamespacedEvent({ namespace, name, body }, mergePatch),
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** reportingInstance and source.host: the operator's identity. */
  instance: string;
  clock?: Clock;
  log?: Logger;
  /** Spam filter per object (client-go: 25 events, then one per 5 minutes). */
  burst?: number;
  refillPerSecond?: number;
  /** How many distinct events are remembered for aggregation. */
  cacheSize?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

/**
 * Records Kubernetes Events like client-go's recorder: a repeat of the same event (object, type,
 * reason, message) bumps count and lastTimestamp of the existing Event instead of creating one,
 * and a token bucket per object drops events from a hot loop. Recording never blocks the caller.
 */
export class EventRecorder {
  readonly #sink: EventSink;
  readonly #instance: string;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #burst: number;
  readonly #refillPerSecond: number;
  readonly #cacheSize: number;
  readonly #seen = new Map<string, Seen>();
  readonly #buckets = new Map<string, TokenBucket>();
  #pending: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.#sink = options.sink;
    this.#instance = options.instance;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    this.#burst = options.burst ?? 25;
    this.#refillPerSecond = options.refillPerSecond ?? 1 / 300;
    this.#cacheSize = options.cacheSize ?? 4096;
  }

  /** Events dropped by the spam filter so far. */
  get dropped(): number {
    return this.#dropped;
  }

  event(obj: KubernetesObject, type: EventType, reason: string, message: string): void {
    const objectKey = involvedKey(obj);
    let bucket = this.#buckets.get(objectKey);
    if (!bucket) {
      bucket = new TokenBucket(this.#refillPerSecond, this.#burst, this.#clock);
      this.#buckets.set(objectKey, bucket);
      if (this.#buckets.size > this.#cacheSize) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    if (!bucket.tryTake()) {
      this.#dropped++;
      return;
    }
    const now = new Date(this.#clock.now());
    // Serialized, so a repeat always finds the Event its predecessor created.
    this.#pending = this.#pending.then(() => this.#record(obj, objectKey, now, type, reason, message)).catch((err: unknown) => {
      this.#log?.warn({ err, reason }, 'could not record event');
    });
  }

  /** Resolves once every event recorded so far has been written. */
  flush(): Promise<void> {
    return this.#pending;
  }

  async #record(obj: KubernetesObject, objectKey: string, now: Date, type: EventType, reason: string, message: string): Promise<void> {
    const key = `${objectKey}|${type}|${reason}|${message}`;
    const seen = this.#seen.get(key);
    if (seen) {
      try {
        await this.#sink.patch(seen.namespace, seen.name, { count: seen.count + 1, lastTimestamp: now });
        seen.count++;
        this.#remember(key, seen);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const namespace = obj.metadata?.namespace || 'default';
    const name = `${obj.metadata?.name ?? 'unknown'}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(this.#seen.size)).toString(16)}`;
    const created = await this.#sink.create(namespace, {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata?.name,
        namespace: obj.metadata?.namespace,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: COMPONENT, host: this.#instance },
      reportingComponent: REPORTING_CONTROLLER,
      reportingInstance: this.#instance,
      action: reason,
    });
    this.#remember(key, { name: created.metadata?.name ?? name, namespace, count: 1 });
  }

  /** Least recently used first out. */
  #remember(key: string, seen: Seen): void {
    this.#seen.delete(key);
    this.#seen.set(key, seen);
    if (this.#seen.size > this.#cacheSize) this.#seen.delete(this.#seen.keys().next().value!);
  }
}

function involvedKey(obj: KubernetesObject): string {
  const m = obj.metadata;
  return `${obj.apiVersion}|${obj.kind}|${m?.namespace ?? ''}|${m?.name ?? ''}|${m?.uid ?? ''}`;
}
