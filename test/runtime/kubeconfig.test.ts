// One connection pool to an API server reached over TLS: client-node alone opens a connection per
// request when the kubeconfig has a CA; reuseConnections() keeps one pool while the TLS settings stay.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reuseConnections } from '../../src/runtime/kubeconfig.ts';
import { startServer, type TestServer } from '../cloud/server.ts';

let dir: string;
let material: { key: string; cert: string };
let server: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloudnet-kube-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  material = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  server = await startServer(() => ({ status: 200, body: { kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] } }), material);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
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
