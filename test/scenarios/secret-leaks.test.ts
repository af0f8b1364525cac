// The leak check itself: what it takes for a credential, and that it finds one in every form and source.
import { describe, expect, it } from 'vitest';
import { LeakCollector, testCredential, type Source } from './secret-leaks.ts';

const secret = (name: string, data: Record<string, string>) => ({
  metadata: { name },
  data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
});

describe('LeakCollector', () => {
  const password = testCredential('password');

  it('takes the credentials of Secrets: keys named like one, the auth secrets of a clouds.yaml; not other keys or short values', () => {
    const leaks = new LeakCollector();
    const cloudsYaml = `clouds:\n  a:\n    auth:\n      password: ${JSON.stringify(password)}\n      username: demo-user-name\n  b:\n    auth:\n      application_credential_secret: application-secret\n`;
    leaks.secret(secret('s', { 'clouds.yaml': cloudsYaml, apiSecret: 'api-secret-value', token: 'short', userData: '#cloud-config with words' }));
    for (const shown of ['demo-user-name', 'short', '#cloud-config with words']) leaks.record('log', shown);
    expect(leaks.report()).toMatchObject({ found: 0 });
    // password, application_credential_secret, apiSecret, and the two Secret values holding them as stored.
    expect(leaks.report().credentials).toBe(5);
  });

  const shown: [string, (value: string) => string][] = [
    ['as is', (v) => `failed: ${v}`],
    ['URL-encoded', (v) => `GET /x?p=${encodeURIComponent(v)}`],
    ['form-encoded', (v) => `GET /x?${new URLSearchParams({ p: v }).toString()}`],
    ['JSON-escaped', (v) => JSON.stringify({ message: v })],
    ['JSON-escaped (ASCII)', (v) => JSON.stringify({ message: v }).replace('é', '\\u00e9')],
    ['base64', (v) => `basic ${Buffer.from(v).toString('base64')}`],
  ];
  for (const [form, show] of shown) {
    it(`finds a credential shown ${form}, in any source, and masks it in the report`, () => {
      for (const source of ['log', 'event', 'status'] as Source[]) {
        const leaks = new LeakCollector();
        leaks.credential(password, 'the password');
        leaks.record(source, show(password));
        const report = leaks.report();
        expect(report.found, source).toBeGreaterThan(0);
        expect(report.leaks.join('\n')).toContain(`the password, ${form}`);
        expect(report.leaks.join('\n')).not.toContain(password);
      }
    });
  }

  it('reads every label value of a Prometheus exposition', () => {
    const leaks = new LeakCollector();
    leaks.credential(password, 'the password');
    const escaped = password.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    leaks.metrics(`# HELP x requests\nx{provider="openstack",operation="${escaped}"} 1\ny 2\n`);
    expect(leaks.texts('metric')).toHaveLength(2);
    expect(leaks.report().found).toBe(1);
  });
});
