// Public-cloud profile, end to end (issue 17): a ProviderConfig with only a pre-issued token and a fixed
// network endpoint under a path prefix (<base>/networking/v2.0), as OpenStack-based public clouds publish
// them: no authURL, no catalog, no Keystone call by the operator. The token is issued beforehand by the
// test with the user's password. The example topology (examples/openstack/ 02-08) becomes Ready; a token
// the cloud stops taking (revoked by the test through Keystone's DELETE /v3/auth/tokens, or, on the
// simulator, expired) turns the ProviderConfig Ready=False with a message saying where to put a new one,
// the objects wait (ProviderNotReady) instead of retrying the cloud, and a spec change made meanwhile
// stays unapplied; a new token written into the Secret recovers everything without a restart.
//
// Simulator: Neutron is served under /networking (its networkPath). Real cloud (CLOUDNET_TEST_BACKEND=real):
// real Neutron behind test/real/proxy.ts mounted at /networking; the test talks to real Keystone and
// Neutron directly, so the proxy's call log is the operator's alone.
import { readdirSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { authRequestBody } from '../../src/cloud/openstack/auth.ts';
import { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import { parseCloudsYaml, type OpenStackAuth } from '../../src/cloud/openstack/config.ts';
import type { CallLog, CallRecord } from '../../dev/sim/openstack/calls.ts';
import { DEFAULT_USERS, simCloudsYaml, startOpenStackSim, type OpenStackSim } from '../../dev/sim/openstack/index.ts';
import { startCloudProxy } from '../real/proxy.ts';
import { maxAttempts } from '../support/backoff.ts';
import { condition, FAST, realCloud, ScenarioBase, until, useScenarioLifecycle, type Cluster, type Obj, type OperatorRun } from './harness.ts';
import { testCredential } from './secret-leaks.ts';

const PUBLIC_CLOUD = new URL('../../examples/public-cloud/', import.meta.url);
const OPENSTACK = new URL('../../examples/openstack/', import.meta.url);
/** The path prefix the public cloud publishes its networking API under. */
const PREFIX = '/networking';
const TOKEN_SECRET = 'cloud-token';
/** The scenarios' backoff schedule (harness FAST), in the form maxAttempts takes. */
const SCHEDULE = { factor: 2, floorMs: 100, capMs: 2000, ...FAST.backoff };

type Manifest = Obj & { kind: string; metadata: { name: string }; stringData?: Record<string, string> };

const yamlFiles = (dir: URL): Manifest[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => load(readFileSync(new URL(f, dir), 'utf8')) as Manifest);

/** The example topology's objects without a Server (no Nova here): 02-08 of examples/openstack/. */
const topology = (): Manifest[] =>
  yamlFiles(OPENSTACK).filter((m) => m.kind !== 'Secret' && m.kind !== 'ProviderConfig' && m.kind !== 'Server' && m.spec?.resource?.serverRef === undefined);

/** The cloud: Keystone for the test only, Neutron for the operator under PREFIX. */
interface PublicCloud {
  /** endpointOverrides.network as the operator gets it: <base>/networking/v2.0. */
  networkOverride: string;
  /** Keystone v3, where the test issues and revokes tokens (the operator is never told of it). */
  keystoneUrl: string;
  /** The test user's password auth (clouds.yaml of the backend). */
  auth: OpenStackAuth;
  /** Neutron as the test reaches it, out of band (not through the proxy), no version segment. */
  neutronUrl: string;
  /** A client of the test's own (password auth, user agent cloudnet-test) to look at the cloud. */
  cloud: OpenStackClient;
  /** Every request the simulator or the proxy saw. */
  calls: CallLog;
  sim?: OpenStackSim;
  close(): Promise<void>;
}

async function startPublicCloud(simOptions: { now?: () => number }): Promise<PublicCloud> {
  const client = (cloudsYaml: string, cloudName: string) => {
    const config = parseCloudsYaml(cloudsYaml, cloudName);
    return { auth: config.auth, cloud: new OpenStackClient({ cloud: config, registry: new Registry(), retry: { maxAttempts: 1 }, userAgent: 'cloudnet-test' }) };
  };
  if (realCloud) {
    const file = process.env.OS_CLIENT_CONFIG_FILE;
    const cloudName = process.env.OS_CLOUD;
    const networkUrl = process.env.CLOUDNET_REAL_NETWORK_URL;
    if (!file || !cloudName || !networkUrl) throw new Error('CLOUDNET_TEST_BACKEND=real needs OS_CLIENT_CONFIG_FILE, OS_CLOUD and CLOUDNET_REAL_NETWORK_URL (openstack.sh env)');
    const { auth, cloud } = client(readFileSync(file, 'utf8'), cloudName);
    const proxy = await startCloudProxy({ authUrl: auth.authUrl!, networkUrl, mounts: { network: PREFIX } });
    return {
      networkOverride: `${proxy.networkUrl}/v2.0`,
      keystoneUrl: auth.authUrl!,
      auth,
      neutronUrl: networkUrl.replace(/\/+$/, ''),
      cloud,
      calls: proxy.calls,
      close: async () => {
        cloud.close();
        await proxy.close();
      },
    };
  }
  const users = DEFAULT_USERS.map((user) => ({ ...user, password: testCredential(user.name) }));
  const sim = await startOpenStackSim({ users, networkPath: PREFIX, ...simOptions });
  const { auth, cloud } = client(simCloudsYaml(sim.authUrl, users), 'sim');
  return {
    networkOverride: `${sim.networkUrl}/v2.0`,
    keystoneUrl: sim.authUrl,
    auth,
    neutronUrl: sim.networkUrl,
    cloud,
    calls: sim.calls,
    sim,
    close: async () => {
      cloud.close();
      await sim.close();
    },
  };
}

const isOperator = (c: CallRecord): boolean => c.userAgent?.startsWith('cloudnet-operator') ?? false;
const isProbe = (c: CallRecord): boolean => c.method === 'GET' && /\/v2\.0\/networks$/.test(c.path) && c.query.limit === '1' && c.query.fields === 'id';

interface PublicCloudOptions extends OperatorRun {
  /** The simulator's clock (expiry without waiting). */
  now?: () => number;
}

/** The scenario: the examples/public-cloud Secret and ProviderConfig, pointed at the backend. */
class PublicCloudScenario extends ScenarioBase {
  readonly backend: PublicCloud;
  /** Every token the test issued (revoked ones included: the simulator forgets those). */
  readonly tokens: string[] = [];

  private constructor(cluster: Cluster, backend: PublicCloud, options: OperatorRun) {
    super(cluster, options);
    this.backend = backend;
  }

  static async start(cluster: Cluster, options: PublicCloudOptions = {}): Promise<PublicCloudScenario> {
    const s = new PublicCloudScenario(cluster, await startPublicCloud({ ...(options.now ? { now: options.now } : {}) }), options);
    const [secret] = yamlFiles(PUBLIC_CLOUD).filter((m) => m.kind === 'Secret');
    expect(secret!.metadata.name).toBe(TOKEN_SECRET);
    await s.setUp({ metadata: { name: TOKEN_SECRET }, stringData: { token: await s.issueToken() } }, 'openstack');
    return s;
  }

  /** A project-scoped token from Keystone, for the test user's password, as `openstack token issue` gets it. */
  async issueToken(): Promise<string> {
    const res = await fetch(`${this.backend.keystoneUrl}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'cloudnet-test' },
      body: JSON.stringify(authRequestBody(this.backend.auth)),
    });
    expect(res.status).toBe(201);
    const token = res.headers.get('x-subject-token')!;
    this.tokens.push(token);
    this.leaks.credential(token, 'a token the test issued');
    return token;
  }

  /** DELETE /v3/auth/tokens: Keystone revokes the token (the user may revoke its own). */
  async revokeToken(token: string): Promise<void> {
    const res = await fetch(`${this.backend.keystoneUrl}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': token, 'x-subject-token': token, 'user-agent': 'cloudnet-test' } });
    expect(res.status).toBe(204);
  }

  /** Whether Neutron, asked directly, takes the token. */
  async neutronTakes(token: string): Promise<boolean> {
    const res = await fetch(`${this.backend.neutronUrl}/v2.0/networks?limit=1&fields=id`, { headers: { 'x-auth-token': token, 'user-agent': 'cloudnet-test' } });
    await res.arrayBuffer();
    return res.status !== 401;
  }

  /** Puts a new token in the Secret, as a user rotating it does. */
  async rotate(): Promise<void> {
    const token = await this.issueToken();
    await this.cluster.core.replaceNamespacedSecret({ namespace: this.namespace, name: TOKEN_SECRET, body: { metadata: { name: TOKEN_SECRET }, stringData: { token } } });
  }

  /** The operator's requests so far. */
  operatorCalls(): CallRecord[] {
    return this.backend.calls.list().filter(isOperator);
  }

  override applyProviderConfig(): Promise<Obj> {
    const [pc] = yamlFiles(PUBLIC_CLOUD).filter((m) => m.kind === 'ProviderConfig');
    pc!.spec!.openstack.endpointOverrides.network = this.backend.networkOverride;
    return this.apply(pc!);
  }

  protected override get sharedCloud(): boolean {
    return realCloud;
  }

  override async close(): Promise<void> {
    // A test that failed with the token refused: a working one first, so the objects' cloud resources go.
    const last = this.tokens.at(-1);
    if (realCloud && last !== undefined && !(await this.neutronTakes(last))) await this.rotate().catch(() => undefined);
    await super.close();
    for (const token of this.backend.sim?.keystone.tokens.keys() ?? []) this.leaks.credential(token, 'a token Keystone issued');
    await this.backend.close();
  }
}

const { start } = useScenarioLifecycle(PublicCloudScenario.start);

/** How the token stops working: revoked through Keystone (both backends), or expired (the simulator's clock moved on). */
const ENDINGS = realCloud ? (['revoked'] as const) : (['revoked', 'expired'] as const);

describe('public cloud: a fixed endpoint under a path prefix and a pre-issued token', () => {
  for (const ending of ENDINGS) {
    it(`the example topology becomes Ready without Keystone; a token ${ending} mid-run stops the objects until a new one is in the Secret`, { timeout: realCloud ? 180_000 : 60_000 }, async () => {
      let clockShift = 0;
      const s = await start({ now: () => Date.now() + clockShift });
      const ready = realCloud ? 120_000 : 15_000;
      const pc = await s.waitReady('ProviderConfig', 'openstack');
      expect(pc.status!.endpoints).toEqual({ network: s.backend.networkOverride });
      expect(condition(pc, 'Ready')!.message).toBe(`authenticated; network endpoint ${s.backend.networkOverride}`);

      const objects = topology();
      expect(objects.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
        'Network/public',
        'Network/app-net',
        'Subnet/app-subnet',
        'Router/app-router',
        'SecurityGroup/web',
        'Port/web-0',
        'FloatingIP/web-0',
      ]);
      for (const m of objects) await s.apply(m);
      for (const m of objects) await s.waitReady(m.kind, m.metadata.name, ready);
      const netId = (await s.get('Network', 'app-net'))!.status!.id as string;
      const fip = (await s.get('FloatingIP', 'web-0'))!.status!;
      expect(fip.resource.floatingIPAddress).toMatch(/^203\.0\.113\./);

      // Neutron under the prefix only, never Keystone: no identity request of the operator at all.
      const made = s.operatorCalls();
      expect(made.length).toBeGreaterThan(0);
      expect(made.filter((c) => c.service !== 'network' || !c.path.startsWith(`${PREFIX}/v2.0/`) || c.path.includes('/v3'))).toEqual([]);

      // The token stops working.
      const [first] = s.tokens;
      if (ending === 'revoked') await s.revokeToken(first!);
      else clockShift = 2 * 3600_000; // past the simulator's one-hour token lifetime
      // Real Neutron keeps a token it validated in its cache (keystonemiddleware token_cache_time: 300 s
      // by default, 10 s in test/real/openstack.sh): until then it takes the revoked one. The simulator
      // refuses it at once.
      await until('Neutron refuses the old token', async () => !(await s.neutronTakes(first!)), realCloud ? 60_000 : 5_000, realCloud ? 1_000 : 20);

      // A spec change meanwhile: its reconcile meets the refusal.
      const refusedFrom = s.backend.calls.list().length;
      const startedAt = Date.now();
      const changed = { ...objects.find((m) => m.metadata.name === 'app-net')! };
      changed.spec = { ...changed.spec, resource: { ...changed.spec!.resource, description: 'changed while the token was refused' } };
      await s.apply(changed);

      const refused = await s.waitCondition('ProviderConfig', 'openstack', 'Ready', 'False', 'AuthenticationFailed', ready);
      const message = condition(refused, 'Ready')!.message;
      expect(message).toMatch(
        new RegExp(`^the cloud refused the token \\(401\\): it has expired or was revoked; put a new token in Secret ${s.namespace}/${TOKEN_SECRET} key token; next attempt at \\S+Z$`),
      );
      expect(condition(refused, 'Reconciling')).toMatchObject({ status: 'True', reason: 'AuthenticationFailed' });
      for (const m of objects) {
        const waiting = await s.waitCondition(m.kind, m.metadata.name, 'Ready', 'False', 'ProviderNotReady', ready);
        expect(condition(waiting, 'Ready')!.message).toContain(`ProviderConfig ${s.namespace}/openstack is not Ready: the cloud refused the token (401)`);
      }

      // No hot loop: the ProviderConfig probes on its backoff schedule; each object made at most the one
      // request that was refused, then waits for the ProviderConfig.
      const since = () => s.backend.calls.list().slice(refusedFrom).filter(isOperator);
      await until('five probes of the refused token', () => since().filter(isProbe).length >= 5 || undefined, realCloud ? 60_000 : 20_000);
      const window = Date.now() - startedAt;
      const during = since();
      const probes = during.filter(isProbe);
      const others = during.filter((c) => !isProbe(c));
      console.log(`token ${ending}: ${during.length} operator requests in ${window} ms while refused (${probes.length} probes, ${others.length} by objects: ${others.map((c) => `${c.method} ${c.path}`).join(', ')})`);
      expect(during.every((c) => c.status === 401)).toBe(true);
      expect(probes.length).toBeLessThanOrEqual(maxAttempts(window, SCHEDULE));
      // Only the changed network's reconcile met the refusal (its update, and its next attempt at most).
      expect(others.filter((c) => !c.path.endsWith(`/networks/${netId}`))).toEqual([]);
      expect(others.length).toBeLessThanOrEqual(maxAttempts(window, SCHEDULE));
      // The spec change did not reach the cloud: its one request (every request meanwhile) was refused.
      expect((await s.backend.cloud.neutron.networks.get(netId))!.description).toBe('application network');

      // Rotation: a new token in the Secret; the same operator recovers.
      await s.rotate();
      const recovered = await s.waitReady('ProviderConfig', 'openstack', ready);
      expect(condition(recovered, 'Ready')!.message).toBe(`authenticated; network endpoint ${s.backend.networkOverride}`);
      for (const m of objects) await s.waitReady(m.kind, m.metadata.name, ready);
      expect((await s.backend.cloud.neutron.networks.get(netId))!.description).toBe('changed while the token was refused');

      // Still no Keystone request by the operator, the whole run.
      expect(s.operatorCalls().filter((c) => c.service !== 'network' || !c.path.startsWith(`${PREFIX}/v2.0/`))).toEqual([]);
      const secret = await s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: TOKEN_SECRET });
      expect(JSON.stringify([refused?.status, recovered.status, await s.events('openstack')])).not.toContain(Buffer.from(secret.data!.token!, 'base64').toString());
    });
  }
});
