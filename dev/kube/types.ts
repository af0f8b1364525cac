import type { CompiledSchema } from './schema/index.ts';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** One served group/version/resource. Versions of one CRD share a storage bucket. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  hasStatus: boolean;
  /** Whether metadata.generation is kept (custom resources, CRDs; not ConfigMaps, Secrets, Leases...). */
  tracksGeneration: boolean;
  /** Whether PUT may omit metadata.resourceVersion (false for custom resources, Leases, CRDs). */
  allowUnconditionalUpdate: boolean;
  /** Field selectors beyond metadata.name/metadata.namespace (e.g. Events' involvedObject.*). */
  fieldSelectors?: Record<string, (obj: KubeObject) => string>;
  /** Built-ins accept strategic merge patch; custom resources answer 415. */
  builtin: boolean;
  /** Key of the storage bucket: `group/plural`. */
  storageKey: string;
  /** Conversion for a type stored in another type's form (events.k8s.io Events are core Events). */
  storageForm?: { toStored(obj: KubeObject): KubeObject; fromStored(obj: KubeObject): KubeObject };
  /** Table columns after Name, evaluated by jsonPath unless `tableCells` computes them. */
  printerColumns: PrinterColumn[];
  /** Where the Table's Name column goes: first (default), or last and wide-only (core Events). */
  nameColumn?: 'first' | 'wide-last';
  /** Cells for `printerColumns` that a jsonPath cannot express (e.g. a count), for built-ins. */
  tableCells?: (obj: KubeObject, now: number) => unknown[];
  schema?: CompiledSchema;
  openAPIV3Schema?: Record<string, unknown>;
  /** Built-in normalisation and kind-specific checks on every write (Secret stringData -> data; CRD validation). */
  normalize?: (obj: KubeObject) => void;
  /** Built-in initialisation on create (e.g. Namespace status). */
  prepareForCreate?: (obj: KubeObject) => void;
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** `networks.cloudnet.io`, or `configmaps` for the core group, as the real server names resources in messages. */
export function qualifiedResource(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}
