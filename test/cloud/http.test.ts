import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloudError } from '../../src/cloud/errors.ts';
import { HttpClient, type HttpClientOptions } from '../../src/cloud/http.ts';
import { Redactor } from '../../src/cloud/redact.ts';
import { selfSignedCertificate, type TlsMaterial } from '../support/tls.ts';
import { startServer, type Handler, type TestServer } from './server.ts';

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient({
    provider: 'test',
    registry: new Registry(),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    rateLimit: { qps: 1000, burst: 1000 },
    ...options,
  });
}

/** Runs `body` against a fresh server and client, closing both. */
async function withServer(handler: Handler, body: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(handler);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<CloudError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CloudError);
  return err as CloudError;
}

/** Answers `status` for the first `failures` requests, 200 after. */
function failingFirst(failures: number, status: number | 'drop'): Handler {
  let count = 0;
  return () => {
    count++;
    if (count > failures) return { status: 200, body: { ok: true } };
    return status === 'drop' ? 'drop' : { status, body: 'upstream trouble' };
  };
}

describe('HttpClient retries', () => {
  it.each(['GET', 'PUT', 'DELETE'] as const)('retries %s after a 503 and succeeds', async (method) => {
    await withServer(failingFirst(2, 503), async (server) => {
      const http = client();
      const response = await http.request({ method, url: `${server.url}/x`, service: 's', operation: 'op' });
      expect(response.body).toEqual({ ok: true });
      expect(server.seen).toHaveLength(3);
      http.close();
    });
  });

  it('retries a GET after a dropped connection', async () => {
    await withServer(failingFirst(1, 'drop'), async (server) => {
      const http = client();
      await http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op' });
      expect(server.seen).toHaveLength(2);
      http.close();
    });
  });

  it('gives up after maxAttempts with a transient error', async () => {
    await withServer(failingFirst(10, 502), async (server) => {
      const http = client();
      const err = await failure(http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op' }));
      expect(err).toMatchObject({ status: 502, kind: 'transient', service: 's', operation: 'op' });
      expect(server.seen).toHaveLength(3);
      http.close();
    });
  });

  it.each([503, 429, 'drop'] as const)('never retries a POST (failure: %s)', async (status) => {
    await withServer(failingFirst(1, status), async (server) => {
      const http = client();
      const err = await failure(http.request({ method: 'POST', url: `${server.url}/x`, json: {}, service: 's', operation: 'op' }));
      expect(err.kind).toBe('transient');
      expect(server.seen).toHaveLength(1);
      http.close();
    });
  });

  it.each([400, 403, 404, 409, 412])('does not retry a GET answered %s', async (status) => {
    await withServer(failingFirst(1, status), async (server) => {
      const http = client();
      await failure(http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op' }));
      expect(server.seen).toHaveLength(1);
      http.close();
    });
  });
});

describe('HttpClient timeouts and cancellation', () => {
  it('times out a request that gets no answer', async () => {
    await withServer(() => 'hang', async (server) => {
      const registry = new Registry();
      const http = client({ registry, retry: { maxAttempts: 1 } });
      const err = await failure(
        http.request({ method: 'GET', url: `${server.url}/x`, service: 'net', operation: 'slow', timeoutMs: 50 }),
      );
      expect(err).toMatchObject({ code: 'Timeout', kind: 'transient', status: undefined });
      expect(err.message).toContain('no response within 50 ms');
      expect(await registry.metrics()).toContain(
        'cloudnet_cloud_api_requests_total{provider="test",service="net",operation="slow",code="timeout"} 1',
      );
      http.close();
    });
  });

  it('a timed-out GET is retried', async () => {
    let count = 0;
    await withServer(
      () => (++count === 1 ? 'hang' : { status: 200, body: {} }),
      async (server) => {
        const http = client();
        await http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op', timeoutMs: 50 });
        expect(server.seen).toHaveLength(2);
        http.close();
      },
    );
  });

  it("the caller's abort is passed through, not turned into a cloud error", async () => {
    await withServer(() => 'hang', async (server) => {
      const http = client();
      const controller = new AbortController();
      const pending = http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op', signal: controller.signal });
      const reason = new Error('shutting down');
      setImmediate(() => controller.abort(reason));
      await expect(pending).rejects.toBe(reason);
      http.close();
    });
  });
});

describe('HttpClient rate limiting', () => {
  it('a 429 with Retry-After pauses every caller of the client until then', async () => {
    let first = true;
    let limitedAt = 0;
    await withServer(
      () => {
        if (!first) return { status: 200, body: {} };
        first = false;
        limitedAt = performance.now();
        return { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' };
      },
      async (server) => {
        const http = client();
        const limited = await failure(http.request({ method: 'POST', url: `${server.url}/a`, json: {}, service: 's', operation: 'op' }));
        expect(limited).toMatchObject({ status: 429, kind: 'transient', retryAfterMs: 1000 });
        expect(http.bucket.pausedFor()).toBeGreaterThan(900);
        await Promise.all(
          ['b', 'c', 'd'].map((path) => http.request({ method: 'GET', url: `${server.url}/${path}`, service: 's', operation: 'op' })),
        );
        const later = server.seen.slice(1);
        expect(later).toHaveLength(3);
        for (const request of later) expect(request.at - limitedAt).toBeGreaterThanOrEqual(950);
        http.close();
      },
    );
  });

  it('a GET answered 429 is retried once the pause ends', async () => {
    await withServer(
      (() => {
        let count = 0;
        return () => (++count === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200, body: { ok: 1 } });
      })(),
      async (server) => {
        const http = client();
        const response = await http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op' });
        expect(response.body).toEqual({ ok: 1 });
        expect(server.seen).toHaveLength(2);
        http.close();
      },
    );
  });
  it('a Retry-After longer than the retry budget is left to the caller, with the bucket paused', async () => {
    await withServer(
      () => ({ status: 429, headers: { 'retry-after': '120' } }),
      async (server) => {
        const http = client();
        const err = await failure(http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op' }));
        expect(err).toMatchObject({ status: 429, kind: 'transient', retryAfterMs: 120_000 });
        expect(server.seen).toHaveLength(1);
        expect(http.bucket.pausedFor()).toBeGreaterThan(100_000);
        http.close();
      },
    );
  });

  it('a 503 with Retry-After waits that long before the retry', async () => {
    let count = 0;
    await withServer(
      () => (++count === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200, body: {} }),
      async (server) => {
        const http = client();
        await http.request({ method: 'DELETE', url: `${server.url}/x`, service: 's', operation: 'op' });
        expect(server.seen).toHaveLength(2);
        http.close();
      },
    );
  });
});

describe('HttpClient metrics and request shape', () => {
  it('counts each attempt by status and observes its duration; labels carry no URL', async () => {
    await withServer(failingFirst(1, 503), async (server) => {
      const registry = new Registry();
      const http = client({ registry });
      await http.request({ method: 'GET', url: `${server.url}/v2.0/networks/abc`, service: 'network', operation: 'getNetwork' });
      const text = await registry.metrics();
      expect(text).toContain('cloudnet_cloud_api_requests_total{provider="test",service="network",operation="getNetwork",code="503"} 1');
      expect(text).toContain('cloudnet_cloud_api_requests_total{provider="test",service="network",operation="getNetwork",code="200"} 1');
      expect(text).toContain('cloudnet_cloud_api_request_duration_seconds_count{provider="test",service="network",operation="getNetwork"} 2');
      expect(text).not.toContain('abc');
      http.close();
    });
  });

  it('two clients share one registry without a duplicate-metric error', () => {
    const registry = new Registry();
    expect(() => [client({ registry }), client({ registry })].forEach((c) => c.close())).not.toThrow();
  });

  it('sends JSON and repeated query parameters, and parses JSON answers', async () => {
    await withServer(
      () => ({ status: 201, body: { created: true } }),
      async (server) => {
        const http = client();
        const response = await http.request({
          method: 'POST',
          url: `${server.url}/x`,
          query: { id: ['a', 'b'], limit: 2, skip: undefined },
          json: { network: { name: 'n' } },
          service: 's',
          operation: 'op',
        });
        expect(response).toMatchObject({ status: 201, body: { created: true } });
        expect(server.seen[0]).toMatchObject({ url: '/x?id=a&id=b&limit=2', body: { network: { name: 'n' } } });
        expect(server.seen[0]?.headers['content-type']).toBe('application/json');
        http.close();
      },
    );
  });

  it('sends raw bytes as given, and returns the raw answer beside the parsed one', async () => {
    await withServer(
      () => ({ status: 200, body: { ok: true } }),
      async (server) => {
        const http = client();
        const response = await http.request({ method: 'POST', url: `${server.url}/x`, body: { bytes: '{"b": 1,  "a":2}', contentType: 'application/json' }, service: 's', operation: 'op' });
        expect(server.seen[0]?.raw).toBe('{"b": 1,  "a":2}');
        expect(response.raw.toString('utf8')).toBe('{"ok":true}');
        expect(response.body).toEqual({ ok: true });
        http.close();
      },
    );
  });

  it('authorize signs each attempt over its exact method, URL and bytes; a retry is signed afresh', async () => {
    await withServer(failingFirst(1, 503), async (server) => {
      const signed: { method: string; url: string; body: string | undefined }[] = [];
      const http = client({
        authorize: async ({ method, url, body }) => {
          signed.push({ method, url: url.toString(), body: body?.toString('utf8') });
          return { Authorization: `sig-${signed.length}` };
        },
      });
      await http.request({ method: 'PUT', url: `${server.url}/v2/x`, query: { b: '2', a: '1' }, json: { name: 'n' }, service: 's', operation: 'op' });
      expect(signed).toEqual([
        { method: 'PUT', url: `${server.url}/v2/x?b=2&a=1`, body: '{"name":"n"}' },
        { method: 'PUT', url: `${server.url}/v2/x?b=2&a=1`, body: '{"name":"n"}' },
      ]);
      expect(server.seen.map((r) => [r.headers.authorization, r.raw])).toEqual([
        ['sig-1', '{"name":"n"}'],
        ['sig-2', '{"name":"n"}'],
      ]);
      http.close();
    });
  });

  it("sends a service's default headers on its requests only; a request's own headers win", async () => {
    await withServer(
      () => ({ status: 200, body: {} }),
      async (server) => {
        const http = client();
        http.setServiceHeaders('compute', { 'OpenStack-API-Version': 'compute 2.93' });
        await http.request({ method: 'GET', url: `${server.url}/servers`, service: 'compute', operation: 'op' });
        await http.request({ method: 'GET', url: `${server.url}/networks`, service: 'network', operation: 'op' });
        await http.request({ method: 'GET', url: `${server.url}/servers`, service: 'compute', operation: 'op', headers: { 'openstack-api-version': 'compute 2.1' } });
        expect(server.seen.map((r) => r.headers['openstack-api-version'])).toEqual(['compute 2.93', undefined, 'compute 2.1']);
        http.close();
      },
    );
  });

  it('keeps connections alive between requests', async () => {
    await withServer(
      () => ({ status: 200, body: {} }),
      async (server) => {
        const http = client();
        for (let i = 0; i < 3; i++) {
          await http.request({ method: 'GET', url: `${server.url}/x`, service: 's', operation: 'op' });
        }
        expect(new Set(server.seen.map((request) => request.remotePort)).size).toBe(1);
        http.close();
      },
    );
  });

  it("learns each service's clock offset from Date headers, errors included, never above the true one", async () => {
    const behind = 5 * 60_000;
    await withServer(
      (req) => ({ status: req.path === '/missing' ? 404 : 200, headers: { date: new Date(Date.now() - behind).toUTCString() }, body: {} }),
      async (server) => {
        const http = client();
        expect(http.clockOffsetMs('network')).toBeUndefined();
        await http.request({ method: 'GET', url: `${server.url}/x`, service: 'network', operation: 'op' });
        const offset = http.clockOffsetMs('network')!;
        // The header is truncated to the second and read after it was written.
        expect(offset).toBeLessThanOrEqual(-behind);
        expect(offset).toBeGreaterThan(-behind - 1000 - 500);
        expect(http.clockOffsetMs('identity')).toBeUndefined();
        await failure(http.request({ method: 'GET', url: `${server.url}/missing`, service: 'identity', operation: 'op' }));
        expect(http.clockOffsetMs('identity')).toBeLessThanOrEqual(-behind);
        http.close();
      },
    );
  });
});

describe('redaction', () => {
  const password = 'Sup3r-Secret-Passw0rd';
  const token = 'gAAAAABnTOKENVALUE1234567890';

  it('no secret in error messages, metrics or log lines, even when the cloud echoes them', async () => {
    await withServer(
      (req) => ({
        status: 400,
        body: { NeutronError: { type: 'BadRequest', message: `bad token ${String(req.headers['x-auth-token'])} for ${password}`, detail: '' } },
      }),
      async (server) => {
        const registry = new Registry();
        const lines: string[] = [];
        const logger = pino(
          { level: 'debug' },
          new Writable({
            write(chunk: Buffer, _encoding, done) {
              lines.push(chunk.toString());
              done();
            },
          }),
        );
        const redactor = new Redactor();
        redactor.add(password, token);
        const http = client({ registry, logger, redactor });
        const err = await failure(
          http.request({
            method: 'GET',
            url: `${server.url}/x`,
            headers: { 'X-Auth-Token': token },
            service: 'network',
            operation: 'getNetwork',
          }),
        );
        expect(err.message).toContain('[REDACTED]');
        const everything = [err.message, err.describe(), err.stack ?? '', JSON.stringify(err), await registry.metrics(), ...lines].join('\n');
        expect(lines.length).toBeGreaterThan(0);
        expect(everything).not.toContain(password);
        expect(everything).not.toContain(token);
        http.close();
      },
    );
  });

  it('a value added twice stays redacted until removed twice', () => {
    const redactor = new Redactor();
    redactor.add(password, password);
    redactor.remove(password);
    expect(redactor.redact(`x ${password} y`)).toBe('x [REDACTED] y');
    redactor.remove(password);
    expect(redactor.redact(`x ${password} y`)).toBe(`x ${password} y`);
  });

  it('connection errors carry no secret from the URL', async () => {
    const redactor = new Redactor();
    redactor.add(password);
    const http = client({ redactor, retry: { maxAttempts: 1 } });
    // Port 1 on loopback refuses the connection.
    const err = await failure(
      http.request({ method: 'GET', url: `http://127.0.0.1:1/${password}`, service: 's', operation: 'op' }),
    );
    expect(err).toMatchObject({ code: 'ConnectionError', kind: 'transient' });
    expect(err.message).not.toContain(password);
    http.close();
  });
});

describe('TLS', () => {
  let material: TlsMaterial;

  beforeAll(() => {
    material = selfSignedCertificate();
  });

  async function withTls(body: (url: string) => Promise<void>): Promise<void> {
    const server = await startServer(() => ({ status: 200, body: { secure: true } }), material);
    try {
      await body(server.url);
    } finally {
      await server.close();
    }
  }

  it('verifies certificates by default', async () => {
    await withTls(async (url) => {
      const http = client({ retry: { maxAttempts: 1 } });
      const err = await failure(http.request({ method: 'GET', url, service: 's', operation: 'op' }));
      expect(err).toMatchObject({ code: 'TLSVerificationFailed', kind: 'terminal' });
      expect(err.message).toMatch(/: self[- ]signed certificate; the cloud's certificate is not trusted: give its CA \(the ProviderConfig's caBundleSecretRef, or cacert in clouds.yaml\)$/);
      http.close();
    });
  });

  it('trusts a CA bundle given as PEM', async () => {
    await withTls(async (url) => {
      const http = client({ caBundle: material.cert });
      expect((await http.request({ method: 'GET', url, service: 's', operation: 'op' })).body).toEqual({ secure: true });
      http.close();
    });
  });

  it('skips verification only when explicitly told to', async () => {
    await withTls(async (url) => {
      const http = client({ verify: false });
      expect((await http.request({ method: 'GET', url, service: 's', operation: 'op' })).body).toEqual({ secure: true });
      http.close();
    });
  });
});
