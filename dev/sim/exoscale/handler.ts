// What an operation's handler gets: the zone's state, the path parameters and the body, both already
// checked against the spec, and the simulator's endpoints (for GET /zone).
import type { SimResponse } from './errors.ts';
import type { Zone } from './zone.ts';

export type Context = {
  zone: Zone;
  params: Record<string, string>;
  /** Parsed JSON; valid against the operation's request schema. */
  body: unknown;
  endpoint: (zone: string) => string;
};

/** Answers, or throws an ExoscaleError (errors.ts). */
export type Handler = (ctx: Context) => SimResponse;
