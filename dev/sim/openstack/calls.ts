// Call accounting: every request the simulator receives, for assertions such as "zero calls in steady state".

export type CallFault = 'error' | 'drop' | 'lose-response' | 'hold-response' | 'hang';

export type CallRecord = {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The status sent; 0 when the connection was dropped before any response. */
  status: number;
  service: string;
  operation: string;
  fault?: CallFault;
  at: number;
};

export type CallFilter = {
  method?: string;
  service?: string;
  operation?: string | RegExp;
  path?: string | RegExp;
  status?: number;
  fault?: CallFault;
};

const matches = (value: string, want: string | RegExp | undefined): boolean =>
  want === undefined || (typeof want === 'string' ? value === want : want.test(value));

export class CallLog {
  readonly records: CallRecord[] = [];

  record(call: CallRecord): void {
    this.records.push(call);
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.records.filter(
      (c) =>
        matches(c.method, filter.method) &&
        matches(c.service, filter.service) &&
        matches(c.operation, filter.operation) &&
        matches(c.path, filter.path) &&
        (filter.status === undefined || c.status === filter.status) &&
        (filter.fault === undefined || c.fault === filter.fault),
    );
  }

  count(filter: CallFilter = {}): number {
    return this.list(filter).length;
  }

  /** Operations and their counts, e.g. { "networks.create": 2 }: a readable summary for failing assertions. */
  summary(filter: CallFilter = {}): Record<string, number> {
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
