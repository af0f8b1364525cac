// Nova v2.1 over HTTP: routing, authentication, microversions, and the servers, actions, metadata, tags,
// interfaces, flavors, key pairs and quotas APIs. Errors are Nova's {"<fault>": {"code", "message"}}.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimClock } from '../../common/clock.ts';
import type { Glance } from '../glance.ts';
import { json, webobError, type RoutedRequest, type SimRequest, type SimResponse } from '../http.ts';
import { unauthorized, type AuthContext } from '../keystone.ts';
import type { Neutron } from '../neutron/api.ts';
import { links, paginate, type NovaContext } from './context.ts';
import { badRequest, forbidden, instanceNotFound, itemNotFound, NovaError, policyDenied } from './errors.ts';
import { findFlavor, flavorOf, flavorView, listFlavors, type SimFlavor } from './flavors.ts';
import { Keypairs } from './keypairs.ts';
import { Lifecycle, type Timing } from './lifecycle.ts';
import { maxMicroversion, MIN_MICROVERSION, requestedMicroversion, versionHeaders, type Microversion } from './microversion.ts';
import { NovaState, POWER, type ComputeQuotaKey, type Flavor, type Server } from './model.ts';
import { ServerNetworking } from './networking.ts';
import { checkMetadataQuota, checkResizeQuota, checkServerQuota, QuotaSets } from './quotas.ts';
import { invalidInput, isObj, isUuidLike, member, parseBody, pyRepr, reason, rejectUnknown, stringMap, tagList, tagProblem, type Obj } from './schema.ts';
import { briefView, hostnameOf, parseCreate, parseUpdate, selectServers, serverView } from './servers.ts';

export type NovaOptions = {
  neutron: Neutron;
  glance: Glance;
  clock: SimClock;
  timing: Timing;
  flavors: SimFlavor[];
  quotas?: Partial<Record<ComputeQuotaKey, number>>;
  /** The newest microversion served (default Zed's 2.93): an older cloud. */
  maxMicroversion?: string;
  authenticate: (token: string | undefined) => AuthContext | undefined;
};

