// The deployment runs the operator with the V8 settings the image has, which its memory is sized on.
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

type Deployment = { kind: string; spec: { template: { spec: { containers: { env?: { name: string; value?: string }[]; resources: { limits: { memory: string } } }[] } } } };

describe('deploy/operator.yaml', () => {
  it('sets the NODE_OPTIONS of the Dockerfile, and a memory limit above the heap cap', () => {
    const image = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(read('Dockerfile'))?.[1];
    expect(image).toMatch(/--max-old-space-size=\d+/);
    const deployment = (loadAll(read('deploy/operator.yaml')) as Deployment[]).find((d) => d?.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(image);
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(image!)![1]);
    const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)![1]);
    expect(limitMiB).toBeGreaterThanOrEqual(heapMiB + 160);
  });
});
