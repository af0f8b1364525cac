import { CloudError, isCloudError } from '../errors.ts';
import type { QueryValue } from '../http.ts';
import { isTagsNotAllowedInPost } from './errors.ts';
import { listAllPages } from './paging.ts';
import type { OpenStackSession } from './session.ts';
import type {
  NeutronBody,
  NeutronExtension,
  NeutronFloatingIp,
  NeutronHostRoute,
  NeutronNetwork,
  NeutronPort,
  NeutronPortBody,
  NeutronQosPolicy,
  NeutronQosRule,
  NeutronRouter,
  NeutronRouterBody,
  NeutronRouterInterface,
  NeutronSecurityGroup,
  NeutronSecurityGroupRule,
  NeutronSubnet,
} from './types.ts';

/** How a Neutron collection is addressed: URL path, JSON keys, and the name metrics use. */
export interface ResourceDef {
  /** URL segment, e.g. `security-groups`. */
  path: string;
  /** Body key of one object, e.g. `security_group`. */
  singular: string;
  /** Body key of a list, e.g. `security_groups`. */
  plural: string;
  /** Operation-label stem, e.g. `SecurityGroup` (listSecurityGroups, createSecurityGroup). */
  label: string;
  /** URL segment of the tags API where it is not `path`. */
  tagsPath?: string;
}

export interface ListOptions {
  /** Attribute filters (`name`, `network_id`, `router:external`...); arrays match any value. */
  filters?: Record<string, QueryValue>;
  /** All of these tags. */
  tags?: readonly string[];
  /** Any of these tags. */
  tagsAny?: readonly string[];
  notTags?: readonly string[];
  notTagsAny?: readonly string[];
  /** Page size sent as `limit`; every page is fetched regardless. */
  pageSize?: number;
  signal?: AbortSignal;
}

const DEFAULT_PAGE_SIZE = 500;
/** Neutron's alias for accepting `tags` in POST bodies (added after Zed). */
export const TAG_CREATION_EXTENSION = 'tag-creation';

function joined(values: readonly string[] | undefined): string | undefined {
  return values === undefined || values.length === 0 ? undefined : values.join(',');
}

/** What the collections need from their Neutron: the session and the tags-on-create knowledge. */
interface NeutronContext {
  session: OpenStackSession;
  tagsOnCreate(signal?: AbortSignal): Promise<boolean>;
  tagsRejectedOnCreate(): void;
}

/**
 * CRUD, list and tags for one Neutron resource collection; every resource uses this one helper.
 * T: the object as answered; B: a create or update body (`tags` on create are applied whether or
 * not the cloud takes them in POST).
 */
export class NeutronCollection<T extends { id: string }, B extends Record<string, unknown> = NeutronBody<T>> {
  readonly def: ResourceDef;
  readonly #ctx: NeutronContext;

  constructor(ctx: NeutronContext, def: ResourceDef) {
    this.#ctx = ctx;
    this.def = def;
  }

