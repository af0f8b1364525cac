// Scenario harness: the local Kubernetes API server with the CRDs from crds/, a cloud backend,
// and the operator (Manager + operatorControllers) in-process, driven through @kubernetes/client-node.
// Backend: the OpenStack simulator by default; CLOUDNET_TEST_BACKEND=real with OS_CLIENT_CONFIG_FILE
// and OS_CLOUD points the same scenarios at a real cloud, through test/real/proxy.ts, which gives it the
// simulator's fault injection and call accounting (checks that need the simulator's state are skipped there).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type CoreV1Event,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Secret,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { GROUP, VERSION } from '../../src/api/kind.ts';
import { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import { parseCloudsYaml } from '../../src/cloud/openstack/config.ts';
import { parseConfig } from '../../src/config.ts';
import { Manager } from '../../src/manager.ts';
import { operatorControllers, type OperatorOptions } from '../../src/operator.ts';
import { SECRETS } from '../../src/reconcile/index.ts';
import { createLogger } from '../../src/runtime/log.ts';
import { crdManifests } from '../../dev/crds.ts';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import { startKubeApiServer, type KubeApiServer } from '../../dev/kube/server.ts';
import type { StoreEvent } from '../../dev/kube/store.ts';
import { startCloudProxy } from '../real/proxy.ts';
import type { CallLog } from '../../dev/sim/openstack/calls.ts';
import type { Faults } from '../../dev/sim/openstack/faults.ts';
import { until } from '../support/wait.ts';
import { DEFAULT_USERS, simCloudsYaml, startOpenStackSim, type CallFilter, type OpenStackSim, type OpenStackSimOptions } from '../../dev/sim/openstack/index.ts';
import { LeakCollector, testCredential } from './secret-leaks.ts';

const PLURALS: Record<string, string> = {};

/** A real cloud backend (behind the recording, fault-injecting proxy): tests that need the simulator's state skip. */
export const realCloud = process.env.CLOUDNET_TEST_BACKEND === 'real';

export type Obj = KubernetesObject & { spec?: Record<string, any>; status?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Cluster {
  server: KubeApiServer;
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  close(): Promise<void>;
}

/** The local API server with every CRD of crds/ installed and served. */
async function startCluster(): Promise<Cluster> {
  const server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigYaml(server.url));
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  for (const { file, crd: manifest } of crdManifests()) {
    const crd = manifest as V1CustomResourceDefinition;
    PLURALS[crd.spec.names.kind] = crd.spec.names.plural;
    // Raw JSON: client-node's typed serializer drops what it has other names for (default, x-kubernetes-*).
    const response = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crd),
    });
    if (!response.ok) throw new Error(`installing ${file}: ${response.status} ${await response.text()}`);
  }
  for (const plural of Object.values(PLURALS)) {
    await until(`${plural} served`, () => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: 'default' }).then(() => true, () => false));
  }
  return { server, kubeConfig, custom, core, close: () => server.close() };
}

/** The cloud side of a scenario. */
export interface Backend {
  cloudsYaml: string;
  cloudName: string;
  /** Keystone v3 and Neutron as the operator reaches them (through the proxy on a real cloud). */
  authUrl: string;
  networkUrl: string;
  /** Fault injection, by the simulator or by the proxy in front of the real cloud. */
  faults: Faults;
  /** Every cloud request, as the simulator or the proxy saw it. */
  calls: CallLog;
  /** Only with the simulator: its state and out-of-band helpers. */
  sim?: OpenStackSim;
  close(): Promise<void>;
}

