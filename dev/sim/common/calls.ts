// Call accounting: every request a simulator receives, for assertions such as "zero calls in steady state".
// Each simulator extends the record with its own labels (OpenStack: service; Exoscale: zone and bodies).

export type CallFault = 'error' | 'drop' | 'lose-response' | 'hold-response' | 'hang' | 'reset' | 'truncate' | 'slow-body';

export type CallRecordBase = {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The status sent; 0 when the connection was dropped before any response. */
  status: number;
  /** The simulator's name for what the request does (what `summary` counts). */
  operation: string;
  fault?: CallFault;
  /** The client's User-Agent: which replica of the operator sent it (it names itself there). */
  userAgent?: string;
  at: number;
};

/** A filter on a record's text (exact string or RegExp) and number fields; absent fields match anything. */
export type CallFilterOf<R> = {
  [K in keyof R as NonNullable<R[K]> extends string | number ? K : never]?: NonNullable<R[K]> extends number ? R[K] : string extends NonNullable<R[K]> ? string | RegExp : R[K];
};

const matches = (value: unknown, want: unknown): boolean =>
  want === undefined || (want instanceof RegExp ? typeof value === 'string' && want.test(value) : value === want);

export class CallLog<R extends CallRecordBase> {
  readonly records: R[] = [];

  record(call: R): void {
    this.records.push(call);
  }

  list(filter: CallFilterOf<R> = {}): R[] {
    const wanted = Object.entries(filter) as [keyof R, unknown][];
    return this.records.filter((c) => wanted.every(([key, want]) => matches(c[key], want)));
  }

  count(filter: CallFilterOf<R> = {}): number {
    return this.list(filter).length;
  }

  /** Operations and their counts, e.g. { "networks.create": 2 }: a readable summary for failing assertions. */
  summary(filter: CallFilterOf<R> = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.list(filter)) out[c.operation] = (out[c.operation] ?? 0) + 1;
    return out;
  }

  reset(): void {
    this.records.length = 0;
  }
}

export function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return out;
}
