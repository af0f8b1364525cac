// Glance v2, as far as clients look images up: version discovery, GET /v2/images (filters, limit/marker and
// the `next` link) and GET /v2/images/{id}. Glance answers its errors with webob's HTML pages, not JSON.
import { createHash, randomUUID } from 'node:crypto';
import { json, webobError, type RoutedRequest, type SimRequest, type SimResponse } from './http.ts';
import type { AuthContext } from './keystone.ts';

export type GlanceImage = {
  id: string;
  name: string;
  disk_format: string;
  container_format: string;
  visibility: 'public' | 'private' | 'shared' | 'community';
  size: number;
  virtual_size: number;
  status: string;
  checksum: string;
  protected: boolean;
  min_ram: number;
  min_disk: number;
  owner: string;
  os_hidden: boolean;
  os_hash_algo: string;
  os_hash_value: string;
  created_at: string;
  updated_at: string;
  tags: string[];
};

/** An image to seed: a name, the rest as the real tier's `fake-image` (1 KiB of zeros, raw, public, active). */
export type SimImage = { name: string } & Partial<Omit<GlanceImage, 'owner'>>;

export const DEFAULT_IMAGES: SimImage[] = [{ name: 'fake-image' }];

/** Glance's API versions: v2.15 current, no v2.14. */
const VERSIONS = ['2.15', '2.13', '2.12', '2.11', '2.10', '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];
/** api.limit_param_default. */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;
/** Query parameters that are not image attributes to match. */
const PAGING = new Set(['limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'tag']);

const stamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export type GlanceOptions = {
  now: () => number;
  authenticate: (token: string | undefined) => AuthContext | undefined;
};

export class Glance {
  readonly images = new Map<string, GlanceImage>();
  readonly #opts: GlanceOptions;

  constructor(opts: GlanceOptions) {
    this.#opts = opts;
  }

  /** Adds an image owned by `ownerProjectId`; its file is 1 KiB of zeros unless size says otherwise. */
  seed(image: SimImage, ownerProjectId: string): GlanceImage {
    const data = Buffer.alloc(image.size ?? 1024);
    const t = stamp(this.#opts.now());
    const record: GlanceImage = {
      id: randomUUID(),
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'public',
      size: data.length,
      virtual_size: data.length,
      status: 'active',
      checksum: createHash('md5').update(data).digest('hex'),
      protected: false,
      min_ram: 0,
      min_disk: 0,
      os_hidden: false,
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(data).digest('hex'),
      created_at: t,
      updated_at: t,
      tags: [],
      ...image,
      owner: ownerProjectId,
    };
    this.images.set(record.id, record);
    return record;
  }

  /** An image the caller may use: public and community ones, and its project's own. */
  find(caller: AuthContext, id: string): GlanceImage | undefined {
    const image = this.images.get(id);
    return image && this.#visible(caller, image, true) ? image : undefined;
  }

  route(req: SimRequest, mount: string): RoutedRequest {
    const anonymous = (operation: string, run: () => SimResponse): RoutedRequest => ({ service: 'image', operation, run });
    const r = (operation: string, run: (caller: AuthContext) => SimResponse): RoutedRequest => ({
      service: 'image',
      operation,
      run: () => {
        const caller = this.#opts.authenticate(req.headers['x-auth-token']);
        if (caller) return run(caller);
        return webobError(req.headers.accept, 401, 'Unauthorized', 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.', '', { 'WWW-Authenticate': `Keystone uri="${req.origin}/v3"` });
      },
    });
    const parts = req.path.split('/').filter(Boolean);
    if (req.method === 'GET' && parts.length === 0) {
      return anonymous('versions', () => json(300, { versions: VERSIONS.map((v, i) => ({ id: `v${v}`, status: i === 0 ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href: `${req.origin}${mount}/v2/` }] })) }));
    }
    if (req.method === 'GET' && parts[0] === 'v2' && parts[1] === 'images' && parts.length <= 3) {
      const id = parts[2];
      if (id === undefined) return r('listImages', (caller) => this.#list(caller, req));
      return r('getImage', (caller) => {
        const image = this.find(caller, decodeURIComponent(id));
        return image ? json(200, this.#view(image)) : webobError(req.headers.accept, 404, 'Not Found', `No image found with ID ${id}`);
      });
    }
    return anonymous('unknown', () => webobError(req.headers.accept, 404, 'Not Found', 'The resource could not be found.'));
  }

  #visible(caller: AuthContext, image: GlanceImage, byId: boolean): boolean {
    if (caller.isAdmin || image.owner === caller.projectId || image.visibility === 'public') return true;
    // Community images can be used by id; lists show them only when asked for.
    return byId && image.visibility === 'community';
  }

  #view(image: GlanceImage): Record<string, unknown> {
    const { id } = image;
    return { ...image, self: `/v2/images/${id}`, file: `/v2/images/${id}/file`, schema: '/v2/schemas/image', stores: 'fs' };
  }

  /** Newest first; a full page gets `next`, Glance's own relative URL with the marker last. */
  #list(caller: AuthContext, req: SimRequest): SimResponse {
    const query = req.query;
    const bad = (message: string): SimResponse => webobError(req.headers.accept, 400, 'Bad Request', message);
    const limitText = query.get('limit');
    if (limitText !== null && !/^-?\d+$/.test(limitText)) return bad('limit param must be an integer');
    if (limitText !== null && Number(limitText) < 0) return bad('limit param must be positive');
    const limit = Math.min(limitText === null ? DEFAULT_LIMIT : Number(limitText), MAX_LIMIT);
    const visibility = query.get('visibility');
    const tags = query.getAll('tag');
    const filters = [...query.entries()].filter(([k]) => !PAGING.has(k) && k !== 'visibility');
    let images = [...this.images.values()]
      .filter((i) => (visibility === null ? this.#visible(caller, i, false) : (visibility === 'all' || i.visibility === visibility) && this.#visible(caller, i, true)))
      .filter((i) => tags.every((t) => i.tags.includes(t)))
      .filter((i) => filters.every(([k, v]) => String((i as Record<string, unknown>)[k]) === v))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    const marker = query.get('marker');
    if (marker !== null) {
      const at = images.findIndex((i) => i.id === marker);
      if (at < 0) return bad(`No image found with ID ${marker}`);
      images = images.slice(at + 1);
    }
    const page = images.slice(0, limit);
    const params = new URLSearchParams(query);
    params.delete('marker');
    const first = `/v2/images${params.size > 0 ? `?${params.toString()}` : ''}`;
    const last = page.at(-1);
    const next = last !== undefined && page.length === limit ? { next: `/v2/images?${new URLSearchParams([...params, ['marker', last.id]]).toString()}` } : {};
    return json(200, { images: page.map((i) => this.#view(i)), first, schema: '/v2/schemas/images', ...next });
  }
}
