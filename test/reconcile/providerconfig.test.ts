// The ProviderConfig controller with a fake provider: a Ready ProviderConfig is not probed again while
// nothing changes, but is once an object using it reports its credentials refused; a refused pre-issued
// token says where to put a new one (never the token), and the probe is then retried on the backoff.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/cloud/errors.ts';
import type { ProviderConfigSpec } from '../../src/api/providerconfig.ts';
import type { Provider, SecretRef } from '../../src/reconcile/provider.ts';
import { ProviderRegistry, SECRETS_INDEX, type ProviderConfig } from '../../src/reconcile/provider-registry.ts';
import { probeFailure, ProviderConfigReconciler, refusedCredentials, tokenLocation } from '../../src/reconcile/providerconfig.ts';
import { Cache } from '../../src/runtime/cache.ts';
import type { ReconcileContext } from '../../src/runtime/controller.ts';
import { FINALIZER } from '../../src/runtime/finalizers.ts';
import { applyMergePatch } from './fakes.ts';

const TOKEN = 'gAAAAAB-the-token-itself';

const tokenRejected = () =>
  new CloudError({ provider: 'openstack', service: 'identity', operation: 'authenticate', status: 401, code: 'TokenRejected', message: 'the cloud refused the pre-issued token (401): it has expired or was revoked; provide a new token', kind: 'unauthorized' });

const tokenSpec = (): ProviderConfigSpec =>
  ({ provider: 'openstack', openstack: { auth: { type: 'token', tokenSecretRef: { name: 'cloud-token', key: 'token' } }, endpointOverrides: { network: 'https://api.example.com/networking/v2.0' }, insecureSkipTLSVerify: false }, rateLimit: { qps: 10, burst: 20 } }) as ProviderConfigSpec;

function setup() {
  let probe: () => Promise<{ message: string }> = async () => ({ message: 'authenticated' });
  let probes = 0;
  const provider: Provider<object, string> = {
    name: 'openstack',
    secretRefs: (spec) => (spec.openstack?.auth?.tokenSecretRef ? [{ ...spec.openstack.auth.tokenSecretRef, key: spec.openstack.auth.tokenSecretRef.key ?? 'token', field: 'auth.tokenSecretRef' }] : []),
    settings: (_spec, read) => read({ name: 'cloud-token', key: 'token', field: 'auth.tokenSecretRef' }),
    connect: () => ({}),
    reconfigure: () => true,
    probe: () => {
      probes++;
      return probe();
    },
    close: () => undefined,
  };
  const providerConfigs = new Cache<ProviderConfig>();
  const secrets = new Cache<V1Secret>();
  const registry = new ProviderRegistry({ providers: [provider], providerConfigs, secrets, client: { metrics: undefined as never } });
  providerConfigs.addIndex(SECRETS_INDEX, registry.secretsIndex);
  secrets.upsert({ metadata: { name: 'cloud-token', namespace: 'team-a', resourceVersion: '1', finalizers: [FINALIZER] }, data: { token: Buffer.from(TOKEN).toString('base64') } });
  providerConfigs.upsert({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'ProviderConfig', metadata: { name: 'openstack', namespace: 'team-a', uid: 'u1', generation: 1, resourceVersion: '1', finalizers: [FINALIZER] }, spec: tokenSpec() });
  const users: KubernetesObject[] = [];
  const events: string[] = [];
  const write = async (obj: ProviderConfig, compute: (current: ProviderConfig) => unknown) => {
    const current = providerConfigs.get('team-a', obj.metadata.name)!;
    const patch = compute(current);
    if (patch === undefined) return undefined;
    const updated = { ...current, metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) }, status: applyMergePatch(current.status, patch) as ProviderConfig['status'] };
    providerConfigs.upsert(updated);
    return updated;
  };
  const reconciler = new ProviderConfigReconciler({
    registry,
    providerConfigs,
    secrets,
    writer: { patchStatus: write, addFinalizer: async (o) => o, removeFinalizer: async (o) => o },
    secretWriter: { addFinalizer: async (o) => o, removeFinalizer: async (o) => o },
    loadSecret: async () => undefined,
    users: () => users,
    events: { event: (_obj, type, reason, message) => events.push(`${type} ${reason}: ${message}`) },
    backoff: { floorMs: 1000, capMs: 300_000 },
  });
  const ctx = { key: 'team-a/openstack', namespace: 'team-a', name: 'openstack', reconcileID: 'r', log: pino({ level: 'silent' }) } as ReconcileContext;
  return {
    reconcile: () => reconciler.reconcile('team-a/openstack', ctx),
    ready: () => providerConfigs.get('team-a', 'openstack')!.status?.conditions?.find((c) => c.type === 'Ready'),
    setProbe: (p: typeof probe) => (probe = p),
    probes: () => probes,
    users,
    events,
  };
}

