import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { startKubeApiServer } from '../../dev/kube/server.ts';
import type { KubeApiServer } from '../../dev/kube/server.ts';
import { kubeconfigYaml, writeKubeconfig } from '../../dev/kube/kubeconfig.ts';
import { FIXTURES } from './helpers.ts';

const KUBECTL = '/usr/bin/kubectl';
const GROUP = 'test.cloudnet.io';
const VERSION = 'v1alpha1';

let server: KubeApiServer;
let dir: string;
let custom: CustomObjectsApi;
let kc: KubeConfig;
const children = new Set<ChildProcess>();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') };
}

function baseArgs(): string[] {
  return ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '--namespace', 'default'];
}

function kubectl(args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(KUBECTL, [...baseArgs(), ...args], { timeout: 15_000, env: { ...env(), ...extraEnv } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running kubectl (wait, delete --wait) whose exit the test awaits. */
function startKubectl(args: string[]): { child: ChildProcess; exited: Promise<Result> } {
  const child = spawn(KUBECTL, [...baseArgs(), ...args], { env: env() });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Result>((resolve) => {
    child.on('exit', (code) => {
      children.delete(child);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { child, exited };
}

function manifest(name: string, spec: Record<string, unknown>): string {
  const file = join(dir, `${name}-${Object.keys(spec).join('-')}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'Network', metadata: { name }, spec }));
  return file;
}

/** Resolves with the first watched state of a Network that satisfies `predicate`. */
async function networkReaches(name: string, predicate: (obj: Record<string, unknown> & { metadata?: Record<string, unknown> }) => boolean): Promise<void> {
  let controller: AbortController | undefined;
  await new Promise<void>((resolve, reject) => {
    void new Watch(kc)
      .watch(`/apis/${GROUP}/${VERSION}/namespaces/default/networks`, { fieldSelector: `metadata.name=${name}` }, (_type, obj) => {
        if (predicate(obj as never)) resolve();
      }, (err) => (err ? reject(err) : undefined))
      .then((c) => (controller = c), reject);
  });
  controller?.abort();
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-kubectl-'));
  server = await startKubeApiServer();
  await writeKubeconfig(join(dir, 'kubeconfig'), server.url);
  kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(server.url));
  custom = kc.makeApiClient(CustomObjectsApi);
  const crd = await kubectl(['apply', '-f', new URL('networks-crd.yaml', FIXTURES).pathname]);
  expect(crd.stderr).toBe('');
  expect(crd.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/networks.test.cloudnet.io created');
});

afterAll(async () => {
  for (const child of children) if (child.pid) process.kill(child.pid);
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl against the local control plane', () => {
  it('applies a custom resource and shows its printer columns, also by category', async () => {
    const created = await kubectl(['apply', '-f', manifest('app-net', { cidr: '10.0.0.0/24' })]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout.trim()).toBe('network.test.cloudnet.io/app-net created');

    const table = await kubectl(['get', 'networks']);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'CIDR', 'MTU', 'READY', 'AGE']);
    expect(row).toMatch(/^app-net\s+10\.0\.0\.0\/24\s+1500\s+\d+s$/);

    const byCategory = await kubectl(['get', 'cloudnet-test']);
    expect(byCategory.code).toBe(0);
    expect(byCategory.stdout).toMatch(/app-net\s+10\.0\.0\.0\/24\s+1500/);

    const byShortName = await kubectl(['get', 'tnet', 'app-net', '-o', 'jsonpath={.spec.mtu}']);
    expect(byShortName.stdout).toBe('1500');
  });

  it('rejects a CEL-violating edit, a schema violation and unknown fields with the server messages', async () => {
    const immutable = await kubectl(['apply', '-f', manifest('app-net', { cidr: '10.9.0.0/24' })]);
    expect(immutable.code).toBe(1);
    expect(immutable.stderr).toContain('The Network "app-net" is invalid: spec.cidr: Invalid value: "string": cidr is immutable');

    const tooBig = await kubectl(['apply', '-f', manifest('big-net', { cidr: '10.0.1.0/24', mtu: 70000 })]);
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toContain('The Network "big-net" is invalid: spec.mtu: Invalid value: 70000: spec.mtu in body should be less than or equal to 9216');

    const unknown = await kubectl(['apply', '-f', manifest('odd-net', { cidr: '10.0.2.0/24', color: 'blue' })]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('strict decoding error: unknown field "spec.color"');
  });

  it('edits through $KUBE_EDITOR', async () => {
    const edited = await kubectl(['edit', 'network', 'app-net'], { KUBE_EDITOR: 'sed -i s/1500/1400/' });
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect(edited.stdout.trim()).toBe('network.test.cloudnet.io/app-net edited');
    const mtu = await kubectl(['get', 'network', 'app-net', '-o', 'jsonpath={.spec.mtu} {.metadata.generation}']);
    expect(mtu.stdout).toBe('1400 2');
  });

  it('waits for a condition set through /status', async () => {
    const wait = startKubectl(['wait', '--for=condition=Ready', 'network/app-net', '--timeout=15s']);
    expect(wait.child.exitCode).toBeNull();
    await custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: 'default', plural: 'networks', name: 'app-net', body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: 'ok' }] } } },
      mergePatch,
    );
    const result = await wait.exited;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe('network.test.cloudnet.io/app-net condition met');
    const table = await kubectl(['get', 'networks', 'app-net', '--no-headers']);
    expect(table.stdout).toMatch(/^app-net\s+10\.0\.0\.0\/24\s+1400\s+True\s+\d+s/);
  });

  it('holds delete --wait until the finalizer is removed', async () => {
    await custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: 'default', plural: 'networks', name: 'app-net', body: { metadata: { finalizers: ['test.cloudnet.io/hold'] } } },
      mergePatch,
    );
    const del = startKubectl(['delete', 'network', 'app-net', '--wait=true', '--timeout=15s']);
    await networkReaches('app-net', (obj) => obj.metadata?.['deletionTimestamp'] !== undefined);
    expect(del.child.exitCode).toBeNull();
    await custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: 'default', plural: 'networks', name: 'app-net', body: { metadata: { finalizers: null } } },
      mergePatch,
    );
    const result = await del.exited;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe('network.test.cloudnet.io "app-net" deleted');
    const gone = await kubectl(['get', 'network', 'app-net']);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): networks.test.cloudnet.io "app-net" not found');
  });

  it('creates built-in kinds with kubectl create, which sends protobuf', async () => {
    expect((await kubectl(['create', 'namespace', 'team-b'])).stdout.trim()).toBe('namespace/team-b created');
    const secret = await kubectl(['-n', 'team-b', 'create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2']);
    expect(secret).toMatchObject({ code: 0, stderr: '' });
    const cm = await kubectl(['-n', 'team-b', 'create', 'configmap', 'settings', '--from-literal=a=1', '--from-literal=b=2']);
    expect(cm).toMatchObject({ code: 0, stderr: '' });
    const password = await kubectl(['-n', 'team-b', 'get', 'secret', 'creds', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(password.stdout, 'base64').toString()).toBe('hunter2');
    const table = await kubectl(['-n', 'team-b', 'get', 'secrets,configmaps', '--no-headers']);
    expect(table.stdout).toMatch(/^secret\/creds\s+Opaque\s+1\s+\d+s\s*\n+configmap\/settings\s+2\s+\d+s$/m);
    const labels = await kubectl(['get', 'namespace', 'team-b', '-o', 'jsonpath={.metadata.labels}']);
    expect(JSON.parse(labels.stdout)).toEqual({ 'kubernetes.io/metadata.name': 'team-b' });
  });

  it('applies server-side, updates, and reports a field owned by another manager', async () => {
    const created = await kubectl(['apply', '--server-side', '-f', manifest('ssa-net', { cidr: '10.1.0.0/24', description: 'mine' })]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout.trim()).toBe('network.test.cloudnet.io/ssa-net serverside-applied');

    const updated = await kubectl(['apply', '--server-side', '-f', manifest('ssa-net', { cidr: '10.1.0.0/24', description: 'changed' })]);
    expect(updated.code).toBe(0);
    const description = await kubectl(['get', 'network', 'ssa-net', '-o', 'jsonpath={.spec.description}']);
    expect(description.stdout).toBe('changed');

    const conflicting = manifest('ssa-net', { cidr: '10.1.0.0/24', description: 'theirs' });
    const refused = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', conflicting]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.description');

    const forced = await kubectl(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', conflicting]);
    expect(forced.code).toBe(0);
    const managers = await kubectl(['get', 'network', 'ssa-net', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
    expect(managers.stdout.split(' ').sort()).toEqual(['kubectl', 'other']);
  });
});
