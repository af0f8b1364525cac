// Wiring for the manager: the shared informers, their indexes, the ProviderConfig controller and
// one generic controller per managed kind, for the providers and adapters the caller assembles.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { providerConfig as providerConfigKind } from '../api/providerconfig.ts';
import type { RetryPolicy } from '../cloud/http.ts';
import type { ControllerDefinition, ManagerContext } from '../manager.ts';
import { objectKey, type Cache } from '../runtime/cache.ts';
import type { ResourceType } from '../runtime/client.ts';
import type { ReconcileContext, SecondaryWatch } from '../runtime/controller.ts';
import { FINALIZER } from '../runtime/finalizers.ts';
import type { Informer } from '../runtime/informer.ts';
import { changedBeyondOwnWrites, viewChanged } from '../runtime/predicates.ts';
import { cloudnetResource, isBlocking, specReferences, type AnyAdapter, type ManagedObject } from './adapter.ts';
import {
  clusterView,
  dependentsView,
  kubeWriter,
  managedIndexes,
  PROVIDER_CONFIG_INDEX,
  providerConfigView,
  REFERENCES_INDEX,
  referenceKey,
} from './kube.ts';
import { ManagedReconciler } from './managed.ts';
import type { AnyProvider } from './provider.ts';
import { ProviderRegistry, SECRETS_INDEX, trimUnreadSecrets, type ProviderConfig } from './provider-registry.ts';
import { ProviderConfigReconciler, refusedCredentials } from './providerconfig.ts';
import { registerStateMetrics, type StatefulObject } from './state-metrics.ts';
import type { BackoffOptions } from './timing.ts';
import { VERSION } from '../version.ts';

export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const PROVIDER_CONFIGS: ResourceType = cloudnetResource(providerConfigKind);

export interface ControllersOptions {
  /** The clouds ProviderConfigs may name. */
  providers: readonly AnyProvider[];
  /**
   * The kinds to serve: one adapter per kind and cloud. A kind with adapters for several clouds
   * (a PrivateNetwork on Exoscale or OpenStack) is served by the one of its object's ProviderConfig;
   * they read the same spec, so they name the same references (the first one's index them).
   */
  adapters: readonly AnyAdapter[];
  /** Default drift-check period; default the manager's --resync-period. */
  resyncPeriodMs?: number;
  /** Retries of transient errors and polls (default 1 s doubling to 5 min). */
  backoff?: BackoffOptions;
  /** Minimum wait before retrying QuotaExceeded (default 60 s). */
  quotaRetryMs?: number;
  /** HTTP settings of the cloud clients. */
  cloud?: { timeoutMs?: number; retry?: Partial<RetryPolicy>; operationPollMs?: number };
}

interface World {
  providerConfigs: Informer<ProviderConfig>;
  secrets: Informer<V1Secret>;
  kinds: Map<string, { adapter: AnyAdapter; informer: Informer<ManagedObject> }>;
  caches: Map<string, Cache<ManagedObject>>;
  registry: ProviderRegistry;
}

function buildWorld(ctx: ManagerContext, options: ControllersOptions): World {
  const providerConfigs = ctx.informer<ProviderConfig>(PROVIDER_CONFIGS);
  // Secrets are listed once the ProviderConfigs are: the transform keeps the data of those they read.
  const secrets = ctx.informer<V1Secret>(SECRETS, { transform: trimUnreadSecrets(providerConfigs.cache), startAfter: providerConfigs.waitForSync() });
  const registry = new ProviderRegistry({
    providers: options.providers,
    providerConfigs: providerConfigs.cache,
    secrets: secrets.cache,
    client: {
      metrics: ctx.metrics.registry,
      log: ctx.log,
      // The cloud's logs say which replica wrote; one that may have lost the leader lease writes nothing.
      userAgent: `cloudnet-operator/${VERSION} (${ctx.config.leaderElectionIdentity})`,
      mayWrite: ctx.mayWrite,
      ...options.cloud,
    },
  });
  providerConfigs.cache.addIndex(SECRETS_INDEX, registry.secretsIndex);
  const kinds = new Map<string, { adapter: AnyAdapter; informer: Informer<ManagedObject> }>();
  for (const adapter of options.adapters) {
    if (kinds.has(adapter.kind)) continue;
    const informer = ctx.informer<ManagedObject>(adapter.resource);
    for (const [name, fn] of Object.entries(managedIndexes(adapter))) informer.cache.addIndex(name, fn);
    kinds.set(adapter.kind, { adapter, informer });
  }
  const caches = new Map([...kinds].map(([kind, { informer }]) => [kind, informer.cache]));
  // ProviderConfigs too: one that is not Ready holds back every object that names it.
  registerStateMetrics(ctx.metrics.registry, new Map<string, { list(): StatefulObject[] }>([[PROVIDER_CONFIGS.kind, providerConfigs.cache], ...caches]));
  return { providerConfigs, secrets, kinds, caches, registry };
}

