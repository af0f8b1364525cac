// Glance v2 images, by id or by name (Nova's image proxy is deprecated).
import { isCloudError } from '../errors.ts';
import type { GlanceImage } from './nova-types.ts';
import type { OpenStackSession } from './session.ts';

const PAGE_SIZE = 200;

export class Glance {
  readonly #session: OpenStackSession;

  constructor(session: OpenStackSession) {
    this.#session = session;
  }

  /** The image, or undefined when Glance answers 404. */
  async getImage(id: string, signal?: AbortSignal): Promise<GlanceImage | undefined> {
    try {
      const response = await this.#session.request<GlanceImage>('image', { method: 'GET', path: `images/${encodeURIComponent(id)}`, operation: 'getImage', signal });
      return response.body;
    } catch (err) {
      if (isCloudError(err, 'notFound')) return undefined;
      throw err;
    }
  }

  /** The images with this exact name, every page (Glance links the next page in `next`). */
  async listImages(filter: { name: string }, signal?: AbortSignal): Promise<GlanceImage[]> {
    const images: GlanceImage[] = [];
    let marker: string | undefined;
    for (;;) {
      const response = await this.#session.request<{ images?: GlanceImage[]; next?: string }>('image', {
        method: 'GET',
        path: 'images',
        operation: 'listImages',
        query: { name: filter.name, limit: PAGE_SIZE, marker },
        signal,
      });
      const page = response.body?.images ?? [];
      images.push(...page);
      // Only the marker is taken from `next`: its path is Glance's own, which a proxy may change.
      const next = response.body?.next === undefined ? null : new URL(response.body.next, 'http://glance.invalid').searchParams.get('marker');
      if (page.length === 0 || next === null || next === marker) return images;
      marker = next;
    }
  }
}
