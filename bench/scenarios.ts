// The operator benchmarks of issue 14, each a set of figures measured beside their bound in one run:
// bulk creation against a rate-limited cloud (P1), the cost of drift checks (P3), memory (P4) and
// apply->Ready overhead (P5). Sizes are scaled down unless `full`.
import { BenchEnv } from './env.ts';

/** A figure, its bound or goal, and how it compares: ratio >= 1 meets it. */
export interface Figure {
  value: number;
  unit: string;
  goal: string;
  /** value against its goal, >= 1 when met. */
  ratio: number;
  /** Measured at a smaller size than its goal is set for (without --full): reported, not judged. */
  scaled?: boolean;
}

export type Figures = Record<string, Figure>;

/** Calls a Network + Subnet pair needs at least: a POST each, and on Zed a PUT of the tags each. */
const callsPerPair = (tagsOnCreate: boolean): number => (tagsOnCreate ? 2 : 4);

const RATE = { qps: 50, burst: 50 };

/** Many objects created at once, in batches of parallel requests, as `kubectl apply -f dir/` or Argo CD would. */
async function createAll(env: BenchEnv, items: { kind: string; name: string; spec: Record<string, unknown> }[]): Promise<void> {
  for (let i = 0; i < items.length; i += 50) await Promise.all(items.slice(i, i + 50).map((o) => env.create(o.kind, o.name, o.spec)));
}

const pair = (i: number) => [
  { kind: 'Network', name: `net-${i}`, spec: { providerConfigRef: { name: 'openstack' }, resource: {} } },
  {
    kind: 'Subnet',
    name: `subnet-${i}`,
    spec: { providerConfigRef: { name: 'openstack' }, resource: { networkRef: { name: `net-${i}` }, ipVersion: 4, cidr: `10.${i >> 8}.${i & 255}.0/24` } },
  },
];

/**
 * P1: `pairs` Network + Subnet pairs to Ready against a cloud answering after `latencyMs` and
 * allowing 50 requests/s; the bound is the minimal calls at that rate.
 */
export async function bulkCreate(options: { pairs: number; tagsOnCreate: boolean; latencyMs: number }): Promise<Figures> {
  const env = await BenchEnv.start({ tagsOnCreate: options.tagsOnCreate, latencyMs: options.latencyMs, rateLimit: RATE });
  try {
    const { pairs } = options;
    const requestsBefore = env.sim.calls.count();
    const started = performance.now();
    const ready = Promise.all([env.waitReady('networks', pairs), env.waitReady('subnets', pairs)]);
    await createAll(env, Array.from({ length: pairs }, (_, i) => pair(i)).flat());
    await ready;
    const seconds = (performance.now() - started) / 1000;
    const bound = (pairs * callsPerPair(options.tagsOnCreate)) / RATE.qps;
    const calls = env.sim.calls.records.slice(requestsBefore);
    const limited = (100 * calls.filter((c) => c.status === 429).length) / Math.max(1, calls.length);
    // The calls on the two collections (one-time probes such as Neutron's extension list left out).
    const perPair = calls.filter((c) => /^(networks|subnets)\./.test(c.operation) && c.status !== 429).length / pairs;
    const minimal = callsPerPair(options.tagsOnCreate);
    return {
      seconds: { value: seconds, unit: 's', goal: `<= ${(bound / 0.9).toFixed(1)} s (bound ${bound.toFixed(1)} s / 0.9)`, ratio: bound / 0.9 / seconds },
      efficiency: { value: bound / seconds, unit: '', goal: '>= 0.9', ratio: bound / seconds / 0.9 },
      callsPerPair: { value: perPair, unit: 'calls', goal: `${minimal} (minimal)`, ratio: minimal / perPair },
      answered429: { value: limited, unit: '%', goal: '< 1%', ratio: limited === 0 ? Infinity : 1 / limited },
    };
  } finally {
    await env.stop();
  }
}

/**
 * P3: with `objects` Networks Ready and a 10 s drift-check period, the calls of `rounds` rounds of
 * checks: one listing (its pages) a round, no GET by id, no status write for what did not change.
 */
