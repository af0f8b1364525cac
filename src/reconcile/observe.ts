// Observe phase: the object's cloud resource, by status.id; else by its ownership marks (a create
// whose status write was lost); else by its recorded create intent (a create whose answer was lost,
// on a cloud that took it unmarked); else by import. Also what a deletion finds to delete.
import type { ResolvedRefs } from './adapter.ts';
import { Outcome, isManaged, type Pass, type Reconciling, type References } from './pass.ts';
import { reconciling, stalled } from './status.ts';

/**
 * Slack when matching createdAt against a create intent: with the cloud's clock offset known, the
 * second both timestamps are truncated to, plus one; unknown, how far the clocks may differ.
 */
const KNOWN_OFFSET_SLACK_MS = 2_000;
const UNKNOWN_OFFSET_SLACK_MS = 60_000;

/**
 * The resource, adopted or imported where it was found another way than by id; undefined: none,
 * create it. `neverCreated`: the object had no finalizer, so no create was ever sent for it (its
 * uid, which the marks carry, is its own): there is nothing to look for by marks or intent.
 * `driftCheck`: the object is in sync and its drift check is due, so the kind's listing may serve.
 */
export async function observe(r: Reconciling, pass: Pass, cloud: object, refs: References, options: { neverCreated?: boolean; driftCheck?: boolean } = {}): Promise<unknown> {
  const { adapter } = r;
  const { obj } = pass;
  const managed = isManaged(obj);
  const id = obj.status?.id;
  if (id) {
    const found = (options.driftCheck ? await listed(r, pass, cloud, id) : kept(r, pass, id)) ?? (await adapter.get(cloud, id));
    if (found) return found;
    if (!managed) throw r.retry(pass, reconciling('NotFound', `${adapter.kind} ${id} no longer exists in the cloud; waiting for it to reappear`, 'waiting'));
    r.event(obj, 'Warning', 'Recreating', `${adapter.kind} ${id} was deleted outside the operator; creating it again`);
    await r.write(pass, { id: null, condition: reconciling('Creating', `${adapter.kind} ${id} was deleted outside the operator; creating it again`) });
  }
  const recreating = id !== undefined && managed;
  if (managed && !options.neverCreated && !r.memory.refused.has(pass.key)) {
    const owned = await marked(r, pass, cloud, { listing: !recreating });
    if (owned.length > 0) {
      const keep = await keepOne(r, pass, cloud, owned);
      r.event(obj, 'Normal', 'Adopted', `found ${adapter.kind} ${adapter.id(keep)} by its ownership ${adapter.marks.noun} (its id had not been recorded)`);
      await r.write(pass, { id: adapter.id(keep), pendingCreate: null });
      return keep;
    }
    const intended = await adoptIntended(r, pass, cloud, refs.resolved);
    if (intended) return intended;
  }
  // An adopted resource deleted outside the operator is recreated like any other, not imported again.
  return recreating ? undefined : importResource(r, pass, cloud, refs.imports);
}

/**
 * A change of a kind whose updates are conditional (conditionalUpdate) is diffed against the
 * resource as last observed in sync: a stale revision is refused, and update() then rereads it.
 */
function kept(r: Reconciling, pass: Pass, id: string): unknown {
  if (!r.adapter.conditionalUpdate || !isManaged(pass.obj)) return undefined;
  const found = r.memory.takeObservation(pass.obj.metadata.uid ?? '', id);
  if (found) {
    pass.observedAt = found.at;
    pass.keptObservation = true;
  }
  return found?.observed;
}

/**
 * The resource as the kind's latest listing shows it, if one begun since the object's last sync,
 * and within its drift-check period, does.
 */
async function listed(r: Reconciling, pass: Pass, cloud: object, id: string): Promise<unknown> {
  if (!r.listings) return undefined;
  const since = Math.max(r.memory.lastSyncOf(pass.obj), r.clock.now() - r.memory.resyncPeriod(pass.obj));
  const found = await r.listings.find(cloud, id, since);
  if (found) pass.observedAt = found.at;
  return found?.observed;
}

/**
 * The resources carrying this object's marks (a create whose status write was lost). Where this
 * process sent no create for it (after a restart), the kind's listing shows them: one list for
 * all such objects instead of a lookup each. Not `listing` when the object's resource was just
 * found gone: the listing may be older than that and still show it.
 */
async function marked(r: Reconciling, pass: Pass, cloud: object, options: { listing: boolean }): Promise<unknown[]> {
  const uid = pass.obj.metadata.uid ?? '';
  const listings = options.listing && !r.memory.createSent.has(pass.key) ? r.listings : undefined;
  const listed = await listings?.owned(cloud, uid);
  return listed ?? (await r.adapter.listOwned(cloud, uid));
}

/** Several resources carry this object's marks (a create retried after a lost answer): keep the oldest, delete the rest. */
async function keepOne(r: Reconciling, pass: Pass, cloud: unknown, owned: unknown[]): Promise<unknown> {
  const { adapter } = r;
  const sorted = [...owned].sort((a, b) => (adapter.createdAt(a) ?? '').localeCompare(adapter.createdAt(b) ?? '') || adapter.id(a).localeCompare(adapter.id(b)));
  const [keep, ...extras] = sorted;
  for (const extra of extras) {
    await adapter.delete(cloud, adapter.id(extra));
    r.event(pass.obj, 'Normal', 'Deleted', `deleted duplicate ${adapter.kind} ${adapter.id(extra)}; keeping ${adapter.id(keep)}`);
  }
  return keep;
}

