// The Exoscale client's own logic: signing (with the official clients' test vectors), a signature
// per attempt, error classification of both body shapes, the operation schedule, secrets redacted.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ExoscaleClient } from '../../src/cloud/exoscale/client.ts';
import { classifyExoscaleError } from '../../src/cloud/exoscale/errors.ts';
import { operationPollAfterMs, retryable } from '../../src/cloud/exoscale/operations.ts';
import { authorization, parseAuthorization, signature, signedQueryArgs, stringToSign } from '../../src/cloud/exoscale/signing.ts';
import { startServer } from './server.ts';

const KEY = 'EXOxxxxxxxxxxxxxxxxxxxxxxxx';
const SECRET = 'X'.repeat(43);
const EXPIRES = 3376684800;
const get = (url: string) => ({ method: 'GET', url: new URL(url), body: undefined });

describe('EXO2-HMAC-SHA256 signing', () => {
  it('matches the official test vector without a query', () => {
    expect(authorization(KEY, SECRET, get('https://api-ch-gva-2.exoscale.com/v2/zone'), EXPIRES)).toBe(
      `EXO2-HMAC-SHA256 credential=${KEY},expires=${EXPIRES},signature=Ntbq/p0HVmA3Zg1HHY+Lq1vjFGi7HeMrrgXDS5jRNlY=`,
    );
  });

  it('matches the official test vector with query arguments, which it names', () => {
    expect(authorization(KEY, SECRET, get('https://api-ch-gva-2.exoscale.com/v2/zone?k1=v1&k2=v2'), EXPIRES)).toBe(
      `EXO2-HMAC-SHA256 credential=${KEY},signed-query-args=k1;k2,expires=${EXPIRES},signature=iqOBz13+44L5j0uJclE8hmUhQQcvtCSoPEOXYK6liqY=`,
    );
  });

  it('orders single-valued query arguments by name and leaves repeated ones out', () => {
    expect(signedQueryArgs(new URL('https://x/v2/a?b=2&a=1&c=3&c=4'))).toEqual({ names: ['a', 'b'], values: '12' });
  });

  it('signs the exact body bytes, the escaped path and the expiry', () => {
    const body = Buffer.from('{"name":"caf\u00e9"}');
    const request = { method: 'POST', url: new URL('https://x/v2/private-network'), body };
    expect(stringToSign(request, 42, '').toString('utf8')).toBe('POST /v2/private-network\n{"name":"caf\u00e9"}\n\n\n42');
    const other = { ...request, body: Buffer.from('{"name":"cafe"}') };
    expect(signature(SECRET, stringToSign(request, 42, ''))).not.toBe(signature(SECRET, stringToSign(other, 42, '')));
  });

  it('parses its own header back', () => {
    const header = authorization(KEY, SECRET, get('https://x/v2/zone?k1=v1'), EXPIRES);
    expect(parseAuthorization(header)).toEqual({ credential: KEY, signedQueryArgs: ['k1'], expires: EXPIRES, signature: expect.any(String) });
    expect(parseAuthorization('Bearer abc')).toBeUndefined();
  });
});

