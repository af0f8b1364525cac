#!/usr/bin/env node
// `make dev`: the local control plane, the CRDs, the OpenStack and Exoscale simulators and the
// operator, all on 127.0.0.1, in the foreground; then the examples of examples/openstack/ and
// examples/exoscale/, applied and waited for. Ctrl-C (or SIGTERM) stops every process this script
// started, by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';

const root = resolve(import.meta.dirname, '..');
const stateDir = join(root, '.dev');
const kubeconfig = join(stateDir, 'kubeconfig');
const cloudsYaml = join(stateDir, 'clouds.yaml');
const exoscaleEnv = join(stateDir, 'exoscale.env');
const kubePort = process.env.DEV_KUBE_PORT ?? '6443';
// Fixed: the example Secret (examples/openstack/00-secret-dev-sim-clouds.yaml) names this URL.
const openStackPort = '15000';
// Fixed too: examples/exoscale/01-providerconfig.yaml names this endpoint.
const exoscalePort = '15100';
const examples = 'examples/openstack/';
const exampleSecret = join(root, examples, '00-secret-dev-sim-clouds.yaml');
const exoscaleExamples = 'examples/exoscale/';
const exoscaleProviderConfig = join(root, exoscaleExamples, '01-providerconfig.yaml');
const children: ChildProcess[] = [];

function start(name: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  return child;
}

/** Resolves with the first JSON line a child prints: its readiness announcement. */
function ready(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolveReady, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolveReady(JSON.parse(line) as Record<string, unknown>);
      } catch (err) {
        reject(new Error(`unexpected readiness line: ${line}`, { cause: err }));
      }
    });
    child.once('exit', () => reject(new Error('process exited before it was ready')));
  });
}

/**
 * Runs kubectl without blocking the event loop (the children's output keeps flowing meanwhile);
 * rejects when it fails. Tracked like the other children so Ctrl-C stops it too.
 */
function kubectl(args: string[], output: 'inherit' | 'ignore' = 'inherit'): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { cwd: root, stdio: ['ignore', output, output] });
    children.push(child);
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      children.splice(children.indexOf(child), 1);
      if (code === 0) done();
      else fail(new Error(`kubectl ${args.join(' ')} failed (${signal ?? code})`));
    });
  });
}

/** The Keystone URL the example Secret points at: it must be the simulator started here. */
function exampleAuthUrl(): string | undefined {
  const secret = load(readFileSync(exampleSecret, 'utf8')) as { stringData?: Record<string, string> };
  const clouds = load(secret.stringData?.['clouds.yaml'] ?? '') as { clouds?: Record<string, { auth?: { auth_url?: string } }> } | undefined;
  return clouds?.clouds?.sim?.auth?.auth_url;
}

/** The endpoint the example Exoscale ProviderConfig names: it must be the simulator started here. */
function exampleExoscaleEndpoint(): string | undefined {
  return (load(readFileSync(exoscaleProviderConfig, 'utf8')) as { spec?: { exoscale?: { endpoint?: string } } }).spec?.exoscale?.endpoint;
}

let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function main(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  const openstack = start('OpenStack simulator', [
    'dev/sim/openstack/main.ts',
    '--host', '127.0.0.1',
    '--port', openStackPort,
    '--clouds-yaml', cloudsYaml,
    '--compute',
  ]);
  const exoscale = start('Exoscale simulator', [
    'dev/sim/exoscale/main.ts',
    '--host', '127.0.0.1',
    '--port', exoscalePort,
    '--instances', 'app-1,app-2',
    '--write-env-file', exoscaleEnv,
  ]);
  const kube = start('control plane', ['dev/kube/main.ts', '--host', '127.0.0.1', '--port', kubePort, '--kubeconfig', kubeconfig]);
  const [sim, exo, { url }] = await Promise.all([ready(openstack), ready(exoscale), ready(kube)]);
  for (const child of [kube, openstack, exoscale]) child.stdout!.pipe(process.stdout);
  if (exampleAuthUrl() !== sim.authUrl) {
    throw new Error(`${exampleSecret} must point at the simulator's Keystone ${String(sim.authUrl)}`);
  }
  if (exampleExoscaleEndpoint() !== exo.endpoint) {
    throw new Error(`${exoscaleProviderConfig} must point at the Exoscale simulator's ${String(exo.endpoint)}`);
  }

  await kubectl(['apply', '--server-side', '-k', 'crds/']);
  await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd', '--all']);
  // kubectl cached discovery before the CRDs existed; refresh it so `kubectl get cloudnet` works at once.
  await kubectl(['api-resources'], 'ignore').catch(() => undefined);

  const operator = start('operator', [
    'src/main.ts',
    '--kubeconfig', kubeconfig,
    '--leader-elect=false',
    '--metrics-bind-address', '127.0.0.1:8080',
    '--health-probe-bind-address', '127.0.0.1:8081',
  ]);
  operator.stdout!.pipe(process.stdout);

  await kubectl(['apply', '-f', examples, '-f', exoscaleExamples]);
  // Not fatal: the environment stays up so that `kubectl get cloudnet` / describe can show why.
  const converged = await kubectl(['wait', '--for=condition=Ready', '--timeout=120s', 'cloudnet', '--all']).then(
    () => true,
    () => false,
  );
  if (stopping) return;

  console.error(`
cloudnet-operator dev environment is up; the examples of ${examples} and ${exoscaleExamples} are ${converged ? 'Ready' : 'NOT Ready yet (see kubectl get cloudnet)'}.
  control plane  ${String(url)}
  kubeconfig     ${kubeconfig}
  OpenStack      ${String(sim.url)} (simulator; clouds.yaml: ${cloudsYaml})
  Exoscale       ${String(exo.endpoint)} (simulator, zone ch-gva-2; key, secret and endpoint: ${exoscaleEnv})
  metrics        http://127.0.0.1:8080/metrics   probes http://127.0.0.1:8081/readyz

Try:
  export KUBECONFIG=${kubeconfig}
  kubectl get cloudnet
  kubectl describe floatingip web-0
  OS_CLIENT_CONFIG_FILE=${cloudsYaml} openstack --os-cloud sim network list
  OS_CLIENT_CONFIG_FILE=${cloudsYaml} openstack --os-cloud sim floating ip list
  kubectl get privatenetworks       # on the Exoscale simulator: zone, VNI, leases in status
  set -a; . ${exoscaleEnv}; set +a  # EXOSCALE_API_KEY/SECRET/ENDPOINT for any client that signs requests the official way
  kubectl delete -f ${examples}     # everything at once: the cloud resources go first

Ctrl-C stops everything.
`);
}

main().catch((err: unknown) => {
  if (stopping) return;
  console.error(`make dev failed: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
