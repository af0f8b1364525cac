// Neutron v2.0 over HTTP: routing, auth, the generic CRUD/list/tags behaviour every resource shares,
// extensions, quotas and version discovery.
import { json, noContent, webobError, type RoutedRequest, type SimRequest, type SimResponse } from '../http.ts';
import { unauthorized, type AuthContext } from '../keystone.ts';
import { owns, type Caller, type ResourceDef } from './core.ts';
import { attributeCheck, badRequest, httpBadRequest, NeutronError, policyDenied } from './errors.ts';
import { floatingIps } from './floating-ips.ts';
import { NeutronState, type Obj, type QuotaKey, type Standard } from './model.ts';
import { networks } from './networks.ts';
import { ports } from './ports.ts';
import { addRouterInterface, removeRouterInterface, routers } from './routers.ts';
import { ensureDefaultSecurityGroup, securityGroupRules, securityGroups } from './security-groups.ts';
import { qosPolicies, ruleAlias, ruleTypes } from './qos.ts';
import { subnets } from './subnets.ts';
import { extensions } from './extensions.ts';

export type NeutronOptions = {
  /** Newer Neutron (tag-creation extension) accepts `tags` in POST bodies; Zed answers 400. */
  tagsOnCreate: boolean;
  now: () => number;
  /** Draws in [0, 1) for address allocation. */
  random: () => number;
  defaultQuotas?: Partial<Record<QuotaKey, number>>;
  authenticate: (token: string | undefined) => AuthContext | undefined;
};

const PAGING_AND_TAG_PARAMS = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir', 'tags', 'tags-any', 'not-tags', 'not-tags-any']);
const STANDARD_ATTRS = ['id', 'project_id', 'tenant_id', 'description', 'created_at', 'updated_at', 'revision_number'];
/** Zed's MAX_TAG_LEN (neutron/extensions/tagging.py); older Neutron took 60. */
const MAX_TAG_LENGTH = 255;

type AnyDef = ResourceDef<Standard & { tags?: string[] }>;

export class Neutron {
  readonly state: NeutronState;
  readonly resources: AnyDef[];
  private readonly opts: NeutronOptions;

  constructor(opts: NeutronOptions) {
    this.opts = opts;
    this.state = new NeutronState(opts.now, opts.random, opts.defaultQuotas);
    this.resources = [networks, subnets, routers, ports, securityGroups, securityGroupRules, floatingIps, qosPolicies].map((make) => make(this.state) as unknown as AnyDef);
  }

