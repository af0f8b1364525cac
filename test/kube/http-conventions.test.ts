import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer } from '../../dev/kube/server.ts';
import type { KubeApiServer } from '../../dev/kube/server.ts';
import { fixture } from './helpers.ts';

/** Raw HTTP against the server, for the conventions client libraries hide (headers, Table, discovery). */
let server: KubeApiServer;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const NETS = '/apis/test.cloudnet.io/v1alpha1/namespaces/default/networks';

beforeAll(async () => {
  server = await startKubeApiServer();
  expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', fixture('networks-crd.yaml'))).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe('discovery and OpenAPI', () => {
  it('serves version, group lists and resource lists with status subresources', async () => {
    expect((await call('GET', '/version')).body).toMatchObject({ major: '1', minor: '32' });
    expect((await call('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await call('GET', '/apis')).body;
    expect(groups['groups'].map((g: { name: string }) => g.name)).toEqual(['apiextensions.k8s.io', 'coordination.k8s.io', 'events.k8s.io', 'test.cloudnet.io']);
    expect((await call('GET', '/apis/test.cloudnet.io')).body).toMatchObject({ kind: 'APIGroup', preferredVersion: { groupVersion: 'test.cloudnet.io/v1alpha1' } });
    const resources = (await call('GET', '/apis/test.cloudnet.io/v1alpha1')).body;
    expect(resources['resources']).toEqual([
      { name: 'networks', singularName: 'network', namespaced: true, kind: 'Network', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['tnet'], categories: ['cloudnet-test'] },
      { name: 'networks/status', singularName: '', namespaced: true, kind: 'Network', verbs: ['get', 'patch', 'update'] },
    ]);
    const core = (await call('GET', '/api/v1')).body;
    expect(core['resources'].map((r: { name: string }) => r.name)).toEqual(['configmaps', 'events', 'namespaces', 'namespaces/status', 'secrets']);
    expect((await call('GET', '/apis/nope.io/v1')).status).toBe(404);
  });

  it('publishes OpenAPI v3 PATCH operations that accept fieldValidation', async () => {
    const root = (await call('GET', '/openapi/v3')).body;
    const entry = root['paths']['apis/test.cloudnet.io/v1alpha1'];
    expect(entry.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/test\.cloudnet\.io\/v1alpha1\?hash=[0-9A-F]+$/);
    const doc = (await call('GET', entry.serverRelativeURL)).body;
    const patch = doc['paths']['/apis/test.cloudnet.io/v1alpha1/namespaces/{namespace}/networks/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'test.cloudnet.io', version: 'v1alpha1', kind: 'Network' });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    expect(Object.keys(patch.requestBody.content)).not.toContain('application/strategic-merge-patch+json');
  });
});

describe('CustomResourceDefinitions', () => {
  const crd = (name: string, scope: string, rule?: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${name}s.cluster.test.io` },
    spec: {
      group: 'cluster.test.io',
      scope,
      names: { plural: `${name}s`, kind: name.charAt(0).toUpperCase() + name.slice(1) },
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } }, ...(rule ? { 'x-kubernetes-validations': [{ rule }] } : {}) } } } },
      }],
    },
  });

  it('serves cluster-scoped custom resources and rejects CRDs whose rules do not compile', async () => {
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('zone', 'Cluster'))).status).toBe(201);
    const created = await call('POST', '/apis/cluster.test.io/v1/zones', { apiVersion: 'cluster.test.io/v1', kind: 'Zone', metadata: { name: 'z1', namespace: 'ignored' }, spec: { size: 3 } });
    expect(created.status).toBe(201);
    expect(created.body['metadata']['namespace']).toBeUndefined();
    expect((await call('GET', '/apis/cluster.test.io/v1/namespaces/default/zones/z1')).status).toBe(404);
    expect((await call('GET', '/apis/cluster.test.io/v1/zones/z1')).body['spec']).toEqual({ size: 3 });

    const broken = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('broken', 'Namespaced', 'self.size >'));
    expect(broken.status).toBe(422);
    expect(broken.body['reason']).toBe('Invalid');
    expect(broken.body['message']).toContain('CustomResourceDefinition.apiextensions.k8s.io "brokens.cluster.test.io" is invalid: spec.versions[0].schema.openAPIV3Schema');
    expect((await call('GET', '/apis/cluster.test.io/v1/brokens')).status).toBe(404);
  });
});

describe('watch options', () => {
  it('sends initial events and an initial-events-end bookmark, and ends at timeoutSeconds', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'w-init' } });
    const res = await fetch(`${server.url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dw-init`);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } });
    expect(lines[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'w-init' } } });
    expect(lines[1]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  });
});

describe('tables', () => {
  it('renders printer columns with the requested row objects', async () => {
    await call('POST', NETS, { apiVersion: 'test.cloudnet.io/v1alpha1', kind: 'Network', metadata: { name: 'tbl' }, spec: { cidr: '10.0.0.0/24' } });
    const accept = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    const table = (await call('GET', NETS, undefined, accept)).body;
    expect(table['kind']).toBe('Table');
    expect(table['columnDefinitions'].map((c: { name: string }) => c.name)).toEqual(['Name', 'CIDR', 'MTU', 'Ready', 'Age']);
    expect(table['rows'][0].cells.slice(0, 4)).toEqual(['tbl', '10.0.0.0/24', 1500, null]);
    expect(table['rows'][0].cells[4]).toMatch(/^\d+s$/);
    expect(table['rows'][0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tbl' } });
    const full = (await call('GET', `${NETS}?includeObject=Object`, undefined, accept)).body;
    expect(full['rows'][0].object).toMatchObject({ kind: 'Network', spec: { cidr: '10.0.0.0/24' } });
    const none = (await call('GET', `${NETS}/tbl?includeObject=None`, undefined, accept)).body;
    expect(none['rows'][0].object).toBeUndefined();
    const secrets = (await call('GET', '/api/v1/namespaces/default/secrets', undefined, accept)).body;
    expect(secrets['columnDefinitions'].map((c: { name: string }) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age']);
    await call('POST', '/api/v1/namespaces/default/events', { metadata: { name: 'ev1' }, involvedObject: { kind: 'Network', name: 'tbl' }, reason: 'Created', message: 'hi', type: 'Normal', lastTimestamp: new Date().toISOString() });
    const events = (await call('GET', '/api/v1/namespaces/default/events', undefined, accept)).body;
    expect(events['columnDefinitions'].map((c: { name: string; priority: number }) => `${c.name}:${c.priority}`)).toEqual(['Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Message:0', 'Name:1']);
    expect(events['rows'][0].cells.slice(1)).toEqual(['Normal', 'Created', 'network/tbl', 'hi', 'ev1']);
  });
});

describe('write conventions', () => {
  it('reports unknown and duplicate fields per fieldValidation', async () => {
    const body = '{"apiVersion":"test.cloudnet.io/v1alpha1","kind":"Network","metadata":{"name":"fv","color":"red"},"spec":{"cidr":"10.0.0.0/24","mtu":1400,"mtu":1450,"foo":1}}';
    const strict = await call('POST', `${NETS}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.body['message']).toBe('Network in version "v1alpha1" cannot be handled as a Network: strict decoding error: unknown field "metadata.color", unknown field "spec.foo", duplicate field "spec.mtu"');
    const warn = await call('POST', `${NETS}?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"metadata.color\\"", 299 - "unknown field \\"spec.foo\\"", 299 - "duplicate field \\"spec.mtu\\""');
    expect(warn.body['metadata']['color']).toBeUndefined();
    expect(warn.body['spec']).toEqual({ cidr: '10.0.0.0/24', mtu: 1450 });
    const ignore = await call('POST', `${NETS}?fieldValidation=Ignore`, body.replace('"fv"', '"fv2"'));
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
  });

  it('requires resourceVersion on custom resource PUT and writes status only through /status', async () => {
    const created = (await call('POST', NETS, { apiVersion: 'test.cloudnet.io/v1alpha1', kind: 'Network', metadata: { name: 'put' }, spec: { cidr: '10.0.0.0/24' } })).body;
    const { resourceVersion: _rv, ...meta } = created['metadata'];
    const unconditional = await call('PUT', `${NETS}/put`, { ...created, metadata: meta });
    expect(unconditional.status).toBe(422);
    expect(unconditional.body['message']).toBe('Network.test.cloudnet.io "put" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    const status = await call('PUT', `${NETS}/put/status`, { ...created, spec: { cidr: '1.2.3.0/24' }, status: { observedGeneration: 1 } });
    expect(status.status).toBe(200);
    expect(status.body['spec']['cidr']).toBe('10.0.0.0/24');
    expect(status.body['status']).toEqual({ observedGeneration: 1 });
    const managers = status.body['metadata']['managedFields'].map((m: { manager: string; subresource?: string }) => [m.manager, m.subresource]);
    expect(managers).toEqual(expect.arrayContaining([['node', 'status']]));
  });

  it('keeps generation only where the real server does and requires resourceVersion on Lease PUT', async () => {
    const cm = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'nogen' } })).body;
    expect(cm['metadata']['generation']).toBeUndefined();
    await call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: 'l' }, spec: { holderIdentity: 'a' } });
    const unconditional = await call('PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/l', { metadata: { name: 'l' }, spec: { holderIdentity: 'b' } });
    expect(unconditional.status).toBe(422);
  });

  it('checks delete preconditions and answers 405 and 404 like the real server', async () => {
    const created = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'pre' } })).body;
    const wrongUid = await call('DELETE', '/api/v1/namespaces/default/configmaps/pre', { preconditions: { uid: 'other' } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.body['message']).toBe(`Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: other, UID in object meta: ${created['metadata']['uid']}`);
    const ok = await call('DELETE', '/api/v1/namespaces/default/configmaps/pre', { preconditions: { uid: created['metadata']['uid'] } });
    expect(ok.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'pre', kind: 'configmaps' } });
    expect((await call('POST', '/api/v1/namespaces/default/configmaps/pre', {})).status).toBe(405);
    const missing = await call('GET', '/apis/test.cloudnet.io/v1alpha1/widgets');
    expect(missing.body).toMatchObject({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
  });

  it('deletes a collection by label', async () => {
    for (const name of ['dc-a', 'dc-b', 'dc-c']) {
      await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name, labels: { batch: name === 'dc-c' ? 'keep' : 'drop' } } });
    }
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=batch%3Ddrop');
    expect(deleted.body['items'].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['dc-a', 'dc-b']);
    const left = (await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=batch')).body;
    expect(left['items'].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['dc-c']);
  });

  it('empties a deleted namespace, refusing new content while it terminates', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'held', finalizers: ['test/hold'] } });
    const deleting = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(deleting.body['status']).toEqual({ phase: 'Terminating' });
    const refused = await call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
    expect(refused.status).toBe(403);
    expect(refused.body['message']).toBe('configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');

    const watch = await fetch(`${server.url}/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Ddoomed&resourceVersion=${deleting.body['metadata']['resourceVersion']}`);
    const held = (await call('GET', '/api/v1/namespaces/doomed/configmaps/held')).body;
    expect(held['metadata']['deletionTimestamp']).toBeDefined();
    await call('PATCH', '/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    const reader = watch.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    while (!seen.includes('"type":"DELETED"')) seen += (await reader.read()).value ?? '';
    await reader.cancel();
    expect((await call('GET', '/api/v1/namespaces/doomed')).status).toBe(404);
  });

  it('applies strategic merge patch directives on built-ins', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'smp', finalizers: ['a/one'] }, data: { a: '1', b: '2' } });
    const smp = { 'Content-Type': 'application/strategic-merge-patch+json' };
    const merged = (await call('PATCH', '/api/v1/namespaces/default/configmaps/smp', { metadata: { finalizers: ['a/two'] }, data: { c: '3' } }, smp)).body;
    expect(merged['metadata']['finalizers']).toEqual(['a/one', 'a/two']);
    expect(merged['data']).toEqual({ a: '1', b: '2', c: '3' });
    const replaced = (await call('PATCH', '/api/v1/namespaces/default/configmaps/smp', { data: { $patch: 'replace', z: '26' }, metadata: { '$deleteFromPrimitiveList/finalizers': ['a/one', 'a/two'] } }, smp)).body;
    expect(replaced['data']).toEqual({ z: '26' });
    expect(replaced['metadata']['finalizers']).toEqual([]);
  });
});
