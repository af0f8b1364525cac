// Helpers every Neutron adapter shares: the members alike for every kind, field diffs, address
// normalisation, routes and the standard attributes in status.
import { formatIP, formatPrefix, maskedPrefix, parseCIDR, parseIP } from '../net/ip.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import { TAG_CREATION_EXTENSION, type NeutronCollection } from '../cloud/openstack/neutron.ts';
import type { NeutronFixedIpRequest, NeutronHostRoute, NeutronStandardAttrs } from '../cloud/openstack/types.ts';
import { failed, progressing, READY, type Adapter, type IntentAdoption, type Progress, type ResolvedRefs } from '../reconcile/adapter.ts';
import { MANAGED, ownerTag, tagMarks } from '../reconcile/marks.ts';

/** What the shared members use of a kind's collection. */
type Collection<T extends NeutronStandardAttrs> = Pick<NeutronCollection<T, Record<string, unknown>>, 'get' | 'list' | 'update' | 'delete' | 'retag'>;

/** How often a Neutron resource in transition is looked at again. */
export const NEUTRON_POLL_MS = 2_000;

/**
 * The Adapter members every Neutron kind implements alike. setMarks keeps whatever else the
 * observed object carries (a router's interface ports).
 */
export type NeutronMembers<T extends NeutronStandardAttrs> = Pick<
  Adapter<{ tags?: string[] }, unknown, unknown, T, OpenStackClient>,
  'get' | 'listOwned' | 'delete' | 'marks' | 'marksOf' | 'userMarks' | 'marksOnCreate' | 'id' | 'createdAt'
> & {
  listManaged(cloud: OpenStackClient): Promise<T[]>;
  /** Needs nothing of the desired state: an adapter's own update may call it. */
  update(cloud: OpenStackClient, observed: T, patch: Record<string, unknown>): Promise<T>;
  setMarks<O extends T>(cloud: OpenStackClient, observed: O, tags: readonly string[]): Promise<O>;
};

/**
 * The members alike for every Neutron kind, over its collection: spread into the kind's adapter,
 * which overrides what differs. Updates carry the observed revision_number (If-Match). Tags go in
 * the create request where Neutron takes them (the tag-creation extension, after Zed).
 */
export function neutronResource<T extends NeutronStandardAttrs>(collection: (cloud: OpenStackClient) => Collection<T>): NeutronMembers<T> {
  return {
    get: (cloud, id) => collection(cloud).get(id),
    listOwned: (cloud, uid) => collection(cloud).list({ tags: [ownerTag(uid)] }),
    listManaged: (cloud) => collection(cloud).list({ tags: [MANAGED] }),
    update: (cloud, observed, patch) => collection(cloud).update(observed.id, patch, observed.revision_number),
    delete: (cloud, id) => collection(cloud).delete(id),
    marks: tagMarks,
    marksOf: (o) => o.tags ?? [],
    userMarks: (r) => r.tags ?? [],
    setMarks: (cloud, observed, tags) => collection(cloud).retag(observed, tags),
    marksOnCreate: async (cloud) => (await cloud.neutron.extensions()).has(TAG_CREATION_EXTENSION),
    id: (o) => o.id,
    createdAt: (o) => o.created_at,
  };
}

/** Values per request of a filter that matches any of many (a request line has a length limit: Neutron's is 16 KiB). */
const VALUES_PER_REQUEST = 100;

/**
 * What `list` finds for any of `values` (ids of networks, routers, servers...), in as few
 * requests as the request line allows: a listing of many resources looks up their parts at once.
 */
export async function listForEach<T>(values: readonly string[], list: (some: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += VALUES_PER_REQUEST) out.push(...(await list(values.slice(i, i + VALUES_PER_REQUEST))));
  return out;
}

/** Intent adoption for a Neutron kind: candidates by name (and scope), timestamps in Neutron's clock. */
export function adoptByName<R, T>(listByName: IntentAdoption<R, T, OpenStackClient>['listByName']): IntentAdoption<R, T, OpenStackClient> {
  return { listByName, clockOffsetMs: (cloud) => cloud.http.clockOffsetMs('network') };
}

/**
 * Progress of a kind with its own status: ACTIVE is ready, and so is DOWN when admin_state_up is
 * false (what an administratively down resource reports: the state asked for); ERROR is failed;
 * anything else is still in transition.
 */