  /** Routes a request whose path is relative to the network endpoint (e.g. "/v2.0/networks"). */
  route(req: SimRequest, mount: string): RoutedRequest {
    const r = (operation: string, run: () => SimResponse, anonymous = false): RoutedRequest => ({
      service: 'network',
      operation,
      run: () => this.guard(req, anonymous, run),
    });
    const parts = req.path.split('/').filter(Boolean).map(decodeSegment);
    const m = req.method;
    if (parts.length === 0 && m === 'GET') return r('versions', () => json(200, { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${req.origin}${mount}/v2.0/`, rel: 'self' }] }] }), true);
    if (parts[0] !== 'v2.0') return r('unknown', () => { throw notFound(); }, true);
    // QoS kinds live under /v2.0/qos/ ("qos/policies", "qos/rule-types").
    const [first, id, sub, tag] = parts[1] === 'qos' && parts.length > 2 ? [`qos/${parts[2]}`, ...parts.slice(3)] : parts.slice(1);
    if (first === undefined && m === 'GET') return r('resources.list', () => json(200, { resources: this.resources.map((d) => ({ links: [{ href: `${req.origin}${mount}/v2.0/${d.path}`, rel: 'self' }], name: d.singular, collection: d.collection })) }));
    if (first === 'extensions' && m === 'GET') return r(id ? 'extensions.show' : 'extensions.list', () => this.extensions(id, req.headers.accept));
    if (first === 'quotas' && id !== undefined && ['GET', 'PUT', 'DELETE'].includes(m) && (sub === undefined || (sub === 'details' && m === 'GET'))) {
      const verb = sub === 'details' ? 'details' : m === 'GET' ? 'show' : m === 'PUT' ? 'update' : 'reset';
      return r(`quotas.${verb}`, () => this.quota(this.caller(req), req, id, sub === 'details'));
    }
    if (first === 'qos/rule-types' && sub === undefined && m === 'GET') return r(id ? 'rule_types.show' : 'rule_types.list', () => ruleTypes(this.caller(req), id, req.query));
    const alias = first?.startsWith('qos/') && id !== undefined && sub === undefined && m !== 'POST' ? ruleAlias(this.state, first.slice('qos/'.length), id) : undefined;
    if (alias) return this.crud(r, alias as AnyDef, id, req, mount) ?? r('unknown', () => { throw notFound(); }, true);
    // Neutron's tags API names a QoS policy by its collection alone (/v2.0/policies/{id}/tags); a bulk
    // replace under /qos/ is refused (Zed), a single tag there is served.
    if (first === 'qos/policies' && id !== undefined && sub === 'tags' && tag === undefined && m === 'PUT') {
      return r('policies.tags.replace', () => { throw new NeutronError(400, 'InvalidInput', 'Invalid input for operation: Invalid tags body.'); });
    }
    const def = this.resources.find((d) => d.path === (first === 'policies' && sub === 'tags' ? 'qos/policies' : first));
    if (!def) return r('unknown', () => { throw notFound(); }, true);
    const child = sub === undefined || id === undefined ? undefined : def.children?.[sub]?.(id);
    const crud = child ? this.crud(r, child as AnyDef, tag, req, mount) : sub === undefined ? this.crud(r, def, id, req, mount) : undefined;
    if (crud) return crud;
    const op = (verb: string, run: (caller: Caller) => SimResponse): RoutedRequest => r(`${def.collection}.${verb}`, () => run(this.caller(req)));
    if (id !== undefined && def.path === 'routers' && tag === undefined && m === 'PUT' && (sub === 'add_router_interface' || sub === 'remove_router_interface')) {
      return op(sub, (c) => {
        const router = this.owned(c, def, id) as unknown as Parameters<typeof addRouterInterface>[2];
        const body = parseBody(req);
        return json(200, (sub === 'add_router_interface' ? addRouterInterface : removeRouterInterface)(this.state, c, router, body));
      });
    }
    if (id !== undefined && sub === 'tags' && def.taggable) return this.routeTags(op, def, m, id, tag, req);
    return r('unknown', () => { throw notFound(); }, true);
  }

  /** The collection (no id) or member operations of one kind, or undefined for a method it does not take. */
  private crud(r: (operation: string, run: () => SimResponse) => RoutedRequest, def: AnyDef, id: string | undefined, req: SimRequest, mount: string): RoutedRequest | undefined {
    const op = (verb: string, run: (caller: Caller) => SimResponse): RoutedRequest => r(`${def.collection}.${verb}`, () => run(this.caller(req)));
    const m = req.method;
    if (id === undefined) {
      if (m === 'GET') return op('list', (c) => this.list(c, def, req, mount));
      if (m === 'POST') return op('create', (c) => this.create(c, def, req));
      return undefined;
    }
    if (m === 'GET') return op('show', (c) => json(200, { [def.singular]: pick(def.render(c, this.find(c, def, id), 'show'), req.query.getAll('fields')) }));
    if (m === 'PUT') return op('update', (c) => this.update(c, def, id, req));
    if (m === 'DELETE') return op('delete', (c) => this.remove(c, def, id, req));
    return undefined;
  }

  private guard(req: SimRequest, anonymous: boolean, run: () => SimResponse): SimResponse {
    if (!anonymous && !this.opts.authenticate(req.headers['x-auth-token'])) {
      return { ...unauthorized(), headers: { 'WWW-Authenticate': `Keystone uri="${req.origin}/v3"` } };
    }
    try {
      return run();
    } catch (err) {
      if (err instanceof NeutronError) return json(err.status, err.body);
      throw err;
    }
  }

  private caller(req: SimRequest): Caller {
    const caller = this.opts.authenticate(req.headers['x-auth-token']);
    if (!caller) throw new NeutronError(401, 'HTTPUnauthorized', 'The request you have made requires authentication.');
    return caller;
  }

  private find(caller: Caller, def: AnyDef, id: string): Standard & { tags?: string[] } {
    def.within?.(caller);
    const rec = def.store.get(id);
    if (!rec || !def.visible(caller, rec)) throw def.notFound(id);
    return rec;
  }

  /** A resource the caller may change: visible but foreign resources answer 403, as Neutron's policy does. */
  private owned(caller: Caller, def: AnyDef, id: string, action = `update_${policyName(def)}`): Standard & { tags?: string[] } {
    const rec = this.find(caller, def, id);
    if (!owns(caller, rec) || (def.adminWrites && !caller.isAdmin)) throw policyDenied(action);
    return rec;
  }

  private checkRevision(req: SimRequest, rec: Standard): void {
    const header = req.headers['if-match'];
    if (!header) return;
    const etag = header.split(',').map((e) => e.trim().replace(/^W\//, '').replace(/^"|"$/g, '')).find((e) => e.startsWith('revision_number='));
    if (etag === undefined) return;
    const text = etag.slice('revision_number='.length);
    if (!/^\d+$/.test(text)) throw badRequest('if-match', 'Revision number etag must be in the format of revision_number=<int>');
    const wanted = Number(text);
    if (wanted !== rec.revision_number) {
      throw new NeutronError(412, 'RevisionNumberConstraintFailed', `Constrained to ${wanted}, but current revision is ${rec.revision_number}`);
    }
  }

  private memberBody(def: AnyDef, req: SimRequest): Obj {
    const body = parseBody(req);
    const member = body[def.singular];
    if (!member || typeof member !== 'object' || Array.isArray(member)) throw httpBadRequest('Resource body required');
    return member as Obj;
  }

  /** Neutron's attribute checks: not-allowed before required before unrecognized. */
  private checkAttributes(caller: Caller, def: AnyDef, body: Obj, creating: boolean): void {
    const allowed = new Set(creating ? def.post : def.put);
    const known = new Set([...def.post, ...def.put, ...def.readOnly, ...STANDARD_ATTRS]);
    const tagsAllowed = creating && this.opts.tagsOnCreate && def.taggable;
    for (const key of Object.keys(body)) {
      if (key === 'tags' && tagsAllowed) continue;
      if (known.has(key) && !allowed.has(key)) {
        throw httpBadRequest(creating ? `Attribute '${key}' not allowed in POST` : `Cannot update read-only attribute ${key}`);
      }
    }
    if (creating) for (const key of def.required) if (body[key] === undefined) throw httpBadRequest(`Failed to parse request. Required attribute '${key}' not specified`);
    const unknown = Object.keys(body).filter((k) => !known.has(k) && !(k === 'tags' && tagsAllowed));
    if (unknown.length > 0) throw httpBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const action = `${creating ? 'create' : 'update'}_${policyName(def)}`;
    if (caller.isAdmin) return;
    // On create, Neutron only enforces an attribute's policy when the value differs from its default.
    const enforced = def.adminOnly.filter((key) => body[key] !== undefined && !(creating && key in (def.defaults ?? {}) && JSON.stringify(body[key]) === JSON.stringify(def.defaults?.[key])));
    if (enforced.length > 0) throw policyDenied(action, enforced.map((key) => attributeCheck(action, key)));
  }

  private create(caller: Caller, def: AnyDef, req: SimRequest): SimResponse {
    const body = this.memberBody(def, req);
    this.checkAttributes(caller, def, body, true);
    if (def.adminWrites && !caller.isAdmin) throw policyDenied(`create_${policyName(def)}`);
    const tags = body.tags === undefined ? undefined : tagList(body.tags);
    const rec = def.create(caller, body);
    if (tags) rec.tags = tags;
    return json(201, { [def.singular]: def.render(caller, rec, 'create') });
  }

  private update(caller: Caller, def: AnyDef, id: string, req: SimRequest): SimResponse {
    const rec = this.owned(caller, def, id);
    const body = this.memberBody(def, req);
    this.checkRevision(req, rec);
    this.checkAttributes(caller, def, body, false);
    // A refused update leaves the resource as it was (Neutron updates in one transaction).
    const before = structuredClone(rec);
    try {
      def.update(caller, rec, body);
    } catch (err) {
      Object.assign(rec, before);
      throw err;
    }
    if (def.bumpsOnUpdate ? def.bumpsOnUpdate(body) : Object.keys(body).length > 0) this.state.bump(rec);
    return json(200, { [def.singular]: def.render(caller, rec, 'update') });
  }

  private remove(caller: Caller, def: AnyDef, id: string, req: SimRequest): SimResponse {
    const rec = this.owned(caller, def, id, `delete_${policyName(def)}`);
    this.checkRevision(req, rec);
    def.remove(caller, rec);
    return noContent();
  }

  private list(caller: Caller, def: AnyDef, req: SimRequest, mount: string): SimResponse {
    const q = req.query;
    const known = new Set([...def.post, ...def.put, ...def.readOnly, ...STANDARD_ATTRS, ...Object.keys(def.filters ?? {})].filter((k) => !def.unlisted?.includes(k)));
    const filterKeys = [...new Set(q.keys())].filter((k) => !PAGING_AND_TAG_PARAMS.has(k));
    const invalid = filterKeys.filter((k) => !known.has(k));
    if (invalid.length > 0) throw httpBadRequest(`[${invalid.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering`);
    def.within?.(caller);
    if (def.path === 'security-groups') ensureDefaultSecurityGroup(this.state, caller.projectId);

    const tagsOf = (name: string): string[] => q.getAll(name).flatMap((v) => v.split(',')).filter(Boolean);
    const [all, any, notAll, notAny] = ['tags', 'tags-any', 'not-tags', 'not-tags-any'].map(tagsOf) as [string[], string[], string[], string[]];
    let views = [...def.store.values()]
      .filter((rec) => def.visible(caller, rec))
      .map((rec) => def.render(caller, rec, 'list'))
      .filter((view) => {
        const tags = (view.tags as string[] | undefined) ?? [];
        if (all.length && !all.every((t) => tags.includes(t))) return false;
        if (any.length && !any.some((t) => tags.includes(t))) return false;
        if (notAll.length && notAll.every((t) => tags.includes(t))) return false;
        if (notAny.length && notAny.some((t) => tags.includes(t))) return false;
        return filterKeys.every((key) => {
          const values = q.getAll(key);
          const custom = def.filters?.[key];
          return custom ? custom(view, values) : values.some((v) => valueMatches(view[key], v));
        });
      });

    const sortKeys = q.getAll('sort_key').filter(Boolean);
    const sortDirs = q.getAll('sort_dir').filter(Boolean);
    if (sortKeys.length !== sortDirs.length) throw httpBadRequest('The number of sort_keys and sort_dirs must be same');
    const badKeys = sortKeys.filter((k) => !known.has(k));
    if (badKeys.length > 0) throw httpBadRequest(`[${badKeys.map((k) => `'${k}'`).join(', ')}] is invalid attribute for sort_keys`);
    const badDirs = sortDirs.filter((d) => d !== 'asc' && d !== 'desc');
    if (badDirs.length > 0) throw httpBadRequest(`[${badDirs.map((d) => `'${d}'`).join(', ')}] is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
    const pageReverse = (q.get('page_reverse') ?? '').toLowerCase() === 'true';
    const keys = [...sortKeys.map((k, i) => ({ k, desc: sortDirs[i] === 'desc' })), { k: 'id', desc: false }];
    views.sort((a, b) => {
      for (const { k, desc } of keys) {
        const c = compare(a[k], b[k]);
        if (c !== 0) return (desc !== pageReverse ? -1 : 1) * c;
      }
      return 0;
    });

    const limitText = q.get('limit');
    const limit = limitText === null ? 0 : Number(limitText);
    if (limitText !== null && (!/^\d+$/.test(limitText) || !Number.isSafeInteger(limit))) throw badRequest('limit', `Limit must be an integer 0 or greater and not '${limitText}'`);
    const marker = q.get('marker');
    const out: Obj = {};
    if (limit > 0) {
      if (marker !== null) {
        const at = views.findIndex((v) => v.id === marker);
        if (at < 0) throw def.notFound(marker);
        views = views.slice(at + 1);
      }
      views = views.slice(0, limit);
      if (pageReverse) views.reverse();
      const links = paginationLinks(req, mount, views, limit, pageReverse);
      if (links.length) out[`${def.collection}_links`] = links;
    }
    const fields = q.getAll('fields');
    out[def.collection] = views.map((v) => pick(v, fields));
    return json(200, orderKeys(out, def.collection));
  }

  private routeTags(op: (verb: string, run: (caller: Caller) => SimResponse) => RoutedRequest, def: AnyDef, m: string, id: string, tag: string | undefined, req: SimRequest): RoutedRequest {
    // Zed's tag API asks only that the caller sees the resource: a member tags the admin's external
    // network (tag policies of their own came with 2023.2).
    const tagged = (c: Caller): Standard & { tags: string[] } => {
      const rec = def.store.get(id);
      if (!rec || !def.visible(c, rec)) throw new NeutronError(404, 'TagResourceNotFound', `Resource ${def.collection} ${id} could not be found.`);
      rec.tags ??= [];
      return rec as Standard & { tags: string[] };
    };
    const tagNotFound = (t: string): NeutronError => new NeutronError(404, 'TagNotFound', `Tag ${t} could not be found.`);
    if (tag === undefined) {
      if (m === 'GET') return op('tags.list', (c) => json(200, { tags: tagged(c).tags }));
      if (m === 'PUT') return op('tags.replace', (c) => {
        const rec = tagged(c);
        const body = parseBody(req);
        const tags = tagList(body.tags);
        if (JSON.stringify(tags) !== JSON.stringify(rec.tags)) {
          rec.tags = tags;
          this.state.bump(rec);
        }
        return json(200, { tags: rec.tags });
      });
      if (m === 'DELETE') return op('tags.clear', (c) => {
        const rec = tagged(c);
        if (rec.tags.length) {
          rec.tags = [];
          this.state.bump(rec);
        }
        return noContent();
      });
    } else {
      if (m === 'GET') return op('tags.check', (c) => {
        if (!tagged(c).tags.includes(tag)) throw tagNotFound(tag);
        return noContent();
      });
      if (m === 'PUT') return op('tags.add', (c) => {
        const rec = tagged(c);
        const [checked] = tagList([tag]);
        if (checked !== undefined && !rec.tags.includes(checked)) {
          rec.tags.push(checked);
          this.state.bump(rec);
        }
        return json(201, null);
      });
      if (m === 'DELETE') return op('tags.remove', (c) => {
        const rec = tagged(c);
        if (!rec.tags.includes(tag)) throw tagNotFound(tag);
        rec.tags = rec.tags.filter((t) => t !== tag);
        this.state.bump(rec);
        return noContent();
      });
    }
    return op('unknown', () => { throw notFound(); });
  }

  private extensions(alias: string | undefined, accept: string | undefined): SimResponse {
    const list = extensions(this.opts.tagsOnCreate);
    if (alias === undefined) return json(200, { extensions: list });
    const ext = list.find((e) => e.alias === alias);
    // Answered by webob, not by Neutron's fault wrapper: its own error page.
    if (!ext) return webobError(accept, 404, 'Not Found', 'The resource could not be found.', `Extension with alias ${alias} does not exist`);
    return json(200, { extension: ext });
  }

  private quota(caller: Caller, req: SimRequest, projectId: string, details: boolean): SimResponse {
    const keys = Object.keys(this.state.defaultQuotas) as QuotaKey[];
    const limits = (): Obj => Object.fromEntries(keys.map((k) => [k, this.state.quotaFor(projectId, k)]));
    const m = req.method;
    if (!caller.isAdmin && (m !== 'GET' || projectId !== caller.projectId)) throw policyDenied(m === 'GET' ? 'get_quota' : m === 'PUT' ? 'update_quota' : 'delete_quota');
    if (details && m === 'GET') {
      return json(200, { quota: Object.fromEntries(keys.map((k) => [k, { limit: this.state.quotaFor(projectId, k), used: this.state.countOwned(projectId, k), reserved: 0 }])) });
    }
    if (m === 'GET') return json(200, { quota: limits() });
    if (m === 'DELETE') {
      this.state.quotas.delete(projectId);
      return noContent();
    }
    const body = parseBody(req).quota;
    if (!body || typeof body !== 'object') throw httpBadRequest('Resource body required');
    const current = this.state.quotas.get(projectId) ?? {};
    for (const [k, v] of Object.entries(body as Obj)) {
      if (!keys.includes(k as QuotaKey)) throw httpBadRequest(`Unrecognized attribute(s) '${k}'`);
      current[k as QuotaKey] = Number(v);
    }
    this.state.quotas.set(projectId, current);
    return json(200, { quota: limits() });
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const policyName = (def: AnyDef): string => def.policyName ?? def.singular;

const notFound = (): NeutronError => new NeutronError(404, 'HTTPNotFound', 'The resource could not be found.');

function parseBody(req: SimRequest): Obj {
  try {
    const body: unknown = JSON.parse(req.rawBody);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Obj;
  } catch {
    // falls through to Neutron's answer for unparsable bodies
  }
  throw httpBadRequest('Body contains invalid data');
}

/** A tag list as Neutron validates it: strings of at most MAX_TAG_LENGTH characters (commas allowed), no duplicates. */
function tagList(value: unknown): string[] {
  if (!Array.isArray(value)) throw httpBadRequest(`Invalid input for tags. Reason: ${JSON.stringify(value)} is not a list.`);
  for (const t of value) {
    if (typeof t !== 'string') throw httpBadRequest(`Invalid input for tags. Reason: ${JSON.stringify(t)} is not a valid string.`);
    if (t.length > MAX_TAG_LENGTH) throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: '${t}' exceeds maximum length of ${MAX_TAG_LENGTH}.`);
  }
  const tags = value as string[];
  const duplicates = [...new Set(tags.filter((t, i) => tags.indexOf(t) !== i))];
  if (duplicates.length > 0) throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: Duplicate items in the list: '${duplicates.join(', ')}'.`);
  return [...tags];
}

function valueMatches(value: unknown, wanted: string): boolean {
  if (value === null || value === undefined) return wanted === '' || wanted === 'None';
  if (typeof value === 'boolean') return wanted.toLowerCase() === String(value);
  if (typeof value === 'number') return Number(wanted) === value;
  if (Array.isArray(value)) return value.some((v) => typeof v === 'string' && v === wanted);
  return String(value) === wanted;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a === null || a === undefined ? '' : String(a);
  const y = b === null || b === undefined ? '' : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function pick(view: Obj, fields: string[]): Obj {
  if (fields.length === 0) return view;
  return Object.fromEntries(fields.filter((f) => f in view).map((f) => [f, view[f]]));
}

function orderKeys(out: Obj, collection: string): Obj {
  const { [collection]: items, ...rest } = out;
  return { [collection]: items, ...rest };
}

/** Neutron's native pagination links (neutron/api/api_common.py): a "next" unless a short forward page,
 * a "previous" unless a short reverse page. */
function paginationLinks(req: SimRequest, mount: string, items: Obj[], limit: number, pageReverse: boolean): { rel: string; href: string }[] {
  const base = `${req.origin}${mount}${req.path.replace(/\/+$/, '')}`;
  const href = (marker: unknown, reverse: boolean): string => {
    const params = new URLSearchParams(req.query);
    params.delete('marker');
    params.delete('page_reverse');
    if (marker !== undefined) params.set('marker', String(marker));
    if (reverse) params.set('page_reverse', 'True');
    return `${base}?${params.toString()}`;
  };
  const links: { rel: string; href: string }[] = [];
  if (!(items.length < limit && !pageReverse)) links.push({ rel: 'next', href: href(items.at(-1)?.id, false) });
  if (!(items.length < limit && pageReverse)) links.push({ rel: 'previous', href: href(items[0]?.id, true) });
  return links;
}
