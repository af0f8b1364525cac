// config/argocd: health.lua (run by lua5.1 as Argo CD runs an argocd-cm script) gives every fixture
// the health its health_test.yaml says, as Argo CD's own test of resource_customizations does (real
// clock); ProviderNotReady turns Degraded at ten minutes whatever the time zone; every line of the script
// runs and every decision in it goes both ways; and the generated files are what scripts/gen-argocd.ts
// makes of health.lua, src/api's kinds and the fixtures.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import { startKubeApiServer, type KubeApiServer } from '../../dev/kube/server.ts';
import { kinds } from '../../src/api/index.ts';
import { ARGOCD_DIR, kindDir, readFixtures, renderArgoCD, type KubeObject } from '../../scripts/gen-argocd.ts';
import { listing, mergeCoverage, runHealth, SCRIPT, type Coverage, type HealthCase, type HealthStatus } from './argocd-lua.ts';

/** UTC, and zones whose offsets (one not a whole hour) a local-time reading of a UTC time would show. */
const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns'];
const DEGRADED_AFTER_S = 600;

interface HealthTest {
  tests: { healthStatus: HealthStatus; inputPath: string }[];
}

/** Every kind's health_test.yaml cases, with their objects as Argo CD's test reads them. */
const cases = kinds.flatMap(({ kind }) => {
  const { tests } = load(readFileSync(join(kindDir(kind), 'health_test.yaml'), 'utf8')) as HealthTest;
  return tests.map(({ healthStatus, inputPath }) => ({ name: `${kind}/${inputPath}`, expected: healthStatus, obj: load(readFileSync(join(kindDir(kind), inputPath), 'utf8')) as KubeObject }));
});

const notReadyFixtures = kinds.flatMap(({ kind }) => readFixtures(kind).filter(([state]) => state === 'provider-not-ready').map(([, obj]) => obj));

const kubeTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** The object with its Ready condition's lastTransitionTime at `seconds`. */
function readySince(obj: KubeObject, seconds: number): KubeObject {
  const conditions = obj.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, lastTransitionTime: kubeTime(seconds) } : c));
  return { ...obj, status: { ...obj.status, conditions } };
}

/** Instants where a hand-made calendar goes wrong: the epoch, leap days, month and year ends, 2000, 2100 and on. */
const INSTANTS = [
  '1970-01-01T00:10:00Z', '1999-12-31T23:59:59Z', '2000-02-29T12:00:00Z', '2000-03-01T00:00:00Z', '2023-02-28T23:55:00Z', '2024-02-29T00:05:00Z',
  '2024-03-01T00:09:59Z', '2024-12-31T23:59:59Z', '2025-01-01T00:00:00Z', '2026-06-30T23:59:59Z', '2026-12-06T17:00:00Z', '2100-02-28T23:59:59Z',
  '2100-03-01T00:00:00Z', '2400-02-29T23:59:59Z',
].map((iso) => Date.parse(iso) / 1000);

/** ProviderNotReady fixtures just before and at ten minutes after Ready's last transition, on a set clock and on the real one. */
function thresholdChecks(): (HealthCase & { status: string })[] {
  const now = Math.floor(Date.now() / 1000);
  return notReadyFixtures.flatMap((obj) => [
    ...INSTANTS.flatMap((since) => [
      { obj: readySince(obj, since), now: since + DEGRADED_AFTER_S - 1, status: 'Progressing' },
      { obj: readySince(obj, since), now: since + DEGRADED_AFTER_S, status: 'Degraded' },
    ]),
    // The real clock: nine and eleven minutes ago.
    { obj: readySince(obj, now - 540), status: 'Progressing' },
    { obj: readySince(obj, now - 660), status: 'Degraded' },
  ]);
}