describe('ExoscaleClient', () => {
  it('signs every attempt afresh: a retried request carries a new expiry and its own signature', async () => {
    let replies = 0;
    const server = await startServer(() => (replies++ === 0 ? { status: 503, body: { message: 'try later' } } : { status: 200, body: { zones: [{ name: 'ch-gva-2' }] } }));
    let now = 1_000_000;
    const client = new ExoscaleClient({
      zone: 'ch-gva-2',
      endpoint: `${server.url}/v2`,
      credentials: { apiKey: KEY, apiSecret: SECRET },
      registry: new Registry(),
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
      now: () => (now += 7),
    });
    try {
      expect(await client.zones()).toEqual([{ name: 'ch-gva-2' }]);
      const headers = server.seen.map((s) => parseAuthorization(s.headers.authorization as string)!);
      expect(headers.map((h) => h.expires)).toEqual([1_000_007 + 600, 1_000_014 + 600]);
      expect(headers[0]!.signature).not.toBe(headers[1]!.signature);
      expect(server.seen[1]!.headers.authorization).toBe(authorization(KEY, SECRET, get(`${server.url}/v2/zone`), 1_000_014 + 600));
    } finally {
      client.close();
      await server.close();
    }
  });

  it('never repeats an attach after a failed attempt (a repeat is refused), but repeats a GET', async () => {
    const server = await startServer(() => ({ status: 503, body: { message: 'unavailable' } }));
    const client = new ExoscaleClient({ zone: 'ch-gva-2', endpoint: `${server.url}/v2`, credentials: { apiKey: KEY, apiSecret: SECRET }, registry: new Registry(), retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    try {
      await expect(client.attachInstance('n1', 'i1')).rejects.toMatchObject({ kind: 'transient', status: 503 });
      expect(server.seen).toHaveLength(1);
      await expect(client.getOperation('o1')).rejects.toMatchObject({ kind: 'transient' });
      expect(server.seen).toHaveLength(4);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('keeps the API secret, old and new, out of errors', async () => {
    const server = await startServer((req) => ({ status: 403, body: { message: `signature of ${req.headers['x-echo'] ?? ''} ${SECRET} and NEW${SECRET} refused` } }));
    const client = new ExoscaleClient({ zone: 'ch-gva-2', endpoint: `${server.url}/v2`, credentials: { apiKey: KEY, apiSecret: SECRET }, registry: new Registry() });
    try {
      client.setCredentials({ apiKey: KEY, apiSecret: `NEW${SECRET}` });
      const err = await client.zones().catch((e: Error) => e);
      expect(err).toMatchObject({ kind: 'terminal', code: 'Forbidden' });
      expect((err as Error).message).not.toContain(SECRET);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('error classification', () => {
  const classify = (status: number, body: unknown, retryAfterMs?: number) =>
    classifyExoscaleError({ provider: 'exoscale', service: 'api', operation: 'op', status, headers: {}, text: JSON.stringify(body), body, retryAfterMs });

  it('reads classic and RFC 9457 bodies', () => {
    expect(classify(400, { message: 'invalid netmask' })).toMatchObject({ kind: 'terminal', code: 'BadRequest', message: 'invalid netmask' });
    expect(classify(409, { error: 'name in use' })).toMatchObject({ kind: 'terminal', code: 'Conflict', message: 'name in use' });
    expect(classify(400, { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'invalid body', errors: [{ detail: 'not an ipv4', location: 'body.start-ip' }] })).toMatchObject({
      kind: 'terminal',
      message: 'invalid body; body.start-ip: not an ipv4',
    });
  });

  it('404 is gone; 403 and 412 refuse; 429 and 5xx are transient with Retry-After, 501 is not', () => {
    expect(classify(404, { message: 'not found' }).kind).toBe('notFound');
    expect(classify(403, { message: 'forbidden' }).kind).toBe('terminal');
    expect(classify(412, { message: 'precondition' }).kind).toBe('terminal');
    expect(classify(429, { message: 'slow down' }, 5000)).toMatchObject({ kind: 'transient', retryAfterMs: 5000 });
    expect(classify(503, {}).kind).toBe('transient');
    expect(classify(501, { message: 'not implemented' }).kind).toBe('terminal');
  });
});

describe('operations', () => {
  it('polls every 3 s for 30 s, then lengthens linearly to 60 s at 15 minutes', () => {
    expect([0, 10_000, 30_000].map((t) => operationPollAfterMs(t))).toEqual([3000, 3000, 3000]);
    expect(operationPollAfterMs(465_000)).toBe(31_500);
    expect([900_000, 3_600_000].map((t) => operationPollAfterMs(t))).toEqual([60_000, 60_000]);
    expect(operationPollAfterMs(0, 30)).toBe(30);
    expect(operationPollAfterMs(9_000, 30)).toBe(600);
  });

  it('retries a failure the cloud may get over, not one of the request itself', () => {
    const op = (state: 'failure' | 'timeout', reason?: 'busy' | 'incorrect' | 'forbidden' | 'unsupported' | 'conflict' | 'unavailable' | 'fault' | 'interrupted') => ({ id: 'o', state, reason });
    expect(['incorrect', 'forbidden', 'unsupported', 'conflict'].map((r) => retryable(op('failure', r as 'incorrect')))).toEqual([false, false, false, false]);
    expect(['busy', 'unavailable', 'fault', 'interrupted'].map((r) => retryable(op('failure', r as 'busy')))).toEqual([true, true, true, true]);
    expect(retryable(op('timeout'))).toBe(true);
  });
});
