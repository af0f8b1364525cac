// One connection pool to an API server reached over TLS: client-node alone opens a connection per
// request when the kubeconfig has a CA; reuseConnections() keeps one pool while the TLS settings stay.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reuseConnections } from '../../src/runtime/kubeconfig.ts';
import { startServer, type TestServer } from '../cloud/server.ts';
import { selfSignedCertificate, type TlsMaterial } from '../support/tls.ts';

let material: TlsMaterial;
let server: TestServer;

beforeAll(async () => {
  material = selfSignedCertificate();
  server = await startServer(() => ({ status: 200, body: { kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] } }), material);
});

afterAll(async () => {
  await server.close();
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: server.url, caData: Buffer.from(material.cert).toString('base64') }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

/** The client ports of the connections `count` requests used. */
async function connectionsFor(kc: KubeConfig, count: number): Promise<Set<number | undefined>> {
  const api = kc.makeApiClient(CoreV1Api);
  const before = server.seen.length;
  for (let i = 0; i < count; i++) await api.listNamespace();
  return new Set(server.seen.slice(before).map((s) => s.remotePort));
}

describe('API server connections over TLS', () => {
  it('client-node alone opens a connection per request (what reuseConnections fixes)', async () => {
    expect((await connectionsFor(kubeConfig(), 10)).size).toBe(10);
  });

  it('reuses its connections for every request while the TLS settings stay the same', async () => {
    // undici may open a second connection while the first finishes its response: a pool, not one per request.
    expect((await connectionsFor(reuseConnections(kubeConfig()), 20)).size).toBeLessThanOrEqual(2);
  });

  it('starts a new pool when the TLS settings change (a rotated CA)', async () => {
    const kc = reuseConnections(kubeConfig());
    const first = await connectionsFor(kc, 3);
    // The same CA in PEM text instead of base64: other settings, a new pool, still one connection.
    (kc.clusters[0] as { caData?: string }).caData = Buffer.from(`${material.cert}\n`).toString('base64');
    const second = await connectionsFor(kc, 3);
    expect(first.size).toBeLessThanOrEqual(2);
    expect(second.size).toBeLessThanOrEqual(2);
    expect([...second].filter((port) => first.has(port))).toEqual([]);
  });
});