  list(options: ListOptions = {}): Promise<T[]> {
    const { plural, path, label } = this.def;
    return listAllPages<T>(this.#ctx.session, {
      service: 'network',
      path,
      key: plural,
      operation: `list${label}s`,
      query: {
        ...options.filters,
        tags: joined(options.tags),
        'tags-any': joined(options.tagsAny),
        'not-tags': joined(options.notTags),
        'not-tags-any': joined(options.notTagsAny),
      },
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      signal: options.signal,
    });
  }

  /** The object, or undefined when Neutron answers 404. */
  async get(id: string, signal?: AbortSignal): Promise<T | undefined> {
    try {
      const response = await this.#request('GET', `get${this.def.label}`, this.#itemPath(id), { signal });
      return response[this.def.singular] as T;
    } catch (err) {
      if (isCloudError(err, 'notFound')) return undefined;
      throw err;
    }
  }

  /**
   * Creates the object with its tags: in the POST where the cloud accepts that (so a lost
   * response still leaves a tagged, findable object), else by a tags PUT right after.
   */
  async create(body: Omit<B, 'tags'> & { tags?: readonly string[] }, signal?: AbortSignal): Promise<T> {
    const { tags, ...rest } = body;
    if (tags !== undefined && tags.length > 0 && (await this.#ctx.tagsOnCreate(signal))) {
      try {
        return await this.#post({ ...rest, tags }, signal);
      } catch (err) {
        if (!isTagsNotAllowedInPost(err)) throw err;
        this.#ctx.tagsRejectedOnCreate();
      }
    }
    const created = await this.#post(rest, signal);
    if (tags === undefined || tags.length === 0) return created;
    try {
      return await this.retag(created, tags, signal);
    } catch (err) {
      if (!(err instanceof CloudError)) throw err;
      throw new CloudError({
        ...err,
        message: `${this.def.singular} ${created.id} was created but tagging it failed: ${err.message}`,
        createdId: created.id,
      });
    }
  }

  /** Sends only `patch`; with `revisionNumber`, Neutron refuses (412) if the object changed since. */
  async update(id: string, patch: B, revisionNumber?: number, signal?: AbortSignal): Promise<T> {
    const headers = revisionNumber === undefined ? undefined : { 'if-match': `revision_number=${revisionNumber}` };
    const response = await this.#request('PUT', `update${this.def.label}`, this.#itemPath(id), {
      json: { [this.def.singular]: patch },
      headers,
      signal,
    });
    return response[this.def.singular] as T;
  }

  /** Deletes the object; an object already gone (404) counts as deleted. */
  async delete(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#request('DELETE', `delete${this.def.label}`, this.#itemPath(id), { signal });
    } catch (err) {
      if (!isCloudError(err, 'notFound')) throw err;
    }
  }

  /**
   * Replaces the tags of `observed`; returns it as Neutron now holds it: a change of tags adds one
   * to revision_number (checked on Zed), so a conditional update may follow without a read.
   */
  async retag<O extends T>(observed: O, tags: readonly string[], signal?: AbortSignal): Promise<O> {
    const revision = (observed as { revision_number?: unknown }).revision_number;
    const now = await this.replaceTags(observed.id, tags, signal);
    return { ...observed, tags: now, ...(typeof revision === 'number' ? { revision_number: revision + 1 } : {}) };
  }

  /** Replaces all tags; returns the tags Neutron now holds. */
  async replaceTags(id: string, tags: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const response = await this.#request('PUT', `replace${this.def.label}Tags`, this.#tagsPath(id), {
      json: { tags },
      signal,
    });
    return (response.tags as string[] | undefined) ?? [...tags];
  }

  async addTag(id: string, tag: string, signal?: AbortSignal): Promise<void> {
    await this.#request('PUT', `add${this.def.label}Tag`, this.#tagPath(id, tag), { signal });
  }

  /** Removes one tag; a tag that is not there counts as removed. */
  async removeTag(id: string, tag: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#request('DELETE', `remove${this.def.label}Tag`, this.#tagPath(id, tag), { signal });
    } catch (err) {
      if (!isCloudError(err, 'notFound')) throw err;
    }
  }

  /** A PUT to a member action such as `add_router_interface`. */
  async action(id: string, action: string, operation: string, json: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.#request('PUT', operation, `${this.#itemPath(id)}/${action}`, { json, signal });
  }

  async #post(body: Record<string, unknown>, signal: AbortSignal | undefined): Promise<T> {
    const response = await this.#request('POST', `create${this.def.label}`, this.def.path, {
      json: { [this.def.singular]: body },
      signal,
    });
    return response[this.def.singular] as T;
  }

  #itemPath(id: string): string {
    return `${this.def.path}/${encodeURIComponent(id)}`;
  }

  #tagsPath(id: string): string {
    return `${this.def.tagsPath ?? this.def.path}/${encodeURIComponent(id)}/tags`;
  }

  #tagPath(id: string, tag: string): string {
    return `${this.#tagsPath(id)}/${encodeURIComponent(tag)}`;
  }

  async #request(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    operation: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<Record<string, unknown>> {
    const response = await this.#ctx.session.request<Record<string, unknown> | undefined>('network', {
      method,
      path,
      operation,
      json: options.json,
      headers: options.headers,
      signal: options.signal,
    });
    return response.body ?? {};
  }
}

export type RouterInterfaceTarget = { subnet_id: string } | { port_id: string };

/** Neutron v2.0 for one ProviderConfig. */
export class Neutron implements NeutronContext {
  readonly session: OpenStackSession;
  readonly networks: NeutronCollection<NeutronNetwork>;
  readonly subnets: NeutronCollection<NeutronSubnet>;
  readonly routers: NeutronCollection<NeutronRouter, NeutronRouterBody>;
  readonly ports: NeutronCollection<NeutronPort, NeutronPortBody>;
  readonly securityGroups: NeutronCollection<NeutronSecurityGroup>;
  readonly securityGroupRules: NeutronCollection<NeutronSecurityGroupRule>;
  readonly floatingIps: NeutronCollection<NeutronFloatingIp>;
  readonly qosPolicies: NeutronCollection<NeutronQosPolicy>;
  #extensions: Promise<Set<string>> | undefined;
  /** Learned from a 400 "Attribute 'tags' not allowed in POST"; wins over the extension list. */
  #tagsRejected = false;

