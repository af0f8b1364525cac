// Update phase: only the changed mutable fields, with the observed revision, and the marks as a set.
import { isCloudError } from '../cloud/errors.ts';
import { enforcedNameOf, isAccepted, type ResolvedRefs } from './adapter.ts';
import { desiredMarks } from './observe.ts';
import { Outcome, type Pass, type Reconciling } from './pass.ts';
import { reconciling } from './status.ts';
import { kubeTime } from './timing.ts';

/**
 * Sends what differs; a stale revision (or any refusal of an update diffed against a kept observation) is refetched once. References to the object itself resolve
 * to the observed id (just created or found). An update the cloud accepted without finishing stops
 * the reconcile: its operation is recorded and polled, and the result observed afresh.
 */
export async function update(r: Reconciling, pass: Pass, cloud: unknown, refs: ResolvedRefs, observed: unknown): Promise<unknown> {
  const { adapter } = r;
  const observedName = (adapter.summarize(observed) as { name?: unknown }).name;
  const name = enforcedNameOf(adapter, pass.obj, typeof observedName === 'string' ? observedName : undefined);
  const desired = { resource: pass.obj.spec.resource, refs: refs.withOwnId(adapter.id(observed)), name };
  const marks = desiredMarks(r, pass.obj);
  let current = observed;
  for (let attempt = 1; ; attempt++) {
    const patch = adapter.diff(desired, current);
    const remark = !adapter.marks.same(adapter.marksOf(current), marks);
    if (!patch && !remark) return current;
    try {
      if (patch) {
        const answer = await adapter.update(cloud, current, patch, desired);
        if (isAccepted(answer)) {
          if (answer.operation) await r.write(pass, { pendingOperation: { action: 'update', id: answer.operation, startedAt: kubeTime(r.clock.now()) } });
          r.event(pass.obj, 'Normal', 'Updating', `the cloud accepted an update of ${adapter.kind} ${adapter.id(current)}: ${Object.keys(patch).join(', ')}`);
          throw new Outcome(reconciling('Updating', `the cloud is updating ${adapter.kind} ${adapter.id(current)}`), answer.pollAfterMs);
        }
        current = answer;
      }
      if (remark) current = await adapter.setMarks(cloud, current, marks);
      const changed = [...Object.keys(patch ?? {}), ...(remark ? [adapter.marks.noun] : [])];
      r.event(pass.obj, 'Normal', 'Updated', `updated ${adapter.kind} ${adapter.id(current)}: ${changed.join(', ')}`);
      return current;
    } catch (err) {
      // A refusal of an update diffed against a kept observation may be the observation's fault: read it afresh.
      if (!(isCloudError(err, 'staleRevision') || (isCloudError(err) && pass.keptObservation)) || attempt >= 2) throw err;
      pass.keptObservation = false;
      const fresh = await adapter.get(cloud, adapter.id(current));
      if (!fresh) throw err;
      current = fresh;
    }
  }
}
