// A live object as an Argo CD health fixture (resource_customizations/.../testdata/<state>.yaml): what
// the API server returned, less what varies with every run and says nothing of health (uid,
// resourceVersion, managedFields, annotations), the test's namespace read as "default" and every
// time as one time well in the past (so that a ProviderNotReady fixture is Degraded whenever it is read).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { dump } from 'js-yaml';
import { fixturePath, type KubeObject, type StateName } from '../../scripts/gen-argocd.ts';

export const FIXTURE_TIME = '2025-01-01T00:00:00Z';
const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
const METADATA = ['name', 'namespace', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'finalizers'];

interface Live {
  apiVersion?: string;
  kind?: string;
  metadata?: object;
  spec?: unknown;
  status?: unknown;
}

export function fixtureOf(obj: Live, namespace: string): KubeObject {
  const metadata = Object.fromEntries(Object.entries(obj.metadata ?? {}).filter(([key]) => METADATA.includes(key)));
  const kept = { apiVersion: obj.apiVersion, kind: obj.kind, metadata, spec: obj.spec, status: obj.status };
  const normalized = JSON.stringify(kept, (_key, value: unknown) => (typeof value === 'string' ? value.replaceAll(namespace, 'default').replace(TIME, FIXTURE_TIME) : value));
  return JSON.parse(normalized) as KubeObject;
}

export function writeFixture(state: StateName, fixture: KubeObject): string {
  const text = `# Captured by test/scenarios/argocd-health.test.ts (UPDATE_FIXTURES=1); namespace and times normalized.\n${dump(fixture, { lineWidth: -1, noRefs: true })}`;
  const path = fixturePath(fixture.kind, state);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return text;
}
