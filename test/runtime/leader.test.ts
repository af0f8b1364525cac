import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { parseConfig } from '../../src/config.ts';
import { Manager } from '../../src/manager.ts';
import { FencedError, isApiServerError, ResourceClient } from '../../src/runtime/client.ts';
import { systemClock, type Clock } from '../../src/runtime/clock.ts';
import { LeaderElector } from '../../src/runtime/leader.ts';
import { createLogger } from '../../src/runtime/log.ts';
import { installCrds, startCluster, type LocalCluster } from './helpers.ts';
import { until } from '../support/wait.ts';

const LEASE_MS = 3000;
const RETRY_MS = 500;

let cluster: LocalCluster;
let leases: CoordinationV1Api;
let dir: string;

beforeAll(async () => {
  cluster = await startCluster();
  // The operator serves every kind: its caches sync (and it reports ready) once the CRDs exist.
  await installCrds(cluster.server.url);
  leases = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  dir = await mkdtemp(join(tmpdir(), 'cloudnet-leader-'));
});
afterAll(async () => {
  await cluster.server.close();
  await rm(dir, { recursive: true, force: true });
});

const holderOf = async (name: string) => (await leases.readNamespacedLease({ name, namespace: 'default' }).catch(() => undefined))?.spec;

describe('LeaderElector', () => {
  it('steps down when it cannot renew within the renew deadline', async () => {
    const events: string[] = [];
    const stop = new AbortController();
    const elector = new LeaderElector({
      kubeConfig: cluster.kubeConfig,
      namespace: 'default',
      name: 'stolen',
      identity: 'victim',
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: 2000,
      retryPeriodMs: RETRY_MS,
      log: createLogger({ level: 'silent' }),
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: (reason) => events.push(reason),
    });
    const run = elector.run(stop.signal);
    try {
      await until('leadership', () => elector.isLeader());
      // Another writer takes the lease: every renewal now finds a valid foreign holder.
      const lease = await leases.readNamespacedLease({ name: 'stolen', namespace: 'default' });
      await leases.replaceNamespacedLease({ name: 'stolen', namespace: 'default', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'thief', renewTime: undefined } } });
      const stolenAt = Date.now();
      await run;
      expect(events).toEqual(['started', 'lost']);
      expect(elector.isLeader()).toBe(false);
      expect(Date.now() - stolenAt).toBeGreaterThanOrEqual(2000 - RETRY_MS * 1.2);
    } finally {
      stop.abort();
      await run;
    }
  });

  it('one of two candidates leads; the other takes over when the leader releases', async () => {
    const silent = createLogger({ level: 'silent' });
    const started: string[] = [];
    const stopped: string[] = [];
    const candidate = (identity: string) => {
      const stop = new AbortController();
      const elector = new LeaderElector({
        kubeConfig: cluster.kubeConfig,
        namespace: 'default',
        name: 'in-process',
        identity,
        leaseDurationMs: LEASE_MS,
        renewDeadlineMs: 2000,
        retryPeriodMs: RETRY_MS,
        log: silent,
        onStartedLeading: () => started.push(identity),
        onStoppedLeading: (reason) => stopped.push(`${identity} ${reason}`),
      });
      return { elector, stop, run: elector.run(stop.signal) };
    };
    const a = candidate('a');
    const b = candidate('b');
    try {
      await until('a leader', () => started.length === 1);
      const [leader, standby] = started[0] === 'a' ? [a, b] : [b, a];
      expect((await holderOf('in-process'))?.holderIdentity).toBe(leader.elector.identity);
      expect(standby.elector.isLeader()).toBe(false);

      const released = Date.now();
      leader.stop.abort();
      await leader.run;
      expect(stopped).toEqual([`${leader.elector.identity} released`]);
      await until('the standby to lead', () => standby.elector.isLeader());
      // A released lease is free at once: no waiting for it to expire.
      expect(Date.now() - released).toBeLessThan(LEASE_MS);
      const spec = await holderOf('in-process');
      expect(spec).toMatchObject({ holderIdentity: standby.elector.identity, leaseTransitions: 1 });
    } finally {
      a.stop.abort();
      b.stop.abort();
      await Promise.all([a.run, b.run]);
    }
  });
});

