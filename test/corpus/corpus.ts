// The bad-input corpus: one YAML file per case under test/corpus/<group>/, holding the case's manifests
// (fixtures first, the object under test last) and, in its leading comment, what must become of it.
// test/scenarios/corpus.test.ts runs every case on the simulator (make test) and on the real cloud
// (make test-real); README.md beside this file describes the format.
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadAll } from 'js-yaml';
import type { Obj } from '../scenarios/harness.ts';

/** What must become of the case's last manifest; each of `fragments` must be in the message. */
export type Expectation =
  /** The API server refuses it (422). */
  | { outcome: 'refused'; fragments: string[] }
  /** Stalled=True with `reason`, in Ready's message the cloud's own words where it refused. */
  | { outcome: 'stalled'; reason: string; fragments: string[] }
  /** Ready=False with `reason`, not Stalled: it waits for something to change. */
  | { outcome: 'waiting'; reason: string; fragments: string[] }
  | { outcome: 'ready' };

export type Backend = 'simulator' | 'real';

export interface Case {
  group: string;
  /** The file name without .yaml; also the prefix of every object name of the case. */
  name: string;
  description: string;
  expect: Expectation;
  /** A case that says something of one backend only, and why. */
  only?: { backend: Backend; why: string };
  /** An operator bug the case exposes: it keeps the correct expectation and is skipped until fixed. */
  knownBug?: string;
  /** The manifests in order, names prefixed with the case's name (references inside the case too). */
  docs: Obj[];
}

const CORPUS = new URL('./', import.meta.url);

/** Every case, by group (directory), in file name order. */
export function loadCorpus(): Map<string, Case[]> {
  const groups = new Map<string, Case[]>();
  for (const dir of readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const files = readdirSync(new URL(`${dir}/`, CORPUS)).filter((f) => f.endsWith('.yaml')).sort();
    groups.set(dir, files.map((file) => parseCase(dir, basename(file, '.yaml'), readFileSync(new URL(`${dir}/${file}`, CORPUS), 'utf8'))));
  }
  return groups;
}

export function parseCase(group: string, name: string, text: string): Case {
  const where = `test/corpus/${group}/${name}.yaml`;
  const header = text.match(/^(?:#.*\n)+/)?.[0].split('\n').map((line) => line.replace(/^# ?/, '').trim()).filter(Boolean) ?? [];
  const directive = (key: string) => header.find((line) => line.startsWith(`${key}:`))?.slice(key.length + 1).trim();
  const expectation = directive('expect');
  if (!expectation) throw new Error(`${where}: no "# expect:" line`);
  const docs = (loadAll(text) as Obj[]).filter(Boolean);
  if (docs.length === 0) throw new Error(`${where}: no manifest`);
  const only = directive('only');
  const knownBug = directive('known-bug');
  return {
    group,
    name,
    description: header.filter((line) => !/^[a-z-]+:/.test(line)).join(' '),
    expect: parseExpectation(expectation, where),
    ...(only === undefined ? {} : { only: parseOnly(only, where) }),
    ...(knownBug === undefined ? {} : { knownBug }),
    docs: prefixNames(docs, name),
  };
}

function parseExpectation(text: string, where: string): Expectation {
  // Each fragment is a JSON string: "..." with \" and \\ inside.
  const m = text.match(/^(refused|stalled|waiting|ready)(?:\s+([A-Za-z]+))?((?:\s+"(?:[^"\\]|\\.)*")*)$/);
  const [, outcome, reason, quoted = ''] = m ?? [];
  const fragments = (quoted.match(/"(?:[^"\\]|\\.)*"/g) ?? []).map((q) => JSON.parse(q) as string);
  if (outcome === 'ready' && !reason && fragments.length === 0) return { outcome };
  if (outcome === 'refused' && !reason && fragments.length > 0) return { outcome, fragments };
  if ((outcome === 'stalled' || outcome === 'waiting') && reason && fragments.length > 0) return { outcome, reason, fragments };
  throw new Error(`${where}: "expect: ${text}" is none of: ready | refused "<fragment>"... | stalled|waiting <Reason> "<fragment>"...`);
}

function parseOnly(text: string, where: string): { backend: Backend; why: string } {
  const m = text.match(/^(simulator|real)\s+--\s+(.+)$/);
  if (!m) throw new Error(`${where}: "only: ${text}" must read "simulator -- <why>" or "real -- <why>"`);
  return { backend: m[1] as Backend, why: m[2]! };
}

/**
 * The cases of a group share one namespace: every object is renamed `<case>-<name>`, and so is every
 * reference (a `...Ref` field, or an item of a `...Refs` list) naming an object of the same case. A
 * reference to an object the case does not define keeps its name, which no other case defines either.
 */
function prefixNames(docs: Obj[], prefix: string): Obj[] {
  const own = new Set(docs.map((d) => d.metadata?.name));
  const rename = (value: unknown, isRef: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => rename(v, isRef));
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        if (isRef && key === 'name' && typeof v === 'string' && own.has(v)) return [key, `${prefix}-${v}`];
        return [key, rename(v, /Refs?$/.test(key))];
      }),
    );
  };
  return docs.map((doc) => ({ ...doc, metadata: { ...doc.metadata, name: `${prefix}-${doc.metadata?.name}` }, spec: rename(doc.spec, false) as Obj['spec'] }));
}