/**
 * A create intent was recorded but nothing carries the ownership marks: the cloud took the create
 * unmarked and the answer (or the call that marks it) was lost. The resource is the single one
 * with the intended name, in scope, without any mark, created since. Any mark rules a resource
 * out: marks are replaced all at once, so ours has none or all of them.
 */
async function adoptIntended(r: Reconciling, pass: Pass, cloud: unknown, refs: ResolvedRefs): Promise<unknown> {
  const { adapter } = r;
  const candidates = await intentCandidates(r, pass, cloud, refs);
  if (candidates.length === 0) return undefined;
  if (candidates.length > 1) {
    const ids = candidates.map((o) => adapter.id(o)).join(', ');
    throw new Outcome(
      stalled('AdoptionAmbiguous', `a create of this ${adapter.kind} lost its answer and ${candidates.length} candidates without ${adapter.marks.noun} match (${ids}); delete the extra ones in the cloud`, 'terminal'),
    );
  }
  const found = candidates[0];
  const marked = await adapter.setMarks(cloud, found, desiredMarks(r, pass.obj));
  r.event(pass.obj, 'Normal', 'Adopted', `found ${adapter.kind} ${adapter.id(found)} created by an earlier attempt whose answer was lost`);
  await r.write(pass, { id: adapter.id(found), pendingCreate: null });
  return marked;
}

async function intentCandidates(r: Reconciling, pass: Pass, cloud: unknown, refs: ResolvedRefs): Promise<unknown[]> {
  const { adapter } = r;
  const intent = pass.obj.status?.pendingCreate;
  const adoption = adapter.intentAdoption;
  if (!intent || !adoption || pass.obj.spec.resource === undefined) return [];
  const found = await adoption.listByName(cloud, intent.name, pass.obj.spec.resource, refs);
  const offset = adoption.clockOffsetMs?.(cloud);
  const since = Date.parse(intent.startedAt) + (offset ?? 0) - (offset === undefined ? UNKNOWN_OFFSET_SLACK_MS : KNOWN_OFFSET_SLACK_MS);
  return found.filter((o) => adapter.marks.isEmpty(adapter.marksOf(o)) && Date.parse(adapter.createdAt(o) ?? '') >= since);
}

async function importResource(r: Reconciling, pass: Pass, cloud: unknown, refs: ResolvedRefs): Promise<unknown> {
  const { adapter } = r;
  const spec = pass.obj.spec;
  if (!spec.import) {
    if (isManaged(pass.obj)) return undefined;
    throw new Outcome(stalled('InvalidConfiguration', 'managementPolicy ObserveOnly needs import.id or import.filter', 'configuration'));
  }
  let found: unknown;
  let how: string;
  if (spec.import.id !== undefined) {
    how = `id ${spec.import.id}`;
    found = await adapter.get(cloud, spec.import.id);
  } else {
    how = `filter ${JSON.stringify(spec.import.filter)}`;
    const matches = await adapter.listForImport(cloud, spec.import.filter, refs);
    if (matches.length > 1) {
      const ids = matches.map((o) => adapter.id(o)).join(', ');
      throw new Outcome(stalled('ImportAmbiguous', `import ${how} matches ${matches.length} ${adapter.kind}s (${ids}); make the filter match exactly one`, 'configuration'));
    }
    found = matches[0];
  }
  if (!found) throw r.retry(pass, reconciling('ImportNotFound', `no ${adapter.kind} matches import ${how} yet`, 'waiting'));
  r.event(pass.obj, 'Normal', 'Adopted', `imported ${adapter.kind} ${adapter.id(found)} (${how}, ${spec.managementPolicy})`);
  const shared = isManaged(pass.obj) ? adapter.sharedWith?.(found) : undefined;
  if (shared) {
    const risk = 'with managementPolicy Managed the operator changes it, and deleting this object deletes it from the cloud';
    r.event(pass.obj, 'Warning', 'ImportedShared', `${adapter.kind} ${adapter.id(found)} is ${shared}; ${risk}: import it with ObserveOnly, or set deletionPolicy: Orphan`);
  }
  await r.write(pass, { id: adapter.id(found) });
  return found;
}

/** What this object owns in the cloud: its recorded id, else whatever a lost status write left behind. */
export async function owned(r: Reconciling, pass: Pass, cloud: object, refs: () => ResolvedRefs | undefined): Promise<unknown[]> {
  const { adapter } = r;
  const id = pass.obj.status?.id;
  if (id) {
    const found = await adapter.get(cloud, id);
    return found ? [found] : [];
  }
  const found = await marked(r, pass, cloud, { listing: true });
  if (found.length > 0 || !pass.obj.status?.pendingCreate) return found;
  const resolved = refs();
  if (!resolved) return [];
  const candidates = await intentCandidates(r, pass, cloud, resolved);
  return candidates.length === 1 ? candidates : [];
}

/** The operator's marks for the object, with the user's. */
export function desiredMarks(r: Reconciling, obj: Pass['obj']): unknown {
  const { adapter } = r;
  const user = obj.spec.resource === undefined ? adapter.marks.none : adapter.userMarks(obj.spec.resource);
  return adapter.marks.desired(obj.metadata.uid ?? '', user);
}
