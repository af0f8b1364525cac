// Every install of config/ renders, and each object it holds is valid: Kubernetes' built-in kinds
// against Kubernetes' own schemas (kubernetes-models), the CRDs by the local API server (dry run)
// and as crds/ has them, the Prometheus Operator's kinds against their CRDs' schemas.
// deploy/install.yaml is the default install as it renders now.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../../dev/kube/server.ts';
import { deploymentOf, INSTALLS, render, ROOT, type KubeObject } from './render.ts';

let server: KubeApiServer;
beforeAll(async () => {
  server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
});
afterAll(() => server.close());

const CRD_API_VERSION = 'apiextensions.k8s.io/v1';
const PROMETHEUS_GROUP = 'monitoring.coreos.com';

/** The kubernetes-models class of a kind (the Prometheus Operator's from its package), whose validate() throws on an invalid object. */
async function model(apiVersion: string, kind: string): Promise<new (data: object) => { validate(): void }> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const module = group === PROMETHEUS_GROUP ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}` : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  const exports = (await import(module)) as Record<string, new (data: object) => { validate(): void }>;
  const found = exports[kind];
  if (!found) throw new Error(`${module} has no ${kind}`);
  return found;
}

/** The CRDs as scripts/gen-crds.ts wrote them to crds/. */
function committedCrds(): object[] {
  const dir = join(ROOT, 'crds');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cloudnet.io.yaml'))
    .map((f) => load(readFileSync(join(dir, f), 'utf8')) as object);
}

describe.each(INSTALLS)('%s', (install) => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await render(install);
  });

  it('validates every built-in and Prometheus Operator object against its kind\'s schema', async () => {
    const others = objects.filter((o) => o.apiVersion !== CRD_API_VERSION);
    expect(others.length).toBeGreaterThan(0);
    for (const object of others) {
      const Model = await model(object.apiVersion, object.kind);
      expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('has the CRDs of crds/, which the API server accepts', async () => {
    const crds = objects.filter((o) => o.apiVersion === CRD_API_VERSION);
    expect(crds).toEqual(expect.arrayContaining(committedCrds()));
    expect(crds).toHaveLength(committedCrds().length);
    for (const crd of crds) {
      const response = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(crd),
      });
      expect(response.status, `${crd.metadata.name}: ${await response.text()}`).toBe(201);
    }
  });

  it('runs one operator Deployment', () => {
    expect(deploymentOf(objects).metadata.namespace).toBe('cloudnet-system');
  });
});

describe('config/overlays/namespaced', () => {
  it('binds the operator\'s Role in exactly the namespaces of its --namespaces', async () => {
    const objects = await render('config/overlays/namespaced');
    const flag = deploymentOf(objects).spec.template.spec.containers[0]!.args?.find((a) => a.startsWith('--namespaces='));
    const watched = flag?.slice('--namespaces='.length).split(',').sort();
    const namespacesOf = (kind: string) => objects.filter((o) => o.kind === kind && o.metadata.name === 'cloudnet-operator').map((o) => o.metadata.namespace).sort();
    expect(watched).toEqual(['team-a', 'team-b']);
    expect(namespacesOf('Role')).toEqual(watched);
    expect(namespacesOf('RoleBinding')).toEqual(watched);
    // Nothing cluster-wide: no ClusterRole, no ClusterRoleBinding.
    expect(objects.filter((o) => o.kind.startsWith('Cluster')).map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([]);
  });
});

describe('deploy/install.yaml', () => {
  const genInstall = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-install.ts'), ...args], { encoding: 'utf8', timeout: 20_000 });

  it('is config/default as it renders, with the image of package.json\'s version (gen-install --check)', () => {
    const { status, stderr } = genInstall('--check');
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('--check exits 1 on a stale file and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'install-'));
    try {
      const out = join(dir, 'install.yaml');
      writeFileSync(out, '# edited by hand\n');
      const { status, stderr } = genInstall('--check', '--out', out);
      expect(status).toBe(1);
      expect(stderr).toContain(`differs: ${out}`);
      expect(readFileSync(out, 'utf8')).toBe('# edited by hand\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
