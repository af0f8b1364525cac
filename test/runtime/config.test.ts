import { describe, expect, it } from 'vitest';
import { parseConfig, parseDuration, usage, type Config } from '../../src/config.ts';

function config(args: string[], env: NodeJS.ProcessEnv = {}): Config {
  const result = parseConfig(args, env);
  if (result.help) throw new Error('unexpected --help');
  return result.config;
}

describe('config', () => {
  it('has controller-runtime-like defaults', () => {
    expect(config([])).toMatchObject({
      kubeconfig: undefined,
      namespaces: [],
      metricsBindAddress: ':8080',
      healthProbeBindAddress: ':8081',
      leaderElect: true,
      leaderElectionId: 'cloudnet-operator.cloudnet.io',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      concurrency: { default: 16, perKind: {} },
      resyncPeriodMs: 600_000,
      logLevel: 'info',
    });
    expect(config([]).leaderElectionIdentity).toMatch(/_\d+$/);
  });

  it('reads flags, then environment variables, then defaults', () => {
    const env = { KUBECONFIG: '/env/kubeconfig', CLOUDNET_NAMESPACES: 'a,b', CLOUDNET_LOG_LEVEL: 'debug', CLOUDNET_LEADER_ELECT: 'false' };
    expect(config([], env)).toMatchObject({ kubeconfig: '/env/kubeconfig', namespaces: ['a', 'b'], logLevel: 'debug', leaderElect: false });
    expect(config(['--kubeconfig', '/flag', '--namespaces', ' team-a , team-b,', '--leader-elect'], env)).toMatchObject({
      kubeconfig: '/flag',
      namespaces: ['team-a', 'team-b'],
      leaderElect: true,
    });
  });

  it('accepts Go-style booleans and durations', () => {
    expect(config(['--leader-elect=false']).leaderElect).toBe(false);
    expect(config(['--no-leader-elect']).leaderElect).toBe(false);
    expect(config(['--resync-period', '1h30m', '--leader-election-retry-period', '500ms']).resyncPeriodMs).toBe(5_400_000);
    expect(config(['--resync-period', '0']).resyncPeriodMs).toBe(0);
    expect(config(['--resync-period', '10s']).resyncPeriodMs).toBe(10_000);
    for (const tooShort of ['1ms', '9s']) expect(() => config(['--resync-period', tooShort])).toThrow('--resync-period must be at least 10s, or 0 to disable drift checks');
    expect(parseDuration('1.5s')).toBe(1500);
    expect(() => parseDuration('10 minutes')).toThrow(/invalid duration/);
    expect(() => parseDuration('10')).toThrow(/invalid duration/);
    expect(() => config(['--leader-election-lease-duration', '5s'])).toThrow(/greater than --leader-election-renew-deadline/);
  });

  it('takes a default concurrency and per-kind overrides', () => {
    expect(config(['--concurrency', '8', '--concurrency', 'Network=2,Subnet=3']).concurrency).toEqual({ default: 8, perKind: { Network: 2, Subnet: 3 } });
    expect(config([], { CLOUDNET_CONCURRENCY: 'Port=1' }).concurrency).toEqual({ default: 16, perKind: { Port: 1 } });
    expect(() => config(['--concurrency', 'Network=0'])).toThrow(/invalid --concurrency/);
  });

  it('rejects unknown flags and documents every flag with its environment variable', () => {
    expect(() => config(['--bogus'])).toThrow();
    expect(parseConfig(['--help'])).toEqual({ help: true });
    expect(usage()).toContain('--metrics-bind-address <value>');
    expect(usage()).toContain('[$CLOUDNET_METRICS_BIND_ADDRESS]');
    expect(usage()).toContain('[$KUBECONFIG]');
  });
});
