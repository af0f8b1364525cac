#!/usr/bin/env node
// `make dev`: the local control plane, the CRDs and the operator, all on 127.0.0.1, in the
// foreground. Ctrl-C (or SIGTERM) stops every process this script started, by PID.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const stateDir = join(root, '.dev');
const kubeconfig = join(stateDir, 'kubeconfig');
const kubePort = process.env.DEV_KUBE_PORT ?? '6443';
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

mkdirSync(stateDir, { recursive: true });
const kube = start('control plane', ['dev/kube/main.ts', '--host', '127.0.0.1', '--port', kubePort, '--kubeconfig', kubeconfig]);
const { url } = await ready(kube);
kube.stdout!.pipe(process.stdout);

const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { cwd: root, stdio: 'inherit' });
kubectl('apply', '--server-side', '-f', 'crds/');
kubectl('wait', '--for=condition=Established', '--timeout=30s', 'crd', '--all');
// kubectl cached discovery before the CRDs existed; refresh it so `kubectl get cloudnet` works at once.
execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'api-resources'], { cwd: root, stdio: 'ignore' });

const operator = start('operator', [
  'src/main.ts',
  '--kubeconfig', kubeconfig,
  '--leader-elect=false',
  '--metrics-bind-address', '127.0.0.1:8080',
  '--health-probe-bind-address', '127.0.0.1:8081',
]);
operator.stdout!.pipe(process.stdout);

console.error(`
cloudnet-operator dev environment is up.
  control plane  ${String(url)}
  kubeconfig     ${kubeconfig}
  metrics        http://127.0.0.1:8080/metrics   probes http://127.0.0.1:8081/readyz

Try:
  export KUBECONFIG=${kubeconfig}
  kubectl get crds
  kubectl get cloudnet -A

Ctrl-C stops everything.
`);
