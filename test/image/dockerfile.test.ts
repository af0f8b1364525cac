// The Dockerfile, read without building it (make image-test runs the image): one Node.js version with
// the Makefile, a base image that scripts/image/base.sh makes, V8 flags Node accepts where they are
// given, and a runtime stage that carries node and dist/ only, as uid 65532.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The Dockerfile's instructions: continuation lines joined, comments and blank lines dropped. */
function instructions(): { op: string; args: string }[] {
  return read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The stages, each with its instructions after FROM. */
function stages(): { from: string; name: string | undefined; body: { op: string; args: string }[] }[] {
  const result: ReturnType<typeof stages> = [];
  for (const instruction of instructions()) {
    if (instruction.op === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      result.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, body: [] });
    } else {
      result.at(-1)?.body.push(instruction);
    }
  }
  return result;
}

const nodeVersion = /^ARG NODE_VERSION=(\S+)$/m.exec(read('Dockerfile'))?.[1];

describe('the Dockerfile', () => {
  it('builds on the Node.js version of the Makefile', () => {
    expect(nodeVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(/^NODE_VERSION := (\S+)$/m.exec(read('Makefile'))?.[1]).toBe(nodeVersion);
  });

  it('starts every stage from the base image scripts/image/base.sh makes, or from scratch', () => {
    // scripts/image/lib.sh reads the version (ARG NODE_VERSION) and the Debian suite from these lines.
    for (const stage of stages()) expect([`node:\${NODE_VERSION}-bookworm-slim`, 'scratch']).toContain(stage.from);
  });

  it('runs node with V8 flags it accepts: NODE_OPTIONS refuses some (e.g. --optimize-for-size), the command line takes them', () => {
    const runtime = stages().at(-1)!.body;
    const nodeOptions = /^NODE_OPTIONS="([^"]*)"$/.exec(runtime.find((i) => i.op === 'ENV' && i.args.startsWith('NODE_OPTIONS='))!.args)![1]!;
    expect(nodeOptions).toMatch(/--max-old-space-size=\d+/);
    const entrypoint = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint[0]).toBe('/usr/local/bin/node');
    expect(entrypoint.at(-1)).toBe('dist/main.js');
    const flags = entrypoint.slice(1, -1);
    const started = spawnSync(process.execPath, [...flags, '-e', '0'], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' });
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
  });

  it('runs, as uid 65532, a runtime stage of node and dist/ only', () => {
    const runtime = stages().at(-1)!;
    expect(runtime.from).toBe('scratch');
    const copies = runtime.body.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=rootfs /rootfs/ /', '--from=build /app/dist ./dist']);
    expect(runtime.body.find((i) => i.op === 'USER')?.args).toBe('65532:65532');
    expect(runtime.body.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
  });

  it('copies from the build context only what exists and what .dockerignore lets through', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // The image storage of scripts/image/ (in .tools/) and the host's dependencies stay out.
    expect(ignored).toEqual(expect.arrayContaining(['.tools', 'node_modules', 'dist', '.git']));
    const sources = instructions()
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), source).toBe(false);
    }
  });
});
