// Least privilege, checked both ways: the operator runs as a process, as an install's Deployment
// runs it, against the local API server and the OpenStack and Exoscale simulators; it makes the
// examples Ready and then deletes them (finalizers, the Secrets' finalizer, Events, status, its
// Lease). Every request it made must be allowed by the RBAC the install binds to its service
// account, and every permission that RBAC grants must have been used.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { dump, load } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import type { RequestRecord } from '../../dev/kube/request-info.ts';
import { startKubeApiServer } from '../../dev/kube/server.ts';
import { startExoscaleSim } from '../../dev/sim/exoscale/index.ts';
import { simCloudsYaml, startOpenStackSim } from '../../dev/sim/openstack/index.ts';
import { stopProcess } from '../support/process.ts';
import { until } from '../support/wait.ts';
import { allows, describeRequest, DISCOVERY, grantsOf, permissionsOf, type PolicyRule } from './rbac.ts';
import { deploymentOf, render, ROOT, type KubeObject } from './render.ts';

/** The operator's bearer token: the API server's request log tells its requests by it. */
const OPERATOR_TOKEN = 'cloudnet-operator-service-account';
const EXAMPLES = ['examples/openstack', 'examples/exoscale', 'examples/qos'];

/** Stopped after each test, by PID or close(), whatever happened. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves when `command` exits 0, rejects with its output otherwise; never blocks the event loop (the API server is in this process). */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${String(code)}:\n${output}`))));
  });
}

/** The example manifests, pointed at the simulators of this test. */
function examples(cloudsYaml: string, exoscaleEndpoint: string, exoscaleKey: { key: string; secret: string }): { kind: string }[] {
  return EXAMPLES.flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((file) => {
        const manifest = load(readFileSync(join(ROOT, dir, file), 'utf8')) as { kind: string; metadata: { name: string }; stringData?: Record<string, string>; spec?: { exoscale?: { endpoint: string } } };
        if (manifest.kind === 'Secret') {
          manifest.stringData = manifest.metadata.name === 'openstack-clouds' ? { 'clouds.yaml': cloudsYaml } : { apiKey: exoscaleKey.key, apiSecret: exoscaleKey.secret };
        }
        if (manifest.spec?.exoscale) manifest.spec.exoscale.endpoint = exoscaleEndpoint;
        return manifest;
      }),
  );
}

interface Operator {
  child: ChildProcess;
  log: string[];
}

/** Resolves once the operator's /readyz answers 200: its informers have listed and watch. */
async function ready(operator: Operator): Promise<void> {
  const probes = await until('the operator serving its probes', () => {
    const line = operator.log.find((l) => l.includes('"msg":"manager serving"'));
    return line && (JSON.parse(line) as { probes: string }).probes;
  });
  await until('the operator ready', () => fetch(`http://${probes}/readyz`).then((r) => r.ok, () => false), 15_000, 50);
}

