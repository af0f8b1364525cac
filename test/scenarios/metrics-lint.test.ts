// The operator process's /metrics, scraped over HTTP once a small topology is Ready and one object
// has failed: `promtool check metrics` finds no problem in it, and every selector of the alerts in
// config/prometheus/alerts.yaml matches series it has, so no alert watches a metric or a label
// value the operator does not export.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { manifest, until, useScenarios, type Scenario } from './harness.ts';

const { start } = useScenarios();

const ALERTS = new URL('../../config/prometheus/alerts.yaml', import.meta.url);
/** Labels Prometheus adds at scrape time (servicemonitor.yaml), which no exposition carries. */
const TARGET_LABELS = new Set(['job']);
// The harness runs the operator without leader election: the lease gauge is declared, never set.
const UNSET_WITHOUT_LEADER_ELECTION = new Set(['leader_election_master_status']);
/**
 * prom-client's default Node.js gauges, which Node.js dashboards know by these names: promtool's
 * only complaints, left as they are (prometheus/client_js#283).
 */
const PROM_CLIENT_PROBLEMS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'].map(
  (name) => `${name} non-counter metrics should not have "_total" suffix`,
);
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

type Labels = Record<string, string>;
interface Matcher {
  label: string;
  op: string;
  value: string;
}

const MATCHER = /(\w+)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g;
const matchersOf = (text: string): Matcher[] => [...text.matchAll(MATCHER)].map(([, label, op, value]) => ({ label: label!, op: op!, value: value! }));

function matches(labels: Labels, { label, op, value }: Matcher): boolean {
  const actual = labels[label] ?? '';
  if (op === '=') return actual === value;
  if (op === '!=') return actual !== value;
  const full = new RegExp(`^(?:${value})$`).test(actual);
  return op === '=~' ? full : !full;
}

/** The vector selectors of a PromQL expression, and the labels its aggregations group by. */
function parseExpr(expr: string): { selectors: { metric: string; matchers: Matcher[] }[]; grouping: string[] } {
  const clauses = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
  const grouping = [...expr.matchAll(clauses)].flatMap(([, list]) => list!.split(',').map((l) => l.trim()).filter(Boolean));
  // What remains: identifiers are functions (a call follows), keywords, or metric names.
  const rest = expr.replace(clauses, '');
  const selectors = [...rest.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?(\s*\()?/g)]
    .filter(([, name, , call]) => !call && !PROMQL_KEYWORDS.has(name!))
    .map(([, metric, braces]) => ({ metric: metric!, matchers: matchersOf(braces ?? '') }));
  return { selectors, grouping };
}

/** The declared metric names and the samples of an exposition, by metric name. */
function parseExposition(text: string): { declared: Set<string>; samples: Map<string, Labels[]> } {
  const declared = new Set<string>();
  const samples = new Map<string, Labels[]>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) declared.add(type[1]!);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries(matchersOf(sample[2] ?? '').map((m) => [m.label, m.value]));
    samples.set(sample[1]!, [...(samples.get(sample[1]!) ?? []), labels]);
  }
  return { declared, samples };
}

/** host:port of the operator process's /metrics, from its "manager serving" log line. */
async function metricsAddress(s: Scenario): Promise<string> {
  const line = await until('the operator serving /metrics', () => s.operatorLog.find((l) => l.includes('"manager serving"')));
  return (JSON.parse(line) as { metrics: string }).metrics;
}

describe('/metrics of the operator process', () => {
  it('passes promtool check metrics and has series for every selector of the alerts', async () => {
    const s = await start({ operator: 'process' });
    // One answer the cloud fails (retried), for a series of the codes the error ratio counts.
    s.faults.add({ status: 503, times: 1, match: { service: 'network' } });
    await s.apply(manifest('Network', 'net', { resource: {} }));
    await s.apply(manifest('Subnet', 'a', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.8.0.0/24' } }));
    await s.waitReady('Subnet', 'a');
    // The cloud refuses an overlapping subnet: a failure (terminal) and a Stalled object.
    await s.apply(manifest('Subnet', 'overlap', { resource: { networkRef: { name: 'net' }, ipVersion: 4, cidr: '10.8.0.0/25' } }));
    await s.waitCondition('Subnet', 'overlap', 'Stalled', 'True', 'InvalidConfiguration');

    const address = await metricsAddress(s);
    // Its failure is counted after its status is written.
    const scrape = await until('the failure counted in /metrics', async () => {
      const text = await (await fetch(`http://${address}/metrics`)).text();
      return text.includes('class="terminal"') ? text : undefined;
    });

    const lint = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8', timeout: 30_000 });
    if (lint.error) throw lint.error;
    const problems = (lint.stdout + lint.stderr).split('\n').filter(Boolean);
    expect(problems.sort()).toEqual(PROM_CLIENT_PROBLEMS);

    const { declared, samples } = parseExposition(scrape);
    const rules = (load(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    for (const { alert, expr } of rules) {
      const { selectors, grouping } = parseExpr(expr);
      expect(selectors.length, alert).toBeGreaterThan(0);
      for (const { metric, matchers } of selectors) {
        expect(declared, `${alert}: ${metric} is not exported`).toContain(metric);
        if (UNSET_WITHOUT_LEADER_ELECTION.has(metric)) continue;
        const own = matchers.filter((m) => !TARGET_LABELS.has(m.label));
        const matching = (samples.get(metric) ?? []).filter((labels) => own.every((m) => matches(labels, m)));
        expect(matching.length, `${alert}: no series of ${metric} matches ${JSON.stringify(own)}`).toBeGreaterThan(0);
      }
      const labels = new Set([...TARGET_LABELS, ...selectors.flatMap(({ metric }) => (samples.get(metric) ?? []).flatMap(Object.keys))]);
      for (const label of grouping) expect(labels, `${alert} groups by ${label}, which its metrics lack`).toContain(label);
    }
  });
});
