// Chaos, deterministic by seed. The operator process is SIGKILLed at seeded points (by count of cloud
// mutations) while it creates, updates and deletes a workload of every OpenStack kind; meanwhile the
// local API server restarts (same port, same store: watches end) and compacts its history (watches
// resume into 410 Gone), and the cloud (the simulator, or the fault proxy in front of the real one)
// answers with 5xx, lost answers, resets, truncated and slow bodies, hangs and a 429 storm. After
// each phase: every object Ready with exactly one cloud resource, none lost; after deleting
// everything: nothing the cloud did not hold before, none of the operator's marks, no finalizer left.
//
// CHAOS_SEED (default 15) draws the kill points, the other disruptions and the faults; CHAOS_KILLS
// (default 50 on the simulator, 10 on the real cloud) is how many SIGKILLs at least. A failure names
// its seed: `CHAOS_SEED=<seed> npx vitest run test/scenarios/chaos.test.ts` draws the same events and
// faults again (the same draws; which request each lands on depends on the processes' timing).
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { prng } from '../../dev/sim/common/prng.ts';
import type { FaultSpec } from '../../dev/sim/openstack/faults.ts';
import { condition, manifest, observeFor, realCloud, until, useScenarios, type Obj, type Scenario } from './harness.ts';
import { addedSince, checkOnePerObject, hasNova, idsOf, inventory, operatorMarked, topology } from './inventory.ts';

const SEED = Number(process.env.CHAOS_SEED ?? 15);
const KILLS = Number(process.env.CHAOS_KILLS ?? (realCloud ? 10 : 50));
/**
 * The SIGKILLs kept for the deletion: no more than its cloud mutations (about one per object, 31)
 * surely hold at one kill point every 1 or 2 of them, the other events between.
 */
const DELETE_KILLS = Math.min(6, Math.floor(KILLS / 8));

const MUTATIONS = /^(POST|PUT|DELETE)$/;
/** The services whose mutations make kill points and that most faults hit: Neutron and Nova (Keystone gets only the odd 503: every request waits for the token it issues). */
const SERVICES = /^(network|compute)$/;
/** Without a cloud call for this long, the run is either settled or waiting on what a kill cuts short (a hang, a long backoff). */
const IDLE_MS = 3000;

const { start } = useScenarios();

const tags = ['chaos'];

/** A network with a subnet and a port on it (in security group `sg`, if given): a wave of creates. */
function wave(i: number, sg?: string): Obj[] {
  return [
    manifest('Network', `net-${i}`, { resource: { tags } }),
    manifest('Subnet', `sub-${i}`, { resource: { networkRef: { name: `net-${i}` }, ipVersion: 4, cidr: `10.40.${i}.0/24`, tags } }),
    manifest('Port', `port-${i}`, { resource: { networkRef: { name: `net-${i}` }, fixedIPs: [{ subnetRef: { name: `sub-${i}` } }], ...(sg ? { securityGroupRefs: [{ name: sg }] } : {}), tags } }),
  ];
}

