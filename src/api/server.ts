// Server: a Nova server (an instance) on Networks or Ports.
import { Type } from '@sinclair/typebox';
import { immutable, immutableOptional, validations, type Rule } from './cel.ts';
import { defineKind } from './kind.ts';
import type { ImportFilterOf, ManifestOf, ObjectOf, ObservedOf, ResourceOf, SpecOf, StatusOf } from './kind.ts';
import { localRef, secretKeyRef } from './meta.ts';
import { FilterTags, IPAddress, filterName } from './neutron.ts';
import { defaulted } from './schema.ts';

/** An image or a flavor: by name or by id, exactly one. */
function byNameOrID(what: string, description: string, ...rules: Rule[]) {
  return Type.Object(
    {
      name: Type.Optional(Type.String({ description: `Name of the ${what}.`, minLength: 1, maxLength: 255 })),
      id: Type.Optional(Type.String({ description: `ID of the ${what}.`, minLength: 1, maxLength: 255 })),
    },
    { description, ...validations({ rule: 'has(self.name) != has(self.id)', message: `${what} needs exactly one of name or id` }, ...rules) },
  );
}

const NetworkAttachment = Type.Object(
  {
    networkRef: Type.Optional(localRef('A Network: Nova makes the server a port on it.')),
    portRef: Type.Optional(localRef('A Port object to plug in, with its own addresses and security groups.')),
    fixedIP: Type.Optional(IPAddress),
  },
  validations(
    { rule: 'has(self.networkRef) != has(self.portRef)', message: 'a network attachment needs exactly one of networkRef or portRef' },
    { rule: '!has(self.fixedIP) || has(self.networkRef)', message: 'fixedIP goes with networkRef (a Port object sets its own addresses)', fieldPath: '.fixedIP' },
  ),
);

// Nova allows 50 tags of at most 60 characters, without ',' or '/'; the operator keeps two for ownership.
const ServerTags = Type.Array(
  Type.String({
    minLength: 1,
    maxLength: 60,
    pattern: '^[^,/]+$',
    ...validations({ rule: "!self.startsWith('cloudnet-')", message: 'tags starting with cloudnet- are reserved for the operator' }),
  }),
  { description: 'Nova tags, kept as a set; the operator adds its own ownership tags beside them.', maxItems: 48, 'x-kubernetes-list-type': 'set' },
);

const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }), {
  description: 'Server metadata (key/value), kept as given: keys set elsewhere are removed (but for the operator\'s own, on clouds below microversion 2.52).',
  maxProperties: 128,
  ...validations(
    { rule: "self.all(k, !k.startsWith('cloudnet-'))", message: 'metadata keys starting with cloudnet- are reserved for the operator' },
    { rule: "self.all(k, k.matches('^[-a-zA-Z0-9_:. ]+$'))", message: 'metadata keys may hold letters, digits, spaces and - _ : . only (as Nova takes them)' },
  ),
});

