// The simulator run as a process (dev/sim/exoscale/main.ts), as `make dev` or a shell would run it.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../../dev/sim/exoscale/index.ts';
import { startAnnounced, stopProcess } from '../../support/process.ts';
import { send, sign } from './client.ts';

describe('the Exoscale simulator as a process', () => {
  let child: ChildProcess;
  let dir: string;
  let ready: { url: string; endpoint: string; apiKey: string };
  let firstLine: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exosim-'));
    ({ child, firstLine } = await startAnnounced(join(import.meta.dirname, '../../../dev/sim/exoscale/main.ts'), ['--port', '0', '--operation-polls', '0', '--instances', 'web,db', '--write-env-file', join(dir, 'sim.env')]));
    ready = JSON.parse(firstLine) as typeof ready;
  });

  afterAll(async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its URL, endpoint and API key, never the secret', () => {
    expect(ready).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), endpoint: `${ready.url}/ch-gva-2/v2`, apiKey: DEFAULT_CREDENTIALS.key });
    expect(firstLine).not.toContain(DEFAULT_CREDENTIALS.secret);
  });

  it('writes the env file, mode 0600', () => {
    const path = join(dir, 'sim.env');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`EXOSCALE_API_KEY=${DEFAULT_CREDENTIALS.key}\nEXOSCALE_API_SECRET=${DEFAULT_CREDENTIALS.secret}\nEXOSCALE_API_ENDPOINT=${ready.endpoint}\n`);
  });

  it('serves signed requests, with the instances seeded in every zone', async () => {
    for (const zone of ['ch-gva-2', 'hr-zag-1']) {
      const url = `${ready.url}/${zone}/v2/instance`;
      const reply = await send(url, 'GET', { authorization: sign(DEFAULT_CREDENTIALS, 'GET', url, undefined, Date.now()) });
      expect(reply.body.instances.map((i: { name: string }) => i.name)).toEqual(['web', 'db']);
    }
    expect((await send(`${ready.endpoint}/zone`, 'GET')).status).toBe(403);
  });

  it('stops on SIGTERM', async () => {
    expect(await stopProcess(child)).toBe(0);
  });
});
