// Crash safety of a whole topology (examples/openstack/, a server included): the real operator
// process is SIGKILLed at seeded random points while it creates and while it deletes, and the
// cloud loses some create answers. After restarts every object is Ready with exactly one cloud resource each; after
// deletion the cloud holds exactly what it held before.
import { describe, expect, it } from 'vitest';
import { realCloud, until, useScenarios } from './harness.ts';
import { expectOnePerObject, idsOf, inventory, topology } from './inventory.ts';

const { start } = useScenarios();

/** A seeded PRNG (mulberry32): the kill points differ per run of the loop, not per test run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUTATIONS = /^(POST|PUT|DELETE)$/;
const CLOUD_SERVICES = new Set(['network', 'compute']);
/** Nova's boots are quick here, and its actions too: the kills land in the operator, not in waits. */
const COMPUTE = { compute: { buildMs: 200, taskMs: 100 } };

describe('crash safety of a whole topology', () => {
  for (const tagsOnCreate of [false, true]) {
    // A real cloud is Zed (tags are a second call): the tags-on-create variant is the simulator's alone.
    it.skipIf(realCloud && tagsOnCreate)(`SIGKILLs at random points while creating and deleting: one cloud resource per object, then none (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ operator: 'process', sim: { tagsOnCreate, seed: 11, ...COMPUTE } });
      const random = prng(tagsOnCreate ? 2 : 1);
      const mutations = () => s.calls.records.filter((c) => MUTATIONS.test(c.method) && CLOUD_SERVICES.has(c.service)).length;
      const objects = topology();
      const before = await inventory(s);

      for (const service of CLOUD_SERVICES) s.faults.add({ kind: 'lose-response', rate: 0.3, match: { method: 'POST', service } });
      // Slow tag calls widen the window between a create and its tags (Zed: tags are a second call).
      s.faults.add({ kind: 'latency', ms: 100, match: { method: 'PUT', pathPattern: /\/tags$/ } });
      for (const obj of objects) await s.apply(obj);

      let killsDuringCreate = 0;
      for (let kill = 0, at = 0; kill < 5; kill++) {
        at += 1 + Math.floor(random() * 6);
        const target = at;
        const reached = await until(`${target} cloud mutations`, () => mutations() >= target || undefined, 30_000).catch(() => false);
        if (!reached) break; // the topology converged before this kill point
        await s.killOperator();
        killsDuringCreate++;
        await s.startOperator();
      }
      try {
        for (const obj of objects) await s.waitReady(obj.kind!, obj.metadata!.name!, 90_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\noperator output:\n${s.operatorOutput.slice(-4000)}`, { cause: err });
      }
      expect(killsDuringCreate).toBeGreaterThanOrEqual(3);
      expect(s.calls.count({ fault: 'lose-response' })).toBeGreaterThan(0);

      await expectOnePerObject(s, objects, before);

      s.faults.clear();
      s.faults.add({ kind: 'latency', ms: 50, match: { method: 'DELETE' } });
      const startedAt = mutations();
      for (const obj of [...objects].reverse()) await s.delete(obj.kind!, obj.metadata!.name!);
      for (let kill = 0, at = startedAt; kill < 3; kill++) {
        at += 1 + Math.floor(random() * 4);
        const target = at;
        const reached = await until(`${target} cloud mutations`, () => mutations() >= target || undefined, 30_000).catch(() => false);
        if (!reached) break;
        await s.killOperator();
        await s.startOperator();
      }
      for (const obj of objects) await s.waitGone(obj.kind!, obj.metadata!.name!, 90_000);
      expect(idsOf(await inventory(s))).toEqual(idsOf(before));
    }, 300_000);
  }
});

// A crash after the cloud made the resource and before the operator recorded it. Neutron Zed takes
// tags only in a second call after the create: killed before it, the resource is untagged and only
// the create intent recorded in status before the POST can claim it. Nova takes the tags in the
// create (2.52+): killed before its answer, the server is found by its ownership tags.
const NEUTRON_WINDOW = {
  fault: { kind: 'hang', match: { method: 'PUT', pathPattern: /\/tags$/ } },
  intent: true,
  adopted: /created by an earlier attempt whose answer was lost/,
} as const;
const NOVA_WINDOW = {
  fault: { kind: 'hold-response', match: { method: 'POST', service: 'compute', pathPattern: /\/servers$/ } },
  intent: false,
  adopted: /by its ownership tags/,
} as const;

describe('a SIGKILL after the cloud created, before the operator heard', () => {
  it('every kind adopts what the cloud made before the kill: one cloud resource per object', async () => {
    const s = await start({ operator: 'process', sim: COMPUTE });
    const objects = topology();
    const before = await inventory(s);
    for (const [i, obj] of objects.entries()) {
      const name = obj.metadata!.name!;
      if (obj.spec?.managementPolicy === 'ObserveOnly') {
        await s.apply(obj);
        await s.waitReady(obj.kind!, name);
        continue;
      }
      const window = obj.kind === 'Server' ? NOVA_WINDOW : NEUTRON_WINDOW;
      const held = s.calls.count({ fault: window.fault.kind });
      s.faults.add({ ...window.fault, times: 1 });
      await s.apply(obj);
      await until(`${obj.kind} ${name}'s create, held`, () => s.calls.count({ fault: window.fault.kind }) > held);
      await s.killOperator();
      const status = (await s.get(obj.kind!, name))!.status;
      expect(status?.id, `${obj.kind} ${name}`).toBeUndefined();
      if (window.intent) expect(status, `${obj.kind} ${name}`).toMatchObject({ pendingCreate: { name: expect.any(String) } });
      await s.startOperator();
      const ready = await s.waitReady(obj.kind!, name, 30_000);
      const events = (await s.events(name)).filter((e) => e.involvedObject.kind === obj.kind);
      expect(events.map((e) => e.message)).toContainEqual(expect.stringMatching(window.adopted));
      await expectOnePerObject(s, objects, before, i + 1);
      expect(ready.status!.pendingCreate).toBeUndefined();
    }
  }, 180_000);
});
