// The spec and status every managed cloud resource shares (docs/design.md, "Resource model").
import { CloneType, Type } from '@sinclair/typebox';
import type { TObject } from '@sinclair/typebox';
import { atLeastOne, celName, immutable, immutableOptional, validations } from './cel.ts';
import { Conditions, localRef } from './meta.ts';
import { defaulted } from './schema.ts';

export const ManagementPolicy = Type.Union([Type.Literal('Managed'), Type.Literal('ObserveOnly')], {
  description:
    'Managed: the operator creates (or adopts, with import), updates and deletes the cloud resource. ' +
    'ObserveOnly: it only reads the imported cloud resource and reports it in status.',
});

export const DeletionPolicy = Type.Union([Type.Literal('Delete'), Type.Literal('Orphan')], {
  description:
    'Delete: deleting this object deletes the cloud resource. ' +
    "Orphan: the cloud resource is left in place, without the operator's tags.",
});

// A Go duration (time.ParseDuration), as the operator's --resync-period flag takes it.
const GO_DURATION = '^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$';

/** The shortest drift-check period: shorter ones spend cloud API calls for no gain. */
export const MIN_RESYNC_PERIOD = '10s';

export const ResyncPeriod = Type.String({
  description:
    'How often the cloud resource is checked for drift, as a Go duration (e.g. 10m, 1h30m); ' +
    `at least ${MIN_RESYNC_PERIOD}, or "0" to disable it. Defaults to the operator's --resync-period.`,
  pattern: GO_DURATION,
  maxLength: 64,
  ...validations({
    // Not a duration at all: the pattern says so, once.
    rule: `!self.matches(r'${GO_DURATION}') || duration(self) == duration('0s') || duration(self) >= duration('${MIN_RESYNC_PERIOD}')`,
    message: `resyncPeriod must be at least ${MIN_RESYNC_PERIOD} (drift checks more often than that only spend cloud API calls), or "0" to disable them`,
  }),
});

export const CloudID = Type.String({ description: 'ID of the cloud resource.', minLength: 1, maxLength: 255 });

export function managedSpec<R extends TObject, F extends TObject>(resource: R, importFilter: F) {
  const filterFields = Object.keys(importFilter.properties);
  const filter = CloneType(importFilter, {
    description: 'Adopt the single cloud resource matching all these fields.',
    ...validations(atLeastOne(filterFields, `import.filter must set at least one of: ${filterFields.join(', ')}`)),
  });
  const Import = Type.Object(
    {
      id: Type.Optional(CloudID),
      filter: Type.Optional(filter),
    },
    {
      description:
        'Adopt an existing cloud resource instead of creating one: by id, or by a filter that must match exactly one.',
      ...validations({ rule: 'has(self.id) != has(self.filter)', message: 'import must set exactly one of id or filter' }),
    },
  );
  return Type.Object(
    {
      providerConfigRef: localRef(
        'The ProviderConfig, in the same namespace, holding the cloud credentials.',
        validations(immutable('providerConfigRef is immutable: create a new object to use another ProviderConfig')),
      ),
      managementPolicy: defaulted(ManagementPolicy, 'Managed'),
      deletionPolicy: defaulted(DeletionPolicy, 'Delete'),
      resyncPeriod: Type.Optional(ResyncPeriod),
      import: Type.Optional(Import),
      resource: Type.Optional(CloneType(resource, { description: 'The desired cloud resource.' })),
    },
    validations(
      {
        rule: `self.managementPolicy != 'ObserveOnly' || has(self.${celName('import')})`,
        message: 'managementPolicy ObserveOnly requires import: set import.id or import.filter',
        fieldPath: '.import',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.managementPolicy != 'Managed' || has(self.resource)",
        message: 'resource is required when managementPolicy is Managed',
        fieldPath: '.resource',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.managementPolicy != 'ObserveOnly' || !has(self.resource)",
        message: 'resource must not be set when managementPolicy is ObserveOnly: an observed resource is never changed',
        fieldPath: '.resource',
        reason: 'FieldValueForbidden',
      },
      immutableOptional('import', 'import is immutable: it cannot be added, changed or removed after creation'),
    ),
  );
}

export function managedStatus<O extends TObject>(observed: O) {
  return Type.Object({
    id: Type.Optional(CloudID),
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The metadata.generation last reconciled.', format: 'int64', minimum: 0 }),
    ),
    resource: Type.Optional(CloneType(observed, { description: 'The cloud resource as the cloud last reported it.' })),
    lastSyncTime: Type.Optional(
      Type.String({
        description: 'When the cloud resource was last observed, as far as status was written then: a drift check that finds nothing changed writes no status, and this time is refreshed at most hourly.',
        format: 'date-time',
      }),
    ),
    conditions: Type.Optional(Conditions),
    pendingCreate: Type.Optional(
      Type.Object(
        {
          name: Type.String({ description: 'Name the cloud resource is created with.' }),
          startedAt: Type.String({ description: 'When the create request was about to be sent.', format: 'date-time' }),
        },
        {
          description:
            'A create in flight: recorded before the request so that, if its answer is lost, the resource it ' +
            'made is found again (by name and creation time) instead of created twice.',
        },
      ),
    ),
    pendingOperation: Type.Optional(
      Type.Object(
        {
          action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
          id: Type.Optional(Type.String({ description: "The cloud's operation, when it gave one to poll." })),
          startedAt: Type.String({ description: 'When the cloud accepted the mutation.', format: 'date-time' }),
        },
        {
          description:
            'A mutation the cloud accepted and is still carrying out: polled until it is done (also after ' +
            'a restart), never sent again meanwhile.',
        },
      ),
    ),
  });
}
