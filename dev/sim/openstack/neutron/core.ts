// What every Neutron resource kind provides to the generic API layer, and the input converters they share.
import { formatCidr, parseCidr, parseIp } from '../ip.ts';
import type { AuthContext } from '../keystone.ts';
import { pyRepr } from '../nova/schema.ts';
import { httpBadRequest, overQuota, policyDenied, type NeutronError } from './errors.ts';
import type { NeutronState, Obj, QuotaKey, Standard } from './model.ts';

export type Caller = AuthContext;

/** Which answer a resource is rendered for: Neutron shows a few attributes in some answers only. */
export type View = 'create' | 'show' | 'update' | 'list';

/** One resource kind: its URL and JSON names, the attributes the API accepts, and its behaviour. */
export type ResourceDef<T extends Standard = Standard> = {
  /** URL segment, e.g. "security-groups". */
  path: string;
  /** JSON collection key, e.g. "security_groups". */
  collection: string;
  /** JSON member key, e.g. "security_group". */
  singular: string;
  quota?: QuotaKey;
  taggable: boolean;
  /** The name Neutron's policy rules use (`create_<name>`, ...); default `singular`. */
  policyName?: string;
  /** create, update and delete are `rule:admin_only` whoever owns the resource (QoS policies and rules). */
  adminWrites?: boolean;
  /** Sub-resources under `<path>/<id>/<segment>` (a QoS policy's rules), each a kind scoped to its parent's id. */
  children?: Record<string, (parentId: string) => ResourceDef>;
  /** Attributes it takes that Neutron neither filters nor sorts its lists by. */
  unlisted?: readonly string[];
  /** A sub-resource's look-up of its parent, before any list or show (Neutron answers the parent's 404 first). */
  within?: (caller: Caller) => void;
  store: Map<string, T>;
  notFound: (id: string) => NeutronError;
  /** Attributes accepted on POST / PUT; `readOnly` lists the rest, so "not allowed" differs from "unrecognized". */
  post: readonly string[];
  put: readonly string[];
  readOnly: readonly string[];
  required: readonly string[];
  /** Attributes only an admin may set (policy `<action>_<singular>:<attr>`). */
  adminOnly: readonly string[];
  /** Create-time defaults of adminOnly attributes: sending the default is not a policy violation. */
  defaults?: Obj;
  create: (caller: Caller, body: Obj) => T;
  update: (caller: Caller, rec: T, body: Obj) => void;
  remove: (caller: Caller, rec: T) => void;
  visible: (caller: Caller, rec: T) => boolean;
  render: (caller: Caller, rec: T, view: View) => Obj;
  /**
   * Whether a successful PUT with this body bumps revision_number (besides bumps the update makes itself).
   * Default: when it names any attribute, even with an unchanged value (Neutron writes the row).
   */
  bumpsOnUpdate?: (body: Obj) => boolean;
  /** Filters with their own semantics (e.g. ports' fixed_ips=subnet_id=X). */
  filters?: Record<string, (rendered: Obj, values: string[]) => boolean>;
};

export const owns = (caller: Caller, rec: { project_id: string }): boolean => caller.isAdmin || rec.project_id === caller.projectId;

const reason = (attr: string, why: string): NeutronError => httpBadRequest(`Invalid input for ${attr}. Reason: ${why}.`);
const repr = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

export function asString(attr: string, v: unknown, max = 255): string {
  if (typeof v !== 'string') throw reason(attr, `${repr(v)} is not a valid string`);
  if (v.length > max) throw reason(attr, `${repr(v)} exceeds maximum length of ${max}`);
  return v;
}

export function asBool(attr: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  if (v === 0 || v === 1) return v === 1;
  throw reason(attr, `${repr(v)} cannot be converted to boolean`);
}

export function asInt(attr: string, v: unknown): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw reason(attr, `${repr(v)} is not an integer`);
  return n;
}

export function asList(attr: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw reason(attr, `${repr(v)} is not a list`);
  return v;
}

export function asObj(attr: string, v: unknown): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw reason(attr, `${repr(v)} is not a dictionary`);
  return v as Obj;
}

/** neutron-lib's type:values validator, which names no values: "<v> is not in valid_values". */
export function oneOf<T extends string>(attr: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw reason(attr, `${typeof v === 'string' ? v : repr(v)} is not in valid_values`);
  }
  return v as T;
}

/** neutron-lib's validate_route_cidr: a network address with its prefix, not a host in it. */
function routeCidrProblem(text: string): string | undefined {
  const cidr = parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  const address = parseIp(text.split('/')[0] ?? '');
  if (!cidr || !address) return `'${text}' is not a valid CIDR`;
  if (!text.includes('/') || address.value !== cidr.network) return `'${text}' is not a recognized CIDR, '${formatCidr(cidr)}' is recommended`;
  return undefined;
}

/** A list of {destination, nexthop} as neutron-lib's validate_hostroutes takes it (subnets' host_routes, routers' routes). */
export function hostRouteList(attr: string, value: unknown): { destination: string; nexthop: string }[] {
  if (!Array.isArray(value)) throw reason(attr, `Invalid data format for hostroute: '${pyRepr(value)}'`);
  const routes: { destination: string; nexthop: string }[] = [];
  for (const item of value) {
    const o = item && typeof item === 'object' && !Array.isArray(item) ? (item as Obj) : undefined;
    if (!o || Object.keys(o).sort().join() !== 'destination,nexthop' || typeof o.destination !== 'string' || typeof o.nexthop !== 'string') {
      throw reason(attr, `Invalid data format for hostroute: '${pyRepr(item)}'`);
    }
    const problem = routeCidrProblem(o.destination) ?? (parseIp(o.nexthop) ? undefined : `'${o.nexthop}' is not a valid IP address`);
    if (problem) throw reason(attr, problem);
    if (routes.some((r) => r.destination === o.destination && r.nexthop === o.nexthop)) throw reason(attr, `Duplicate hostroute '${pyRepr(o)}'`);
    routes.push({ destination: o.destination, nexthop: o.nexthop });
  }
  return routes;
}

/** The project a new resource belongs to: the caller's, or (admin only) the one named in the body. */
export function projectOf(caller: Caller, body: Obj, action: string): string {
  const asked = body.project_id ?? body.tenant_id;
  if (asked === undefined || asked === caller.projectId) return caller.projectId;
  if (!caller.isAdmin) throw policyDenied(action);
  return asString('project_id', asked);
}

export function checkQuota(state: NeutronState, projectId: string, key: QuotaKey, adding = 1): void {
  const limit = state.quotaFor(projectId, key);
  if (limit >= 0 && state.countOwned(projectId, key) + adding > limit) throw overQuota(key);
}

/** Reads an optional attribute through a converter, keeping the default when absent. */
export function opt<T>(body: Obj, attr: string, convert: (attr: string, v: unknown) => T, fallback: T): T {
  return body[attr] === undefined ? fallback : convert(attr, body[attr]);
}
