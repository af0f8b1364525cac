// The fence of the HTTP layer (HttpClientOptions.mayWrite): a replica that may have lost the leader
// lease sends no cloud write, and retries none; reads go on.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/cloud/errors.ts';
import { HttpClient } from '../../src/cloud/http.ts';
import { startServer, type Handler } from './server.ts';

function fenced(mayWrite: () => boolean): HttpClient {
  return new HttpClient({ provider: 'test', registry: new Registry(), retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, rateLimit: { qps: 1000, burst: 1000 }, mayWrite });
}

async function withClient(handler: Handler, mayWrite: () => boolean, body: (http: HttpClient, url: string, seen: () => string[]) => Promise<void>): Promise<void> {
  const server = await startServer(handler);
  const http = fenced(mayWrite);
  try {
    await body(http, server.url, () => server.seen.map((s) => s.method));
  } finally {
    http.close();
    await server.close();
  }
}

const ok: Handler = () => ({ status: 200, body: { ok: true } });

describe('HttpClient fence', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE'] as const)('refuses %s unsent, once, when the fence is closed', async (method) => {
    let asked = 0;
    const closed = () => {
      asked++;
      return false;
    };
    await withClient(ok, closed, async (http, url, seen) => {
      const err = await http.request({ method, url: `${url}/x`, service: 'network', operation: 'op', json: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CloudError);
      expect(err).toMatchObject({ code: 'NotLeader', kind: 'transient', status: undefined, operation: 'op' });
      expect(seen()).toEqual([]);
      // Refused, not retried: the attempt loop never asks again.
      expect(asked).toBe(1);
    });
  });

  it('sends reads whatever the fence says', async () => {
    await withClient(ok, () => false, async (http, url, seen) => {
      await http.request({ method: 'GET', url: `${url}/x`, service: 'network', operation: 'op' });
      await http.request({ method: 'HEAD', url: `${url}/x`, service: 'network', operation: 'op' });
      expect(seen()).toEqual(['GET', 'HEAD']);
    });
  });

  it('asks again before each retry: a fence that closed after a failed attempt stops the retries', async () => {
    let open = true;
    const failing: Handler = () => {
      open = false;
      return { status: 503, body: 'busy' };
    };
    await withClient(failing, () => open, async (http, url, seen) => {
      const err = await http.request({ method: 'PUT', url: `${url}/x`, service: 'network', operation: 'op', json: {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'NotLeader' });
      expect(seen()).toEqual(['PUT']);
    });
  });

  it('sends writes while the fence is open', async () => {
    await withClient(ok, () => true, async (http, url, seen) => {
      await http.request({ method: 'POST', url: `${url}/x`, service: 'network', operation: 'op', json: {} });
      expect(seen()).toEqual(['POST']);
    });
  });
});
