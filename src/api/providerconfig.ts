// ProviderConfig: how to reach and authenticate to one cloud. Not a cloud resource itself;
// Ready when the operator can authenticate and resolve its endpoints.
import { Type } from '@sinclair/typebox';
import { immutable, validations } from './cel.ts';
import type { Rule } from './cel.ts';
import { defineCustomResource } from './kind.ts';
import type { ManifestOf, ObjectOf, SpecOf, StatusOf } from './kind.ts';
import { Conditions, secretKeyRef } from './meta.ts';
import { defaulted } from './schema.ts';

/**
 * An http(s) URL with a host, parsed as Kubernetes' CEL URL library parses it (Go's
 * url.ParseRequestURI): the API server refuses the rest, naming the field and what is wrong.
 */
const url = (description: string) =>
  Type.String({
    description,
    maxLength: 2048,
    ...validations(
      { rule: 'isURL(self)', message: 'must be a URL such as https://api.example.com:5000/v3 (a host name has no spaces)' },
      { rule: "!isURL(self) || url(self).getScheme() in ['http', 'https']", message: 'must begin with https:// or http://' },
      { rule: "!isURL(self) || url(self).getHostname() != ''", message: 'must name a host after the scheme, e.g. https://api.example.com/v3' },
      {
        rule: "!isURL(self) || url(self).getPort() == '' || (size(url(self).getPort()) <= 5 && int(url(self).getPort()) >= 1 && int(url(self).getPort()) <= 65535)",
        message: 'must have a port from 1 to 65535',
      },
    ),
  });
const optionalString = (description: string) => Type.Optional(Type.String({ description, minLength: 1, maxLength: 255 }));

const AUTH_SECRETS = [
  ['password', 'passwordSecretRef'],
  ['v3applicationcredential', 'applicationCredentialSecretRef'],
  ['token', 'tokenSecretRef'],
] as const;

const OpenStackAuth = Type.Object(
  {
    type: Type.Union([Type.Literal('password'), Type.Literal('v3applicationcredential'), Type.Literal('token')], {
      description: 'Keystone v3 auth method.',
    }),
    authURL: Type.Optional(
      url('Keystone URL, e.g. https://keystone.example.com:5000/v3.'),
    ),
    username: optionalString('User name (password and application credential by name).'),
    userID: optionalString('User ID, instead of username and user domain.'),
    userDomainName: optionalString('Domain of the user, by name.'),
    userDomainID: optionalString('Domain of the user, by ID.'),
    projectName: optionalString('Project to scope the token to, by name.'),
    projectID: optionalString('Project to scope the token to, by ID.'),
    projectDomainName: optionalString('Domain of the project, by name.'),
    projectDomainID: optionalString('Domain of the project, by ID.'),
    domainName: optionalString('Domain to scope the token to, by name (domain scope instead of project scope).'),
    domainID: optionalString('Domain to scope the token to, by ID.'),
    passwordSecretRef: Type.Optional(secretKeyRef('Secret key holding the password (type password).', 'password')),
    applicationCredentialID: optionalString('Application credential ID.'),
    applicationCredentialName: optionalString('Application credential name; needs username or userID.'),
    applicationCredentialSecretRef: Type.Optional(
      secretKeyRef('Secret key holding the application credential secret.', 'applicationCredentialSecret'),
    ),
    tokenSecretRef: Type.Optional(secretKeyRef('Secret key holding a pre-issued token (type token).', 'token')),
  },
  {
    description: 'Explicit Keystone settings. Passwords, secrets and tokens are always read from Secrets.',
    ...validations(
      {
        rule: "self.type != 'password' || (has(self.passwordSecretRef) && (has(self.username) || has(self.userID)))",
        message: 'password auth needs passwordSecretRef and username or userID',
      },
      {
        rule:
          "self.type != 'v3applicationcredential' || (has(self.applicationCredentialSecretRef) && " +
          '(has(self.applicationCredentialID) || (has(self.applicationCredentialName) && (has(self.username) || has(self.userID)))))',
        message:
          'v3applicationcredential auth needs applicationCredentialSecretRef and applicationCredentialID ' +
          '(or applicationCredentialName with username or userID)',
      },
      { rule: "self.type != 'token' || has(self.tokenSecretRef)", message: 'token auth needs tokenSecretRef' },
      ...AUTH_SECRETS.map(
        ([type, field]): Rule => ({
          rule: `!has(self.${field}) || self.type == '${type}'`,
          message: `${field} is only used by ${type} auth`,
          fieldPath: `.${field}`,
        }),
      ),
      {
        rule: '!(has(self.projectName) || has(self.projectID)) || !(has(self.domainName) || has(self.domainID))',
        message: 'scope to a project or to a domain, not both',
      },
    ),
  },
);

const EndpointOverrides = Type.Object(
  {
    network: Type.Optional(url('Neutron, e.g. https://api.example.com/networking.')),
    compute: Type.Optional(url('Nova.')),
    image: Type.Optional(url('Glance.')),
    identity: Type.Optional(url('Keystone.')),
  },
  { description: 'Fixed endpoint URLs by service type, used instead of the service catalog.' },
);