/** The examples' topology (its server only where there is Nova) and more of every kind, so that there is work for many kill points. */
function workload(): Obj[] {
  const example = topology().filter((o) => hasNova || (o.kind !== 'Server' && !o.spec?.resource?.serverRef));
  const groups = [0, 1, 2, 3].flatMap((i) => [
    manifest('SecurityGroup', `sg-${i}`, {
      resource: {
        rules: [
          { direction: 'ingress', protocol: 'tcp', portRangeMin: 8000 + i, portRangeMax: 8000 + i, remoteIPPrefix: '10.0.0.0/8' },
          { direction: 'ingress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteGroupRef: { name: 'web' } },
        ],
        tags,
      },
    }),
    ...wave(i, `sg-${i}`),
  ]);
  return [
    ...example,
    ...groups,
    manifest('Router', 'edge', { resource: { externalGateway: { networkRef: { name: 'public' } }, interfaces: [{ subnetRef: { name: 'sub-0' } }, { subnetRef: { name: 'sub-1' } }], tags } }),
    manifest('FloatingIP', 'edge-ip', { resource: { floatingNetworkRef: { name: 'public' }, portRef: { name: 'port-0' }, tags } }),
    manifest('PrivateNetwork', 'backplane', { resource: { startIP: '10.50.0.10', endIP: '10.50.0.200', netmask: '255.255.255.0', labels: { chaos: 'true' } } }),
  ];
}

const managed = (o: Obj): boolean => o.spec?.managementPolicy !== 'ObserveOnly';

/** The object with its tags (labels, for a PrivateNetwork) changed for update round `round`: an update in place of every kind. */
function retagged(o: Obj, round: number): Obj {
  const resource = o.spec!.resource as Record<string, unknown>;
  const changed = o.kind === 'PrivateNetwork' ? { labels: { chaos: 'true', round: String(round) } } : { tags: [...((resource.tags as string[]) ?? []).filter((t) => !t.startsWith('round-')), `round-${round}`] };
  return { ...o, spec: { ...o.spec, resource: { ...resource, ...changed } } };
}

/** Faults while the operator runs between kills; their rates drawn from the backend's PRNG, seeded with SEED. */
const BACKGROUND: FaultSpec[] = [
  { status: 500, rate: 0.03, match: { service: SERVICES } },
  { status: 503, rate: 0.03, match: { service: SERVICES } },
  { status: 503, rate: 0.05, match: { service: 'identity' } },
  { kind: 'drop', rate: 0.02, match: { service: SERVICES } },
  { kind: 'lose-response', rate: 0.2, match: { method: 'POST', service: SERVICES } },
  // A 204 has no body to cut: resets and truncations go to the requests whose answers have one.
  ...['GET', 'POST', 'PUT'].flatMap((method): FaultSpec[] => [
    { kind: 'reset', rate: 0.03, match: { method, service: SERVICES } },
    { kind: 'truncate', rate: 0.03, match: { method, service: SERVICES } },
  ]),
  { kind: 'slow-body', ms: 300, rate: 0.05, match: { service: SERVICES } },
];

/** What the run did, for the summary line. */
interface Tally {
  kills: number;
  /** Of the kills, those that came after an idle spell rather than at a mutation count. */
  idleKills: number;
  apiRestarts: number;
  compactions: number;
  storms: number;
}

/** What happens at a point of the run: mostly a SIGKILL; else a disruption the running operator lives through. */
type Event = 'kill' | 'api-restart' | 'compaction' | '429-storm' | 'hang';

function drawEvent(random: () => number): Event {
  const r = random();
  if (r < 0.1) return 'api-restart';
  if (r < 0.2) return 'compaction';
  if (r < 0.24) return '429-storm';
  if (r < 0.28) return 'hang';
  return 'kill';
}

class Chaos {
  readonly tally: Tally = { kills: 0, idleKills: 0, apiRestarts: 0, compactions: 0, storms: 0 };
  readonly #s: Scenario;
  readonly #random = prng(SEED);
  readonly #expiredBefore: number;
  /** The length of the call log, and the API server's watch requests, when the running operator process started. */
  #callsAtStart = 0;
  #watchesAtStart = 0;

  constructor(s: Scenario) {
    this.#s = s;
    this.#expiredBefore = s.cluster.server.expiredWatches();
  }

  mutations(): number {
    return this.#s.calls.records.filter((c) => MUTATIONS.test(c.method) && SERVICES.test(c.service)).length;
  }

  /** Watches answered 410 Gone since the run began (the operator's informers resuming after a compaction). */
  get gone(): number {
    return this.#s.cluster.server.expiredWatches() - this.#expiredBefore;
  }

  faultsOn(): void {
    for (const spec of BACKGROUND) this.#s.faults.add(spec);
  }

  faultsOff(): void {
    this.#s.faults.clear();
  }

  /** A restart of the API server: every watch and request of the operator is cut; with `compact`, watches may resume into 410 Gone. */
  async #restartApiServer(compact: boolean): Promise<void> {
    if (compact) {
      this.#s.cluster.server.compact();
      this.tally.compactions++;
    }
    await this.#s.cluster.server.restart();
    this.tally.apiRestarts++;
  }

  /**
   * The last disruption of a phase, with no kill after it: the API server restarts with its history
   * compacted past every watch's resourceVersion (after a write no watch sees); resolves once the
   * operator's watches resumed into 410 Gone, which it must get over on its own.
   */
  async lastDisruption(): Promise<void> {
    // A process still starting would list afresh after the restart rather than resume its watches.
    await until(`the running operator watching (seed ${SEED})`, () => this.#s.cluster.server.watchRequests() > this.#watchesAtStart);
    const gone = this.gone;
    await this.#s.cluster.core.createNamespacedConfigMap({ namespace: this.#s.namespace, body: { metadata: { generateName: 'chaos-' } } });
    await this.#restartApiServer(true);
    await until(`the operator's watches resumed into 410 Gone (seed ${SEED})`, () => this.gone > gone);
  }

  /**
   * Events drawn from the seed until `kills` SIGKILLs (each followed by a new operator process), one
   * after every 1 to `gap` cloud mutations, or after an idle spell while unsettled (a hang, a long
   * backoff). When `settled` holds, `more` brings new work (false: the phase ends).
   */
  async run(kills: number, gap: number, settled: () => Promise<boolean>, more: () => Promise<boolean> = async () => false): Promise<void> {
    for (let done = 0; done < kills; ) {
      const target = this.mutations() + 1 + Math.floor(this.#random() * gap);
      const point = await this.#nextPoint(target, settled);
      if (point === 'settled') {
        if (await more()) continue;
        return;
      }
      const event = drawEvent(this.#random);
      if (event === 'api-restart' || event === 'compaction') await this.#restartApiServer(event === 'compaction');
      else if (event === '429-storm') {
        this.#s.faults.add({ status: 429, retryAfter: 1, times: 25, match: { service: SERVICES } });
        this.tally.storms++;
      } else if (event === 'hang') this.#s.faults.add({ kind: 'hang', times: 1, match: { method: 'GET', service: SERVICES } });
      else {
        // A kill must not hide a crash: the process it ends was still running.
        if (this.#s.operatorExit) throw new Error(`the operator ended on its own (${this.#s.operatorExit})`);
        await this.#s.killOperator();
        this.tally.kills++;
        if (point === 'idle') this.tally.idleKills++;
        done++;
        this.#callsAtStart = this.#s.calls.records.length;
        this.#watchesAtStart = this.#s.cluster.server.watchRequests();
        await this.#s.startOperator();
      }
    }
  }

  /**
   * Waits for the mutation count `target`, a settled workload (checked once no cloud call came for a
   * second), or an idle spell: IDLE_MS without a cloud call once the operator made one.
   */
  #nextPoint(target: number, settled: () => Promise<boolean>): Promise<'reached' | 'idle' | 'settled'> {
    const calls = () => this.#s.calls.records.length;
    let [seen, since, checked] = [calls(), Date.now(), 0];
    return until(
      `${target} cloud mutations (seed ${SEED})`,
      async () => {
        if (this.mutations() >= target) return 'reached';
        if (calls() !== seen) [seen, since] = [calls(), Date.now()];
        const quiet = Date.now() - since;
        if (quiet >= 1000 && Date.now() - checked >= 1000) {
          checked = Date.now();
          if (await settled()) return 'settled';
        }
        // A process still starting has made no call yet: its start is no idle spell.
        return quiet >= IDLE_MS && seen > this.#callsAtStart ? 'idle' : undefined;
      },
      120_000,
      50,
    );
  }
}

/** The objects as the API server has them now (undefined: gone). */
const current = (s: Scenario, objects: Obj[]): Promise<(Obj | undefined)[]> => Promise.all(objects.map((o) => s.get(o.kind!, o.metadata!.name!)));

const readyNow = (o: Obj | undefined): boolean => {
  const ready = condition(o, 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === o?.metadata?.generation;
};

/** Faults by kind (an injected error by its status), from the call log. */
function faultsByKind(s: Scenario): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { fault, status } of s.calls.records) {
    if (!fault) continue;
    const kind = fault === 'error' ? String(status) : fault;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

describe('chaos', () => {
  it(`survives seeded SIGKILLs, API server restarts, 410 Gone and cloud faults: one cloud resource per object, then none (seed ${SEED}, ${KILLS} kills)`, async () => {
    const s = await start({ operator: 'process', sim: { seed: SEED, compute: { buildMs: 200, taskMs: 100 } } });
    const chaos = new Chaos(s);
    const objects: Obj[] = [];
    const before = await inventory(s);
    const failure = (err: unknown) => new Error(`seed ${SEED}: ${(err as Error).message}\noperator output:\n${s.operatorOutput.slice(-4000)}`, { cause: err });

    // Create; then, while kill points remain, rounds of updates to every object and waves of new ones.
    chaos.faultsOn();
    const uids: string[] = [];
    const create = async (more: Obj[]) => {
      objects.push(...more);
      for (const obj of more) uids.push((await s.apply(obj)).metadata!.uid!);
    };
    await create(workload());
    let round = 0;
    const allReady = async () => (await current(s, objects)).every(readyNow);
    const nextRound = async () => {
      round++;
      if (round % 2 === 0) await create(wave(3 + round / 2));
      else for (const obj of objects.filter(managed)) await s.apply(retagged(obj, round));
      return true;
    };
    try {
      await chaos.run(KILLS - DELETE_KILLS, 5, allReady, nextRound);
      chaos.faultsOff();
      await chaos.lastDisruption();
      for (const obj of objects) await s.waitReady(obj.kind!, obj.metadata!.name!, 120_000);
    } catch (err) {
      throw failure(err);
    }
    const live = await current(s, objects);
    const lost = objects.filter((_, i) => live[i]?.metadata?.uid !== uids[i]).map((o) => `${o.kind} ${o.metadata!.name}`);
    const { duplicates, problems } = await checkOnePerObject(s, objects, before);

    // Delete everything at once.
    const [killsCreating, mutationsCreating] = [chaos.tally.kills, chaos.mutations()];
    chaos.faultsOn();
    for (const obj of [...objects].reverse()) await s.delete(obj.kind!, obj.metadata!.name!);
    try {
      await chaos.run(DELETE_KILLS, 2, async () => (await current(s, objects)).every((o) => o === undefined));
      chaos.faultsOff();
      await chaos.lastDisruption();
      for (const obj of objects) await s.waitGone(obj.kind!, obj.metadata!.name!, 120_000);
    } catch (err) {
      throw failure(err);
    }
    const after = await inventory(s);
    const leaked = [...new Set([...addedSince(after, before), ...operatorMarked(after).filter((r) => !operatorMarked(before).includes(r))])];

    const { kills, idleKills, apiRestarts, compactions, storms } = chaos.tally;
    console.log(
      `chaos: seed=${SEED} kills=${kills} (while deleting: ${kills - killsCreating}; after an idle spell: ${idleKills}) apiServerRestarts=${apiRestarts} compactions=${compactions} ` +
        `gone410=${chaos.gone} 429storms=${storms} rounds=${round} faults=${JSON.stringify(faultsByKind(s))} ` +
        `mutations=${chaos.mutations()} (while deleting: ${chaos.mutations() - mutationsCreating}) objects=${objects.length} lost=${lost.length} leaked=${leaked.length} duplicates=${duplicates}`,
    );
    expect(lost, `seed ${SEED}: objects lost or replaced`).toEqual([]);
    expect(problems, `seed ${SEED}`).toEqual([]);
    expect(leaked, `seed ${SEED}`).toEqual([]);
    expect(idsOf(after)).toEqual(idsOf(before));
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(s.operatorExit).toBeUndefined();

    // The ProviderConfig goes last, then its Secret's finalizer.
    await s.delete('ProviderConfig', 'openstack');
    await s.waitGone('ProviderConfig', 'openstack');
    await until('no finalizer left on the Secret', async () => {
      const secret = await s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' });
      return (secret.metadata?.finalizers ?? []).length === 0;
    });
  }, 600_000);

  it('a cloud endpoint that accepts and never answers: its ProviderConfig reports the timeout, its objects wait, attempts stay few', async () => {
    const timeoutMs = 1000;
    const s = await start({ controllers: { cloud: { timeoutMs } } });
    const silent = await startSilentEndpoint();
    s.releaseOnClose(() => silent.close());
    const cloudsYaml = s.backend.cloudsYaml.replaceAll(new URL(s.backend.authUrl).origin, silent.origin);
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name: 'silent-credentials' }, stringData: { 'clouds.yaml': cloudsYaml } } });
    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'silent' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'silent-credentials' }, cloud: s.backend.cloudName } } });
    await s.apply({ ...manifest('Network', 'stranded', { resource: {} }), spec: { providerConfigRef: { name: 'silent' }, resource: {} } });

    const pc = await s.waitCondition('ProviderConfig', 'silent', 'Ready', 'False', 'TransientError');
    const timedOut = `POST ${new URL(silent.origin).host}${new URL(s.backend.authUrl).pathname.replace(/\/$/, '')}/auth/tokens: no response within ${timeoutMs} ms`;
    expect(condition(pc, 'Ready')?.message).toContain(timedOut);
    await s.waitFor('Network', 'stranded', (o) => condition(o, 'Ready')?.reason === 'ProviderNotReady' && !!condition(o, 'Ready')?.message.includes(timedOut));
    expect(condition(await s.get('Network', 'stranded'), 'Ready')?.message).toContain(`ProviderConfig ${s.namespace}/silent is not Ready`);

    // One attempt at a time, each given up after the timeout and followed by a backoff: no more than one a timeout.
    const [attempts, reconciles, since] = [silent.connections(), await s.reconciles('network'), Date.now()];
    await observeFor(3000);
    expect(silent.connections() - attempts).toBeLessThanOrEqual(Math.ceil((Date.now() - since) / timeoutMs));
    // The waiting object is woken when its ProviderConfig's readiness changes, not polled.
    expect((await s.reconciles('network')) - reconciles).toBe(0);
  });
});

/** A socket on 127.0.0.1 that accepts connections and never answers: a cloud that hangs. */
async function startSilentEndpoint(): Promise<{ origin: string; connections(): number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
