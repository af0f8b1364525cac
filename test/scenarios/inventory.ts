// What the crash-safety scenarios (crash-topology, chaos) apply and what they find in the cloud: the
// examples' topology, every cloud resource the scenario's user sees, and the check that each managed
// object has exactly one of them.
import { readdirSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { expect } from 'vitest';
import { tagMarks } from '../../src/reconcile/marks.ts';
import { realCloud, type Obj, type Scenario } from './harness.ts';

const EXAMPLES = new URL('../../examples/openstack/', import.meta.url);

/** Whether the backend has Nova: the simulator started with compute, or the real tier's full profile. */
export const hasNova = !realCloud || !!process.env.CLOUDNET_REAL_COMPUTE_URL;

/** The example's cloud objects; the scenario brings its own Secret and ProviderConfig `openstack`. */
export function topology(): Obj[] {
  return readdirSync(EXAMPLES)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => load(readFileSync(new URL(file, EXAMPLES), 'utf8')) as Obj)
    .filter((obj) => obj.kind !== 'Secret' && obj.kind !== 'ProviderConfig');
}

export type Resource = { id: string; tags: readonly string[] };

/**
 * Cloud resources by collection: one per kind (a kind's resources), Neutron's own router and
 * floating IP ports left out, and ServerPort: the ports Nova makes for a server's networks.
 */
export type Inventory = Record<string, Resource[]>;

/** Every cloud resource the scenario's user sees, by collection, each sorted by id. */
export async function inventory(s: Scenario): Promise<Inventory> {
  const n = s.cloud.neutron;
  const ports = await n.ports.list();
  const owner = (p: { device_owner?: string | null }) => p.device_owner ?? '';
  const found: Record<string, { id: string; tags?: readonly string[] }[]> = {
    Network: await n.networks.list(),
    Subnet: await n.subnets.list(),
    Router: await n.routers.list(),
    Port: ports.filter((p) => !/^(network|compute):/.test(owner(p))),
    ServerPort: ports.filter((p) => owner(p).startsWith('compute:')),
    SecurityGroup: await n.securityGroups.list(),
    FloatingIP: await n.floatingIps.list(),
    Server: hasNova ? await s.cloud.nova.listServers({}) : [],
  };
  return Object.fromEntries(
    Object.entries(found).map(([collection, items]) => [collection, items.map((r) => ({ id: r.id, tags: r.tags ?? [] })).sort((a, b) => a.id.localeCompare(b.id))]),
  );
}

/** The ids of an inventory, by collection: what equality between two inventories compares. */
export const idsOf = (inv: Inventory): Record<string, string[]> => Object.fromEntries(Object.entries(inv).map(([collection, items]) => [collection, items.map((r) => r.id)]));

/** The resources of `after` that `before` did not have, as "Collection id". */
export function addedSince(after: Inventory, before: Inventory): string[] {
  return Object.entries(after).flatMap(([collection, items]) => {
    const known = new Set(before[collection]?.map((r) => r.id));
    return items.filter((r) => !known.has(r.id)).map((r) => `${collection} ${r.id}`);
  });
}

/** The resources carrying any of the operator's marks (cloudnet-managed, cloudnet-uid:...), as "Collection id". */
export const operatorMarked = (inv: Inventory): string[] =>
  Object.entries(inv).flatMap(([collection, items]) => items.filter((r) => tagMarks.hasOperator(r.tags)).map((r) => `${collection} ${r.id}`));

/** The collection a kind's own resource is listed in, where it is not the kind's own: a PrivateNetwork is a Neutron network. */
const COLLECTION: Record<string, string> = { PrivateNetwork: 'Network' };

/** What the cloud makes for an object beside its own resource: Nova a port per server network, a PrivateNetwork with a range its subnet. */
function madeAlongside(obj: Obj): Record<string, number> {
  if (obj.kind === 'Server') return { ServerPort: (obj.spec!.resource.networks as unknown[]).length };
  if (obj.kind === 'PrivateNetwork' && obj.spec!.resource.startIP) return { Subnet: 1 };
  return {};
}

/**
 * How far the cloud is from exactly one new resource per managed object of `objects` (the first
 * `upTo`), each the one in its status: the resources beyond one per object (duplicates), and every
 * departure as a readable line.
 */
export async function checkOnePerObject(s: Scenario, objects: Obj[], before: Inventory, upTo = objects.length): Promise<{ duplicates: number; problems: string[] }> {
  const after = await inventory(s);
  const recorded: Record<string, string[]> = {};
  const alongside: Record<string, number> = {};
  const problems: string[] = [];
  for (const obj of objects.slice(0, upTo).filter((o) => o.spec?.managementPolicy !== 'ObserveOnly')) {
    const id = (await s.get(obj.kind!, obj.metadata!.name!))?.status?.id as string | undefined;
    if (!id) problems.push(`${obj.kind} ${obj.metadata!.name} records no id`);
    else (recorded[COLLECTION[obj.kind!] ?? obj.kind!] ??= []).push(id);
    for (const [collection, count] of Object.entries(madeAlongside(obj))) alongside[collection] = (alongside[collection] ?? 0) + count;
  }
  let duplicates = 0;
  for (const [collection, items] of Object.entries(after)) {
    const known = new Set(before[collection]?.map((r) => r.id));
    const added = items.map((r) => r.id).filter((id) => !known.has(id));
    const mine = recorded[collection] ?? [];
    const missing = mine.filter((id) => !added.includes(id));
    const unrecorded = added.filter((id) => !mine.includes(id));
    const expected = alongside[collection] ?? 0;
    if (missing.length > 0) problems.push(`${collection}: recorded, not in the cloud: ${missing.join(', ')}`);
    if (new Set(mine).size !== mine.length) problems.push(`${collection}: an id recorded by two objects: ${mine.join(', ')}`);
    if (unrecorded.length !== expected) problems.push(`${collection}: ${unrecorded.length} new resources no object records (${unrecorded.join(', ')}), ${expected} expected`);
    duplicates += Math.max(0, unrecorded.length - expected);
  }
  return { duplicates, problems };
}

/** Exactly one new cloud resource per managed object of each kind, and it is the one in its status. */
export async function expectOnePerObject(s: Scenario, objects: Obj[], before: Inventory, upTo = objects.length): Promise<void> {
  expect((await checkOnePerObject(s, objects, before, upTo)).problems).toEqual([]);
}
