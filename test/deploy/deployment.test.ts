// The Deployment of the install runs the operator with the V8 settings the image has, which its
// memory is sized on, and the version of package.json.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

interface Container {
  image: string;
  env?: { name: string; value?: string }[];
  resources: { limits: { memory: string } };
}
type Deployment = { kind: string; spec: { template: { spec: { containers: Container[] } } } };

const container = (loadAll(read('deploy/install.yaml')) as Deployment[]).find((d) => d?.kind === 'Deployment')!.spec.template.spec.containers[0]!;

describe('the Deployment of deploy/install.yaml', () => {
  it('sets the NODE_OPTIONS of the Dockerfile, and a memory limit above the heap cap', () => {
    const image = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(read('Dockerfile'))?.[1];
    expect(image).toMatch(/--max-old-space-size=\d+/);
    expect(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(image);
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(image!)![1]);
    const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)![1]);
    expect(limitMiB).toBeGreaterThanOrEqual(heapMiB + 160);
  });

  it('sets NODE_OPTIONS that Node starts with (it refuses some V8 flags there, e.g. --optimize-for-size)', () => {
    const value = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    const started = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: value }, encoding: 'utf8' });
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
  });

  it("runs the image of package.json's version", () => {
    expect(container.image).toBe(`cloudnet-operator:${VERSION}`);
  });
});
