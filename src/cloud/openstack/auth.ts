import { CloudError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { versionedBaseUrl, type CatalogService } from './catalog.ts';
import { secretsOf, type OpenStackAuth } from './config.ts';

/** A Keystone token with what came with it. */
export interface Token {
  value: string;
  /** Epoch ms on our clock; undefined for a pre-issued token whose lifetime is unknown. */
  expiresAt: number | undefined;
  /** When we received it (epoch ms, our clock). */
  issuedAt: number | undefined;
  catalog: CatalogService[];
  projectId: string | undefined;
}

interface TokenBody {
  token?: {
    expires_at?: string;
    issued_at?: string;
    catalog?: CatalogService[];
    project?: { id?: string };
  };
}

export interface KeystoneAuthOptions {
  /** Renew this long before expiry (capped at a tenth of the token's lifetime). */
  refreshMarginMs?: number;
}

function domain(id: string | undefined, name: string | undefined): { id: string } | { name: string } | undefined {
  if (id !== undefined) return { id };
  if (name !== undefined) return { name };
  return undefined;
}

function userRef(auth: OpenStackAuth): Record<string, unknown> {
  if (auth.userId !== undefined) return { id: auth.userId };
  return { name: auth.username, domain: domain(auth.userDomainId, auth.userDomainName) };
}

/** The POST /v3/auth/tokens body for password or application-credential auth. */
export function authRequestBody(auth: OpenStackAuth): unknown {
  if (auth.type === 'applicationCredential') {
    const credential =
      auth.applicationCredentialId !== undefined
        ? { id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret }
        : { name: auth.applicationCredentialName, secret: auth.applicationCredentialSecret, user: userRef(auth) };
    // An application credential is bound to its project: Keystone refuses an explicit scope.
    return { auth: { identity: { methods: ['application_credential'], application_credential: credential } } };
  }
  const identity = { methods: ['password'], password: { user: { ...userRef(auth), password: auth.password } } };
  let scope: unknown;
  if (auth.projectId !== undefined) scope = { project: { id: auth.projectId } };
  else if (auth.projectName !== undefined) {
    scope = { project: { name: auth.projectName, domain: domain(auth.projectDomainId, auth.projectDomainName) } };
  }
  return { auth: scope === undefined ? { identity } : { identity, scope } };
}

function sameAuth(a: OpenStackAuth, b: OpenStackAuth): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

/**
 * Keystone v3 token cache for one ProviderConfig: one token reused until shortly before it
 * expires, at most one authentication in flight, and `refresh` after a 401 shared by every
 * caller that saw the same stale token.
 */
export class KeystoneAuth {
  readonly #http: HttpClient;
  readonly #refreshMarginMs: number;
  #auth: OpenStackAuth;
  #cached: Token | undefined;
  #inflight: Promise<Token> | undefined;
  /** Bumped by a credentials change so an authentication started before it is not cached. */
  #generation = 0;

  constructor(http: HttpClient, auth: OpenStackAuth, options: KeystoneAuthOptions = {}) {
    this.#http = http;
    this.#auth = auth;
    this.#refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
    http.redactor.add(...secretsOf(auth));
  }

  /** A pre-issued token cannot be renewed; a 401 on it is final. */
  get canReauthenticate(): boolean {
    return this.#auth.type !== 'token';
  }

  /** Adopt new credentials (a rotated Secret); returns whether they differ, which drops the token. */
  setCredentials(auth: OpenStackAuth): boolean {
    if (sameAuth(auth, this.#auth)) return false;
    this.#http.redactor.add(...secretsOf(auth));
    this.#auth = auth;
    this.#forget();
    this.#generation++;
    return true;
  }

  /** A valid token, from the cache when it is not about to expire. */
  token(signal?: AbortSignal): Promise<Token> {
    if (this.#cached !== undefined && this.#fresh(this.#cached)) return Promise.resolve(this.#cached);
    return this.#authenticate(signal);
  }

  /** After a 401 with `stale`: a new token, shared with every other caller that saw `stale`. */
  refresh(stale: Token, signal?: AbortSignal): Promise<Token> {
    if (!this.canReauthenticate) {
      return Promise.reject(
        new CloudError({
          provider: this.#http.provider,
          service: 'identity',
          operation: 'authenticate',
          status: 401,
          code: 'TokenRejected',
          // No Keystone call: the service refused the token it was sent, and nothing here can renew it.
          message: 'the cloud refused the pre-issued token (401): it has expired or was revoked; provide a new token',
          kind: 'unauthorized',
        }),
      );
    }
    if (this.#cached !== undefined && this.#cached.value !== stale.value) return Promise.resolve(this.#cached);
    if (this.#cached?.value === stale.value) this.#forget();
    return this.#authenticate(signal);
  }

  #fresh(token: Token): boolean {
    if (token.expiresAt === undefined) return true;
    const lifetime = token.issuedAt === undefined ? Infinity : token.expiresAt - token.issuedAt;
    const margin = Math.min(this.#refreshMarginMs, lifetime / 10);
    return Date.now() < token.expiresAt - margin;
  }

  #forget(): void {
    if (this.#cached !== undefined) this.#http.redactor.remove(this.#cached.value);
    this.#cached = undefined;
    this.#inflight = undefined;
  }

  #authenticate(signal: AbortSignal | undefined): Promise<Token> {
    if (this.#inflight !== undefined) return this.#inflight;
    const generation = this.#generation;
    const inflight = this.#issue(signal).then(
      (token) => {
        if (generation === this.#generation) {
          if (this.#cached !== undefined) this.#http.redactor.remove(this.#cached.value);
          this.#cached = token;
          this.#inflight = undefined;
        }
        return token;
      },
      (err: unknown) => {
        if (generation === this.#generation) this.#inflight = undefined;
        throw err;
      },
    );
    this.#inflight = inflight;
    return inflight;
  }

  async #issue(signal: AbortSignal | undefined): Promise<Token> {
    const auth = this.#auth;
    if (auth.type === 'token') {
      return { value: auth.token as string, expiresAt: undefined, issuedAt: undefined, catalog: [], projectId: auth.projectId };
    }
    const response = await this.#http.request<TokenBody>({
      method: 'POST',
      url: `${versionedBaseUrl(auth.authUrl as string, 'v3', 'authURL')}/auth/tokens`,
      service: 'identity',
      operation: 'authenticate',
      json: authRequestBody(auth),
      signal,
    });
    const value = response.headers['x-subject-token'];
    if (value === undefined || value === '') {
      throw new CloudError({
        provider: this.#http.provider,
        service: 'identity',
        operation: 'authenticate',
        status: response.status,
        code: 'MissingSubjectToken',
        message: 'Keystone answered without an X-Subject-Token header',
        kind: 'transient',
      });
    }
    this.#http.redactor.add(value);
    const receivedAt = Date.now();
    const body = response.body?.token ?? {};
    const parseTime = (text: string | undefined) => {
      const ms = text === undefined ? NaN : Date.parse(text);
      return Number.isNaN(ms) ? undefined : ms;
    };
    const issued = parseTime(body.issued_at);
    const expires = parseTime(body.expires_at);
    return {
      value,
      // Keystone stamps both on its own clock, which may be off ours: keep the lifetime it granted.
      expiresAt: expires === undefined ? undefined : issued === undefined ? expires : receivedAt + (expires - issued),
      issuedAt: issued === undefined ? undefined : receivedAt,
      catalog: body.catalog ?? [],
      projectId: body.project?.id,
    };
  }
}
