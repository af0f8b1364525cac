// Drift checks by list (docs/design.md, "Drift checks by list"): one paginated list of every
// resource carrying the operator's marks, per kind and cloud client (ProviderConfig), serves the
// drift checks of all the objects whose check comes due after it began, and the lookups by
// ownership marks after a restart; an object's own GET is left for what the list cannot show (a
// resource without our marks, one deleted or created since).

/** One list of the marked resources, by id and by owner, and when it began (the time of what it shows). */
interface Listing {
  startedAt: number;
  /** Settles once every page is in. */
  listed: Promise<{
    /** Entries are taken by the drift checks they serve. */
    byId: Map<string, unknown>;
    /** Owner uid -> the ids of the resources its marks tie to it. */
    byOwner: Map<string, string[]>;
  }>;
}

export interface Listed {
  observed: unknown;
  /** When the list began: the observation is as of then. */
  at: number;
}

export class Listings {
  readonly #list: (cloud: unknown) => Promise<unknown[]>;
  readonly #id: (observed: unknown) => string;
  readonly #owner: (observed: unknown) => string | undefined;
  readonly #now: () => number;
  /** The latest listing per cloud client: a new client (a changed ProviderConfig) lists afresh. */
  readonly #latest = new WeakMap<object, Listing>();

  constructor(options: { list: (cloud: unknown) => Promise<unknown[]>; id: (observed: unknown) => string; owner: (observed: unknown) => string | undefined; now: () => number }) {
    this.#list = options.list;
    this.#id = options.id;
    this.#owner = options.owner;
    this.#now = options.now;
  }

  /**
   * The resource `id` as the latest listing begun after `since` (when the object was last
   * observed, or as stale as its drift check allows) shows it, starting a listing when there is
   * none: the checks that come due while it runs, or after it, share it. undefined when the
   * listing does not show it: only a GET can tell.
   */
  async find(cloud: object, id: string, since: number): Promise<Listed | undefined> {
    const listing = this.#since(cloud, since);
    const { byId } = await listing.listed;
    const observed = byId.get(id);
    if (observed === undefined) return undefined;
    // Each object takes its entry once (its next check needs a later listing), so the memory held shrinks as the checks run.
    byId.delete(id);
    return { observed, at: listing.startedAt };
  }

  /**
   * The resources whose marks tie them to the object `uid`, as the latest listing shows them
   * (starting one when there is none). Only for an object of which this process sent no create:
   * every listing began after this process started, so it shows whatever an earlier one made
   * (with its marks). The entries stay: a reconcile that fails after the lookup finds them again.
   * undefined when a drift check took one already: only a lookup can tell.
   */
  async owned(cloud: object, uid: string): Promise<unknown[] | undefined> {
    const { byId, byOwner } = await this.#since(cloud, -Infinity).listed;
    const found = (byOwner.get(uid) ?? []).map((id) => byId.get(id));
    return found.some((o) => o === undefined) ? undefined : found;
  }

  /** The latest listing if it began after `since`, else a new one. */
  #since(cloud: object, since: number): Listing {
    const latest = this.#latest.get(cloud);
    if (latest && latest.startedAt > since) return latest;
    const started: Listing = { startedAt: this.#now(), listed: this.#list(cloud).then((all) => this.#index(all)) };
    this.#latest.set(cloud, started);
    // A failed listing is not kept: the next check lists again.
    started.listed.catch(() => {
      if (this.#latest.get(cloud) === started) this.#latest.delete(cloud);
    });
    return started;
  }

  #index(all: unknown[]): { byId: Map<string, unknown>; byOwner: Map<string, string[]> } {
    const byId = new Map<string, unknown>();
    const byOwner = new Map<string, string[]>();
    for (const observed of all) {
      const id = this.#id(observed);
      byId.set(id, observed);
      const owner = this.#owner(observed);
      if (owner !== undefined) byOwner.set(owner, [...(byOwner.get(owner) ?? []), id]);
    }
    return { byId, byOwner };
  }
}
