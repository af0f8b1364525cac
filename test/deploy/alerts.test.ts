// config/prometheus: the alert rules pass promtool's checks and unit tests, every alert has a case
// where it fires and one where it does not, the PrometheusRule is what gen-prometheus makes of
// them, and the kustomize Component builds.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'config', 'prometheus');
const read = (file: string): string => readFileSync(join(dir, file), 'utf8');

type Labels = Record<string, string>;
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Labels;
  annotations?: Labels;
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const rules = (load(read('alerts.yaml')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const ruleTests = load(read('alerts.test.yaml')) as RuleTests;

function run(command: string, args: string[]): { code: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, output: result.stdout + result.stderr };
}

describe('config/prometheus/alerts.yaml', () => {
  it('passes promtool check rules', () => {
    const { code, output } = run('promtool', ['check', 'rules', join(dir, 'alerts.yaml')]);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code).toBe(0);
  });

  it('passes its unit tests (promtool test rules)', () => {
    const { code, output } = run('promtool', ['test', 'rules', join(dir, 'alerts.test.yaml')]);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('is one group of alerts, each with a severity, a summary, a description and its runbook section', () => {
    const groups = (load(read('alerts.yaml')) as { groups: { name: string }[] }).groups;
    expect(groups.map((g) => g.name)).toEqual(['cloudnet-operator']);
    const runbook = read('README.md');
    for (const rule of rules) {
      expect(rule.alert, rule.expr).toMatch(/^Cloudnet[A-Za-z]+$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(Object.keys(rule.annotations ?? {}).sort(), rule.alert).toEqual(['description', 'runbook_url', 'summary']);
      expect(rule.annotations!.runbook_url).toBe(`config/prometheus/README.md#${rule.alert.toLowerCase()}`);
      expect(runbook, `README.md has no section ${rule.alert}`).toContain(`\n### ${rule.alert}\n`);
    }
  });

  it('has a test case where each alert fires and one where it does not', () => {
    expect(ruleTests.rule_files).toEqual(['alerts.yaml']);
    const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    const alerts = rules.map((r) => r.alert);
    for (const alert of alerts) {
      const outcomes = cases.filter((c) => c.alertname === alert).map((c) => (c.exp_alerts ?? []).length > 0);
      expect(outcomes, `${alert} fires in some case of alerts.test.yaml`).toContain(true);
      expect(outcomes, `${alert} stays silent in some case of alerts.test.yaml`).toContain(false);
    }
    expect(alerts, 'alerts.test.yaml tests only alerts of alerts.yaml').toEqual(expect.arrayContaining([...new Set(cases.map((c) => c.alertname))]));
  });
});

describe('scripts/gen-prometheus.ts', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });
  const gen = (...args: string[]) => run(process.execPath, [join(root, 'scripts', 'gen-prometheus.ts'), ...args]);

  it('--check passes on the committed prometheusrule.yaml, which holds the rules of alerts.yaml', () => {
    const { code, output } = gen('--check');
    expect(output).toBe('');
    expect(code).toBe(0);
    const rule = load(read('prometheusrule.yaml')) as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'cloudnet-operator' } });
    expect(rule.spec).toEqual(load(read('alerts.yaml')));
  });

  it('--check exits 1 when alerts.yaml changed and writes nothing; a run regenerates the file', () => {
    scratch = mkdtempSync(join(tmpdir(), 'prometheus-'));
    writeFileSync(join(scratch, 'alerts.yaml'), read('alerts.yaml').replace('for: 15m', 'for: 20m'));
    writeFileSync(join(scratch, 'prometheusrule.yaml'), read('prometheusrule.yaml'));
    const stale = gen('--check', '--dir', scratch);
    expect(stale.code).toBe(1);
    expect(stale.output).toContain('prometheusrule.yaml is stale: run `make prometheus`');
    expect(readFileSync(join(scratch, 'prometheusrule.yaml'), 'utf8')).toBe(read('prometheusrule.yaml'));

    expect(gen('--dir', scratch).code).toBe(0);
    expect(gen('--check', '--dir', scratch).code).toBe(0);
    expect((load(readFileSync(join(scratch, 'prometheusrule.yaml'), 'utf8')) as { spec: unknown }).spec).toEqual(load(readFileSync(join(scratch, 'alerts.yaml'), 'utf8')));
  });
});

describe('config/prometheus: the ServiceMonitor and the kustomize Component', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });
  const serviceFile = join(root, 'config', 'base', 'metrics-service.yaml');

  it('scrapes the metrics Service as the job the alerts select', () => {
    const monitor = load(read('servicemonitor.yaml')) as {
      metadata: { namespace: string };
      spec: { jobLabel: string; namespaceSelector: { matchNames: string[] }; selector: { matchLabels: Labels }; endpoints: { port: string }[] };
    };
    const service = load(readFileSync(serviceFile, 'utf8')) as { metadata: { namespace: string; labels: Labels }; spec: { ports: { name: string }[] } };
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(service.spec.ports.map((p) => p.name)).toEqual(expect.arrayContaining(monitor.spec.endpoints.map((e) => e.port)));
    const job = service.metadata.labels[monitor.spec.jobLabel];
    for (const rule of rules) expect(rule.expr, rule.alert).toContain(`job="${job}"`);
  });

  it('is a Component that an overlay includes: the ServiceMonitor and the PrometheusRule in cloudnet-system', () => {
    scratch = mkdtempSync(join(tmpdir(), 'prometheus-'));
    cpSync(dir, join(scratch, 'prometheus'), { recursive: true });
    cpSync(serviceFile, join(scratch, 'overlay', 'metrics-service.yaml'));
    writeFileSync(join(scratch, 'overlay', 'kustomization.yaml'), 'resources: [metrics-service.yaml]\ncomponents: [../prometheus]\n');
    const { code, output } = run('kubectl', ['kustomize', join(scratch, 'overlay')]);
    expect(code, output).toBe(0);
    const objects = loadAll(output) as { kind: string; metadata: { name: string; namespace?: string } }[];
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'PrometheusRule cloudnet-system/cloudnet-operator',
      'Service cloudnet-system/cloudnet-operator-metrics',
      'ServiceMonitor cloudnet-system/cloudnet-operator',
    ]);
  });
});
