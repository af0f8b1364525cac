// Argo CD's health (config/argocd/health.lua, run by lua5.1) and kstatus, which Flux reads, of real
// objects: the operator drives objects of every kind into the states of scripts/gen-argocd.ts (Ready,
// no status yet, reconciling, waiting, stalled, ProviderNotReady, deleting...) on the simulator, and each
// live object must read as its state says. UPDATE_FIXTURES=1 writes them, normalized, as the testdata/
// fixtures of config/argocd/resource_customizations (then `make argocd` regenerates health_test.yaml).
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { kinds } from '../../src/api/index.ts';
import { STATES, type KubeObject, type StateName } from '../../scripts/gen-argocd.ts';
import { fixtureOf, writeFixture } from '../deploy/argocd-fixtures.ts';
import { runHealth } from '../deploy/argocd-lua.ts';
import { EXPECTED_KSTATUS, kstatus } from '../deploy/kstatus.ts';
import { adminProviderConfig } from './admin.ts';
import { condition, manifest, realCloud, useScenarios, type Obj, type Scenario } from './harness.ts';
import { testCredential } from './secret-leaks.ts';

const { start } = useScenarios();

/** Builds that take long enough to see a server's first status writes. */
const NOVA = { sim: { compute: { buildMs: 1500, taskMs: 100 } } };
const PROVIDER_NOT_READY_DEGRADED_AFTER_S = 600;

interface Capture {
  state: StateName;
  obj: Obj;
}

/** Records the object as the fixture of its kind in `state`. */
type Capturing = (state: StateName, obj: Obj | undefined) => void;

/** The first write of the object that `predicate` accepts, as the API server stored it (transient states no poll would catch). */
function firstWrite(s: Scenario, kind: string, name: string, predicate: (obj: Obj) => boolean, timeoutMs = 20_000): Promise<Obj> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no write of ${kind} ${name} matched within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = s.cluster.server.subscribe(({ object }) => {
      const obj = object as Obj;
      if (obj.kind !== kind || obj.metadata?.namespace !== s.namespace || obj.metadata.name !== name || !predicate(obj)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(structuredClone(obj));
    });
  });
}

/** A clouds.yaml Secret whose password Keystone refuses. */
async function wrongCredentials(s: Scenario, name: string): Promise<void> {
  const document = load(s.backend.cloudsYaml) as { clouds: Record<string, { auth: Record<string, unknown> }> };
  document.clouds[s.backend.cloudName]!.auth.password = testCredential('wrong-password');
  await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name }, stringData: { 'clouds.yaml': dump(document) } } });
}

const EXT = { managementPolicy: 'ObserveOnly', import: { filter: { name: 'public', external: true } } };
const RANGE = { startIP: '10.61.0.10', endIP: '10.61.0.200', netmask: '255.255.255.0' };

/** Objects of every kind Ready, with their first status writes on the way for a Server. */
async function healthy(s: Scenario, capture: Capturing): Promise<void> {
  capture('healthy', await s.get('ProviderConfig', 'openstack'));
  // QoS policies are admin-only in Neutron's default policy: the administrator's ProviderConfig makes this one.
  await adminProviderConfig(s);
  await s.apply(manifest('QoSPolicy', 'bulk', { providerConfigRef: { name: 'admin' }, resource: { shared: true, rules: { dscpMarking: { dscpMark: 26 } } } }));
  await s.apply(manifest('Network', 'ext', EXT));
  await s.apply(manifest('Network', 'app-net', { resource: {} }));
  await s.apply(manifest('Subnet', 'app-subnet', { resource: { networkRef: { name: 'app-net' }, ipVersion: 4, cidr: '10.60.0.0/24' } }));
  await s.apply(manifest('Router', 'app-router', { resource: { externalGateway: { networkRef: { name: 'ext' } }, interfaces: [{ subnetRef: { name: 'app-subnet' } }] } }));
  await s.apply(manifest('SecurityGroup', 'web', { resource: { rules: [{ direction: 'ingress', protocol: 'tcp', portRangeMin: 443, portRangeMax: 443 }] } }));
  await s.apply(manifest('Port', 'web-port', { resource: { networkRef: { name: 'app-net' }, fixedIPs: [{ subnetRef: { name: 'app-subnet' } }], securityGroupRefs: [{ name: 'web' }] } }));
  await s.apply(manifest('FloatingIP', 'web-fip', { resource: { floatingNetworkRef: { name: 'ext' }, portRef: { name: 'web-port' } } }));
  await s.apply(manifest('PrivateNetwork', 'backend', { resource: RANGE }));
  await s.apply(manifest('Network', 'doomed', { resource: {} }));
  capture('healthy', await s.waitReady('Network', 'app-net'));
  capture('healthy', await s.waitReady('Subnet', 'app-subnet'));
  // A Server boots once its Network has a Subnet: its creation's writes are then the first ones.
  const firstStatus = firstWrite(s, 'Server', 'web', (o) => o.status !== undefined);
  // Past the first write (Reconciling since it started): the cloud at work on the server.
  const reconciling = firstWrite(s, 'Server', 'web', (o) => condition(o, 'Reconciling')?.status === 'True' && condition(o, 'Reconciling')?.reason !== 'Reconciling');
  await s.apply(manifest('Server', 'web', { resource: { image: { name: 'fake-image' }, flavor: { name: 'm1.tiny' }, networks: [{ networkRef: { name: 'app-net' } }] } }));
  capture('first-status', await firstStatus);
  capture('reconciling', await reconciling);
  capture('healthy', await s.waitReady('Server', 'web', 30_000));
  for (const [kind, name] of [['QoSPolicy', 'bulk'], ['Router', 'app-router'], ['SecurityGroup', 'web'], ['Port', 'web-port'], ['FloatingIP', 'web-fip'], ['PrivateNetwork', 'backend']] as const) {
    capture('healthy', await s.waitReady(kind, name));
  }
  await s.waitReady('Network', 'doomed');
}

