// The instances a PrivateNetwork attaches, as a set, whatever the cloud: which spec entry names which
// instance (by id, or by name among the cloud's instances), and what to attach, detach or move.
import type { PrivateNetworkResource } from '../api/privatenetwork.ts';
import { CloudError } from '../cloud/errors.ts';
import { CloudPrecondition, failed, progressing, READY, type Progress } from '../reconcile/adapter.ts';

export type InstanceEntry = NonNullable<PrivateNetworkResource['instances']>[number];

/** An instance of the cloud, as far as matching needs it. */
export interface KnownInstance {
  id: string;
  name?: string;
}

export interface InstanceChanges {
  detach: string[];
  updateIp: { id: string; ip: string }[];
  attach: { id: string; ip?: string }[];
}

/** How long to wait before looking again for an instance the spec names that does not exist (yet). */
const MISSING_INSTANCE_POLL_MS = 30_000;

/** The instances a spec entry names: by id (if it exists), or every instance of that name. */
export function matching(entry: InstanceEntry, instances: readonly KnownInstance[]): KnownInstance[] {
  return instances.filter((i) => (entry.id !== undefined ? i.id === entry.id : i.name === entry.name));
}

/** Instance id -> the lease the spec asks for, for the entries that name exactly one instance. */
export function wantedInstances(entries: readonly InstanceEntry[], instances: readonly KnownInstance[]): Map<string, string | undefined> {
  const wanted = new Map<string, string | undefined>();
  for (const entry of entries) {
    const found = matching(entry, instances);
    if (found.length === 1) wanted.set(found[0]!.id, entry.ip);
  }
  return wanted;
}

/** What to change so that `attached` (instance id -> its address) becomes the spec's set; undefined when nothing. */
export function instanceChanges(entries: readonly InstanceEntry[] | undefined, instances: readonly KnownInstance[], attached: ReadonlyMap<string, string | undefined>): InstanceChanges | undefined {
  if (entries === undefined) return undefined;
  const wanted = wantedInstances(entries, instances);
  const changes: InstanceChanges = {
    detach: [...attached.keys()].filter((id) => !wanted.has(id)),
    updateIp: [...wanted].flatMap(([id, ip]) => (ip !== undefined && attached.has(id) && attached.get(id) !== ip ? [{ id, ip }] : [])),
    // Static leases first: an instance leased from the range could otherwise take an address another is given.
    attach: [...wanted]
      .filter(([id]) => !attached.has(id))
      .sort(([, a], [, b]) => Number(a === undefined) - Number(b === undefined))
      .map(([id, ip]) => ({ id, ...(ip ? { ip } : {}) })),
  };
  return changes.detach.length + changes.updateIp.length + changes.attach.length > 0 ? changes : undefined;
}

/** Entries that name no instance wait for it; one naming several stalls, as no change can tell which is meant. */
export function instancesProgress(entries: readonly InstanceEntry[] | undefined, instances: readonly KnownInstance[], where: string): Progress {
  for (const entry of entries ?? []) {
    const found = matching(entry, instances);
    if (found.length > 1) return failed('InstanceAmbiguous', `${found.length} instances ${where} are named "${entry.name}" (${found.map((i) => i.id).join(', ')}): name it by id`);
    if (found.length === 0) {
      const what = entry.id !== undefined ? `instance ${entry.id}` : `instance "${entry.name}"`;
      return progressing(`${what} does not exist ${where}; it is attached once it does`, MISSING_INSTANCE_POLL_MS, { reason: 'WaitingForInstance' });
    }
  }
  return READY;
}

/**
 * A network with instances attached is not deleted: once their detachment is sent, the delete
 * waits for it (DetachingInstances, retried on the backoff) and is sent again.
 */
export function detachingFirst(where: { provider: string; service: string }, instances: readonly string[], network: string): CloudPrecondition {
  const message = `detaching instance(s) ${instances.join(', ')} from network ${network} before deleting it`;
  const error = new CloudError({ ...where, operation: 'deleteNetwork', code: 'InstancesAttached', kind: 'busy', message });
  return new CloudPrecondition({ reason: 'DetachingInstances', message, wokenBy: [], error });
}
