#!/usr/bin/env node
// `make bench`: throughput and memory of the runtime's hot paths, and the operator scenarios of
// bench/scenarios.ts with each figure beside its bound, as JSON in bench/results/ and a table.
// `--full` runs the scenarios at full size, three times (`--runs=N` otherwise); `--only=TEXT` the
// scenarios named so.
// Medians are what to compare between commits (the machines are shared and noisy, so single runs
// and absolute timings in tests are not used).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { kubeconfigYaml } from '../dev/kube/kubeconfig.ts';
import { startKubeApiServer } from '../dev/kube/server.ts';
import { SECRETS } from '../src/reconcile/index.ts';
import { SECRETS_INDEX, trimUnreadSecrets, type ProviderConfig } from '../src/reconcile/provider-registry.ts';
import { Cache } from '../src/runtime/cache.ts';
import { Informer } from '../src/runtime/informer.ts';
import { defaultRateLimiter } from '../src/runtime/ratelimiter.ts';
import { WorkQueue } from '../src/runtime/workqueue.ts';
import { applyToReady, bulkCreate, driftChecks, memory, type Figures } from './scenarios.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** 100,000 adds over 1,000 keys through the deduplicating queue with 4 workers. */
async function workqueueThroughput(): Promise<Record<string, number>> {
  const adds = 100_000;
  const keys = 1_000;
  const queue = new WorkQueue({ name: 'bench', concurrency: 4, rateLimiter: defaultRateLimiter({ qps: 1e9, burst: 1e9 }) });
  let processed = 0;
  const started = performance.now();
  queue.start(async () => {
    processed++;
    await Promise.resolve();
  });
  for (let i = 0; i < adds; i++) {
    queue.add(`ns/obj-${i % keys}`);
    if (i % 10_000 === 9_999) await new Promise((resolve) => setImmediate(resolve));
  }
  await queue.shutdown({ drain: true });
  const seconds = (performance.now() - started) / 1000;
  return { addsPerSecond: adds / seconds, processed, dedupeRatio: adds / processed };
}

/** An informer listing and caching 2,000 custom resources from the local API server. */
async function informerSync(): Promise<Record<string, number>> {
  const objects = 2_000;
  const server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  try {
    const base = `${server.url}/apis`;
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.bench.io' },
      spec: {
        group: 'bench.io',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    for (let i = 0; i < objects; i++) {
      const res = await post(`/apis/bench.io/v1/namespaces/default/widgets`, {
        apiVersion: 'bench.io/v1',
        kind: 'Widget',
        metadata: { name: `w-${i}`, labels: { app: 'bench' } },
        spec: { cidr: `10.${i >> 8}.${i & 255}.0/24`, description: 'x'.repeat(64) },
      });
      if (!res.ok) throw new Error(`create failed: ${res.status} ${await res.text()} (${base})`);
    }
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeconfigYaml(server.url));
    const informer = new Informer({ kubeConfig, resource: { group: 'bench.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true } });
    const started = performance.now();
    informer.start();
    await informer.waitForSync();
    const syncMs = performance.now() - started;
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    await informer.stop();
    return { objects: informer.cache.keys().length, syncMs, heapBytesPerObject: (heapAfter - heapBefore) / objects };
  } finally {
    await server.close();
  }
}

/** Heap the Secrets cache holds for 500 Secrets of 16 KiB no ProviderConfig reads: as they come, and trimmed. */
async function secretsCache(): Promise<Record<string, number>> {
  const secrets = 500;
  const server = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  try {
    const value = Buffer.alloc(16 * 1024, 'x').toString('base64');
    for (let i = 0; i < secrets; i++) {
      const res = await fetch(`${server.url}/api/v1/namespaces/default/secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${i}` }, data: { 'release.gz': value } }),
      });
      if (!res.ok) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeconfigYaml(server.url));
    // No ProviderConfig reads these Secrets: the transform trims every one.
    const providerConfigs = new Cache<ProviderConfig>();
    providerConfigs.addIndex(SECRETS_INDEX, () => []);
    const heapPerSecret = async (transform?: (s: V1Secret) => V1Secret): Promise<number> => {
      global.gc?.();
      const before = process.memoryUsage().heapUsed;
      const informer = new Informer<V1Secret>({ kubeConfig, resource: SECRETS, ...(transform ? { transform } : {}) });
      informer.start();
      await informer.waitForSync();
      global.gc?.();
      const after = process.memoryUsage().heapUsed;
      await informer.stop();
      return (after - before) / secrets;
    };
    const whole = await heapPerSecret();
    const trimmed = await heapPerSecret(trimUnreadSecrets(providerConfigs));
    return { secrets, heapBytesPerSecret: whole, heapBytesPerTrimmedSecret: trimmed, ratio: whole / trimmed };
  } finally {
    await server.close();
  }
}

