import type { IncomingMessage } from 'node:http';
import type { Api } from '../api.ts';
import type { KubeObject, ResourceType } from '../types.ts';
import type { FieldValidation } from '../admission.ts';
import type { ResourceRoute } from '../routes.ts';
import { apiVersionOf } from '../types.ts';
import { ApiError, badRequest, forbidden, notFound } from '../errors.ts';
import { NAMESPACES } from '../builtins.ts';

/** An object as served through `type`'s version (versions of a CRD share storage, conversion None). */
export function present(type: ResourceType, obj: KubeObject): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  return { apiVersion: apiVersionOf(type), kind: type.kind, ...rest } as KubeObject;
}

/** The field manager: `fieldManager`, else the User-Agent up to its first "/", like the real server. */
export function fieldManager(query: URLSearchParams, req: IncomingMessage): string {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  return (req.headers['user-agent'] ?? '').split('/')[0] ?? '';
}

export function fieldValidation(query: URLSearchParams): FieldValidation {
  const value = query.get('fieldValidation') ?? 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(value)}`);
}

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All') {
      throw new ApiError(400, 'BadRequest', `dryRun: Unsupported value: ${JSON.stringify(value)}: supported values: "All"`);
    }
  }
  return values.length > 0;
}

/** The stored object at the route, or 404 worded like the real server. */
export function getExisting(api: Api, route: ResourceRoute): KubeObject {
  const name = route.name ?? '';
  const obj = api.store.get(route.type, route.namespace, name);
  if (!obj) throw notFound(route.type, name);
  return obj;
}

/** Namespaced writes need an existing namespace that is not terminating. */
export function checkNamespaceWritable(api: Api, route: ResourceRoute, name: string): void {
  if (!route.type.namespaced || route.namespace === undefined) return;
  const ns = api.store.get(NAMESPACES, undefined, route.namespace);
  if (!ns) throw notFound(NAMESPACES, route.namespace);
  if (ns.metadata.deletionTimestamp) {
    const why = `unable to create new content in namespace ${route.namespace} because it is being terminated`;
    throw forbidden(route.type, name, why, { reason: 'NamespaceTerminating', message: why, field: 'metadata.namespace' });
  }
}
