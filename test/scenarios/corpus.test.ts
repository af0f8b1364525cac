// The bad-input corpus (test/corpus/): each case's manifests through the local API server and the operator,
// on the simulator (make test) and, unchanged, on real Neutron + Nova (make test-real). A case whose
// outcome differs between the two is a simulator bug (docs/design.md, "Testing").
// One scenario (cluster namespace, operator, cloud) serves each group; its cases run at once, each in
// its own names, and each deletes what it made, so nothing outlives it in the cloud.
import { describe, expect, it } from 'vitest';
import { loadCorpus, type Case, type Expectation } from '../corpus/corpus.ts';
import { useExoscaleScenarios } from './exoscale-harness.ts';
import { condition, realCloud, Scenario, useScenarios, type Obj, type ScenarioBase, type ScenarioOptions } from './harness.ts';

const openstack = useScenarios();
const exoscale = useExoscaleScenarios();

/** Real Nova exists only in the real tier's full profile. */
const noNova = realCloud && !process.env.CLOUDNET_REAL_COMPUTE_URL;
/** How long a case may take to reach its outcome, and its objects to be deleted. */
const TIMEOUT_MS = realCloud ? 90_000 : 20_000;
/** Cases run at once: all of a group on the simulator; a few on the real cloud, which shares the 2 cores. */
const AT_ONCE = realCloud ? 6 : Infinity;

/**
 * The simulator as the real tier is set up: Nova and Glance with the fake driver's timing, and project
 * demo's quotas raised as openstack.sh raises them (a group's cases run at once).
 */
const OPENSTACK: ScenarioOptions = {
  sim: {
    compute: { buildMs: 200, taskMs: 100 },
    quotas: { network: 500, subnet: 500, port: 2000, router: 200, floatingip: 200, security_group: 500, security_group_rule: 5000 },
  },
};

/** The Exoscale cases run on the Exoscale simulator on both tiers (there is no real Exoscale here). */
const onExoscale = (group: string) => group.endsWith('-exoscale');
/** Servers, and the instances of a PrivateNetwork on OpenStack, are Nova's. */
const needsNova = (c: Case) => !onExoscale(c.group) && c.docs.some((d) => d.kind === 'Server' || (d.kind === 'PrivateNetwork' && d.spec?.resource?.instances));

function whyNotRun(c: Case): string | undefined {
  if (c.knownBug) return `known bug: ${c.knownBug}`;
  const backend = realCloud && !onExoscale(c.group) ? 'real' : 'simulator';
  if (c.only && c.only.backend !== backend) return `${c.only.backend} only: ${c.only.why}`;
  if (noNova && needsNova(c)) return 'needs Nova (the real tier runs with PROFILE=full)';
  return undefined;
}

const corpus = loadCorpus();
const all = [...corpus.values()].flat();

describe('corpus', () => {
  it('holds at least 100 cases, covering every outcome', () => {
    expect(all.length).toBeGreaterThanOrEqual(100);
    expect(new Set(all.map((c) => c.expect.outcome))).toEqual(new Set(['refused', 'stalled', 'waiting', 'ready']));
    expect(all.filter((c) => c.only).length).toBeLessThanOrEqual(all.length / 20);
  });
});

for (const [group, cases] of corpus) {
  describe(`corpus: ${group}`, () => {
    const runnable = cases.filter((c) => !whyNotRun(c));
    const results = new Map<string, PromiseSettledResult<void>>();

    it(`runs its ${runnable.length} cases`, async () => {
      const s = onExoscale(group) ? await exoscale.start() : await openstack.start(OPENSTACK);
      // The simulator takes a group's requests at once; the default limit (10 a second) would only queue them.
      if (!realCloud || onExoscale(group)) await s.waitReady('ProviderConfig', (await s.applyProviderConfig({ rateLimit: { qps: 10_000, burst: 10_000 } })).metadata!.name!);
      const vars = { cloud: s instanceof Scenario ? s.backend.cloudName : '' };
      const settled = await settleAll(runnable, AT_ONCE, (c) => runCase(s, c, vars));
      runnable.forEach((c, i) => results.set(c.name, settled[i]!));
    }, Math.ceil(runnable.length / Math.min(AT_ONCE, runnable.length || 1)) * 2 * TIMEOUT_MS);

    for (const c of cases) {
      const skip = whyNotRun(c);
      const title = `${c.name}: ${describeExpectation(c.expect)}`;
      if (skip) {
        it.skip(`${title} (${skip})`, () => undefined);
        continue;
      }
      it(title, () => {
        const result = results.get(c.name);
        if (!result) throw new Error(`not run: the group's first test runs its cases (filter on "corpus: ${group} " to run them)`);
        if (result.status === 'rejected') throw result.reason;
      });
    }
  });
}

