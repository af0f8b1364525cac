import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { MIN_RESYNC_PERIOD } from './api/envelope.ts';

export interface Config {
  /** Path of a kubeconfig; undefined = in-cluster service account. */
  kubeconfig: string | undefined;
  /** Watched namespaces; empty = all. */
  namespaces: string[];
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElect: boolean;
  leaderElectionId: string;
  leaderElectionNamespace: string;
  leaderElectionIdentity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Reconciles at once per kind; `perKind` overrides `default`. */
  concurrency: { default: number; perKind: Record<string, number> };
  /** Default drift-check period of managed objects; 0 = off. */
  resyncPeriodMs: number;
  gracefulShutdownTimeoutMs: number;
  logLevel: string;
}

interface Flag {
  type: 'string' | 'boolean';
  default: string;
  help: string;
  multiple?: boolean;
  /** Environment variable; default CLOUDNET_<FLAG_IN_UPPER_SNAKE_CASE>. */
  env?: string;
}

/**
 * Reconciles at once per kind. A worker spends most of a create waiting on the cloud, so using a
 * rate limit of R requests/s at latency L takes about R x L workers: 16 per kind keep 50 requests/s
 * busy at 200 ms (README, "Performance"); the rate limit, not the workers, bounds the cloud's load.
 */
const DEFAULT_CONCURRENCY = 16;

const flags = {
  kubeconfig: { type: 'string', default: '', env: 'KUBECONFIG', help: 'path to a kubeconfig; in-cluster configuration when empty' },
  namespaces: { type: 'string', default: '', help: 'comma-separated namespaces to watch; all when empty' },
  'metrics-bind-address': { type: 'string', default: ':8080', help: 'address of the /metrics endpoint; "0" disables it' },
  'health-probe-bind-address': { type: 'string', default: ':8081', help: 'address of /healthz and /readyz; "0" disables them' },
  'leader-elect': { type: 'boolean', default: 'true', help: 'elect a leader on a Lease so only one replica reconciles (--leader-elect=false to disable)' },
  'leader-election-id': { type: 'string', default: 'cloudnet-operator.cloudnet.io', help: 'name of the leader election Lease' },
  'leader-election-namespace': { type: 'string', default: '', env: 'POD_NAMESPACE', help: 'namespace of the Lease; the pod\'s namespace in-cluster, else "default"' },
  'leader-election-identity': { type: 'string', default: '', help: 'this replica\'s identity in the Lease; hostname_pid when empty' },
  'leader-election-lease-duration': { type: 'string', default: '15s', help: 'how long a standby waits before taking over an unrenewed lease' },
  'leader-election-renew-deadline': { type: 'string', default: '10s', help: 'how long the leader retries renewing before it steps down' },
  'leader-election-retry-period': { type: 'string', default: '2s', help: 'interval between lease acquire/renew attempts' },
  concurrency: {
    type: 'string',
    default: String(DEFAULT_CONCURRENCY),
    multiple: true,
    help: 'reconciles at once per kind: N, or Kind=N overrides (repeatable, comma-separated); about rate limit x cloud latency of them use a ProviderConfig\'s whole rate',
  },
  'resync-period': { type: 'string', default: '10m', help: `default drift-check period of managed resources (Go duration, at least ${MIN_RESYNC_PERIOD}; 0 disables)` },
  'graceful-shutdown-timeout': { type: 'string', default: '30s', help: 'how long shutdown waits for reconciles in flight' },
  'log-level': { type: 'string', default: 'info', help: 'trace, debug, info, warn, error or fatal' },
  help: { type: 'boolean', default: 'false', help: 'show this help' },
} satisfies Record<string, Flag>;

type FlagName = keyof typeof flags;

const envName = (name: FlagName): string => (flags[name] as Flag).env ?? `CLOUDNET_${name.toUpperCase().replaceAll('-', '_')}`;

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("1h30m", "500ms", "0"), in milliseconds. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  // \u00b5 is µ, escaped: the build keeps its output ASCII (scripts/build.ts says why).
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw new Error(`invalid duration "${text}" (use e.g. 10m, 1h30m, 500ms)`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * units[p[2]!]!, 0);
}

/** The floor spec.resyncPeriod has at admission, which --resync-period has too. */
export const MIN_RESYNC_PERIOD_MS = parseDuration(MIN_RESYNC_PERIOD);

