// Every manifest of examples/ (openstack, exoscale, public-cloud) passes admission as written: created
// with dryRun=All on the local API server with the CRDs of crds/ (schema, defaults and CEL rules), as
// `kubectl apply --dry-run=server -f examples/<dir>/` would.
import { readdirSync, readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../dev/crds.ts';
import { startKubeApiServer, type KubeApiServer } from '../../dev/kube/server.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url);
const NAMESPACE = 'examples';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } };

const files = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(new URL(`${d.name}/`, EXAMPLES)).filter((f) => f.endsWith('.yaml')).map((f) => `${d.name}/${f}`))
  .sort();

describe('examples/ pass admission', () => {
  let server: KubeApiServer;
  const plurals = new Map<string, string>();

  beforeAll(async () => {
    server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
    for (const { crd } of crdManifests()) {
      const { spec } = crd as { spec: { names: { kind: string; plural: string } } };
      plurals.set(spec.names.kind, spec.names.plural);
      const res = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(crd) });
      expect(res.status, await res.text()).toBe(201);
    }
    const ns = await fetch(`${server.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }) });
    expect(ns.status).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('has the public-cloud profile: a token Secret and a ProviderConfig with a path-prefixed network endpoint and no authURL', () => {
    expect(files.filter((f) => f.startsWith('public-cloud/'))).toEqual(['public-cloud/00-secret-token.yaml', 'public-cloud/01-providerconfig.yaml']);
    const [pc] = loadAll(readFileSync(new URL('public-cloud/01-providerconfig.yaml', EXAMPLES), 'utf8')) as { spec: { openstack: { auth: Record<string, unknown>; endpointOverrides: { network: string } } } }[];
    expect(pc!.spec.openstack.auth).toEqual({ type: 'token', tokenSecretRef: { name: 'cloud-token', key: 'token' } });
    expect(new URL(pc!.spec.openstack.endpointOverrides.network).pathname).toBe('/networking/v2.0');
  });

  it.each(files)('%s', async (file) => {
    const manifests = loadAll(readFileSync(new URL(file, EXAMPLES), 'utf8')).filter(Boolean) as Manifest[];
    expect(manifests.length).toBeGreaterThan(0);
    for (const manifest of manifests) {
      const [group, version] = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
      const plural = group === '' ? `${manifest.kind.toLowerCase()}s` : plurals.get(manifest.kind);
      const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      const res = await fetch(`${server.url}${base}/namespaces/${NAMESPACE}/${plural}?dryRun=All`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
      expect(res.status, `${manifest.kind} ${manifest.metadata.name}: ${await res.text()}`).toBe(201);
    }
    // A dry run stores nothing.
    const secrets = (await (await fetch(`${server.url}/api/v1/namespaces/${NAMESPACE}/secrets`)).json()) as { items: unknown[] };
    expect(secrets.items).toEqual([]);
  });

  it('refuses the public-cloud ProviderConfig without its endpoint override: token auth without authURL needs one', async () => {
    const [pc] = loadAll(readFileSync(new URL('public-cloud/01-providerconfig.yaml', EXAMPLES), 'utf8')) as { spec: { openstack: Record<string, unknown> } }[];
    delete pc!.spec.openstack.endpointOverrides;
    const res = await fetch(`${server.url}/apis/cloudnet.io/v1alpha1/namespaces/${NAMESPACE}/providerconfigs?dryRun=All`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pc) });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('auth.authURL is required, except for token auth with endpointOverrides');
  });
});