const keysOf = (objects: KubernetesObject[]): string[] => objects.map(objectKey);

/** Updates that only echo the operator's own writes (status, its finalizer) wake nothing. */
const notOwnWrite = changedBeyondOwnWrites(FINALIZER);

/**
 * The controller definitions for Manager: `new Manager({ config, controllers: createControllers({ providers, adapters }) })`.
 * Informers and indexes are created once, on the first setup, through the manager's shared informers.
 */
export function createControllers(options: ControllersOptions): ControllerDefinition[] {
  let world: World | undefined;
  const worldOf = (ctx: ManagerContext): World => (world ??= buildWorld(ctx, options));

  const providerConfigController: ControllerDefinition = {
    name: 'providerconfig',
    kind: 'ProviderConfig',
    setup(ctx) {
      const w = worldOf(ctx);
      const users = (key: string) => [...w.caches.values()].flatMap((cache) => cache.byIndex(PROVIDER_CONFIG_INDEX, key));
      const reconciler = new ProviderConfigReconciler({
        registry: w.registry,
        providerConfigs: w.providerConfigs.cache,
        secrets: w.secrets.cache,
        writer: kubeWriter(ctx.client<ProviderConfig>(PROVIDER_CONFIGS)),
        secretWriter: kubeWriter(ctx.client<V1Secret>(SECRETS)),
        loadSecret: (namespace, name) => w.secrets.refresh(namespace, name),
        users,
        events: ctx.recorder,
        backoff: options.backoff,
      });
      const secretWatch: SecondaryWatch = {
        informer: w.secrets,
        changed: notOwnWrite,
        map: (secret) => {
          const namespace = secret.metadata?.namespace ?? '';
          const readers = w.providerConfigs.cache.byIndex(SECRETS_INDEX, `${namespace}/${secret.metadata?.name ?? ''}`);
          // A Secret still holding the finalizer that nobody reads is released by any ProviderConfig of its namespace.
          const holders = secret.metadata?.finalizers?.length ? w.providerConfigs.cache.list(namespace) : [];
          return [...new Set(keysOf([...readers, ...holders]))];
        },
      };
      // Objects going away wake a ProviderConfig that waits for them before it can be deleted; objects
      // the cloud refused for the credentials wake it to probe them again.
      const userWatches: SecondaryWatch[] = [...w.kinds.values()].map(({ informer }) => ({
        informer,
        map: (obj) => {
          const managed = obj as ManagedObject;
          const pc = w.providerConfigs.cache.get(managed.metadata?.namespace, managed.spec?.providerConfigRef?.name ?? '');
          return pc && (pc.metadata.deletionTimestamp || refusedCredentials(managed)) ? [objectKey(pc)] : [];
        },
      }));
      return { primary: w.providerConfigs, primaryChanged: notOwnWrite, watches: [secretWatch, ...userWatches], reconcile: reconciler.reconcile };
    },
  };

  const byKind = Map.groupBy(options.adapters, (adapter) => adapter.kind);
  const managedControllers = [...byKind.values()].map(
    (kindAdapters): ControllerDefinition => ({
      name: kindAdapters[0]!.kind.toLowerCase(),
      kind: kindAdapters[0]!.kind,
      setup(ctx) {
        const w = worldOf(ctx);
        const adapter = kindAdapters[0]!;
        const own = w.kinds.get(adapter.kind)!.informer;
        const writer = kubeWriter(ctx.client<ManagedObject>(adapter.resource));
        const secrets = ctx.client<V1Secret>(SECRETS);
        const providerNames = kindAdapters.map((a) => a.provider.name);
        const reconcilers = new Map(
          kindAdapters.map((a) => [
            a.provider.name,
            new ManagedReconciler({
              adapter: a,
              providerNames,
              objects: own.cache,
              writer,
              cluster: clusterView(w.caches),
              providers: (namespace, name, provider) => w.registry.lookup(namespace, name, provider),
              secrets,
              events: ctx.recorder,
              resyncPeriodMs: options.resyncPeriodMs ?? ctx.config.resyncPeriodMs,
              backoff: options.backoff,
              quotaRetryMs: options.quotaRetryMs,
            }),
          ]),
        );
        // The object's ProviderConfig says which cloud's adapter serves it; without one, the first reports why.
        const reconcilerOf = (key: string) => {
          const obj = own.cache.getByKey(key) as ManagedObject | undefined;
          const pc = obj && w.providerConfigs.cache.get(obj.metadata.namespace, obj.spec?.providerConfigRef?.name ?? '');
          return reconcilers.get(pc?.spec.provider ?? '') ?? reconcilers.get(providerNames[0]!)!;
        };
        // What a reconciler remembers of its own writes is dropped once the cache shows them.
        own.addHandlers({ update: (_old, obj) => reconcilers.forEach((r) => r.memory.ownWrites.seen(objectKey(obj), obj as ManagedObject)) });
        const reconciler = {
          reconcile: (key: string, rc: ReconcileContext) => reconcilerOf(key).reconcile(key, rc),
          waitingOn: (kind: string, namespace: string) => [...reconcilers.values()].flatMap((r) => r.waitingOn(kind, namespace)),
        };
        const usersOf = (pc: KubernetesObject) => own.cache.byIndex(PROVIDER_CONFIG_INDEX, objectKey(pc));
        const providerWatch: SecondaryWatch = { informer: w.providerConfigs, changed: viewChanged(providerConfigView), map: (pc) => keysOf(usersOf(pc)) };
        // Also makes the controller wait for the Secrets cache: clients are built from it. Objects
        // waiting for a Secret key to create with are woken by any Secret of their namespace.
        const secretWatch: SecondaryWatch = {
          informer: w.secrets,
          changed: notOwnWrite,
          map: (secret) => [
            ...new Set([
              ...keysOf(w.providerConfigs.cache.byIndex(SECRETS_INDEX, objectKey(secret)).flatMap(usersOf)),
              ...reconciler.waitingOn('Secret', secret.metadata?.namespace ?? ''),
            ]),
          ],
        };
        // A change of what any managed object shows others wakes this kind's objects that reference
        // it (waiting for it), this kind's objects it blocks that are being deleted (waiting for it
        // to go), and those waiting for a CloudPrecondition that its kind may satisfy.
        const referenceWatches: SecondaryWatch[] = [...w.kinds.values()].map(({ adapter: other, informer }) => ({
          informer,
          changed: viewChanged(dependentsView),
          map: (obj) => {
            const managed = obj as ManagedObject;
            const namespace = managed.metadata?.namespace ?? '';
            const waiting = keysOf(own.cache.byIndex(REFERENCES_INDEX, referenceKey(other.kind, namespace, managed.metadata?.name ?? '')));
            const deleting = specReferences(other, managed)
              .filter((ref) => ref.kind === adapter.kind && isBlocking(ref))
              .map((ref) => own.cache.get(namespace, ref.name))
              .filter((target): target is ManagedObject => target?.metadata.deletionTimestamp !== undefined);
            return [...new Set([...waiting, ...keysOf(deleting), ...reconciler.waitingOn(other.kind, namespace)])];
          },
        }));
        return { primary: own, primaryChanged: notOwnWrite, watches: [providerWatch, secretWatch, ...referenceWatches], reconcile: reconciler.reconcile };
      },
    }),
  );

  return [providerConfigController, ...managedControllers];
}
