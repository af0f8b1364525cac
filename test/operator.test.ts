// The composition root and the shape of src/: the adapters of every kind of src/api, and no import cycles.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { managedKinds } from '../src/api/index.ts';
import { adapters, providers } from '../src/operator.ts';

const SRC = resolve(import.meta.dirname, '../src');

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** file -> the files of src/ it imports (type-only imports included: they tie the modules just as much). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
    graph.set(relative(SRC, file), specifiers.map((s) => relative(SRC, resolve(dirname(file), s))));
  }
  return graph;
}

/** The import cycles, each as the files around it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push(path.slice(path.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('the composition root', () => {
  it('serves every kind of src/api, in its dependency order, named and typed by its definition, on each cloud once', () => {
    expect([...new Set(adapters.map((a) => a.kind))]).toEqual(managedKinds.map((k) => k.kind));
    for (const adapter of adapters) expect(adapter.resource.plural).toBe(managedKinds.find((k) => k.kind === adapter.kind)!.plural);
    for (const adapter of adapters) expect(providers).toContain(adapter.provider);
    const clouds = adapters.map((a) => `${a.kind} on ${a.provider.name}`);
    expect(new Set(clouds).size).toBe(clouds.length);
    expect(adapters.filter((a) => a.kind === 'PrivateNetwork').map((a) => a.provider.name)).toEqual(['exoscale', 'openstack']);
  });
});

describe('src/', () => {
  it('has no import cycles', () => {
    expect(cycles(importGraph())).toEqual([]);
  });
});
