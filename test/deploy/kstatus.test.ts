// kstatus (what Flux's health checks compute) of the captured fixtures: each state maps to its kstatus
// (Ready -> Current, Stalled -> Failed, reconciling or waiting -> InProgress, deleting -> Terminating),
// and Current means Ready=True for the object's generation, but where EXPECTED_KSTATUS says why not.
// test/scenarios/argocd-health.test.ts checks the same of the live objects.
import { describe, expect, it } from 'vitest';
import { kinds } from '../../src/api/index.ts';
import { readFixtures, type KubeObject } from '../../scripts/gen-argocd.ts';
import { EXPECTED_KSTATUS, kstatus } from './kstatus.ts';

const fixtures = kinds.flatMap(({ kind }) => readFixtures(kind).map(([state, obj]) => ({ name: `${kind}/${state}`, state, obj })));

const readyForGeneration = (obj: KubeObject) =>
  obj.status?.observedGeneration === obj.metadata.generation && obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('kstatus of the fixtures', () => {
  it('maps each state to its kstatus', () => {
    expect(fixtures.map(({ name, obj }) => ({ name, kstatus: kstatus(obj).status }))).toEqual(fixtures.map(({ name, state }) => ({ name, kstatus: EXPECTED_KSTATUS[state].kstatus })));
  });

  it('is Current only for an object Ready for its generation, but for the states known to read Current too soon', () => {
    const current = fixtures.filter(({ obj }) => kstatus(obj).status === 'Current');
    const tooSoon = current.filter(({ obj }) => !readyForGeneration(obj)).map(({ name, state }) => ({ name, why: EXPECTED_KSTATUS[state].wrong }));
    expect(tooSoon.filter(({ why }) => why === undefined)).toEqual([]);
    // Each known case is still seen: fixed in the operator, its `wrong` goes.
    const known = Object.entries(EXPECTED_KSTATUS).filter(([, { wrong }]) => wrong !== undefined).map(([state]) => state);
    expect(new Set(tooSoon.map(({ name }) => name.split('/')[1]))).toEqual(new Set(known));
  });

  it('puts deletion first: a deleting object the cloud refuses to delete (Stalled) is Terminating, not Failed', () => {
    const refused = fixtures.filter(({ state }) => state === 'delete-refused');
    expect(refused.length).toBeGreaterThan(0);
    for (const { obj } of refused) expect(kstatus(obj)).toEqual({ status: 'Terminating', message: 'Resource scheduled for deletion' });
  });
});