export function activeOrAdminDown(noun: string): (o: { id: string; status: string; admin_state_up: boolean }) => Progress {
  return (o) => {
    if (o.status === 'ACTIVE' || (o.status === 'DOWN' && !o.admin_state_up)) return READY;
    if (o.status === 'ERROR') return failed('CloudResourceError', `${noun} ${o.id} is in ERROR`);
    return progressing(`${noun} ${o.id} is ${o.status}`, NEUTRON_POLL_MS);
  };
}

/**
 * A desired value with its own equality (normalised addresses, sets) where `!==` would see a
 * perpetual difference. changedFields and defined unwrap it.
 */
export class Compared {
  readonly value: unknown;
  readonly equals: (observed: unknown) => boolean;
  constructor(value: unknown, equals: (observed: unknown) => boolean) {
    this.value = value;
    this.equals = equals;
  }
}

/** `value` compared with `equals`; undefined (not set: left alone) stays undefined. */
export function compared<T>(value: T | undefined, equals: (desired: T, observed: unknown) => boolean): Compared | undefined {
  return value === undefined ? undefined : new Compared(value, (observed) => equals(value, observed));
}

/**
 * The Neutron fields whose desired value (set by the user; undefined = the cloud's default, left
 * alone) differs from the observed one. `fields` maps Neutron field -> desired value.
 */
export function changedFields(fields: Record<string, unknown>, observed: object): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const [field, desired] of Object.entries(fields)) {
    const seen = (observed as Record<string, unknown>)[field];
    if (desired instanceof Compared) {
      if (!desired.equals(seen)) patch[field] = desired.value;
    } else if (desired !== undefined && seen !== desired) patch[field] = desired;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Drops undefined values, so a create body carries only what the user set. */
export function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => [field, value instanceof Compared ? value.value : value]),
  );
}

/** status.resource fields every Neutron kind reports (src/api/neutron.ts observedCommon). */
export function standardSummary(o: NeutronStandardAttrs) {
  return {
    name: o.name,
    description: o.description,
    projectID: o.project_id,
    revisionNumber: o.revision_number,
    tags: [...(o.tags ?? [])].sort(),
    createdAt: o.created_at,
    updatedAt: o.updated_at,
  };
}

export const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export const sameSet = (a: readonly string[], b: readonly string[]): boolean => sameList([...a].sort(), [...b].sort());

/** An address as Neutron prints it (IPv6 lower-case and compressed), so spellings compare equal. */
export function canonicalIP(text: string): string {
  const ip = parseIP(text, false);
  return ip ? formatIP(ip) : text;
}

/**
 * A CIDR as Neutron stores it: host bits cleared (Neutron accepts 10.30.0.5/24 and keeps
 * 10.30.0.0/24) and the address canonical. Anything unparsable is returned as given.
 */
export function canonicalCIDR(text: string): string {
  const prefix = parseCIDR(text, false);
  return prefix ? formatPrefix(maskedPrefix(prefix)) : text;
}

/** A route of the CRDs (subnet host routes, router extra routes). */
export interface Route {
  destination: string;
  nextHop: string;
}

export const toNeutronRoutes = (routes: readonly Route[]): NeutronHostRoute[] => routes.map((r) => ({ destination: r.destination, nexthop: r.nextHop }));

export const fromNeutronRoutes = (routes: readonly NeutronHostRoute[] | undefined): Route[] | undefined =>
  routes?.map((r) => ({ destination: r.destination, nextHop: r.nexthop }));

const routeKey = (r: NeutronHostRoute): string => `${canonicalCIDR(r.destination)} ${canonicalIP(r.nexthop)}`;

/** Routes are sets: order and spelling do not matter. */
export function sameRoutes(desired: readonly NeutronHostRoute[], observed: unknown): boolean {
  return Array.isArray(observed) && sameSet(desired.map(routeKey), (observed as NeutronHostRoute[]).map(routeKey));
}

/** A fixed IP of the CRDs (ports, router gateways): a Subnet, an address, or both. */
export interface FixedIP {
  subnetRef?: { name: string };
  ipAddress?: string;
}

/** Fixed IPs as Neutron takes them; admission makes each name a subnet or an address (one with neither is not sent). */
export const toFixedIpRequests = (ips: readonly FixedIP[], refs: ResolvedRefs): NeutronFixedIpRequest[] =>
  ips.flatMap((ip): NeutronFixedIpRequest[] => {
    const address = ip.ipAddress === undefined ? {} : { ip_address: ip.ipAddress };
    if (ip.subnetRef) return [{ subnet_id: refs.id('Subnet', ip.subnetRef.name), ...address }];
    return ip.ipAddress === undefined ? [] : [{ ip_address: ip.ipAddress }];
  });
