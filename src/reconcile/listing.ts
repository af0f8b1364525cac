// Drift checks by list (docs/design.md, "Drift checks by list"): one paginated list of every
// resource carrying the operator's marks, per kind and cloud client (ProviderConfig), serves the
// drift checks of all the objects whose check comes due after it began; an object's own GET is
// left for what the list cannot show (a resource without our marks, one deleted or created since).

/** One list of the marked resources, by id, and when it began (the time of what it shows). */
interface Listing {
  startedAt: number;
  /** Settles once every page is in; entries are taken by the drift checks they serve. */
  byId: Promise<Map<string, unknown>>;
}

export interface Listed {
  observed: unknown;
  /** When the list began: the observation is as of then. */
  at: number;
}

export class Listings {
  readonly #list: (cloud: unknown) => Promise<unknown[]>;
  readonly #id: (observed: unknown) => string;
  readonly #now: () => number;
  /** The latest listing per cloud client: a new client (a changed ProviderConfig) lists afresh. */
  readonly #latest = new WeakMap<object, Listing>();

  constructor(options: { list: (cloud: unknown) => Promise<unknown[]>; id: (observed: unknown) => string; now: () => number }) {
    this.#list = options.list;
    this.#id = options.id;
    this.#now = options.now;
  }

  /**
   * The resource `id` as the latest listing begun after `since` (when the object was last
   * observed, or as stale as its drift check allows) shows it, starting a listing when there is
   * none: the checks that come due while it runs, or after it, share it. undefined when the
   * listing does not show it: only a GET can tell.
   */
  async find(cloud: object, id: string, since: number): Promise<Listed | undefined> {
    let listing = this.#latest.get(cloud);
    if (!listing || listing.startedAt <= since) {
      const started: Listing = { startedAt: this.#now(), byId: this.#list(cloud).then((all) => new Map(all.map((o) => [this.#id(o), o]))) };
      this.#latest.set(cloud, started);
      // A failed listing is not kept: the next check lists again.
      started.byId.catch(() => {
        if (this.#latest.get(cloud) === started) this.#latest.delete(cloud);
      });
      listing = started;
    }
    const byId = await listing.byId;
    const observed = byId.get(id);
    if (observed === undefined) return undefined;
    // Each object takes its entry once (its next check needs a later listing), so the memory held shrinks as the checks run.
    byId.delete(id);
    return { observed, at: listing.startedAt };
  }
}
