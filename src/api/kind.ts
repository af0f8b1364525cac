// A kind = its TypeBox schemas (the TS types) + the CRD generated from them.
import { CloneType, Type } from '@sinclair/typebox';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { toOpenAPI } from './crd.ts';
import type { CustomResourceDefinition, PrinterColumn } from './crd.ts';
import type { Rule } from './cel.ts';
import { managedSpec, managedStatus } from './envelope.ts';
import { ObjectMeta } from './meta.ts';
import type { Input } from './schema.ts';

export const GROUP = 'cloudnet.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const CATEGORY = 'cloudnet';

const READY = '.status.conditions[?(@.type=="Ready")]';
const STATUS_COLUMNS: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
  { name: 'Reason', type: 'string', jsonPath: `${READY}.reason` },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

export interface CustomResourceOptions<K extends string, S extends TObject, T extends TObject> {
  kind: K;
  plural: string;
  singular?: string;
  shortNames: string[];
  scope?: 'Namespaced' | 'Cluster';
  description: string;
  spec: S;
  status: T;
  /** The kind's own columns; Ready, Reason and Age are appended. */
  printerColumns: PrinterColumn[];
}

export function defineCustomResource<K extends string, S extends TObject, T extends TObject>(
  options: CustomResourceOptions<K, S, T>,
) {
  const { kind, plural, spec, status } = options;
  const singular = options.singular ?? kind.toLowerCase();
  const schema = Type.Object({
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(kind),
    metadata: ObjectMeta,
    spec,
    status: Type.Optional(status),
  });
  const crd: CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular, shortNames: options.shortNames, categories: [CATEGORY] },
      scope: options.scope ?? 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...options.printerColumns, ...STATUS_COLUMNS],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: options.description,
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this object: cloudnet.io/v1alpha1.' },
                kind: { type: 'string', description: `Kind of this object: ${kind}.` },
                metadata: { type: 'object' },
                spec: toOpenAPI(spec, `${kind}.spec`),
                status: toOpenAPI(status, `${kind}.status`),
              },
              required: ['spec'],
            },
          },
        },
      ],
    },
  };
  return { kind, plural, apiVersion: API_VERSION, spec, status, schema, crd };
}

export interface KindOptions<K extends string, R extends TObject, F extends TObject, O extends TObject>
  extends Omit<CustomResourceOptions<K, TObject, TObject>, 'spec' | 'status'> {
  /** spec.resource: the desired cloud object. */
  resource: R;
  /** spec.import.filter: how to find an existing cloud object to adopt. */
  importFilter: F;
  /** status.resource: what the cloud reports. */
  observed: O;
  /** CEL rules on spec.resource (cross-field checks, immutability of optional fields). */
  rules?: Rule[];
}

/** A managed cloud resource kind: the common envelope around its resource, import filter and observation. */
export function defineKind<K extends string, R extends TObject, F extends TObject, O extends TObject>(
  options: KindOptions<K, R, F, O>,
) {
  const { resource, importFilter, observed, rules = [], ...names } = options;
  const resourceWithRules =
    rules.length === 0
      ? resource
      : CloneType(resource, {
          'x-kubernetes-validations': [...((resource['x-kubernetes-validations'] as Rule[] | undefined) ?? []), ...rules],
        });
  const definition = defineCustomResource({
    ...names,
    spec: managedSpec(resourceWithRules, importFilter),
    status: managedStatus(observed),
    printerColumns: [...options.printerColumns, { name: 'ID', type: 'string', jsonPath: '.status.id' }],
  });
  return { ...definition, resource, importFilter, observed };
}

export type CustomResource = ReturnType<typeof defineCustomResource>;
export type ManagedKind = ReturnType<typeof defineKind>;

type Defined = { schema: TSchema; spec: TSchema; status: TSchema };
/** The object as the API server returns it (defaults applied). */
export type ObjectOf<D extends Defined> = Static<D['schema']>;
/** The object as a user writes it (defaulted fields optional). */
export type ManifestOf<D extends Defined> = Input<D['schema']>;
export type SpecOf<D extends Defined> = Static<D['spec']>;
export type StatusOf<D extends Defined> = Static<D['status']>;
export type ResourceOf<D extends { resource: TSchema }> = Static<D['resource']>;
export type ObservedOf<D extends { observed: TSchema }> = Static<D['observed']>;
export type ImportFilterOf<D extends { importFilter: TSchema }> = Static<D['importFilter']>;
