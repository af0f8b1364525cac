// The local API server's request log: each request as Kubernetes' authorizer would see it (verb,
// group, resource, subresource, namespace, name) and who sent it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../../dev/kube/server.ts';
import type { RequestRecord } from '../../dev/kube/request-info.ts';

let server: KubeApiServer;
const seen: RequestRecord[] = [];
let stopObserving: () => void;

beforeAll(async () => {
  server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  stopObserving = server.observeRequests((r) => seen.push(r));
});
afterAll(() => server.close());

/** The record of one request (answered, whatever its status), without the identity fields. */
async function attributes(method: string, path: string, body?: unknown): Promise<Partial<RequestRecord>> {
  const from = seen.length;
  const init: RequestInit = { method, headers: { authorization: 'Bearer tester', 'user-agent': 'request-log-test', 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const controller = new AbortController();
  const response = await fetch(`${server.url}${path}`, { ...init, signal: controller.signal });
  // A watch answers at once with its headers and then streams: done with it.
  controller.abort();
  void response.body?.cancel().catch(() => undefined);
  expect(seen.length).toBe(from + 1);
  const { user, userAgent, path: recorded, ...rest } = seen[from]!;
  expect({ user, userAgent, recorded }).toEqual({ user: 'tester', userAgent: 'request-log-test', recorded: path.split('?')[0] });
  return rest;
}

const resource = (verb: string, apiGroup: string, resource: string, namespace = '', name = '', subresource = '') => ({ verb, isResourceRequest: true, apiGroup, resource, subresource, namespace, name });

describe('the request log', () => {
  it('names the verb the authorizer checks, for items, collections and watches', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: {} };
    const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    expect(await attributes('POST', leases, lease)).toEqual(resource('create', 'coordination.k8s.io', 'leases', 'default'));
    expect(await attributes('GET', `${leases}/l`)).toEqual(resource('get', 'coordination.k8s.io', 'leases', 'default', 'l'));
    expect(await attributes('GET', leases)).toEqual(resource('list', 'coordination.k8s.io', 'leases', 'default'));
    expect(await attributes('GET', '/apis/coordination.k8s.io/v1/leases?watch=true')).toEqual(resource('watch', 'coordination.k8s.io', 'leases'));
    expect(await attributes('GET', `${leases}?watch=1&fieldSelector=metadata.name%3Dl`)).toEqual(resource('watch', 'coordination.k8s.io', 'leases', 'default', 'l'));
    expect(await attributes('GET', '/apis/coordination.k8s.io/v1/watch/namespaces/default/leases')).toEqual(resource('watch', 'coordination.k8s.io', 'leases', 'default'));
    expect(await attributes('PATCH', `${leases}/l`, { metadata: { labels: { a: 'b' } } })).toEqual(resource('patch', 'coordination.k8s.io', 'leases', 'default', 'l'));
    expect(await attributes('DELETE', `${leases}/l`)).toEqual(resource('delete', 'coordination.k8s.io', 'leases', 'default', 'l'));
    expect(await attributes('DELETE', leases)).toEqual(resource('deletecollection', 'coordination.k8s.io', 'leases', 'default'));
  });

  it('tells core resources, subresources and a namespace itself apart', async () => {
    expect(await attributes('PUT', '/api/v1/namespaces/default/secrets/s', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } })).toEqual(resource('update', '', 'secrets', 'default', 's'));
    expect(await attributes('GET', '/api/v1/namespaces/default')).toEqual(resource('get', '', 'namespaces', 'default', 'default'));
    expect(await attributes('GET', '/api/v1/namespaces/default/status')).toEqual(resource('get', '', 'namespaces', 'default', 'default', 'status'));
    expect(await attributes('PATCH', '/apis/cloudnet.io/v1alpha1/namespaces/a/networks/n/status', {})).toEqual(resource('patch', 'cloudnet.io', 'networks', 'a', 'n', 'status'));
  });

  it('has discovery and the version as non-resource requests', async () => {
    for (const path of ['/api', '/api/v1', '/apis', '/apis/coordination.k8s.io/v1', '/version']) {
      expect(await attributes('GET', path)).toEqual({ verb: 'get', isResourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '' });
    }
  });

  it('stops calling a listener once unsubscribed', async () => {
    stopObserving();
    const before = seen.length;
    await fetch(`${server.url}/version`);
    expect(seen.length).toBe(before);
  });
});
