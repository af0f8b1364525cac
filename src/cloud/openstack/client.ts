import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HttpClient, type RetryPolicy } from '../http.ts';
import type { RateLimit } from '../rate-limit.ts';
import { KeystoneAuth } from './auth.ts';
import type { OpenStackCloudConfig } from './config.ts';
import { classifyOpenStackError } from './errors.ts';
import { Glance } from './glance.ts';
import { Neutron } from './neutron.ts';
import { Nova } from './nova.ts';
import { OpenStackSession } from './session.ts';

export interface OpenStackClientOptions {
  cloud: OpenStackCloudConfig;
  registry: Registry;
  /** PEM CA bundle from the ProviderConfig's Secret (clouds.yaml `cacert` names a file instead). */
  caBundle?: string;
  rateLimit?: RateLimit;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  tokenRefreshMarginMs?: number;
  logger?: Logger;
  userAgent?: string;
  /** The fence: see HttpClientOptions. */
  mayWrite?: () => boolean;
}

/**
 * Everything one ProviderConfig needs to talk to OpenStack; build one per ProviderConfig and
 * share it across kinds, so its token cache and rate limit are shared too.
 */
export class OpenStackClient {
  readonly http: HttpClient;
  readonly auth: KeystoneAuth;
  readonly session: OpenStackSession;
  readonly neutron: Neutron;
  readonly nova: Nova;
  readonly glance: Glance;
  #cloud: OpenStackCloudConfig;

  constructor(options: OpenStackClientOptions) {
    this.#cloud = options.cloud;
    this.http = new HttpClient({
      provider: 'openstack',
      registry: options.registry,
      classify: classifyOpenStackError,
      caBundle: options.caBundle,
      verify: options.cloud.verify,
      rateLimit: options.rateLimit,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      logger: options.logger,
      userAgent: options.userAgent,
      mayWrite: options.mayWrite,
    });
    this.auth = new KeystoneAuth(this.http, options.cloud.auth, { refreshMarginMs: options.tokenRefreshMarginMs });
    this.session = new OpenStackSession(this.http, this.auth, options.cloud);
    this.neutron = new Neutron(this.session);
    this.nova = new Nova(this.session, this.http);
    this.glance = new Glance(this.session);
  }

  /**
   * Picks up a changed Secret without a restart: new credentials drop the cached token, new
   * region/interface/overrides apply to the next request. TLS settings are fixed per client;
   * returns false when they changed and the caller must build a new client instead.
   */
  update(cloud: OpenStackCloudConfig): boolean {
    if (cloud.verify !== this.#cloud.verify) return false;
    this.auth.setCredentials(cloud.auth);
    this.session.setEndpoints(cloud);
    this.#cloud = cloud;
    return true;
  }

  /**
   * What a ProviderConfig's Ready condition needs: authenticates and resolves the network
   * endpoint. A pre-issued token gets no answer from Keystone, so one authenticated read of a
   * single network id shows that Neutron accepts it. Throws the CloudError that says why not.
   */
  async probe(signal?: AbortSignal): Promise<{ networkEndpoint: string; projectId: string | undefined }> {
    const networkEndpoint = await this.session.endpoint('network', signal);
    const { projectId } = await this.auth.token(signal);
    if (!this.auth.canReauthenticate) {
      await this.session.request('network', { method: 'GET', path: 'networks', query: { limit: 1, fields: 'id' }, operation: 'probeToken', signal });
    }
    return { networkEndpoint, projectId };
  }

  close(): void {
    this.http.close();
  }
}