/** Objects waiting, stalled, or on a ProviderConfig whose credentials the cloud refuses. */
async function failing(s: Scenario, capture: Capturing): Promise<void> {
  await s.apply(manifest('Network', 'bare-net', { resource: {} }));
  await s.apply(manifest('Subnet', 'early-subnet', { resource: { networkRef: { name: 'later-net' }, ipVersion: 4, cidr: '10.62.0.0/24' } }));
  await s.apply(manifest('Port', 'early-port', { resource: { networkRef: { name: 'bare-net' }, fixedIPs: [{ ipAddress: '10.63.0.5' }] } }));
  await s.apply(manifest('FloatingIP', 'early-fip', { resource: { floatingNetworkRef: { name: 'nowhere' } } }));
  // shared and a router's enableSNAT are admin-only: Neutron's policy refuses the demo user.
  await s.apply(manifest('Network', 'forbidden', { resource: { shared: true } }));
  await s.apply(manifest('Router', 'snat', { resource: { externalGateway: { networkRef: { name: 'ext' }, enableSNAT: false } } }));
  await s.apply(manifest('QoSPolicy', 'members-own', { resource: {} }));
  // Neutron cannot hold NTP servers.
  await s.apply(manifest('PrivateNetwork', 'ntp', { resource: { ...RANGE, dhcpOptions: { ntpServers: ['10.61.0.4'] } } }));
  // A rule refused as a cloud with a stricter policy would (admission refuses what Neutron is known to).
  const body = { NeutronError: { type: 'SecurityGroupInvalidPortValue', message: 'Invalid value for port 1', detail: '' } };
  const refusal = s.faults.add({ status: 400, body, match: { method: 'POST', pathPattern: /\/security-group-rules$/ } });
  await s.apply(manifest('SecurityGroup', 'refused', { resource: { rules: [{ direction: 'ingress', protocol: 'tcp', portRangeMin: 1, portRangeMax: 1 }] } }));
  await wrongCredentials(s, 'wrong-credentials');
  await s.apply({ kind: 'ProviderConfig', metadata: { name: 'wrong' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'wrong-credentials' }, cloud: s.backend.cloudName } } });
  await s.apply({ ...manifest('Network', 'stranded', {}), spec: { providerConfigRef: { name: 'wrong' }, resource: {} } });

  capture('waiting', await s.waitCondition('Subnet', 'early-subnet', 'Ready', 'False', 'WaitingForDependency'));
  capture('waiting', await s.waitCondition('Port', 'early-port', 'Ready', 'False', 'WaitingForSubnet'));
  capture('waiting', await s.waitCondition('FloatingIP', 'early-fip', 'Ready', 'False', 'WaitingForDependency'));
  capture('stalled', await s.waitCondition('Network', 'forbidden', 'Stalled', 'True', 'InvalidConfiguration'));
  capture('stalled', await s.waitCondition('Router', 'snat', 'Stalled', 'True', 'InvalidConfiguration'));
  capture('stalled', await s.waitCondition('QoSPolicy', 'members-own', 'Stalled', 'True', 'InvalidConfiguration'));
  capture('stalled', await s.waitCondition('PrivateNetwork', 'ntp', 'Stalled', 'True', 'InvalidConfiguration'));
  capture('stalled', await s.waitCondition('SecurityGroup', 'refused', 'Stalled', 'True', 'InvalidConfiguration'));
  refusal.remove();
  capture('authentication-failed', await s.waitCondition('ProviderConfig', 'wrong', 'Reconciling', 'True', 'AuthenticationFailed'));
  capture('provider-not-ready', await s.waitCondition('Network', 'stranded', 'Ready', 'False', 'ProviderNotReady'));
}

