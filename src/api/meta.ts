// Kubernetes meta/v1 shapes shared by every kind: object metadata, conditions, local references.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { defaulted } from './schema.ts';

// Only for the TS types: the CRD declares root metadata as a bare `type: object`
// (the API server validates metadata itself and forbids more).
export const ObjectMeta = Type.Object({
  name: Type.String(),
  generateName: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  uid: Type.Optional(Type.String()),
  resourceVersion: Type.Optional(Type.String()),
  generation: Type.Optional(Type.Integer()),
  creationTimestamp: Type.Optional(Type.String()),
  deletionTimestamp: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  finalizers: Type.Optional(Type.Array(Type.String())),
  ownerReferences: Type.Optional(
    Type.Array(
      Type.Object({
        apiVersion: Type.String(),
        kind: Type.String(),
        name: Type.String(),
        uid: Type.String(),
        controller: Type.Optional(Type.Boolean()),
        blockOwnerDeletion: Type.Optional(Type.Boolean()),
      }),
    ),
  ),
});
export type ObjectMeta = Static<typeof ObjectMeta>;

// metav1.Condition, with the same constraints controller-gen emits for it.
export const Condition = Type.Object({
  type: Type.String({
    description: 'Type of condition in CamelCase: Ready, Reconciling or Stalled.',
    maxLength: 316,
    pattern:
      '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], {
    description: 'Status of the condition: True, False or Unknown.',
  }),
  observedGeneration: Type.Optional(
    Type.Integer({
      description: 'The metadata.generation the condition was set for.',
      format: 'int64',
      minimum: 0,
    }),
  ),
  lastTransitionTime: Type.String({
    description: 'When the condition last changed from one status to another.',
    format: 'date-time',
  }),
  reason: Type.String({
    description: 'A stable CamelCase reason for the last transition.',
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({ description: 'What happened and what to do, for humans.', maxLength: 32768 }),
});
export type Condition = Static<typeof Condition>;

export const Conditions = Type.Array(Condition, {
  description: 'Ready, Reconciling and Stalled, following the kstatus convention.',
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

function objectName(description: string) {
  return Type.String({
    description,
    minLength: 1,
    maxLength: 253,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  });
}

/** A reference by name to another object in the same namespace. */
export function localRef(description: string, options: Record<string, unknown> = {}) {
  return Type.Object({ name: objectName('Name of the object in the same namespace.') }, { description, ...options });
}
export type LocalRef = Static<ReturnType<typeof localRef>>;

/** A key of a Secret in the same namespace; `key` defaults to `defaultKey`. */
export function secretKeyRef(description: string, defaultKey: string) {
  return Type.Object(
    {
      name: objectName('Name of the Secret in the same namespace.'),
      key: defaulted(
        Type.String({
          description: `Key in the Secret's data (default "${defaultKey}").`,
          minLength: 1,
          maxLength: 253,
          pattern: '^[-._a-zA-Z0-9]+$',
        }),
        defaultKey,
      ),
    },
    { description },
  );
}
export type SecretKeyRef = Static<ReturnType<typeof secretKeyRef>>;
