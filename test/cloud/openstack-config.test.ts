import { describe, expect, it } from 'vitest';
import { findEndpoint, regionsOffering, versionedBaseUrl } from '../../src/cloud/openstack/catalog.ts';
import { EndpointError } from '../../src/cloud/errors.ts';
import { CloudConfigError, parseCloudEntry, parseCloudsYaml } from '../../src/cloud/openstack/config.ts';
import { networkCatalog } from './keystone.ts';

const CLOUDS = `
clouds:
  e2e-demo:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: demo
      password: demo-Secret-1
      project_name: demo
      user_domain_name: Default
      project_domain_id: default
    region_name: RegionOne
    interface: internal
    identity_api_version: 3
  by-ids:
    auth:
      auth_url: https://keystone.example.com
      user_id: 7d3c
      password: 123456
      project_id: 9f1e
  shared-domain:
    auth:
      auth_url: https://keystone.example.com
      username: ops
      password: pw-shared-domain
      project_name: infra
      domain_name: Engineering
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.com/v3
      application_credential_id: 21dced0fd20347869b93710d2b98aae0
      application_credential_secret: app-cred-Secret
    region_name: RegionTwo
  appcred-by-name:
    auth:
      auth_url: https://keystone.example.com/v3
      application_credential_name: ci
      application_credential_secret: app-cred-Secret
      username: ops
      user_domain_id: default
  token-only:
    auth_type: token
    auth:
      token: gAAAAABfixedTOKEN
      project_id: 9f1e
    network_endpoint_override: https://api.example.com/networking/v2.0
    compute_endpoint_override: https://api.example.com/compute
    cacert: /etc/ssl/example-ca.pem
    verify: false
  no-password:
    auth:
      auth_url: https://keystone.example.com/v3
      username: ops
      user_domain_name: Default
      project_id: 9f1e
`;

