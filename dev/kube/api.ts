import type { Store } from './store.ts';
import type { ResourceRegistry } from './registry.ts';

/** What every handler works with: the data, the served resources and the server's knobs. */
export interface Api {
  store: Store;
  registry: ResourceRegistry;
  bookmarkIntervalMs: number;
  now(): Date;
}
