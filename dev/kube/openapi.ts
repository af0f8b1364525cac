import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './registry.ts';
import type { ResourceType } from './types.ts';
import { VERSION_INFO } from './discovery.ts';

/**
 * OpenAPI v3, enough for kubectl: it looks up each kind's PATCH operation (by
 * x-kubernetes-group-version-kind) to learn that the server does field validation (so it sends
 * fieldValidation=Strict instead of validating client-side) and which patch types it accepts.
 * Strategic merge is not advertised, so kubectl builds built-in patches from its own types.
 */

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function schemaName(type: ResourceType): string {
  const reversed = type.group === '' ? 'io.k8s.api.core' : type.group.split('.').reverse().join('.');
  return `${reversed}.${type.version}.${type.kind}`;
}

const WRITE_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({
  name,
  in: 'query',
  description: name,
  schema: { type: 'string', uniqueItems: true },
}));

function operation(type: ResourceType, action: string, verb: string, suffix: string, write: boolean): Record<string, unknown> {
  const op: Record<string, unknown> = {
    operationId: `${verb}${type.kind}${suffix}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(type)}` } } } } },
  };
  if (write) op['parameters'] = [...WRITE_PARAMETERS, ...(action === 'patch' ? [{ name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } }] : [])];
  if (action === 'patch') {
    const content = Object.fromEntries(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'].map((t) => [t, { schema: { type: 'object' } }]));
    op['requestBody'] = { content, required: true };
  } else if (write) {
    op['requestBody'] = { content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(type)}` } } }, required: true };
  }
  return op;
}

function paths(type: ResourceType): Record<string, unknown> {
  const base = `/${gvPath(type.group, type.version)}`;
  const collection = type.namespaced ? `${base}/namespaces/{namespace}/${type.plural}` : `${base}/${type.plural}`;
  const item = `${collection}/{name}`;
  const result: Record<string, unknown> = {
    [collection]: {
      get: operation(type, 'list', 'list', '', false),
      post: operation(type, 'post', 'create', '', true),
      delete: operation(type, 'deletecollection', 'deleteCollection', '', false),
    },
    [item]: {
      get: operation(type, 'get', 'read', '', false),
      put: operation(type, 'put', 'replace', '', true),
      patch: operation(type, 'patch', 'patch', '', true),
      delete: operation(type, 'delete', 'delete', '', false),
    },
  };
  if (type.hasStatus) {
    result[`${item}/status`] = {
      get: operation(type, 'get', 'read', 'Status', false),
      put: operation(type, 'put', 'replace', 'Status', true),
      patch: operation(type, 'patch', 'patch', 'Status', true),
    };
  }
  if (type.namespaced) result[`${base}/${type.plural}`] = { get: operation(type, 'list', 'list', 'ForAllNamespaces', false) };
  return result;
}

export function groupVersionDocument(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.resourcesIn(group, version);
  if (types.length === 0) return undefined;
  const schemas = Object.fromEntries(
    types.map((t) => [
      schemaName(t),
      {
        ...(t.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
        'x-kubernetes-group-version-kind': [{ group: t.group, kind: t.kind, version: t.version }],
      },
    ]),
  );
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion },
    paths: Object.assign({}, ...types.map(paths)),
    components: { schemas },
  };
}

export function openApiRoot(registry: ResourceRegistry): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const g of registry.groups()) {
    for (const version of g.versions) {
      const doc = groupVersionDocument(registry, g.name, version);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
      entries[gvPath(g.name, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.name, version)}?hash=${hash}` };
    }
  }
  return { paths: entries };
}