const Resource = Type.Object({
  name: Type.Optional(Type.String({ description: "Name of the server in the cloud. Defaults to the object's metadata.name.", minLength: 1, maxLength: 255 })),
  image: byNameOrID('image', 'The image to boot from, from Glance (resolved once, at create).', immutable('image is immutable: create a new Server to boot another image')),
  flavor: byNameOrID('flavor', 'The flavor; changing it resizes the server (and confirms the resize).'),
  networks: Type.Array(NetworkAttachment, {
    description: "The server's network interfaces, in order. Changes are applied live: interfaces attached and detached. Empty: none.",
    maxItems: 16,
    'x-kubernetes-list-type': 'atomic',
  }),
  securityGroupRefs: Type.Optional(
    Type.Array(localRef('A SecurityGroup.'), {
      description: "SecurityGroups of the ports Nova makes (unset: the project's default group). Ports of portRef keep their own.",
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
  ),
  keyName: Type.Optional(Type.String({ description: 'A Nova key pair to inject.', minLength: 1, maxLength: 255 })),
  userData: Type.Optional(
    // Nova takes at most 65535 characters of base64: 49149 bytes.
    Type.String({ description: 'User data for cloud-init, as text (sent base64-encoded). Never shown in status or events.', maxLength: 49149 }),
  ),
  userDataSecretRef: Type.Optional(
    secretKeyRef(
      'User data for cloud-init from a Secret key (its bytes as they are, e.g. gzipped), read when the server is created; later changes of the Secret do not change the server. Never shown in status or events.',
      'userData',
    ),
  ),
  metadata: Type.Optional(Metadata),
  tags: Type.Optional(ServerTags),
  availabilityZone: Type.Optional(Type.String({ description: 'Availability zone to boot in.', minLength: 1, maxLength: 255 })),
  configDrive: Type.Optional(Type.Boolean({ description: 'Provide metadata on a config drive.' })),
  powerState: defaulted(
    Type.Union([Type.Literal('Running'), Type.Literal('Stopped')], { description: 'Running (default) or Stopped: the server is started and stopped to match.' }),
    'Running',
  ),
  recreateOnError: defaulted(
    Type.Boolean({ description: 'A server in ERROR is deleted and created again (with an Event) instead of reported Stalled.' }),
    false,
  ),
});

const ImportFilter = Type.Object({
  name: Type.Optional(filterName()),
  tags: Type.Optional(FilterTags),
});

const Observed = Type.Object({
  name: Type.Optional(Type.String()),
  status: Type.Optional(Type.String({ description: 'ACTIVE, BUILD, SHUTOFF, RESIZE, VERIFY_RESIZE, REBOOT, ERROR...' })),
  taskState: Type.Optional(Type.String({ description: 'What Nova is doing with it now, e.g. spawning, powering-off.' })),
  powerState: Type.Optional(Type.String({ description: 'Running, Shutdown, Paused, Crashed, Suspended or NoState.' })),
  imageID: Type.Optional(Type.String()),
  flavor: Type.Optional(
    Type.Object({ name: Type.String(), vcpus: Type.Integer(), ramMiB: Type.Integer(), diskGiB: Type.Integer() }, { description: 'The flavor it runs with.' }),
  ),
  addresses: Type.Optional(
    Type.Array(
      Type.Object({ network: Type.String(), address: Type.String(), type: Type.Optional(Type.String()), macAddress: Type.Optional(Type.String()) }),
      { description: 'Its addresses, by network name: fixed and floating.', 'x-kubernetes-list-type': 'atomic' },
    ),
  ),
  fault: Type.Optional(Type.String({ description: "Nova's fault message, while in ERROR." })),
  availabilityZone: Type.Optional(Type.String()),
  keyName: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  tags: Type.Optional(Type.Array(Type.String(), { 'x-kubernetes-list-type': 'atomic' })),
  projectID: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  updatedAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export const server = defineKind({
  kind: 'Server',
  plural: 'servers',
  shortNames: ['srv'],
  description: 'A Nova server.',
  resource: Resource,
  importFilter: ImportFilter,
  observed: Observed,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.resource.status' },
    { name: 'Power', type: 'string', jsonPath: '.status.resource.powerState' },
    { name: 'Flavor', type: 'string', jsonPath: '.status.resource.flavor.name' },
    { name: 'Address', type: 'string', jsonPath: '.status.resource.addresses[0].address' },
  ],
  rules: [
    { rule: '!(has(self.userData) && has(self.userDataSecretRef))', message: 'userData and userDataSecretRef exclude each other: give the user data one way', fieldPath: '.userDataSecretRef' },
    ...(
      [
        ['keyName', 'keyName is immutable: create a new Server to inject another key pair'],
        ['userData', 'userData is immutable: create a new Server to boot with other user data'],
        ['userDataSecretRef', 'userDataSecretRef is immutable: create a new Server to boot with other user data'],
        ['availabilityZone', 'availabilityZone is immutable: create a new Server to boot in another zone'],
        ['configDrive', 'configDrive is immutable: create a new Server to change it'],
        ['securityGroupRefs', "securityGroupRefs is immutable: create a new Server, or use Port objects (portRef), whose security groups change live"],
      ] as const
    ).map(([field, message]) => immutableOptional(field, message)),
  ],
});

export type Server = ObjectOf<typeof server>;
export type ServerManifest = ManifestOf<typeof server>;
export type ServerSpec = SpecOf<typeof server>;
export type ServerStatus = StatusOf<typeof server>;
export type ServerResource = ResourceOf<typeof server>;
export type ServerImportFilter = ImportFilterOf<typeof server>;
export type ServerObserved = ObservedOf<typeof server>;
