// Nova v2.1 for one ProviderConfig: the compute microversion negotiated once from the version
// document, servers (create, read, list, delete, actions, metadata, tags, interfaces), flavors
// and key pairs. docs/openstack-notes.md has what real Nova does with them.
import { isCloudError } from '../errors.ts';
import type { HttpClient, QueryValue } from '../http.ts';
import type { NovaCreatedServer, NovaFlavor, NovaInterface, NovaKeypair, NovaServer, NovaServerCreate } from './nova-types.ts';
import { listAllPages } from './paging.ts';
import type { OpenStackSession } from './session.ts';

/** The newest compute microversion whose requests and answers this client is written for (Zed's). */
export const NEWEST_KNOWN_MICROVERSION = '2.93';
/** Tags in the create request. */
export const TAGS_ON_CREATE_MICROVERSION = '2.52';

const PAGE_SIZE = 200;

/** `2.52` as [2, 52]; a document without microversions counts as 2.1. */
function parseMicroversion(text: string | undefined): [number, number] {
  const match = /^(\d+)\.(\d+)$/.exec(text ?? '');
  return match ? [Number(match[1]), Number(match[2])] : [2, 1];
}

/** a - b, ordered as microversions. */
export function compareMicroversions(a: string, b: string): number {
  const [am, an] = parseMicroversion(a);
  const [bm, bn] = parseMicroversion(b);
  return am - bm || an - bn;
}

interface VersionDocument {
  version?: { id?: string; version?: string; min_version?: string };
}

/** A server action: the body of POST /servers/{id}/action, e.g. `{ 'os-stop': null }`. */
export type ServerAction =
  | { 'os-start': null }
  | { 'os-stop': null }
  | { reboot: { type: 'SOFT' | 'HARD' } }
  | { resize: { flavorRef: string } }
  | { confirmResize: null }
  | { revertResize: null };

export type InterfaceRequest = { net_id: string; fixed_ips?: { ip_address: string }[] } | { port_id: string };

/** Nova's name filter is a regular expression: anchored, with its special characters escaped (Nova escapes `|` itself). */
const exactly = (name: string): string => `^${name.replace(/[.*+?^${}()[\]\\]/g, '\\$&')}$`;

export class Nova {
  readonly #session: OpenStackSession;
  readonly #http: HttpClient;
  #microversion: Promise<string> | undefined;

  constructor(session: OpenStackSession, http: HttpClient) {
    this.#session = session;
    this.#http = http;
  }

