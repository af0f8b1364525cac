// Waits for one object to be Ready for its current spec by watching it (list, then watch from the
// list's resourceVersion), never by polling.
import { CustomObjectsApi, Watch, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { collectionPath, type ResourceType } from '../runtime/client.ts';
import { readinessOf, type ObjectWithStatus } from './readiness.ts';

export interface WaitOptions {
  /** How long to wait before rejecting with a NotReadyError of reason Timeout (default 5 minutes). */
  timeoutMs?: number;
  /** Aborts the wait: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

/** Why an object will not be (or was not in time) Ready: the condition's words, or what was last seen. */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  readonly reason: 'Stalled' | 'Timeout' | 'NotFound';
  /** The object as last seen; undefined when it does not exist. */
  readonly object: ObjectWithStatus | undefined;

  constructor(reason: NotReadyError['reason'], message: string, object: ObjectWithStatus | undefined) {
    super(message);
    this.reason = reason;
    this.object = object;
  }
}

/** An ERROR event of the watch: the metav1.Status the API server sent instead of an object. */
class WatchStatusError extends Error {
  readonly code: number | undefined;
  constructor(status: V1Status) {
    super(`watch failed: ${status.code ?? ''} ${status.reason ?? ''}: ${status.message ?? ''}`);
    this.code = status.code;
  }
}

export async function waitForReady(
  kubeConfig: KubeConfig,
  resource: ResourceType,
  namespace: string,
  name: string,
  options: WaitOptions = {},
): Promise<ObjectWithStatus> {
  options.signal?.throwIfAborted();
  const label = `${resource.kind} ${namespace}/${name}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const stop = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const fieldSelector = `metadata.name=${name}`;
  let last: ObjectWithStatus | undefined;

  /** The object once Ready; undefined while it may still become Ready; throws when it will not (Stalled, gone). */
  const judge = (obj: ObjectWithStatus | undefined): ObjectWithStatus | undefined => {
    last = obj ?? last;
    if (!obj) throw new NotReadyError('NotFound', `${label} does not exist (or was deleted)`, last);
    const readiness = readinessOf(obj);
    if (readiness.state === 'Stalled') {
      throw new NotReadyError('Stalled', `${label} is stalled (${readiness.reason}): ${readiness.message}`, obj);
    }
    return readiness.state === 'Ready' ? obj : undefined;
  };
  const stopped = (): unknown => {
    if (options.signal?.aborted) return options.signal.reason;
    const seen = last ? readinessOf(last) : undefined;
    const summary = seen?.state === 'InProgress' ? seen.summary : 'not seen';
    return new NotReadyError('Timeout', `timed out after ${timeoutMs} ms waiting for ${label} to be Ready; last seen: ${summary}`, last);
  };

  for (;;) {
    const list = await custom.listNamespacedCustomObject({ group: resource.group, version: resource.version, plural: resource.plural, namespace, fieldSelector });
    const ready = judge((list.items as ObjectWithStatus[])[0]);
    if (ready) return ready;
    const watched = await watchUntilReady(kubeConfig, collectionPath(resource, namespace), { fieldSelector, resourceVersion: list.metadata?.resourceVersion }, judge, stop, stopped);
    if (watched) return watched;
    // The watch ended (the server's timeout, a quiet connection, 410 Gone): list again, then watch on.
  }
}

/** One watch: resolves with the object once Ready, or undefined when the watch ends and should be started again. */
function watchUntilReady(
  kubeConfig: KubeConfig,
  path: string,
  query: { fieldSelector: string; resourceVersion: string | undefined },
  judge: (obj: ObjectWithStatus | undefined) => ObjectWithStatus | undefined,
  stop: AbortSignal,
  stopped: () => unknown,
): Promise<ObjectWithStatus | undefined> {
  return new Promise((resolve, reject) => {
    // Stopped during the list: an aborted signal fires no more abort events.
    if (stop.aborted) {
      reject(stopped());
      return;
    }
    let request: AbortController | undefined;
    let finished = false;
    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      stop.removeEventListener('abort', onStop);
      request?.abort();
      settle();
    };
    const onStop = () => finish(() => reject(stopped()));
    stop.addEventListener('abort', onStop, { once: true });
    const onEvent = (type: string, obj: unknown) => {
      if (finished || type === 'BOOKMARK') return;
      if (type === 'ERROR') {
        const error = new WatchStatusError(obj as V1Status);
        finish(() => (error.code === 410 ? resolve(undefined) : reject(error)));
        return;
      }
      try {
        const ready = judge(type === 'DELETED' ? undefined : (obj as ObjectWithStatus));
        if (ready) finish(() => resolve(ready));
      } catch (err) {
        finish(() => reject(err));
      }
    };
    // An answer of the API server other than 410 (403, 404 of the resource; client-node's Watch
    // gives its status as statusCode) will not change on a retry; a dropped or quiet connection
    // (client-node's inactivity timeout, a DOMException) is watched again.
    const onEnd = (err: unknown) => {
      const status = (err as { statusCode?: unknown } | null)?.statusCode;
      finish(() => (typeof status === 'number' && status !== 410 ? reject(err) : resolve(undefined)));
    };
    new Watch(kubeConfig)
      .watch(path, { ...query, allowWatchBookmarks: true }, onEvent, onEnd)
      .then(
        (controller) => {
          request = controller;
          if (finished) controller.abort();
        },
        (err: unknown) => finish(() => reject(err)),
      );
  });
}