  constructor(session: OpenStackSession) {
    this.session = session;
    const collection = <T extends { id: string }, B extends Record<string, unknown> = NeutronBody<T>>(def: ResourceDef) =>
      new NeutronCollection<T, B>(this, def);
    this.networks = collection({ path: 'networks', singular: 'network', plural: 'networks', label: 'Network' });
    this.subnets = collection({ path: 'subnets', singular: 'subnet', plural: 'subnets', label: 'Subnet' });
    this.routers = collection({ path: 'routers', singular: 'router', plural: 'routers', label: 'Router' });
    this.ports = collection({ path: 'ports', singular: 'port', plural: 'ports', label: 'Port' });
    this.securityGroups = collection({
      path: 'security-groups',
      singular: 'security_group',
      plural: 'security_groups',
      label: 'SecurityGroup',
    });
    this.securityGroupRules = collection({
      path: 'security-group-rules',
      singular: 'security_group_rule',
      plural: 'security_group_rules',
      label: 'SecurityGroupRule',
    });
    this.floatingIps = collection({ path: 'floatingips', singular: 'floatingip', plural: 'floatingips', label: 'FloatingIp' });
    // Neutron's tags API names QoS policies by their collection alone: PUT /qos/policies/{id}/tags
    // is refused (400 "Invalid tags body", Zed), /policies/{id}/tags is served.
    this.qosPolicies = collection({ path: 'qos/policies', singular: 'policy', plural: 'policies', label: 'QosPolicy', tagsPath: 'policies' });
  }

  /**
   * The rules of one type of a QoS policy: sub-resources at /qos/policies/{id}/{type}_rules, one
   * collection per policy (`type` may be one the operator does not manage, to delete it).
   */
  qosRules(policyId: string, type: string): NeutronCollection<NeutronQosRule> {
    const label = type.replace(/(^|_)([a-z])/g, (_, __: string, letter: string) => letter.toUpperCase());
    return new NeutronCollection(this, {
      path: `qos/policies/${encodeURIComponent(policyId)}/${type}_rules`,
      singular: `${type}_rule`,
      plural: `${type}_rules`,
      label: `Qos${label}Rule`,
    });
  }

  /** Extension aliases the cloud advertises, fetched once (a failed fetch is retried next time). */
  extensions(signal?: AbortSignal): Promise<Set<string>> {
    this.#extensions ??= this.session
      .request<{ extensions?: NeutronExtension[] }>('network', {
        method: 'GET',
        path: 'extensions',
        operation: 'listExtensions',
        signal,
      })
      .then((response) => new Set((response.body?.extensions ?? []).map((extension) => extension.alias)))
      .catch((err: unknown) => {
        this.#extensions = undefined;
        throw err;
      });
    return this.#extensions;
  }

  async tagsOnCreate(signal?: AbortSignal): Promise<boolean> {
    if (this.#tagsRejected) return false;
    try {
      return (await this.extensions(signal)).has(TAG_CREATION_EXTENSION);
    } catch (err) {
      if (signal?.aborted) throw err;
      // Unknown: try tags in the POST and learn from a 400.
      return true;
    }
  }

  tagsRejectedOnCreate(): void {
    this.#tagsRejected = true;
  }

  async addRouterInterface(routerId: string, target: RouterInterfaceTarget, signal?: AbortSignal): Promise<NeutronRouterInterface> {
    const body = await this.routers.action(routerId, 'add_router_interface', 'addRouterInterface', target, signal);
    return body as unknown as NeutronRouterInterface;
  }

  /** Detaches an interface; one already gone (404) counts as removed. */
  async removeRouterInterface(routerId: string, target: RouterInterfaceTarget, signal?: AbortSignal): Promise<void> {
    try {
      await this.routers.action(routerId, 'remove_router_interface', 'removeRouterInterface', target, signal);
    } catch (err) {
      if (!isCloudError(err, 'notFound')) throw err;
    }
  }

  /** Adds routes atomically (extension extraroute-atomic) without touching the others. */
  async addExtraRoutes(routerId: string, routes: NeutronHostRoute[], signal?: AbortSignal): Promise<NeutronRouter> {
    const body = await this.routers.action(routerId, 'add_extraroutes', 'addExtraRoutes', { router: { routes } }, signal);
    return body.router as NeutronRouter;
  }

  async removeExtraRoutes(routerId: string, routes: NeutronHostRoute[], signal?: AbortSignal): Promise<NeutronRouter> {
    const body = await this.routers.action(routerId, 'remove_extraroutes', 'removeExtraRoutes', { router: { routes } }, signal);
    return body.router as NeutronRouter;
  }

  /** Associates (or moves) a floating IP to a port, optionally to one of its fixed IPs. */
  associateFloatingIp(
    id: string,
    portId: string,
    options: { fixedIpAddress?: string; revisionNumber?: number; signal?: AbortSignal } = {},
  ): Promise<NeutronFloatingIp> {
    const patch: NeutronBody<NeutronFloatingIp> = { port_id: portId };
    if (options.fixedIpAddress !== undefined) patch.fixed_ip_address = options.fixedIpAddress;
    return this.floatingIps.update(id, patch, options.revisionNumber, options.signal);
  }

  disassociateFloatingIp(id: string, options: { revisionNumber?: number; signal?: AbortSignal } = {}): Promise<NeutronFloatingIp> {
    return this.floatingIps.update(id, { port_id: null }, options.revisionNumber, options.signal);
  }
}