  /**
   * The microversion every compute request carries: the newest the cloud supports up to the newest
   * this client knows (`compute 2.latest` is refused by Zed). Negotiated once; a failed negotiation
   * is tried again by the next request.
   */
  microversion(signal?: AbortSignal): Promise<string> {
    this.#microversion ??= this.#negotiate(signal).catch((err: unknown) => {
      this.#microversion = undefined;
      throw err;
    });
    return this.#microversion;
  }

  /** Whether the negotiated microversion is at least `version`. */
  async supports(version: string, signal?: AbortSignal): Promise<boolean> {
    return compareMicroversions(await this.microversion(signal), version) >= 0;
  }

  async createServer(server: NovaServerCreate, signal?: AbortSignal): Promise<NovaCreatedServer> {
    const body = await this.#request<{ server: NovaCreatedServer }>('POST', 'servers', 'createServer', { json: { server }, signal });
    return body.server;
  }

  /** The server, or undefined when Nova answers 404. */
  getServer(id: string, signal?: AbortSignal): Promise<NovaServer | undefined> {
    return this.#find<NovaServer>(`servers/${encodeURIComponent(id)}`, 'getServer', 'server', signal);
  }

  /** Renames the server (the one field of PUT /servers/{id} the operator changes). */
  async updateServer(id: string, fields: { name: string }, signal?: AbortSignal): Promise<NovaServer> {
    const body = await this.#request<{ server: NovaServer }>('PUT', `servers/${encodeURIComponent(id)}`, 'updateServer', { json: { server: fields }, signal });
    return body.server;
  }

  /**
   * Servers with this exact name and/or all of these tags, every page. Nova's name filter is a
   * case-insensitive regular expression in which it escapes `|`: it narrows the list, the exact
   * comparison is made here.
   */
  async listServers(filter: { name?: string; tags?: readonly string[] }, signal?: AbortSignal): Promise<NovaServer[]> {
    await this.microversion(signal);
    const query: Record<string, QueryValue> = {
      name: filter.name === undefined ? undefined : exactly(filter.name),
      tags: filter.tags?.length ? filter.tags.join(',') : undefined,
    };
    const servers = await listAllPages<NovaServer>(this.#session, { service: 'compute', path: 'servers/detail', key: 'servers', operation: 'listServers', query, pageSize: PAGE_SIZE, signal });
    return filter.name === undefined ? servers : servers.filter((s) => s.name === filter.name);
  }

  /** Deletes the server; one already gone (404) counts as deleted. Nova goes on deleting after it answers. */
  async deleteServer(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#request('DELETE', `servers/${encodeURIComponent(id)}`, 'deleteServer', { signal });
    } catch (err) {
      if (!isCloudError(err, 'notFound')) throw err;
    }
  }

  async serverAction(id: string, action: ServerAction, signal?: AbortSignal): Promise<void> {
    const name = Object.keys(action)[0] ?? 'action';
    await this.#request('POST', `servers/${encodeURIComponent(id)}/action`, `serverAction:${name}`, { json: action, signal });
  }

  /** Replaces all of the server's metadata. */
  async replaceMetadata(id: string, metadata: Record<string, string>, signal?: AbortSignal): Promise<Record<string, string>> {
    const body = await this.#request<{ metadata: Record<string, string> }>('PUT', `servers/${encodeURIComponent(id)}/metadata`, 'replaceServerMetadata', {
      json: { metadata },
      signal,
    });
    return body.metadata;
  }

  /** Replaces all of the server's tags (2.26+). */
  async replaceTags(id: string, tags: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const body = await this.#request<{ tags: string[] }>('PUT', `servers/${encodeURIComponent(id)}/tags`, 'replaceServerTags', { json: { tags }, signal });
    return body.tags;
  }

  async listInterfaces(id: string, signal?: AbortSignal): Promise<NovaInterface[]> {
    const body = await this.#request<{ interfaceAttachments: NovaInterface[] }>('GET', `servers/${encodeURIComponent(id)}/os-interface`, 'listServerInterfaces', { signal });
    return body.interfaceAttachments;
  }

  async attachInterface(id: string, request: InterfaceRequest, signal?: AbortSignal): Promise<NovaInterface> {
    const body = await this.#request<{ interfaceAttachment: NovaInterface }>('POST', `servers/${encodeURIComponent(id)}/os-interface`, 'attachServerInterface', {
      json: { interfaceAttachment: request },
      signal,
    });
    return body.interfaceAttachment;
  }

  /** Detaches the port; one already detached (404) counts as detached. */
  async detachInterface(id: string, portId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#request('DELETE', `servers/${encodeURIComponent(id)}/os-interface/${encodeURIComponent(portId)}`, 'detachServerInterface', { signal });
    } catch (err) {
      if (!isCloudError(err, 'notFound')) throw err;
    }
  }

  /** The flavor, or undefined when Nova answers 404. */
  getFlavor(id: string, signal?: AbortSignal): Promise<NovaFlavor | undefined> {
    return this.#find<NovaFlavor>(`flavors/${encodeURIComponent(id)}`, 'getFlavor', 'flavor', signal);
  }

  /** Every flavor the project may use, with its details. */
  async listFlavors(signal?: AbortSignal): Promise<NovaFlavor[]> {
    await this.microversion(signal);
    return listAllPages<NovaFlavor>(this.#session, { service: 'compute', path: 'flavors/detail', key: 'flavors', operation: 'listFlavors', pageSize: PAGE_SIZE, signal });
  }

  /** The key pair, or undefined when Nova answers 404. */
  getKeypair(name: string, signal?: AbortSignal): Promise<NovaKeypair | undefined> {
    return this.#find<NovaKeypair>(`os-keypairs/${encodeURIComponent(name)}`, 'getKeypair', 'keypair', signal);
  }

  async #negotiate(signal?: AbortSignal): Promise<string> {
    const response = await this.#session.request<VersionDocument>('compute', { method: 'GET', path: '', fromVersionRoot: true, operation: 'getComputeVersion', signal });
    const offered = response.body?.version?.version || '2.1';
    const chosen = compareMicroversions(offered, NEWEST_KNOWN_MICROVERSION) < 0 ? offered : NEWEST_KNOWN_MICROVERSION;
    this.#http.setServiceHeaders('compute', { 'OpenStack-API-Version': `compute ${chosen}`, 'X-OpenStack-Nova-API-Version': chosen });
    return chosen;
  }

  /** The object under `key` of a GET, or undefined when Nova answers 404. */
  async #find<T>(path: string, operation: string, key: string, signal: AbortSignal | undefined): Promise<T | undefined> {
    try {
      return (await this.#request<Record<string, T>>('GET', path, operation, { signal }))[key];
    } catch (err) {
      if (isCloudError(err, 'notFound')) return undefined;
      throw err;
    }
  }

  async #request<T = Record<string, unknown>>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    operation: string,
    options: { json?: unknown; signal?: AbortSignal | undefined },
  ): Promise<T> {
    await this.microversion(options.signal);
    const response = await this.#session.request<T | undefined>('compute', { method, path, operation, json: options.json, signal: options.signal });
    return response.body ?? ({} as T);
  }
}