export async function driftChecks(options: { objects: number; rounds: number }): Promise<Figures> {
  const env = await BenchEnv.start({ tagsOnCreate: true, latencyMs: 0, rateLimit: undefined, operatorArgs: ['--resync-period', '10s'] });
  try {
    await createAll(env, Array.from({ length: options.objects }, (_, i) => pair(i)[0]!));
    await env.waitReady('networks', options.objects);
    const from = env.sim.calls.records.length;
    const writes = await env.countChanges('networks', () => new Promise((resolve) => setTimeout(resolve, options.rounds * 10_000)));
    const calls = env.sim.calls.records.slice(from).filter((c) => c.service === 'network');
    // Neutron sends a next link after every full page: a listing ends on a page with fewer than 500.
    const pages = Math.floor(options.objects / 500) + 1;
    const lists = calls.filter((c) => c.operation === 'networks.list');
    const gets = calls.filter((c) => c.operation === 'networks.get').length;
    // A listing's first page has no marker. The window may cut the first listing (begun before it)
    // and the last (not finished at its end): pages are counted for the listings begun and ended inside.
    const listings: number[] = [];
    for (const call of lists) {
      if (call.query['marker'] === undefined) listings.push(1);
      else if (listings.length > 0) listings[listings.length - 1]!++;
    }
    const complete = listings.slice(0, -1);
    const pagesPerListing = Math.max(0, ...complete);
    // Periods are 10 s +-10%: a round may come every 9 s.
    const rounds = Math.ceil((options.rounds * 10) / 9);
    return {
      listings: { value: listings.length, unit: 'listings', goal: `<= ${rounds} (one a round)`, ratio: rounds / Math.max(1, listings.length) },
      pagesPerListing: { value: pagesPerListing, unit: 'calls', goal: `${pages} (floor(${options.objects} / 500) + 1)`, ratio: complete.length > 0 && complete.every((n) => n === pages) ? 1 : 0 },
      getsById: { value: gets, unit: 'calls', goal: '0', ratio: gets === 0 ? 1 : 0 },
      otherCalls: { value: calls.length - lists.length - gets, unit: 'calls', goal: '0', ratio: calls.length - lists.length - gets === 0 ? 1 : 0 },
      statusWrites: { value: writes, unit: 'writes', goal: '0', ratio: writes === 0 ? 1 : 0 },
    };
  } finally {
    await env.stop();
  }
}

/**
 * P4: the operator's peak resident set through creating and reconciling `objects` Networks, and its
 * resident set at rest after a restart with all of them cached.
 */
export async function memory(options: { objects: number }): Promise<Figures> {
  const env = await BenchEnv.start({ tagsOnCreate: true, latencyMs: 0, rateLimit: undefined });
  try {
    await createAll(env, Array.from({ length: options.objects }, (_, i) => pair(i)[0]!));
    await env.waitReady('networks', options.objects);
    const { peakRssMiB } = env.memory();
    await env.stopOperator();
    env.startOperator([]);
    // At rest: every object found in sync (no cloud call), the queues empty. V8 gives memory back
    // in steps once allocation stops, so the resident set counts as settled when it has moved by
    // less than 1 MiB for 30 s (at most 3 minutes).
    await env.waitReady('providerconfigs', 1);
    const samples = [env.memory().rssMiB];
    const window = 16;
    const settled = () => samples.length > window && Math.max(...samples.slice(-window)) - Math.min(...samples.slice(-window)) < 1;
    while (!settled() && samples.length < 90) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      samples.push(env.memory().rssMiB);
    }
    const rest = samples.at(-1)!;
    // The goals are for 10,000 objects: a smaller run is reported, not judged.
    const judged = options.objects >= 10_000;
    const of = `${options.objects.toLocaleString('en')} objects`;
    return {
      peakRss: { value: peakRssMiB, unit: 'MiB', goal: `<= 200 MiB at 10,000 (${of})`, ratio: 200 / peakRssMiB, ...(judged ? {} : { scaled: true }) },
      restRss: { value: rest, unit: 'MiB', goal: `<= 150 MiB at 10,000 (${of})`, ratio: 150 / rest, ...(judged ? {} : { scaled: true }) },
    };
  } finally {
    await env.stop();
  }
}

/** P5: one Network at a time, each created once the last is Ready, on a cloud answering at once: the p50 and p90 of apply->Ready. */
export async function applyToReady(options: { objects: number }): Promise<Figures> {
  const env = await BenchEnv.start({ tagsOnCreate: true, latencyMs: 0, rateLimit: undefined });
  try {
    const durations: number[] = [];
    let resolveReady: ((at: number) => void) | undefined;
    void env.waitReady('networks', options.objects, (_name, at) => resolveReady?.(at));
    for (let i = 0; i < options.objects; i++) {
      const readyAt = new Promise<number>((resolve) => (resolveReady = resolve));
      const started = performance.now();
      await env.create('Network', `n-${i}`, { providerConfigRef: { name: 'openstack' }, resource: {} });
      durations.push((await readyAt) - started);
    }
    const sorted = durations.slice(5).sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)]!;
    return {
      p50: { value: p50, unit: 'ms', goal: '<= 30 ms', ratio: 30 / p50 },
      p90: { value: sorted[Math.floor(sorted.length * 0.9)]!, unit: 'ms', goal: '(reported)', ratio: 1 },
    };
  } finally {
    await env.stop();
  }
}