describe('health.lua', () => {
  const runs = new Map<string, { fixtures: HealthStatus[]; threshold: { wanted: string[]; got: string[] }; coverage: Coverage }>();
  beforeAll(async () => {
    for (const tz of ZONES) {
      const checks = thresholdChecks();
      const { results, coverage } = await runHealth([...cases.map(({ obj }) => ({ obj })), ...checks.map(({ obj, now }) => ({ obj, now }))], { tz });
      runs.set(tz, { fixtures: results.slice(0, cases.length), threshold: { wanted: checks.map((c) => c.status), got: results.slice(cases.length).map((r) => r.status) }, coverage });
    }
  });

  it('has fixtures of every kind, a health test of each', () => {
    for (const { kind } of kinds) expect(cases.filter((c) => c.name.startsWith(`${kind}/`)).length, kind).toBeGreaterThanOrEqual(2);
    expect(notReadyFixtures.length).toBeGreaterThan(0);
  });

  for (const tz of ZONES) {
    it(`TZ=${tz}: every health_test.yaml case, on the real clock`, () => {
      const { fixtures } = runs.get(tz)!;
      expect(cases.map(({ name }, i) => ({ name, health: fixtures[i] }))).toEqual(cases.map(({ name, expected }) => ({ name, health: expected })));
    });

    it(`TZ=${tz}: ProviderNotReady is Progressing for ten minutes after Ready's last transition, then Degraded`, () => {
      const { threshold } = runs.get(tz)!;
      expect(threshold.got).toEqual(threshold.wanted);
    });
  }

  it('every line runs and every decision goes both ways, over the runs above', () => {
    const coverage = mergeCoverage([...runs.values()].map((r) => r.coverage));
    const { lines, decisions } = listing();
    expect([...lines].filter((line) => !coverage.lines.has(line)), 'lines that never ran').toEqual([]);
    // A decision went both ways when the line holding it was followed by two different lines.
    expect([...decisions.keys()].filter((line) => (coverage.next.get(line)?.size ?? 0) < 2), 'decisions that went one way only').toEqual([]);
  });

  it('decides in if statements and loops only, one decision a line, so that the coverage check sees each', () => {
    const code = SCRIPT.replace(/--.*$/gm, '').replace(/"[^"]*"/g, '""');
    expect(code).not.toMatch(/\b(and|or)\b/);
    const { decisions } = listing();
    expect([...decisions].filter(([, count]) => count > 1)).toEqual([]);
    expect(decisions.size).toBeGreaterThan(10);
  });
});

describe('config/argocd', () => {
  it('holds exactly what scripts/gen-argocd.ts generates', () => {
    for (const [path, content] of renderArgoCD()) expect(readFileSync(path, 'utf8'), `${path} is stale: run make argocd`).toBe(content);
    const check = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'gen-argocd.ts'), '--check'], { encoding: 'utf8', timeout: 20_000 });
    expect(check.status, check.stderr).toBe(0);
  });

  it('argocd-cm.yaml: the script under resource.customizations.health.cloudnet.io_<Kind> for every kind', () => {
    const configMap = load(readFileSync(join(ARGOCD_DIR, 'argocd-cm.yaml'), 'utf8')) as { kind: string; metadata: { name: string }; data: Record<string, string> };
    expect(configMap).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'argocd-cm' } });
    expect(configMap.data).toEqual(Object.fromEntries(kinds.map(({ kind }) => [`resource.customizations.health.cloudnet.io_${kind}`, SCRIPT])));
  });
});

describe('the install command of config/argocd/README.md', () => {
  let server: KubeApiServer;
  let dir: string;
  beforeAll(async () => {
    server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'cloudnet-argocd-'));
    writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(server.url), { mode: 0o600 });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') };
      execFile('kubectl', ['--cache-dir', join(dir, 'cache'), ...args], { env, timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
    });

  it('kubectl patch --patch-file merges the health checks into an existing argocd-cm, keeping its other keys', async () => {
    await kubectl('create', 'namespace', 'argocd');
    await kubectl('-n', 'argocd', 'create', 'configmap', 'argocd-cm', '--from-literal=url=https://argocd.example.org');
    await kubectl('-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--patch-file', join(ARGOCD_DIR, 'argocd-cm.yaml'));
    const { data } = JSON.parse(await kubectl('-n', 'argocd', 'get', 'configmap', 'argocd-cm', '-o', 'json')) as { data: Record<string, string> };
    expect(data).toEqual({ url: 'https://argocd.example.org', ...Object.fromEntries(kinds.map(({ kind }) => [`resource.customizations.health.cloudnet.io_${kind}`, SCRIPT])) });
  });
});