describe('clouds.yaml', () => {
  it('password auth with domains by name and id, region and interface', () => {
    const cloud = parseCloudsYaml(CLOUDS, 'e2e-demo');
    expect(cloud).toMatchObject({
      auth: {
        type: 'password',
        authUrl: 'http://127.0.0.1:5000/v3',
        username: 'demo',
        password: 'demo-Secret-1',
        projectName: 'demo',
        userDomainName: 'Default',
        projectDomainId: 'default',
      },
      regionName: 'RegionOne',
      interface: 'internal',
      endpointOverrides: {},
      verify: true,
    });
  });

  it('user and project by id; a numeric YAML password stays a string', () => {
    expect(parseCloudsYaml(CLOUDS, 'by-ids').auth).toMatchObject({ userId: '7d3c', password: '123456', projectId: '9f1e' });
  });

  it('a bare domain_name with a project scope applies to user and project (openstacksdk)', () => {
    expect(parseCloudsYaml(CLOUDS, 'shared-domain').auth).toMatchObject({
      userDomainName: 'Engineering',
      projectDomainName: 'Engineering',
    });
  });

  it('application credential by id', () => {
    const cloud = parseCloudsYaml(CLOUDS, 'appcred');
    expect(cloud.auth).toMatchObject({
      type: 'applicationCredential',
      applicationCredentialId: '21dced0fd20347869b93710d2b98aae0',
      applicationCredentialSecret: 'app-cred-Secret',
    });
    expect(cloud.regionName).toBe('RegionTwo');
    expect(cloud.interface).toBe('public');
  });

  it('application credential by name and user (auth_type inferred)', () => {
    expect(parseCloudsYaml(CLOUDS, 'appcred-by-name').auth).toMatchObject({
      type: 'applicationCredential',
      applicationCredentialName: 'ci',
      username: 'ops',
      userDomainId: 'default',
    });
  });

  it('a pre-issued token with endpoint overrides, cacert and verify', () => {
    const cloud = parseCloudsYaml(CLOUDS, 'token-only');
    expect(cloud).toMatchObject({
      auth: { type: 'token', token: 'gAAAAABfixedTOKEN', projectId: '9f1e' },
      endpointOverrides: {
        network: 'https://api.example.com/networking/v2.0',
        compute: 'https://api.example.com/compute',
      },
      cacertFile: '/etc/ssl/example-ca.pem',
      verify: false,
    });
    expect(cloud.auth.authUrl).toBeUndefined();
  });

  it('merges secure.yaml over clouds.yaml', () => {
    const secure = 'clouds:\n  no-password:\n    auth:\n      password: from-secure-yaml\n';
    expect(parseCloudsYaml(CLOUDS, 'no-password', secure).auth.password).toBe('from-secure-yaml');
  });

  it('says what is missing, and never echoes a secret', () => {
    expect(() => parseCloudsYaml(CLOUDS, 'no-password')).toThrow(/password auth needs auth.password/);
    expect(() =>
      parseCloudEntry({ auth: { auth_url: 'https://k', username: 'u', password: 'pppp', user_domain_id: 'default' } }),
    ).toThrow('password auth needs auth.project_id or auth.project_name');
    expect(() => parseCloudsYaml(CLOUDS, 'nope')).toThrow(
      'cloud "nope" not found in clouds.yaml (clouds: e2e-demo, by-ids, shared-domain, appcred, appcred-by-name, token-only, no-password)',
    );
    const broken = 'clouds:\n  x:\n    auth:\n      password: "hunter2-unterminated\n';
    let message = '';
    try {
      parseCloudsYaml(broken, 'x');
    } catch (err) {
      expect(err).toBeInstanceOf(CloudConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^clouds.yaml: /);
    expect(message).not.toContain('hunter2');
  });

  it('rejects unsupported auth types and interfaces', () => {
    expect(() => parseCloudEntry({ auth_type: 'v3oidcpassword', auth: {} })).toThrow(/not supported/);
    expect(() => parseCloudEntry({ auth: { token: 't0k3n' }, interface: 'private' })).toThrow(/interface/);
  });

  it('accepts explicit fields in the same vocabulary, and publicURL-style interfaces', () => {
    const cloud = parseCloudEntry({
      auth: { auth_url: 'https://k/v3', username: 'u', password: 'pppp', user_domain_id: 'default', project_id: 'p' },
      interface: 'publicURL',
    });
    expect(cloud.interface).toBe('public');
    expect(cloud.auth.type).toBe('password');
  });
});

describe('service catalog', () => {
  const catalog = networkCatalog('http://cloud', ['RegionOne', 'RegionTwo']);

  it('selects by type, interface and region', () => {
    expect(findEndpoint(catalog, { type: 'network', interface: 'public', regionName: 'RegionTwo' })).toBe(
      'http://cloud/RegionTwo-public/',
    );
    expect(findEndpoint(catalog, { type: 'network', interface: 'internal', regionName: 'RegionOne' })).toBe(
      'http://cloud/RegionOne-internal/',
    );
    expect(findEndpoint(catalog, { type: 'network', interface: 'admin' })).toBe('http://cloud/RegionOne-admin/');
  });

  it('finds nothing for an unknown region or service, and lists what is offered', () => {
    expect(findEndpoint(catalog, { type: 'network', interface: 'public', regionName: 'RegionThree' })).toBeUndefined();
    expect(findEndpoint(catalog, { type: 'compute', interface: 'public' })).toBeUndefined();
    expect(regionsOffering(catalog, 'network')).toContain('RegionTwo/internal');
  });

  it.each([
    ['https://api.example.com/networking', 'https://api.example.com/networking/v2.0'],
    ['https://api.example.com/networking/', 'https://api.example.com/networking/v2.0'],
    ['https://api.example.com/networking/v2.0', 'https://api.example.com/networking/v2.0'],
    ['https://api.example.com/networking/v2.0/', 'https://api.example.com/networking/v2.0'],
    ['http://127.0.0.1:9696', 'http://127.0.0.1:9696/v2.0'],
    ['http://127.0.0.1:9696/', 'http://127.0.0.1:9696/v2.0'],
  ])('network base %s -> %s', (input, expected) => {
    expect(versionedBaseUrl(input, 'v2.0', 'endpoint')).toBe(expected);
  });

  it('keeps a version segment followed by a project id (Nova catalogs)', () => {
    expect(versionedBaseUrl('http://127.0.0.1:8774/v2.1/9f1e', 'v2.1', 'endpoint')).toBe('http://127.0.0.1:8774/v2.1/9f1e');
    expect(versionedBaseUrl('http://127.0.0.1:5000', 'v3', 'endpoint')).toBe('http://127.0.0.1:5000/v3');
  });

  it('names a URL that does not parse as a configuration error, without its user:password', () => {
    const parse = () => versionedBaseUrl('https://admin:s3cret@bad host:99999/v3', 'v3', 'authURL');
    expect(parse).toThrow(EndpointError);
    expect(parse).toThrow('authURL "https://bad host:99999/v3" is not a valid URL');
  });
});
