// Writes config/argocd/ from config/argocd/health.lua for every kind of src/api (the source of crds/):
// argocd-cm.yaml, the argocd-cm keys resource.customizations.health.cloudnet.io_<Kind>; and
// resource_customizations/cloudnet.io/<Kind>/ in Argo CD's own layout (to contribute upstream): health.lua
// and health_test.yaml, which lists the testdata/<state>.yaml fixtures that
// test/scenarios/argocd-health.test.ts captured from the operator (UPDATE_FIXTURES=1), each with the
// health its state calls for.
// --check: writes nothing, lists the differences and exits 1 if there are any.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { dump, load } from 'js-yaml';
import { kinds } from '../src/api/index.ts';
import { GROUP } from '../src/api/kind.ts';

const ROOT = join(import.meta.dirname, '..');
export const ARGOCD_DIR = join(ROOT, 'config', 'argocd');
export const HEALTH_LUA = join(ARGOCD_DIR, 'health.lua');
const CUSTOMIZATIONS = join(ARGOCD_DIR, 'resource_customizations', GROUP);

type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface KubeObject {
  kind: string;
  metadata: { name: string; generation?: number; deletionTimestamp?: string };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

export interface State {
  /** The health Argo CD should show, with a Ready condition that changed ten minutes ago or more. */
  health: HealthStatusCode;
  /** The health while Ready changed less than ten minutes ago, where that differs. */
  young?: HealthStatusCode;
  message: (obj: KubeObject) => string;
}

const conditionMessage = (type: string) => (obj: KubeObject) => obj.status?.conditions?.find((c) => c.type === type)?.message ?? '';
const waitingForGeneration = (obj: KubeObject) => `Waiting for the operator to act on generation ${obj.metadata.generation}`;

/** The states the scenario drives objects into, by fixture name (testdata/<name>.yaml), in health_test.yaml's order. */
const STATE_TABLE = {
  /** Ready=True for its generation. */
  healthy: { health: 'Healthy', message: conditionMessage('Ready') },
  /** Applied while no operator runs: no status at all. */
  'no-status': { health: 'Progressing', message: waitingForGeneration },
  /** A new object's first status write, from the create: Ready=Unknown, Reconciling=True, for its generation. */
  'first-status': { health: 'Progressing', message: conditionMessage('Ready') },
  /** Ready=True for generation 1, its spec changed while no operator runs. */
  'generation-behind': { health: 'Progressing', message: waitingForGeneration },
  /** The cloud is still at work (a server building): Reconciling=True. */
  reconciling: { health: 'Progressing', message: conditionMessage('Ready') },
  /** Waiting for a reference or a precondition: Reconciling=True, reason WaitingFor... */
  waiting: { health: 'Progressing', message: conditionMessage('Ready') },
  /** A ProviderConfig whose credentials the cloud refuses: retried, Reconciling=True. */
  'authentication-failed': { health: 'Progressing', message: conditionMessage('Ready') },
  /** Its ProviderConfig is not Ready: Progressing for ten minutes, then Degraded. */
  'provider-not-ready': { health: 'Degraded', young: 'Progressing', message: conditionMessage('Ready') },
  /** The cloud refuses the spec: Stalled=True. */
  stalled: { health: 'Degraded', message: conditionMessage('Stalled') },
  /** Deleting, held by objects that use it: Reconciling=True, reason DeleteBlocked. */
  'delete-blocked': { health: 'Progressing', message: conditionMessage('Reconciling') },
  /** Deleting, the cloud forbids the delete: Stalled=True, reason DeleteBlocked. */
  'delete-refused': { health: 'Progressing', message: conditionMessage('Stalled') },
  /** Deleted while no operator runs: the conditions still those of before. */
  'pending-deletion': { health: 'Progressing', message: () => 'Pending deletion' },
} as const satisfies Record<string, State>;

export type StateName = keyof typeof STATE_TABLE;
export const STATES: Record<StateName, State> = STATE_TABLE;

const isState = (name: string): name is StateName => Object.hasOwn(STATES, name);

export const kindDir = (kind: string): string => join(CUSTOMIZATIONS, kind);
export const fixturePath = (kind: string, state: StateName): string => join(kindDir(kind), 'testdata', `${state}.yaml`);

/** The fixtures of a kind, by state, in STATES order. */
export function readFixtures(kind: string): [StateName, KubeObject][] {
  const dir = join(kindDir(kind), 'testdata');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];
  const unknown = files.map((f) => f.slice(0, -'.yaml'.length)).filter((name) => !isState(name));
  if (unknown.length > 0) throw new Error(`${dir}: no state named ${unknown.join(', ')} in scripts/gen-argocd.ts`);
  return (Object.keys(STATES) as StateName[]).filter((state) => files.includes(`${state}.yaml`)).map((state) => [state, load(readFileSync(fixturePath(kind, state), 'utf8')) as KubeObject]);
}

const GENERATED = '# Generated by `make argocd` (scripts/gen-argocd.ts) from config/argocd/health.lua; do not edit.\n';

/** The argocd-cm keys, each script as a literal block (what `kubectl -n argocd patch configmap argocd-cm --patch-file` merges). */
function renderConfigMap(script: string): string {
  const block = script
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
  const keys = kinds.map((k) => `  resource.customizations.health.${GROUP}_${k.kind}: |\n${block}\n`).join('');
  return `${GENERATED}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n  labels:\n    app.kubernetes.io/name: argocd-cm\n    app.kubernetes.io/part-of: argocd\ndata:\n${keys}`;
}

function renderHealthTest(kind: string): string {
  const tests = readFixtures(kind).map(([state, obj]) => ({
    healthStatus: { status: STATES[state].health, message: STATES[state].message(obj) },
    inputPath: `testdata/${state}.yaml`,
  }));
  return GENERATED + dump({ tests }, { lineWidth: -1, noRefs: true });
}

/** Path -> content of every generated file. */
export function renderArgoCD(): Map<string, string> {
  const script = readFileSync(HEALTH_LUA, 'utf8');
  const files = new Map([[join(ARGOCD_DIR, 'argocd-cm.yaml'), renderConfigMap(script)]]);
  for (const { kind } of kinds) {
    files.set(join(kindDir(kind), 'health.lua'), script);
    files.set(join(kindDir(kind), 'health_test.yaml'), renderHealthTest(kind));
  }
  return files;
}

function main(): void {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const wanted = renderArgoCD();
  const differences: string[] = [];
  for (const [path, content] of wanted) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    if (values.check) {
      differences.push(`${current === undefined ? 'missing' : 'differs'}: ${relative(ROOT, path)}`);
    } else {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
      console.log(`wrote ${relative(ROOT, path)}`);
    }
  }
  // A kind src/api no longer has.
  const stale = existsSync(CUSTOMIZATIONS) ? readdirSync(CUSTOMIZATIONS).filter((kind) => !kinds.some((k) => k.kind === kind)) : [];
  for (const kind of stale) {
    if (values.check) {
      differences.push(`stale: ${relative(ROOT, kindDir(kind))}`);
    } else {
      rmSync(kindDir(kind), { recursive: true });
      console.log(`removed ${relative(ROOT, kindDir(kind))}`);
    }
  }
  if (differences.length > 0) {
    console.error(`config/argocd differs from what scripts/gen-argocd.ts generates (run \`make argocd\`):\n  ${differences.join('\n  ')}`);
    process.exit(1);
  }
}

if (import.meta.main) main();
