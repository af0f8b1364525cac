import type { KubeObject, PrinterColumn, ResourceType } from './types.ts';
import { apiVersionOf } from './types.ts';
import { evaluateJsonPath } from './jsonpath.ts';
import { humanDuration } from './time.ts';
import { badRequest } from './errors.ts';

const NAME_COLUMN = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

function formatCell(column: PrinterColumn, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  if (column.type === 'date') {
    const time = Date.parse(String(value));
    return Number.isNaN(time) ? '<invalid>' : humanDuration(now - time);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function columnCell(column: PrinterColumn, obj: KubeObject, now: number): unknown {
  let results: unknown[];
  try {
    results = evaluateJsonPath(column.jsonPath, obj);
  } catch {
    return null;
  }
  if (results.length === 0) return null;
  if (results.length === 1) return formatCell(column, results[0], now);
  return results.map((r) => String(formatCell(column, r, now))).join(',');
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'None' || value === 'Object') return value;
  throw badRequest(`includeObject must be one of None, Metadata, Object`);
}

function rowObject(type: ResourceType, obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return { apiVersion: apiVersionOf(type), kind: type.kind, ...obj };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** A meta.k8s.io/v1 Table, as `kubectl get` asks for with `Accept: ...;as=Table;v=v1;g=meta.k8s.io`. */
export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  now: number,
): Record<string, unknown> {
  const columns = type.printerColumns;
  const definitions = columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }));
  // Events list Name last and only in wide output, like the real server; everything else leads with it.
  const nameLast = type.nameColumn === 'wide-last';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: nameLast ? [...definitions, { ...NAME_COLUMN, priority: 1 }] : [NAME_COLUMN, ...definitions],
    rows: objects.map((obj) => {
      const cells = type.tableCells ? type.tableCells(obj, now) : columns.map((c) => columnCell(c, obj, now));
      const row: Record<string, unknown> = { cells: nameLast ? [...cells, obj.metadata.name] : [obj.metadata.name, ...cells] };
      const object = rowObject(type, obj, include);
      if (object !== undefined) row['object'] = object;
      return row;
    }),
  };
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}
