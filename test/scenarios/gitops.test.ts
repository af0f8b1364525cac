// examples/openstack/ synced the way Argo CD syncs git (issue 16): each manifest server-side applied
// by the field manager argocd-controller, in an order that is not the dependency order; everything
// Ready; a server-side dry run of every manifest then shows no difference (no perpetual diff, also
// across drift checks); and a prune (the object deleted from git and so from the cluster) removes it
// from the cloud while the rest stays Ready.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../../dev/sim/common/prng.ts';
import type { StoreEvent } from '../../dev/kube/store.ts';
import { GROUP } from '../../src/api/kind.ts';
import { examples, keyOf, withoutHarnessCredentials, type Example } from './examples.ts';
import { kubectlFor, type Kubectl } from './kubectl.ts';
import { condition, FAST_RESYNC, managedListings, realCloud, until, useScenarios, type Obj, type Scenario } from './harness.ts';

const MANAGER = 'argocd-controller';
/** The Argo CD Application, as its tracking annotation names it. */
const APP = 'cloudnet-examples';
const FINALIZER = 'cloudnet.io/finalizer';
/** Real Nova exists only in the real tier's full profile: without it, the Server and its FloatingIP stay out. */
const servers = !realCloud || !!process.env.CLOUDNET_REAL_COMPUTE_URL;
/** What the operator lists for its drift checks, one listing per kind and ProviderConfig. */
const LISTINGS = [/\/networks$/, /\/subnets$/, /\/routers$/, /\/ports$/, /\/security-groups$/, /\/floatingips$/, ...(servers ? [/\/servers\/detail$/] : [])];

type Live = Obj & { metadata: NonNullable<Obj['metadata']> };

