// What the operator benchmarks run on: the local API server and the OpenStack simulator in this
// process (the simulator with a latency and an API rate limit, as a cloud has), and the operator's
// production build (dist/) as a process of its own, as a user runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { crdManifests } from '../dev/crds.ts';
import { kubeconfigYaml } from '../dev/kube/kubeconfig.ts';
import { startKubeApiServer, type KubeApiServer } from '../dev/kube/server.ts';
import type { SimRateLimit } from '../dev/sim/common/faults.ts';
import { simCloudsYaml, startOpenStackSim, type OpenStackSim } from '../dev/sim/openstack/index.ts';

const ROOT = join(import.meta.dirname, '..');
export const NAMESPACE = 'default';

export interface EnvOptions {
  /** Newer Neutron: tags in the POST (one call per create); else Zed (POST, then PUT of the tags). */
  tagsOnCreate: boolean;
  /** Added to every cloud answer. */
  latencyMs: number;
  /** The cloud's API rate limit; the ProviderConfig's rateLimit is set to it (burst 20). */
  rateLimit: SimRateLimit | undefined;
  /** Arguments of the operator besides the kubeconfig. */
  operatorArgs?: string[];
}

/** The V8 settings the image runs the operator with (the Dockerfile's ENTRYPOINT flags and NODE_OPTIONS), so they are measured as shipped. */
function productionNodeOptions(): string[] {
  const override = process.env.BENCH_OPERATOR_NODE_OPTIONS;
  if (override !== undefined) return override.split(' ').filter(Boolean);
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const env = (/^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1] ?? '').split(' ').filter(Boolean);
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  return [...entrypoint.slice(1).filter((arg) => arg.startsWith('--')), ...env];
}

type Obj = { metadata: { name: string; uid?: string }; status?: { conditions?: { type: string; status: string }[] } };

/** A running environment; stop() ends the operator by its PID and closes the servers. */
export class BenchEnv {
  readonly kube: KubeApiServer;
  readonly sim: OpenStackSim;
  readonly kubeConfig: KubeConfig;
  readonly #dir: string;
  #operator: ChildProcess | undefined;

  private constructor(kube: KubeApiServer, sim: OpenStackSim, dir: string) {
    this.kube = kube;
    this.sim = sim;
    this.#dir = dir;
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromString(kubeconfigYaml(kube.url));
  }

  static async start(options: EnvOptions): Promise<BenchEnv> {
    const kube = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
    const sim = await startOpenStackSim({ host: '127.0.0.1', port: 0, tagsOnCreate: options.tagsOnCreate, publicNetwork: false, quotas: { network: -1, subnet: -1, port: -1 } });
    if (options.latencyMs > 0) sim.faults.add({ kind: 'latency', ms: options.latencyMs });
    sim.faults.limitRate(options.rateLimit);
    const env = new BenchEnv(kube, sim, mkdtempSync(join(tmpdir(), 'cloudnet-bench-')));
    for (const { crd } of crdManifests()) await env.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await env.post(`/api/v1/namespaces/${NAMESPACE}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'clouds' }, stringData: { 'clouds.yaml': simCloudsYaml(sim.authUrl) } });
    const rateLimit = options.rateLimit ? { qps: options.rateLimit.qps, burst: Math.min(20, options.rateLimit.burst) } : { qps: 10_000, burst: 10_000 };
    await env.create('ProviderConfig', 'openstack', { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'clouds' }, cloud: 'sim' }, rateLimit });
    env.startOperator(options.operatorArgs ?? []);
    await env.waitReady('providerconfigs', 1);
    return env;
  }

  /** The operator from dist/ (make build), logging warnings only. */
  startOperator(args: string[]): ChildProcess {
    const kubeconfig = join(this.#dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(this.kube.url), { mode: 0o600 });
    const main = join(ROOT, 'dist/main.js');
    const child = spawn(process.execPath, [...productionNodeOptions(), main, '--kubeconfig', kubeconfig, '--leader-elect=false', '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--log-level', 'warn', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    this.#operator = child;
    return child;
  }

  /** Stops the operator (SIGTERM by PID) and resolves once it exited. */
  async stopOperator(): Promise<void> {
    const child = this.#operator;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    await exited;
  }

  /** The operator's resident set now and its peak so far, MiB (/proc/<pid>/status VmRSS, VmHWM). */
  memory(): { rssMiB: number; peakRssMiB: number } {
    const status = readFileSync(`/proc/${this.#operator!.pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
  }

  async post(path: string, body: unknown): Promise<Obj> {
    const res = await fetch(`${this.kube.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Obj;
  }

  create(kind: string, name: string, spec: Record<string, unknown>): Promise<Obj> {
    const plural = `${kind.toLowerCase()}s`;
    return this.post(`/apis/cloudnet.io/v1alpha1/namespaces/${NAMESPACE}/${plural}`, { apiVersion: 'cloudnet.io/v1alpha1', kind, metadata: { name }, spec });
  }

  /**
   * Resolves with the time each object of `plural` first reported Ready=True (ms, performance.now()),
   * once `count` of them have; watched, not polled.
   */
  async waitReady(plural: string, count: number, onReady?: (name: string, at: number) => void): Promise<Map<string, number>> {
    const ready = new Map<string, number>();
    const path = `/apis/cloudnet.io/v1alpha1/namespaces/${NAMESPACE}/${plural}`;
    for (;;) {
      const done = await new Promise<boolean>((resolve) => {
        let request: AbortController | undefined;
        const finish = (result: boolean) => {
          request?.abort();
          resolve(result);
        };
        void new Watch(this.kubeConfig)
          .watch(
            path,
            { allowWatchBookmarks: false },
            (_type: string, obj: Obj) => {
              if (ready.has(obj.metadata.name) || !obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
              const at = performance.now();
              ready.set(obj.metadata.name, at);
              onReady?.(obj.metadata.name, at);
              if (ready.size >= count) finish(true);
            },
            () => finish(false),
          )
          .then((controller) => (request = controller), () => finish(false));
      });
      if (done) return ready;
    }
  }

  /** Counts the changes of objects of `plural` (MODIFIED watch events) while `during` runs. */
  async countChanges(plural: string, during: () => Promise<void>): Promise<number> {
    const list = (await (await fetch(`${this.kube.url}/apis/cloudnet.io/v1alpha1/namespaces/${NAMESPACE}/${plural}?limit=1`)).json()) as { metadata: { resourceVersion: string } };
    let changes = 0;
    const request = await new Watch(this.kubeConfig).watch(
      `/apis/cloudnet.io/v1alpha1/namespaces/${NAMESPACE}/${plural}`,
      { resourceVersion: list.metadata.resourceVersion },
      (type: string) => {
        if (type === 'MODIFIED') changes++;
      },
      () => undefined,
    );
    try {
      await during();
    } finally {
      request.abort();
    }
    return changes;
  }

  async stop(): Promise<void> {
    await this.stopOperator();
    await this.sim.close();
    await this.kube.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
