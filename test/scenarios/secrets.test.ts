// Secrets never leak (issue 15): a cloud that echoes credentials in its error bodies, as they are and
// inside URLs, has them shown redacted in conditions and Events (the harness's leak check covers the
// logs, statuses, Events and metrics of this and every other scenario); TLS certificates are verified
// unless a ProviderConfig turns that off, which its status and the log then say.
import { request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseCloudsYaml } from '../../src/cloud/openstack/config.ts';
import { REDACTED } from '../../src/cloud/redact.ts';
import { selfSignedCertificate, type TlsMaterial } from '../support/tls.ts';
import { privateNetwork, useExoscaleScenarios, ZONE } from './exoscale-harness.ts';
import { condition, manifest, realCloud, until, useScenarios, type Obj, type ScenarioBase } from './harness.ts';
import { testCredential } from './secret-leaks.ts';

const { start } = useScenarios();
const exoscale = useExoscaleScenarios();

/** What a cloud that echoes its input might say: the values, and a URL carrying them in its query string. */
function echo(values: readonly string[], endpoint: string): string {
  const url = new URL(endpoint);
  values.forEach((value, i) => url.searchParams.set(`v${i}`, value));
  return `refused ${values.join(' and ')} (GET ${url.toString()})`;
}

const keystoneError = (message: string) => ({ error: { code: 401, title: 'Unauthorized', message } });
const neutronError = (message: string) => ({ NeutronError: { type: 'BadRequest', message, detail: '' } });

/** Resolves once the object's Ready condition carries a redacted echo, then checks it and the object's Events hold none of `values`. */
async function expectRedacted(s: ScenarioBase, kind: string, name: string, values: readonly string[]): Promise<void> {
  const shown = await s.waitFor(kind, name, (o) => !!condition(o, 'Ready')?.message.includes(REDACTED));
  const events = await until(`an Event of ${name} with the echo`, async () => {
    const all = await s.events(name);
    return all.some((e) => e.message?.includes(REDACTED)) && all;
  });
  const text = JSON.stringify([shown?.status, events]);
  for (const value of values) expect(text).not.toContain(value);
}

const openstackConfig = (name: string, openstack: Record<string, unknown>): Obj => ({ kind: 'ProviderConfig', metadata: { name }, spec: { provider: 'openstack', openstack } });

describe.skipIf(realCloud)('secrets never leak: openstack', () => {
  for (const operator of ['in-process', 'process'] as const) {
    it(`${operator}: the password, the token and URLs carrying them, echoed by Keystone and Neutron, show redacted`, async () => {
      const s = await start({ operator });
      const password = parseCloudsYaml(s.backend.cloudsYaml, s.backend.cloudName).auth.password!;
      // The token of the ProviderConfig "openstack": the only one Keystone gave its user yet.
      const [token] = [...s.sim!.keystone.tokens].filter(([, t]) => t.user.name === 'demo').map(([id]) => id);
      // Keystone refuses a new ProviderConfig's first authentication, quoting the password.
      s.faults.add({ match: { method: 'POST', pathPattern: '/v3/auth/tokens' }, status: 401, body: keystoneError(echo([password], s.backend.authUrl)), times: 1 });
      await s.apply(openstackConfig('echo', { credentialsSecretRef: { name: 'cloud-credentials' }, cloud: s.backend.cloudName }));
      await expectRedacted(s, 'ProviderConfig', 'echo', [password]);
      await s.waitReady('ProviderConfig', 'echo');

      // Neutron refuses a create, quoting the token it came with and the password.
      const secrets = [password, token!];
      s.faults.add({ match: { method: 'POST', pathPattern: /\/networks$/ }, status: 400, body: neutronError(echo(secrets, s.backend.networkUrl)), times: 1 });
      await s.apply(manifest('Network', 'echo', { resource: {} }));
      await expectRedacted(s, 'Network', 'echo', secrets);

      // The leak check (when the test ends) has had something of every source it reads.
      await s.stopOperator();
      for (const [source, count] of Object.entries(s.leaks.report().texts)) expect(count, source).toBeGreaterThan(0);
    });
  }

  it('an application credential secret and a pre-issued token, echoed back, show redacted', async () => {
    const credential = { id: 'echo-credential', name: 'echo', secret: testCredential('application-credential'), user: 'demo' };
    const s = await start({ sim: { applicationCredentials: [credential] } });
    const token = s.sim!.token('demo');
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name: 'echo' }, stringData: { applicationCredentialSecret: credential.secret, token } } });

    s.faults.add({ match: { method: 'POST', pathPattern: '/v3/auth/tokens' }, status: 401, body: keystoneError(echo([credential.secret], s.backend.authUrl)), times: 1 });
    const applicationCredentialSecretRef = { name: 'echo', key: 'applicationCredentialSecret' };
    await s.apply(openstackConfig('application-credential', { auth: { type: 'v3applicationcredential', authURL: s.backend.authUrl, applicationCredentialID: credential.id, applicationCredentialSecretRef } }));
    await expectRedacted(s, 'ProviderConfig', 'application-credential', [credential.secret]);
    await s.waitReady('ProviderConfig', 'application-credential');

    await s.apply(openstackConfig('token', { auth: { type: 'token', tokenSecretRef: { name: 'echo', key: 'token' } }, endpointOverrides: { network: s.backend.networkUrl } }));
    await s.waitReady('ProviderConfig', 'token');
    s.faults.add({ match: { method: 'POST', pathPattern: /\/networks$/ }, status: 400, body: neutronError(echo([token], s.backend.networkUrl)), times: 1 });
    await s.apply({ ...manifest('Network', 'echo', {}), spec: { providerConfigRef: { name: 'token' }, resource: {} } });
    await expectRedacted(s, 'Network', 'echo', [token]);
  });
});

