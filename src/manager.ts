import { readFileSync } from 'node:fs';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Config } from './config.ts';
import { ResourceClient, type ResourceType } from './runtime/client.ts';
import { Controller, type ControllerOptions } from './runtime/controller.ts';
import { EventRecorder, kubeEventSink } from './runtime/events.ts';
import { serveHttp, type HttpServers } from './runtime/http.ts';
import { Informer, type InformerOptions } from './runtime/informer.ts';
import { reuseConnections } from './runtime/kubeconfig.ts';
import { LeaderElector } from './runtime/leader.ts';
import { createLogger, type Logger } from './runtime/log.ts';
import { RuntimeMetrics } from './runtime/metrics.ts';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** What a controller may set on a shared informer. */
export type InformerTuning<T extends KubernetesObject> = Pick<InformerOptions<T>, 'transform' | 'startAfter'>;

/** What a controller definition can use to set itself up. */
export interface ManagerContext {
  config: Config;
  kubeConfig: KubeConfig;
  log: Logger;
  metrics: RuntimeMetrics;
  recorder: EventRecorder;
  /** The shared informer of a resource type over the watched namespaces (one per type; options apply when it is created). */
  informer<T extends KubernetesObject = KubernetesObject>(resource: ResourceType, options?: InformerTuning<T>): Informer<T>;
  /** A client of the resource type whose writes (status, finalizers) the fence guards. */
  client<T extends KubernetesObject = KubernetesObject>(resource: ResourceType): ResourceClient<T>;
  /**
   * The fence: whether this replica may write (to the cloud, to objects) now. Always without
   * leader election; with it, only while the lease is held beyond doubt (LeaderElector.holds).
   */
  readonly mayWrite: () => boolean;
}

/** What a controller definition wires: its informers, the events that wake it, its reconcile. */
export type ControllerSetup = Pick<ControllerOptions, 'primary' | 'primaryChanged' | 'watches' | 'reconcile' | 'rateLimiter'>;

/** One controller: a kind and how to reconcile it. */
export interface ControllerDefinition {
  /** Lower-case name for metrics and logs, e.g. "network". */
  name: string;
  /** Kind, for --concurrency Kind=N. */
  kind: string;
  setup(ctx: ManagerContext): ControllerSetup;
}

export interface ManagerOptions {
  config: Config;
  controllers: ControllerDefinition[];
  /** Defaults to --kubeconfig, else the in-cluster service account. */
  kubeConfig?: KubeConfig;
  log?: Logger;
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  // client-node would otherwise build https://undefined:undefined and retry it forever.
  else throw new Error('no --kubeconfig (or $KUBECONFIG) given and not running in a cluster ($KUBERNETES_SERVICE_HOST is unset)');
  return reuseConnections(kc);
}

function leaseNamespace(config: Config): string {
  if (config.leaderElectionNamespace) return config.leaderElectionNamespace;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  } catch {
    return 'default';
  }
}

/**
 * Runs the operator: informers (on every replica, so a standby has warm caches), controllers
 * only while leading, the metrics and probe endpoints, and a graceful shutdown that stops intake,
 * finishes reconciles in flight, then releases the lease. A lost lease stops it without waiting:
 * reconciles still in flight find the fence (mayWrite) closed for every write they try.
 */
export class Manager implements ManagerContext {
  readonly config: Config;
  readonly kubeConfig: KubeConfig;
  readonly log: Logger;
  readonly metrics = new RuntimeMetrics();
  readonly recorder: EventRecorder;
  readonly #definitions: ControllerDefinition[];
  readonly #informers = new Map<string, Informer<KubernetesObject>>();
  readonly #controllers: Controller[] = [];
  readonly #stop = new AbortController();
  readonly #leaderStop = new AbortController();
  #elector: LeaderElector | undefined;
  readonly mayWrite = (): boolean => !this.config.leaderElect || (this.#elector?.holds() ?? false);
  #http: HttpServers | undefined;
  #started = false;
  #exitCode = 0;
  #drain = true;
  #stopped: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    this.config = options.config;
    this.log = options.log ?? createLogger({ level: options.config.logLevel });
    this.kubeConfig = options.kubeConfig ?? loadKubeConfig(options.config.kubeconfig);
    this.#definitions = options.controllers;
    this.recorder = new EventRecorder({ sink: kubeEventSink(this.kubeConfig), instance: options.config.leaderElectionIdentity, log: this.log });
  }

