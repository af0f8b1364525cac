// Keystone v3: version discovery, tokens (password, application credential, token re-scope), catalog.
import { randomBytes, randomUUID } from 'node:crypto';
import { json, noContent, type RoutedRequest, type SimRequest, type SimResponse } from './http.ts';

export type SimUser = { name: string; password: string; project: string; roles: string[]; domain?: string };
export type SimApplicationCredential = { id: string; name: string; secret: string; user: string };

export type AuthContext = {
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  isAdmin: boolean;
};

export type KeystoneOptions = {
  users: SimUser[];
  applicationCredentials: SimApplicationCredential[];
  tokenTtlSeconds: number;
  now: () => number;
  /** Catalog entries for the services behind this identity endpoint, built from the server's URL. */
  catalog: () => CatalogEntry[];
};

export type CatalogEntry = { type: string; name: string; url: string };

type Token = {
  user: SimUser & { id: string };
  project?: { id: string; name: string };
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  auditId: string;
  applicationCredential?: SimApplicationCredential;
};

const DOMAIN = { id: 'default', name: 'Default' };
const REGION = 'RegionOne';
const hexId = (): string => randomUUID().replaceAll('-', '');
const isoMicro = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

const unauthorized = (): SimResponse =>
  json(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
const badRequest = (message: string): SimResponse => json(400, { error: { code: 400, title: 'Bad Request', message } });

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class Keystone {
  readonly users: (SimUser & { id: string })[];
  readonly projects = new Map<string, { id: string; name: string }>();
  readonly roles = new Map<string, string>();
  readonly tokens = new Map<string, Token>();
  private readonly opts: KeystoneOptions;

  constructor(opts: KeystoneOptions) {
    this.opts = opts;
    this.users = opts.users.map((u) => ({ ...u, id: hexId() }));
    for (const u of this.users) {
      if (![...this.projects.values()].some((p) => p.name === u.project)) {
        const project = { id: hexId(), name: u.project };
        this.projects.set(project.id, project);
      }
      for (const role of u.roles) if (!this.roles.has(role)) this.roles.set(role, hexId());
    }
  }

  projectByName(name: string): { id: string; name: string } | undefined {
    return [...this.projects.values()].find((p) => p.name === name);
  }

  /** Issues a project-scoped token directly (for tests that skip the HTTP dance). */
  issue(userName: string): string {
    const user = this.users.find((u) => u.name === userName);
    if (!user) throw new Error(`no simulated user ${userName}`);
    return this.store({ user, project: this.projectByName(user.project), methods: ['password'] });
  }

  /** The caller's identity for a token, or undefined when it is unknown, expired or unscoped. */
  authenticate(token: string | undefined): AuthContext | undefined {
    const t = token ? this.live(token) : undefined;
    if (!t?.project) return undefined;
    return {
      userId: t.user.id,
      userName: t.user.name,
      projectId: t.project.id,
      projectName: t.project.name,
      roles: t.user.roles,
      isAdmin: t.user.roles.includes('admin'),
    };
  }

  route(req: SimRequest): RoutedRequest | undefined {
    const r = (operation: string, run: () => SimResponse): RoutedRequest => ({ service: 'identity', operation, run });
    const { method, path } = req;
    if (method === 'GET' && (path === '/' || path === '')) return r('versions', () => json(300, { versions: { values: [this.version(req)] } }));
    if (method === 'GET' && (path === '/v3' || path === '/v3/')) return r('version', () => json(200, { version: this.version(req) }));
    if (path === '/v3/auth/tokens') {
      if (method === 'POST') return r('tokens.issue', () => this.issueFromRequest(req));
      if (method === 'GET' || method === 'HEAD') return r('tokens.validate', () => this.validate(req));
      if (method === 'DELETE') return r('tokens.revoke', () => this.revoke(req));
    }
    if (method === 'GET' && path === '/v3/auth/catalog') return r('catalog.show', () => this.withCaller(req, (t) => json(200, { catalog: t.project ? this.catalog() : [], links: { self: `${req.origin}/v3/auth/catalog`, previous: null, next: null } })));
    if (method === 'GET' && path === '/v3/auth/projects') return r('projects.list', () => this.withCaller(req, (t) => json(200, { projects: this.projectsOf(t.user).map((p) => this.projectBody(p)), links: { self: `${req.origin}/v3/auth/projects`, previous: null, next: null } })));
    return undefined;
  }

  private version(req: SimRequest): Obj {
    return {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${req.origin}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
  }

  private projectsOf(user: SimUser): { id: string; name: string }[] {
    const p = this.projectByName(user.project);
    return p ? [p] : [];
  }

  private projectBody(p: { id: string; name: string }): Obj {
    return { id: p.id, name: p.name, domain_id: DOMAIN.id, description: '', enabled: true, parent_id: DOMAIN.id, is_domain: false, tags: [], options: {}, links: { self: '' } };
  }

  private catalog(): Obj[] {
    return this.opts.catalog().map((e) => ({
      id: hexId(),
      type: e.type,
      name: e.name,
      endpoints: ['public', 'internal', 'admin'].map((itf) => ({ id: hexId(), interface: itf, region: REGION, region_id: REGION, url: e.url })),
    }));
  }

  private live(token: string): Token | undefined {
    const t = this.tokens.get(token);
    return t && t.expiresAt > this.opts.now() ? t : undefined;
  }

  private withCaller(req: SimRequest, fn: (t: Token) => SimResponse): SimResponse {
    const t = this.live(req.headers['x-auth-token'] ?? '');
    return t ? fn(t) : unauthorized();
  }

  private store(t: Omit<Token, 'issuedAt' | 'expiresAt' | 'auditId'>): string {
    const now = this.opts.now();
    const id = `gAAAAAB${randomBytes(96).toString('base64url')}`;
    this.tokens.set(id, { ...t, issuedAt: now, expiresAt: now + this.opts.tokenTtlSeconds * 1000, auditId: randomBytes(16).toString('base64url') });
    return id;
  }

  private tokenBody(t: Token, withCatalog: boolean): Obj {
    const body: Obj = {
      methods: t.methods,
      user: { domain: DOMAIN, id: t.user.id, name: t.user.name, password_expires_at: null },
      audit_ids: [t.auditId],
      expires_at: isoMicro(t.expiresAt),
      issued_at: isoMicro(t.issuedAt),
    };
    if (t.project) {
      body.project = { domain: DOMAIN, id: t.project.id, name: t.project.name };
      body.is_domain = false;
      body.roles = t.user.roles.map((name) => ({ id: this.roles.get(name), name }));
      if (withCatalog) body.catalog = this.catalog();
    }
    if (t.applicationCredential) body.application_credential = { id: t.applicationCredential.id, name: t.applicationCredential.name, restricted: true };
    return { token: body };
  }

  private findUser(spec: Obj | undefined): (SimUser & { id: string }) | undefined {
    if (!spec) return undefined;
    const id = str(spec.id);
    if (id) return this.users.find((u) => u.id === id);
    const domain = obj(spec.domain);
    const domainOk = domain && (str(domain.id) === DOMAIN.id || str(domain.name) === DOMAIN.name);
    return domainOk ? this.users.find((u) => u.name === str(spec.name) && (u.domain ?? DOMAIN.name) === DOMAIN.name) : undefined;
  }

  private issueFromRequest(req: SimRequest): SimResponse {
    let body: Obj | undefined;
    try {
      body = obj(JSON.parse(req.rawBody));
    } catch {
      return badRequest('Malformed request body.');
    }
    const auth = obj(body?.auth);
    const identity = obj(auth?.identity);
    const methods = identity?.methods;
    if (!identity || !Array.isArray(methods) || methods.length === 0) return badRequest(`Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);
    const method = str(methods[0]);

    let user: (SimUser & { id: string }) | undefined;
    let appCred: SimApplicationCredential | undefined;
    if (method === 'password') {
      const spec = obj(obj(identity.password)?.user);
      user = this.findUser(spec);
      if (!user || str(spec?.password) !== user.password) return unauthorized();
    } else if (method === 'token') {
      const t = this.live(str(obj(identity.token)?.id) ?? '');
      if (!t) return unauthorized();
      user = t.user;
      appCred = t.applicationCredential;
    } else if (method === 'application_credential') {
      const spec = obj(identity.application_credential);
      appCred = this.opts.applicationCredentials.find((a) => (str(spec?.id) ? a.id === str(spec?.id) : a.name === str(spec?.name)));
      user = appCred && this.users.find((u) => u.name === appCred?.user);
      if (!appCred || !user || str(spec?.secret) !== appCred.secret) return unauthorized();
    } else {
      return unauthorized();
    }

    const scope = obj(auth?.scope);
    let project: { id: string; name: string } | undefined;
    if (appCred) {
      // An application credential is bound to its project; it cannot be re-scoped.
      if (scope) return json(401, { error: { code: 401, title: 'Unauthorized', message: 'Application credentials cannot request a scope.' } });
      project = this.projectByName(user.project);
    } else if (scope) {
      const p = obj(scope.project);
      if (!p) return unauthorized();
      const domain = obj(p.domain);
      project = str(p.id) ? this.projects.get(str(p.id) ?? '') : domain && (str(domain.id) === DOMAIN.id || str(domain.name) === DOMAIN.name) ? this.projectByName(str(p.name) ?? '') : undefined;
      if (!project || project.name !== user.project) return unauthorized();
    }
    const tokenId = this.store({ user, ...(project ? { project } : {}), methods: [method ?? 'password'], ...(appCred ? { applicationCredential: appCred } : {}) });
    const token = this.tokens.get(tokenId);
    if (!token) return unauthorized();
    return json(201, this.tokenBody(token, !req.query.has('nocatalog')), { 'X-Subject-Token': tokenId });
  }

  private validate(req: SimRequest): SimResponse {
    return this.withCaller(req, () => {
      const subject = req.headers['x-subject-token'] ?? '';
      const t = this.live(subject);
      if (!t) return json(404, { error: { code: 404, title: 'Not Found', message: `Could not find token: ${subject}.` } });
      return json(200, this.tokenBody(t, !req.query.has('nocatalog')), { 'X-Subject-Token': subject });
    });
  }

  private revoke(req: SimRequest): SimResponse {
    return this.withCaller(req, () => {
      const subject = req.headers['x-subject-token'] ?? '';
      if (!this.live(subject)) return json(404, { error: { code: 404, title: 'Not Found', message: `Could not find token: ${subject}.` } });
      this.tokens.delete(subject);
      return noContent();
    });
  }
}

export { unauthorized };