describe('the fence', () => {
  it('closes once a renew deadline has passed since the last successful renewal began, though the elector still leads; a renewal opens it again', async () => {
    // A clock that can jump, as a process frozen between two renewals sees it.
    let jump = 0;
    const clock: Clock = { ...systemClock, now: () => performance.now() + jump };
    const stop = new AbortController();
    const elector = new LeaderElector({
      kubeConfig: cluster.kubeConfig,
      namespace: 'default',
      name: 'fence',
      identity: 'frozen',
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: 2000,
      retryPeriodMs: RETRY_MS,
      clock,
      log: createLogger({ level: 'silent' }),
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    });
    const run = elector.run(stop.signal);
    try {
      await until('leadership', () => elector.holds());
      jump += 2000;
      expect(elector.holds()).toBe(false);
      expect(elector.isLeader()).toBe(true);
      // Nobody took the lease meanwhile: the next renewal succeeds, and the fence opens from its start.
      await until('the next renewal', () => elector.holds());
      expect((await holderOf('fence'))?.holderIdentity).toBe('frozen');
    } finally {
      stop.abort();
      await run;
    }
    expect(elector.holds()).toBe(false);
  });

  it('refuses writes through a fenced ResourceClient unsent, as an error the controller retries; reads go on', async () => {
    const secrets = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'fenced' }, stringData: { k: 'v' } } });
    const client = new ResourceClient(cluster.kubeConfig, secrets, { mayWrite: () => false });
    const err = await client.patch('default', 'fenced', { metadata: { labels: { written: 'yes' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect(isApiServerError(err)).toBe(true);
    await expect(client.patchStatus('default', 'fenced', { status: {} })).rejects.toBeInstanceOf(FencedError);
    expect((await client.get('default', 'fenced'))?.metadata?.labels).toBeUndefined();
  });

  it('is open without leader election, and closed with it until this replica leads', () => {
    const manager = (leaderElect: boolean) => {
      const parsed = parseConfig([`--leader-elect=${leaderElect}`], {});
      if (parsed.help) throw new Error('unexpected --help');
      return new Manager({ config: parsed.config, controllers: [], kubeConfig: cluster.kubeConfig, log: createLogger({ level: 'silent' }) });
    };
    expect(manager(false).mayWrite()).toBe(true);
    expect(manager(true).mayWrite()).toBe(false);
  });
});

interface Operator {
  child: ChildProcess;
  identity: string;
  logs: string[];
  exit: Promise<number | null>;
}

function startOperator(kubeconfig: string): Operator {
  const child = spawn(
    process.execPath,
    [
      'src/main.ts',
      '--kubeconfig', kubeconfig,
      '--leader-elect',
      '--leader-election-id', 'test',
      '--leader-election-namespace', 'default',
      '--leader-election-lease-duration', `${LEASE_MS / 1000}s`,
      '--leader-election-renew-deadline', '2s',
      '--leader-election-retry-period', `${RETRY_MS}ms`,
      '--metrics-bind-address', '127.0.0.1:0',
      '--health-probe-bind-address', '127.0.0.1:0',
    ],
    { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, identity: `${hostname()}_${child.pid}`, logs, exit };
}

const logged = (op: Operator, msg: string) => op.logs.some((line) => line.includes(`"msg":"${msg}"`));

/** The probe address the operator logged when it started serving. */
function probesOf(op: Operator): string {
  const line = op.logs.find((l) => l.includes('"msg":"manager serving"'));
  return (JSON.parse(line!) as { probes: string }).probes;
}

describe('leader election across two operator processes', () => {
  it('exactly one leads; after the leader is SIGKILLed the other leads within the lease duration; SIGTERM releases the lease and exits 0', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, cluster.kubeconfigYaml, { mode: 0o600 });
    const operators = [startOperator(kubeconfig), startOperator(kubeconfig)];
    try {
      const first = await until('a lease holder', async () => {
        const holder = (await holderOf('test'))?.holderIdentity;
        return operators.find((op) => op.identity === holder);
      }, 20_000);
      const second = operators.find((op) => op !== first)!;
      // Both are up and campaigning; the lease is renewed by the holder and never taken by the other.
      await until('both candidates campaigning', () => operators.every((op) => logged(op, 'attempting to acquire the leader lease')), 20_000);
      const renewed = (await holderOf('test'))?.renewTime;
      await until('two renewals', async () => {
        const spec = await holderOf('test');
        return spec?.holderIdentity === first.identity && String(spec.renewTime) !== String(renewed) && spec;
      });
      expect(logged(first, 'acquired the leader lease')).toBe(true);
      expect(logged(second, 'acquired the leader lease')).toBe(false);
      // Leader and standby both become ready (the standby warms its caches too; on a loaded machine
      // that may take a moment after it started campaigning).
      for (const op of operators) await until(`${op.identity} ready`, async () => (await fetch(`http://${probesOf(op)}/readyz`)).status === 200);

      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await until('the standby to take the lease', async () => (await holderOf('test'))?.holderIdentity === second.identity, 10_000, 10);
      const takeoverMs = Date.now() - killedAt;
      // Expiry is measured from when the standby last saw the record change (client-go: no trust in
      // the holder's clock), so the bound is the lease duration plus one jittered retry period,
      // plus a little scheduling slack for a loaded machine.
      console.log(`leader takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)`);
      expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + RETRY_MS * 1.2 + 200);
      expect(await first.exit).toBeNull();

      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
      const released = await holderOf('test');
      expect(released?.holderIdentity ?? '').toBe('');
      expect(released?.leaseDurationSeconds).toBe(1);
      expect(logged(second, 'released the leader lease')).toBe(true);
    } finally {
      for (const op of operators) if (op.child.exitCode === null && op.child.signalCode === null) op.child.kill('SIGKILL');
    }
  }, 60_000);
});