export async function startBackend(options: OpenStackSimOptions = {}): Promise<Backend> {
  if (realCloud) {
    const file = process.env.OS_CLIENT_CONFIG_FILE;
    const cloudName = process.env.OS_CLOUD;
    const networkUrl = process.env.CLOUDNET_REAL_NETWORK_URL;
    if (!file || !cloudName || !networkUrl) throw new Error('CLOUDNET_TEST_BACKEND=real needs OS_CLIENT_CONFIG_FILE, OS_CLOUD and CLOUDNET_REAL_NETWORK_URL (openstack.sh env)');
    const cloudsYaml = readFileSync(file, 'utf8');
    const authUrl = parseCloudsYaml(cloudsYaml, cloudName).auth.authUrl;
    if (!authUrl) throw new Error(`cloud ${cloudName} of ${file} has no auth_url`);
    const { CLOUDNET_REAL_COMPUTE_URL: computeUrl, CLOUDNET_REAL_IMAGE_URL: imageUrl } = process.env;
    const proxy = await startCloudProxy({ authUrl, networkUrl, computeUrl, imageUrl, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    return { cloudsYaml: proxy.rewrite(cloudsYaml), cloudName, authUrl: proxy.authUrl, networkUrl: proxy.networkUrl, faults: proxy.faults, calls: proxy.calls, close: () => proxy.close() };
  }
  // Passwords a leak check can tell from anything else (the simulator's own are the user names).
  const users = options.users ?? DEFAULT_USERS.map((user) => ({ ...user, password: testCredential(user.name) }));
  const sim = await startOpenStackSim({ ...options, users });
  const cloudsYaml = simCloudsYaml(sim.authUrl, users);
  return { cloudsYaml, cloudName: 'sim', authUrl: sim.authUrl, networkUrl: sim.networkUrl, faults: sim.faults, calls: sim.calls, sim, close: () => sim.close() };
}

/**
 * Drift checks every second, for the tests of drift correction: an operator default (in-process
 * only), since admission and --resync-period refuse periods under 10 s.
 */
export const FAST_RESYNC: ScenarioOptions = { controllers: { resyncPeriodMs: 1000 } };

/** Short backoffs and HTTP retries so faults converge in test time. */
export const FAST: OperatorOptions = {
  backoff: { floorMs: 100, capMs: 2000 },
  quotaRetryMs: 1000,
  cloud: { timeoutMs: 5000, retry: { baseDelayMs: 10, maxDelayMs: 200 } },
};

/** How a scenario runs the operator. */
export type OperatorRun = Pick<ScenarioOptions, 'operator' | 'controllers'>;

export interface ScenarioOptions {
  /**
   * in-process (default): Manager + operatorControllers in the test, with FAST backoffs.
   * process: the real entry point (src/main.ts) as a child process, which killOperator() SIGKILLs.
   */
  operator?: 'in-process' | 'process';
  sim?: OpenStackSimOptions;
  controllers?: OperatorOptions;
}

/**
 * What a scenario has whatever its cloud: its own namespace on the cluster, the operator (in-process
 * or a process), the objects it applies, and the cloud resources it made out of band to release.
 */
export abstract class ScenarioBase {
  readonly cluster: Cluster;
  readonly namespace = `s-${randomUUID().slice(0, 8)}`;
  readonly #options: OperatorRun;
  #manager: Manager | undefined;
  #running: Promise<number> | undefined;
  #child: ChildProcess | undefined;
  #kubeconfigFile: string | undefined;
  readonly #output: string[] = [];
  /** What the operator shows (log lines, Events, statuses, metric labels) and the credentials it must never show. */
  readonly leaks = new LeakCollector();
  #unsubscribe: (() => void) | undefined;
  /** host:port of the operator process's /metrics, from its log. */
  #metricsAddress: string | undefined;
  readonly #releases = { beforeObjects: [] as (() => Promise<unknown>)[], afterObjects: [] as (() => Promise<unknown>)[] };

  protected constructor(cluster: Cluster, options: OperatorRun) {
    this.cluster = cluster;
    this.#options = options;
  }

  /** Creates the namespace with the credentials Secret and the ProviderConfig, starts the operator and waits for the ProviderConfig. */
  protected async setUp(secret: V1Secret, providerConfig: string): Promise<void> {
    this.#unsubscribe = this.cluster.server.subscribe((event) => this.#observe(event));
    await this.cluster.core.createNamespace({ body: { metadata: { name: this.namespace } } });
    await this.cluster.core.createNamespacedSecret({ namespace: this.namespace, body: secret });
    await this.applyProviderConfig();
    await this.startOperator();
    await this.waitReady('ProviderConfig', providerConfig);
  }

  /** The scenario's ProviderConfig, with `extra` in its spec. */
  abstract applyProviderConfig(extra?: Record<string, unknown>): Promise<Obj>;

  /**
   * Every write to the cluster while the scenario runs (one scenario at a time per cluster): Secrets
   * bring credentials; Events and the statuses of cloudnet objects are what the operator shows.
   */
  #observe({ storageKey, object }: StoreEvent): void {
    if (storageKey === '/secrets') this.leaks.secret(object as V1Secret);
    else if (storageKey === '/events') this.leaks.record('event', JSON.stringify(object));
    else if (storageKey.startsWith(`${GROUP}/`) && object.status !== undefined) this.leaks.record('status', JSON.stringify(object.status));
  }

  async startOperator(): Promise<void> {
    const asProcess = this.#options.operator === 'process';
    // A process's metrics are scraped over HTTP before it stops; the in-process registry is read directly.
    const metrics = asProcess ? '127.0.0.1:0' : '0';
    const args = ['--leader-elect=false', `--metrics-bind-address=${metrics}`, '--health-probe-bind-address=0', `--namespaces=${this.namespace}`, '--resync-period=10m'];
    if (asProcess) return this.#startProcess(args);
    const parsed = parseConfig(args, {});
    if (parsed.help) throw new Error('unexpected --help');
    const { config } = parsed;
    const manager = new Manager({
      config,
      controllers: operatorControllers({ ...FAST, ...this.#options.controllers }),
      kubeConfig: this.cluster.kubeConfig,
      // Every level, for the leak check; shown too when CLOUDNET_TEST_LOG asks for it.
      log: createLogger({
        level: process.env.CLOUDNET_TEST_LOG ?? 'debug',
        destination: {
          write: (line: string) => {
            this.leaks.record('log', line);
            if (process.env.CLOUDNET_TEST_LOG) process.stdout.write(line);
          },
        },
      }),
    });
    this.#manager = manager;
    this.#running = manager.run();
  }

  /** The running (in-process) operator's cached copy of a Secret of the namespace. */
  cachedSecret(name: string): V1Secret | undefined {
    return this.#manager?.informer<V1Secret>(SECRETS).cache.get(this.namespace, name);
  }

  /** Reconciles finished so far by a controller of the running operator (e.g. "network"). */
  async reconciles(controller: string): Promise<number> {
    const metric = await this.#manager?.metrics.reconcileTotal.get();
    return (metric?.values ?? []).filter((v) => v.labels.controller === controller).reduce((sum, v) => sum + v.value, 0);
  }

  /**
   * Runs `action` (which should cause reconciles: an annotation, a restart) and resolves once the
   * controller has finished `count` more reconciles than before.
   */
  async afterReconciles(controller: string, count: number, action: () => Promise<unknown>): Promise<void> {
    const before = await this.reconciles(controller);
    await action();
    await until(`${count} more ${controller} reconciles`, async () => (await this.reconciles(controller)) >= before + count);
  }

  /**
   * Touches the objects of `kind` in this order (a name may repeat) and resolves once their
   * controller has finished as many more reconciles.
   */
  async touchReconciled(kind: string, ...names: string[]): Promise<void> {
    await this.afterReconciles(controllerOf(kind), names.length, async () => {
      for (const name of names) await this.touch(kind, name);
    });
  }

  /** Stops the operator gracefully and starts it again; resolves once it has reconciled `count` objects of `kind`. */
  async restartOperator(kind: string, count: number): Promise<void> {
    await this.stopOperator();
    await this.startOperator();
    await until(`the restarted operator reconciled ${count} ${kind}`, async () => (await this.reconciles(controllerOf(kind))) >= count);
  }

  /** A metadata-only change: an informer event for the object, no generation change. */
  async touch(kind: string, name: string): Promise<void> {
    await this.cluster.custom.patchNamespacedCustomObject(
      { ...this.#api(kind), name, body: { metadata: { annotations: { 'test.cloudnet.io/touched': randomUUID() } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Graceful stop (reconciles in flight finish). */
  async stopOperator(): Promise<void> {
    if (this.#child) {
      await this.#scrapeMetrics();
      return this.#signal('SIGTERM');
    }
    this.#manager?.shutdown('test');
    await this.#running;
    if (this.#manager) this.leaks.metrics(await this.#manager.metrics.registry.metrics());
    this.#manager = undefined;
    this.#running = undefined;
  }

  /** The operator process's metrics, for the leak check (a SIGKILL comes unannounced: its last metrics go with it). */
  async #scrapeMetrics(): Promise<void> {
    const child = this.#child;
    if (!this.#metricsAddress || !child || child.exitCode !== null || child.signalCode !== null) return;
    const response = await fetch(`http://${this.#metricsAddress}/metrics`, { signal: AbortSignal.timeout(10_000) });
    this.leaks.metrics(await response.text());
  }

  /** The operator's log lines so far, of every run of it in this scenario. */
  get operatorLog(): readonly string[] {
    return this.leaks.texts('log');
  }

  /** SIGKILL of the operator process (operator: 'process'), wherever it is. */
  killOperator(): Promise<void> {
    if (!this.#child) throw new Error('killOperator needs operator: process');
    return this.#signal('SIGKILL');
  }

  /** How the operator process ended if it ended on its own (a crash), not by killOperator() or stopOperator(). */
  get operatorExit(): string | undefined {
    const child = this.#child;
    return child && (child.exitCode !== null || child.signalCode !== null) ? `exit code ${child.exitCode}, signal ${child.signalCode}` : undefined;
  }

  /** The operator process's recent output, for failure messages. */
  get operatorOutput(): string {
    return this.#output.join('');
  }

  async #startProcess(args: string[]): Promise<void> {
    this.#kubeconfigFile ??= join(tmpdir(), `cloudnet-${this.namespace}.kubeconfig`);
    writeFileSync(this.#kubeconfigFile, kubeconfigYaml(this.cluster.server.url), { mode: 0o600 });
    const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, `--kubeconfig=${this.#kubeconfigFile}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLOUDNET_LOG_LEVEL: process.env.CLOUDNET_TEST_LOG ?? 'debug' },
    });
    this.#metricsAddress = undefined;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.leaks.record('log', line);
        if (line.includes('"manager serving"')) this.#metricsAddress = (JSON.parse(line) as { metrics?: string }).metrics;
      });
    }
    const keep = (chunk: Buffer) => {
      this.#output.push(chunk.toString('utf8'));
      if (this.#output.length > 200) this.#output.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.#child = child;
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child!;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, signal);
    await exited;
  }

  /**
   * Registers the release of a cloud resource the test made out of band (which must not outlive
   * it on a real cloud). close() runs the releases last first, ignoring their errors: by default
   * once the test's objects are deleted and the operator has stopped (resources the objects use,
   * e.g. a network holding imported ports); with beforeObjects, first (resources inside the
   * objects' own, e.g. a port on a managed network, which would keep it in use).
   */
  releaseOnClose(release: () => Promise<unknown>, options: { beforeObjects?: boolean } = {}): void {
    this.#releases[options.beforeObjects ? 'beforeObjects' : 'afterObjects'].push(release);
  }

  /** Releases, then (on a cloud shared by the suite) deletes the objects, then stops the operator. */
  async close(): Promise<void> {
    const running = !!(this.#manager || this.#child);
    await this.#release('beforeObjects');
    // A simulator goes with its scenario; a real cloud is shared by the whole suite.
    if (this.sharedCloud && running) await this.#deleteAll();
    await this.stopOperator();
    await this.#release('afterObjects');
    if (this.#kubeconfigFile) rmSync(this.#kubeconfigFile, { force: true });
    this.#unsubscribe?.();
  }

  /** Whether the cloud outlives the scenario (a real one): then close() deletes the objects first. */
  protected get sharedCloud(): boolean {
    return false;
  }

  async #release(when: 'beforeObjects' | 'afterObjects'): Promise<void> {
    for (const release of this.#releases[when].splice(0).reverse()) await release().catch(() => undefined);
  }

  /**
   * Deletes every managed object of the namespace at once, the operator still running, and waits
   * until they are gone: what a test created in the cloud does not outlive it (Orphan and
   * ObserveOnly leave theirs, as they should: tests release those).
   */
  async #deleteAll(): Promise<void> {
    const kinds = Object.keys(PLURALS).filter((kind) => kind !== 'ProviderConfig');
    const objects = (
      await Promise.all(kinds.map(async (kind) => ((await this.cluster.custom.listNamespacedCustomObject(this.#api(kind))).items as Obj[]).map((o) => ({ kind, name: o.metadata!.name! }))))
    ).flat();
    await Promise.all(objects.map(({ kind, name }) => this.delete(kind, name).catch((err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)))));
    await Promise.all(objects.map(({ kind, name }) => this.waitGone(kind, name, 30_000)));
  }

  #api(kind: string) {
    const plural = PLURALS[kind];
    if (!plural) throw new Error(`unknown kind ${kind}`);
    return { group: GROUP, version: VERSION, plural, namespace: this.namespace };
  }

  /** Creates the object, or replaces its spec if it exists (like kubectl apply for these tests). */
  async apply(obj: Obj): Promise<Obj> {
    const api = this.#api(obj.kind!);
    const body = { apiVersion: `${GROUP}/${VERSION}`, ...obj, metadata: { ...obj.metadata, namespace: this.namespace } };
    for (;;) {
      const existing = await this.get(obj.kind!, obj.metadata!.name!);
      if (!existing) return this.cluster.custom.createNamespacedCustomObject({ ...api, body });
      try {
        return await this.cluster.custom.replaceNamespacedCustomObject({ ...api, name: obj.metadata!.name!, body: { ...existing, spec: obj.spec } });
      } catch (err) {
        // The operator wrote the object since it was read (status, finalizer): read it again, as kubectl does.
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }
  }

  async get(kind: string, name: string): Promise<Obj | undefined> {
    try {
      return await this.cluster.custom.getNamespacedCustomObject({ ...this.#api(kind), name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async delete(kind: string, name: string): Promise<void> {
    await this.cluster.custom.deleteNamespacedCustomObject({ ...this.#api(kind), name });
  }

  /**
   * Resolves with the object once `predicate` holds (undefined = deleted), watching the
   * collection rather than polling; rejects after `timeoutMs`, naming the last state seen.
   */
  async waitFor(kind: string, name: string, predicate: (obj: Obj | undefined) => boolean, timeoutMs = 15_000): Promise<Obj | undefined> {
    const api = this.#api(kind);
    const path = `/apis/${api.group}/${api.version}/namespaces/${api.namespace}/${api.plural}`;
    // One deadline across watch restarts: a watch the server ends early must not extend the wait.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await this.cluster.custom.listNamespacedCustomObject(api);
      let current = (list.items as Obj[]).find((o) => o.metadata?.name === name);
      if (predicate(current)) return current;
      const outcome = await new Promise<'matched' | 'restart' | 'timeout'>((resolve) => {
        let request: AbortController | undefined;
        const finish = (how: 'matched' | 'restart' | 'timeout') => {
          clearTimeout(timer);
          request?.abort();
          resolve(how);
        };
        const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - Date.now()));
        void new Watch(this.cluster.kubeConfig)
          .watch(
            path,
            { resourceVersion: list.metadata?.resourceVersion },
            (type: string, obj: Obj) => {
              if (obj.metadata?.name !== name) return;
              current = type === 'DELETED' ? undefined : obj;
              if (predicate(current)) finish('matched');
            },
            () => finish('restart'),
          )
          .then((controller) => (request = controller), () => finish('restart'));
      });
      if (outcome === 'matched') return current;
      if (outcome === 'timeout') throw new Error(`timed out waiting for ${kind} ${name}; last seen: ${JSON.stringify(current?.status ?? current ?? 'absent')}`);
    }
  }

  waitReady(kind: string, name: string, timeoutMs?: number): Promise<Obj> {
    return this.waitCondition(kind, name, 'Ready', 'True', undefined, timeoutMs) as Promise<Obj>;
  }

  /** Waits for condition `type` with this status (and reason, when given), for the current generation. */
  waitCondition(kind: string, name: string, type: string, status: string, reason?: string, timeoutMs?: number): Promise<Obj | undefined> {
    return this.waitFor(
      kind,
      name,
      (obj) => {
        const c = condition(obj, type);
        return !!c && c.status === status && (reason === undefined || c.reason === reason) && c.observedGeneration === obj?.metadata?.generation;
      },
      timeoutMs,
    );
  }

  waitGone(kind: string, name: string, timeoutMs?: number): Promise<unknown> {
    return this.waitFor(kind, name, (obj) => obj === undefined, timeoutMs);
  }

  /** Events recorded for an object of this namespace. */
  async events(name: string): Promise<CoreV1Event[]> {
    const list = await this.cluster.core.listNamespacedEvent({ namespace: this.namespace });
    return list.items.filter((e) => e.involvedObject.name === name);
  }

  /** Resolves once an event with this reason exists for the object. */
  async waitEvent(name: string, reason: string, timeoutMs = 15_000): Promise<CoreV1Event> {
    return until(`event ${reason} for ${name}`, async () => (await this.events(name)).find((e) => e.reason === reason), timeoutMs);
  }
}

/** An OpenStack scenario: the simulator (or the real cloud, behind the proxy), its Secret and the ProviderConfig "openstack". */
export class Scenario extends ScenarioBase {
  readonly backend: Backend;
  /** A cloud client of the test itself, to look at and change the cloud out of band. */
  readonly cloud: OpenStackClient;

  private constructor(cluster: Cluster, backend: Backend, options: ScenarioOptions) {
    super(cluster, options);
    this.backend = backend;
    this.cloud = new OpenStackClient({ cloud: parseCloudsYaml(backend.cloudsYaml, backend.cloudName), registry: new Registry(), retry: { maxAttempts: 1 } });
  }

  static async start(cluster: Cluster, options: ScenarioOptions = {}): Promise<Scenario> {
    const scenario = new Scenario(cluster, await startBackend(options.sim), options);
    await scenario.setUp({ metadata: { name: 'cloud-credentials' }, stringData: { 'clouds.yaml': scenario.backend.cloudsYaml } }, 'openstack');
    return scenario;
  }

  /** The ProviderConfig "openstack" for the backend's credentials, with `extra` in its spec. */
  override applyProviderConfig(extra: Record<string, unknown> = {}): Promise<Obj> {
    return this.apply({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ProviderConfig',
      metadata: { name: 'openstack' },
      spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'cloud-credentials' }, cloud: this.backend.cloudName }, ...extra },
    });
  }

  get sim(): OpenStackSim | undefined {
    return this.backend.sim;
  }

  get faults(): Faults {
    return this.backend.faults;
  }

  get calls(): CallLog {
    return this.backend.calls;
  }

  protected override get sharedCloud(): boolean {
    return realCloud;
  }

  override async close(): Promise<void> {
    await super.close();
    this.cloud.close();
    // The tokens Keystone issued are credentials too, though no Secret holds them.
    for (const token of this.sim?.keystone.tokens.keys() ?? []) this.leaks.credential(token, 'a token Keystone issued');
    await this.backend.close();
  }
}

/** The controller of a managed kind, as reconcile metrics name it (e.g. "securitygroup"). */
const controllerOf = (kind: string): string => kind.toLowerCase();

/**
 * The lifecycle every scenario file shares: one cluster for the file, started before its tests and
 * stopped after them, and the scenario a test starts, closed after that test.
 */
export function useScenarioLifecycle<S extends ScenarioBase, O>(begin: (cluster: Cluster, options: O) => Promise<S>): { start(options?: O): Promise<S> } {
  let cluster: Cluster | undefined;
  let current: S | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.close();
  });
  afterEach(async (context) => {
    // A close that fails (an exchange off the spec, a leak) fails this test only, never the next one's.
    const closing = current;
    current = undefined;
    if (!closing) return;
    await closing.close();
    const { credentials, texts, found, leaks } = closing.leaks.report();
    context.task.meta.secretLeaks = { credentials, texts: Object.values(texts).reduce((sum, n) => sum + n, 0), found };
    expect(found, `credential values in what the operator showed:\n${leaks.join('\n')}`).toBe(0);
  });
  return {
    async start(options = {} as O) {
      if (!cluster) throw new Error('start() runs inside a test (the cluster starts in beforeAll)');
      current = await begin(cluster, options);
      return current;
    },
  };
}

/** OpenStack scenarios (see useScenarioLifecycle). */
export const useScenarios = (): { start(options?: ScenarioOptions): Promise<Scenario> } => useScenarioLifecycle(Scenario.start);

/** The listings of the operator's marked resources at `path` so far: what drift checks cost. */
export const managedListings = (s: Scenario, path: RegExp): number => s.calls.list({ method: 'GET', path }).filter((c) => c.query.tags === 'cloudnet-managed').length;

/**
 * Events for the object (reconciles without a spec change) make no cloud call matching `calls`,
 * e.g. a stalled object does not retry the request the cloud refused.
 */
export async function expectNotRetried(s: Scenario, kind: string, name: string, calls: CallFilter): Promise<void> {
  const before = s.calls.count(calls);
  await s.touchReconciled(kind, name, name, name);
  expect(s.calls.count(calls)).toBe(before);
}

/**
 * After a create whose answer was lost: `inCloud` (what the cloud holds of the kind with that name
 * or scope) is exactly the object's resource, with the ownership tags and `userTags`, and it was
 * adopted rather than created again.
 */
export async function expectAdoptedOnce(s: Scenario, ready: Obj, inCloud: { id: string; tags?: string[] }[], userTags: string[] = []): Promise<void> {
  expect(inCloud.map((r) => r.id)).toEqual([ready.status!.id]);
  expect([...(inCloud[0]!.tags ?? [])].sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${ready.metadata!.uid}`, ...userTags].sort());
  expect(ready.status!.pendingCreate).toBeUndefined();
  await s.waitEvent(ready.metadata!.name!, 'Adopted');
}

export function condition(obj: Obj | undefined, type: string): { type: string; status: string; reason: string; message: string; observedGeneration?: number } | undefined {
  return (obj?.status?.conditions as { type: string; status: string; reason: string; message: string }[] | undefined)?.find((c) => c.type === type);
}

/** A manifest of a managed kind. */
export function manifest(kind: string, name: string, spec: Record<string, unknown>): Obj {
  return { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec: { providerConfigRef: { name: 'openstack' }, ...spec } };
}

/**
 * Lets the operator run for `ms` of wall-clock time, for counting what it does in that window: its
 * own timers are what is observed, so no event could end the wait sooner.
 */
export function observeFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { until };