/** `run` for every item, at most `limit` at once; each one's outcome, in order. */
async function settleAll<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const settled: PromiseSettledResult<void>[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      settled[i] = await run(items[i]!).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return settled;
}

function describeExpectation(e: Expectation): string {
  const quoted = 'fragments' in e ? e.fragments.map((f) => JSON.stringify(f)).join(' ') : '';
  return [e.outcome, 'reason' in e ? e.reason : '', quoted].filter(Boolean).join(' ');
}

/** The case's manifests with `{{name}}` placeholders filled in (the ProviderConfig's cloud). */
const fill = (doc: Obj, vars: Record<string, string>): Obj =>
  JSON.parse(JSON.stringify(doc).replace(/\{\{(\w+)\}\}/g, (whole, key: string) => vars[key] ?? whole)) as Obj;

/**
 * Applies the fixtures and waits until each is Ready (the old version of the object an update case changes
 * may be Stalled instead), then applies the last manifest and checks its outcome; finally deletes every
 * object of the case and waits until they are gone.
 */
async function runCase(s: ScenarioBase, c: Case, vars: Record<string, string>): Promise<void> {
  const docs = c.docs.map((d) => fill(d, vars));
  const subject = docs.at(-1)!;
  const isSubject = (o: { kind: string; name: string }) => o.kind === subject.kind && o.name === subject.metadata!.name;
  try {
    for (const doc of docs.slice(0, -1)) await s.apply(doc);
    await Promise.all(
      objectsOf(docs.slice(0, -1)).map(async (fixture) => {
        const settled = await s.waitFor(fixture.kind, fixture.name, (o) => isTrue(o, 'Ready') || isTrue(o, 'Stalled'), TIMEOUT_MS);
        if (!isSubject(fixture)) expect(condition(settled, 'Ready'), `fixture ${fixture.kind} ${fixture.name}`).toMatchObject({ status: 'True' });
      }),
    );
    await check(s, subject, c.expect);
  } finally {
    await cleanUp(s, objectsOf(docs));
  }
}

async function check(s: ScenarioBase, subject: Obj, expected: Expectation): Promise<void> {
  const kind = subject.kind!;
  const name = subject.metadata!.name!;
  if (expected.outcome === 'refused') {
    const refusal = await s.apply(subject).then(
      () => undefined,
      (err: { code?: number; body?: unknown }) => err,
    );
    expect(refusal, 'admitted, expected a refusal').toBeDefined();
    expect(refusal!.code).toBe(422);
    const body = (typeof refusal!.body === 'string' ? JSON.parse(refusal!.body) : refusal!.body) as { message?: string };
    for (const fragment of expected.fragments) expect(body.message).toContain(fragment);
    return;
  }
  await s.apply(subject);
  // The first outcome the operator settles on for this generation: Ready, Stalled, or (when waiting is
  // expected) Ready=False with that reason; any other reason is a step on the way.
  const decided = (o: Obj | undefined) =>
    isTrue(o, 'Ready') || isTrue(o, 'Stalled') || (expected.outcome === 'waiting' && current(o, 'Ready')?.reason === expected.reason);
  const seen = await s.waitFor(kind, name, decided, TIMEOUT_MS);
  const ready = condition(seen, 'Ready');
  const seenAs = { ready: ready?.status, reason: ready?.reason, stalled: condition(seen, 'Stalled')?.status ?? 'absent', message: ready?.message };
  const shown = JSON.stringify(seenAs);
  if (expected.outcome === 'ready') {
    expect(seenAs, shown).toMatchObject({ ready: 'True' });
    return;
  }
  expect(seenAs, shown).toMatchObject({ ready: 'False', reason: expected.reason, stalled: expected.outcome === 'stalled' ? 'True' : expect.not.stringMatching(/^True$/) });
  for (const fragment of expected.fragments) expect(ready?.message, shown).toContain(fragment);
}

/** A condition as set for the object's current generation. */
function current(o: Obj | undefined, type: string) {
  const c = condition(o, type);
  return c && c.observedGeneration === o?.metadata?.generation ? c : undefined;
}

const isTrue = (o: Obj | undefined, type: string) => current(o, type)?.status === 'True';

/** Each object of the manifests once (an update case names one twice). */
function objectsOf(docs: Obj[]): { kind: string; name: string }[] {
  const keys = new Map(docs.map((d) => [`${d.kind}/${d.metadata!.name}`, { kind: d.kind!, name: d.metadata!.name! }]));
  return [...keys.values()];
}

/** Deletes the case's objects all at once (the operator orders the cloud deletions) and waits until they are gone. */
async function cleanUp(s: ScenarioBase, objects: { kind: string; name: string }[]): Promise<void> {
  await Promise.all(objects.map(({ kind, name }) => s.delete(kind, name).catch((err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)))));
  await Promise.all(objects.map(({ kind, name }) => s.waitGone(kind, name, TIMEOUT_MS)));
}