const refusedObject = (reason: string, status = 'False'): KubernetesObject =>
  ({ kind: 'Network', metadata: { name: 'app-net', namespace: 'team-a' }, status: { conditions: [{ type: 'Ready', status, reason, message: 'x' }] } }) as KubernetesObject;

describe('ProviderConfig: a pre-issued token the cloud stops taking', () => {
  it('a Ready ProviderConfig probes again once an object reports its credentials refused, then says where to put a new token', async () => {
    const t = setup();
    expect(await t.reconcile()).toBeUndefined();
    expect(t.ready()).toMatchObject({ status: 'True', reason: 'Available' });
    expect(t.probes()).toBe(1);

    // Steady state, and objects failing for other reasons: no probe.
    t.users.push(refusedObject('TransientError'), refusedObject('ProviderNotReady'));
    await t.reconcile();
    expect(t.probes()).toBe(1);

    t.setProbe(() => Promise.reject(tokenRejected()));
    t.users.push(refusedObject('AuthenticationFailed'));
    const result = await t.reconcile();
    expect(t.probes()).toBe(2);
    const ready = t.ready()!;
    expect(ready).toMatchObject({ status: 'False', reason: 'AuthenticationFailed' });
    expect(ready.message).toMatch(/^the cloud refused the token \(401\): it has expired or was revoked; put a new token in Secret team-a\/cloud-token key token; next attempt at \S+Z$/);
    expect(JSON.stringify(ready)).not.toContain(TOKEN);
    // Retried on the backoff (1 s floor, jittered), reported as an unauthorized failure with a Warning.
    expect(result).toMatchObject({ failure: { class: 'unauthorized', reason: 'AuthenticationFailed' } });
    expect((result as { requeueAfter: number }).requeueAfter).toBeGreaterThanOrEqual(500);
    expect(t.events).toEqual([expect.stringMatching(/^Warning AuthenticationFailed: the cloud refused the token \(401\): .* key token$/)]);
  });
});

describe('probeFailure', () => {
  it('a refused pre-issued token names the Secret key to put a new one in; other refusals say to check the credentials', () => {
    expect(probeFailure(tokenRejected(), 'Secret ns/cloud-token key token').condition.message).toBe(
      'the cloud refused the token (401): it has expired or was revoked; put a new token in Secret ns/cloud-token key token',
    );
    const password = new CloudError({ provider: 'openstack', service: 'identity', operation: 'authenticate', status: 401, code: 'Unauthorized', message: 'The request you have made requires authentication.', kind: 'unauthorized' });
    expect(probeFailure(password, 'Secret ns/cloud-token key token').condition.message).toBe(
      'identity authenticate: 401 Unauthorized: The request you have made requires authentication.; check the credentials',
    );
    expect(probeFailure(tokenRejected()).condition.message).toMatch(/^identity authenticate: 401 TokenRejected: .*; check the credentials$/);
  });
});

describe('tokenLocation', () => {
  const pc = (spec: Partial<ProviderConfigSpec['openstack']>) => ({ metadata: { name: 'pc', namespace: 'ns' }, spec: { provider: 'openstack', openstack: spec } }) as unknown as ProviderConfig;
  it('names the token Secret key, or the clouds.yaml entry holding the token', () => {
    const token: SecretRef = { name: 'cloud-token', key: 'token', field: 'auth.tokenSecretRef' };
    const clouds: SecretRef = { name: 'clouds', key: 'clouds.yaml', field: 'credentialsSecretRef' };
    expect(tokenLocation(pc({}), [token])).toBe('Secret ns/cloud-token key token');
    expect(tokenLocation(pc({ cloud: 'public' }), [clouds])).toBe('Secret ns/clouds key clouds.yaml (clouds.public.auth.token)');
    expect(tokenLocation(pc({}), [])).toBeUndefined();
  });
});

describe('refusedCredentials', () => {
  it('is an object Ready=False for AuthenticationFailed', () => {
    expect(refusedCredentials(refusedObject('AuthenticationFailed'))).toBe(true);
    expect(refusedCredentials(refusedObject('ProviderNotReady'))).toBe(false);
    expect(refusedCredentials(refusedObject('AuthenticationFailed', 'Unknown'))).toBe(false);
    expect(refusedCredentials({ metadata: { name: 'new' } })).toBe(false);
  });
});
