import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/cloud/redact.ts';

describe('Redactor', () => {
  const secret = 'pa ss/w+o=r&d"\\é-0123456789';

  it('removes a secret as sent, percent-encoded, form-encoded (query strings) and JSON-escaped (ASCII-only too)', () => {
    const redactor = new Redactor();
    redactor.add(secret);
    const url = new URL('https://cloud.example.com/v2.0/networks');
    url.searchParams.set('name', secret);
    const echoes = [
      secret,
      encodeURIComponent(secret),
      url.toString(),
      JSON.stringify({ message: `bad ${secret}` }),
      JSON.stringify({ message: secret }).replace('é', '\\u00e9'),
    ];
    for (const echo of echoes) {
      const redacted = redactor.redact(`the cloud said: ${echo}`);
      expect(redacted, echo).toContain('[REDACTED]');
      expect(redacted, echo).not.toMatch(/pa ss|pa\+ss|pa%20ss|0123456789/);
    }
  });

  it('removes a secret that contains another one whole', () => {
    const redactor = new Redactor();
    redactor.add('abcd1234', 'abcd1234-longer');
    expect(redactor.redact('x abcd1234-longer y abcd1234')).toBe('x [REDACTED] y [REDACTED]');
  });

  it('a value added twice stays redacted until removed twice; short values are ignored', () => {
    const redactor = new Redactor();
    redactor.add(secret, secret, 'abc');
    redactor.remove(secret);
    expect(redactor.redact(`x ${encodeURIComponent(secret)} abc`)).toBe('x [REDACTED] abc');
    redactor.remove(secret);
    expect(redactor.redact(`x ${secret}`)).toBe(`x ${secret}`);
  });
});