/** Nova's generated passwords: 12 characters from an alphabet without look-alikes. */
const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const randomText = (alphabet: string, length: number): string => [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');

const ACTIONS = ['os-stop', 'os-start', 'reboot', 'resize', 'confirmResize', 'revertResize'];

export class Nova {
  readonly state: NovaState;
  readonly #networking: ServerNetworking;
  readonly #lifecycle: Lifecycle;
  readonly #opts: NovaOptions;
  readonly #keypairs: Keypairs;
  readonly #quotas: QuotaSets;
  readonly #max: Microversion;

  constructor(opts: NovaOptions) {
    this.#opts = opts;
    this.#max = maxMicroversion(opts.maxMicroversion);
    this.state = new NovaState(opts.flavors.map(flavorOf), opts.quotas);
    this.#networking = new ServerNetworking(opts.neutron, () => new Set([...this.state.servers.values()].flatMap((s) => (s.pending ?? []).flatMap((p) => ('portId' in p ? [p.portId] : [])))));
    this.#lifecycle = new Lifecycle(this.state, this.#networking, opts.clock, opts.timing);
    this.#keypairs = new Keypairs(this.state, opts.clock.now);
    this.#quotas = new QuotaSets(this.state);
  }

  /** Puts a server in ERROR with a fault, out of band (a host failure). */
  fail(serverId: string, message: string): void {
    const server = this.state.servers.get(serverId);
    if (!server) throw new Error(`no simulated server ${serverId}`);
    this.#lifecycle.fail(server, message);
  }

  /** Routes a request whose path is relative to the compute mount (e.g. "/v2.1/servers"). */
  route(req: SimRequest, mount: string): RoutedRequest {
    const parts = req.path.split('/').filter(Boolean).map(decodeSegment);
    const m = req.method;
    const r = (operation: string, run: (ctx: NovaContext) => SimResponse): RoutedRequest => ({ service: 'compute', operation, run: () => this.#guard(req, mount, run) });
    const notFound: RoutedRequest = { service: 'compute', operation: 'unknown', run: () => webobError(req.headers.accept, 404, 'Not Found', 'The resource could not be found.') };
    if (parts.length === 0 && m === 'GET') return { service: 'compute', operation: 'versions', run: () => json(200, { versions: this.#versions(req, mount, false) }) };
    if (parts[0] !== 'v2.1') return notFound;
    const [, first, id, sub, item, ...rest] = parts;
    if (rest.length > 0) return notFound;
    if (first === undefined) {
      return m === 'GET' ? { service: 'compute', operation: 'getComputeVersion', run: () => this.#versioned(req, () => json(200, { version: this.#versions(req, mount, true)[0] })) } : notFound;
    }

    if (first === 'servers') {
      if (id === undefined) {
        if (m === 'GET') return r('listServers', (ctx) => this.#listServers(ctx, false));
        if (m === 'POST') return r('createServer', (ctx) => this.#createServer(ctx));
      } else if (id === 'detail' && sub === undefined) {
        if (m === 'GET') return r('listServers', (ctx) => this.#listServers(ctx, true));
      } else if (sub === undefined) {
        if (m === 'GET') return r('getServer', (ctx) => json(200, { server: serverView(ctx, this.#server(ctx, id, true), this.#networking, 'show') }));
        if (m === 'PUT') return r('updateServer', (ctx) => this.#updateServer(ctx, id));
        if (m === 'DELETE') return r('deleteServer', (ctx) => {
          this.#lifecycle.delete(this.#server(ctx, id));
          return { status: 204 };
        });
      } else if (sub === 'action' && item === undefined && m === 'POST') {
        return r(`serverAction:${actionName(req.rawBody)}`, (ctx) => this.#action(ctx, id));
      } else if (sub === 'metadata') {
        return this.#routeMetadata(r, m, id, item) ?? notFound;
      } else if (sub === 'tags') {
        return this.#routeTags(r, m, id, item) ?? notFound;
      } else if (sub === 'os-interface') {
        return this.#routeInterfaces(r, m, id, item) ?? notFound;
      }
      return notFound;
    }
    if (first === 'flavors' && m === 'GET' && item === undefined) {
      if (id === undefined) return r('listFlavors', (ctx) => json(200, listFlavors(ctx, this.state.flavors, false)));
      if (id === 'detail' && sub === undefined) return r('listFlavors', (ctx) => json(200, listFlavors(ctx, this.state.flavors, true)));
      if (sub === undefined) return r('getFlavor', (ctx) => json(200, { flavor: flavorView(ctx, findFlavor(this.state.flavors, id, ctx.caller.isAdmin), false) }));
      if (sub === 'os-extra_specs') return r('getFlavorExtraSpecs', (ctx) => json(200, { extra_specs: { ...findFlavor(this.state.flavors, id, ctx.caller.isAdmin).extraSpecs } }));
    }
    if (first === 'os-keypairs' && sub === undefined) {
      if (id === undefined && m === 'GET') return r('listKeypairs', (ctx) => json(200, this.#keypairs.list(ctx)));
      if (id === undefined && m === 'POST') return r('createKeypair', (ctx) => {
        const created = this.#keypairs.create(ctx, parseBody(ctx.rawBody));
        return json(created.status, created.body);
      });
      if (id !== undefined && m === 'GET') return r('getKeypair', (ctx) => json(200, this.#keypairs.show(ctx, id)));
      if (id !== undefined && m === 'DELETE') return r('deleteKeypair', (ctx) => ({ status: this.#keypairs.remove(ctx, id) }));
    }
    if (first === 'os-quota-sets' && id !== undefined && item === undefined) {
      if (sub === undefined && m === 'GET') return r('getQuotaSet', (ctx) => json(200, this.#quotas.show(ctx, id, false)));
      if (sub === 'detail' && m === 'GET') return r('getQuotaSetDetail', (ctx) => json(200, this.#quotas.show(ctx, id, true)));
      if (sub === 'defaults' && m === 'GET') return r('getQuotaSetDefaults', () => json(200, this.#quotas.defaults(id)));
      if (sub === undefined && m === 'PUT') return r('updateQuotaSet', (ctx) => json(200, this.#quotas.update(ctx, id, parseBody(ctx.rawBody))));
      if (sub === undefined && m === 'DELETE') return r('deleteQuotaSet', (ctx) => {
        this.#quotas.reset(ctx, id);
        return { status: 202 };
      });
    }
    if (first === 'limits' && id === undefined && m === 'GET') return r('getLimits', (ctx) => json(200, this.#quotas.limits(ctx)));
    return notFound;
  }

  /** The token first (401, as every service behind keystonemiddleware answers), then the microversion. */
  #guard(req: SimRequest, mount: string, run: (ctx: NovaContext) => SimResponse): SimResponse {
    const caller = this.#opts.authenticate(req.headers['x-auth-token']);
    if (!caller) return { ...unauthorized(), headers: { 'WWW-Authenticate': `Keystone uri="${req.origin}/v3"` } };
    return this.#versioned(req, (version) => run({ origin: req.origin, mount, version, caller, query: req.query, rawBody: req.rawBody }));
  }

  /** The request's microversion (a bad one: 400 or 406); every answer after that carries it in its headers. */
  #versioned(req: SimRequest, run: (version: Microversion) => SimResponse): SimResponse {
    const version = requestedMicroversion(req.headers, this.#max);
    if ('error' in version) return json(version.error.status, version.error.body, version.headers);
    const headers = versionHeaders(version.text);
    try {
      const out = run(version);
      return { ...out, headers: { ...headers, ...out.headers } };
    } catch (err) {
      if (err instanceof NovaError) return json(err.status, err.body, headers);
      throw err;
    }
  }

  #versions(req: SimRequest, mount: string, current: boolean): Obj[] {
    const v21 = {
      id: 'v2.1',
      status: 'CURRENT',
      version: this.#max.text,
      min_version: MIN_MICROVERSION,
      updated: '2013-07-23T11:33:21Z',
      links: [{ rel: 'self', href: `${req.origin}${mount}/v2.1/` }, ...(current ? [{ rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }] : [])],
      ...(current ? { 'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }] } : {}),
    };
    if (current) return [v21];
    return [{ id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: `${req.origin}${mount}/v2/` }] }, v21];
  }

  /** A server the caller may see (its project's; any, for an admin); a DELETED one only when `deletedToo`. */
  #server(ctx: NovaContext, id: string, deletedToo = false): Server {
    const server = this.state.servers.get(id);
    if (!server || !(ctx.caller.isAdmin || server.projectId === ctx.caller.projectId) || (server.vmState === 'deleted' && !deletedToo)) throw instanceNotFound(id);
    return server;
  }

  /**
   * How os-start and os-stop look a server up: by its cell mapping (an unknown id has "no mapping to a
   * cell"), then in its cell, where a server still being scheduled is not yet: 404, although GET shows it.
   */
  #instanceInCell(ctx: NovaContext, id: string, action: string): Server {
    const server = this.state.servers.get(id);
    if (!server) throw itemNotFound(`Instance ${id} has no mapping to a cell.`);
    if (server.taskState === 'scheduling' || server.vmState === 'deleted') throw instanceNotFound(id);
    if (!ctx.caller.isAdmin && server.projectId !== ctx.caller.projectId) throw policyDenied(`os_compute_api:servers:${action}`);
    return server;
  }

  #listServers(ctx: NovaContext, detail: boolean): SimResponse {
    const selected = selectServers(ctx, this.state.servers.values(), detail);
    const { page, links: next } = paginate(ctx, detail ? 'servers/detail' : 'servers', selected, (s) => s.id);
    const servers = page.map((s) => (detail ? serverView(ctx, s, this.#networking, 'detail') : briefView(ctx, s)));
    return json(200, { servers, ...(next ? { servers_links: next } : {}) });
  }

  /** POST /servers: the body's schema, then image given, flavor, image, groups, networks, key, quotas; 202. */
  #createServer(ctx: NovaContext): SimResponse {
    const req = parseCreate(ctx, parseBody(ctx.rawBody));
    const caller = ctx.caller;
    if (req.imageRef === undefined) throw badRequest('Missing imageRef attribute');
    const flavor = this.#flavorOf(ctx, req.flavorRef);
    const image = this.#opts.glance.find(caller, req.imageRef);
    if (!image) throw badRequest('Can not find requested image');
    if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
    if (req.availabilityZone !== undefined && req.availabilityZone !== 'nova') throw badRequest('The requested availability zone is not available');
    if (flavor.disk === 0 && !caller.isAdmin) throw forbidden('Only volume-backed servers are allowed for flavors with zero disk.');
    const securityGroupIds = this.#networking.securityGroupIds(caller, req.securityGroups);
    const pending = this.#networking.plan(caller, req.networks);
    if (req.keyName !== undefined && !this.#keypairs.find(caller, req.keyName)) throw badRequest('Invalid key_name provided.');
    checkMetadataQuota(this.state, caller.projectId, req.metadata);
    checkServerQuota(this.state, caller.projectId, flavor);

    const now = this.#opts.clock.now();
    const server: Server = {
      id: randomUUID(),
      name: req.name,
      description: req.description,
      projectId: caller.projectId,
      userId: caller.userId,
      imageId: image.id,
      flavor: structuredClone(flavor),
      metadata: req.metadata,
      tags: req.tags,
      keyName: req.keyName ?? null,
      userData: req.userData,
      vmState: 'building',
      taskState: 'scheduling',
      powerState: POWER.NOSTATE,
      host: null,
      availabilityZone: '',
      ports: [],
      pending,
      created: now,
      updated: now,
      launchedAt: null,
      terminatedAt: null,
      hostname: hostnameOf(req.name),
      instanceName: this.state.nextInstanceName(),
      reservationId: `r-${randomText('abcdefghijklmnopqrstuvwxyz0123456789', 8)}`,
      step: 0,
    };
    this.state.servers.set(server.id, server);
    this.#lifecycle.build(server, caller, securityGroupIds);
    return json(202, {
      server: {
        id: server.id,
        links: links(ctx, 'servers', server.id),
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: req.securityGroups.map((name) => ({ name })),
        adminPass: randomText(PASSWORD_ALPHABET, 12),
      },
    });
  }

  /** A flavor named in a create or resize request: an unknown one is a bad request there, not a 404. */
  #flavorOf(ctx: NovaContext, id: string): Flavor {
    const flavor = this.state.flavors.get(id);
    if (!flavor || !(flavor.isPublic || ctx.caller.isAdmin)) throw badRequest(`Flavor ${id} could not be found.`);
    return flavor;
  }

  #updateServer(ctx: NovaContext, id: string): SimResponse {
    const change = parseUpdate(ctx, parseBody(ctx.rawBody));
    const server = this.#server(ctx, id);
    if (change.name !== undefined) server.name = change.name;
    if (change.description !== undefined) server.description = change.description;
    server.updated = this.#opts.clock.now();
    return json(200, { server: serverView(ctx, server, this.#networking, 'show') });
  }

  /** POST /servers/{id}/action: the action's schema, the server, then the lifecycle's state checks. */
  #action(ctx: NovaContext, id: string): SimResponse {
    const body = parseBody(ctx.rawBody);
    const name = isObj(body) ? Object.keys(body)[0] : undefined;
    if (name === undefined || !ACTIONS.includes(name)) throw badRequest(`There is no such action: ${name ?? ''}`);
    const args = (body as Obj)[name];
    let resizeTo: unknown;
    if (name === 'reboot') {
      if (!isObj(args)) throw invalidInput('reboot', args, reason.type(args, 'object'));
      if (args.type === undefined) throw invalidInput('reboot', args, reason.required('type'));
      const types = ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'];
      if (typeof args.type !== 'string' || !types.includes(args.type)) throw invalidInput('type', args.type, reason.oneOf(args.type, types));
    }
    if (name === 'resize') {
      if (!isObj(args)) throw invalidInput('resize', args, reason.type(args, 'object'));
      if (args.flavorRef === undefined) throw invalidInput('resize', args, reason.required('flavorRef'));
      rejectUnknown('resize', args, ['flavorRef', 'OS-DCF:diskConfig']);
      resizeTo = args.flavorRef;
    }
    const server = name === 'os-stop' || name === 'os-start' ? this.#instanceInCell(ctx, id, name.slice(3)) : this.#server(ctx, id);
    const lc = this.#lifecycle;
    switch (name) {
      case 'os-stop':
        lc.stop(server);
        break;
      case 'os-start':
        lc.start(server);
        break;
      case 'reboot':
        lc.reboot(server, String((args as Obj).type).toUpperCase() === 'HARD');
        break;
      case 'resize': {
        lc.requireResizable(server);
        const target = this.#flavorOf(ctx, String(resizeTo));
        if (target.id === server.flavor.id) throw badRequest('When resizing, instances must change flavor!');
        checkResizeQuota(this.state, server.projectId, server.flavor, target);
        lc.resize(server, target);
        break;
      }
      case 'confirmResize':
        lc.confirmResize(server);
        return { status: 204 };
      case 'revertResize':
        lc.revertResize(server);
        break;
    }
    return { status: 202, headers: { 'Content-Type': 'application/json' } };
  }

  #routeMetadata(r: (op: string, run: (ctx: NovaContext) => SimResponse) => RoutedRequest, m: string, id: string, key: string | undefined): RoutedRequest | undefined {
    const change = (ctx: NovaContext, apply: (server: Server) => Record<string, string>): Record<string, string> => {
      const server = this.#server(ctx, id);
      this.#lifecycle.requireMetadataChange(server, 'update metadata');
      const next = apply(server);
      checkMetadataQuota(this.state, server.projectId, next);
      server.metadata = next;
      server.updated = this.#opts.clock.now();
      return server.metadata;
    };
    const notFound = (): NovaError => itemNotFound('Metadata item was not found');
    if (key === undefined) {
      if (m === 'GET') return r('getServerMetadata', (ctx) => json(200, { metadata: { ...this.#server(ctx, id).metadata } }));
      if (m === 'PUT' || m === 'POST') {
        return r(m === 'PUT' ? 'replaceServerMetadata' : 'updateServerMetadata', (ctx) => {
          const metadata = stringMap(member(parseBody(ctx.rawBody), 'metadata'), 'metadata');
          return json(200, { metadata: change(ctx, (server) => (m === 'PUT' ? metadata : { ...server.metadata, ...metadata })) });
        });
      }
      return undefined;
    }
    if (m === 'GET') return r('getServerMetadataItem', (ctx) => {
      const value = this.#server(ctx, id).metadata[key];
      if (value === undefined) throw notFound();
      return json(200, { meta: { [key]: value } });
    });
    if (m === 'PUT') return r('setServerMetadataItem', (ctx) => {
      const meta = stringMap(member(parseBody(ctx.rawBody), 'meta'), 'meta');
      const count = Object.keys(meta).length;
      if (count !== 1) throw invalidInput('meta', meta, `${pyRepr(meta)} ${count > 1 ? 'has too many properties' : 'does not have enough properties'}`);
      if (!(key in meta)) throw badRequest('Request body and URI mismatch');
      change(ctx, (server) => ({ ...server.metadata, ...meta }));
      return json(200, { meta });
    });
    if (m === 'DELETE') return r('deleteServerMetadataItem', (ctx) => {
      const server = this.#server(ctx, id);
      if (server.metadata[key] === undefined) throw notFound();
      this.#lifecycle.requireMetadataChange(server, 'delete metadata');
      delete server.metadata[key];
      server.updated = this.#opts.clock.now();
      return { status: 204 };
    });
    return undefined;
  }

  /**
   * Server tags (2.26+; before, Nova has no such resource). They look the server up by its cell mapping
   * (an unknown id: "no mapping to a cell") and check the policy against its project (another's: 403).
   */
  #routeTags(r: (op: string, run: (ctx: NovaContext) => SimResponse) => RoutedRequest, m: string, id: string, tag: string | undefined): RoutedRequest | undefined {
    const tagged = (op: string, rule: string, run: (ctx: NovaContext, server: Server) => SimResponse): RoutedRequest =>
      r(op, (ctx) => {
        if (!ctx.version.atLeast('2.26')) throw itemNotFound('The resource could not be found.');
        const server = this.state.servers.get(id);
        if (!server) throw itemNotFound(`Instance ${id} has no mapping to a cell.`);
        if (!ctx.caller.isAdmin && server.projectId !== ctx.caller.projectId) throw policyDenied(`os_compute_api:os-server-tags:${rule}`);
        if (server.vmState === 'deleted') throw instanceNotFound(id);
        return run(ctx, server);
      });
    if (tag === undefined) {
      if (m === 'GET') return tagged('listServerTags', 'index', (_ctx, server) => json(200, { tags: [...server.tags] }));
      if (m === 'PUT') return tagged('replaceServerTags', 'update_all', (ctx, server) => {
        const body = parseBody(ctx.rawBody);
        if (!isObj(body) || body.tags === undefined) throw badRequest(reason.required('tags'));
        const tags = tagList(body.tags);
        this.#lifecycle.requireTagChange(server, 'update tags');
        server.tags = [...new Set(tags)].sort();
        return json(200, { tags: [...server.tags] });
      });
      if (m === 'DELETE') return tagged('deleteServerTags', 'delete_all', (_ctx, server) => {
        this.#lifecycle.requireTagChange(server, 'delete tags');
        server.tags = [];
        return { status: 204 };
      });
      return undefined;
    }
    if (m === 'GET') return tagged('checkServerTag', 'show', (_ctx, server) => {
      if (!server.tags.includes(tag)) throw itemNotFound(`Server ${id} has no tag '${tag}'`);
      return { status: 204 };
    });
    if (m === 'PUT') return tagged('addServerTag', 'update', (ctx, server) => {
      this.#lifecycle.requireTagChange(server, 'update tag');
      const problem = tagProblem(tag);
      if (problem) throw badRequest(`Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${problem}`);
      if (server.tags.length >= 50) throw badRequest('The number of tags exceeded the per-server limit 50');
      if (server.tags.includes(tag)) return { status: 204 };
      server.tags = [...server.tags, tag].sort();
      return { status: 201, text: '', headers: { 'Content-Type': 'text/html; charset=UTF-8', Location: `${ctx.origin}${ctx.mount}/v2.1/servers/${id}/tags/${encodeURIComponent(tag)}` } };
    });
    if (m === 'DELETE') return tagged('deleteServerTag', 'delete', (_ctx, server) => {
      this.#lifecycle.requireTagChange(server, 'delete tag');
      if (!server.tags.includes(tag)) throw itemNotFound(`Instance ${id} has no tag '${tag}'`);
      server.tags = server.tags.filter((t) => t !== tag);
      return { status: 204 };
    });
    return undefined;
  }

  #routeInterfaces(r: (op: string, run: (ctx: NovaContext) => SimResponse) => RoutedRequest, m: string, id: string, portId: string | undefined): RoutedRequest | undefined {
    const view = (ctx: NovaContext, port: NonNullable<ReturnType<ServerNetworking['port']>>): Obj => ({
      net_id: port.network_id,
      port_id: port.id,
      mac_addr: port.mac_address,
      port_state: port.status,
      fixed_ips: port.fixed_ips.map((ip) => ({ ...ip })),
      ...(ctx.version.atLeast('2.70') ? { tag: null } : {}),
    });
    if (portId === undefined) {
      // Nova lists the server's ports from Neutron, which orders them by id.
      if (m === 'GET') return r('listServerInterfaces', (ctx) => {
        const ports = this.#networking.ports(this.#server(ctx, id)).sort((a, b) => (a.id < b.id ? -1 : 1));
        return json(200, { interfaceAttachments: ports.map((p) => view(ctx, p)) });
      });
      if (m === 'POST') return r('attachServerInterface', (ctx) => {
        const request = parseAttachment(ctx, parseBody(ctx.rawBody));
        const server = this.#server(ctx, id);
        this.#lifecycle.requireInterfaceChange(server, 'attach_interface');
        return json(200, { interfaceAttachment: view(ctx, this.#networking.attach(server, ctx.caller, request)) });
      });
      return undefined;
    }
    if (m === 'GET') return r('getServerInterface', (ctx) => {
      const server = this.#server(ctx, id);
      const port = this.#networking.port(portId);
      if (!port) throw itemNotFound(`Port id ${portId} could not be found.`);
      if (port.device_id !== server.id) throw itemNotFound(`Instance ${server.id} does not have a port with id ${portId}`);
      return json(200, { interfaceAttachment: view(ctx, port) });
    });
    if (m === 'DELETE') return r('detachServerInterface', (ctx) => {
      this.#lifecycle.detach(this.#server(ctx, id), portId);
      return { status: 202, headers: { 'Content-Type': 'application/json' } };
    });
    return undefined;
  }
}

/** The os-interface request: a network (maybe with one address) or a port, or neither (Nova picks). */
function parseAttachment(ctx: NovaContext, body: unknown): { netId?: string; portId?: string; fixedIp?: string } {
  const att = isObj(body) && body.interfaceAttachment !== undefined ? member(body, 'interfaceAttachment') : {};
  rejectUnknown('interfaceAttachment', att, ['net_id', 'port_id', 'fixed_ips', ...(ctx.version.atLeast('2.49') ? ['tag'] : [])]);
  for (const key of ['net_id', 'port_id']) if (att[key] !== undefined && !isUuidLike(att[key])) throw invalidInput(key, att[key], reason.format(att[key], 'uuid'));
  let fixedIp: string | undefined;
  if (att.fixed_ips !== undefined) {
    if (!Array.isArray(att.fixed_ips)) throw invalidInput('fixed_ips', att.fixed_ips, reason.type(att.fixed_ips, 'array'));
    if (att.fixed_ips.length > 1) throw invalidInput('fixed_ips', att.fixed_ips, reason.tooLong(att.fixed_ips));
    const first: unknown = att.fixed_ips[0];
    if (first !== undefined) {
      if (!isObj(first) || typeof first.ip_address !== 'string') throw invalidInput('fixed_ips', att.fixed_ips, reason.anyOf(att.fixed_ips));
      fixedIp = first.ip_address;
    }
  }
  if (att.net_id !== undefined && att.port_id !== undefined) throw badRequest('Must not input both network_id and port_id');
  if (fixedIp !== undefined && att.net_id === undefined) throw badRequest('Must input network_id when request IP address');
  return {
    ...(att.net_id !== undefined ? { netId: att.net_id as string } : {}),
    ...(att.port_id !== undefined ? { portId: att.port_id as string } : {}),
    ...(fixedIp !== undefined ? { fixedIp } : {}),
  };
}

/** The action a body names, for the call log (`serverAction:os-stop`), read leniently before validation. */
function actionName(rawBody: string): string {
  try {
    const body: unknown = JSON.parse(rawBody);
    return (isObj(body) && Object.keys(body)[0]) || 'unknown';
  } catch {
    return 'unknown';
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
