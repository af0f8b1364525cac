import type { KubeObject, ResourceType } from './types.ts';
import { clone } from './objects.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  storageKey: string;
  rv: number;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED write, for watches that filter on labels or fields. */
  previous?: KubeObject;
}

type Listener = (event: StoreEvent) => void;

/** Where a type's objects live, and how they convert when several API versions share them. */
export type Bucket = Pick<ResourceType, 'storageKey' | 'storageForm'>;

/** An object of `bucket` as its own API version sees it. */
export function fromStored(bucket: Bucket, obj: KubeObject): KubeObject {
  return bucket.storageForm ? bucket.storageForm.fromStored(obj) : obj;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * All objects of all resources, one global resourceVersion counter (like etcd's revision), and a
 * bounded event history so watches can resume from a resourceVersion until it is compacted.
 */
export class Store {
  private revision = 1;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Every event with rv > this is still in `history`; watching from an older version is 410 Gone. */
  private compactedRevision = 0;
  private readonly listeners = new Set<Listener>();
  private readonly watchWindow: number;
  private expiredReads = 0;

  constructor(watchWindow: number) {
    this.watchWindow = watchWindow;
  }

  currentRevision(): number {
    return this.revision;
  }

  oldestWatchableRevision(): number {
    return this.compactedRevision;
  }

  get(bucket: Bucket, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.buckets.get(bucket.storageKey)?.get(objectKey(namespace, name));
    return found ? fromStored(bucket, clone(found)) : undefined;
  }

  /** Objects in key order (namespace, then name), like etcd range reads. */
  list(bucket: Bucket, namespace?: string): KubeObject[] {
    const objects = this.buckets.get(bucket.storageKey);
    if (!objects) return [];
    return [...objects.entries()]
      .filter(([, obj]) => namespace === undefined || obj.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => fromStored(bucket, clone(obj)));
  }

  create(bucket: Bucket, obj: KubeObject): KubeObject {
    return this.write('ADDED', bucket, obj);
  }

  update(bucket: Bucket, obj: KubeObject): KubeObject {
    return this.write('MODIFIED', bucket, obj);
  }

  /** Removes the object; the DELETED event carries the deletion's resourceVersion, as etcd does. */
  remove(bucket: Bucket, obj: KubeObject): KubeObject {
    return this.write('DELETED', bucket, obj);
  }

  /** Forget the event history: watches from any older resourceVersion now get 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedRevision = this.revision;
  }

  /** Events after `rv`, or undefined when they were compacted away. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRevision) {
      this.expiredReads += 1;
      return undefined;
    }
    return this.history.filter((e) => e.rv > rv);
  }

  /** How many reads asked for history compacted away (watches answered 410 Gone). */
  expired(): number {
    return this.expiredReads;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private write(type: StoreEventType, target: Bucket, obj: KubeObject): KubeObject {
    const { storageKey } = target;
    const name = obj.metadata.name ?? '';
    this.revision += 1;
    const stored = target.storageForm ? target.storageForm.toStored(clone(obj)) : clone(obj);
    stored.metadata.resourceVersion = String(this.revision);
    let bucket = this.buckets.get(storageKey);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(storageKey, bucket);
    }
    const key = objectKey(obj.metadata.namespace, name);
    const previous = bucket.get(key);
    if (type === 'DELETED') bucket.delete(key);
    else bucket.set(key, stored);
    const event: StoreEvent = { type, storageKey, rv: this.revision, object: stored };
    if (previous) event.previous = previous;
    this.history.push(event);
    if (this.history.length > this.watchWindow) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRevision = dropped.rv;
    }
    for (const listener of this.listeners) listener(event);
    return fromStored(target, clone(stored));
  }
}
