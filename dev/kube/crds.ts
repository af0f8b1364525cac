import type { KubeObject, PrinterColumn, ResourceType } from './types.ts';
import type { StatusCause } from './errors.ts';
import { compileSchema } from './schema/index.ts';
import { isObject } from './objects.ts';

/** The finalizer the real server puts on a deleted CRD while it removes the CRD's objects. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: Record<string, unknown>;
  hasStatus: boolean;
  printerColumns: PrinterColumn[];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function crdSpec(crd: KubeObject): Record<string, unknown> {
  return isObject(crd['spec']) ? crd['spec'] : {};
}

function crdNames(crd: KubeObject): CrdNames {
  const names = isObject(crdSpec(crd)['names']) ? (crdSpec(crd)['names'] as Record<string, unknown>) : {};
  const kind = str(names['kind']);
  return {
    plural: str(names['plural']),
    singular: str(names['singular']) || kind.toLowerCase(),
    kind,
    listKind: str(names['listKind']) || `${kind}List`,
    shortNames: strings(names['shortNames']),
    categories: strings(names['categories']),
  };
}

function crdVersions(crd: KubeObject): CrdVersion[] {
  const versions = crdSpec(crd)['versions'];
  if (!Array.isArray(versions)) return [];
  return versions.filter(isObject).map((v) => {
    const schema = isObject(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
    const subresources = isObject(v['subresources']) ? v['subresources'] : {};
    const columns = Array.isArray(v['additionalPrinterColumns']) ? v['additionalPrinterColumns'].filter(isObject) : [];
    const version: CrdVersion = {
      name: str(v['name']),
      served: v['served'] !== false,
      storage: v['storage'] === true,
      hasStatus: isObject(subresources['status']),
      printerColumns: columns.map((c) => {
        const column: PrinterColumn = { name: str(c['name']), type: str(c['type']), jsonPath: str(c['jsonPath']) };
        if (typeof c['format'] === 'string') column.format = c['format'];
        if (typeof c['description'] === 'string') column.description = c['description'];
        if (typeof c['priority'] === 'number') column.priority = c['priority'];
        return column;
      }),
    };
    if (isObject(schema)) version.schema = schema;
    return version;
  });
}

/** Fills what the real server defaults on a CRD. */
export function defaultCrd(crd: KubeObject): void {
  const spec = crdSpec(crd);
  const names = isObject(spec['names']) ? spec['names'] : {};
  const kind = str(names['kind']);
  names['singular'] ??= kind.toLowerCase();
  names['listKind'] ??= `${kind}List`;
  spec['names'] = names;
  spec['conversion'] ??= { strategy: 'None' };
  for (const version of Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : []) {
    version['served'] ??= true;
    version['storage'] ??= false;
  }
  crd['spec'] = spec;
}

export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = crdSpec(crd);
  const group = str(spec['group']);
  const names = crdNames(crd);
  const scope = str(spec['scope']);
  const name = crd.metadata.name ?? '';
  if (!group) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.group' });
  if (!names.plural) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.plural' });
  if (!names.kind) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.kind' });
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(scope)}: supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  if (group && names.plural && name !== `${names.plural}.${group}`) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(name)}: must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  const versions = crdVersions(crd);
  if (versions.length === 0) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: must have exactly one version marked as storage version', field: 'spec.versions' });
  } else if (versions.filter((v) => v.storage).length !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(versions.map((v) => v.name))}: must have exactly one version marked as storage version`,
      field: 'spec.versions',
    });
  }
  versions.forEach((version, i) => {
    if (!version.schema) return;
    try {
      compileSchema(version.schema);
    } catch (err) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "object": ${(err as Error).message}`,
        field: `spec.versions[${i}].schema.openAPIV3Schema`,
      });
    }
  });
  return causes;
}

/** The status the real server reports once a CRD's names are accepted and it is served. */
export function establishedStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const names = crdNames(crd);
  const acceptedNames: Record<string, unknown> = { plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind };
  if (names.shortNames.length > 0) acceptedNames['shortNames'] = names.shortNames;
  if (names.categories.length > 0) acceptedNames['categories'] = names.categories;
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames,
    storedVersions: crdVersions(crd).filter((v) => v.storage).map((v) => v.name),
  };
}

/** The resources a (valid, stored) CRD serves: one per served version, sharing one storage bucket. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = crdSpec(crd);
  const group = str(spec['group']);
  const names = crdNames(crd);
  return crdVersions(crd)
    .filter((v) => v.served)
    .map((v) => {
      const type: ResourceType = {
        group,
        version: v.name,
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        namespaced: spec['scope'] === 'Namespaced',
        shortNames: names.shortNames,
        categories: names.categories,
        hasStatus: v.hasStatus,
        tracksGeneration: true,
        allowUnconditionalUpdate: false,
        builtin: false,
        storageKey: `${group}/${names.plural}`,
        printerColumns: v.printerColumns.length > 0 ? v.printerColumns : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      };
      if (v.schema) {
        type.schema = compileSchema(v.schema);
        type.openAPIV3Schema = v.schema;
      }
      return type;
    });
}