function parseConcurrency(values: string[]): Config['concurrency'] {
  const result: Config['concurrency'] = { default: DEFAULT_CONCURRENCY, perKind: {} };
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const [kind, count] = item.includes('=') ? item.split('=', 2) : [undefined, item];
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1) throw new Error(`invalid --concurrency "${item}" (use N or Kind=N, N >= 1)`);
    if (kind) result.perKind[kind] = n;
    else result.default = n;
  }
  return result;
}

/** Go flag style "--leader-elect=false" becomes "--no-leader-elect". */
function normalizeBooleans(args: string[]): string[] {
  return args.map((arg) => {
    const match = /^--([a-z-]+)=(true|false)$/.exec(arg);
    if (!match || (flags as Record<string, Flag>)[match[1]!]?.type !== 'boolean') return arg;
    return match[2] === 'true' ? `--${match[1]}` : `--no-${match[1]}`;
  });
}

export function usage(): string {
  const lines = Object.entries(flags).map(([name, flag]) => {
    const env = name === 'help' ? '' : ` [$${envName(name as FlagName)}]`;
    return `  --${name}${flag.type === 'string' ? ' <value>' : ''}\n      ${flag.help} (default "${flag.default}")${env}`;
  });
  return `Usage: cloudnet-operator [flags]\n\nFlags (each also read from the environment variable shown):\n${lines.join('\n')}\n`;
}

export type ParseResult = { help: true } | { help: false; config: Config };

/** Flags win over environment variables, which win over defaults. Throws on invalid input. */
export function parseConfig(args: string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [name, { type: flag.type, ...('multiple' in flag ? { multiple: true } : {}) }]),
  ) as Record<FlagName, { type: 'string' | 'boolean'; multiple?: boolean }>;
  const { values } = parseArgs({ args: normalizeBooleans(args), options, strict: true, allowPositionals: false, allowNegative: true });
  if (values.help) return { help: true };

  const read = (name: FlagName): string => {
    const value = values[name];
    if (value !== undefined) return Array.isArray(value) ? String(value.at(-1)) : String(value);
    return env[envName(name)] ?? flags[name].default;
  };
  const concurrency = values.concurrency ?? [env[envName('concurrency')] ?? flags.concurrency.default];
  const leaderElect = read('leader-elect');
  if (leaderElect !== 'true' && leaderElect !== 'false') throw new Error(`invalid leader election setting "${leaderElect}" (true or false)`);

  const leaseDurationMs = parseDuration(read('leader-election-lease-duration'));
  const renewDeadlineMs = parseDuration(read('leader-election-renew-deadline'));
  const retryPeriodMs = parseDuration(read('leader-election-retry-period'));
  // client-go's rules: a leader must give up before a standby may take over, and retry in time.
  if (leaseDurationMs <= renewDeadlineMs) throw new Error('--leader-election-lease-duration must be greater than --leader-election-renew-deadline');
  if (renewDeadlineMs <= retryPeriodMs * 1.2) throw new Error('--leader-election-renew-deadline must be greater than 1.2 x --leader-election-retry-period');
  const resyncPeriodMs = parseDuration(read('resync-period'));
  if (resyncPeriodMs !== 0 && resyncPeriodMs < MIN_RESYNC_PERIOD_MS) throw new Error(`--resync-period must be at least ${MIN_RESYNC_PERIOD}, or 0 to disable drift checks`);

  return {
    help: false,
    config: {
      kubeconfig: read('kubeconfig').split(':')[0] || undefined,
      namespaces: read('namespaces').split(',').map((n) => n.trim()).filter(Boolean),
      metricsBindAddress: read('metrics-bind-address'),
      healthProbeBindAddress: read('health-probe-bind-address'),
      leaderElect: leaderElect === 'true',
      leaderElectionId: read('leader-election-id'),
      leaderElectionNamespace: read('leader-election-namespace'),
      leaderElectionIdentity: read('leader-election-identity') || `${hostname()}_${process.pid}`,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      concurrency: parseConcurrency(Array.isArray(concurrency) ? concurrency.map(String) : [String(concurrency)]),
      resyncPeriodMs,
      gracefulShutdownTimeoutMs: parseDuration(read('graceful-shutdown-timeout')),
      logLevel: read('log-level'),
    },
  };
}
