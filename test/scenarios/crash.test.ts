// Crash safety: the real operator process is SIGKILLed while it creates and deletes networks (and
// the cloud loses some create answers); after restarts every object is Ready with exactly one cloud
// resource, and after deletion nothing is left. On both backends: the kill points come from the call log,
// the lost creates from the fault injection of the simulator or of the proxy in front of the real cloud.
import { describe, expect, it } from 'vitest';
import { manifest, realCloud, until, useScenarios } from './harness.ts';

const { start } = useScenarios();

const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];

describe('crash safety', () => {
  for (const tagsOnCreate of [false, true]) {
    // A real cloud is Zed (tags are a second call): the tags-on-create variant is the simulator's alone.
    it.skipIf(realCloud && tagsOnCreate)(`SIGKILLs while creating and deleting leave exactly one network per object, then none (tags on create: ${tagsOnCreate})`, async () => {
      const s = await start({ operator: 'process', sim: { tagsOnCreate, seed: 7 } });
      const posts = () => s.calls.count({ method: 'POST', path: /\/networks$/ });
      s.faults.add({ kind: 'lose-response', rate: 0.3, match: { method: 'POST', pathPattern: /\/networks$/ } });
      // Slow tag calls: a kill right after a create lands before its tags (Zed: tags are a second call).
      s.faults.add({ kind: 'latency', ms: 150, match: { method: 'PUT', pathPattern: /\/tags$/ } });
      for (const name of NAMES) await s.apply(manifest('Network', name, { resource: { tags: ['crash-test'] } }));

      for (const after of [2, 4, 6]) {
        await until(`${after} create requests`, () => posts() >= after, 30_000);
        await s.killOperator();
        await s.startOperator();
      }
      try {
        for (const name of NAMES) await s.waitReady('Network', name, 60_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\noperator output:\n${s.operatorOutput.slice(-4000)}`, { cause: err });
      }
      const inCloud = (await s.cloud.neutron.networks.list()).filter((n) => NAMES.includes(n.name));
      expect(inCloud.map((n) => n.name).sort()).toEqual(NAMES);
      for (const name of NAMES) {
        const obj = await s.get('Network', name);
        const net = inCloud.find((n) => n.name === name)!;
        expect(obj!.status!.id).toBe(net.id);
        expect(net.tags.sort()).toEqual(['cloudnet-managed', `cloudnet-uid:${obj!.metadata!.uid}`, 'crash-test']);
      }
      expect(s.calls.count({ fault: 'lose-response' })).toBeGreaterThan(0);

      s.faults.clear();
      s.faults.add({ kind: 'latency', ms: 100, match: { method: 'DELETE' } });
      const deletes = () => s.calls.count({ method: 'DELETE', path: /\/networks\/[^/]+$/ });
      for (const name of NAMES) await s.delete('Network', name);
      for (const after of [1, 3]) {
        await until(`${after} delete requests`, () => deletes() >= after, 30_000);
        await s.killOperator();
        await s.startOperator();
      }
      for (const name of NAMES) await s.waitGone('Network', name, 60_000);
      expect((await s.cloud.neutron.networks.list()).filter((n) => NAMES.includes(n.name))).toEqual([]);
    }, 180_000);
  }
});