/** What no operator has acted on yet: a new object, a changed spec, a deletion. */
async function unobserved(s: Scenario, capture: Capturing): Promise<void> {
  await s.stopOperator();
  capture('no-status', await s.apply(manifest('Network', 'fresh', { resource: {} })));
  capture('generation-behind', await s.apply(manifest('Network', 'app-net', { resource: { description: 'changed' } })));
  await s.delete('Network', 'doomed');
  capture('pending-deletion', await s.get('Network', 'doomed'));
  await s.startOperator();
  await s.waitReady('Network', 'fresh');
  await s.waitReady('Network', 'app-net');
  await s.waitGone('Network', 'doomed');
}

/** Deletions held by objects that use them, or that the cloud forbids. */
async function deleting(s: Scenario, capture: Capturing): Promise<void> {
  // The external network imported as Managed: the demo project may tag it but not delete it.
  s.releaseOnClose(async () => (await s.get('Network', 'public')) && s.apply(manifest('Network', 'public', { import: EXT.import, resource: {}, deletionPolicy: 'Orphan' })), { beforeObjects: true });
  await s.apply(manifest('Network', 'public', { import: EXT.import, resource: {} }));
  await s.waitReady('Network', 'public');
  await s.delete('Network', 'public');
  capture('delete-refused', await s.waitCondition('Network', 'public', 'Stalled', 'True', 'DeleteBlocked'));
  await s.apply(manifest('Network', 'public', { import: EXT.import, resource: {}, deletionPolicy: 'Orphan' }));
  await s.waitGone('Network', 'public');

  // Its Subnet, Port and Server hold the Network; its Network holds the ProviderConfig.
  await s.delete('Network', 'app-net');
  capture('delete-blocked', await s.waitCondition('Network', 'app-net', 'Reconciling', 'True', 'DeleteBlocked'));
  await s.delete('ProviderConfig', 'wrong');
  capture('delete-blocked', await s.waitCondition('ProviderConfig', 'wrong', 'Reconciling', 'True', 'DeleteBlocked'));
}

// The simulator only: its Nova's build time (NOVA) is what lets the test see a Server's first writes.
describe.skipIf(realCloud)('Argo CD health and kstatus of live objects', () => {
  it('every kind, in every state, reads as the state says', async () => {
    const s = await start(NOVA);
    const captured: Capture[] = [];
    const capture: Capturing = (state, obj) => {
      expect(obj, `the object of state ${state}`).toBeDefined();
      captured.push({ state, obj: obj! });
    };
    await healthy(s, capture);
    await failing(s, capture);
    await unobserved(s, capture);
    await deleting(s, capture);

    const objects = captured.map(({ obj }) => obj as KubeObject);
    const ready = (obj: KubeObject) => obj.status!.conditions!.find((c) => c.type === 'Ready')!;
    // ProviderNotReady for ten minutes: os.time() then, from Ready's last transition.
    const aged = objects.filter((_, i) => captured[i]!.state === 'provider-not-ready').map((obj) => ({ obj, now: Date.parse(ready(obj).lastTransitionTime!) / 1000 + PROVIDER_NOT_READY_DEGRADED_AFTER_S }));
    const { results } = await runHealth([...objects.map((obj) => ({ obj })), ...aged]);
    const read = captured.map(({ state }, i) => ({ kind: objects[i]!.kind, state, health: results[i], kstatus: kstatus(objects[i]!).status }));
    const wanted = captured.map(({ state }, i) => ({
      kind: objects[i]!.kind,
      state,
      // Live, Ready changed moments ago.
      health: { status: STATES[state].young ?? STATES[state].health, message: STATES[state].message(objects[i]!) },
      kstatus: EXPECTED_KSTATUS[state].kstatus,
    }));
    expect(read).toEqual(wanted);
    expect(results.slice(objects.length)).toEqual(aged.map(({ obj }) => ({ status: 'Degraded', message: ready(obj).message })));

    // Every kind in two states at least, every state of some kind, one object a kind and state (one fixture).
    for (const { kind } of kinds) expect(new Set(captured.filter(({ obj }) => obj.kind === kind).map(({ state }) => state)).size, kind).toBeGreaterThanOrEqual(2);
    expect(new Set(captured.map(({ state }) => state))).toEqual(new Set(Object.keys(STATES)));
    expect(new Set(captured.map(({ state }, i) => `${objects[i]!.kind}/${state}`)).size).toBe(captured.length);

    if (process.env.UPDATE_FIXTURES) {
      for (const { state, obj } of captured) {
        // A fixture is status the operator showed: the leak check reads it as such.
        s.leaks.record('status', writeFixture(state, fixtureOf(obj, s.namespace)));
      }
    }
  }, 60_000);
});