const { start } = useScenarios();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudnet-gitops-'));
});
afterAll(() => {
  // Unset when the cluster failed to start: vitest skips the later beforeAll hooks.
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A seeded Fisher-Yates shuffle: the same order on every run. */
function permutation<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Each manifest as Argo CD applies it, written where kubectl reads it: in the Application's
 * destination namespace, with the tracking annotation Argo CD adds (its default tracking since 3.0).
 */
function asSynced(s: Scenario, list: Example[]): Map<Example, string> {
  const files = new Map<Example, string>();
  for (const { file, manifest } of list) {
    const { kind, metadata } = manifest;
    const group = manifest.apiVersion!.includes('/') ? manifest.apiVersion!.split('/')[0] : '';
    const annotations = { ...metadata.annotations, 'argocd.argoproj.io/tracking-id': `${APP}:${group}/${kind}:${s.namespace}/${metadata.name}` };
    const synced = { file, manifest: { ...manifest, metadata: { ...metadata, namespace: s.namespace, annotations } } };
    const path = join(dir, `${s.namespace}-${file}`);
    writeFileSync(path, dump(synced.manifest));
    files.set(synced, path);
  }
  return files;
}

/** Everything but what a status write changes meanwhile: status, resourceVersion, the status writer's managedFields entry. */
function comparable(obj: Live): Record<string, unknown> {
  const { resourceVersion: _rv, managedFields, ...metadata } = obj.metadata;
  const { status: _status, ...rest } = obj;
  return { ...rest, metadata: { ...metadata, managedFields: managedFields?.filter((entry) => entry.subresource !== 'status') } };
}

/** kubectl's warning that the object changed between its reads: the operator wrote status meanwhile, which Argo CD ignores. */
const withoutRaceWarning = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((line) => !/keeps changing, diffing without lock$/.test(line))
    .join('\n');

async function json<T>(kubectl: Kubectl, ...args: string[]): Promise<T> {
  const result = await kubectl(...args, '-o', 'json', '--show-managed-fields');
  expect(result, `kubectl ${args.join(' ')}`).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

/**
 * What Argo CD's server-side diff sees for each manifest: `kubectl diff --server-side` is empty, and
 * the dry-run apply's result equals the live object; the operator owns nothing under spec and, in
 * metadata, only its finalizer; labels and annotations are the manifest's; generation 1 (no spec
 * write since the create).
 */
async function expectInSync(kubectl: Kubectl, files: Map<Example, string>): Promise<void> {
  for (const [example, file] of files) {
    const key = keyOf(example);
    const diff = await kubectl('diff', '--server-side', `--field-manager=${MANAGER}`, '-f', file);
    expect({ ...diff, stderr: withoutRaceWarning(diff.stderr) }, `kubectl diff --server-side of ${key}`).toEqual({ code: 0, stdout: '', stderr: '' });
    const dryRun = await json<Live>(kubectl, 'apply', '--server-side', `--field-manager=${MANAGER}`, '--dry-run=server', '-f', file);
    const live = await json<Live>(kubectl, 'get', '-f', file);
    expect(comparable(dryRun), `dry-run apply of ${key}`).toEqual(comparable(live));
    const { labels, annotations } = example.manifest.metadata as Live['metadata'];
    expect({ labels: live.metadata.labels, annotations: live.metadata.annotations }, `${key} labels and annotations`).toEqual({ labels, annotations });
    if (live.spec) expect(live.metadata.generation, `${key} generation`).toBe(1);
    for (const entry of live.metadata.managedFields ?? []) {
      const owner = `${key}: fields of ${entry.manager} (${entry.operation}${entry.subresource ? ` of ${entry.subresource}` : ''})`;
      const fields = entry.fieldsV1 as Record<string, Record<string, unknown>>;
      if (entry.manager === MANAGER) {
        expect(entry.operation, owner).toBe('Apply');
        continue;
      }
      expect(fields['f:spec'], owner).toBeUndefined();
      const metadata = fields['f:metadata'];
      if (metadata) expect(metadata, owner).toEqual({ 'f:finalizers': { [`v:"${FINALIZER}"`]: {} } });
    }
  }
}

/** Ready=True for the object's current generation. */
const ready = (obj: Obj | undefined): boolean => {
  const c = condition(obj, 'Ready');
  return c?.status === 'True' && c.observedGeneration === obj?.metadata?.generation;
};

/** Every write of a cloudnet object of the scenario's namespace until the returned stop is called. */
function recordWrites(s: Scenario): { writes: StoreEvent[]; stop: () => void } {
  const writes: StoreEvent[] = [];
  const stop = s.cluster.server.subscribe((event) => {
    if (event.storageKey.startsWith(`${GROUP}/`) && event.object.metadata?.namespace === s.namespace) writes.push(event);
  });
  return { writes, stop };
}

/** Resolves once every kind's drift check has run `rounds` more times. */
async function driftChecks(s: Scenario, rounds: number): Promise<void> {
  const before = LISTINGS.map((path) => managedListings(s, path));
  await until(`${rounds} drift-check rounds of every kind`, () => LISTINGS.every((path, i) => managedListings(s, path) >= before[i]! + rounds), 30_000);
}

/** Where the test's own cloud client finds a pruned kind's resource. */
const inCloud: Record<string, (s: Scenario, id: string) => Promise<unknown>> = {
  FloatingIP: (s, id) => s.cloud.neutron.floatingIps.get(id),
  Port: (s, id) => s.cloud.neutron.ports.get(id),
};
const inSim: Record<string, (s: Scenario) => Map<string, unknown>> = {
  FloatingIP: (s) => s.sim!.neutron.floatingips,
  Port: (s) => s.sim!.neutron.ports,
};

const SYNCS = [
  { order: 'reverse file order', arrange: (list: Example[]) => [...list].reverse(), prune: ['FloatingIP/web-0'] },
  // The Port and the FloatingIP that references it leave git in one commit: Argo CD prunes them at once.
  { order: 'a seeded random order', arrange: (list: Example[]) => permutation(list, 16), prune: ['FloatingIP/web-0', 'Port/web-0'] },
];

describe('an Argo CD sync of examples/openstack/', () => {
  it.each(SYNCS)('applied server-side in $order: Ready, no perpetual diff, and a prune of $prune', async ({ arrange, prune }) => {
    const s = await start({ ...FAST_RESYNC, sim: { compute: { buildMs: 200, taskMs: 100 } } });
    const kubectl = kubectlFor(s.cluster.server.url, dir);
    await withoutHarnessCredentials(s);
    const files = asSynced(s, examples(s.backend, { servers }));
    const all = [...files.keys()];
    const managed = all.filter((e) => e.manifest.kind !== 'Secret');

    // One apply per manifest, as Argo CD applies them: references not there yet must converge.
    for (const example of arrange(all)) {
      const applied = await kubectl('apply', '--server-side', `--field-manager=${MANAGER}`, '-f', files.get(example)!);
      expect(applied, `apply of ${keyOf(example)}`).toMatchObject({ code: 0, stderr: '' });
    }
    const objects = new Map<string, Obj>();
    for (const e of managed) objects.set(keyOf(e), await s.waitReady(e.manifest.kind, e.manifest.metadata.name, 90_000));
    await expectInSync(kubectl, files);

    // Two drift-check rounds to settle what the cloud reports late (Nova learning of a floating
    // address); then two more in which nothing at all is written: no flapping.
    await driftChecks(s, 2);
    const settled = recordWrites(s);
    await driftChecks(s, 2);
    settled.stop();
    expect(settled.writes.map((w) => `${w.type} ${w.object.kind}/${w.object.metadata?.name}`), 'writes during drift checks').toEqual([]);
    await expectInSync(kubectl, files);

    // The prune: what left git is deleted from the cluster, and the operator deletes it from the cloud.
    const pruned = managed.filter((e) => prune.includes(keyOf(e)));
    const kept = new Map([...files].filter(([e]) => !pruned.includes(e)));
    const during = recordWrites(s);
    const deleted = await kubectl('delete', '--wait=false', ...pruned.flatMap((e) => ['-f', files.get(e)!]));
    expect(deleted, 'kubectl delete of the pruned objects').toMatchObject({ code: 0, stderr: '' });
    for (const e of pruned) {
      const { kind } = e.manifest;
      await s.waitGone(kind, e.manifest.metadata.name, 60_000);
      const id = objects.get(keyOf(e))!.status!.id as string;
      expect(await inCloud[kind]!(s, id), `${keyOf(e)} (${id}) in the cloud`).toBeUndefined();
      expect(s.calls.count({ method: 'DELETE', path: new RegExp(`/${id}$`) }), `DELETE of ${keyOf(e)} (${id})`).toBeGreaterThanOrEqual(1);
      if (s.sim) expect(inSim[kind]!(s).has(id)).toBe(false);
    }
    during.stop();
    const stayed = managed.filter((e) => !pruned.includes(e));
    const stayedKeys = stayed.map(keyOf);
    const notReady = during.writes.filter((w) => stayedKeys.includes(`${w.object.kind}/${w.object.metadata?.name}`) && !ready(w.object as Obj));
    expect(notReady.map((w) => `${w.object.kind}/${w.object.metadata?.name}: ${JSON.stringify(condition(w.object as Obj, 'Ready'))}`), 'the others while pruning').toEqual([]);
    for (const e of stayed) expect(ready(await s.get(e.manifest.kind, e.manifest.metadata.name)), `${keyOf(e)} Ready`).toBe(true);
    await expectInSync(kubectl, kept);
  }, 180_000);
});