/** The operator with the install Deployment's arguments, run as it would be in its pod. */
function startOperator(deployment: ReturnType<typeof deploymentOf>, kubeconfig: string): Operator {
  const args = [
    ...(deployment.spec.template.spec.containers[0]!.args ?? []),
    `--kubeconfig=${kubeconfig}`,
    // In its pod the operator reads its namespace from its service account.
    `--leader-election-namespace=${deployment.metadata.namespace}`,
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
  ];
  const child = spawn(process.execPath, [join(ROOT, 'src', 'main.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => log.push(line));
  return { child, log };
}

/**
 * Installs what the local API server serves of `install` (namespaces, CRDs), runs the operator as
 * its Deployment does, applies the examples in `namespace`, waits until they are Ready, deletes
 * them and stops the operator. Resolves with the install's objects and the operator's requests.
 */
async function exercise(install: string, namespace: string): Promise<{ objects: KubeObject[]; requests: RequestRecord[] }> {
  const objects = await render(install);
  const deployment = deploymentOf(objects);
  const dir = mkdtempSync(join(tmpdir(), 'cloudnet-rbac-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.close());
  const requests: RequestRecord[] = [];
  server.observeRequests((r) => {
    if (r.user === OPERATOR_TOKEN) requests.push(r);
  });
  const openstack = await startOpenStackSim({ host: '127.0.0.1', port: 0, compute: true });
  cleanups.push(() => openstack.close());
  const exoscale = await startExoscaleSim({ host: '127.0.0.1', port: 0, operationPolls: 0 });
  cleanups.push(() => exoscale.close());
  for (const name of ['app-1', 'app-2']) exoscale.zone().addInstance({ name });

  const admin = join(dir, 'admin.kubeconfig');
  writeFileSync(admin, kubeconfigYaml(server.url));
  const operatorConfig = load(kubeconfigYaml(server.url)) as { users: { user: { token: string } }[] };
  operatorConfig.users[0]!.user.token = OPERATOR_TOKEN;
  const operatorKubeconfig = join(dir, 'operator.kubeconfig');
  writeFileSync(operatorKubeconfig, dump(operatorConfig));
  const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', admin, ...args]);

  // What the local API server serves of the install; the watched namespaces exist beforehand.
  const served = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  writeFileSync(join(dir, 'served.yaml'), served.map((o) => dump(o)).join('---\n'));
  await kubectl('apply', '--server-side', '-f', join(dir, 'served.yaml'));
  const watched = deployment.spec.template.spec.containers[0]!.args?.find((a) => a.startsWith('--namespaces='))?.split('=')[1]?.split(',') ?? [];
  for (const name of new Set([...watched, namespace])) {
    await kubectl('create', 'namespace', name).catch((err: Error) => {
      if (!err.message.includes('AlreadyExists')) throw err;
    });
  }
  const manifests = examples(simCloudsYaml(openstack.authUrl), exoscale.endpoint(), exoscale.credentials);
  const secrets = join(dir, 'secrets.yaml');
  const others = join(dir, 'examples.yaml');
  writeFileSync(secrets, manifests.filter((m) => m.kind === 'Secret').map((o) => dump(o)).join('---\n'));
  writeFileSync(others, manifests.filter((m) => m.kind !== 'Secret').map((o) => dump(o)).join('---\n'));

  const operator = startOperator(deployment, operatorKubeconfig);
  cleanups.push(() => stopProcess(operator.child));
  try {
    await ready(operator);
    // The Secrets before the ProviderConfigs: the operator keeps no data of a Secret nobody reads,
    // so a ProviderConfig that comes later has it read again (the get of Secrets).
    await kubectl('apply', '-n', namespace, '-f', secrets);
    await kubectl('apply', '-n', namespace, '-f', others);
    await kubectl('wait', '-n', namespace, '--for=condition=Ready', '--timeout=60s', 'cloudnet', '--all');
    // kubectl waits until they are gone: the operator has removed its finalizers, its last writes.
    await kubectl('delete', '-n', namespace, '--timeout=60s', '-f', others, '-f', secrets);
  } catch (err) {
    throw new Error(`${(err as Error).message}\noperator log:\n${operator.log.slice(-40).join('\n')}`, { cause: err });
  }
  // A graceful stop releases the Lease.
  expect(await stopProcess(operator.child)).toBe(0);
  return { objects, requests };
}

interface Verdict {
  denied: string[];
  unused: string[];
  namespaces: string[];
}

/** The operator's requests against the RBAC its install binds to its service account. */
function judge(objects: KubeObject[], requests: RequestRecord[]): Verdict {
  const deployment = deploymentOf(objects);
  const grants = grantsOf(objects, { namespace: deployment.metadata.namespace!, name: deployment.spec.template.spec.serviceAccountName });
  const denied = requests.filter((r) => !allows(DISCOVERY, undefined, r) && !grants.some((g) => allows(g.rule, g.namespace, r)));
  const permissions = grants.flatMap(permissionsOf);
  const used = new Set(permissions.filter((p) => requests.some((r) => allows(p.rule, p.namespace, r))).map((p) => p.label));
  return {
    denied: [...new Set(denied.map(describeRequest))].sort(),
    unused: [...new Set(permissions.map((p) => p.label))].filter((label) => !used.has(label)).sort(),
    namespaces: [...new Set(requests.filter((r) => r.isResourceRequest).map((r) => r.namespace))].sort(),
  };
}

describe('the RBAC evaluation', () => {
  const request = (fields: Partial<RequestRecord>): RequestRecord => ({ user: '', userAgent: '', verb: 'get', path: '', isResourceRequest: true, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', ...fields });
  const role = (kind: string, name: string, rules: PolicyRule[], namespace?: string): KubeObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, rules });
  const binding = (kind: string, roleKind: string, name: string, namespace?: string): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: [{ kind: 'ServiceAccount', name: 'op', namespace: 'sys' }],
  });
  const can = (objects: KubeObject[], r: RequestRecord) => grantsOf(objects, { namespace: 'sys', name: 'op' }).some((g) => allows(g.rule, g.namespace, r));

  it('scopes a RoleBinding to its namespace, also when it binds a ClusterRole', () => {
    const secrets: PolicyRule = { apiGroups: [''], resources: ['secrets'], verbs: ['get'] };
    for (const objects of [[role('Role', 'r', [secrets], 'a'), binding('RoleBinding', 'Role', 'r', 'a')], [role('ClusterRole', 'r', [secrets]), binding('RoleBinding', 'ClusterRole', 'r', 'a')]]) {
      expect(can(objects, request({ resource: 'secrets', namespace: 'a', name: 's' }))).toBe(true);
      expect(can(objects, request({ resource: 'secrets', namespace: 'b', name: 's' }))).toBe(false);
      expect(can(objects, request({ resource: 'secrets', verb: 'list' }))).toBe(false);
    }
    const cluster = [role('ClusterRole', 'r', [secrets]), binding('ClusterRoleBinding', 'ClusterRole', 'r')];
    expect(can(cluster, request({ resource: 'secrets', namespace: 'b', name: 's' }))).toBe(true);
    expect(can([role('ClusterRole', 'r', [secrets])], request({ resource: 'secrets', namespace: 'b', name: 's' }))).toBe(false);
  });

  it('matches subresources, resource names and non-resource URLs as RBAC does', () => {
    const objects = [
      role('ClusterRole', 'r', [
        { apiGroups: ['g'], resources: ['*/status'], verbs: ['patch'] },
        { apiGroups: ['g'], resources: ['leases'], resourceNames: ['mine'], verbs: ['get'] },
      ]),
      binding('ClusterRoleBinding', 'ClusterRole', 'r'),
    ];
    expect(can(objects, request({ verb: 'patch', apiGroup: 'g', resource: 'things', subresource: 'status', name: 'x' }))).toBe(true);
    expect(can(objects, request({ verb: 'patch', apiGroup: 'g', resource: 'things', name: 'x' }))).toBe(false);
    expect(can(objects, request({ apiGroup: 'g', resource: 'leases', name: 'mine' }))).toBe(true);
    expect(can(objects, request({ apiGroup: 'g', resource: 'leases', name: 'theirs' }))).toBe(false);
    expect(allows(DISCOVERY, undefined, request({ isResourceRequest: false, path: '/apis/g/v1' }))).toBe(true);
    expect(allows(DISCOVERY, undefined, request({ isResourceRequest: false, path: '/metrics' }))).toBe(false);
  });

  it('counts a verb, group and resource of a rule as used when any request uses it', () => {
    const [grant] = grantsOf([role('ClusterRole', 'r', [{ apiGroups: [''], resources: ['a', 'b'], verbs: ['get', 'list'] }]), binding('ClusterRoleBinding', 'ClusterRole', 'r')], { namespace: 'sys', name: 'op' });
    const used = permissionsOf(grant!).filter((p) => allows(p.rule, p.namespace, request({ resource: 'a', name: 'x' })));
    expect(used.map((p) => p.label)).toEqual(['ClusterRole r, rule 0: verb "get"', 'ClusterRole r, rule 0: apiGroup ""', 'ClusterRole r, rule 0: resource "a"']);
  });
});

describe('the RBAC of the install', () => {
  it('config/default: allows every request of the operator, and each permission is used', async () => {
    const { objects, requests } = await exercise('config/default', 'default');
    // Lists and watches across namespaces (''), writes in the examples' namespace and its own.
    expect(judge(objects, requests)).toEqual({ denied: [], unused: [], namespaces: ['', 'cloudnet-system', 'default'] });
  }, 85_000);

  it('config/overlays/namespaced: the same, and the operator stays in its namespaces and its own', async () => {
    const { objects, requests } = await exercise('config/overlays/namespaced', 'team-a');
    expect(judge(objects, requests)).toEqual({ denied: [], unused: [], namespaces: ['cloudnet-system', 'team-a', 'team-b'] });
  }, 85_000);
});