describe.skipIf(realCloud)('secrets never leak: exoscale', () => {
  it('the API secret and URLs carrying it, echoed in both error shapes, show redacted', async () => {
    const s = await exoscale.start();
    const { secret } = s.sim.credentials;
    const message = echo([secret], s.sim.endpoint(ZONE));
    // The classic shape, refusing a new ProviderConfig's probe.
    s.faults.add({ match: { operation: 'list-zones' }, status: 403, body: { message }, times: 1 });
    const spec = (await s.get('ProviderConfig', 'exoscale'))!.spec!;
    await s.apply({ kind: 'ProviderConfig', metadata: { name: 'echo' }, spec });
    await expectRedacted(s, 'ProviderConfig', 'echo', [secret]);

    // RFC 9457, refusing a create, with the secret in a field's detail too.
    const problem = { type: 'about:blank', title: 'Bad Request', status: 400, detail: message, errors: [{ location: 'body.description', detail: secret }] };
    s.faults.add({ match: { operation: 'create-private-network' }, status: 400, body: problem, times: 1 });
    await s.apply(privateNetwork('echo', { resource: {} }));
    await expectRedacted(s, 'PrivateNetwork', 'echo', [secret]);
  });
});

/** An HTTPS front of the simulator, with a certificate nobody trusts unless told to. */
async function httpsFront(target: string, material: TlsMaterial): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(material, (req, res) => {
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe.skipIf(realCloud)('TLS', () => {
  /** A clouds.yaml Secret for Keystone behind the HTTPS front, `extra` in its cloud entry. */
  async function cloudsYamlSecret(s: Awaited<ReturnType<typeof start>>, name: string, authUrl: string, extra: Record<string, unknown> = {}): Promise<void> {
    const document = load(s.backend.cloudsYaml) as { clouds: Record<string, { auth: Record<string, unknown> }> };
    const cloud = document.clouds[s.backend.cloudName]!;
    document.clouds[s.backend.cloudName] = { ...cloud, ...extra, auth: { ...cloud.auth, auth_url: authUrl } };
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name }, stringData: { 'clouds.yaml': dump(document) } } });
  }

  it('verifies certificates by default; insecureSkipTLSVerify (or verify: false) shows InsecureTLS and logs one warning; a CA bundle trusts the certificate', async () => {
    const s = await start();
    const material = selfSignedCertificate();
    const front = await httpsFront(s.backend.authUrl, material);
    s.releaseOnClose(() => front.close());
    const authUrl = `${front.url}/v3`;
    await cloudsYamlSecret(s, 'tls', authUrl);
    const settings = { credentialsSecretRef: { name: 'tls' }, cloud: s.backend.cloudName };

    await s.apply(openstackConfig('tls', settings));
    const refused = await s.waitCondition('ProviderConfig', 'tls', 'Stalled', 'True', 'InvalidConfiguration');
    expect(condition(refused, 'Ready')!.message).toMatch(/TLSVerificationFailed: .*self-signed certificate; the cloud's certificate is not trusted: give its CA/);
    expect(condition(refused, 'InsecureTLS')).toBeUndefined();

    await s.apply(openstackConfig('tls', { ...settings, insecureSkipTLSVerify: true }));
    const insecure = await s.waitReady('ProviderConfig', 'tls');
    expect(condition(insecure, 'InsecureTLS')).toMatchObject({ status: 'True', reason: 'InsecureSkipTLSVerify', message: expect.stringContaining('spec.openstack.insecureSkipTLSVerify is true') });
    await s.touchReconciled('ProviderConfig', 'tls', 'tls', 'tls');
    const warnings = () => s.operatorLog.filter((line) => line.includes('"level":"warn"') && line.includes('TLS certificate verification is off'));
    expect(warnings()).toHaveLength(1);

    // The same from the clouds.yaml, for another ProviderConfig.
    await cloudsYamlSecret(s, 'tls-yaml', authUrl, { verify: false });
    await s.apply(openstackConfig('tls-yaml', { credentialsSecretRef: { name: 'tls-yaml' }, cloud: s.backend.cloudName }));
    const fromYaml = await s.waitReady('ProviderConfig', 'tls-yaml');
    expect(condition(fromYaml, 'InsecureTLS')?.message).toContain('the clouds.yaml entry sets verify: false');
    expect(warnings()).toHaveLength(2);

    // Trusting the certificate instead: verification on, the condition gone.
    await s.cluster.core.createNamespacedSecret({ namespace: s.namespace, body: { metadata: { name: 'tls-ca' }, stringData: { 'ca.crt': material.cert } } });
    await s.apply(openstackConfig('tls', { ...settings, caBundleSecretRef: { name: 'tls-ca' } }));
    const trusted = await s.waitFor('ProviderConfig', 'tls', (o) => o?.status?.observedGeneration === 3 && condition(o, 'Ready')?.status === 'True');
    expect(condition(trusted, 'InsecureTLS')).toBeUndefined();
  });
});
