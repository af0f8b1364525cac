// The contract of a cloud provider plugin: how a ProviderConfig becomes a typed client. The generic
// layer (ProviderRegistry, the ProviderConfig controller, the managed reconciler) knows no cloud.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ProviderConfigSpec } from '../api/providerconfig.ts';
import type { RetryPolicy } from '../cloud/http.ts';

/** A Secret key a ProviderConfig reads; `field` says where its spec names it, for messages. */
export interface SecretRef {
  name: string;
  key: string;
  field: string;
}

/** The value of a Secret key; throws SecretMissing or SecretNotLoaded (not cached with its data yet). */
export type ReadSecret = (ref: SecretRef) => string;

/** What a user must fix in the ProviderConfig or its Secrets; the message never holds secret values. */
export class ConfigError extends Error {}

/** A Secret the ProviderConfig reads is cached without its data yet: try again once it is loaded. */
export class SecretNotLoaded extends ConfigError {}

/** A Secret or key the ProviderConfig reads does not exist (yet): its creation wakes the ProviderConfig. */
export class SecretMissing extends ConfigError {}

/** Settings every client gets from the operator, whatever its cloud. */
export interface ClientContext {
  /** Where the cloud API metrics go. */
  metrics: Registry;
  log?: Logger;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** First poll interval of a cloud's asynchronous operations (default the cloud's own; tests shorten it). */
  operationPollMs?: number;
  /** Names this replica in the cloud's logs. */
  userAgent?: string;
  /** The fence (HttpClientOptions.mayWrite): false refuses every cloud write unsent. */
  mayWrite?: () => boolean;
}

/** What a successful probe found: the Ready message and what status shows. */
export interface ProbeResult {
  message: string;
  endpoints?: Record<string, string>;
  projectID?: string;
}

/**
 * A cloud: turns a ProviderConfig's spec and Secrets into a client `C` (crossplane-runtime's
 * ExternalConnecter), over settings `S` it derives from them.
 */
export interface Provider<C, S = unknown> {
  /** spec.provider of the ProviderConfigs it serves, e.g. `openstack`. */
  readonly name: string;
  /** The Secret keys the spec names. */
  secretRefs(spec: ProviderConfigSpec): SecretRef[];
  /** The client settings of the spec and Secrets; throws ConfigError naming what to fix. */
  settings(spec: ProviderConfigSpec, read: ReadSecret): S;
  connect(settings: S, context: ClientContext): C;
  /**
   * Applies changed settings to a client in use (rotated credentials, new endpoints) and answers
   * true, or answers false when only a new client will do (it is then closed and replaced).
   */
  reconfigure(client: C, previous: S, next: S): boolean;
  /** Authenticates and resolves what the kinds need; throws a CloudError when it cannot. */
  probe(client: C, signal?: AbortSignal): Promise<ProbeResult>;
  /**
   * Why clients of these settings do not verify the cloud's TLS certificates (which setting turned
   * it off), or undefined when they do: the ProviderConfig's status and the log say so.
   */
  insecureTLS?(settings: S): string | undefined;
  close(client: C): void;
}

export type AnyProvider = Provider<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A managed object's client: its ProviderConfig's, or why there is none. */
export type ProviderLookup<C> =
  | { ready: true; client: C }
  | { ready: false; message: string }
  /** The ProviderConfig is for another cloud than the kind's. */
  | { ready: false; otherProvider: string };
