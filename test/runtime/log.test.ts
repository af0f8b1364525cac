import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/log.ts';

describe('log', () => {
  it('writes JSON with a level name and redacts secrets at any usual depth', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'debug', destination });
    log.debug(
      {
        password: 'p1',
        auth: { token: 't1', applicationCredentialSecret: 's1', user: 'alice' },
        request: { headers: { authorization: 'Bearer x', 'x-auth-token': 'gAAA', accept: 'application/json' } },
        exoscale: { credentials: { apiKey: 'EXO1', apiSecret: 'shh' } },
        secret: { name: 'clouds' },
      },
      'calling the cloud',
    );
    log.trace('not at this level');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 'debug', msg: 'calling the cloud', name: 'cloudnet-operator' });
    expect(lines[0]).not.toMatch(/p1|t1|s1|Bearer|gAAA|EXO1|shh/);
    expect(line.auth.user).toBe('alice');
    expect(line.request.headers.accept).toBe('application/json');
  });
});
