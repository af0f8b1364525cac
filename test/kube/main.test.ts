import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'kube-main-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs as a process: prints its URL when ready, writes the kubeconfig, stops on SIGTERM', async () => {
  const kubeconfig = join(dir, 'kubeconfig');
  const main = new URL('../../dev/kube/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, '--host', '127.0.0.1', '--port', '0', '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
    const { url } = JSON.parse(line ?? '{}') as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(kubeconfig, 'utf8')).toContain(`server: ${url}`);
    const version = (await (await fetch(`${url}/version`)).json()) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\.32\./);
  } finally {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
  }
  expect(await exited).toBe(0);
});