/** The operator scenarios (bench/scenarios.ts): scaled down by default, `--full` for the sizes of issue 14. */
const full = process.argv.includes('--full');
const scale = (small: number, large: number) => (full ? large : small);
const scenarios: Record<string, () => Promise<Figures>> = {
  'P1 bulk create, Zed, 20 ms': () => bulkCreate({ pairs: scale(200, 1000), tagsOnCreate: false, latencyMs: 20 }),
  'P1 bulk create, Zed, 200 ms': () => bulkCreate({ pairs: scale(200, 1000), tagsOnCreate: false, latencyMs: 200 }),
  'P1 bulk create, tags in POST, 20 ms': () => bulkCreate({ pairs: scale(200, 1000), tagsOnCreate: true, latencyMs: 20 }),
  'P1 bulk create, tags in POST, 200 ms': () => bulkCreate({ pairs: scale(200, 1000), tagsOnCreate: true, latencyMs: 200 }),
  'P3 drift checks': () => driftChecks({ objects: scale(600, 2000), rounds: 3 }),
  'P4 memory': () => memory({ objects: scale(2000, 10_000) }),
  'P5 apply->Ready': () => applyToReady({ objects: scale(60, 200) }),
};

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const micro = { workqueueThroughput, informerSync, secretsCache };
const results: Record<string, { runs: Record<string, number>[]; median: Record<string, number> }> = {};
if (!only) {
  for (const [name, run] of Object.entries(micro)) {
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run());
    const median_ = Object.fromEntries(Object.keys(runs[0]!).map((metric) => [metric, median(runs.map((r) => r[metric]!))]));
    results[name] = { runs, median: median_ };
    console.log(`${name}: ${JSON.stringify(median_)}`);
  }
}

const SCENARIO_RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? (full ? 3 : 1));
const goals: Record<string, Figures> = {};
const table: string[][] = [['scenario', 'figure', 'median', 'goal', 'ratio', 'met']];
for (const [name, run] of Object.entries(scenarios)) {
  if (only && !name.includes(only)) continue;
  const runs: Figures[] = [];
  for (let i = 0; i < SCENARIO_RUNS; i++) runs.push(await run());
  const figures: Figures = Object.fromEntries(
    Object.entries(runs[0]!).map(([figure, first]) => [figure, { ...first, value: median(runs.map((r) => r[figure]!.value)), ratio: median(runs.map((r) => r[figure]!.ratio)) }]),
  );
  goals[name] = figures;
  for (const [figure, f] of Object.entries(figures)) table.push([name, figure, `${round(f.value)} ${f.unit}`.trim(), f.goal, round(f.ratio), f.scaled ? 'scaled' : f.ratio >= 1 ? 'yes' : 'NO']);
  console.log(`${name}: ${Object.entries(figures).map(([k, f]) => `${k} ${round(f.value)}${f.unit}`).join(', ')}`);
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 100) / 100) : String(n);
}

const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
console.log(`\n${table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n')}`);

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const report = { date: new Date().toISOString(), node: process.version, full, runs: RUNS, scenarioRuns: SCENARIO_RUNS, results, goals };
const file = join(dir, only ? `latest-${only.replace(/\W+/g, '-')}.json` : 'latest.json');
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`results: ${file}`);