  informer<T extends KubernetesObject = KubernetesObject>(resource: ResourceType, options: InformerTuning<T> = {}): Informer<T> {
    const id = `${resource.group}/${resource.version}/${resource.plural}`;
    let informer = this.#informers.get(id);
    if (!informer) {
      informer = new Informer<T>({ kubeConfig: this.kubeConfig, resource, namespaces: this.config.namespaces, log: this.log, ...options }) as unknown as Informer;
      this.#informers.set(id, informer);
      if (this.#started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  client<T extends KubernetesObject = KubernetesObject>(resource: ResourceType): ResourceClient<T> {
    return new ResourceClient<T>(this.kubeConfig, resource, { mayWrite: this.mayWrite });
  }

  /** Bound addresses of the HTTP endpoints (useful with port 0). */
  get addresses(): { metrics: string | undefined; probes: string | undefined } {
    return { metrics: this.#http?.metrics, probes: this.#http?.probes };
  }

  ready(): boolean {
    return !this.#stop.signal.aborted && [...this.#informers.values()].every((i) => i.hasSynced());
  }

  /** Runs until shutdown() (exit code 0) or lost leadership (exit code 1); resolves with the exit code. */
  async run(): Promise<number> {
    const { config } = this;
    for (const definition of this.#definitions) {
      const setup = definition.setup(this);
      this.#controllers.push(
        new Controller({
          name: definition.name,
          kind: definition.kind,
          ...setup,
          concurrency: config.concurrency.perKind[definition.kind] ?? config.concurrency.default,
          log: this.log,
          metrics: this.metrics,
        }),
      );
    }
    this.#http = await serveHttp({
      metricsBindAddress: config.metricsBindAddress,
      healthProbeBindAddress: config.healthProbeBindAddress,
      registry: this.metrics.registry,
      healthz: () => true,
      readyz: () => this.ready(),
    });
    this.log.info({ metrics: this.#http.metrics, probes: this.#http.probes, namespaces: config.namespaces.length ? config.namespaces : 'all' }, 'manager serving');
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();

    if (config.leaderElect) {
      const elector = (this.#elector = new LeaderElector({
        kubeConfig: this.kubeConfig,
        namespace: leaseNamespace(config),
        name: config.leaderElectionId,
        identity: config.leaderElectionIdentity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        log: this.log,
        metrics: this.metrics,
        onStartedLeading: () => this.#startControllers(),
        onStoppedLeading: (reason) => {
          // Another replica may lead already: stop at once rather than finish work (controller-runtime exits).
          if (reason === 'lost') this.shutdown('leadership lost', 1, { drain: false });
        },
        onNewLeader: (identity) => this.log.info({ leader: identity }, 'new leader observed'),
      }));
      const election = elector.run(this.#leaderStop.signal);
      await this.#waitForStop();
      await this.#stopControllers();
      this.#leaderStop.abort();
      await election;
    } else {
      this.#startControllers();
      await this.#waitForStop();
      await this.#stopControllers();
    }
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
    await this.recorder.flush();
    await this.#http.close();
    this.log.info({ exitCode: this.#exitCode }, 'manager stopped');
    return this.#exitCode;
  }

  /** Begins a shutdown (by default graceful: reconciles in flight finish); run() then resolves. */
  shutdown(reason: string, exitCode = 0, options: { drain: boolean } = { drain: true }): void {
    if (this.#stop.signal.aborted) return;
    this.#exitCode = exitCode;
    this.#drain = options.drain;
    this.log.info({ reason }, 'shutting down');
    this.#stop.abort();
  }

  #waitForStop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stop.signal.aborted) resolve();
      else this.#stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  #startControllers(): void {
    for (const controller of this.#controllers) {
      controller.start(this.#stop.signal).catch((err: unknown) => {
        if (!this.#stop.signal.aborted) this.log.error({ err, controller: controller.name }, 'controller failed to start');
      });
    }
  }

  /** Stops intake and waits (at most the graceful shutdown timeout) for reconciles in flight. */
  #stopControllers(): Promise<void> {
    this.#stopped ??= (async () => {
      const drained = Promise.all(this.#controllers.map((c) => c.stop({ drain: this.#drain })));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.config.gracefulShutdownTimeoutMs)));
      const outcome = await Promise.race([drained.then(() => 'drained' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') this.log.warn({ timeoutMs: this.config.gracefulShutdownTimeoutMs }, 'reconciles still running at the shutdown timeout');
    })();
    return this.#stopped;
  }
}