const OpenStack = Type.Object(
  {
    credentialsSecretRef: Type.Optional(
      secretKeyRef('Secret key holding a clouds.yaml (the format openstacksdk reads).', 'clouds.yaml'),
    ),
    cloud: optionalString('Name of the cloud in the clouds.yaml of credentialsSecretRef.'),
    auth: Type.Optional(OpenStackAuth),
    region: optionalString('Region of the endpoints in the service catalog.'),
    interface: Type.Optional(
      Type.Union([Type.Literal('public'), Type.Literal('internal'), Type.Literal('admin')], {
        description: 'Endpoint interface in the service catalog (default public, or the clouds.yaml setting).',
      }),
    ),
    endpointOverrides: Type.Optional(EndpointOverrides),
    caBundleSecretRef: Type.Optional(secretKeyRef('Secret key holding PEM CA certificates to trust.', 'ca.crt')),
    insecureSkipTLSVerify: defaulted(
      Type.Boolean({
        description: 'Skip TLS certificate verification. For tests only: the ProviderConfig then shows the condition InsecureTLS and the operator logs a warning.',
      }),
      false,
    ),
  },
  {
    description: 'OpenStack (Keystone v3, Neutron, Nova) settings.',
    ...validations(
      {
        rule: 'has(self.credentialsSecretRef) != has(self.auth)',
        message: 'set exactly one of credentialsSecretRef (a clouds.yaml) or auth (explicit settings)',
      },
      {
        rule: 'has(self.cloud) == has(self.credentialsSecretRef)',
        message: 'cloud names the entry of the clouds.yaml in credentialsSecretRef: set both or neither',
        fieldPath: '.cloud',
      },
      {
        rule: "!has(self.auth) || has(self.auth.authURL) || (self.auth.type == 'token' && has(self.endpointOverrides))",
        message: 'auth.authURL is required, except for token auth with endpointOverrides',
        fieldPath: '.auth',
      },
    ),
  },
);

const Exoscale = Type.Object(
  {
    zone: Type.String({
      description: 'Exoscale zone, e.g. ch-gva-2.',
      pattern: '^[a-z]{2}-[a-z]{3}-[0-9]+$',
      maxLength: 32,
    }),
    apiKeySecretRef: secretKeyRef('Secret key holding the API key.', 'apiKey'),
    apiSecretSecretRef: secretKeyRef('Secret key holding the API secret.', 'apiSecret'),
    endpoint: Type.Optional(
      url('API v2 endpoint; defaults to https://api-<zone>.exoscale.com/v2.'),
    ),
  },
  { description: 'Exoscale API v2 settings.' },
);

const RateLimit = Type.Object(
  {
    qps: defaulted(
      Type.Number({ description: 'Sustained cloud API requests per second.', exclusiveMinimum: 0, maximum: 10000 }),
      10,
    ),
    burst: defaulted(Type.Integer({ description: 'Requests allowed in a burst.', minimum: 1, maximum: 10000 }), 20),
  },
  { description: 'Token bucket shared by every object using this ProviderConfig.' },
);

const Spec = Type.Object(
  {
    provider: Type.Union([Type.Literal('openstack'), Type.Literal('exoscale')], {
      description: 'The cloud: openstack or exoscale.',
      ...validations(immutable('provider is immutable: create a new ProviderConfig to change it')),
    }),
    openstack: Type.Optional(OpenStack),
    exoscale: Type.Optional(Exoscale),
    rateLimit: defaulted(RateLimit, {}),
  },
  validations(
    {
      rule: "self.provider != 'openstack' || has(self.openstack)",
      message: 'openstack settings are required when provider is openstack',
      fieldPath: '.openstack',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.provider != 'exoscale' || has(self.exoscale)",
      message: 'exoscale settings are required when provider is exoscale',
      fieldPath: '.exoscale',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.provider == 'openstack' || !has(self.openstack)",
      message: 'openstack settings are only valid when provider is openstack',
      fieldPath: '.openstack',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "self.provider == 'exoscale' || !has(self.exoscale)",
      message: 'exoscale settings are only valid when provider is exoscale',
      fieldPath: '.exoscale',
      reason: 'FieldValueForbidden',
    },
  ),
);

const Status = Type.Object({
  observedGeneration: Type.Optional(
    Type.Integer({ description: 'The metadata.generation last checked.', format: 'int64', minimum: 0 }),
  ),
  endpoints: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'Resolved endpoint URL by service type.' }),
  ),
  projectID: Type.Optional(Type.String({ description: 'Project the credentials are scoped to (OpenStack).' })),
  conditions: Type.Optional(Conditions),
});

export const providerConfig = defineCustomResource({
  kind: 'ProviderConfig',
  plural: 'providerconfigs',
  shortNames: ['pc'],
  description: 'How to reach and authenticate to a cloud; used by the objects of its namespace.',
  spec: Spec,
  status: Status,
  printerColumns: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider' }],
});

export type ProviderConfig = ObjectOf<typeof providerConfig>;
export type ProviderConfigManifest = ManifestOf<typeof providerConfig>;
export type ProviderConfigSpec = SpecOf<typeof providerConfig>;
export type ProviderConfigStatus = StatusOf<typeof providerConfig>;
